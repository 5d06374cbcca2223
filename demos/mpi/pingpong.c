/* mpi/pingpong.c - proclab-mpi-pingpong: two MPI ranks bounce messages,
 * latency and throughput by size, over shared memory and over TCP, beside
 * pipes and sockets.
 *
 * The demo starts `mpirun -np 2` on itself twice: once with the shared-
 * memory transport (--mca btl vader,self, Open MPI's default between ranks
 * of one machine) and once with TCP only (--mca btl tcp,self), which makes
 * one machine behave like two: the bytes go through the kernel's TCP stack
 * as they would to another machine, only over loopback. It shows, and
 * proves while it runs, that
 *   1. the ranks are two processes, children of mpirun, and the transport
 *      is the one asked for: over shared memory each rank maps both ranks'
 *      segments (/proc/PID/maps); over TCP neither does, and the kernel
 *      lists an established TCP connection between them (/proc/net/tcp);
 *   2. every message arrived intact (its sequence number at both ends);
 *   3. beside it, proclab-ipcbench measures a pipe and a Unix socket in the
 *      same run, and the demo prints MPI's figures as ratios to theirs:
 *      measurements, never checked.
 *
 * Usage:     proclab-mpi-pingpong [--transport shm|tcp|both] [--seconds S] [--json]
 * Dashboard: `proclab mpi-pingpong` shows mpirun and its two ranks, each
 *            with its rank as its role, both busy: Open MPI polls.
 * Lesson:    lessons/21-mpi.md, the lesson of the four MPI demos
 *            (demos/mpi/README.md); launch.c here starts mpirun.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "proclab.h"
#include "launch.h" /* the plumbing: mpirun, the ranks' lines, cleanup */

#define LATENCY_SIZE 8
#define NSIZES 4
static const int sizes[NSIZES] = { 64, 4096, 65536, 1 << 20 };
#define MAX_TRIPS 20000

static const char *transport_choice = "both";
static double seconds = 2.0;

static const struct pl_option options[] = {
	{ "transport", 't', PL_OPT_STRING, "T", "shm, tcp, or both (the default)", 0, 0,
	  &transport_choice },
	{ "seconds", 's', PL_OPT_DOUBLE, "S",
	  "about how long the measurements take at --speed 1 (default 2)", 0.2, 60, &seconds },
};

