/* ipcbench.c - seven ways for two processes to talk, measured side by side.
 *
 * It measures, in one run and on one machine, the throughput (MB/s with
 * messages of 64 B, 4 KiB and 64 KiB) and the round-trip latency (median
 * and 99th percentile, in microseconds) of
 *   pipe        two pipes, one each way
 *   socketpair  one AF_UNIX stream socket pair
 *   unix        a Unix stream socket with a name, in a private directory
 *               under $TMPDIR
 *   tcp         TCP over 127.0.0.1
 *   mq          two POSIX message queues
 *   shm-sem     a ring of slots in shared memory, counted by two
 *               process-shared semaphores (futexes underneath)
 *   shm-spin    the same ring, counted by C11 atomics the ends spin on
 * both with the two ends free to run on any CPU (unpinned) and with both on
 * one CPU (pinned, sched_setaffinity). Next to them it measures the
 * ceilings: memcpy, the shell's `dd if=/dev/zero bs=64K | dd of=/dev/null`,
 * and the simplest possible ping-pong over two pipes.
 *
 * What it proves while it runs, from the kernel:
 *   - every message arrived, in order and intact (sequence numbers, and
 *     in each warm-up a checksum that the receiver computes over every
 *     byte; the measured runs check the first and last word only);
 *   - pinned, both ends were allowed on one CPU only and ran there
 *     (/proc/PID/status Cpus_allowed_list, /proc/PID/stat field 39);
 *   - how many times each end was switched out per message or round trip
 *     (voluntary_ctxt_switches in /proc/PID/status);
 *   - every name (socket path, queues, segment) is removed as soon as both
 *     ends hold it;
 *   - the sender talks to its own receiver: a listening socket accepts
 *     whoever connects, so the sender checks who did (SO_PEERCRED, or the
 *     receiver's port for TCP), and gives up at once if the receiver died
 *     before it connected.
 * Which mechanism is fastest is a measurement, not a claim: the demo prints
 * whether the expected order held, but never fails because of it. The runs
 * go in rounds, every mechanism once per round, so that a change in the
 * machine's speed falls on all of them alike; the pipe is held against
 * its ceilings round by round.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   channel_open()     each mechanism made before the fork
 *   channel_attach()   after the fork, each end keeps its side
 *   channel_send()     one message sent through the mechanism
 *   channel_receive()  and received
 *   pingpong_run()     the bare round trip: one byte each way over two pipes
 *
 * Usage:     proclab-ipcbench [--seconds S] [--repeats R] [--pin MODE]
 *                             [--only LIST] [--json] [--speed F]
 * Dashboard: `proclab ipcbench` shows the seven receivers at once, all
 *            asleep on their report channel but the one being measured,
 *            which is mostly running, asleep now and then in pipe_read,
 *            unix_stream_read_generic, wait_woken (TCP), wq_sleep (queues)
 *            or a futex wait, and never asleep for shm-spin.
 * Lesson:    lessons/11-ipcbench.md
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_MESSAGE 65536
#define LATENCY_SIZE 8          /* a round trip carries one 64-bit number */
#define RING_SLOTS 8            /* shm rings; pipes hold 16 pages */
#define SPIN_LIMIT 2000         /* shm-spin: pauses before giving the CPU away */
#define MIN_MESSAGES 16         /* each run sends at least this many ... */
#define MIN_TRIPS 32            /* ... and makes at least this many round trips */
#define MIN_RUN_SECONDS 0.001   /* the floor of --seconds / --speed sizing */
#define MAX_RUN_SECONDS 5.0
#define MAX_MECHS 7
#define MAX_REPEATS 15
#define END_MARK UINT64_MAX     /* a message whose first word says "job done" */
#define DD_DEFAULT_BYTES (32LL << 20)
#define MSGSIZE_MAX_FILE "/proc/sys/fs/mqueue/msgsize_max"
/* unix and tcp listen on a non-blocking socket: accept_receiver() waits
 * in poll(), with a deadline, never in accept(). */
#define LISTENER_TYPE (SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK)

static double seconds = 4.0;
static long repeats = 3;
static const char *pin_choice = "both";
static const char *only;

static const struct pl_option options[] = {
	{ "seconds", 's', PL_OPT_DOUBLE, "S",
	  "about how long the measurements take at --speed 1", 0.5, 600, &seconds },
	{ "repeats", 'r', PL_OPT_INT, "R", "measured runs of each cell, after one warm-up", 1,
	  MAX_REPEATS, &repeats },
	{ "pin", 'p', PL_OPT_STRING, "MODE",
	  "pinned (both ends on one CPU), unpinned, or both (the default)", 0, 0, &pin_choice },
	{ "only", 'o', PL_OPT_STRING, "LIST",
	  "measure only these, e.g. pipe,tcp (pipe socketpair unix tcp mq shm-sem shm-spin)", 0,
	  0, &only },
};

static const struct pl_demo demo = {
	.name = "ipcbench",
	.summary = "Pipes, sockets, queues and shared memory, measured side by side.",
	.description = "Throughput and round-trip latency of seven IPC mechanisms, pinned to one\n"
	               "CPU and not, next to memcpy, dd | dd and a minimal ping-pong. Each\n"
	               "message is checked (sequence and checksum); the CPUs and context\n"
	               "switches of both ends are read from /proc. The figures are measurements:\n"
	               "the demo reports whether the usual order held, and never fails on speed.",
	.lesson = "11-ipcbench.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

enum mech { PIPE, SOCKETPAIR, UNIX_STREAM, TCP, MQUEUE, SHM_SEM, SHM_SPIN };

static const struct {
	const char *name;
	const char *what;
} mechs[MAX_MECHS] = {
	[PIPE] = { "pipe", "two pipes, one each way" },
	[SOCKETPAIR] = { "socketpair", "socketpair(AF_UNIX, SOCK_STREAM)" },
	[UNIX_STREAM] = { "unix", "a Unix stream socket with a name in $TMPDIR" },
	[TCP] = { "tcp", "TCP over 127.0.0.1, TCP_NODELAY" },
	[MQUEUE] = { "mq", "two POSIX message queues" },
	[SHM_SEM] = { "shm-sem", "a ring in shared memory, two process-shared semaphores" },
	[SHM_SPIN] = { "shm-spin", "a ring in shared memory, C11 atomics and a spin" },
};

static const size_t sizes[] = { 64, 4096, 65536 };
#define NSIZES PL_COUNT(sizes)
#define NCELLS (NSIZES + 1)     /* the throughputs, then the latency */

static bool selected[MAX_MECHS];
static double run_seconds;       /* each measured run, after --speed */
static long long dd_bytes;       /* each dd pipeline */
static size_t mq_msgsize;        /* the largest of sizes[] a queue can carry */
static long msgsize_max;
static int hear_timeout_ms;

/* ------------------------------------------------------------------ */
/* Plumbing: whole reads and writes, statistics, /proc.               */

/* Whole writes and reads, or the end of this process: a benchmark that
 * lost bytes would measure nothing. */
static void
write_all(int fd, const void *buf, size_t len)
{
	if (pl_write_all(fd, buf, len) == -1)
		pl_die("write");
}

static void
read_all(int fd, void *buf, size_t len)
{
	ssize_t n = pl_read_full(fd, buf, len);

	if (n == -1)
		pl_die("read");
	if ((size_t)n != len)
		pl_die("read: end of file after %zd of %zu bytes", n, len);
}

static bool
positive_finite(double x)
{
	return isfinite(x) && x > 0;
}

/* A line of /proc/PID/status, e.g. "0-1" for Cpus_allowed_list. PID 0
 * means this process. */
static bool
status_value(pid_t pid, const char *key, char *value, size_t size)
{
	return pl_procfs_field(pid ? pid : getpid(), "status", key, value, size) == 0;
}

/* Voluntary (it slept) plus involuntary (it was preempted) context
 * switches of PID so far, from /proc/PID/status (proc(5)). */
struct switches {
	long long voluntary, involuntary;
};

static struct switches
switches_of(pid_t pid)
{
	unsigned long long voluntary = 0, involuntary = 0;

	pl_procfs_number(pid ? pid : getpid(), "status", "voluntary_ctxt_switches", 10, &voluntary);
	pl_procfs_number(pid ? pid : getpid(), "status", "nonvoluntary_ctxt_switches", 10,
	                 &involuntary);
	return (struct switches){ (long long)voluntary, (long long)involuntary };
}

/* The CPU PID last ran on: field 39 ("processor") of /proc/PID/stat. */
static int
last_cpu(pid_t pid)
{
	struct pl_proc p;

	return pl_procfs_read(pid ? pid : getpid(), &p) == 0 ? p.processor : -1;
}

/* ------------------------------------------------------------------ */
/* Messages. A throughput message of SIZE bytes is SIZE / 8 words: the   */
/* first is its sequence number, the last the number's complement, the   */
/* rest a fixed pattern. The receiver checks the sequence of every       */
/* message. In each cell's warm-up it also adds up every word, and the   */
/* sender knows what the sum must be: that proves the mechanism carries  */
/* the bytes intact. The measured runs check the first and last word     */
/* only, and leave the receiver as idle as `dd of=/dev/null` is.         */

struct job_report {
	unsigned long long messages;  /* received (throughput) or echoed (latency) */
	unsigned long long bytes;
	uint64_t sum;                 /* of every word received, in a warm-up */
	unsigned long long errors;    /* out of sequence, wrong length */
};

static void
fill_pattern(uint64_t *words, size_t n)
{
	for (size_t i = 1; i + 1 < n; i++)
		words[i] = (uint64_t)i * 0x9e3779b97f4a7c15u;
}

/* What the words of one message add up to: seq + ~seq is all ones. */
static uint64_t
message_sum(size_t size)
{
	uint64_t words[MAX_MESSAGE / 8], sum = UINT64_MAX;

	fill_pattern(words, size / 8);
	for (size_t i = 1; i + 1 < size / 8; i++)
		sum += words[i];
	return sum;
}

static void
tally(struct job_report *r, const uint64_t *w, size_t size, bool every_word)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t words = size / 8, i;

	if (w[0] != r->messages || w[words - 1] != ~w[0])
		r->errors++;
	r->messages++;
	r->bytes += size;
	if (!every_word)
		return;
	/* Four sums side by side, which the CPU adds in parallel. */
	for (i = 0; i + 4 <= words; i += 4) {
		s0 += w[i];
		s1 += w[i + 1];
		s2 += w[i + 2];
		s3 += w[i + 3];
	}
	for (; i < words; i++)
		s0 += w[i];
	r->sum += s0 + s1 + s2 + s3;
}

