/* queue.c - many producers, many consumers, and a queue between them.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. mq_open() makes a named POSIX message queue, listed in /dev/mqueue
 *      (the demo reads its QSIZE line there) with at most
 *      /proc/sys/fs/mqueue/msg_max messages for a normal user.
 *   2. --producers P processes open it by name and send --messages M
 *      messages each, while the --consumers C processes are paused on
 *      purpose: the queue fills, and every producer blocks in mq_send().
 *      /proc/PID/stat says S (sleeping) and /proc/PID/wchan says where.
 *      That is backpressure.
 *   3. the consumers drain it: every message arrives exactly once. The
 *      demo counts them, sums a checksum, marks each message in a tally in
 *      shared memory (duplicates and losses show there), and checks that
 *      each mq_receive() returned exactly one whole message.
 *   4-5. the same over a ring buffer in POSIX shared memory, guarded by the
 *      classic trio of process-shared semaphores: empty, full and mutex.
 *      Blocked producers sleep in a futex wait.
 *   6. a queue keeps message boundaries and has as many ends as processes
 *      that open it by name; a pipe has two ends and carries a byte stream:
 *      two writes come out as one read, and one write as two reads.
 *   7. nothing is left: both names were unlinked as soon as every process
 *      had opened them, so even a SIGKILL leaves nothing behind after that.
 *      Before that, a guardian process removes them if the demo dies,
 *      SIGKILL included (pl_cleanup.h). They end in random digits that
 *      nobody can guess (pl_name.h), and say who made them, so that a run
 *      can remove those whose maker and guardian are both gone.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   open_queue()   mq_open() of a POSIX message queue of DEPTH messages
 *   producer()     a process that sends messages
 *   consumer()     a process that receives them
 *   put()          send one message; it sleeps while the queue is full
 *   take()         receive one message
 *   ring_insert()  the same over shared memory: semaphores round a ring
 *
 * Usage:     proclab-queue [--producers P] [--consumers C] [--messages M]
 *                          [--depth D]
 * Dashboard: `proclab queue` shows the producers sleeping (S) in the
 *            queue's wait (wq_sleep), then in a futex wait, while the
 *            consumers sit paused; then all of them running as it drains.
 * Lesson:    lessons/08-queue.md
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_PRODUCERS 8
#define MAX_CONSUMERS 8
#define MAX_DEPTH 64
#define MAX_MESSAGES 100000
#define HEAR_TIMEOUT_MS 10000
#define BLOCK_TIMEOUT_MS 10000
#define DRAIN_TIMEOUT_MS 10000
#define MQUEUE_MAGIC_NUMBER 0x19800202 /* linux/magic.h: MQUEUE_MAGIC */
#define STOP (-1)                     /* a message's producer: "no more work" */

static long producers = 3, consumers = 2, messages = 1000, depth = 8;

static const struct pl_option options[] = {
	{ "producers", 'p', PL_OPT_INT, "P", "processes that send messages", 1, MAX_PRODUCERS,
	  &producers },
	{ "consumers", 'c', PL_OPT_INT, "C", "processes that receive them", 1, MAX_CONSUMERS,
	  &consumers },
	{ "messages", 'm', PL_OPT_INT, "M", "messages each producer sends (more than --depth)", 2,
	  MAX_MESSAGES, &messages },
	{ "depth", 'd', PL_OPT_INT, "D",
	  "messages the queue and the ring hold (at most /proc/sys/fs/mqueue/msg_max)", 1,
	  MAX_DEPTH, &depth },
};

static const struct pl_demo demo = {
	.name = "queue",
	.summary = "Producers and consumers over a message queue and a shared-memory ring.",
	.description = "Each claim is checked while the demo runs: the queue in /dev/mqueue, the\n"
	               "blocked producers in /proc/PID/stat and wchan, and every message counted,\n"
	               "summed and tallied so that none is lost or duplicated.\n"
	               "--messages must be more than --depth, so that every producer blocks, and\n"
	               "--depth at most /proc/sys/fs/mqueue/msg_max.",
	.lesson = "08-queue.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* One message. Producer p's message number s carries the value
 * p * M + s + 1, so the values of a whole run are 1 .. P*M, each once:
 * their sum is a checksum, and each has a place in the tally. */
struct message {
	int32_t producer; /* 0 .. P-1, or STOP */
	int32_t seq;      /* 0 .. M-1: the order its producer sent it in */
	int64_t value;
};

/* The ring buffer, all of it in the shared memory segment. */
struct ring {
	sem_t empty; /* free slots: a producer waits here while the ring is full */
	sem_t full;  /* used slots: a consumer waits here while it is empty */
	sem_t mutex; /* value 1: one process at a time moves head or tail */
	unsigned head, tail;
	struct message slots[MAX_DEPTH];
};

enum kind { MQ, RING };
static const char *const kind_ids[] = { "mq", "ring" };

/* "/proclab-queue-PID-START-RANDOM" and "/proclab-queue-ring-PID-START-RANDOM" */
static char mq_name[PL_NAME_MAX], ring_name[PL_NAME_MAX];
static bool mq_linked, ring_linked;
static mqd_t mq = (mqd_t)-1;            /* the parent's end of the queue */
static bool mq_usable;                  /* false: this system has no mqueue */
static struct ring *ring = MAP_FAILED;  /* the parent's mapping of the ring */
static _Atomic unsigned char *tally;    /* tally[value - 1]: times it arrived */
static int ends_opened;                 /* processes that opened the queue */

/* ------------------------------------------------------------------ */
/* Helpers.                                                              */

static long
read_limit(const char *name)
{
	char path[96];
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &value) != 1)
			value = -1;
		fclose(f);
	}
	return value;
}