static const struct pl_demo demo = {
	.name = "mpi-pingpong",
	.summary = "Two MPI ranks bounce messages over shared memory and TCP, beside pipes.",
	.description = "Latency (8-byte round trips) and throughput (a stream of 64 B to 1 MiB\n"
	               "messages) between two ranks started by mpirun, over Open MPI's shared-\n"
	               "memory transport and over TCP. The transport is proved from /proc; each\n"
	               "message is checked. proclab-ipcbench measures a pipe and a Unix socket\n"
	               "in the same run, and MPI's figures are shown as ratios to theirs.",
	.lesson = "21-mpi.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* The ranks. Rank 0 times, rank 1 answers. Before each cell rank 0    */
/* sends how many messages it will send; the payload carries its        */
/* sequence number at both ends, which the receiver checks.             */

static void
stamp(char *buf, int size, long seq)
{
	memcpy(buf, &seq, sizeof(seq));
	if (size >= 16)
		memcpy(buf + size - sizeof(seq), &seq, sizeof(seq));
}

static bool
stamped(const char *buf, int size, long seq)
{
	long head, tail = seq;

	memcpy(&head, buf, sizeof(head));
	if (size >= 16)
		memcpy(&tail, buf + size - sizeof(tail), sizeof(tail));
	return head == seq && tail == seq;
}

/* Tags: a message to time, or the last one of a cell. */
enum { MORE = 1, LAST = 2, ACK = 3 };

/* Round trips of LATENCY_SIZE bytes for BUDGET seconds: rank 0 times
 * each one and tags the last one LAST; rank 1 echoes until then. */
static void
rank_latency(int rank, double budget, char *buf, long *bad)
{
	static double trips[MAX_TRIPS];
	double end = MPI_Wtime() + budget;
	MPI_Status st;
	long n = 0;

	for (int tag = MORE; tag == MORE; n++) {
		if (rank == 0) {
			double t = MPI_Wtime();

			tag = n + 1 >= MAX_TRIPS || t >= end ? LAST : MORE;
			stamp(buf, LATENCY_SIZE, n);
			MPI_Send(buf, LATENCY_SIZE, MPI_BYTE, 1, tag, MPI_COMM_WORLD);
			MPI_Recv(buf, LATENCY_SIZE, MPI_BYTE, 1, tag, MPI_COMM_WORLD, &st);
			trips[n] = (MPI_Wtime() - t) * 1e6;
		} else {
			MPI_Recv(buf, LATENCY_SIZE, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
			tag = st.MPI_TAG;
			MPI_Send(buf, LATENCY_SIZE, MPI_BYTE, 0, tag, MPI_COMM_WORLD);
		}
		*bad += !stamped(buf, LATENCY_SIZE, n);
	}
	if (rank == 0)
		mpi_rank_say("latency %d %.3f %.3f %ld", LATENCY_SIZE,
		             pl_measure_median(trips, (size_t)n),
		             pl_measure_percentile(trips, (size_t)n, 99), n);
}

/* A stream of messages of SIZE bytes for BUDGET seconds, the last one
 * tagged LAST, then a one-byte answer: MB/s. */
static void
rank_throughput(int rank, int size, double budget, char *buf, long *bad)
{
	double t = MPI_Wtime(), end = t + budget;
	MPI_Status st;
	char ack = 0;
	long n = 0;

	for (int tag = MORE; tag == MORE; n++) {
		if (rank == 0) {
			tag = MPI_Wtime() >= end ? LAST : MORE;
			stamp(buf, size, n);
			MPI_Send(buf, size, MPI_BYTE, 1, tag, MPI_COMM_WORLD);
		} else {
			MPI_Recv(buf, size, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
			tag = st.MPI_TAG;
			*bad += !stamped(buf, size, n);
		}
	}
	if (rank == 0) {
		MPI_Recv(&ack, 1, MPI_BYTE, 1, ACK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		t = MPI_Wtime() - t;
		mpi_rank_say("throughput %d %.3f %ld", size, (double)size * (double)n / t / 1e6, n);
	} else {
		MPI_Send(&ack, 1, MPI_BYTE, 0, ACK, MPI_COMM_WORLD);
	}
}

static int
rank_main(int argc, char *argv[])
{
	int size, rank = mpi_rank_begin(&argc, &argv, &size);
	double budget = argc > 2 ? atof(argv[2]) : 0.1;
	char *buf = calloc(1, (size_t)sizes[NSIZES - 1]);
	long bad = 0, all_bad = 0;

	if (buf == NULL || size != 2)
		MPI_Abort(MPI_COMM_WORLD, 1);
	/* One exchange first, so that the transport is set up before the
	 * controller looks (TCP connects at the first message). */
	MPI_Sendrecv_replace(buf, 1, MPI_BYTE, 1 - rank, 0, 1 - rank, 0, MPI_COMM_WORLD,
	                     MPI_STATUS_IGNORE);
	mpi_rank_say("hello %d %ld", rank, (long)getpid());
	MPI_Barrier(MPI_COMM_WORLD);
	if (rank == 0 && !mpi_rank_wait_go())
		MPI_Abort(MPI_COMM_WORLD, 1);
	MPI_Barrier(MPI_COMM_WORLD);
	rank_latency(rank, budget, buf, &bad);
	for (int i = 0; i < NSIZES; i++)
		rank_throughput(rank, sizes[i], budget, buf, &bad);
	MPI_Reduce(&bad, &all_bad, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		mpi_rank_say("intact %ld", all_bad);
	free(buf);
	MPI_Finalize();
	return 0;
}

/* ------------------------------------------------------------------ */
/* The controller.                                                        */

enum transport { SHM, TCP };
static const char *const transport_names[] = { "shm", "tcp" };
static const char *const btls[] = { "vader,self", "tcp,self" };

/* What one run measured: latency in us, throughput in MB/s by size. */
struct figures {
	bool measured;
	double latency_us;
	double mb_s[NSIZES];
};

static struct figures mpi_figures[2], pipe_figures, unix_figures;

static int
size_index(int size)
{
	for (int i = 0; i < NSIZES; i++)
		if (sizes[i] == size)
			return i;
	return -1;
}

/* The TCP connections the kernel lists, from /proc/net/tcp (proc(5)):
 * local and remote address:port in hex, the state (01: ESTABLISHED), the
 * socket's inode. */
struct tcp_conn {
	char local[40], remote[40];
	unsigned long inode;
};

static int
read_tcp(struct tcp_conn *conns, int max)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	int n = 0;

	if (f == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		struct tcp_conn c;
		unsigned state;

		if (sscanf(line, " %*d: %39s %39s %x %*s %*s %*s %*s %*s %lu", c.local, c.remote,
		           &state, &c.inode) == 4 &&
		    state == 1)
			conns[n++] = c;
	}
	fclose(f);
	return n;
}

/* Does PID hold a socket with inode INODE? */
static bool
holds_socket(pid_t pid, unsigned long inode)
{
	static struct pl_fd fds[256];
	int n = pl_procfs_fds(pid, fds, PL_COUNT(fds));

	for (int i = 0; i < n && i < (int)PL_COUNT(fds); i++)
		if (strcmp(fds[i].kind, "socket") == 0 && fds[i].inode == inode)
			return true;
	return false;
}

/* An established connection whose one end A holds and the other B. */
static bool
tcp_between(pid_t a, pid_t b)
{
	static struct tcp_conn conns[1024];
	int n = read_tcp(conns, PL_COUNT(conns));

	for (int i = 0; i < n; i++) {
		if (!holds_socket(a, conns[i].inode))
			continue;
		for (int j = 0; j < n; j++)
			if (strcmp(conns[j].local, conns[i].remote) == 0 &&
			    strcmp(conns[j].remote, conns[i].local) == 0 &&
			    holds_socket(b, conns[j].inode))
				return true;
	}
	return false;
}

static void
run_transport(enum transport tr, double budget)
{
	char budget_arg[32], line[512];
	const char *args[] = { "pingpong", budget_arg, NULL };
	struct mpi_job job;
	pid_t rank_pid[2] = { 0, 0 }, children[MPI_LAUNCH_MAX_RANKS];
	int nchildren, hellos = 0, cells = 0;
	long bad = -1;
	struct figures *fig = &mpi_figures[tr];

	snprintf(budget_arg, sizeof(budget_arg), "%.4f", budget);
	pl_step(transport_names[tr], PL_FIELDS(PL_STR("btl", btls[tr])),
	        "two ranks over %s: mpirun -np 2 --mca btl %s",
	        tr == SHM ? "shared memory" : "TCP (loopback)", btls[tr]);
	mpi_job_start(&job, 2, btls[tr], args, 0);
	while (hellos < 2 && mpi_job_expect(&job, "hello ", line, sizeof(line), 30, NULL) == 1) {
		int r;
		long pid;

		if (sscanf(line, "hello %d %ld", &r, &pid) == 2 && r >= 0 && r < 2) {
			rank_pid[r] = (pid_t)pid;
			hellos++;
		}
	}
	nchildren = mpi_job_ranks(&job, children, MPI_LAUNCH_MAX_RANKS);
	bool theirs = hellos == 2 && nchildren == 2 &&
	              ((children[0] == rank_pid[0] && children[1] == rank_pid[1]) ||
	               (children[0] == rank_pid[1] && children[1] == rank_pid[0]));
	pl_check("ranks-are-children", theirs,
	         PL_FIELDS(PL_INT("mpirun", job.mpirun), PL_INT("rank0", rank_pid[0]),
	                   PL_INT("rank1", rank_pid[1])),
	         "rank 0 is PID %ld and rank 1 is PID %ld, the two children of mpirun (PID %ld)",
	         (long)rank_pid[0], (long)rank_pid[1], (long)job.mpirun);
	/* vader's segments, one a rank; Open MPI's session directory, with
	 * PMIx's segments, is in the same directory. */
	char segments[PATH_MAX];

	snprintf(segments, sizeof(segments), "%s/vader_segment.", mpi_launch_shm_dir());
	int maps0 = pl_procfs_count_maps(rank_pid[0], segments);
	int maps1 = pl_procfs_count_maps(rank_pid[1], segments);
	bool tcp = hellos == 2 && tcp_between(rank_pid[0], rank_pid[1]);

	if (tr == SHM)
		pl_check("transport", maps0 >= 2 && maps1 >= 2 && !tcp,
		         PL_FIELDS(PL_STR("transport", "shm"), PL_INT("maps0", maps0),
		                   PL_INT("maps1", maps1), PL_BOOL("tcp", tcp)),
		         "shared memory: each rank maps both segments of %s (/proc/PID/maps: %d "
		         "and %d), and no TCP connection joins them",
		         mpi_launch_shm_dir(), maps0, maps1);
	else
		pl_check("transport", maps0 == 0 && maps1 == 0 && tcp,
		         PL_FIELDS(PL_STR("transport", "tcp"), PL_INT("maps0", maps0),
		                   PL_INT("maps1", maps1), PL_BOOL("tcp", tcp)),
		         "TCP: an established connection joins the two ranks (/proc/net/tcp and "
		         "their fds), and neither maps a shared-memory segment");
	mpi_job_tell(&job, "go");
	while (mpi_job_line(&job, line, sizeof(line), 60) == 1) {
		int size, n;
		double a, b;

		if (sscanf(line, "latency %d %lf %lf %d", &size, &a, &b, &n) == 4) {
			fig->latency_us = a;
			cells++;
			pl_note("cell",
			        PL_FIELDS(PL_STR("transport", transport_names[tr]),
			                  PL_STR("metric", "latency"), PL_INT("size", size),
			                  PL_DOUBLE("median_us", a), PL_DOUBLE("p99_us", b),
			                  PL_INT("round_trips", n)),
			        "%s, round trip of %d B: median %.1f us, p99 %.1f us (%d trips)",
			        transport_names[tr], size, a, b, n);
		} else if (sscanf(line, "throughput %d %lf %d", &size, &a, &n) == 3 &&
		           size_index(size) >= 0) {
			fig->mb_s[size_index(size)] = a;
			cells++;
			pl_note("cell",
			        PL_FIELDS(PL_STR("transport", transport_names[tr]),
			                  PL_STR("metric", "throughput"), PL_INT("size", size),
			                  PL_DOUBLE("mb_s", a), PL_INT("messages", n)),
			        "%s, %d B messages: %.1f MB/s (%d messages)", transport_names[tr],
			        size, a, n);
		} else if (sscanf(line, "intact %ld", &bad) == 1) {
			break;
		}
	}
	bool ended = mpi_job_wait(&job, 30);
	fig->measured = cells == 1 + NSIZES;
	pl_check("intact", bad == 0 && fig->measured,
	         PL_FIELDS(PL_STR("transport", transport_names[tr]), PL_INT("bad", bad),
	                   PL_INT("cells", cells)),
	         "every message arrived with its sequence number at both ends (%d cells)", cells);
	mpi_job_ended_well(&job, ended);
}

/* ------------------------------------------------------------------ */
/* ipcbench, in the same run: a pipe and a Unix socket.                 */

static bool
json_number(const char *line, const char *key, double *out)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(line, pat)) == NULL)
		return false;
	*out = strtod(p + strlen(pat), NULL);
	return true;
}

static bool
json_is(const char *line, const char *key, const char *value)
{
	char pat[96];

	snprintf(pat, sizeof(pat), "\"%s\":\"%s\"", key, value);
	return strstr(line, pat) != NULL;
}

static void
ipcbench_step(double budget)
{
	char self[PATH_MAX], path[PATH_MAX + 32], secs[32], line[2048];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int fd, cells = 0;
	pid_t pid;
	FILE *f;

	pl_step("ipcbench", NULL,
	        "the same machine, without MPI: proclab-ipcbench measures a pipe and a Unix socket");
	if (n <= 0)
		pl_die("reading /proc/self/exe");
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	n = (ssize_t)strlen(self);
	if (n >= 6 && strcmp(self + n - 6, "/.libs") == 0) /* libtool's build tree */
		self[n - 6] = '\0';
	snprintf(path, sizeof(path), "%s/proclab-ipcbench", self);
	if (access(path, X_OK) != 0 && access("/usr/bin/proclab-ipcbench", X_OK) == 0)
		snprintf(path, sizeof(path), "/usr/bin/proclab-ipcbench");
	snprintf(secs, sizeof(secs), "%.3f", budget * 5 < 0.5 ? 0.5 : budget * 5);
	char *args[] = {
		"proclab-ipcbench", "--json", "--only",    "pipe,unix", "--pin", "unpinned",
		"--repeats",        "1",      "--seconds", secs,        NULL
	};

	pid = mpi_launch_spawn("ipcbench", path, args, &fd);
	if ((f = fdopen(fd, "r")) == NULL)
		pl_die("fdopen");
	while (fgets(line, sizeof(line), f) != NULL) {
		struct figures *fig = json_is(line, "mechanism", "pipe")   ? &pipe_figures
		                      : json_is(line, "mechanism", "unix") ? &unix_figures
		                                                           : NULL;
		double size, v;

		if (fig == NULL || !json_is(line, "event", "cell") ||
		    !json_number(line, "size", &size))
			continue;
		if (json_is(line, "metric", "latency") && json_number(line, "median_us", &v)) {
			fig->latency_us = v;
			cells++;
		} else if (json_is(line, "metric", "throughput") && json_number(line, "mb_s", &v) &&
		           size_index((int)size) >= 0) {
			fig->mb_s[size_index((int)size)] = v;
			cells++;
		}
	}
	fclose(f);
	int status = 0;

	pl_child_wait(pid, &status, 0);
	pipe_figures.measured = unix_figures.measured = cells > 0;
	pl_note("ipcbench",
	        PL_FIELDS(PL_STR("program", path), PL_INT("cells", cells),
	                  PL_INT("status", status)),
	        "%s --only pipe,unix: %d figures (status %d)", path, cells, status);
}

/* ------------------------------------------------------------------ */

static void
ratio_row(const char *metric, int size, double pipe, double unix_socket, double shm, double tcp)
{
	if (pipe <= 0) { /* ipcbench has no figure of this size */
		pl_note("ratio",
		        PL_FIELDS(PL_STR("metric", metric), PL_INT("size", size),
		                  PL_DOUBLE("mpi_shm", shm), PL_DOUBLE("mpi_tcp", tcp)),
		        "%-10s %8d B  (no pipe figure)                MPI shm %9.1f                "
		        "MPI tcp %9.1f",
		        metric, size, shm, tcp);
		return;
	}
	pl_note("ratio",
	        PL_FIELDS(PL_STR("metric", metric), PL_INT("size", size), PL_DOUBLE("pipe", pipe),
	                  PL_DOUBLE("unix", unix_socket), PL_DOUBLE("mpi_shm", shm),
	                  PL_DOUBLE("mpi_tcp", tcp), PL_DOUBLE("shm_to_pipe", shm / pipe),
	                  PL_DOUBLE("tcp_to_pipe", tcp / pipe)),
	        "%-10s %8d B  pipe %9.1f  unix %9.1f  MPI shm %9.1f (%5.2fx pipe)  MPI tcp %9.1f "
	        "(%5.2fx pipe)",
	        metric, size, pipe, unix_socket, shm, shm / pipe, tcp, tcp / pipe);
}

static void
table_step(void)
{
	pl_step("table", NULL,
	        "side by side (latency: median round trip in us, lower is better; "
	        "throughput: MB/s, higher is better); measured, never checked");
	ratio_row("latency", LATENCY_SIZE, pipe_figures.latency_us, unix_figures.latency_us,
	          mpi_figures[SHM].latency_us, mpi_figures[TCP].latency_us);
	for (int i = 0; i < NSIZES; i++)
		ratio_row("throughput", sizes[i], pipe_figures.mb_s[i], unix_figures.mb_s[i],
		          mpi_figures[SHM].mb_s[i], mpi_figures[TCP].mb_s[i]);
	if (mpi_figures[SHM].measured && mpi_figures[TCP].measured) {
		bool held = mpi_figures[SHM].latency_us < mpi_figures[TCP].latency_us;

		pl_note("held", PL_FIELDS(PL_STR("claim", "shm-beats-tcp"), PL_BOOL("held", held)),
		        "shared memory has the shorter round trip: %.1f us against %.1f us, held: %s",
		        mpi_figures[SHM].latency_us, mpi_figures[TCP].latency_us,
		        held ? "yes" : "no");
	}
}

int
main(int argc, char *argv[])
{
	if (mpi_launch_is_rank("proclab-mpi-pingpong"))
		return rank_main(argc, argv);
	pl_demo_init(argc, argv, &demo);

	bool shm = strcmp(transport_choice, "shm") == 0 || strcmp(transport_choice, "both") == 0;
	bool tcp = strcmp(transport_choice, "tcp") == 0 || strcmp(transport_choice, "both") == 0;

	if (!shm && !tcp)
		pl_die_usage("--transport must be shm, tcp or both, not '%s'", transport_choice);
	/* Five cells a transport share the time. */
	double budget = seconds / pl_narrate_get_config()->speed / (5.0 * (shm + tcp) + 5.0);

	if (budget < 0.01)
		budget = 0.01;
	mpi_launch_setup("proclab-mpi-pingpong");
	pl_note("mpirun", PL_FIELDS(PL_STR("version", mpi_launch_version())), "%s",
	        mpi_launch_version());
	if (shm)
		run_transport(SHM, budget);
	if (tcp)
		run_transport(TCP, budget);
	ipcbench_step(budget);
	table_step();
	return pl_demo_finish();
}
