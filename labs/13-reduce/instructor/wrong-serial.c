/* wrong-serial.c - lab 13, wrong: every rank tests its own share, but
 * waits for a message from the rank before it to start, and passes one on
 * when it is done: the ranks compute one after the other. Rank 1 waiting
 * in MPI_Recv polls for the message, so it runs all the same: the tasks
 * running at once look like 2, and only the time shows it. The answer is
 * right. Expected verdict: speedup fails. */
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

	/* Each rank waits for the one before it to finish: the shares are
	 * right, but done one after the other. */
	if (rank > 0)
		MPI_Recv(NULL, 0, MPI_BYTE, rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	for (long k = rank; 2 * k + 3 < limit; k += size)
		if (is_odd_prime(2 * k + 3))
			mine += 2 * k + 3;
	if (rank == 0)
		mine += 2;
	if (rank + 1 < size)
		MPI_Send(NULL, 0, MPI_BYTE, rank + 1, 0, MPI_COMM_WORLD);

	/* Every rank's sum, added up on rank 0. */
	MPI_Reduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("sum of the primes below %ld: %lld\n", limit, total);
	MPI_Finalize();
	return 0;
}