/* ------------------------------------------------------------------ */
/* The channels. Each mechanism carries messages both ways: down from   */
/* the parent (the sender, the pinger) and up from the child (the       */
/* receiver, the echo).                                                  */

/* One direction of a shared-memory channel. shm-sem counts slots with
 * semaphores; shm-spin with two counters that each end spins on. */
struct ring {
	sem_t items, spaces;
	_Alignas(64) atomic_ullong head;  /* messages written so far */
	_Alignas(64) atomic_ullong tail;  /* messages read so far */
	_Alignas(64) unsigned char slots[RING_SLOTS][MAX_MESSAGE];
};

struct shared_rings {
	struct ring down, up;
};

struct channel {
	enum mech kind;
	int down[2], up[2];          /* pipe; sockets use down[] */
	int out, in;                 /* this end's descriptors */
	int listener;
	char dir[100];               /* unix: the private directory of the name */
	char name[108];              /* the socket path, queue or segment name */
	char name2[PL_NAME_MAX];     /* the second queue */
	bool name_gone;              /* removed once both ends held it */
	int strangers;               /* connections refused: not from the receiver */
	int port;                    /* tcp */
	mqd_t q_down, q_up, q_out, q_in;
	struct shared_rings *rings;
	struct ring *ring_out, *ring_in;
	unsigned long long sent, got; /* this end's messages through a ring */
	pid_t peer;                  /* in the parent: the receiver */
	uint64_t *buf;               /* where received messages land */
};

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Queues and rings wait without a descriptor that would report a dead
 * peer, so the sender wakes up every second to ask: has the receiver
 * ended? (The receiver needs no such check: PR_SET_PDEATHSIG kills it
 * with the sender.) */
static void
check_peer(const struct channel *c)
{
	if (c->peer > 0 && pl_child_wait(c->peer, NULL, WNOHANG) == c->peer)
		pl_die_en(ESRCH, "the receiver %ld ended in the middle of a run", (long)c->peer);
}

static struct timespec
one_second_from_now(void)
{
	/* sem_timedwait and mq_timed* count on CLOCK_REALTIME. */
	return pl_measure_deadline(CLOCK_REALTIME, 1000000000LL);
}

/* Spin, but after spin_limit turns give the CPU away. Pinned to one CPU
 * the other end cannot run at all while this one spins, so there the
 * limit is 1: yield at once. */
static unsigned spin_limit = SPIN_LIMIT;

static void
spin_wait(const struct channel *c, unsigned *turns)
{
	static unsigned yields;

	if (++*turns < spin_limit) {
		cpu_relax();
	} else {
		*turns = 0;
		sched_yield();
		if (++yields % 65536 == 0)
			check_peer(c);
	}
}

static void
sem_wait_checked(const struct channel *c, sem_t *sem)
{
	struct timespec deadline = one_second_from_now();

	while (sem_timedwait(sem, &deadline) == -1) {
		if (errno == ETIMEDOUT) {
			check_peer(c);
			deadline = one_second_from_now();
		} else if (errno != EINTR) {
			pl_die("sem_wait");
		}
	}
}

/* mq_timedsend or mq_timedreceive said -1: go on, or die. */
static void
mq_retry_or_die(const struct channel *c, struct timespec *deadline, const char *what)
{
	if (errno == ETIMEDOUT) {
		check_peer(c);
		*deadline = one_second_from_now();
	} else if (errno != EINTR) {
		pl_die("%s", what);
	}
}

static void
channel_send(struct channel *c, const void *msg, size_t size)
{
	struct ring *r = c->ring_out;
	struct timespec deadline;
	unsigned turns = 0;

	switch (c->kind) {
	case MQUEUE:
		deadline = one_second_from_now();
		while (mq_timedsend(c->q_out, msg, size, 0, &deadline) == -1)
			mq_retry_or_die(c, &deadline, "mq_send");
		return;
	case SHM_SEM:
		sem_wait_checked(c, &r->spaces);
		memcpy(r->slots[c->sent++ % RING_SLOTS], msg, size);
		sem_post(&r->items);
		return;
	case SHM_SPIN:
		while (c->sent - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING_SLOTS)
			spin_wait(c, &turns);
		memcpy(r->slots[c->sent % RING_SLOTS], msg, size);
		atomic_store_explicit(&r->head, ++c->sent, memory_order_release);
		return;
	default: /* the byte streams */
		write_all(c->out, msg, size);
	}
}

/* The next message of SIZE bytes. Shared memory hands out the slot itself
 * (no copy); channel_done() gives it back. */
static const uint64_t *
channel_receive(struct channel *c, size_t size, struct job_report *r)
{
	struct ring *ring = c->ring_in;
	struct timespec deadline;
	unsigned turns = 0;
	ssize_t n;

	switch (c->kind) {
	case MQUEUE:
		deadline = one_second_from_now();
		while ((n = mq_timedreceive(c->q_in, (char *)c->buf, MAX_MESSAGE, NULL, &deadline)) ==
		       -1)
			mq_retry_or_die(c, &deadline, "mq_receive");
		if ((size_t)n != size)
			r->errors++;
		return c->buf;
	case SHM_SEM:
		sem_wait_checked(c, &ring->items);
		return (const uint64_t *)ring->slots[c->got % RING_SLOTS];
	case SHM_SPIN:
		while (atomic_load_explicit(&ring->head, memory_order_acquire) == c->got)
			spin_wait(c, &turns);
		return (const uint64_t *)ring->slots[c->got % RING_SLOTS];
	default:
		read_all(c->in, c->buf, size);
		return c->buf;
	}
}

static void
channel_done(struct channel *c)
{
	if (c->kind == SHM_SEM) {
		c->got++;
		sem_post(&c->ring_in->spaces);
	} else if (c->kind == SHM_SPIN) {
		atomic_store_explicit(&c->ring_in->tail, ++c->got, memory_order_release);
	}
}

/* Start the guardian before a name is made: a SIGKILL, which no handler
 * of ours sees, would leave the name until the receiver has it and we
 * unlink it; the guardian, another process, then removes it
 * (pl_cleanup.h). It ends when the last name is unlinked. */
static void
guard_names(void)
{
	if (pl_cleanup_guardian() == -1)
		pl_die("starting the guardian");
}

/* Create an object under NAME and register it for removal, with no
 * signal in between. With WHAT, NAME is made here first: a name of
 * pl_name_make(), which nobody can guess, tried again with new digits
 * if someone took it all the same (EEXIST). */
typedef int create_fn(struct channel *c, const char *name);

static int
create_named(struct channel *c, enum pl_cleanup_kind kind, const char *what, char *name,
             size_t size, create_fn *create)
{
	sigset_t old;
	int rc, tries = 0;

	guard_names();
	pl_cleanup_hold(&old);
	do {
		if (what != NULL && pl_name_make(what, name, size) == -1) {
			rc = -1;
			break;
		}
		rc = create(c, name);
	} while (rc == -1 && errno == EEXIST && what != NULL && ++tries < 8);
	if (rc == 0 && pl_cleanup_add(kind, name) == -1)
		pl_die("registering %s for cleanup", name);
	pl_cleanup_release(&old);
	return rc;
}

static int
bind_unix(struct channel *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	return bind(c->listener, (struct sockaddr *)&addr, sizeof(addr));
}

static int
create_queue(struct channel *c, const char *name)
{
	struct mq_attr attr = { .mq_maxmsg = RING_SLOTS, .mq_msgsize = (long)mq_msgsize };
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);

	if (q == (mqd_t)-1) {
		/* fs.mqueue.msg_max may be below RING_SLOTS: try its default, 10. */
		attr.mq_maxmsg = 10;
		q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
	}
	if (q == (mqd_t)-1)
		return -1;
	if (c->q_down == (mqd_t)-1)
		c->q_down = q;
	else
		c->q_up = q;
	return 0;
}

static int
create_segment(struct channel *c, const char *name)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);

	if (fd == -1)
		return -1;
	if (ftruncate(fd, sizeof(struct shared_rings)) == -1 ||
	    (c->rings = mmap(NULL, sizeof(struct shared_rings), PROT_READ | PROT_WRITE,
	                     MAP_SHARED, fd, 0)) == MAP_FAILED) {
		c->rings = NULL;
		close(fd);
		shm_unlink(name);
		return -1;
	}
	close(fd); /* the mapping keeps the segment alive */
	return 0;
}

static void
init_ring(struct ring *r)
{
	if (sem_init(&r->items, 1, 0) == -1 || sem_init(&r->spaces, 1, RING_SLOTS) == -1)
		pl_die("sem_init");
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
}

/* unix: a directory of our own for the socket's name. mkdtemp(3) makes it
 * with mode 0700 (a umask can only take bits away) under a name nobody can
 * guess: no other user can reach the socket, or put a name of theirs where
 * ours will be. Returns 0, or -1 with REASON. */
static int
make_socket_dir(struct channel *c, char *reason, size_t size)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[sizeof(c->dir)];
	sigset_t old;
	int n, err;

	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	n = snprintf(dir, sizeof(dir), "%s/proclab-ipcbench-XXXXXX", tmpdir);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		snprintf(reason, size, "$TMPDIR is too long for a socket's name (%zu bytes at most)",
		         sizeof(dir) - sizeof("/proclab-ipcbench-XXXXXX"));
		return -1;
	}
	/* Made and registered for removal with no signal in between. */
	guard_names();
	pl_cleanup_hold(&old);
	if (mkdtemp(dir) == NULL) {
		err = errno;
		pl_cleanup_release(&old);
		snprintf(reason, size, "mkdtemp in %s: %s", tmpdir, strerror(err));
		return -1;
	}
	if (pl_cleanup_add(PL_CLEANUP_DIR, dir) == -1)
		pl_die("registering %s for cleanup", dir);
	pl_cleanup_release(&old);
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->name, sizeof(c->name), "%s/sock", dir);
	return 0;
}