/* Is NAME (without its slash) listed in DIR? Fills *ST if so. */
static bool
listed_in(const char *dir_path, const char *name, struct stat *st)
{
	DIR *dir = opendir(dir_path);
	struct dirent *entry;
	bool found = false;

	if (dir == NULL)
		return false;
	while (!found && (entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, name + 1) == 0)
			found = fstatat(dirfd(dir), entry->d_name, st, 0) == 0;
	closedir(dir);
	return found;
}

static bool
mqueue_mounted(void)
{
	struct statfs fs;

	return statfs("/dev/mqueue", &fs) == 0 && fs.f_type == MQUEUE_MAGIC_NUMBER;
}

/* What the kernel says about a queue: the one line that `cat
 * /dev/mqueue/NAME` prints, "QSIZE:... NOTIFY:... SIGNO:... NOTIFY_PID:...".
 * On Linux an mqd_t is a file descriptor of that same file, so reading it
 * works even once the name is gone or /dev/mqueue is not mounted. */
static bool
mq_kernel_line(int fd_or_minus1, const char *path, char *line, size_t size)
{
	int fd = fd_or_minus1 != -1 ? fd_or_minus1 : open(path, O_RDONLY);
	ssize_t n;

	if (fd == -1)
		return false;
	n = pread(fd, line, size - 1, 0);
	if (fd_or_minus1 == -1)
		close(fd);
	if (n <= 0)
		return false;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	/* The kernel pads with spaces: squeeze them to one. */
	for (char *from = line, *to = line; (*to = *from) != '\0'; from++)
		if (!(from[0] == ' ' && (from[1] == ' ' || from[1] == '\0')))
			to++;
	return true;
}

static long
qsize_of(const char *line)
{
	const char *q = strstr(line, "QSIZE:");

	return q != NULL ? strtol(q + 6, NULL, 10) : -1;
}

static struct timespec
deadline_in(int ms)
{
	/* mq_timedsend and sem_timedwait count on CLOCK_REALTIME. */
	return pl_measure_deadline(CLOCK_REALTIME, ms * 1000000LL);
}

static void
unlink_name(enum kind kind)
{
	if (kind == MQ) {
		if (mq_unlink(mq_name) == -1)
			pl_die("mq_unlink(%s)", mq_name);
		pl_cleanup_forget(PL_CLEANUP_MQ, mq_name);
		mq_linked = false;
	} else {
		if (shm_unlink(ring_name) == -1)
			pl_die("shm_unlink(%s)", ring_name);
		pl_cleanup_forget(PL_CLEANUP_SHM, ring_name);
		ring_linked = false;
	}
}

/* ------------------------------------------------------------------ */
/* One end of either queue, in any process: opened by name, then put and */
/* take, both of which block - that is the point.                        */

struct end {
	mqd_t mq;
	struct ring *ring;
};

static int
open_end(enum kind kind, int mq_flags, struct end *e)
{
	if (kind == MQ) {
		e->mq = mq_open(mq_name, mq_flags);
		return e->mq == (mqd_t)-1 ? -1 : 0;
	}
	int fd = shm_open(ring_name, O_RDWR, 0);
	if (fd == -1)
		return -1;
	e->ring = mmap(NULL, sizeof(struct ring), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd); /* the mapping keeps the segment, not the descriptor */
	return e->ring == MAP_FAILED ? -1 : 0;
}

static void
sem_down(sem_t *sem)
{
	while (sem_wait(sem) == -1)
		if (errno != EINTR)
			pl_die("sem_wait");
}

/* Into the ring, once a slot is free: the critical section. */
static void
ring_insert(struct ring *r, const struct message *m)
{
	sem_down(&r->mutex); /* --- one process at a time --- */
	r->slots[r->head] = *m;
	r->head = (r->head + 1) % (unsigned)depth;
	sem_post(&r->mutex); /* --- end --- */
	sem_post(&r->full);  /* one more message for the consumers */
}

/* Put one message; when the queue is full this sleeps until there is room. */
static void
put(enum kind kind, struct end *e, const struct message *m)
{
	if (kind == MQ) {
		while (mq_send(e->mq, (const char *)m, sizeof(*m), 0) == -1)
			if (errno != EINTR)
				pl_die("mq_send");
		return;
	}
	sem_down(&e->ring->empty); /* wait for a free slot */
	ring_insert(e->ring, m);
}

/* Take one message; returns its size in bytes. */
static ssize_t
take(enum kind kind, struct end *e, struct message *m)
{
	ssize_t n;

	if (kind == MQ) {
		/* The buffer must hold mq_msgsize bytes (mq_receive(3)). */
		while ((n = mq_receive(e->mq, (char *)m, sizeof(*m), NULL)) == -1)
			if (errno != EINTR)
				pl_die("mq_receive");
		return n;
	}
	sem_down(&e->ring->full);
	sem_down(&e->ring->mutex);
	*m = e->ring->slots[e->ring->tail];
	e->ring->tail = (e->ring->tail + 1) % (unsigned)depth;
	sem_post(&e->ring->mutex);
	sem_post(&e->ring->empty);
	return (ssize_t)sizeof(*m);
}

