/* pl_cleanup.c - leave nothing behind: children and IPC names. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "pl_child.h"
#include "pl_cleanup.h"

/* A slot of the table is FREE, being FILLED by pl_cleanup_add, or READY.
 * The termination handler reads the table at any moment - between two
 * stores of pl_cleanup_add, and in a threaded demo on another thread - so
 * the state is a lock-free atomic (C11 7.14.1.1 lets a handler touch
 * those), claimed with a compare-and-swap so two threads never fill one
 * slot, and set READY with a release store only after the kind and the
 * text are written: a handler that loads READY (acquire) sees them whole. */
enum { FREE, FILLED, READY };

struct name {
	atomic_int state;
	enum pl_cleanup_kind kind;
	char text[256];
};

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs a lock-free int");

static struct name names[PL_CLEANUP_MAX];
static pid_t owner;  /* only the process that installed the guard cleans up */
/* The handlers' owner: the same, or a child of it that forks children of
 * its own (pl_cleanup_become_parent), whose handler kills and reaps them. */
static pid_t handler_owner;

/* How long the termination handler waits for its children to end of the
 * signal it passed on (GRACE_MS; CHILD_GRACE_MS in a child with children
 * of its own), then for those it SIGKILLed and for the guardian, before it
 * dies itself: they are gone in well under a millisecond on an idle
 * machine. */
#define GRACE_MS 150
#define CHILD_GRACE_MS 50
#define REAP_MS 200
#define STOP_MS 1000 /* the same, outside the handler */

/* The guardian (pl_cleanup_guardian() in pl_cleanup.h). Each name it is
 * told of is a record of its own: a SOCK_SEQPACKET socket delivers every
 * record whole, or not at all, and says end of file once the last
 * descriptor of the other end is closed. End of file, not
 * PR_SET_PDEATHSIG, tells it that the demo is gone: the death signal
 * comes when the *thread* that forked the child ends (prctl(2)), and a
 * threaded demo may start its guardian from any thread. */
struct guardian_record {
	char op;   /* ADD, FORGET or QUIT */
	char kind; /* an enum pl_cleanup_kind */
	char text[sizeof(names[0].text)];
};
enum { ADD = 'A', FORGET = 'F', QUIT = 'Q' };

_Static_assert(sizeof(pid_t) == sizeof(int), "a PID is kept in an atomic_int");

/* Read by the termination handler at any moment, hence atomic. */
static atomic_int guardian_fd = -1; /* our end of its socket, or -1 */
static atomic_int guardian_pid;     /* its PID, or 0 */
static pid_t guardian_owner;        /* the process that started it */
/* Starting the guardian and telling it of a name must not interleave: a
 * name registered by another thread during the fork would be neither in
 * the guardian's copy of the table nor sent to it. */
static pthread_mutex_t guardian_lock = PTHREAD_MUTEX_INITIALIZER;

/* A record of getdents64(2), as the kernel lays it out. */
struct directory_entry {
	unsigned long long inode;
	long long next;
	unsigned short length; /* of the whole record */
	unsigned char type;
	char name[];
};

/* Set in the guardian, which may wait (remove_directory()). */
static bool in_guardian;

#define TREE_DEPTH 8       /* a temp directory of ours is no deep tree */
#define GUARD_PATIENCE_S 5 /* the guardian waits this long for a directory */

/* Remove what the directory open as FD holds: its files, and when DEPTH
 * is above 0 its directories with what they hold, never following a
 * link. With getdents64(2), not readdir(3), which may call malloc(): this
 * runs in a signal handler, and in the guardian, a child of a process
 * that may have had threads. */