/* Before the fork: make the channel. Returns 0, or -1 with REASON. */
static int
channel_open(struct channel *c, enum mech kind, char *reason, size_t size)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->down[0] = c->down[1] = c->up[0] = c->up[1] = c->listener = -1;
	c->q_down = c->q_up = (mqd_t)-1;

	switch (kind) {
	case PIPE:
		if (pipe2(c->down, O_CLOEXEC) == -1 || pipe2(c->up, O_CLOEXEC) == -1)
			pl_die("pipe");
		break;
	case SOCKETPAIR:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->down) == -1)
			pl_die("socketpair");
		break;
	case UNIX_STREAM:
		if (make_socket_dir(c, reason, size) == -1)
			return -1;
		if ((c->listener = socket(AF_UNIX, LISTENER_TYPE, 0)) == -1 ||
		    create_named(c, PL_CLEANUP_PATH, NULL, c->name, sizeof(c->name), bind_unix) == -1 ||
		    listen(c->listener, 1) == -1)
			pl_die("Unix socket %s", c->name);
		break;
	case TCP: {
		struct sockaddr_in addr = { .sin_family = AF_INET };
		socklen_t len = sizeof(addr);

		addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		addr.sin_port = 0; /* the kernel picks a free port */
		if ((c->listener = socket(AF_INET, LISTENER_TYPE, 0)) == -1 ||
		    bind(c->listener, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
		    listen(c->listener, 1) == -1 ||
		    getsockname(c->listener, (struct sockaddr *)&addr, &len) == -1) {
			snprintf(reason, size, "no TCP on 127.0.0.1: %s", strerror(errno));
			if (c->listener != -1)
				close(c->listener);
			return -1;
		}
		c->port = ntohs(addr.sin_port);
		break;
	}
	case MQUEUE:
		if (create_named(c, PL_CLEANUP_MQ, "ipcbench-down", c->name, sizeof(c->name),
		                 create_queue) == -1 ||
		    create_named(c, PL_CLEANUP_MQ, "ipcbench-up", c->name2, sizeof(c->name2),
		                 create_queue) == -1) {
			snprintf(reason, size, "mq_open: %s", strerror(errno));
			if (c->q_down != (mqd_t)-1) {
				mq_close(c->q_down);
				mq_unlink(c->name);
				pl_cleanup_forget(PL_CLEANUP_MQ, c->name);
			}
			return -1;
		}
		break;
	case SHM_SEM:
	case SHM_SPIN:
		if (create_named(c, PL_CLEANUP_SHM, "ipcbench", c->name, sizeof(c->name),
		                 create_segment) == -1)
			pl_die("shm_open %s", c->name);
		init_ring(&c->rings->down);
		init_ring(&c->rings->up);
		break;
	}
	if ((c->buf = aligned_alloc(64, MAX_MESSAGE)) == NULL)
		pl_die("malloc");
	return 0;
}

static void
set_nodelay(int fd)
{
	int one = 1;

	/* Send each message now: no Nagle batching of small writes. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Is NAME, a queue or a segment just unlinked, really gone? Ask the
 * kernel by opening it: that must fail with ENOENT. An open that works
 * means the name is still there: close what it opened, and leave the name
 * registered, so that it is removed when the demo ends. */
static bool
name_gone(enum pl_cleanup_kind kind, const char *name)
{
	bool gone;

	if (kind == PL_CLEANUP_MQ) {
		mqd_t q = mq_open(name, O_RDONLY | O_CLOEXEC);

		gone = q == (mqd_t)-1 && errno == ENOENT;
		if (q != (mqd_t)-1)
			mq_close(q);
	} else {
		int fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);

		gone = fd == -1 && errno == ENOENT;
		if (fd != -1)
			close(fd);
	}
	if (gone)
		pl_cleanup_forget(kind, name);
	return gone;
}

/* What the receiver tells the sender once it has connected. */
struct hello {
	int error;                   /* connect(2)'s errno, or 0 */
	int port;                    /* tcp: the port of its own end */
};

/* Is the connection on FD the receiver's? *WHO says whose it is. A Unix
 * socket knows who connected to it: SO_PEERCRED gives the PID of the
 * process that called connect(2) (unix(7)). TCP does not say; but the
 * receiver told us its port, and no other connection on the loopback
 * comes from 127.0.0.1 and that port. */
static bool
from_receiver(const struct channel *c, int fd, int port, long *who)
{
	struct ucred cred;
	struct sockaddr_in addr;
	socklen_t len;

	if (c->kind == UNIX_STREAM) {
		len = sizeof(cred);
		*who = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : -1;
		return *who == c->peer;
	}
	len = sizeof(addr);
	if (getpeername(fd, (struct sockaddr *)&addr, &len) == -1)
		return false;
	*who = ntohs(addr.sin_port);
	return addr.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && *who == port;
}

/* The sender's accept(2), made safe. Anyone who can reach a listening
 * socket may connect to it, and a plain accept() would wait forever for
 * a receiver that died before it connected. So the sender first waits for
 * the receiver's word that it has connected: the channel reports a dead
 * receiver at once (end of file), and a hung one after hear_timeout_ms.
 * Then it accepts, with a deadline, until the connection is the
 * receiver's own, and refuses any other. */