/* The parent's put, with a deadline: it must never hang, even if a
 * consumer died. */
static void
put_or_die(enum kind kind, const struct message *m)
{
	struct timespec until = deadline_in(HEAR_TIMEOUT_MS);

	if (kind == MQ) {
		while (mq_timedsend(mq, (const char *)m, sizeof(*m), 0, &until) == -1)
			if (errno != EINTR)
				pl_die("mq_timedsend");
		return;
	}
	while (sem_timedwait(&ring->empty, &until) == -1)
		if (errno != EINTR)
			pl_die("waiting for a free slot in the ring");
	ring_insert(ring, m);
}

/* ------------------------------------------------------------------ */
/* The workers.                                                          */

struct consumer_report {
	long received;     /* real messages, stops not counted */
	long long sum;     /* of their values */
	long wrong_size;   /* receives that did not return one whole message */
	long out_of_order; /* a producer's seq not above the last one seen from it */
};

static noreturn void
producer(enum kind kind, int index)
{
	struct end e;
	int error = open_end(kind, O_WRONLY, &e) == -1 ? errno : 0;

	pl_child_tell(&error, sizeof(error));
	if (error)
		_exit(EXIT_FAILURE);
	pl_child_hold(); /* the start line */
	for (int seq = 0; seq < messages; seq++) {
		struct message m = { index, seq, (int64_t)index * messages + seq + 1 };

		put(kind, &e, &m); /* blocks while the queue is full */
		if (seq % 64 == 63)
			pl_board_count("sent", seq + 1);
	}
	pl_board_count("sent", messages);
	_exit(EXIT_SUCCESS);
}

static noreturn void
consumer(enum kind kind)
{
	struct consumer_report me = { 0, 0, 0, 0 };
	int last_seq[MAX_PRODUCERS];
	struct end e;
	int error = open_end(kind, O_RDONLY, &e) == -1 ? errno : 0;

	pl_child_tell(&error, sizeof(error));
	if (error)
		_exit(EXIT_FAILURE);
	for (int p = 0; p < MAX_PRODUCERS; p++)
		last_seq[p] = -1;
	pl_child_hold(); /* paused on purpose, until the parent lets us go */
	for (;;) {
		struct message m;
		ssize_t n = take(kind, &e, &m);

		if (n != (ssize_t)sizeof(m)) {
			me.wrong_size++;
			continue;
		}
		if (m.producer == STOP)
			break;
		if (m.producer < 0 || m.producer >= producers || m.value < 1 ||
		    m.value > producers * messages) {
			me.wrong_size++; /* not a message any producer sent */
			continue;
		}
		if (m.seq <= last_seq[m.producer])
			me.out_of_order++;
		last_seq[m.producer] = m.seq;
		atomic_fetch_add(&tally[m.value - 1], 1);
		me.received++;
		me.sum += m.value;
		if (me.received % 64 == 0)
			pl_board_count("received", me.received);
	}
	pl_board_count("received", me.received);
	pl_child_tell(&me, sizeof(me));
	_exit(EXIT_SUCCESS);
}

/* The usual reasons mq_open() fails for lack of a queue, not for a bug. */
static const char *
why_no_queue(int err)
{
	switch (err) {
	case ENOSYS: return "this kernel has no POSIX message queues";
	case EMFILE: return "this user's RLIMIT_MSGQUEUE, ulimit -q, is used up";
	case ENOSPC: return "/proc/sys/fs/mqueue/queues_max queues exist already";
	default: return "not allowed here";
	}
}

/* ------------------------------------------------------------------ */
/* Step 1: the message queue, its limits, and its name in /dev/mqueue.   */

/* Until every process has opened them, the names are linked. A SIGKILL
 * then runs no handler of ours: the guardian, another process, removes
 * them. A name left all the same (the guardian killed too) a later run
 * removes, once its maker is gone (pl_name_clean_stale). */
static void
sweep_stale_names(void)
{
	int swept = pl_name_clean_stale("/dev/shm", "queue-ring");

	if (mqueue_mounted())
		swept += pl_name_clean_stale("/dev/mqueue", "queue") +
		         pl_name_clean_stale("/dev/mqueue", "queue-two");
	if (swept > 0)
		pl_note("swept", PL_FIELDS(PL_INT("removed", swept)),
		        "removed %d name%s in /dev/mqueue and /dev/shm left by killed runs whose "
		        "maker is gone", swept, swept == 1 ? "" : "s");
}

/* Start the guardian before a name is made: it removes the names still
 * registered if the demo dies, however it dies, and ends when they are
 * unlinked (pl_cleanup.h). */
static void
start_guardian(void)
{
	if (pl_cleanup_guardian() == -1)
		pl_die("starting the guardian");
}