static void
empty_directory(int fd, int depth)
{
	_Alignas(8) char buf[2048];
	long n;

	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long at = 0; at < n;) {
			struct directory_entry *e = (struct directory_entry *)(buf + at);
			int sub;

			at += e->length;
			if (strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
				continue;
			/* unlink(2) of a directory fails with EISDIR on Linux. */
			if (unlinkat(fd, e->name, 0) == 0 || errno != EISDIR || depth == 0)
				continue;
			sub = openat(fd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1)
				continue;
			empty_directory(sub, depth - 1);
			close(sub);
			unlinkat(fd, e->name, AT_REMOVEDIR);
		}
}

/* rmdir(2) a temp directory of ours, and what is still in it: a file
 * whose name the demo could not know in advance (a core dump: core(5)),
 * or what a program it ran made there (mpirun's session directory).
 *
 * The guardian is patient: it runs as soon as the demo dies, when such a
 * program may still be at work in the directory, ending and removing
 * what it made. It removes the files at once, but leaves the directories
 * to their makers for GUARD_PATIENCE_S seconds before it removes them
 * too: removed earlier, a directory could be made again, behind it, by a
 * program that had not ended yet. */
static void
remove_directory(const char *path)
{
	struct timespec start, now, nap = { 0, 50 * 1000 * 1000 };
	int fd, tries = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		bool waiting;

		if (rmdir(path) == 0 || (errno != ENOTEMPTY && errno != EEXIST))
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waiting = in_guardian && now.tv_sec - start.tv_sec < GUARD_PATIENCE_S;
		if (!waiting && tries++ == 3)
			return;
		if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
			return;
		empty_directory(fd, waiting ? 0 : TREE_DEPTH);
		close(fd);
		if (waiting && rmdir(path) != 0)
			nanosleep(&nap, NULL);
	}
}

static void
remove_name(const struct name *n)
{
	switch (n->kind) {
	case PL_CLEANUP_PATH: unlink(n->text); break;
	case PL_CLEANUP_SHM: shm_unlink(n->text); break;
	case PL_CLEANUP_SEM: sem_unlink(n->text); break;
	case PL_CLEANUP_MQ:
#ifdef HAVE_MQ_OPEN
		mq_unlink(n->text);
#endif
		break;
	case PL_CLEANUP_DIR: remove_directory(n->text); break;
	}
}

/* ------------------------------------------------------------------ */
/* The table of names. The guardian keeps a copy of it, in its own       */
/* memory, through these same functions.                                 */

