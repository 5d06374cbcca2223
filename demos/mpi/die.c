/* mpi/die.c - proclab-mpi-die: one MPI rank dies: what the others see,
 * and what mpirun does.
 *
 * N ranks add up a number together, round after round, with
 * MPI_Allreduce. After some rounds one of them, the victim, is killed by
 * SIGKILL, as a crash or the kernel's out-of-memory killer would. It
 * shows, and proves while it runs, that
 *   1. the survivors see nothing: no error comes back to them, their
 *      round counters (read from outside, in /proc/PID/mem) stop where
 *      the victim stopped, and they wait in MPI_Allreduce for a rank that
 *      will never answer. MPI's default error handler
 *      (MPI_ERRORS_ARE_FATAL) would abort them, but there is no error to
 *      handle: a dead peer over shared memory is just silence;
 *   2. mpirun notices (it is the victim's parent: SIGCHLD and a wait
 *      status), says which rank died of which signal, and ends the job:
 *      every survivor is gone within seconds, none of them finished, and
 *      mpirun exits with a failure;
 *   3. nothing is left: mpirun removed the shared-memory segments and its
 *      session directory itself, so the demo had nothing to sweep.
 *
 * Usage:     proclab-mpi-die [--ranks N] [--victim R] [--json]
 * Dashboard: `proclab mpi-die` shows mpirun and its ranks, each with its
 *            rank as its role; the victim vanishes, the others keep
 *            running (polling) for a second, then vanish too.
 * Lesson:    lessons/21-mpi.md, the lesson of the four MPI demos
 *            (demos/mpi/README.md); launch.c here starts mpirun.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mpi.h>

#include "proclab.h"
#include "launch.h" /* the plumbing: mpirun, the ranks' lines, cleanup */

#define ROUNDS_BEFORE 200 /* the victim dies after this many rounds */
#define END_WITHIN_S 10.0 /* mpirun must end the job this soon */

static long ranks_wanted = 3;
static long victim = 1;

static const struct pl_option options[] = {
	{ "ranks", 'n', PL_OPT_INT, "N", "ranks in the job (default 3)", 2, MPI_LAUNCH_MAX_RANKS,
	  &ranks_wanted },
	{ "victim", 'v', PL_OPT_INT, "R", "the rank that dies (default 1)", 0,
	  MPI_LAUNCH_MAX_RANKS - 1, &victim },
};

