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
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* How long the termination handler waits for the children it killed to
 * end, before it dies itself: they are gone in well under a millisecond
 * on an idle machine. */
#define REAP_MS 200

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
	case PL_CLEANUP_DIR: rmdir(n->text); break;
	}
}

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
			atomic_compare_exchange_strong(&names[i].state, &ready, FREE);
		}
	errno = saved;
}

/* Only async-signal-safe calls here: kill(2), unlink(2) and friends,
 * waitpid(2), nanosleep(2), sigaction(2), raise(3). */
static void
on_termination(int sig)
{
	struct sigaction dfl;

	if (getpid() == owner) {
		pl_children_signal_all(SIGKILL);
		pl_cleanup_run();
		/* Reap them: a child that outlives us as a zombie goes to
		 * init, which on some machines reaps late. Bounded: a child
		 * stuck in the kernel (state D) must not hold the Ctrl-C up. */
		pl_children_reap_within(REAP_MS);
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

static const int termination_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NTERMINATION (sizeof(termination_signals) / sizeof(termination_signals[0]))

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

	owner = getpid();
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

int
pl_cleanup_add(enum pl_cleanup_kind kind, const char *name)
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

int
pl_cleanup_forget(enum pl_cleanup_kind kind, const char *name)
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

void
pl_cleanup_forget_all(void)
{
	for (size_t i = 0; i < PL_CLEANUP_MAX; i++)
		atomic_store_explicit(&names[i].state, FREE, memory_order_release);
}