static int
table_add(enum pl_cleanup_kind kind, const char *name)
{
	size_t len = strlen(name);

	if (len >= sizeof(names[0].text)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (size_t i = 0; i < PL_CLEANUP_MAX; i++) {
		int free_slot = FREE;

		if (!atomic_compare_exchange_strong(&names[i].state, &free_slot, FILLED))
			continue; /* in use, or another thread took it first */
		memcpy(names[i].text, name, len + 1);
		names[i].kind = kind;
		atomic_store_explicit(&names[i].state, READY, memory_order_release);
		return 0;
	}
	errno = ENOSPC;
	return -1;
}

static int
table_forget(enum pl_cleanup_kind kind, const char *name)
{
	for (size_t i = 0; i < PL_CLEANUP_MAX; i++) {
		int ready = READY;

		if (atomic_load_explicit(&names[i].state, memory_order_acquire) != READY ||
		    names[i].kind != kind || strcmp(names[i].text, name) != 0)
			continue;
		if (atomic_compare_exchange_strong(&names[i].state, &ready, FREE))
			return 0;
	}
	errno = ENOENT;
	return -1;
}

static bool
table_empty(void)
{
	for (size_t i = 0; i < PL_CLEANUP_MAX; i++)
		if (atomic_load_explicit(&names[i].state, memory_order_acquire) != FREE)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The guardian.                                                        */

static bool
guardian_running(void)
{
	return atomic_load(&guardian_fd) != -1 && guardian_owner == getpid();
}

/* Tell the guardian, if ours runs. Async-signal-safe: send(2) with
 * MSG_NOSIGNAL, so that a guardian killed meanwhile gives EPIPE here
 * instead of a SIGPIPE that would kill us. Returns false if it could not
 * be told. */
static bool
tell_guardian(char op, enum pl_cleanup_kind kind, const char *name)
{
	struct guardian_record r;
	size_t len = strlen(name);
	int fd = atomic_load(&guardian_fd);
	ssize_t n;

	if (fd == -1 || guardian_owner != getpid())
		return true;
	memset(&r, 0, sizeof(r));
	r.op = op;
	r.kind = (char)kind;
	memcpy(r.text, name, len < sizeof(r.text) ? len : sizeof(r.text) - 1);
	do
		n = send(fd, &r, sizeof(r), MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(r);
}

/* Tell the guardian to quit, without removing anything, and reap it,
 * waiting at most WAIT_MS milliseconds. Async-signal-safe. In a process
 * that did not start the guardian (a child forked after it), only let go
 * of our copy of its socket. */
static void
guardian_stop(int wait_ms)
{
	static const struct guardian_record quit = { .op = QUIT };
	int fd = atomic_exchange(&guardian_fd, -1);
	bool ours = guardian_owner == getpid();
	pid_t pid;

	if (fd != -1) {
		/* Not end of file: that would wait for every copy of our end
		 * to close, and a child we forked might hold one a while
		 * longer. */
		if (ours)
			send(fd, &quit, sizeof(quit), MSG_NOSIGNAL);
		close(fd);
	}
	if (!ours) {
		atomic_store(&guardian_pid, 0);
		return;
	}
	/* Its PID stays known until it is reaped: a termination handler
	 * that interrupts this wait finds it, and reaps it itself, or it
	 * would go to init as a zombie when we die. */
	pid = atomic_load(&guardian_pid);
	if (pid > 0 && pl_child_reap_within(pid, NULL, wait_ms) != 0)
		atomic_compare_exchange_strong(&guardian_pid, &pid, 0);
}

/* Close every descriptor from LOWEST up: close_range(2) where the kernel
 * has it (Linux 5.9), else one by one. */
static void
close_from(int lowest)
{
	struct rlimit limit;
	long max = 1024;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0U) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
		max = (long)limit.rlim_cur;
	if (max > 65536)
		max = 65536;
	for (long fd = lowest; fd < max; fd++)
		close((int)fd);
}

static const int termination_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NTERMINATION (sizeof(termination_signals) / sizeof(termination_signals[0]))

/* The guardian itself, in the child. It starts with a copy of the table
 * as it was at the fork, then follows the records. The demo may have had
 * several threads: until it exits, a child of such a process may only
 * make async-signal-safe calls (fork(2)), and these are. */
static noreturn void
guardian_main(int fd)
{
	struct guardian_record r;
	struct sigaction ignore;
	sigset_t none;
	ssize_t n;

	/* A session of its own: the Ctrl-C, hangup or killpg() that ends
	 * the demo's job must not end the guardian before it has done its
	 * work. It ignores the termination signals too, and waits for end
	 * of file; SIGKILL still ends it. */
	setsid();
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	sigemptyset(&ignore.sa_mask);
	for (size_t i = 0; i < NTERMINATION; i++)
		sigaction(termination_signals[i], &ignore, NULL);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	/* Its line to the demo becomes descriptor 0, and every other one
	 * closes: a copy of a pipe's write end or of a listening socket
	 * held here would keep it open after the demo closed it. */
	if (fd != 0 && dup2(fd, 0) == -1)
		_exit(EXIT_FAILURE);
	close_from(1);
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_NAME)
	prctl(PR_SET_NAME, "proclab-guard");
#endif
	atomic_store(&guardian_fd, -1); /* it has no guardian of its own */
	atomic_store(&guardian_pid, 0);
	in_guardian = true;
	for (;;) {
		n = recv(0, &r, sizeof(r), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* end of file: every holder of the other end is gone */
		if (n != (ssize_t)sizeof(r))
			continue;
		r.text[sizeof(r.text) - 1] = '\0';
		if (r.op == ADD)
			table_add((enum pl_cleanup_kind)r.kind, r.text);
		else if (r.op == FORGET)
			table_forget((enum pl_cleanup_kind)r.kind, r.text);
		else if (r.op == QUIT)
			_exit(EXIT_SUCCESS); /* the demo removed its names itself */
	}
	/* End of file without QUIT: the demo died without removing them. */
	pl_cleanup_run();
	_exit(EXIT_SUCCESS);
}

/* pl_cleanup_guardian(), with guardian_lock held. */
static int
guardian_start(void)
{
	int sv[2], saved;
	sigset_t old;
	pid_t pid;

	if (guardian_running())
		return 0;
	guardian_stop(0); /* a child's copy of its parent's, if any */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	/* No termination signal between the fork and noting the guardian:
	 * the handler must find it, to reap it. */
	pl_cleanup_hold(&old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		guardian_main(sv[1]);
	}
	saved = errno;
	close(sv[1]);
	if (pid == -1) {
		close(sv[0]);
	} else {
		guardian_owner = getpid();
		atomic_store(&guardian_pid, pid);
		atomic_store(&guardian_fd, sv[0]);
	}
	pl_cleanup_release(&old);
	errno = saved;
	return pid == -1 ? -1 : 0;
}

int
pl_cleanup_guardian(void)
{
	int rc;

	pthread_mutex_lock(&guardian_lock);
	rc = guardian_start();
	pthread_mutex_unlock(&guardian_lock);
	return rc;
}

pid_t
pl_cleanup_guardian_pid(void)
{
	return guardian_running() ? (pid_t)atomic_load(&guardian_pid) : 0;
}

/* ------------------------------------------------------------------ */
/* Removing, on every exit path.                                        */

void
pl_cleanup_run(void)
{
	int saved = errno;

	/* Two passes: files first, then the directories that held them. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < PL_CLEANUP_MAX; i++) {
			int ready = READY;

			if (atomic_load_explicit(&names[i].state, memory_order_acquire) != READY ||
			    (names[i].kind == PL_CLEANUP_DIR) != (pass == 1))
				continue;
			/* A second run (the handler, interrupting the one at
			 * exit) may remove it again: unlink then fails, and no
			 * harm is done. Freed only if nobody freed it meanwhile. */
			remove_name(&names[i]);
			tell_guardian(FORGET, names[i].kind, names[i].text);
			atomic_compare_exchange_strong(&names[i].state, &ready, FREE);
		}
	/* Nothing is left to guard. */
	guardian_stop(REAP_MS);
	errno = saved;
}

/* Only async-signal-safe calls here: kill(2), waitpid(2), nanosleep(2),
 * unlink(2) and friends, send(2), sigaction(2), raise(3). */
static void
on_termination(int sig)
{
	struct sigaction dfl;

	if (getpid() == owner || getpid() == handler_owner) {
		/* Pass the signal on, and reap: a child that outlives us as a
		 * zombie goes to init, which on some machines reaps late. A
		 * child at the default action dies of it; one with children
		 * of its own runs this handler and reaps them first
		 * (pl_cleanup_become_parent), which a SIGKILL from us would
		 * cut short. So SIGKILL only those still there after a grace,
		 * shorter in a child than in the demo, which waits for it.
		 * Every wait is bounded: a child stuck in the kernel (state D)
		 * must not hold the Ctrl-C up. The names go after: a child
		 * still at work could make a file (a core dump) in a
		 * directory we are about to remove. */
		pl_children_signal_all(sig);
		if (pl_children_reap_within(getpid() == owner ? GRACE_MS : CHILD_GRACE_MS) > 0) {
			pl_children_signal_all(SIGKILL);
			pl_children_reap_within(REAP_MS);
		}
		pl_cleanup_run();
	}
	/* Die of the same signal, so our parent sees what really happened. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void
at_exit(void)
{
	if (getpid() != owner)
		return;
	pl_children_kill_and_reap();
	pl_cleanup_run();
}

void
pl_cleanup_hold(sigset_t *saved)
{
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < NTERMINATION; i++)
		sigaddset(&block, termination_signals[i]);
	/* The calling thread's mask: sigprocmask(2) is unspecified in a
	 * program of several threads (pthread_sigmask(3)). */
	pthread_sigmask(SIG_BLOCK, &block, saved);
}

void
pl_cleanup_release(const sigset_t *saved)
{
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

int
pl_cleanup_install(void)
{
	struct sigaction sa;
	static bool registered;

	owner = handler_owner = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_termination;
	sigfillset(&sa.sa_mask);  /* nothing interrupts the handler */
	for (size_t i = 0; i < NTERMINATION; i++)
		if (sigaction(termination_signals[i], &sa, NULL) == -1)
			return -1;
	if (!registered) {
		if (atexit(at_exit) != 0) {
			errno = ENOMEM;
			return -1;
		}
		registered = true;
	}
	return 0;
}

void
pl_cleanup_become_parent(void)
{
	struct sigaction sa, now;

	/* Only where the demo installed the guard (owner came with the
	 * fork), and once per process. */
	if (owner == 0 || handler_owner == getpid())
		return;
	handler_owner = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_termination;
	sigfillset(&sa.sa_mask);
	/* A signal this child handles or ignores on purpose stays so. */
	for (size_t i = 0; i < NTERMINATION; i++)
		if (sigaction(termination_signals[i], NULL, &now) == 0 &&
		    !(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL)
			sigaction(termination_signals[i], &sa, NULL);
}

int
pl_cleanup_add(enum pl_cleanup_kind kind, const char *name)
{
	int rc, saved;

	pthread_mutex_lock(&guardian_lock);
	rc = table_add(kind, name);
	saved = errno;
	/* A guardian that cannot be told (killed from outside) is replaced:
	 * the new one starts with a copy of the whole table. */
	if (rc == 0 && guardian_running() && !tell_guardian(ADD, kind, name)) {
		guardian_stop(STOP_MS);
		guardian_start();
	}
	pthread_mutex_unlock(&guardian_lock);
	errno = saved;
	return rc;
}

int
pl_cleanup_forget(enum pl_cleanup_kind kind, const char *name)
{
	int rc, saved;

	pthread_mutex_lock(&guardian_lock);
	rc = table_forget(kind, name);
	saved = errno;
	if (rc == 0)
		tell_guardian(FORGET, kind, name);
	if (rc == 0 && table_empty())
		guardian_stop(STOP_MS); /* nothing left to guard */
	pthread_mutex_unlock(&guardian_lock);
	errno = saved;
	return rc;
}

void
pl_cleanup_forget_all(void)
{
	if (guardian_owner != getpid()) {
		/* A child forked after the guardian started (pl_fork() calls
		 * this in the child): the guardian and the names are the
		 * parent's. Let go of our copy of its socket, or the guardian
		 * would wait for us too before it saw end of file. The fork
		 * copied the lock as it was, maybe held by another thread of
		 * the parent's: a child of a single thread starts it afresh. */
		pthread_mutex_init(&guardian_lock, NULL);
		guardian_stop(0);
	}
	pthread_mutex_lock(&guardian_lock);
	for (size_t i = 0; i < PL_CLEANUP_MAX; i++) {
		if (atomic_load_explicit(&names[i].state, memory_order_acquire) == READY)
			tell_guardian(FORGET, names[i].kind, names[i].text);
		atomic_store_explicit(&names[i].state, FREE, memory_order_release);
	}
	guardian_stop(STOP_MS);
	pthread_mutex_unlock(&guardian_lock);
}