static void
open_queue(void)
{
	long msg_max = read_limit("msg_max"), msgsize_max = read_limit("msgsize_max");
	long queues_max = read_limit("queues_max");
	struct mq_attr attr = { .mq_maxmsg = depth, .mq_msgsize = sizeof(struct message) };
	char line[160] = "";
	struct stat st;
	sigset_t old;

	pl_step("mq-open", NULL,
	        "mq_open() makes a named message queue, which holds at most msg_max messages");
	sweep_stale_names();
	pl_note("limits",
	        PL_FIELDS(PL_INT("msg_max", msg_max), PL_INT("msgsize_max", msgsize_max),
	                  PL_INT("queues_max", queues_max), PL_INT("depth", depth)),
	        "/proc/sys/fs/mqueue: msg_max %ld, msgsize_max %ld, queues_max %ld; "
	        "this run asks for %ld messages of %zu bytes",
	        msg_max, msgsize_max, queues_max, depth, sizeof(struct message));

	/* O_EXCL: never adopt a queue someone else made; 0600: only us;
	 * random digits: nobody can take the name first (pl_name.h). A
	 * Ctrl-C between creating the name and registering it would leave it
	 * behind, so hold the termination signals until both are done; a
	 * SIGKILL cannot be held, and is the guardian's. */
	start_guardian();
	pl_note("guardian", PL_FIELDS(PL_INT("guardian", pl_cleanup_guardian_pid())),
	        "guardian %ld: it removes the names if the demo dies before it unlinks them, "
	        "even by SIGKILL", (long)pl_cleanup_guardian_pid());
	pl_cleanup_hold(&old);
	mq = pl_name_mq_create("queue", mq_name, sizeof(mq_name), O_RDWR, &attr);
	if (mq != (mqd_t)-1) {
		mq_linked = true;
		if (pl_cleanup_add(PL_CLEANUP_MQ, mq_name) == -1)
			pl_die("registering %s for cleanup", mq_name);
	}
	pl_cleanup_release(&old);
	if (mq == (mqd_t)-1) {
		int err = errno;

		if (err != ENOSYS && err != EACCES && err != EPERM && err != ENOSPC &&
		    err != EMFILE)
			pl_die("mq_open(/proclab-queue-...)");
		pl_note("mq-skipped", PL_FIELDS(PL_STR("error", strerror(err))),
		        "mq_open(/proclab-queue-...): %s (%s): no message queue for us here, so its "
		        "steps are skipped (not a failure)", strerror(err), why_no_queue(err));
		return;
	}
	mq_usable = true;

	struct mq_attr got;
	if (mq_getattr(mq, &got) == -1)
		pl_die("mq_getattr");
	pl_note("mq-attributes",
	        PL_FIELDS(PL_INT("maxmsg", got.mq_maxmsg), PL_INT("msgsize", got.mq_msgsize),
	                  PL_INT("curmsgs", got.mq_curmsgs)),
	        "mq_getattr(): mq_maxmsg %ld, mq_msgsize %ld, mq_curmsgs %ld", got.mq_maxmsg,
	        got.mq_msgsize, got.mq_curmsgs);

	bool mounted = mqueue_mounted(), listed = false;
	char mode[8] = "0000", path[PL_NAME_MAX + 16];
	if (mounted && (listed = listed_in("/dev/mqueue", mq_name, &st)))
		snprintf(mode, sizeof(mode), "%04o", (unsigned)(st.st_mode & 07777));
	snprintf(path, sizeof(path), "/dev/mqueue%s", mq_name);
	bool have_line = listed ? mq_kernel_line(-1, path, line, sizeof(line))
	                        : mq_kernel_line(mq, NULL, line, sizeof(line));
	if (mounted)
		pl_note("in-dev-mqueue",
		        PL_FIELDS(PL_STR("name", mq_name + 1), PL_BOOL("mounted", true),
		                  PL_BOOL("listed", listed), PL_STR("mode", mode),
		                  PL_STR("kernel", line)),
		        "cat %s (mode %s): %s", path, mode, have_line ? line : "(not there)");
	else
		pl_note("in-dev-mqueue",
		        PL_FIELDS(PL_STR("name", mq_name + 1), PL_BOOL("mounted", false),
		                  PL_BOOL("listed", false), PL_STR("mode", mode),
		                  PL_STR("kernel", line)),
		        "/dev/mqueue is not mounted here (mount -t mqueue none /dev/mqueue), so the "
		        "demo reads its descriptor instead: %s", have_line ? line : "(nothing)");
	pl_check("queue-made", got.mq_maxmsg == depth &&
	                               got.mq_msgsize == (long)sizeof(struct message) &&
	                               got.mq_curmsgs == 0 && have_line && qsize_of(line) == 0,
	         NULL, "the kernel made the queue as asked: %ld messages of %zu bytes, empty",
	         depth, sizeof(struct message));
	if (mounted)
		pl_check("listed-in-dev-mqueue", listed && (st.st_mode & 07777) == 0600, NULL,
		         "the kernel lists it in /dev/mqueue, readable by us only");
	else
		pl_note("not-listed", NULL, "(the /dev/mqueue check is skipped: not mounted)");
	pl_pause(1.0); /* time for `ls -l /dev/mqueue` */
}

/* ------------------------------------------------------------------ */
/* Step 4's start: the ring, in a named POSIX shared memory segment.     */