static int
accept_receiver(struct channel *c)
{
	double end = pl_measure_now() + hear_timeout_ms / 1e3;
	char where[128], how[96];
	struct hello hello;
	int status, fd;
	long who = -1;

	if (c->kind == UNIX_STREAM)
		snprintf(where, sizeof(where), "%s", c->name);
	else
		snprintf(where, sizeof(where), "127.0.0.1 port %d", c->port);
	if (pl_child_hear(c->peer, &hello, sizeof(hello), hear_timeout_ms) == -1) {
		if (errno != EPIPE)
			pl_die("the receiver %ld, connecting to %s", (long)c->peer, where);
		if (pl_child_wait(c->peer, &status, 0) == -1)
			pl_die("waitpid");
		pl_status_describe(status, how, sizeof(how));
		pl_die_en(0, "the receiver %ld ended before it connected to %s: %s", (long)c->peer,
		          where, how);
	}
	if (hello.error != 0)
		pl_die_en(hello.error, "the receiver %ld could not connect to %s", (long)c->peer,
		          where);
	for (;;) {
		struct pollfd ready = { .fd = c->listener, .events = POLLIN };
		int left = (int)((end - pl_measure_now()) * 1e3);

		if (left <= 0)
			pl_die_en(ETIMEDOUT, "accepting the receiver %ld's connection on %s",
			          (long)c->peer, where);
		if (poll(&ready, 1, left) == -1 && errno != EINTR)
			pl_die("poll");
		if ((fd = accept4(c->listener, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				continue;
			pl_die("accept");
		}
		if (from_receiver(c, fd, hello.port, &who))
			return fd;
		c->strangers++;
		pl_note("stranger",
		        PL_FIELDS(PL_STR("mechanism", mechs[c->kind].name),
		                  PL_INT(c->kind == UNIX_STREAM ? "peer_pid" : "peer_port", who),
		                  PL_INT("receiver", c->peer)),
		        "%s: refused a connection from %s %ld: not the receiver's", mechs[c->kind].name,
		        c->kind == UNIX_STREAM ? "PID" : "port", who);
		close(fd);
	}
}

/* After the fork: each end keeps its side and closes the other. */
static void
channel_attach(struct channel *c, bool child)
{
	switch (c->kind) {
	case PIPE:
		c->in = child ? c->down[0] : c->up[0];
		c->out = child ? c->up[1] : c->down[1];
		close(child ? c->down[1] : c->up[1]);
		close(child ? c->up[0] : c->down[0]);
		break;
	case SOCKETPAIR:
		c->in = c->out = c->down[child ? 1 : 0];
		close(c->down[child ? 0 : 1]);
		break;
	case UNIX_STREAM:
	case TCP:
		if (child) { /* the child connects, like a client, and says so */
			struct sockaddr_un un = { .sun_family = AF_UNIX };
			struct sockaddr_in in = { .sin_family = AF_INET }, mine;
			socklen_t len = sizeof(mine);
			bool unix_socket = c->kind == UNIX_STREAM;
			struct hello hello = { 0, 0 };

			close(c->listener);
			snprintf(un.sun_path, sizeof(un.sun_path), "%s", c->name);
			in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			in.sin_port = htons((uint16_t)c->port);
			c->in = socket(unix_socket ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (c->in == -1 ||
			    connect(c->in, unix_socket ? (struct sockaddr *)&un : (struct sockaddr *)&in,
			            unix_socket ? sizeof(un) : sizeof(in)) == -1)
				hello.error = errno;
			else if (!unix_socket && getsockname(c->in, (struct sockaddr *)&mine, &len) == 0)
				hello.port = ntohs(mine.sin_port);
			if (pl_child_tell(&hello, sizeof(hello)) == -1 || hello.error != 0)
				_exit(EXIT_FAILURE);
		} else { /* the parent accepts, like a server: its receiver only */
			c->in = accept_receiver(c);
			close(c->listener);
			if (c->kind == UNIX_STREAM) {
				/* Connected: the name and its directory have done their job. */
				if (unlink(c->name) == -1 || rmdir(c->dir) == -1)
					pl_die("removing %s", c->name);
				pl_cleanup_forget(PL_CLEANUP_PATH, c->name);
				pl_cleanup_forget(PL_CLEANUP_DIR, c->dir);
				c->name_gone = access(c->dir, F_OK) == -1 && errno == ENOENT;
			}
		}
		c->out = c->in;
		if (c->kind == TCP)
			set_nodelay(c->in);
		break;
	case MQUEUE:
		c->q_in = child ? c->q_down : c->q_up;
		c->q_out = child ? c->q_up : c->q_down;
		if (!child) { /* the child inherited both: the names can go */
			mq_unlink(c->name);
			mq_unlink(c->name2);
			bool down_gone = name_gone(PL_CLEANUP_MQ, c->name);
			c->name_gone = name_gone(PL_CLEANUP_MQ, c->name2) && down_gone;
		}
		break;
	case SHM_SEM:
	case SHM_SPIN:
		c->ring_in = child ? &c->rings->down : &c->rings->up;
		c->ring_out = child ? &c->rings->up : &c->rings->down;
		if (!child) { /* the child inherited the mapping: the name can go */
			if (shm_unlink(c->name) == -1)
				pl_die("shm_unlink %s", c->name);
			c->name_gone = name_gone(PL_CLEANUP_SHM, c->name);
		}
		break;
	}
}

static void
channel_close(struct channel *c)
{
	switch (c->kind) {
	case PIPE:
		close(c->in);
		close(c->out);
		break;
	case MQUEUE:
		mq_close(c->q_down);
		mq_close(c->q_up);
		break;
	case SHM_SEM:
	case SHM_SPIN:
		munmap(c->rings, sizeof(struct shared_rings));
		break;
	default:
		close(c->in);
	}
	free(c->buf);
}

/* Does a cell of this mechanism fit? Only queues limit the size. */
static bool
fits(enum mech kind, size_t size, char *reason, size_t len)
{
	if (kind != MQUEUE || size <= mq_msgsize)
		return true;
	snprintf(reason, len, "a queue message is at most %ld bytes (%s)", msgsize_max,
	         MSGSIZE_MAX_FILE);
	return false;
}

/* ------------------------------------------------------------------ */
/* The child's end: for every cell, in the order the parent measures    */
/* them, one warm-up job and REPEATS measured jobs. A throughput job     */
/* receives until the end mark; a latency job echoes until it.           */

static void
receive_job(struct channel *c, size_t size, bool every_word)
{
	struct job_report r = { 0, 0, 0, 0 };
	const uint64_t *w;

	while ((w = channel_receive(c, size, &r))[0] != END_MARK) {
		tally(&r, w, size, every_word);
		channel_done(c);
	}
	channel_done(c);
	pl_child_tell(&r, sizeof(r));
}

static void
echo_job(struct channel *c)
{
	struct job_report r = { 0, 0, 0, 0 };
	uint64_t v;

	for (;;) {
		v = channel_receive(c, LATENCY_SIZE, &r)[0];
		channel_done(c);
		if (v == END_MARK)
			break;
		if (v != r.messages)
			r.errors++;
		channel_send(c, &v, LATENCY_SIZE);
		r.messages++;
		r.bytes += LATENCY_SIZE;
	}
	pl_child_tell(&r, sizeof(r));
}

/* Wait for the parent's word before each job: asleep on the report
 * channel, so an idle receiver (even a spinning one) takes no CPU while
 * the other mechanisms are measured. */
static void
await_job(void)
{
	if (pl_child_hold() == -1)
		_exit(EXIT_FAILURE);
}

static void
serve(struct channel *c)
{
	char reason[128];

	for (size_t i = 0; i < NSIZES; i++)
		if (fits(c->kind, sizes[i], reason, sizeof(reason)))
			for (long job = 0; job <= repeats; job++) {
				await_job();
				receive_job(c, sizes[i], job == 0);
			}
	for (long job = 0; job <= repeats; job++) {
		await_job();
		echo_job(c);
	}
}

/* ------------------------------------------------------------------ */
/* The parent's end.                                                     */

static void
hear_report(pid_t pid, struct job_report *r)
{
	if (pl_child_hear(pid, r, sizeof(*r), hear_timeout_ms) == -1)
		pl_die("hearing from the receiver %ld", (long)pid);
}

/* The round trips of one run, in microseconds. */
static double *trip_times;
static size_t trips_capacity;

static void
record_trip(size_t n, double us)
{
	if (n == trips_capacity) {
		trips_capacity = trips_capacity ? trips_capacity * 2 : 4096;
		trip_times = realloc(trip_times, trips_capacity * sizeof(*trip_times));
		if (trip_times == NULL)
			pl_die("realloc");
	}
	trip_times[n] = us;
}

/* Send messages of SIZE bytes for run_seconds (at least MIN_MESSAGES),
 * then the end mark. Returns MB/s up to the receiver's report; *INTACT
 * says whether every message arrived, in order, and in a WARM_UP run,
 * whether every word added up. */
static double
throughput_run(struct channel *c, pid_t pid, size_t size, bool warm_up, bool *intact,
               unsigned long long *count)
{
	static uint64_t msg[MAX_MESSAGE / 8];
	size_t words = size / 8;
	unsigned long long n = 0;
	struct job_report r;
	double start, end;

	fill_pattern(msg, words);
	start = pl_measure_now();
	end = start + run_seconds;
	do {
		msg[0] = n;
		msg[words - 1] = ~(uint64_t)n;
		channel_send(c, msg, size);
	} while (++n < MIN_MESSAGES || pl_measure_now() < end);
	msg[0] = END_MARK;
	channel_send(c, msg, size);
	hear_report(pid, &r);
	end = pl_measure_now();
	*intact = *intact && r.messages == n && r.bytes == n * size && r.errors == 0 &&
	          r.sum == (warm_up ? (uint64_t)n * message_sum(size) : 0);
	*count += n;
	return (double)(n * size) / 1e6 / (end - start);
}

/* Round trips for run_seconds (at least MIN_TRIPS). Returns the median
 * in microseconds and sets *P99. */
static double
latency_run(struct channel *c, pid_t pid, double *p99, bool *intact,
            unsigned long long *count)
{
	struct job_report r, ignored = { 0, 0, 0, 0 };
	double end = pl_measure_now() + run_seconds, mid;
	uint64_t n = 0, end_mark = END_MARK;
	size_t wrong = 0;

	do {
		double start = pl_measure_now();

		channel_send(c, &n, LATENCY_SIZE);
		wrong += channel_receive(c, LATENCY_SIZE, &ignored)[0] != n;
		channel_done(c);
		record_trip(n, (pl_measure_now() - start) * 1e6);
	} while (++n < MIN_TRIPS || pl_measure_now() < end);
	channel_send(c, &end_mark, LATENCY_SIZE);
	hear_report(pid, &r);
	*intact = *intact && wrong == 0 && ignored.errors == 0 && r.messages == n &&
	          r.errors == 0;
	*count += n;
	*p99 = pl_measure_percentile(trip_times, n, 99);
	mid = pl_measure_median(trip_times, n);
	return mid;
}

/* One cell's result: a throughput (mb_s) or a latency (us, p99). */
struct cell {
	bool skipped, intact;
	char reason[128];
	double runs[MAX_REPEATS];    /* MB/s or median us of each measured run */
	double p99s[MAX_REPEATS];
	double value, p99, spread;   /* their median, and (max - min) / median */
	unsigned long long count;    /* messages or round trips, measured runs */
	long long switched;          /* both ends, voluntary + involuntary ... */
	long long preempted;         /* ... and involuntary only, measured runs */
	double switches_per_op;
	double preempted_per_op;
};

/* A mechanism: its two ends while the pass runs, then its results. */
struct mech_result {
	bool skipped, measured;
	char reason[128];
	struct channel chan;         /* the sender's end */
	pid_t receiver;
	struct cell cells[NCELLS];
	int cpu_parent, cpu_child;
	char allowed_parent[64], allowed_child[64];
	bool name_gone;
	bool has_name;
};

static void
note_cell(enum mech kind, bool pinned, size_t i, const struct cell *cell)
{
	bool latency = i == NSIZES;
	const char *metric = latency ? "latency" : "throughput";
	long long size = latency ? LATENCY_SIZE : (long long)sizes[i];

	if (cell->skipped) {
		pl_note("cell",
		        PL_FIELDS(PL_STR("mechanism", mechs[kind].name), PL_BOOL("pinned", pinned),
		                  PL_STR("metric", metric), PL_INT("size", size),
		                  PL_BOOL("skipped", true), PL_STR("reason", cell->reason)),
		        "%s, %s, %lld B: skipped: %s", mechs[kind].name, metric, size, cell->reason);
		return;
	}
	if (latency)
		pl_note("cell",
		        PL_FIELDS(PL_STR("mechanism", mechs[kind].name), PL_BOOL("pinned", pinned),
		                  PL_STR("metric", metric), PL_INT("size", size),
		                  PL_BOOL("skipped", false), PL_INT("runs", repeats),
		                  PL_DOUBLE("median_us", cell->value), PL_DOUBLE("p99_us", cell->p99),
		                  PL_DOUBLE("spread_pct", cell->spread),
		                  PL_INT("round_trips", (long long)cell->count),
		                  PL_DOUBLE("switches_per_trip", cell->switches_per_op),
		                  PL_DOUBLE("preemptions_per_trip", cell->preempted_per_op),
		                  PL_BOOL("intact", cell->intact)),
		        "%s, round trip: median %.1f us, p99 %.1f us (spread %.0f%%), %.2f "
		        "context switches per trip",
		        mechs[kind].name, cell->value, cell->p99, cell->spread,
		        cell->switches_per_op);
	else
		pl_note("cell",
		        PL_FIELDS(PL_STR("mechanism", mechs[kind].name), PL_BOOL("pinned", pinned),
		                  PL_STR("metric", metric), PL_INT("size", size),
		                  PL_BOOL("skipped", false), PL_INT("runs", repeats),
		                  PL_DOUBLE("mb_s", cell->value), PL_DOUBLE("spread_pct", cell->spread),
		                  PL_INT("messages", (long long)cell->count),
		                  PL_DOUBLE("switches_per_message", cell->switches_per_op),
		                  PL_DOUBLE("preemptions_per_message", cell->preempted_per_op),
		                  PL_BOOL("intact", cell->intact)),
		        "%s, %lld B messages: %.1f MB/s (spread %.0f%%), %.2f context switches per "
		        "message",
		        mechs[kind].name, size, cell->value, cell->spread, cell->switches_per_op);
}

/* The figures of a cell, once its rounds are done. */
static void
cell_figures(struct cell *cell, bool latency)
{
	double ops = (double)(cell->count ? cell->count : 1);

	cell->value = pl_measure_median_spread(cell->runs, (size_t)repeats, &cell->spread);
	if (latency)
		cell->p99 = pl_measure_median_spread(cell->p99s, (size_t)repeats, NULL);
	cell->switches_per_op = (double)cell->switched / ops;
	cell->preempted_per_op = (double)cell->preempted / ops;
}

/* One run of cell I through M's two ends: round R, or the warm-up if R is
 * -1. The receiver waits for each job on its report channel (asleep, even
 * for shm-spin), so only the mechanism being measured is awake. */
static void
one_run(struct mech_result *m, size_t i, long r)
{
	struct cell *cell = &m->cells[i];
	struct switches mine = { 0, 0 }, theirs = { 0, 0 }, mine_after, theirs_after;
	unsigned long long uncounted = 0;
	long long preempted;
	double value, p99 = 0;
	bool warm_up = r < 0;

	if (!warm_up) {
		mine = switches_of(0);
		theirs = switches_of(m->receiver);
	}
	if (pl_child_release(m->receiver) == -1)
		pl_die("waking the receiver %ld", (long)m->receiver);
	if (i == NSIZES)
		value = latency_run(&m->chan, m->receiver, &p99, &cell->intact,
		                    warm_up ? &uncounted : &cell->count);
	else
		value = throughput_run(&m->chan, m->receiver, sizes[i], warm_up, &cell->intact,
		                       warm_up ? &uncounted : &cell->count);
	if (warm_up)
		return;
	mine_after = switches_of(0);
	theirs_after = switches_of(m->receiver);
	cell->runs[r] = value;
	cell->p99s[r] = p99;
	preempted = mine_after.involuntary - mine.involuntary + theirs_after.involuntary -
	            theirs.involuntary;
	cell->preempted += preempted;
	cell->switched += mine_after.voluntary - mine.voluntary + theirs_after.voluntary -
	                  theirs.voluntary + preempted;
}

/* In a child just forked: close the sender's ends of every mechanism but
 * KEEP (-1: of all of them). It inherited them, and a receiver that held
 * another's ends would keep that one's end of file from coming. */
static void
drop_channels(struct mech_result *results, int keep)
{
	for (int k = 0; k < MAX_MECHS; k++)
		if (k != keep && results[k].measured)
			channel_close(&results[k].chan);
}

/* ------------------------------------------------------------------ */
/* The ceilings: memcpy, dd | dd, and a bare ping-pong.                  */

/* The three dd pipelines: as a shell user would type it (the reading dd
 * reads 512 bytes at a time), with 64 KiB reads like the demo's, and the
 * writing dd alone: what filling its blocks from /dev/zero costs it. */
enum dd_kind { DD_PLAIN, DD_64K, DD_ZERO, NDD };

static const struct {
	const char *id;
	char *reader_bs;
	bool alone;
} dd_kinds[NDD] = {
	[DD_PLAIN] = { "dd", NULL, false },
	[DD_64K] = { "dd-64k", "bs=64K", false },
	[DD_ZERO] = { "dd-zero", NULL, true },
};

struct ceilings {
	double memcpy_cache, memcpy_ram;   /* MB/s */
	bool memcpy_ok;
	bool dd_ran;                        /* false: no dd, see dd_reason */
	char dd_reason[128];
	double dd_runs[NDD][MAX_REPEATS];   /* MB/s, round by round */
	double dd_mb_s[NDD], dd_spread[NDD];
	bool dd_ok[NDD], dd_timed_by_dd[NDD];
	double pingpong_runs[MAX_REPEATS], pingpong_p99s[MAX_REPEATS];
	double pingpong_us, pingpong_p99, pingpong_spread;
	bool pingpong_ok;
};

/* memcpy of BLOCK bytes again and again for run_seconds: MB/s. */
static double
memcpy_run(unsigned char *dst, const unsigned char *src, size_t block)
{
	double start = pl_measure_now(), end = start + run_seconds;
	long long copies = 0;

	do {
		memcpy(dst, src, block);
		/* Tell the compiler the copy is used, so it is not optimised away. */
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	} while (++copies < 2 || pl_measure_now() < end);
	return (double)copies * (double)block / 1e6 / (pl_measure_now() - start);
}

static void
measure_memcpy(struct ceilings *ce)
{
	static const size_t blocks[] = { 65536, 16 << 20 };
	double runs[MAX_REPEATS], spread, *out[] = { &ce->memcpy_cache, &ce->memcpy_ram };
	unsigned char *src = malloc(blocks[1]), *dst = malloc(blocks[1]);

	if (src == NULL || dst == NULL)
		pl_die("malloc");
	for (size_t i = 0; i < blocks[1]; i++)
		src[i] = (unsigned char)(i * 131u);
	ce->memcpy_ok = true;
	for (size_t b = 0; b < PL_COUNT(blocks); b++) {
		memcpy_run(dst, src, blocks[b]); /* warm-up */
		for (long r = 0; r < repeats; r++)
			runs[r] = memcpy_run(dst, src, blocks[b]);
		*out[b] = pl_measure_median_spread(runs, (size_t)repeats, &spread);
		ce->memcpy_ok = ce->memcpy_ok && memcmp(dst, src, blocks[b]) == 0;
		pl_note("ceiling",
		        PL_FIELDS(PL_STR("ceiling", b ? "memcpy-ram" : "memcpy-cache"),
		                  PL_INT("block", (long long)blocks[b]), PL_DOUBLE("mb_s", *out[b]),
		                  PL_DOUBLE("spread_pct", spread)),
		        "memcpy, %s blocks (%s): %.1f MB/s (spread %.0f%%)", b ? "16 MiB" : "64 KiB",
		        b ? "from memory" : "in the cache", *out[b], spread);
	}
	free(src);
	free(dst);
}

/* One dd of the pipeline, its standard stream END (0 or 1) on the pipe
 * and its stderr on ERR. The demo builds `dd ... | dd ...` itself, as a
 * shell would, so that both dd processes are its own children and die
 * with it (PR_SET_PDEATHSIG): a shell's children would outlive a SIGKILL. */
static pid_t
fork_dd(const int fds[2], int end, int err, char *const argv[])
{
	pid_t pid;

	switch (pid = pl_fork("dd", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: in the C locale, so the summary line reads the same */
		if (dup2(fds[end], end) == -1 || dup2(err, STDERR_FILENO) == -1)
			_exit(126);
		setenv("LC_ALL", "C", 1);
		signal(SIGPIPE, SIG_DFL); /* an ignored signal stays ignored across exec */
		execvp(argv[0], argv);
		_exit(errno == ENOENT ? 127 : 126);
	default:
		return pid;
	}
}

/* `dd if=/dev/zero bs=64K count=N | dd of=/dev/null [READER_BS]`, or
 * with ALONE the writing dd by itself, `dd if=/dev/zero of=/dev/null
 * bs=64K count=N`: what it costs dd to fill its blocks, which the demo's
 * own senders do not pay. The last dd's summary on stderr says how many
 * bytes it copied in how many seconds; if it cannot be read, the demo's
 * own timing is used. Returns MB/s. */
static double
dd_run(char *reader_bs, bool alone, bool *ok, bool *timed_by_dd)
{
	char count[32], text[1024];
	char *const source[] = { "dd", "if=/dev/zero", "bs=64K", count, NULL };
	char *const single[] = { "dd", "if=/dev/zero", "of=/dev/null", "bs=64K", count, NULL };
	char *const sink[] = { "dd", "of=/dev/null", reader_bs, NULL };
	double start = pl_measure_now(), secs = 0, elapsed;
	long long copied = -1;
	int fds[2], err[2], null, s1, s2 = 0;
	size_t got = 0;
	ssize_t n;
	pid_t p1, p2 = -1;

	snprintf(count, sizeof(count), "count=%lld", dd_bytes >> 16);
	if (pipe2(fds, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		pl_die("pipe");
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		pl_die("/dev/null");
	if (alone) {
		p1 = fork_dd(fds, 1, err[1], single);
	} else {
		p1 = fork_dd(fds, 1, null, source);
		p2 = fork_dd(fds, 0, err[1], sink);
	}
	close(fds[0]);
	close(fds[1]);
	close(err[1]);
	close(null);
	while (got < sizeof(text) - 1 &&
	       ((n = read(err[0], text + got, sizeof(text) - 1 - got)) > 0 ||
	        (n == -1 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	text[got] = '\0';
	close(err[0]);
	if (pl_child_wait(p1, &s1, 0) == -1 || (p2 != -1 && pl_child_wait(p2, &s2, 0) == -1))
		pl_die("waitpid");
	elapsed = pl_measure_now() - start;

	/* "33554432 bytes (34 MB, 32 MiB) copied, 0.0123 s, 2.7 GB/s" */
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *at = strstr(line, "copied, ");
		if (at != NULL && strstr(line, " bytes") != NULL) {
			copied = atoll(line);
			secs = strtod(at + strlen("copied, "), NULL);
		}
	}
	*ok = *ok && WIFEXITED(s1) && WEXITSTATUS(s1) == 0 && WIFEXITED(s2) &&
	      WEXITSTATUS(s2) == 0 && (copied == -1 || copied == dd_bytes);
	*timed_by_dd = copied == dd_bytes && positive_finite(secs);
	return (double)dd_bytes / 1e6 / (*timed_by_dd ? secs : elapsed);
}


/* Is there a dd to hold the pipe against? */
static void
dd_prepare(struct ceilings *ce)
{
	ce->dd_ran = access("/bin/dd", X_OK) == 0 || access("/usr/bin/dd", X_OK) == 0;
	if (!ce->dd_ran)
		snprintf(ce->dd_reason, sizeof(ce->dd_reason), "no dd in /bin or /usr/bin");
	for (int v = 0; v < NDD; v++)
		ce->dd_ok[v] = ce->dd_timed_by_dd[v] = true;
}

/* Each dd pipeline once: round R, or the warm-up if R is -1. */
static void
dd_round(struct ceilings *ce, long r)
{
	for (int v = 0; v < NDD && ce->dd_ran; v++) {
		bool by_dd = true;
		double mb_s = dd_run(dd_kinds[v].reader_bs, dd_kinds[v].alone, &ce->dd_ok[v], &by_dd);

		if (r >= 0) {
			ce->dd_runs[v][r] = mb_s;
			ce->dd_timed_by_dd[v] = ce->dd_timed_by_dd[v] && by_dd;
		}
	}
}

static void
report_dd(bool pinned, struct ceilings *ce)
{
	char what[128];

	if (!ce->dd_ran) {
		pl_note("ceiling",
		        PL_FIELDS(PL_STR("ceiling", "dd"), PL_BOOL("pinned", pinned),
		                  PL_BOOL("skipped", true), PL_STR("reason", ce->dd_reason)),
		        "dd | dd: skipped: %s", ce->dd_reason);
		return;
	}
	for (int v = 0; v < NDD; v++) {
		ce->dd_mb_s[v] =
		        pl_measure_median_spread(ce->dd_runs[v], (size_t)repeats, &ce->dd_spread[v]);
		if (dd_kinds[v].alone)
			snprintf(what, sizeof(what),
			         "dd if=/dev/zero of=/dev/null bs=64K count=%lld (the writing dd's "
			         "own work, alone)",
			         dd_bytes >> 16);
		else
			snprintf(what, sizeof(what), "dd if=/dev/zero bs=64K count=%lld | dd of=/dev/null%s%s",
			         dd_bytes >> 16, dd_kinds[v].reader_bs ? " " : "",
			         dd_kinds[v].reader_bs ? dd_kinds[v].reader_bs : "");
		pl_note("ceiling",
		        PL_FIELDS(PL_STR("ceiling", dd_kinds[v].id), PL_BOOL("pinned", pinned),
		                  PL_BOOL("skipped", false), PL_INT("bytes", dd_bytes),
		                  PL_DOUBLE("mb_s", ce->dd_mb_s[v]),
		                  PL_DOUBLE("spread_pct", ce->dd_spread[v]),
		                  PL_STR("timed_by", ce->dd_timed_by_dd[v] ? "dd" : "demo"),
		                  PL_BOOL("ok", ce->dd_ok[v])),
		        "%s: %.1f MB/s (spread %.0f%%)", what, ce->dd_mb_s[v], ce->dd_spread[v]);
	}
}
/* The simplest ping-pong there is: one byte each way over two pipes, no
 * framing, no checks in the child. What any mechanism's latency adds is
 * measured against this. */
static double
pingpong_run(int out, int in, double *p99, bool *ok)
{
	double end = pl_measure_now() + run_seconds;
	size_t n = 0;
	char byte;

	do {
		double start = pl_measure_now();

		byte = (char)n;
		write_all(out, &byte, 1);
		read_all(in, &byte, 1);
		*ok = *ok && byte == (char)n;
		record_trip(n, (pl_measure_now() - start) * 1e6);
	} while (++n < MIN_TRIPS || pl_measure_now() < end);
	*p99 = pl_measure_percentile(trip_times, n, 99);
	return pl_measure_median(trip_times, n);
}


/* The ping-pong's echo: a child of its own, alive for the latency cell. */
struct pong {
	int out, in;
	pid_t pid;
};

static void
pong_start(struct pong *pong, struct mech_result *results)
{
	int down[2], up[2];
	ssize_t n;
	char byte;

	if (pipe2(down, O_CLOEXEC) == -1 || pipe2(up, O_CLOEXEC) == -1)
		pl_die("pipe");
	switch (pong->pid = pl_fork("pong", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: send back every byte, until end of file. */
		drop_channels(results, -1);
		close(down[1]);
		close(up[0]);
		while ((n = read(down[0], &byte, 1)) == 1 || (n == -1 && errno == EINTR))
			if (n == 1)
				write_all(up[1], &byte, 1);
		_exit(EXIT_SUCCESS);
	default:
		close(down[0]);
		close(up[1]);
		pong->out = down[1];
		pong->in = up[0];
	}
}

static void
pong_stop(const struct pong *pong)
{
	close(pong->out);
	close(pong->in);
	if (pl_child_wait(pong->pid, NULL, 0) == -1)
		pl_die("waitpid");
}

static void
report_pingpong(bool pinned, struct ceilings *ce)
{
	ce->pingpong_us = pl_measure_median_spread(ce->pingpong_runs, (size_t)repeats,
	                                           &ce->pingpong_spread);
	ce->pingpong_p99 = pl_measure_median_spread(ce->pingpong_p99s, (size_t)repeats, NULL);
	pl_note("ceiling",
	        PL_FIELDS(PL_STR("ceiling", "pingpong"), PL_BOOL("pinned", pinned),
	                  PL_BOOL("skipped", false), PL_DOUBLE("median_us", ce->pingpong_us),
	                  PL_DOUBLE("p99_us", ce->pingpong_p99),
	                  PL_DOUBLE("spread_pct", ce->pingpong_spread),
	                  PL_BOOL("ok", ce->pingpong_ok)),
	        "minimal ping-pong, 1 byte over two pipes: median %.1f us, p99 %.1f us (spread "
	        "%.0f%%)",
	        ce->pingpong_us, ce->pingpong_p99, ce->pingpong_spread);
}

/* ------------------------------------------------------------------ */
/* A pass: every selected mechanism, pinned or not, with its ceilings.  */
/*                                                                      */
/* The machine does not stay the same for long: on a virtual machine    */
/* especially, the same round trip can take 2.6 us for a while, then    */
/* 4 us, as the host moves things about. So every receiver lives for    */
/* the whole pass, and the runs go in rounds: in each round every       */
/* mechanism runs once, in a turning order, and right after the pipe,   */
/* the ceiling it is held against (dd | dd for 64 KiB, the ping-pong    */
/* for the round trip). A change on the machine then falls on every     */
/* mechanism alike, and the pipe and its ceiling are compared round by  */
/* round.                                                               */

struct pass {
	bool pinned;
	int cpu;
	struct ceilings ceilings;
	struct mech_result results[MAX_MECHS];
	int paired_dd, paired_pingpong;          /* rounds with the pipe and its ceiling */
	double dd_ratios[MAX_REPEATS];           /* pipe 64 KiB / dd-64k, each round */
	double pingpong_ratios[MAX_REPEATS];     /* pipe round trip / ping-pong, each round */
};

static cpu_set_t original_cpus;

static void
set_affinity(const cpu_set_t *set)
{
	if (sched_setaffinity(0, sizeof(*set), set) == -1)
		pl_die("sched_setaffinity");
}

/* Open mechanism KIND and fork its receiver, which then waits for jobs. */
static void
start_mechanism(struct pass *p, enum mech kind)
{
	struct mech_result *m = &p->results[kind];
	pid_t pid;

	if (channel_open(&m->chan, kind, m->reason, sizeof(m->reason)) == -1) {
		m->skipped = true;
		for (size_t i = 0; i < NCELLS; i++) {
			m->cells[i].skipped = true;
			snprintf(m->cells[i].reason, sizeof(m->cells[i].reason), "%s", m->reason);
		}
		return;
	}
	switch (pid = pl_fork("receiver", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: the receiving end; it stays until the parent has looked. */
		drop_channels(p->results, kind);
		channel_attach(&m->chan, true);
		serve(&m->chan);
		pl_child_hold();
		_exit(EXIT_SUCCESS);
	default: /* Parent: the sending end. */
		m->chan.peer = m->receiver = pid;
		channel_attach(&m->chan, false);
	}
	m->measured = true;
	m->has_name = m->chan.name[0] != '\0';
	m->name_gone = m->chan.name_gone;
	for (size_t i = 0; i < NCELLS; i++) {
		m->cells[i].intact = true;
		if (i < NSIZES && !fits(kind, sizes[i], m->cells[i].reason, sizeof(m->cells[i].reason)))
			m->cells[i].skipped = true;
	}
}

/* The ceiling cell I is held against, once: round R, or the warm-up if R
 * is -1. */
static void
ceiling_run(struct pass *p, size_t i, const struct pong *pong, long r)
{
	struct ceilings *ce = &p->ceilings;
	double us, p99;

	if (i == NSIZES - 1) {
		dd_round(ce, r);
	} else if (i == NSIZES) {
		us = pingpong_run(pong->out, pong->in, &p99, &ce->pingpong_ok);
		if (r >= 0) {
			ce->pingpong_runs[r] = us;
			ce->pingpong_p99s[r] = p99;
		}
	}
}

/* Cell I of every mechanism, in rounds. */
static void
measure_cell_rounds(struct pass *p, size_t i, const struct pong *pong)
{
	struct mech_result *pipe = &p->results[PIPE];
	struct ceilings *ce = &p->ceilings;
	int order[MAX_MECHS], n = 0;

	for (int k = 0; k < MAX_MECHS; k++)
		if (p->results[k].measured && !p->results[k].cells[i].skipped)
			order[n++] = k;
	for (int j = 0; j < n; j++)
		one_run(&p->results[order[j]], i, -1);
	ceiling_run(p, i, pong, -1);
	for (long r = 0; r < repeats; r++) {
		bool held_against = false;

		for (int j = 0; j < n; j++) {
			int k = order[(j + r) % n];

			one_run(&p->results[k], i, r);
			if (k == PIPE) {
				ceiling_run(p, i, pong, r);
				held_against = true;
			}
		}
		if (!held_against)
			ceiling_run(p, i, pong, r);
		else if (i == NSIZES - 1 && ce->dd_ran)
			p->dd_ratios[p->paired_dd++] = pipe->cells[i].runs[r] / ce->dd_runs[DD_64K][r];
		else if (i == NSIZES)
			p->pingpong_ratios[p->paired_pingpong++] =
			        pipe->cells[i].runs[r] / ce->pingpong_runs[r];
	}
	for (int j = 0; j < n; j++)
		cell_figures(&p->results[order[j]].cells[i], i == NSIZES);
}

/* Say what mechanism KIND measured and where its ends ran, then let its
 * receiver go. */
static void
finish_mechanism(struct pass *p, enum mech kind)
{
	struct mech_result *m = &p->results[kind];
	pid_t pid = m->receiver;

	for (size_t i = 0; i < NCELLS; i++)
		note_cell(kind, p->pinned, i, &m->cells[i]);
	if (!m->measured) {
		pl_note("mechanism",
		        PL_FIELDS(PL_STR("mechanism", mechs[kind].name), PL_BOOL("pinned", p->pinned),
		                  PL_BOOL("skipped", true), PL_STR("reason", m->reason)),
		        "%s: skipped: %s", mechs[kind].name, m->reason);
		return;
	}
	/* Both ends are still alive: where did the kernel let them run? */
	m->cpu_parent = last_cpu(0);
	m->cpu_child = last_cpu(pid);
	if (!status_value(0, "Cpus_allowed_list", m->allowed_parent, sizeof(m->allowed_parent)))
		snprintf(m->allowed_parent, sizeof(m->allowed_parent), "?");
	if (!status_value(pid, "Cpus_allowed_list", m->allowed_child, sizeof(m->allowed_child)))
		snprintf(m->allowed_child, sizeof(m->allowed_child), "?");
	pl_note("mechanism",
	        PL_FIELDS(PL_STR("mechanism", mechs[kind].name), PL_BOOL("pinned", p->pinned),
	                  PL_BOOL("skipped", false), PL_INT("sender", getpid()),
	                  PL_INT("receiver", pid), PL_INT("sender_cpu", m->cpu_parent),
	                  PL_INT("receiver_cpu", m->cpu_child),
	                  PL_STR("sender_cpus_allowed", m->allowed_parent),
	                  PL_STR("receiver_cpus_allowed", m->allowed_child),
	                  PL_STR("name", m->chan.name), PL_BOOL("name_gone", m->chan.name_gone),
	                  PL_INT("port", m->chan.port),
	                  PL_INT("strangers_refused", m->chan.strangers)),
	        "%s (%s): sender %ld on CPU %d (allowed %s), receiver %ld on CPU %d (allowed %s)",
	        mechs[kind].name, mechs[kind].what, (long)getpid(), m->cpu_parent,
	        m->allowed_parent, (long)pid, m->cpu_child, m->allowed_child);
	pl_child_release(pid);
	if (pl_child_wait(pid, NULL, 0) == -1)
		pl_die("waitpid");
	channel_close(&m->chan);
}

static void
run_pass(struct pass *p, bool first)
{
	cpu_set_t one;
	char allowed[64] = "?";
	struct pong pong;

	p->cpu = -1;
	if (p->pinned) {
		/* The lowest CPU we may use. Children inherit the mask. */
		for (int cpu = 0; cpu < CPU_SETSIZE && p->cpu == -1; cpu++)
			if (CPU_ISSET(cpu, &original_cpus))
				p->cpu = cpu;
		CPU_ZERO(&one);
		CPU_SET(p->cpu, &one);
		set_affinity(&one);
	}
	spin_limit = p->pinned ? 1 : SPIN_LIMIT;
	status_value(0, "Cpus_allowed_list", allowed, sizeof(allowed));
	if (p->pinned)
		pl_step("pinned", PL_FIELDS(PL_INT("cpu", p->cpu), PL_STR("cpus_allowed", allowed)),
		        "pinned: both ends on CPU %d (sched_setaffinity; Cpus_allowed_list: %s)",
		        p->cpu, allowed);
	else
		pl_step("unpinned", PL_FIELDS(PL_STR("cpus_allowed", allowed)),
		        "unpinned: the scheduler places both ends on CPUs %s", allowed);
	if (first) /* the sizing, once */
		pl_note("sizing",
		        PL_FIELDS(PL_DOUBLE("run_seconds", run_seconds), PL_INT("repeats", repeats),
		                  PL_INT("dd_bytes", dd_bytes), PL_INT("msgsize_max", msgsize_max),
		                  PL_INT("cpus", CPU_COUNT(&original_cpus))),
		        "each cell: one warm-up, then %ld measured runs of %.0f ms; %d CPUs",
		        repeats, run_seconds * 1000, CPU_COUNT(&original_cpus));

	if (selected[MQUEUE] && mq_msgsize < sizes[NSIZES - 1])
		pl_note("mq-limit", PL_FIELDS(PL_INT("msgsize_max", msgsize_max)),
		        "%s is %ld: a queue message of %zu bytes does not fit, so mq skips that size",
		        MSGSIZE_MAX_FILE, msgsize_max, sizes[NSIZES - 1]);
	for (int k = 0; k < MAX_MECHS; k++)
		if (selected[k])
			start_mechanism(p, (enum mech)k);
	dd_prepare(&p->ceilings);
	for (size_t i = 0; i < NSIZES; i++)
		measure_cell_rounds(p, i, NULL);
	p->ceilings.pingpong_ok = true;
	pong_start(&pong, p->results);
	measure_cell_rounds(p, NSIZES, &pong);
	pong_stop(&pong);

	for (int k = 0; k < MAX_MECHS; k++)
		if (selected[k])
			finish_mechanism(p, (enum mech)k);
	report_dd(p->pinned, &p->ceilings);
	report_pingpong(p->pinned, &p->ceilings);
	if (p->pinned)
		set_affinity(&original_cpus);
}

/* ------------------------------------------------------------------ */
/* The table, and what the figures say.                                  */

static void
format_figure(char *buf, size_t size, const struct cell *cell, bool p99)
{
	if (cell->skipped)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", p99 ? cell->p99 : cell->value);
}

static void
print_table(const struct pass *p)
{
	pl_note("table-header", PL_FIELDS(PL_BOOL("pinned", p->pinned)),
	        "%s | MB/s: %9s %9s %9s | round trip us: %7s %7s | spread",
	        p->pinned ? "pinned  " : "unpinned", "64 B", "4 KiB", "64 KiB", "median", "p99");
	for (int k = 0; k < MAX_MECHS; k++) {
		const struct mech_result *m = &p->results[k];
		char fig[NCELLS + 1][24];
		double spread = 0;

		if (!selected[k])
			continue;
		for (size_t i = 0; i < NCELLS; i++) {
			format_figure(fig[i], sizeof(fig[i]), &m->cells[i], false);
			if (!m->cells[i].skipped && m->cells[i].spread > spread)
				spread = m->cells[i].spread;
		}
		format_figure(fig[NCELLS], sizeof(fig[NCELLS]), &m->cells[NSIZES], true);
		pl_note("table-row",
		        PL_FIELDS(PL_STR("mechanism", mechs[k].name), PL_BOOL("pinned", p->pinned)),
		        "%-10s        %9s %9s %9s |                %7s %7s | %.0f%%", mechs[k].name,
		        fig[0], fig[1], fig[2], fig[3], fig[4], spread);
	}
	pl_note("table-row", PL_FIELDS(PL_STR("mechanism", "ceilings"), PL_BOOL("pinned", p->pinned)),
	        "%-10s        dd | dd %.1f (dd bs=64K both ends %.1f) | ping-pong %.1f %.1f",
	        "ceilings", p->ceilings.dd_mb_s[DD_PLAIN], p->ceilings.dd_mb_s[DD_64K], p->ceilings.pingpong_us,
	        p->ceilings.pingpong_p99);
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* The expected order of round trips, for one set of figures. */
static bool
in_order(const double lat[MAX_MECHS])
{
	return lat[SHM_SPIN] < lat[SHM_SEM] && lat[SHM_SPIN] < lat[PIPE] &&
	       lat[SHM_SEM] < lat[UNIX_STREAM] && lat[PIPE] < lat[UNIX_STREAM] &&
	       lat[UNIX_STREAM] < lat[TCP];
}

/* The issue's acceptance figures. They depend on the machine and its load,
 * so they are reported, never checked. The comparisons with a ceiling are
 * made round by round (see "A pass" above): the median of the rounds'
 * ratios. */
static void
verdict(const struct pass *p)
{
	const struct mech_result *r = p->results;
	const struct ceilings *ce = &p->ceilings;
	const char *mode = p->pinned ? "pinned" : "unpinned";
	double lat[MAX_MECHS], round_lat[MAX_MECHS];
	bool have_all = true;
	int rounds_held = 0;

	for (int k = 0; k < MAX_MECHS; k++) {
		have_all = have_all && selected[k] && r[k].measured && !r[k].cells[NSIZES].skipped;
		lat[k] = r[k].cells[NSIZES].value;
	}
	if (have_all) {
		bool held = in_order(lat);

		for (long i = 0; i < repeats; i++) {
			for (int k = 0; k < MAX_MECHS; k++)
				round_lat[k] = r[k].cells[NSIZES].runs[i];
			rounds_held += in_order(round_lat);
		}
		pl_note("ordering",
		        PL_FIELDS(PL_STR("mode", mode), PL_BOOL("held", held),
		                  PL_DOUBLE("shm_spin_us", lat[SHM_SPIN]),
		                  PL_DOUBLE("shm_sem_us", lat[SHM_SEM]), PL_DOUBLE("pipe_us", lat[PIPE]),
		                  PL_DOUBLE("unix_us", lat[UNIX_STREAM]), PL_DOUBLE("tcp_us", lat[TCP]),
		                  PL_INT("rounds", repeats), PL_INT("rounds_held", rounds_held)),
		        "%s: ordering shm-spin < shm-sem, pipe < unix < tcp held: %s (%.1f; %.1f, "
		        "%.1f; %.1f; %.1f us; in %d of %ld rounds)",
		        mode, yes_no(held), lat[SHM_SPIN], lat[SHM_SEM], lat[PIPE], lat[UNIX_STREAM],
		        lat[TCP], rounds_held, repeats);
	}
	if (selected[PIPE] && r[PIPE].measured && ce->dd_ran) {
		double pipe = r[PIPE].cells[NSIZES - 1].value, dd = ce->dd_mb_s[DD_64K];
		double zero = ce->dd_mb_s[DD_ZERO], net = 0, low, high;
		double ratio = pl_measure_median_spread(p->dd_ratios, (size_t)p->paired_dd, NULL);
		bool near = ratio >= 0.9;
		char without[160] = "";

		low = high = p->dd_ratios[0];
		for (int i = 1; i < p->paired_dd; i++) {
			low = p->dd_ratios[i] < low ? p->dd_ratios[i] : low;
			high = p->dd_ratios[i] > high ? p->dd_ratios[i] : high;
		}
		/* The pipe may beat dd | dd: the writing dd fills each block from
		 * /dev/zero before it writes it, and the demo's sender does not.
		 * On one CPU the times add up, so the filling, timed alone, can be
		 * taken away: what is left is the pipe as the demo's sender uses it. */
		if (p->pinned && zero > dd) {
			net = 1 / (1 / dd - 1 / zero);
			snprintf(without, sizeof(without),
			         "; less the writing dd's own %.0f MB/s of /dev/zero, dd | dd moves "
			         "%.1f: %.2fx",
			         zero, net, pipe / net);
		}
		pl_note("pipe-vs-dd",
		        PL_FIELDS(PL_STR("mode", mode), PL_BOOL("held", near),
		                  PL_DOUBLE("pipe_mb_s", pipe), PL_DOUBLE("dd_64k_mb_s", dd),
		                  PL_DOUBLE("ratio", ratio), PL_DOUBLE("ratio_low", low),
		                  PL_DOUBLE("ratio_high", high), PL_INT("rounds", p->paired_dd),
		                  PL_DOUBLE("dd_zero_mb_s", zero), PL_DOUBLE("dd_net_mb_s", net),
		                  PL_DOUBLE("dd_mb_s", ce->dd_mb_s[DD_PLAIN])),
		        "%s: pipe throughput within 10%% of dd | dd (bs=64K both ends), or above it, "
		        "held: %s (%.1f against %.1f MB/s; %.2fx, the median of %d rounds, %.2fx to "
		        "%.2fx%s; plain dd of=/dev/null: %.1f)",
		        mode, yes_no(near), pipe, dd, ratio, p->paired_dd, low, high, without,
		        ce->dd_mb_s[DD_PLAIN]);
	}
	if (selected[PIPE] && r[PIPE].measured) {
		double ratio = pl_measure_median_spread(p->pingpong_ratios,
		                                        (size_t)p->paired_pingpong, NULL);

		pl_note("pipe-vs-pingpong",
		        PL_FIELDS(PL_STR("mode", mode), PL_BOOL("held", ratio <= 1.2),
		                  PL_DOUBLE("pipe_us", r[PIPE].cells[NSIZES].value),
		                  PL_DOUBLE("pingpong_us", ce->pingpong_us), PL_DOUBLE("ratio", ratio),
		                  PL_INT("rounds", p->paired_pingpong)),
		        "%s: pipe latency within 1.2x of the minimal ping-pong held: %s (%.1f against "
		        "%.1f us; %.2fx, the median of %d rounds)",
		        mode, yes_no(ratio <= 1.2), r[PIPE].cells[NSIZES].value, ce->pingpong_us,
		        ratio, p->paired_pingpong);
	}
}

/* The claims that hold on any machine, however busy. */
static void
check_pass(const struct pass *p)
{
	const char *mode = p->pinned ? "pinned" : "unpinned";
	unsigned long long messages = 0, trips = 0;
	int intact = 0, measured = 0, finite = 0, figures = 0, on_cpu = 0, names = 0, named = 0;
	bool dd_fine = true;
	char cpu[16];

	snprintf(cpu, sizeof(cpu), "%d", p->cpu);
	for (int k = 0; k < MAX_MECHS; k++) {
		const struct mech_result *m = &p->results[k];
		bool all = true;

		if (!selected[k] || !m->measured)
			continue;
		measured++;
		for (size_t i = 0; i < NCELLS; i++) {
			const struct cell *cell = &m->cells[i];

			if (cell->skipped)
				continue;
			all = all && cell->intact;
			figures += 1 + (i == NSIZES);
			finite += positive_finite(cell->value) + (i == NSIZES && positive_finite(cell->p99));
			*(i == NSIZES ? &trips : &messages) += cell->count;
		}
		intact += all;
		on_cpu += m->cpu_parent == p->cpu && m->cpu_child == p->cpu &&
		          strcmp(m->allowed_parent, cpu) == 0 && strcmp(m->allowed_child, cpu) == 0;
		named += m->has_name;
		names += m->has_name && m->name_gone;
	}
	if (measured == 0)
		return;
	pl_check("messages-intact", intact == measured,
	         PL_FIELDS(PL_STR("mode", mode), PL_INT("mechanisms", measured),
	                   PL_INT("intact", intact), PL_INT("messages", (long long)messages),
	                   PL_INT("round_trips", (long long)trips)),
	         "%s: %llu messages and %llu round trips over %d mechanisms, every one in order "
	         "and intact",
	         mode, messages, trips, measured);
	pl_check("figures-positive", finite == figures,
	         PL_FIELDS(PL_STR("mode", mode), PL_INT("figures", figures), PL_INT("finite", finite)),
	         "%s: all %d figures are positive and finite", mode, figures);
	if (named > 0)
		pl_check("names-removed-early", names == named,
		         PL_FIELDS(PL_STR("mode", mode), PL_INT("named", named), PL_INT("removed", names)),
		         "%s: every name (socket path, queues, segment: %d mechanisms) was removed "
		         "as soon as both ends held the object",
		         mode, named);
	if (p->pinned)
		pl_check("both-ends-pinned", on_cpu == measured,
		         PL_FIELDS(PL_INT("cpu", p->cpu), PL_INT("mechanisms", measured),
		                   PL_INT("on_cpu", on_cpu)),
		         "pinned: for every mechanism the kernel showed both ends allowed on CPU %d "
		         "only, and running there",
		         p->cpu);
	for (int v = 0; v < NDD && p->ceilings.dd_ran; v++)
		dd_fine = dd_fine && p->ceilings.dd_ok[v] && positive_finite(p->ceilings.dd_mb_s[v]);
	pl_check("ceilings-ran",
	         p->ceilings.pingpong_ok && dd_fine && positive_finite(p->ceilings.pingpong_us),
	         PL_FIELDS(PL_STR("mode", mode)),
	         "%s: dd | dd copied every byte and exited 0, and every ping-pong byte came back",
	         mode);
}

/* ------------------------------------------------------------------ */

static void
parse_choices(bool *modes_pinned, bool *modes_unpinned)
{
	char list[256], *save = NULL;

	if (strcmp(pin_choice, "both") == 0)
		*modes_pinned = *modes_unpinned = true;
	else if (strcmp(pin_choice, "pinned") == 0)
		*modes_pinned = true;
	else if (strcmp(pin_choice, "unpinned") == 0)
		*modes_unpinned = true;
	else
		pl_die_usage("--pin must be pinned, unpinned or both, not '%s'", pin_choice);

	if (only == NULL) {
		for (int k = 0; k < MAX_MECHS; k++)
			selected[k] = true;
		return;
	}
	if (strlen(only) >= sizeof(list) || only[0] == ',' || only[strlen(only) - 1] == ',' ||
	    strstr(only, ",,") != NULL)
		pl_die_usage("--only takes names separated by commas, not '%s'", only);
	snprintf(list, sizeof(list), "%s", only);
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int found = -1;

		for (int k = 0; k < MAX_MECHS; k++)
			if (strcmp(name, mechs[k].name) == 0)
				found = k;
		if (found == -1)
			pl_die_usage("--only: no mechanism '%s' (pipe socketpair unix tcp mq "
			             "shm-sem shm-spin)",
			             name);
		selected[found] = true;
	}
}

/* How long each run lasts: --seconds spread over every run of every
 * cell, divided by --speed, with a floor so each run still has a few
 * messages. dd copies a fixed number of bytes, scaled the same way. */
static void
size_runs(int modes)
{
	double speed = pl_narrate_get_config()->speed, scale;
	int cells = 2; /* memcpy */
	char text[32];
	int fd;

	for (int k = 0; k < MAX_MECHS; k++)
		cells += selected[k] ? modes * (int)NCELLS : 0;
	cells += modes * 3; /* two dd pipelines and a ping-pong */
	run_seconds = seconds / speed / ((double)cells * (double)(repeats + 1));
	run_seconds = run_seconds < MIN_RUN_SECONDS   ? MIN_RUN_SECONDS
	              : run_seconds > MAX_RUN_SECONDS ? MAX_RUN_SECONDS
	                                              : run_seconds;
	scale = seconds / 4.0 / speed;
	dd_bytes = (long long)((double)DD_DEFAULT_BYTES * scale) & ~65535LL;
	dd_bytes = dd_bytes < (1LL << 20) ? 1LL << 20 : dd_bytes > (4LL << 30) ? 4LL << 30 : dd_bytes;
	hear_timeout_ms = (int)(run_seconds * 1000) + 30000;

	/* mq_overview(7): a queue's messages may be at most msgsize_max bytes
	 * (8192 by default) unless the process has CAP_SYS_RESOURCE. */
	msgsize_max = 8192;
	if ((fd = open(MSGSIZE_MAX_FILE, O_RDONLY | O_CLOEXEC)) != -1) {
		ssize_t n = read(fd, text, sizeof(text) - 1);
		if (n > 0) {
			text[n] = '\0';
			text[strcspn(text, "\n")] = '\0';
			pl_parse_long(text, 1, LONG_MAX, &msgsize_max);
		}
		close(fd);
	}
	mq_msgsize = LATENCY_SIZE;
	for (size_t i = 0; i < NSIZES; i++)
		if ((long)sizes[i] <= msgsize_max)
			mq_msgsize = sizes[i];
}

int
main(int argc, char *argv[])
{
	static struct pass passes[2];
	struct ceilings shared_ceilings;
	bool want_pinned = false, want_unpinned = false;
	int npasses = 0;

	pl_demo_init(argc, argv, &demo);
	parse_choices(&want_pinned, &want_unpinned);
	/* A receiver that is gone: write() fails with EPIPE and the demo says
	 * so, instead of dying of SIGPIPE without a word. */
	signal(SIGPIPE, SIG_IGN);
	if (sched_getaffinity(0, sizeof(original_cpus), &original_cpus) == -1)
		pl_die("sched_getaffinity");
	size_runs(want_pinned + want_unpinned);

	if (want_unpinned)
		passes[npasses++].pinned = false;
	if (want_pinned)
		passes[npasses++].pinned = true;
	for (int i = 0; i < npasses; i++) {
		run_pass(&passes[i], i == 0);
		check_pass(&passes[i]);
	}

	pl_step("memcpy", NULL, "the last ceiling: memcpy, one process copying memory");
	measure_memcpy(&shared_ceilings);
	pl_check("memcpy-copied", shared_ceilings.memcpy_ok &&
	                                  positive_finite(shared_ceilings.memcpy_cache) &&
	                                  positive_finite(shared_ceilings.memcpy_ram),
	         NULL, "memcpy copied every byte, at a positive, finite rate");

	pl_step("table", PL_FIELDS(PL_INT("repeats", repeats)),
	        "the table: medians of %ld runs; memcpy %.1f MB/s in the cache, %.1f from memory",
	        repeats, shared_ceilings.memcpy_cache, shared_ceilings.memcpy_ram);
	for (int i = 0; i < npasses; i++)
		print_table(&passes[i]);

	pl_step("verdict", NULL,
	        "what the figures say (a benchmark result, not a check: it depends on the load)");
	for (int i = 0; i < npasses; i++)
		verdict(&passes[i]);

	return pl_demo_finish();
}
