/* mpi/ring.c - proclab-mpi-ring: a token around N ranks, then scatter,
 * compute, gather and reduce: one CPU-bound job split over the ranks.
 *
 * It shows, and proves while it runs, that
 *   1. mpirun -np N starts N processes, its children, each with its own
 *      rank (Open MPI puts it in the environment as OMPI_COMM_WORLD_RANK);
 *   2. a token passed around the ring, each rank adding its number, comes
 *      back to rank 0 with the sum the arithmetic predicts, after every
 *      rank saw it once a lap; the time of one hop is measured;
 *   3. MPI_Scatter hands each rank its share of the inputs, each computes
 *      alone, MPI_Gather brings the partial results to rank 0 and
 *      MPI_Reduce sums them: the total equals the sum of the parts, and
 *      equals the controller's own sequential loop;
 *   4. the same job on one rank and on N ranks: the speedup is measured,
 *      never checked (it cannot pass the number of cores).
 *
 * Usage:     proclab-mpi-ring [--ranks N] [--laps L] [--job-ranks J] [--work S]
 *                             [--json]
 * Dashboard: `proclab mpi-ring` shows mpirun and N ranks, each with its
 *            rank as its role; during the job every rank is busy.
 * Lesson:    lessons/21-mpi.md, the lesson of the four MPI demos
 *            (demos/mpi/README.md); launch.c here starts mpirun.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "proclab.h"
#include "launch.h" /* the plumbing: mpirun, the ranks' lines, cleanup */

static long ranks_wanted = 4;
static long laps = 3;
static double work_seconds = 0.6;
static long job_ranks; /* 0: one a core */

static const struct pl_option options[] = {
	{ "ranks", 'n', PL_OPT_INT, "N", "ranks in the ring (default 4)", 2, MPI_LAUNCH_MAX_RANKS,
	  &ranks_wanted },
	{ "laps", 'l', PL_OPT_INT, "L", "laps of the token (default 3)", 1, 1000, &laps },
	{ "job-ranks", 'j', PL_OPT_INT, "J",
	  "ranks for the job (default 0: one a core, 2 at least)", 0, MPI_LAUNCH_MAX_RANKS,
	  &job_ranks },
	{ "work", 'w', PL_OPT_DOUBLE, "S", "CPU seconds of the job on one rank (default 0.6)", 0.05,
	  60, &work_seconds },
};

