/* pl_lock.h - mutexes and semaphores that report who holds and who waits.
 *
 * A struct pl_lock wraps a pthread mutex or a POSIX semaphore and gives it
 * a name ("mask", "fork 3"). Around every acquire and release it reports:
 *
 *  - to the dashboard's status board (pl_board.h), when one is attached:
 *    pl_board_lock_wants() before blocking, pl_board_lock_holds() once
 *    acquired, pl_board_lock_releases() at unlock. The board has one slot
 *    a PROCESS, so this suits locks shared between processes.
 *  - in the lock itself, with PL_LOCK_TRACK: the ids (gettid(2)) of the
 *    tasks that hold it and of those waiting for it. That works for threads
 *    as well as processes, and is what pl_lock_waitfor_add() reads.
 *
 * Without a board and without PL_LOCK_TRACK each call is one flag test,
 * one pointer test and the pthread or sem call: a demo run alone pays next
 * to nothing (demos/deadlock.c --bench measures it).
 *
 * With PL_LOCK_SHARED the lock is process-shared (PTHREAD_PROCESS_SHARED,
 * sem_init(pshared = 1)) and must live in memory the processes share, such
 * as a MAP_SHARED mapping made before fork(). A shared mutex is also ROBUST:
 * if its holder dies, the next pl_lock_lock() returns EOWNERDEAD with the
 * lock held, and the caller repairs what it protects and calls
 * pl_lock_consistent().
 *
 * The lock functions return 0 or an error number, like pthread calls (and
 * set errno to it as well). They never print and never exit.
 */
#ifndef PL_LOCK_H
#define PL_LOCK_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/types.h>

#include "pl_board.h"
#include "pl_waitfor.h"

#define PL_LOCK_NAME PL_BOARD_NAME   /* a name fits a board slot */
#define PL_LOCK_TASKS 8              /* holders and waiters recorded in a lock */

#define PL_LOCK_SHARED 0x1   /* process-shared: place it in shared memory */
#define PL_LOCK_TRACK 0x2    /* record holders and waiters in the lock */

enum pl_lock_kind { PL_LOCK_MUTEX, PL_LOCK_SEMAPHORE };

struct pl_lock {
	char name[PL_LOCK_NAME];
	enum pl_lock_kind kind;
	unsigned flags;
	union {
		pthread_mutex_t mutex;
		sem_t semaphore;
	} u;
	/* With PL_LOCK_TRACK: task ids, 0 for an empty place. Written with
	 * atomics, so another task (or process) may read them at any time. */
	int32_t holders[PL_LOCK_TASKS];
	int32_t waiters[PL_LOCK_TASKS];
};

/* Make L a mutex, or a semaphore of VALUE (1: a lock; N: N at once), named
 * NAME (cut to PL_LOCK_NAME - 1 characters). FLAGS: PL_LOCK_SHARED,
 * PL_LOCK_TRACK. Returns 0 or an error number (EINVAL for an empty name). */
int pl_lock_init_mutex(struct pl_lock *l, const char *name, unsigned flags);
int pl_lock_init_semaphore(struct pl_lock *l, const char *name, unsigned value,
                           unsigned flags);
int pl_lock_destroy(struct pl_lock *l);

/* Wait until acquired. 0, EOWNERDEAD (a shared mutex whose holder died:
 * acquired), EDEADLK (this thread already holds the mutex), or an error. */
int pl_lock_lock(struct pl_lock *l);
/* Acquire only if free now: 0 or EBUSY. Never reports a wait. */
int pl_lock_trylock(struct pl_lock *l);
/* Wait at most TIMEOUT_MS milliseconds: 0, ETIMEDOUT, EOWNERDEAD... */
int pl_lock_timedlock(struct pl_lock *l, long timeout_ms);
/* Wait until acquired, or until *CANCEL becomes non-zero (checked every
 * few milliseconds): then ECANCELED, without the lock. A blocked
 * pthread_mutex_lock() cannot be interrupted; this wait can, so a
 * deadlock detector can choose a victim and end its wait. */
int pl_lock_lock_cancellable(struct pl_lock *l, const int *cancel);
/* Release. A mutex must be released by its holder (EPERM otherwise). */
int pl_lock_unlock(struct pl_lock *l);
/* After EOWNERDEAD: the protected data is repaired, the mutex usable again. */
int pl_lock_consistent(struct pl_lock *l);

/* Drop every record of TASK from L (a task killed while waiting). */
void pl_lock_forget(struct pl_lock *l, pid_t task);

/* How many tasks L records as holding it / waiting for it (PL_LOCK_TRACK). */
int pl_lock_holders(const struct pl_lock *l);
int pl_lock_waiters(const struct pl_lock *l);

/* Add to G what L records (PL_LOCK_TRACK): each holder holds L, each
 * waiter wants it. Tasks are named after /proc/TID/comm (set it with
 * prctl(PR_SET_NAME) or pthread_setname_np()). Returns 0 or -1 with errno. */
int pl_lock_waitfor_add(struct pl_waitfor *g, const struct pl_lock *l);

/* Add to G what every process wrote on BOARD: the locks it holds and the
 * one it wants, named by its role. Returns 0 or -1 with errno. */
int pl_lock_waitfor_board(struct pl_waitfor *g, const struct pl_board *board);

/* A status board of one's own, for finding cycles among processes when no
 * dashboard is attached: created (pl_board_create), its name unlinked at
 * once (so nothing is left in /dev/shm, even after SIGKILL), and attached
 * with pl_board_use(); children forked afterwards share it. Returns the
 * board, or NULL with errno. pl_lock_private_board_end() detaches and
 * unmaps it. */
struct pl_board *pl_lock_private_board(void);
void pl_lock_private_board_end(struct pl_board *board);

/* Is there a deadlock? With BOARD: among what the processes wrote on it;
 * without (NULL): among what the N LOCKS record. Returns 1 with *OUT
 * filled, 0 when there is no cycle, -1 with errno. */
int pl_lock_find_cycle(const struct pl_lock *locks, size_t n, const struct pl_board *board,
                       struct pl_waitfor_cycle *out);

#endif /* PL_LOCK_H */