static bool
open_ring(void)
{
	struct stat st;
	sigset_t old;
	int fd;

	start_guardian();
	pl_cleanup_hold(&old);
	fd = pl_name_shm_create("queue-ring", ring_name, sizeof(ring_name));
	if (fd != -1) {
		ring_linked = true;
		if (pl_cleanup_add(PL_CLEANUP_SHM, ring_name) == -1)
			pl_die("registering %s for cleanup", ring_name);
	}
	pl_cleanup_release(&old);
	if (fd == -1)
		pl_die("shm_open(/proclab-queue-ring-...)");
	if (ftruncate(fd, sizeof(struct ring)) == -1)
		pl_die("ftruncate");
	ring = mmap(NULL, sizeof(struct ring), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED)
		pl_die("mmap(%s)", ring_name);
	close(fd);

	/* pshared = 1: these semaphores live in memory that processes share. */
	if (sem_init(&ring->empty, 1, (unsigned)depth) == -1 || sem_init(&ring->full, 1, 0) == -1 ||
	    sem_init(&ring->mutex, 1, 1) == -1)
		pl_die("sem_init");
	ring->head = ring->tail = 0;

	bool listed = listed_in("/dev/shm", ring_name, &st);
	char mode[8];
	snprintf(mode, sizeof(mode), "%04o", listed ? (unsigned)(st.st_mode & 07777) : 0);
	pl_note("in-dev-shm",
	        PL_FIELDS(PL_STR("name", ring_name + 1), PL_BOOL("listed", listed),
	                  PL_INT("size", listed ? st.st_size : -1), PL_STR("mode", mode),
	                  PL_INT("slots", depth)),
	        "ls /dev/shm: %s, %lld bytes, mode %s; semaphores empty = %ld, full = 0, "
	        "mutex = 1", listed ? ring_name + 1 : "(not there)",
	        listed ? (long long)st.st_size : 0LL, mode, depth);
	return pl_check("ring-made", listed && (st.st_mode & 07777) == 0600, NULL,
	                "the kernel lists the ring's segment in /dev/shm, readable by us only");
}

/* ------------------------------------------------------------------ */
/* Steps 2-5: P producers, C consumers, one queue.                       */

struct crowd {
	pid_t producer[MAX_PRODUCERS];
	pid_t consumer[MAX_CONSUMERS];
};

static void
start_workers(enum kind kind, struct crowd *c)
{
	const char *name = kind == MQ ? mq_name : ring_name;
	int opened = 0, error = 0;

	memset((void *)tally, 0, (size_t)(producers * messages));
	for (int i = 0; i < producers + consumers; i++) {
		bool is_producer = i < producers;
		pid_t pid = pl_fork(is_producer ? "producer" : "consumer", PL_FORK_CHANNEL);

		switch (pid) {
		case -1:
			pl_die("fork");
		case 0: /* Child: opens the queue by name, as any process could. */
			if (is_producer)
				producer(kind, i);
			consumer(kind);
		default: /* Parent */
			if (is_producer)
				c->producer[i] = pid;
			else
				c->consumer[i - producers] = pid;
		}
	}
	for (int i = 0; i < producers + consumers; i++) {
		pid_t pid = i < producers ? c->producer[i] : c->consumer[i - producers];
		int err;

		if (pl_child_hear(pid, &err, sizeof(err), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from child %ld", (long)pid);
		if (err == 0)
			opened++;
		else
			error = err;
	}
	if (kind == MQ)
		ends_opened = opened + 1; /* and the parent */

	/* Every process has it open: the name has done its job. From here a
	 * SIGKILL, which no handler can catch, leaves nothing behind. */
	unlink_name(kind);
	pl_note("opened-by-name",
	        PL_FIELDS(PL_STR("queue", kind_ids[kind]), PL_INT("opened", opened),
	                  PL_INT("processes", producers + consumers), PL_STR("name", name)),
	        "%d of %ld processes opened %s by name; now it is unlinked", opened,
	        producers + consumers, name);
	if (!pl_check("all-opened", opened == producers + consumers,
	              PL_FIELDS(PL_STR("queue", kind_ids[kind])), "every producer and consumer "
	              "opened it by name%s%s", error ? ": " : "", error ? strerror(error) : ""))
		pl_die("a worker could not open %s", name);
}

/* Poll until the queue holds D messages, or the deadline passes. */
static bool
wait_full(enum kind kind, long *held)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (kind == MQ) {
			struct mq_attr attr;

			if (mq_getattr(mq, &attr) == -1)
				pl_die("mq_getattr");
			*held = attr.mq_curmsgs;
		} else {
			int value;

			sem_getvalue(&ring->full, &value);
			*held = value;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (*held == depth)
			return true;
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    BLOCK_TIMEOUT_MS)
			return false;
		usleep(1000);
	}
}

/* Where does a blocked producer sleep? The kernel's name for it changes
 * between versions, so match loosely: do_mq_timedsend (or its wq_sleep)
 * for the queue, a futex wait for a semaphore. */
static bool
wchan_matches(enum kind kind, const char *wchan)
{
	if (kind == MQ)
		return strstr(wchan, "mq") != NULL || strstr(wchan, "wq_sleep") != NULL;
	return strstr(wchan, "futex") != NULL;
}

/* Poll PID until it sleeps where KIND makes it sleep. */
static bool
wait_blocked(enum kind kind, pid_t pid, struct pl_proc *proc)
{
	int unknown_for = 0;

	for (int waited = 0; waited < BLOCK_TIMEOUT_MS; waited++) {
		if (pl_procfs_read(pid, proc) != 0)
			return false;
		/* An empty wchan (or "0") in state S is a task still on its way
		 * to sleep; if it stays empty, this kernel will not say where. */
		bool unknown = proc->wchan[0] == '\0' || strcmp(proc->wchan, "0") == 0;
		unknown_for = proc->state == 'S' && unknown ? unknown_for + 1 : 0;
		if (proc->state == 'S' && (wchan_matches(kind, proc->wchan) || unknown_for > 500))
			return true;
		usleep(1000);
	}
	return false;
}

