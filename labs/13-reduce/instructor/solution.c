/* solution.c - lab 13, the reference: every rank tests its own share of
 * the candidates, dealt out one by one (rank r takes the r-th odd number,
 * then every size-th after it), and MPI_Reduce adds the ranks' sums up on
 * rank 0, which prints the total. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <mpi.h>

/* Is N prime? Trial division by odd numbers up to its square root. N is
 * odd and at least 3. */
static bool
is_odd_prime(long n)
{
	for (long d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

int
main(int argc, char *argv[])
{
	int rank, size;
	long limit;
	long long mine = 0, total = 0;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	limit = argc > 1 ? atol(argv[1]) : 0;
	if (limit < 3) {
		if (rank == 0)
			fprintf(stderr, "usage: mpirun -np N %s LIMIT (3 or more)\n", argv[0]);
		MPI_Finalize();
		return 2;
	}

	/* The odd candidates 3, 5, 7... are 2k + 3 for k = 0, 1, 2...: rank r
	 * takes k = r, r + size, r + 2 size... Dealt out one by one, each
	 * rank gets about as many large numbers as small ones: the same work. */
	for (long k = rank; 2 * k + 3 < limit; k += size)
		if (is_odd_prime(2 * k + 3))
			mine += 2 * k + 3;
	/* 2, the only even prime: counted once, by one rank. */
	if (rank == 0)
		mine += 2;

	/* Every rank's sum, added up on rank 0. */
	MPI_Reduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("sum of the primes below %ld: %lld\n", limit, total);
	MPI_Finalize();
	return 0;
}
