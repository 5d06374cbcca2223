/* reduce.c - lab 13: the sum of the primes below LIMIT, over MPI ranks.
 *
 *   mpicc -std=c11 -Wall -Wextra -o reduce reduce.c
 *   mpirun -np 2 ./reduce 5000000
 *
 * Rank 0 prints the sum. The starter is right but serial: rank 0 does
 * all the work while the other ranks wait in MPI_Reduce. See README.md.
 */
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

	/* TODO: share the work. Here rank 0 tests every candidate and the
	 * other ranks add nothing: the answer is right, but 2 ranks take as
	 * long as 1. Give each rank its share, about the same work each. */
	if (rank == 0) {
		for (long n = 3; n < limit; n += 2)
			if (is_odd_prime(n))
				mine += n;
		mine += 2; /* the only even prime */
	}

	/* Every rank's sum, added up on rank 0. */
	MPI_Reduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("sum of the primes below %ld: %lld\n", limit, total);
	MPI_Finalize();
	return 0;
}