static void
backpressure(enum kind kind, struct crowd *c)
{
	int blocked = 0;
	long held = 0;

	start_workers(kind, c);
	for (int i = 0; i < producers; i++)
		pl_child_release(c->producer[i]); /* go; the consumers stay paused */

	bool full = wait_full(kind, &held);
	for (int i = 0; i < producers; i++) {
		struct pl_proc proc;
		bool asleep = wait_blocked(kind, c->producer[i], &proc);

		blocked += asleep;
		pl_note("blocked",
		        PL_FIELDS(PL_STR("queue", kind_ids[kind]), PL_INT("producer", proc.pid),
		                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan),
		                  PL_BOOL("asleep", asleep)),
		        "producer %d: /proc/%ld/stat says %c (%s), wchan %s", i + 1,
		        (long)c->producer[i], proc.state, pl_procfs_state_name(proc.state),
		        proc.wchan[0] ? proc.wchan : "(none)");
	}

	if (kind == MQ) {
		struct mq_attr attr;
		char line[160] = "";

		if (mq_getattr(mq, &attr) == -1)
			pl_die("mq_getattr");
		mq_kernel_line(mq, NULL, line, sizeof(line));
		pl_note("full",
		        PL_FIELDS(PL_STR("queue", "mq"), PL_INT("curmsgs", attr.mq_curmsgs),
		                  PL_INT("maxmsg", attr.mq_maxmsg), PL_INT("qsize", qsize_of(line)),
		                  PL_STR("kernel", line)),
		        "mq_getattr(): %ld of %ld messages; the kernel: %s", attr.mq_curmsgs,
		        attr.mq_maxmsg, line);
		full = full && attr.mq_curmsgs == depth &&
		       qsize_of(line) == depth * (long)sizeof(struct message);
	} else {
		int empty_value, full_value;

		sem_getvalue(&ring->empty, &empty_value);
		sem_getvalue(&ring->full, &full_value);
		pl_note("full",
		        PL_FIELDS(PL_STR("queue", "ring"), PL_INT("empty", empty_value),
		                  PL_INT("full", full_value), PL_INT("slots", depth)),
		        "sem_getvalue(): empty = %d, full = %d, of %ld slots", empty_value, full_value,
		        depth);
		full = full && empty_value == 0 && full_value == depth;
	}
	pl_check("queue-full", full, PL_FIELDS(PL_STR("queue", kind_ids[kind])),
	         "the queue holds all %ld messages it can, and no consumer takes any", depth);
	pl_check("producers-blocked", blocked == producers,
	         PL_FIELDS(PL_STR("queue", kind_ids[kind]), PL_INT("blocked", blocked)),
	         "all %ld producers sleep in %s: backpressure", producers,
	         kind == MQ ? "mq_send()" : "sem_wait(&empty)");
	pl_pause(1.0); /* time to see them asleep in the dashboard, or with ps */
}

/* Wait for PID, but not for ever: if the queue were stuck (see exercise 4
 * of the lesson), the demo must still end. The deadline grows with the
 * traffic, which takes well under a second at the defaults. */
static bool
exited_in_time(pid_t pid, int *status)
{
	long limit_ms = DRAIN_TIMEOUT_MS + producers * messages / 100;

	for (long waited = 0; waited < limit_ms; waited++) {
		pid_t got = pl_child_wait(pid, status, WNOHANG);

		if (got == -1)
			pl_die("waitpid");
		if (got == pid)
			return true;
		usleep(1000);
	}
	return false;
}

