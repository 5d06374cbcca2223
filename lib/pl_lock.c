/* pl_lock.c - mutexes and semaphores that report who holds and who waits.
 *
 * The report is made in two places: on the status board (one slot a
 * process, see pl_board.h) and, with PL_LOCK_TRACK, in the lock itself
 * (task ids, for threads too). A record is written BEFORE a task blocks
 * ("wants") and AFTER it has the lock ("holds"), so an observer that sees
 * a cycle in those records sees tasks that are blocked or about to be.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pl_lock.h"
#include "pl_measure.h"

#define CANCEL_POLL_MS 10

/* The board has one slot a process: threads of one process that report
 * at the same time would write it together. They take turns here. */
static pthread_mutex_t board_turn = PTHREAD_MUTEX_INITIALIZER;

static void
board_wants(const char *lock)
{
	if (pl_board_current() == NULL)
		return;
	pthread_mutex_lock(&board_turn);
	pl_board_lock_wants(lock);
	pthread_mutex_unlock(&board_turn);
}

static void
board_holds(const char *lock)
{
	if (pl_board_current() == NULL)
		return;
	pthread_mutex_lock(&board_turn);
	pl_board_lock_holds(lock);
	pthread_mutex_unlock(&board_turn);
}

static void
board_releases(const char *lock)
{
	if (pl_board_current() == NULL)
		return;
	pthread_mutex_lock(&board_turn);
	pl_board_lock_releases(lock);
	pthread_mutex_unlock(&board_turn);
}

/* The kernel's id of the calling thread; a process's only thread has
 * its PID. (glibc 2.30 has gettid(); the raw call works everywhere.) */
