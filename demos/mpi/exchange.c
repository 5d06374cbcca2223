/* mpi/exchange.c - proclab-mpi-exchange: the unsafe exchange, two ranks
 * each MPI_Send first.
 *
 * Rank 0 sends to rank 1 and rank 1 to rank 0, both with MPI_Send before
 * MPI_Recv. The MPI standard lets MPI_Send wait until the receiver has
 * posted its receive: such a program is "unsafe". Open MPI buffers a small
 * message and returns at once (the eager protocol); a large one waits for
 * the receiver (rendezvous). So the program works below the eager limit
 * and deadlocks above it. The demo shows, and proves while it runs, that
 *   1. there is a limit, and where it is on this machine and transport: a
 *      send of L bytes returns before the receiver has posted its receive
 *      (the sender's next message, "returned", arrives first), one of L+1
 *      bytes waits for it; both are probed again;
 *   2. below the limit the exchange completes, the data intact;
 *   3. above it both ranks are stuck in MPI_Send: neither says "sent",
 *      both are alive, and no byte reaches either receive buffer (read
 *      from outside, in /proc/PID/mem) while their CPU time grows: Open
 *      MPI polls, so the ranks spin rather than sleep. The demo ends the
 *      job itself after a bounded wait, and nothing is left;
 *   4. two fixes complete at the same size: MPI_Sendrecv, and MPI_Isend
 *      and MPI_Irecv completed by MPI_Waitall.
 *
 * Usage:     proclab-mpi-exchange [--transport shm|tcp] [--hang S] [--json]
 * Dashboard: `proclab mpi-exchange` shows rank 0 and rank 1 under mpirun;
 *            during the deadlock both are running (polling), not asleep,
 *            each at a share of a CPU.
 * Lesson:    lessons/21-mpi.md, the lesson of the four MPI demos
 *            (demos/mpi/README.md); launch.c here starts mpirun.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "proclab.h"
#include "launch.h" /* the plumbing: mpirun, the ranks' lines, cleanup */

/* A send is rendezvous when, with no receive posted, it has not returned
 * after the sender had PROBE_CPU_S on a CPU, or a CPU PROBE_SLICES times
 * (an eager send is a copy of a few KiB: microseconds, and 2 to 5 times
 * measured on a busy machine), and PROBE_WAIT_S have passed; a sender
 * that cannot get that much in PROBE_GIVE_UP_S is taken as waiting too. */
#define PROBE_CPU_S 0.02
#define PROBE_SLICES 20
#define PROBE_WAIT_S 0.05
#define PROBE_GIVE_UP_S 10.0
#define PROBE_DRAIN 1000 /* rounds of progress before calling it rendezvous */
#define TAG_DATA 0
#define TAG_RETURNED 1 /* "my MPI_Send of the data has returned" */
#define TAG_VERDICT 2  /* rank 1's verdict, to rank 0 */
#define MAX_PROBE (16 << 20)
#define ABOVE_FACTOR 4 /* the unsafe size: this many times the limit */
#define RECOVER_S 5.0  /* the stuck job must be gone this soon */

static const char *transport_choice = "shm";
static double hang_seconds = 1.0;

static const struct pl_option options[] = {
	{ "transport", 't', PL_OPT_STRING, "T", "shm (the default) or tcp", 0, 0,
	  &transport_choice },
	{ "hang", 'H', PL_OPT_DOUBLE, "S",
	  "how long to watch the deadlock before ending it (default 1)", 0.2, 30, &hang_seconds },
};