static const struct pl_demo demo = {
	.name = "mpi-die",
	.summary = "One MPI rank dies: the others wait, mpirun ends the job.",
	.description = "N ranks reduce a number together, round after round; one is killed by\n"
	               "SIGKILL. The survivors get no error: their round counters stop, read\n"
	               "from /proc/PID/mem. mpirun reports the dead rank and its signal and ends\n"
	               "the job; nothing is left behind.",
	.lesson = "21-mpi.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* The ranks.                                                             */

/* Rounds done so far. volatile: the controller reads it from outside. */
static volatile long rounds;

static int
rank_main(int argc, char *argv[])
{
	int size, rank = mpi_rank_begin(&argc, &argv, &size);
	int dying = argc >= 2 ? atoi(argv[1]) : 1;
	long sum;

	mpi_rank_say("hello %d %ld %p", rank, (long)getpid(), (void *)&rounds);
	MPI_Barrier(MPI_COMM_WORLD);
	if (rank == 0 && !mpi_rank_wait_go())
		MPI_Abort(MPI_COMM_WORLD, 1);
	for (;;) {
		long one = 1;

		if (rank == dying && rounds == ROUNDS_BEFORE) {
			mpi_rank_say("dying %d %ld", rank, (long)getpid());
			raise(SIGKILL);
		}
		/* Every rank must take part, or none gets the sum. */
		MPI_Allreduce(&one, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
		rounds++;
		if (sum != size)
			MPI_Abort(MPI_COMM_WORLD, 2);
		if (rounds == 100000000) /* never reached: the victim dies first */
			break;
	}
	mpi_rank_say("finished %d", rank);
	MPI_Finalize();
	return 0;
}

/* ------------------------------------------------------------------ */
/* The controller.                                                        */

struct rank_view {
	pid_t pid;
	uintptr_t counter;
};

/* A rank's round counter, read through /proc/PID/mem, or -1 once it is
 * gone. */
static long
rounds_of(const struct rank_view *r)
{
	char path[64];
	long value = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)r->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (pread(fd, &value, sizeof(value), (off_t)r->counter) != (ssize_t)sizeof(value))
		value = -1;
	close(fd);
	return value;
}

static bool
ended(pid_t pid)
{
	struct pl_proc p;

	return pl_procfs_read(pid, &p) != 0 || p.state == 'Z' || p.state == 'X';
}

int
main(int argc, char *argv[])
{
	struct mpi_job job;
	struct rank_view r[MPI_LAUNCH_MAX_RANKS] = { { 0, 0 } };
	pid_t children[MPI_LAUNCH_MAX_RANKS];
	char victim_arg[16], line[1024], report[1024] = "";
	const char *args[] = { victim_arg, NULL };
	int n = (int)ranks_wanted, hellos = 0, finished = 0;
	long before[MPI_LAUNCH_MAX_RANKS], after[MPI_LAUNCH_MAX_RANKS];
	bool died = false;
	double death = 0;

	if (mpi_launch_is_rank("proclab-mpi-die"))
		return rank_main(argc, argv);
	pl_demo_init(argc, argv, &demo);
	n = (int)ranks_wanted;
	if (victim >= n)
		pl_die_usage("--victim must be a rank below --ranks (%d)", n);
	mpi_launch_setup("proclab-mpi-die");
	snprintf(victim_arg, sizeof(victim_arg), "%ld", victim);

	pl_step("start", PL_FIELDS(PL_INT("ranks", n), PL_INT("victim", victim)),
	        "%d ranks sum a number with MPI_Allreduce, round after round; rank %ld will die "
	        "after %d rounds",
	        n, victim, ROUNDS_BEFORE);
	mpi_job_start(&job, n, "vader,self", args, MPI_JOB_STDERR);
	while (hellos < n && mpi_job_expect(&job, "hello ", line, sizeof(line), 30, NULL) == 1) {
		int k;
		long pid;
		void *p;

		if (sscanf(line, "hello %d %ld %p", &k, &pid, &p) == 3 && k >= 0 && k < n &&
		    r[k].pid == 0) {
			r[k] = (struct rank_view){ (pid_t)pid, (uintptr_t)p };
			hellos++;
		}
	}
	int nchildren = mpi_job_ranks(&job, children, MPI_LAUNCH_MAX_RANKS);

	pl_check("ranks-are-children", hellos == n && nchildren == n,
	         PL_FIELDS(PL_INT("ranks", n), PL_INT("children", nchildren),
	                   PL_INT("mpirun", job.mpirun)),
	         "%d ranks, children of mpirun (PID %ld); rank %ld is PID %ld", n, (long)job.mpirun,
	         victim, (long)r[victim].pid);
	/* The step first: under --step it waits for Enter, and the ranks
	 * must not start (and the victim die) before the class is ready. */
	pl_step("death", NULL, "rank %ld dies of SIGKILL in the middle of the work", victim);
	mpi_job_tell(&job, "go");
	/* Everything mpirun and the ranks write, until mpirun ends. */
	while (mpi_job_line(&job, line, sizeof(line), 60) == 1) {
		int k;
		long pid;

		if (sscanf(line, "dying %d %ld", &k, &pid) == 2) {
			death = pl_measure_now();
			/* Twice, 100 ms apart, while mpirun is still ending the
			 * job (it takes about a second); the first time after a
			 * moment, so that the survivors can finish the round the
			 * victim took part in. */
			usleep(50 * 1000);
			for (int i = 0; i < n; i++)
				before[i] = rounds_of(&r[i]);
			usleep(100 * 1000);
			for (int i = 0; i < n; i++)
				after[i] = rounds_of(&r[i]);
			died = true;
		} else if (sscanf(line, "finished %d", &k) == 1) {
			finished++;
		} else if (strstr(line, "noticed that process rank") != NULL && report[0] == '\0') {
			snprintf(report, sizeof(report), "%s", line);
			pl_opts_printable(report);
		}
	}
	bool mpirun_done = mpi_job_wait(&job, END_WITHIN_S);
	double took = pl_measure_now() - death;

	for (int i = 0; died && i < n; i++)
		pl_note("rounds",
		        PL_FIELDS(PL_INT("rank", i), PL_INT("rank_pid", r[i].pid),
		                  PL_INT("before", before[i]), PL_INT("after", after[i])),
		        "rank %d: round counter %ld, and %ld 100 ms later%s", i, before[i],
		        after[i],
		        i == victim     ? " (the victim: -1 is gone)"
		        : before[i] < 0 ? " (already ended by mpirun)"
		                        : " (stuck in MPI_Allreduce, no error)");
	int stuck = 0, survivors = 0;

	for (int i = 0; died && i < n; i++)
		if (i != victim && before[i] >= 0) {
			survivors++;
			stuck += before[i] == after[i] && before[i] <= ROUNDS_BEFORE + 1;
		}
	pl_check("survivors-wait", died && survivors > 0 && stuck == survivors,
	         PL_FIELDS(PL_INT("looked_at", survivors), PL_INT("stuck", stuck)),
	         "no survivor went on: each of the %d still running had stopped at round %d or "
	         "%d, waiting for the dead rank",
	         survivors, ROUNDS_BEFORE, ROUNDS_BEFORE + 1);

	pl_step("mpirun", NULL, "what mpirun did");
	pl_note("mpirun-report", PL_FIELDS(PL_STR("line", report)), "mpirun said: %s",
	        report[0] ? report : "(nothing)");
	char want[64];

	/* Only the rank: Open MPI 4.1.4 prints "PID 0" there, not the PID. */
	snprintf(want, sizeof(want), "rank %ld with PID ", victim);
	pl_check("reported", strstr(report, want) != NULL && strstr(report, "signal 9") != NULL,
	         PL_FIELDS(PL_INT("rank", victim)),
	         "mpirun named the dead rank, %ld, and its signal, 9 (SIGKILL)", victim);
	int gone = 0;

	for (int i = 0; i < n; i++)
		gone += ended(r[i].pid);
	pl_check("job-ended",
	         mpirun_done && gone == n && finished == 0 && WIFEXITED(job.status) &&
	                 WEXITSTATUS(job.status) != 0,
	         PL_FIELDS(PL_INT("status", mpirun_done ? WEXITSTATUS(job.status) : -1),
	                   PL_DOUBLE("took_s", took), PL_INT("gone", gone),
	                   PL_INT("finished", finished)),
	         "mpirun ended the job %.2f s after the death: all %d ranks gone, none finished, "
	         "and mpirun exited %d (failure)",
	         took, n, mpirun_done ? WEXITSTATUS(job.status) : -1);
	if (!mpirun_done)
		mpi_job_stop(&job);
	pl_check("cleaned-by-mpirun", mpirun_done && job.swept == 0,
	         PL_FIELDS(PL_INT("swept", job.swept)),
	         "mpirun removed the shared-memory segments and its session directory itself: "
	         "the demo found nothing to sweep");
	return pl_demo_finish();
}