static pid_t
task_id(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Set errno too, so callers may use either convention. */
static int
fail(int err)
{
	errno = err;
	return err;
}

static void
set_name(struct pl_lock *l, const char *name)
{
	snprintf(l->name, sizeof(l->name), "%s", name);
}

int
pl_lock_init_mutex(struct pl_lock *l, const char *name, unsigned flags)
{
	pthread_mutexattr_t attr;
	int err;

	if (l == NULL || name == NULL || name[0] == '\0')
		return fail(EINVAL);
	memset(l, 0, sizeof(*l));
	set_name(l, name);
	l->kind = PL_LOCK_MUTEX;
	l->flags = flags;
	if ((err = pthread_mutexattr_init(&attr)) != 0)
		return fail(err);
	/* ERRORCHECK: relocking or unlocking someone else's mutex is an error
	 * (EDEADLK, EPERM), not undefined behaviour. */
	err = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	if (err == 0 && (flags & PL_LOCK_SHARED)) {
		err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
		/* Robust: when the holder dies, the kernel hands the mutex on
		 * (the robust futex list, see get_robust_list(2)). */
		if (err == 0)
			err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	}
	if (err == 0)
		err = pthread_mutex_init(&l->u.mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	return err ? fail(err) : 0;
}

int
pl_lock_init_semaphore(struct pl_lock *l, const char *name, unsigned value, unsigned flags)
{
	if (l == NULL || name == NULL || name[0] == '\0')
		return fail(EINVAL);
	memset(l, 0, sizeof(*l));
	set_name(l, name);
	l->kind = PL_LOCK_SEMAPHORE;
	l->flags = flags;
	if (sem_init(&l->u.semaphore, (flags & PL_LOCK_SHARED) ? 1 : 0, value) == -1)
		return fail(errno);
	return 0;
}

int
pl_lock_destroy(struct pl_lock *l)
{
	int err;

	if (l->kind == PL_LOCK_MUTEX)
		err = pthread_mutex_destroy(&l->u.mutex);
	else
		err = sem_destroy(&l->u.semaphore) == -1 ? errno : 0;
	return err ? fail(err) : 0;
}

/* ------------------------------------------------------------------ */
/* The records in the lock: a task id in the first free place.          */

static void
record_add(int32_t *places, pid_t task)
{
	for (int i = 0; i < PL_LOCK_TASKS; i++) {
		int32_t expected = 0;

		if (__atomic_compare_exchange_n(&places[i], &expected, (int32_t)task, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return;
	}
	/* Full: a semaphore with more holders than places. Not recorded. */
}

static void
record_remove(int32_t *places, pid_t task)
{
	for (int i = 0; i < PL_LOCK_TASKS; i++) {
		int32_t expected = (int32_t)task;

		if (__atomic_compare_exchange_n(&places[i], &expected, 0, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_RELAXED))
			return;
	}
}

static int
record_count(const int32_t *places)
{
	int n = 0;

	for (int i = 0; i < PL_LOCK_TASKS; i++)
		n += __atomic_load_n(&places[i], __ATOMIC_ACQUIRE) != 0;
	return n;
}

/* Is anyone to be told? This is the whole cost without a board. */
static bool
reporting(const struct pl_lock *l)
{
	return (l->flags & PL_LOCK_TRACK) || pl_board_current() != NULL;
}

static void
report_wants(struct pl_lock *l, pid_t task)
{
	if (l->flags & PL_LOCK_TRACK)
		record_add(l->waiters, task);
	board_wants(l->name);
}

static void
report_gave_up(struct pl_lock *l, pid_t task)
{
	if (l->flags & PL_LOCK_TRACK)
		record_remove(l->waiters, task);
	board_wants(NULL);
}

static void
report_holds(struct pl_lock *l, pid_t task)
{
	if (l->flags & PL_LOCK_TRACK) {
		record_remove(l->waiters, task);
		/* A mutex has one holder: a dead one's record goes too. */
		if (l->kind == PL_LOCK_MUTEX)
			__atomic_store_n(&l->holders[0], (int32_t)task, __ATOMIC_RELEASE);
		else
			record_add(l->holders, task);
	}
	board_holds(l->name);
}

/* ------------------------------------------------------------------ */
/* Acquiring and releasing.                                             */

/* An absolute CLOCK_REALTIME deadline TIMEOUT_MS from now, as
 * pthread_mutex_timedlock(3) and sem_timedwait(3) want it. */
static struct timespec
deadline_in(long timeout_ms)
{
	return pl_measure_deadline(CLOCK_REALTIME, timeout_ms * 1000000LL);
}

/* The plain calls. WHEN: NULL waits forever. */
static int
raw_lock(struct pl_lock *l, const struct timespec *when)
{
	if (l->kind == PL_LOCK_MUTEX)
		return when ? pthread_mutex_timedlock(&l->u.mutex, when)
		            : pthread_mutex_lock(&l->u.mutex);
	for (;;) {
		int rc = when ? sem_timedwait(&l->u.semaphore, when) : sem_wait(&l->u.semaphore);

		if (rc == 0)
			return 0;
		if (errno != EINTR) /* a signal handler ran: wait on */
			return errno;
	}
}

static int
raw_trylock(struct pl_lock *l)
{
	if (l->kind == PL_LOCK_MUTEX)
		return pthread_mutex_trylock(&l->u.mutex);
	if (sem_trywait(&l->u.semaphore) == 0)
		return 0;
	return errno == EAGAIN ? EBUSY : errno;
}

static bool
acquired(int err)
{
	return err == 0 || err == EOWNERDEAD;
}

/* Acquire with a report around the wait. */
static int
lock_reported(struct pl_lock *l, const struct timespec *when)
{
	pid_t task = task_id();
	int err;

	report_wants(l, task);
	err = raw_lock(l, when);
	if (acquired(err))
		report_holds(l, task);
	else
		report_gave_up(l, task);
	return err;
}

int
pl_lock_lock(struct pl_lock *l)
{
	int err = reporting(l) ? lock_reported(l, NULL) : raw_lock(l, NULL);

	return err ? fail(err) : 0;
}

int
pl_lock_timedlock(struct pl_lock *l, long timeout_ms)
{
	struct timespec when = deadline_in(timeout_ms < 0 ? 0 : timeout_ms);
	int err = reporting(l) ? lock_reported(l, &when) : raw_lock(l, &when);

	return err ? fail(err) : 0;
}

int
pl_lock_trylock(struct pl_lock *l)
{
	int err = raw_trylock(l);

	if (acquired(err) && reporting(l))
		report_holds(l, task_id());
	return err ? fail(err) : 0;
}

int
pl_lock_lock_cancellable(struct pl_lock *l, const int *cancel)
{
	pid_t task = task_id();
	bool report = reporting(l);
	int err;

	/* One "wants" for the whole wait, so an observer never sees a gap. */
	if (report)
		report_wants(l, task);
	do {
		struct timespec when = deadline_in(CANCEL_POLL_MS);

		if (__atomic_load_n(cancel, __ATOMIC_ACQUIRE)) {
			err = ECANCELED;
			break;
		}
		err = raw_lock(l, &when);
	} while (err == ETIMEDOUT);
	if (report) {
		if (acquired(err))
			report_holds(l, task);
		else
			report_gave_up(l, task);
	}
	return err ? fail(err) : 0;
}

int
pl_lock_unlock(struct pl_lock *l)
{
	int err;

	if (reporting(l)) {
		/* Off the records first: once released, another task may hold
		 * it and write its own record. */
		if (l->flags & PL_LOCK_TRACK)
			record_remove(l->holders, task_id());
		board_releases(l->name);
	}
	if (l->kind == PL_LOCK_MUTEX)
		err = pthread_mutex_unlock(&l->u.mutex);
	else
		err = sem_post(&l->u.semaphore) == -1 ? errno : 0;
	return err ? fail(err) : 0;
}

int
pl_lock_consistent(struct pl_lock *l)
{
	int err = l->kind == PL_LOCK_MUTEX ? pthread_mutex_consistent(&l->u.mutex) : EINVAL;

	return err ? fail(err) : 0;
}

void
pl_lock_forget(struct pl_lock *l, pid_t task)
{
	for (int i = 0; i < PL_LOCK_TASKS; i++) {
		int32_t expected = (int32_t)task;

		__atomic_compare_exchange_n(&l->holders[i], &expected, 0, false, __ATOMIC_ACQ_REL,
		                            __ATOMIC_RELAXED);
		expected = (int32_t)task;
		__atomic_compare_exchange_n(&l->waiters[i], &expected, 0, false, __ATOMIC_ACQ_REL,
		                            __ATOMIC_RELAXED);
	}
}

int
pl_lock_holders(const struct pl_lock *l)
{
	return record_count(l->holders);
}

int
pl_lock_waiters(const struct pl_lock *l)
{
	return record_count(l->waiters);
}

/* ------------------------------------------------------------------ */
/* Wait-for graphs.                                                     */

/* /proc/TID/comm, without its newline; "" when the task is gone. */
static void
task_comm(pid_t task, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)task);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int
pl_lock_waitfor_add(struct pl_waitfor *g, const struct pl_lock *l)
{
	for (int i = 0; i < PL_LOCK_TASKS; i++) {
		pid_t holder = __atomic_load_n(&l->holders[i], __ATOMIC_ACQUIRE);
		pid_t waiter = __atomic_load_n(&l->waiters[i], __ATOMIC_ACQUIRE);
		char name[PL_WAITFOR_NAME_MAX];

		if (holder > 0) {
			task_comm(holder, name, sizeof(name));
			if (pl_waitfor_holds(g, holder, name[0] ? name : NULL, l->name) == -1)
				return -1;
		}
		if (waiter > 0) {
			task_comm(waiter, name, sizeof(name));
			if (pl_waitfor_wants(g, waiter, name[0] ? name : NULL, l->name) == -1)
				return -1;
		}
	}
	return 0;
}

int
pl_lock_waitfor_board(struct pl_waitfor *g, const struct pl_board *board)
{
	if (g == NULL || board == NULL)
		return errno = EINVAL, -1;
	for (size_t i = 0; i < PL_BOARD_SLOTS; i++) {
		struct pl_board_slot s;
		const char *name;

		if (pl_board_read_slot(board, i, &s) != 1)
			continue;
		name = s.role[0] ? s.role : NULL;
		for (int k = 0; k < PL_BOARD_LOCKS; k++)
			if (s.holds[k][0] != '\0' && pl_waitfor_holds(g, s.pid, name, s.holds[k]) == -1)
				return -1;
		if (s.wants[0] != '\0' && pl_waitfor_wants(g, s.pid, name, s.wants) == -1)
			return -1;
	}
	return 0;
}

int
pl_lock_find_cycle(const struct pl_lock *locks, size_t n, const struct pl_board *board,
                   struct pl_waitfor_cycle *out)
{
	struct pl_waitfor *g = pl_waitfor_new();
	int rc = 0;

	if (g == NULL)
		return -1;
	if (board != NULL)
		rc = pl_lock_waitfor_board(g, board);
	for (size_t i = 0; rc == 0 && board == NULL && i < n; i++)
		rc = pl_lock_waitfor_add(g, &locks[i]);
	if (rc == 0)
		rc = pl_waitfor_find_cycle(g, out);
	pl_waitfor_free(g);
	return rc;
}

struct pl_board *
pl_lock_private_board(void)
{
	char name[PL_NAME_MAX];
	sigset_t all, old;
	struct pl_board *board;
	int saved;

	/* No signal between creating the name and unlinking it. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	board = pl_board_create(name, sizeof(name));
	saved = errno;
	if (board != NULL)
		shm_unlink(name);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (board == NULL) {
		errno = saved;
		return NULL;
	}
	pl_board_use(board);
	return board;
}

void
pl_lock_private_board_end(struct pl_board *board)
{
	if (board == NULL)
		return;
	if (pl_board_current() == board)
		pl_board_use(NULL);
	munmap(board, sizeof(*board));
}
