/* mpi-stall.c - an LD_PRELOAD module for tests/mpi-exchange.sh: MPI rank
 * 0 loses its CPU for a while at one chosen moment, as the scheduler of a
 * busy machine may take it away at any moment. No test could time that
 * from outside; this makes it happen every time, through MPI's profiling
 * interface (a wrapper of MPI_X that calls PMPI_X).
 *
 * MPI_STALL in the environment says where rank 0 stalls:
 *   send   in every MPI_Send of tag 0, before it sends: a send that would
 *          return at once (eager) looks slow to a stopwatch around it;
 *   bcast  after every MPI_Bcast of one MPI_LONG that it is the root of
 *          (the size of each probe): the other rank goes on meanwhile,
 *          and a send that waits for the receive (rendezvous) finds the
 *          receive posted by the time it starts.
 * MPI_STALL_MS says how long (default 100). Other ranks, and processes
 * that are no rank (mpirun, the demo's controller), are not touched.
 *
 * Build: a libtool module (tests/local.mk), with Open MPI only; used only
 * by the tests.
 */
#define _DEFAULT_SOURCE 1

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

static const char *
stall_at(void)
{
	const char *rank = getenv("OMPI_COMM_WORLD_RANK");
	const char *where = getenv("MPI_STALL");

	return rank != NULL && strcmp(rank, "0") == 0 && where != NULL ? where : "";
}

/* Off the CPU, as a process that waits for its turn is. */
static void
stall(void)
{
	const char *ms = getenv("MPI_STALL_MS");
	long n = ms != NULL ? atol(ms) : 100;
	struct timespec t = { n / 1000, (n % 1000) * 1000000L };

	while (nanosleep(&t, &t) == -1)
		continue;
}

int
MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
	if (tag == 0 && strcmp(stall_at(), "send") == 0)
		stall();
	return PMPI_Send(buf, count, type, dest, tag, comm);
}

int
MPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
	int rc = PMPI_Bcast(buf, count, type, root, comm);

	if (count == 1 && type == MPI_LONG && root == 0 && strcmp(stall_at(), "bcast") == 0)
		stall();
	return rc;
}