static const struct pl_demo demo = {
	.name = "mpi-exchange",
	.summary = "Two MPI ranks both MPI_Send first: fine below the eager limit, deadlock above.",
	.description = "The demo finds Open MPI's eager limit on this machine, runs the unsafe\n"
	               "exchange below it (it completes) and above it (both ranks wait in\n"
	               "MPI_Send for ever), proves the deadlock from /proc, ends the job\n"
	               "itself, and then runs the two fixes: MPI_Sendrecv, and\n"
	               "MPI_Isend/MPI_Irecv with MPI_Waitall.",
	.lesson = "21-mpi.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* The ranks.                                                             */

/* What the scheduler says of the main thread of process PID: how long it
 * has run on a CPU, in seconds, and how many times it was given one. The
 * first and third fields of /proc/PID/task/PID/schedstat
 * (Documentation/scheduler/sched-stats.rst). Returns false if it cannot
 * be read. */
static bool
scheduled(pid_t pid, double *cpu, double *slices)
{
	char path[64], text[128];
	unsigned long long ns, wait_ns, count;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/schedstat", (long)pid, (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	if (sscanf(text, "%llu %llu %llu", &ns, &wait_ns, &count) != 3)
		return false;
	*cpu = ns / 1e9;
	*slices = (double)count;
	return true;
}

/* What rank 1 saw in a probe: sent to rank 0 as 4 MPI_DOUBLEs. */
struct verdict {
	double eager;  /* 1: the "returned" message came first */
	double cpu_s;  /* rank 0's time on a CPU meanwhile */
	double slices; /* how many times it was given a CPU meanwhile */
	double waited_s;
};

/* Is a send of SIZE bytes eager? Rank 0 sends it and, once its MPI_Send
 * has returned, says so in a second message (tag RETURNED). Rank 1 posts
 * no receive for the first meanwhile, and watches for the second:
 *   - it comes: MPI_Send returned with no receive posted, so the message
 *     was buffered. Eager, proved by the order of events.
 *   - it has not come, and rank 0 (PID0) has had PROBE_CPU_S on a CPU, or
 *     a CPU PROBE_SLICES times, since the probe began (and PROBE_WAIT_S
 *     have passed): rank 0 is in MPI_Send, polling for the receiver, far
 *     longer than a copy takes. Rendezvous.
 * Neither verdict depends on how busy the machine is: there rank 0 gets
 * its CPU later, and rank 1 waits longer. A stopwatch around MPI_Send
 * would call an eager send that lost its CPU for a while rendezvous. */
static struct verdict
probe(int rank, pid_t pid0, long size, char *buf)
{
	struct verdict v = { 0, 0, 0, 0 };

	MPI_Bcast(&size, 1, MPI_LONG, 0, MPI_COMM_WORLD);
	if (rank == 0) {
		MPI_Request req;
		int done = 0;

		MPI_Send(buf, (int)size, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD);
		MPI_Send(NULL, 0, MPI_BYTE, 1, TAG_RETURNED, MPI_COMM_WORLD);
		/* Wait for the verdict mostly asleep: rank 0's CPU time should
		 * grow in MPI_Send, where rank 1 counts it, not after. */
		MPI_Irecv(&v, 4, MPI_DOUBLE, 1, TAG_VERDICT, MPI_COMM_WORLD, &req);
		while (MPI_Test(&req, &done, MPI_STATUS_IGNORE), !done)
			usleep(2000);
	} else {
		double start = MPI_Wtime(), cpu0, slices0, cpu, slices;
		bool known = scheduled(pid0, &cpu0, &slices0);
		int eager = 0;

		/* Busy in MPI, as a rank stuck in its own MPI_Send is, but with no
		 * receive posted for the data: MPI_Iprobe drives Open MPI's
		 * progress engine and looks only for the second message. Rank 0
		 * is read before each look, so that its time after sending
		 * RETURNED never counts as time in MPI_Send. */
		for (;;) {
			if (known && scheduled(pid0, &cpu, &slices)) {
				v.cpu_s = cpu - cpu0;
				v.slices = slices - slices0;
			}
			v.waited_s = MPI_Wtime() - start;
			MPI_Iprobe(0, TAG_RETURNED, MPI_COMM_WORLD, &eager, MPI_STATUS_IGNORE);
			if (eager || v.waited_s >= PROBE_GIVE_UP_S)
				break;
			if (v.waited_s >= PROBE_WAIT_S &&
			    (!known || v.cpu_s >= PROBE_CPU_S || v.slices >= PROBE_SLICES)) {
				/* One MPI_Iprobe drives the progress engine one round,
				 * which may take in the data and not yet "returned"
				 * behind it. Rank 0's time was read before the message
				 * was looked for; had it been sent by then, a few more
				 * rounds bring it in. */
				for (int round = 0; round < PROBE_DRAIN && !eager; round++)
					MPI_Iprobe(0, TAG_RETURNED, MPI_COMM_WORLD, &eager,
					           MPI_STATUS_IGNORE);
				break;
			}
			usleep(200);
		}
		v.eager = eager;
		MPI_Recv(buf, (int)size, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_RETURNED, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		MPI_Send(&v, 4, MPI_DOUBLE, 0, TAG_VERDICT, MPI_COMM_WORLD);
	}
	return v;
}

/* Probe SIZE; rank 0 reports what rank 1 saw. */
static bool
eager_send(int rank, pid_t pid0, long size, char *buf)
{
	struct verdict v = probe(rank, pid0, size, buf);

	if (rank == 0)
		mpi_rank_say("probe %ld %d %.6f %.0f %.6f", size, v.eager != 0, v.cpu_s, v.slices,
		             v.waited_s);
	return v.eager != 0;
}

static void
rank_limit(int rank)
{
	char *buf = calloc(1, MAX_PROBE);
	long lo = 1, hi = 1024;     /* lo returned at once, hi waited */
	long pid0 = (long)getpid(); /* rank 1 watches rank 0's CPU time */

	if (buf == NULL)
		MPI_Abort(MPI_COMM_WORLD, 1);
	MPI_Bcast(&pid0, 1, MPI_LONG, 0, MPI_COMM_WORLD);
	while (eager_send(rank, (pid_t)pid0, hi, buf) && hi < MAX_PROBE)
		lo = hi, hi *= 2;
	while (hi - lo > 1) {
		long mid = lo + (hi - lo) / 2;

		if (eager_send(rank, (pid_t)pid0, mid, buf))
			lo = mid;
		else
			hi = mid;
	}
	/* Again, each twice: the limit holds on both sides of it. */
	bool again = eager_send(rank, (pid_t)pid0, lo, buf) &&
	             eager_send(rank, (pid_t)pid0, lo, buf) &&
	             !eager_send(rank, (pid_t)pid0, lo + 1, buf) &&
	             !eager_send(rank, (pid_t)pid0, lo + 1, buf);

	if (rank == 0)
		mpi_rank_say("limit %ld %d", lo, again);
	free(buf);
}

/* The exchange, three ways. Each rank sends SIZE bytes of (rank + 1) and
 * receives into a buffer of zeros, whose address it tells the controller
 * so that it can look from outside. */
static void
rank_exchange(int rank, const char *how, long size)
{
	int peer = 1 - rank;
	char *out = malloc((size_t)size), *in = calloc(1, (size_t)size);
	long wrong = 0;

	if (out == NULL || in == NULL)
		MPI_Abort(MPI_COMM_WORLD, 1);
	memset(out, rank + 1, (size_t)size);
	mpi_rank_say("buffer %d %ld %p", rank, (long)getpid(), (void *)in);
	MPI_Barrier(MPI_COMM_WORLD);
	mpi_rank_say("sending %d", rank);
	if (strcmp(how, "send") == 0) {
		/* Unsafe: both send first. */
		MPI_Send(out, (int)size, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
		mpi_rank_say("sent %d", rank);
		MPI_Recv(in, (int)size, MPI_BYTE, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	} else if (strcmp(how, "sendrecv") == 0) {
		/* Fix 1: one call that sends and receives; MPI orders them. */
		MPI_Sendrecv(out, (int)size, MPI_BYTE, peer, 0, in, (int)size, MPI_BYTE, peer, 0,
		             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		mpi_rank_say("sent %d", rank);
	} else {
		/* Fix 2: post both, then wait for both. */
		MPI_Request req[2];

		MPI_Irecv(in, (int)size, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &req[0]);
		MPI_Isend(out, (int)size, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &req[1]);
		MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
		mpi_rank_say("sent %d", rank);
	}
	for (long i = 0; i < size; i++)
		wrong += in[i] != peer + 1;
	mpi_rank_say("received %d %ld", rank, wrong);
	free(out);
	free(in);
}

static int
rank_main(int argc, char *argv[])
{
	int size, rank = mpi_rank_begin(&argc, &argv, &size);

	if (size != 2 || argc < 2)
		MPI_Abort(MPI_COMM_WORLD, 1);
	if (strcmp(argv[1], "limit") == 0)
		rank_limit(rank);
	else if (argc >= 3)
		rank_exchange(rank, argv[1], atol(argv[2]));
	MPI_Finalize();
	return 0;
}

/* ------------------------------------------------------------------ */
/* The controller.                                                        */

static const char *btl;

static long
find_limit(void)
{
	const char *args[] = { "limit", NULL };
	struct mpi_job job;
	char line[256];
	long limit = -1, probes = 0, size;
	int again = 0, eager;
	double cpu, slices, waited;

	pl_step("limit", PL_FIELDS(PL_STR("btl", btl)),
	        "where is the eager limit? rank 0 sends, then says \"my MPI_Send returned\"; "
	        "rank 1 posts no receive until that comes, or until rank 0 has run %.0f ms, or "
	        "been given a CPU %d times, without it (/proc/PID/schedstat)",
	        PROBE_CPU_S * 1000, PROBE_SLICES);
	mpi_job_start(&job, 2, btl, args, 0);
	while (mpi_job_line(&job, line, sizeof(line), 60) == 1) {
		if (sscanf(line, "probe %ld %d %lf %lf %lf", &size, &eager, &cpu, &slices,
		           &waited) == 5) {
			probes++;
			pl_note("probe",
			        PL_FIELDS(PL_INT("size", size), PL_BOOL("eager", eager),
			                  PL_DOUBLE("cpu_ms", cpu * 1000),
			                  PL_INT("slices", (long)slices),
			                  PL_DOUBLE("waited_ms", waited * 1000)),
			        eager ? "MPI_Send of %8ld B returned before the receive was posted: "
			                "buffered (eager)"
			              : "MPI_Send of %8ld B still ran after %.0f ms on a CPU, given one "
			                "%.0f times: it waits for the receive (rendezvous)",
			        size, cpu * 1000, slices);
		} else if (sscanf(line, "limit %ld %d", &limit, &again) == 2) {
			break;
		}
	}
	mpi_job_ended_well(&job, mpi_job_wait(&job, 30));
	pl_check("limit-found", limit > 0 && again,
	         PL_FIELDS(PL_INT("limit", limit), PL_INT("probes", probes), PL_STR("btl", btl)),
	         "the eager limit over %s is %ld B: %ld B return at once and %ld B wait, "
	         "each measured twice more",
	         btl, limit, limit, limit + 1);
	if (limit <= 0)
		exit(pl_demo_finish());
	return limit;
}

/* The ranks' PIDs and receive buffers, as they told them. */
struct rank_view {
	pid_t pid;
	uintptr_t buffer;
	bool sending, sent, received;
	long wrong;
};

static void
hear(const char *line, struct rank_view *r)
{
	int n;
	long pid, wrong;
	void *p;

	if (sscanf(line, "buffer %d %ld %p", &n, &pid, &p) == 3 && (n == 0 || n == 1)) {
		r[n].pid = (pid_t)pid;
		r[n].buffer = (uintptr_t)p;
	} else if (sscanf(line, "sending %d", &n) == 1 && (n == 0 || n == 1)) {
		r[n].sending = true;
	} else if (sscanf(line, "sent %d", &n) == 1 && (n == 0 || n == 1)) {
		r[n].sent = true;
	} else if (sscanf(line, "received %d %ld", &n, &wrong) == 2 && (n == 0 || n == 1)) {
		r[n].received = true;
		r[n].wrong = wrong;
	}
}

/* How many bytes of the rank's receive buffer are no longer zero, read
 * from outside through /proc/PID/mem (proc(5): a descendant's memory is
 * readable by its ancestor, as ptrace would be). -1 if it cannot tell. */
static long
bytes_arrived(const struct rank_view *r, long size)
{
	char path[64];
	static char buf[1 << 16];
	long nonzero = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)r->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (long off = 0; off < size;) {
		size_t chunk =
		        (size_t)(size - off) < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		ssize_t n = pread(fd, buf, chunk, (off_t)(r->buffer + (uintptr_t)off));

		if (n <= 0) {
			close(fd);
			return -1;
		}
		for (ssize_t i = 0; i < n; i++)
			nonzero += buf[i] != 0;
		off += n;
	}
	close(fd);
	return nonzero;
}

static double
cpu_seconds(pid_t pid)
{
	struct pl_proc p;

	return pl_procfs_read(pid, &p) == 0 ? p.user_seconds + p.system_seconds : -1;
}

static void
start_exchange(struct mpi_job *job, const char *how, long size, struct rank_view *r)
{
	char size_arg[32], line[256];
	const char *args[] = { how, size_arg, NULL };

	snprintf(size_arg, sizeof(size_arg), "%ld", size);
	memset(r, 0, 2 * sizeof(*r));
	mpi_job_start(job, 2, btl, args, 0);
	while (!(r[0].sending && r[1].sending) && mpi_job_line(job, line, sizeof(line), 30) == 1)
		hear(line, r);
}

/* An exchange that must complete: all of it, the data right. */
static void
exchange_completes(const char *id, const char *how, long size, const char *what)
{
	struct mpi_job job;
	struct rank_view r[2];
	char line[256];

	pl_step(id, PL_FIELDS(PL_STR("call", how), PL_INT("size", size)), "%s, %ld B each way",
	        what, size);
	start_exchange(&job, how, size, r);
	while (!(r[0].received && r[1].received) && mpi_job_line(&job, line, sizeof(line), 30) == 1)
		hear(line, r);
	mpi_job_ended_well(&job, mpi_job_wait(&job, 30));
	pl_check(id, r[0].received && r[1].received && r[0].wrong == 0 && r[1].wrong == 0,
	         PL_FIELDS(PL_STR("call", how), PL_INT("size", size), PL_INT("wrong0", r[0].wrong),
	                   PL_INT("wrong1", r[1].wrong)),
	         "both ranks got the other's %ld B, every byte right", size);
}

/* PID has ended: gone from /proc, or a zombie that mpirun's death left
 * for another process to reap. Polled for a second at most. */
static bool
rank_gone(pid_t pid)
{
	struct pl_proc p;

	for (int i = 0; i < 100; i++) {
		if (pl_procfs_read(pid, &p) != 0 || p.state == 'Z' || p.state == 'X')
			return true;
		usleep(10 * 1000);
	}
	return false;
}

static void
deadlock_step(long size)
{
	struct mpi_job job;
	struct rank_view r[2];
	char line[256];
	double cpu0[2], cpu1[2], start, waited;
	long before[2], after[2];
	struct pl_proc p[2];
	char state[2] = "?";
	pid_t ranks[MPI_LAUNCH_MAX_RANKS];

	pl_step("above", PL_FIELDS(PL_STR("call", "send"), PL_INT("size", size)),
	        "above the limit: MPI_Send then MPI_Recv on both sides, %ld B each way", size);
	start_exchange(&job, "send", size, r);
	for (int i = 0; i < 2; i++) {
		before[i] = bytes_arrived(&r[i], size);
		cpu0[i] = cpu_seconds(r[i].pid);
	}
	/* Watch for HANG seconds: a "sent" would end the wait. */
	start = pl_measure_now();
	while (!(r[0].sent || r[1].sent) && (waited = pl_measure_now() - start) < hang_seconds &&
	       mpi_job_line(&job, line, sizeof(line), hang_seconds - waited) == 1)
		hear(line, r);
	waited = pl_measure_now() - start;
	int alive = 0;

	for (int i = 0; i < 2; i++) {
		after[i] = bytes_arrived(&r[i], size);
		cpu1[i] = cpu_seconds(r[i].pid);
		alive += pl_procfs_read(r[i].pid, &p[i]) == 0 && p[i].state != 'Z';
		state[0] = p[i].state;
		pl_note("rank-state",
		        PL_FIELDS(PL_INT("rank", i), PL_INT("rank_pid", r[i].pid),
		                  PL_STR("state", state), PL_DOUBLE("cpu_s", cpu1[i] - cpu0[i]),
		                  PL_INT("bytes_before", before[i]),
		                  PL_INT("bytes_after", after[i])),
		        "rank %d (PID %ld): state %c, %.2f s of CPU in %.1f s, bytes in its "
		        "receive buffer: %ld then %ld",
		        i, (long)r[i].pid, p[i].state, cpu1[i] - cpu0[i], waited, before[i],
		        after[i]);
	}
	bool stuck = !r[0].sent && !r[1].sent && alive == 2 && mpi_job_ranks(&job, ranks, 16) == 2;

	pl_check("deadlocked",
	         stuck && before[0] == 0 && after[0] == 0 && before[1] == 0 && after[1] == 0,
	         PL_FIELDS(PL_DOUBLE("waited_s", waited), PL_INT("alive", alive),
	                   PL_BOOL("sent0", r[0].sent), PL_BOOL("sent1", r[1].sent)),
	         "deadlock: after %.1f s neither rank has returned from MPI_Send, both are alive, "
	         "and no byte reached either receive buffer (/proc/PID/mem)",
	         waited);
	pl_note("spinning",
	        PL_FIELDS(PL_DOUBLE("cpu0_s", cpu1[0] - cpu0[0]),
	                  PL_DOUBLE("cpu1_s", cpu1[1] - cpu0[1])),
	        "they are not asleep: Open MPI polls for the message that never comes, so a "
	        "blocked rank shows as running and burns CPU");
	/* Recover: end the job ourselves, within a bounded time. */
	start = pl_measure_now();
	mpi_job_stop(&job);
	waited = pl_measure_now() - start;
	bool gone = rank_gone(r[0].pid) && rank_gone(r[1].pid);

	pl_check("recovered", job.ended && gone && waited < RECOVER_S,
	         PL_FIELDS(PL_DOUBLE("stop_s", waited), PL_INT("status", job.status)),
	         "the demo ended the stuck job (SIGTERM to mpirun) in %.2f s; both ranks are gone",
	         waited);
}

int
main(int argc, char *argv[])
{
	if (mpi_launch_is_rank("proclab-mpi-exchange"))
		return rank_main(argc, argv);
	pl_demo_init(argc, argv, &demo);
	if (strcmp(transport_choice, "shm") == 0)
		btl = "vader,self";
	else if (strcmp(transport_choice, "tcp") == 0)
		btl = "tcp,self";
	else
		pl_die_usage("--transport must be shm or tcp, not '%s'", transport_choice);
	/* The deadlock is watched for --hang seconds, divided by --speed like
	 * every pause, but long enough to mean something. */
	hang_seconds /= pl_narrate_get_config()->speed;
	if (hang_seconds < 0.3)
		hang_seconds = 0.3;
	mpi_launch_setup("proclab-mpi-exchange");

	long limit = find_limit();

	exchange_completes("below", "send", limit,
	                   "at the limit: MPI_Send then MPI_Recv on both sides");
	deadlock_step(ABOVE_FACTOR * limit);
	exchange_completes("sendrecv", "sendrecv", ABOVE_FACTOR * limit,
	                   "fix 1: MPI_Sendrecv on both sides");
	exchange_completes("nonblocking", "isend", ABOVE_FACTOR * limit,
	                   "fix 2: MPI_Irecv and MPI_Isend, then MPI_Waitall");
	return pl_demo_finish();
}