static void
drain(enum kind kind, struct crowd *c)
{
	struct consumer_report total = { 0, 0, 0, 0 };
	long n = producers * messages, duplicates = 0, lost = 0, busy = 0;
	long long expected_sum = (long long)n * (n + 1) / 2;

	for (int i = 0; i < consumers; i++)
		pl_child_release(c->consumer[i]);
	for (int i = 0; i < producers; i++) {
		int status;

		if (!exited_in_time(c->producer[i], &status))
			pl_die("producer %ld has not finished: is the queue stuck?",
			       (long)c->producer[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char how[96];

			pl_status_describe(status, how, sizeof(how));
			pl_die("producer %ld %s", (long)c->producer[i], how);
		}
	}
	/* Every message is in; one STOP for each consumer ends it. A STOP
	 * is only taken after every real message before it in the queue. */
	for (int i = 0; i < consumers; i++) {
		struct message stop = { STOP, 0, 0 };

		put_or_die(kind, &stop);
	}
	for (int i = 0; i < consumers; i++) {
		struct consumer_report r;

		if (pl_child_hear(c->consumer[i], &r, sizeof(r), HEAR_TIMEOUT_MS) == -1 ||
		    pl_child_wait(c->consumer[i], NULL, 0) == -1)
			pl_die("hearing from consumer %ld", (long)c->consumer[i]);
		pl_note("consumer",
		        PL_FIELDS(PL_STR("queue", kind_ids[kind]), PL_INT("consumer", c->consumer[i]),
		                  PL_INT("received", r.received), PL_INT("sum", r.sum),
		                  PL_INT("wrong_size", r.wrong_size),
		                  PL_INT("out_of_order", r.out_of_order)),
		        "consumer %d (pid %ld) received %ld messages, sum %lld", i + 1,
		        (long)c->consumer[i], r.received, r.sum);
		total.received += r.received;
		total.sum += r.sum;
		total.wrong_size += r.wrong_size;
		total.out_of_order += r.out_of_order;
		busy += r.received > 0;
	}
	for (long v = 0; v < n; v++) {
		unsigned times = atomic_load(&tally[v]);

		lost += times == 0;
		duplicates += times > 1;
	}
	pl_note("tally",
	        PL_FIELDS(PL_STR("queue", kind_ids[kind]), PL_INT("sent", n),
	                  PL_INT("received", total.received), PL_INT("sum", total.sum),
	                  PL_INT("expected_sum", expected_sum), PL_INT("lost", lost),
	                  PL_INT("duplicates", duplicates), PL_INT("wrong_size", total.wrong_size),
	                  PL_INT("out_of_order", total.out_of_order), PL_INT("busy", busy)),
	        "sent %ld, received %ld; checksum %lld (expected %lld); tally: %ld lost, "
	        "%ld duplicated", n, total.received, total.sum, expected_sum, lost, duplicates);
	pl_check("none-lost-or-duplicated",
	         total.received == n && total.sum == expected_sum && lost == 0 && duplicates == 0,
	         PL_FIELDS(PL_STR("queue", kind_ids[kind])),
	         "every one of the %ld messages arrived exactly once", n);
	pl_check("whole-messages-in-order", total.wrong_size == 0 && total.out_of_order == 0,
	         PL_FIELDS(PL_STR("queue", kind_ids[kind])),
	         "each receive returned one whole message, and each producer's messages came "
	         "in the order it sent them");
}

static void
exchange(enum kind kind)
{
	struct crowd c;

	pl_step(kind == MQ ? "mq-backpressure" : "ring-backpressure",
	        PL_FIELDS(PL_INT("producers", producers), PL_INT("consumers", consumers),
	                  PL_INT("depth", depth)),
	        "%ld producers fill the %s and block; the %ld consumers are paused",
	        producers, kind == MQ ? "message queue" : "ring buffer", consumers);
	if (kind == RING && !open_ring())
		pl_die("the ring was not made as asked");
	backpressure(kind, &c);

	pl_step(kind == MQ ? "mq-drain" : "ring-drain",
	        PL_FIELDS(PL_INT("messages", producers * messages)),
	        "the consumers drain the %s: every message arrives exactly once",
	        kind == MQ ? "queue" : "ring");
	drain(kind, &c);
}

/* ------------------------------------------------------------------ */
/* Step 6: a queue against a pipe.                                       */

/* A second queue, with room for two messages whatever --depth is. Only
 * this process uses it, so its name goes as soon as it is open: a queue
 * needs its name to be found, not to be used. */
static mqd_t
two_message_queue(void)
{
	struct mq_attr attr = { .mq_maxmsg = 2, .mq_msgsize = sizeof(struct message) };
	char name[PL_NAME_MAX];
	sigset_t old;
	mqd_t two;

	start_guardian();
	pl_cleanup_hold(&old);
	two = pl_name_mq_create("queue-two", name, sizeof(name), O_RDWR | O_NONBLOCK, &attr);
	if (two != (mqd_t)-1 && pl_cleanup_add(PL_CLEANUP_MQ, name) == -1)
		pl_die("registering %s for cleanup", name);
	pl_cleanup_release(&old);
	if (two == (mqd_t)-1)
		pl_die("mq_open(/proclab-queue-two-...)");
	if (mq_unlink(name) == -1)
		pl_die("mq_unlink(%s)", name);
	pl_cleanup_forget(PL_CLEANUP_MQ, name);
	return two;
}

static void
queue_against_pipe(void)
{
	char buf[64];
	ssize_t first, second, split;
	int fds[2];

	pl_step("queue-vs-pipe", NULL,
	        "a queue keeps message boundaries; a pipe is a byte stream with two ends");

	if (mq_usable) {
		char small[sizeof(struct message) - 1];
		mqd_t two = two_message_queue();
		struct timespec until = deadline_in(HEAR_TIMEOUT_MS);

		if (mq_timedsend(two, "hello", 5, 0, &until) == -1 ||
		    mq_timedsend(two, "world!!", 7, 0, &until) == -1)
			pl_die("mq_timedsend");
		/* A queue never hands out part of a message, and so never takes a
		 * buffer that could not hold the largest one (mq_receive(3)). */
		ssize_t refused = mq_receive(two, small, sizeof(small), NULL);
		int refused_errno = errno;
		if ((first = mq_receive(two, buf, sizeof(buf), NULL)) == -1 ||
		    (second = mq_receive(two, buf + first, sizeof(buf) - (size_t)first, NULL)) == -1)
			pl_die("mq_receive");
		mq_close(two);
		pl_note("mq-boundaries",
		        PL_FIELDS(PL_INT("first", first), PL_INT("second", second),
		                  PL_BOOL("small_refused", refused == -1 && refused_errno == EMSGSIZE),
		                  PL_INT("ends", ends_opened)),
		        "queue: mq_send 5 bytes, then 7; mq_receive returned %zd bytes, then %zd; "
		        "a %zu-byte buffer: %s", first, second, sizeof(small),
		        refused == -1 ? strerror(refused_errno) : "accepted");
		pl_check("mq-keeps-boundaries",
		         first == 5 && second == 7 && refused == -1 && refused_errno == EMSGSIZE,
		         NULL, "each mq_receive() returned exactly one message, never a part");
		pl_note("mq-ends", PL_FIELDS(PL_INT("ends", ends_opened)),
		        "the queue had %d ends: %ld producers, %ld consumers and this process, "
		        "each of which opened it by name", ends_opened, producers, consumers);
	} else {
		pl_note("mq-skipped", NULL, "(no message queue on this system: its half is skipped)");
	}

	if (pipe(fds) == -1)
		pl_die("pipe");
	if (write(fds[1], "hello", 5) != 5 || write(fds[1], "world!!", 7) != 7)
		pl_die("write");
	if ((first = read(fds[0], buf, sizeof(buf))) == -1)
		pl_die("read");
	if (write(fds[1], "hello", 5) != 5)
		pl_die("write");
	if ((split = read(fds[0], buf, 3)) == -1 || (second = read(fds[0], buf, sizeof(buf))) == -1)
		pl_die("read");
	int read_mode = fcntl(fds[0], F_GETFL) & O_ACCMODE;
	int write_mode = fcntl(fds[1], F_GETFL) & O_ACCMODE;
	pl_note("pipe-stream",
	        PL_FIELDS(PL_INT("merged", first), PL_INT("split", split), PL_INT("rest", second)),
	        "pipe: write 5 bytes, then 7; one read returned %zd; write 5, read(3) returned "
	        "%zd, the next read %zd", first, split, second);
	pl_check("pipe-is-a-stream", first == 12 && split == 3 && second == 2, NULL,
	         "two writes came out as one read, and one write as two reads");
	pl_note("pipe-ends",
	        PL_FIELDS(PL_INT("read_fd", fds[0]), PL_INT("write_fd", fds[1]),
	                  PL_BOOL("read_only", read_mode == O_RDONLY),
	                  PL_BOOL("write_only", write_mode == O_WRONLY)),
	        "the pipe has two ends: fd %d, opened %s, and fd %d, opened %s; no name, so only "
	        "children forked after pipe() can share them", fds[0],
	        read_mode == O_RDONLY ? "read-only" : "not read-only", fds[1],
	        write_mode == O_WRONLY ? "write-only" : "not write-only");
	close(fds[0]);
	close(fds[1]);
}

/* ------------------------------------------------------------------ */
/* Step 7: nothing left.                                                 */

static void
nothing_left(void)
{
	struct stat st;
	bool mq_gone = true, listed = false;
	int err;

	pl_step("nothing-left", NULL, "both names were unlinked early: nothing is left");
	if (mq_usable) {
		mq_close(mq);
		mqd_t again = mq_open(mq_name, O_RDONLY);
		err = errno;
		if (again != (mqd_t)-1)
			mq_close(again);
		mq_gone = again == (mqd_t)-1 && err == ENOENT;
		listed = listed_in("/dev/mqueue", mq_name, &st);
		pl_note("mq-after", PL_FIELDS(PL_BOOL("enoent", mq_gone), PL_BOOL("listed", listed)),
		        "mq_open(%s): %s; in /dev/mqueue: %s", mq_name,
		        mq_gone ? strerror(ENOENT) : "it opened", listed ? "listed" : "not listed");
	}
	munmap(ring, sizeof(struct ring));
	int fd = shm_open(ring_name, O_RDONLY, 0);
	err = errno;
	if (fd != -1)
		close(fd);
	bool ring_gone = fd == -1 && err == ENOENT;
	bool ring_listed = listed_in("/dev/shm", ring_name, &st);
	pl_note("ring-after",
	        PL_FIELDS(PL_BOOL("enoent", ring_gone), PL_BOOL("listed", ring_listed)),
	        "shm_open(%s): %s; in /dev/shm: %s", ring_name,
	        ring_gone ? strerror(ENOENT) : "it opened", ring_listed ? "listed" : "not listed");
	pl_check("names-gone", mq_gone && !listed && ring_gone && !ring_listed, NULL,
	         "the kernel knows neither name any more");
}

int
main(int argc, char *argv[])
{
	long msg_max;

	pl_demo_init(argc, argv, &demo);
	if (messages <= depth)
		pl_die_usage("--messages (%ld) must be more than --depth (%ld), so that every "
		             "producer fills the queue and blocks", messages, depth);
	/* A normal user may not ask for more (mq_overview(7)); root could,
	 * but the demo behaves the same for everyone. */
	if ((msg_max = read_limit("msg_max")) > 0 && depth > msg_max)
		pl_die_usage("--depth %ld is more than /proc/sys/fs/mqueue/msg_max (%ld)", depth,
		             msg_max);

	tally = mmap(NULL, (size_t)(producers * messages), PROT_READ | PROT_WRITE,
	             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tally == MAP_FAILED)
		pl_die("mmap");

	open_queue();
	if (mq_usable)
		exchange(MQ);
	exchange(RING);
	queue_against_pipe();
	nothing_left();

	return pl_demo_finish();
}