static const struct pl_demo demo = {
	.name = "mpi-ring",
	.summary = "A token around N MPI ranks; scatter, compute, gather and reduce a job.",
	.description = "N ranks started by mpirun pass a token around a ring, each adding its\n"
	               "rank; then a CPU-bound job is scattered over them, computed, gathered\n"
	               "and reduced, and checked against a plain loop. The job runs on one rank\n"
	               "and on N, and the speedup is measured.",
	.lesson = "21-mpi.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* The ranks.                                                             */

static void
rank_ring(int rank, int size, long nlaps)
{
	long token = 0;
	int next = (rank + 1) % size, prev = (rank + size - 1) % size;
	double start = MPI_Wtime();

	for (long lap = 0; lap < nlaps; lap++) {
		if (rank == 0) {
			/* Rank 0 starts each lap and receives it back. */
			MPI_Send(&token, 1, MPI_LONG, next, 0, MPI_COMM_WORLD);
			MPI_Recv(&token, 1, MPI_LONG, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		} else {
			MPI_Recv(&token, 1, MPI_LONG, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			token += rank;
			MPI_Send(&token, 1, MPI_LONG, next, 0, MPI_COMM_WORLD);
		}
		mpi_rank_say("visit %d %ld %ld", rank, lap, token);
	}
	if (rank == 0)
		mpi_rank_say("ring %ld %.3f", token,
		             (MPI_Wtime() - start) * 1e6 / (double)(nlaps * size));
}

/* The job: pl_measure_crunch() over [0, N), a hash of each number
 * summed. Rank 0 cuts the range in SIZE slices and scatters them. */
static void
rank_job(int rank, int size, uint64_t n)
{
	uint64_t *slices = NULL, mine[2], part, total = 0, *parts = NULL;

	MPI_Barrier(MPI_COMM_WORLD);
	double start = MPI_Wtime();

	if (rank == 0) {
		if ((slices = malloc(2 * (size_t)size * sizeof(*slices))) == NULL ||
		    (parts = malloc((size_t)size * sizeof(*parts))) == NULL)
			MPI_Abort(MPI_COMM_WORLD, 1);
		for (int r = 0; r < size; r++) {
			slices[2 * r] = n * (uint64_t)r / (uint64_t)size;
			slices[2 * r + 1] = n * (uint64_t)(r + 1) / (uint64_t)size;
		}
	}
	/* Each rank gets its slice: two numbers, from and to. */
	MPI_Scatter(slices, 2, MPI_UINT64_T, mine, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);

	double cpu = pl_measure_thread_cpu();

	part = pl_measure_crunch(mine[0], mine[1]);
	/* CPU time, unlike wall time, does not stretch on a busy machine. */
	cpu = pl_measure_thread_cpu() - cpu;
	mpi_rank_say("cpu %d %.6f", rank, cpu);
	MPI_Gather(&part, 1, MPI_UINT64_T, parts, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	MPI_Reduce(&part, &total, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0) {
		double took = MPI_Wtime() - start;
		uint64_t sum = 0;

		for (int r = 0; r < size; r++) {
			mpi_rank_say("part %d %llu", r, (unsigned long long)parts[r]);
			sum += parts[r];
		}
		mpi_rank_say("job %d %llu %llu %.6f", size, (unsigned long long)total,
		             (unsigned long long)sum, took);
	}
	free(slices);
	free(parts);
}

static int
rank_main(int argc, char *argv[])
{
	int size, rank = mpi_rank_begin(&argc, &argv, &size);

	mpi_rank_say("hello %d %ld", rank, (long)getpid());
	MPI_Barrier(MPI_COMM_WORLD);
	if (rank == 0 && !mpi_rank_wait_go())
		MPI_Abort(MPI_COMM_WORLD, 1);
	MPI_Barrier(MPI_COMM_WORLD);
	if (argc >= 3 && strcmp(argv[1], "ring") == 0)
		rank_ring(rank, size, atol(argv[2]));
	else if (argc >= 3 && strcmp(argv[1], "job") == 0)
		rank_job(rank, size, strtoull(argv[2], NULL, 10));
	MPI_Finalize();
	return 0;
}

/* ------------------------------------------------------------------ */
/* The controller.                                                        */

/* Start the job and wait until all N ranks said hello: check that they
 * are mpirun's N children, then let them go. */
static void
start_ranks(struct mpi_job *job, int n, const char *const args[])
{
	char line[256];
	pid_t told[MPI_LAUNCH_MAX_RANKS] = { 0 }, children[MPI_LAUNCH_MAX_RANKS];
	int hellos = 0, nchildren, matched = 0;

	mpi_job_start(job, n, "vader,self", args, 0);
	while (hellos < n && mpi_job_expect(job, "hello ", line, sizeof(line), 30, NULL) == 1) {
		int r;
		long pid;

		if (sscanf(line, "hello %d %ld", &r, &pid) == 2 && r >= 0 && r < n && !told[r]) {
			told[r] = (pid_t)pid;
			hellos++;
		}
	}
	nchildren = mpi_job_ranks(job, children, MPI_LAUNCH_MAX_RANKS);
	for (int r = 0; r < n; r++)
		for (int c = 0; c < nchildren; c++)
			matched += told[r] != 0 && told[r] == children[c];
	pl_check("ranks-are-children", hellos == n && nchildren == n && matched == n,
	         PL_FIELDS(PL_INT("ranks", n), PL_INT("children", nchildren),
	                   PL_INT("matched", matched), PL_INT("mpirun", job->mpirun)),
	         "%d ranks, each a child of mpirun (PID %ld), each with its own rank", n,
	         (long)job->mpirun);
	mpi_job_tell(job, "go");
}

static void
ring_step(int n)
{
	char laps_arg[32], line[256];
	const char *args[] = { "ring", laps_arg, NULL };
	struct mpi_job job;
	long token = -1, expected = laps * (long)n * (n - 1) / 2;
	long visits[MPI_LAUNCH_MAX_RANKS] = { 0 };
	double hop_us = 0;
	bool every = true;

	snprintf(laps_arg, sizeof(laps_arg), "%ld", laps);
	pl_step("ring", PL_FIELDS(PL_INT("ranks", n), PL_INT("laps", laps)),
	        "a token around %d ranks, %ld laps: each rank receives it from the one before, "
	        "adds its rank, and sends it on",
	        n, laps);
	start_ranks(&job, n, args);
	while (mpi_job_line(&job, line, sizeof(line), 60) == 1) {
		int r;
		long lap, t;

		if (sscanf(line, "visit %d %ld %ld", &r, &lap, &t) == 3 && r >= 0 && r < n)
			visits[r]++;
		else
			sscanf(line, "ring %ld %lf", &token, &hop_us);
	}
	mpi_job_ended_well(&job, mpi_job_wait(&job, 30));
	for (int r = 0; r < n; r++)
		every = every && visits[r] == laps;
	pl_note("hop", PL_FIELDS(PL_DOUBLE("hop_us", hop_us)),
	        "one hop (a receive and a send) took %.1f us on average", hop_us);
	pl_check("token", token == expected && every,
	         PL_FIELDS(PL_INT("token", token), PL_INT("expected", expected),
	                   PL_BOOL("every_rank_every_lap", every)),
	         "the token came back as %ld = %ld laps x (0 + 1 + ... + %d), and every rank saw "
	         "it once a lap",
	         token, laps, n - 1);
}

/* The job on N ranks: the parts, the total, the seconds. */
struct job_result {
	uint64_t total, sum_of_parts, parts[MPI_LAUNCH_MAX_RANKS];
	int nparts;
	double seconds, max_cpu; /* wall time; the busiest rank's CPU time */
	bool done;
};

static void
run_job(int n, uint64_t numbers, struct job_result *res)
{
	char numbers_arg[32], line[256];
	const char *args[] = { "job", numbers_arg, NULL };
	struct mpi_job job;

	memset(res, 0, sizeof(*res));
	snprintf(numbers_arg, sizeof(numbers_arg), "%llu", (unsigned long long)numbers);
	start_ranks(&job, n, args);
	while (mpi_job_line(&job, line, sizeof(line), 120) == 1) {
		int r, size;
		unsigned long long a, b;

		double cpu;

		if (sscanf(line, "cpu %d %lf", &r, &cpu) == 2 && cpu > res->max_cpu) {
			res->max_cpu = cpu;
		} else if (sscanf(line, "part %d %llu", &r, &a) == 2 && r >= 0 && r < n) {
			res->parts[r] = a;
			res->nparts++;
		} else if (sscanf(line, "job %d %llu %llu %lf", &size, &a, &b, &res->seconds) ==
		           4) {
			res->total = a;
			res->sum_of_parts = b;
			res->done = true;
		}
	}
	mpi_job_ended_well(&job, mpi_job_wait(&job, 30));
}

static void
job_step(int n)
{
	double seconds = work_seconds / pl_narrate_get_config()->speed;
	uint64_t numbers = pl_measure_calibrate(seconds < 0.05 ? 0.05 : seconds, 0.02);
	struct job_result one, many;

	pl_step("collectives", PL_FIELDS(PL_INT("ranks", n), PL_INT("numbers", (long long)numbers)),
	        "one job, a hash of each number below %llu, summed: MPI_Scatter, compute, "
	        "MPI_Gather, MPI_Reduce over %d ranks, then the same on one rank",
	        (unsigned long long)numbers, n);
	run_job(n, numbers, &many);
	for (int r = 0; r < many.nparts; r++)
		pl_note("part",
		        PL_FIELDS(PL_INT("rank", r), PL_INT("part", (long long)many.parts[r])),
		        "rank %d summed numbers %llu to %llu: %016llx", r,
		        (unsigned long long)(numbers * (uint64_t)r / (uint64_t)n),
		        (unsigned long long)(numbers * (uint64_t)(r + 1) / (uint64_t)n - 1),
		        (unsigned long long)many.parts[r]);
	run_job(1, numbers, &one);
	/* The controller's own plain loop: no MPI at all. */
	uint64_t expected = pl_measure_crunch(0, numbers);

	pl_check("reduced",
	         many.done && many.nparts == n && many.total == many.sum_of_parts &&
	                 many.total == expected,
	         PL_FIELDS(PL_INT("parts", many.nparts),
	                   PL_BOOL("reduce_is_sum_of_gather", many.total == many.sum_of_parts),
	                   PL_BOOL("equals_loop", many.total == expected)),
	         "MPI_Reduce's total %016llx is the sum of the %d gathered parts, and the plain "
	         "loop's",
	         (unsigned long long)many.total, many.nparts);
	pl_check("one-rank", one.done && one.total == expected, NULL,
	         "on one rank the job gives the same total");

	/* Each of N ranks did 1/N of the work: its CPU time shows it, even
	 * when the machine is too busy for the wall time to. */
	pl_check("work-split", many.max_cpu > 0 && many.max_cpu < one.max_cpu * (1.0 / n + 0.25),
	         PL_FIELDS(PL_DOUBLE("one_cpu_s", one.max_cpu),
	                   PL_DOUBLE("busiest_rank_cpu_s", many.max_cpu)),
	         "the work was split: the busiest of %d ranks computed for %.3f s of CPU, the one "
	         "rank alone for %.3f s",
	         n, many.max_cpu, one.max_cpu);

	double speedup = many.seconds > 0 ? one.seconds / many.seconds : 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	pl_note("speedup",
	        PL_FIELDS(PL_DOUBLE("one_s", one.seconds), PL_DOUBLE("many_s", many.seconds),
	                  PL_DOUBLE("speedup", speedup), PL_INT("ranks", n),
	                  PL_INT("cores", cores)),
	        "1 rank: %.3f s, %d ranks: %.3f s: speedup %.2fx on %ld cores; measured, not "
	        "checked",
	        one.seconds, n, many.seconds, speedup, cores);
}

int
main(int argc, char *argv[])
{
	if (mpi_launch_is_rank("proclab-mpi-ring"))
		return rank_main(argc, argv);
	pl_demo_init(argc, argv, &demo);
	mpi_launch_setup("proclab-mpi-ring");
	ring_step((int)ranks_wanted);
	/* More ranks than cores cannot go faster, and ranks that wait poll
	 * the CPUs the others need: the job gets one rank a core. */
	if (job_ranks == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		job_ranks = cores < 2                      ? 2
		            : cores > MPI_LAUNCH_MAX_RANKS ? MPI_LAUNCH_MAX_RANKS
		                                           : cores;
	}
	job_step((int)job_ranks);
	return pl_demo_finish();
}
