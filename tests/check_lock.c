/* check_lock.c - unit tests of pl_lock: the semantics of each call, for
 * threads and across fork(), and what the locks report (in themselves and
 * on a status board), down to the wait-for cycle of a real deadlock. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_board.h"
#include "pl_lock.h"
#include "pl_measure.h"
#include "pl_waitfor.h"

#define POLL_MS 5000

/* Locks, flags and a cancel word in memory a forked child shares. */
struct shared {
	struct pl_lock a, b;
	int cancel;
	int child_result;
};

static struct shared *
shared_new(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
	                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(s, MAP_FAILED);
	memset(s, 0, sizeof(*s));
	return s;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Poll COND(ARG) every millisecond for at most POLL_MS. */
static int
poll_until(int (*cond)(void *), void *arg)
{
	for (int i = 0; i < POLL_MS; i++) {
		if (cond(arg))
			return 1;
		nap_ms(1);
	}
	return 0;
}

static int
child_status(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------------ */
/* Semantics, with threads.                                             */

struct attempt {
	struct pl_lock *lock;
	long timeout_ms;     /* -1: trylock; -2: lock; -3: unlock */
	const int *cancel;   /* cancellable lock when set */
	int result;
	double seconds;
};

static void *
attempt_thread(void *arg)
{
	struct attempt *a = arg;
	double start = pl_measure_now();

	if (a->cancel)
		a->result = pl_lock_lock_cancellable(a->lock, a->cancel);
	else if (a->timeout_ms == -1)
		a->result = pl_lock_trylock(a->lock);
	else if (a->timeout_ms == -2)
		a->result = pl_lock_lock(a->lock);
	else if (a->timeout_ms == -3)
		a->result = pl_lock_unlock(a->lock);
	else
		a->result = pl_lock_timedlock(a->lock, a->timeout_ms);
	a->seconds = pl_measure_now() - start;
	if (a->result == 0 && a->timeout_ms != -3)
		pl_lock_unlock(a->lock);
	return NULL;
}

/* Run one attempt on L from another thread, to the end. */
static struct attempt
from_thread(struct pl_lock *l, long timeout_ms)
{
	struct attempt a = { l, timeout_ms, NULL, -1, 0 };
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, attempt_thread, &a), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	return a;
}

START_TEST(test_lock_init_rejects_empty_name)
{
	struct pl_lock l;

	ck_assert_int_eq(pl_lock_init_mutex(&l, "", 0), EINVAL);
	ck_assert_int_eq(pl_lock_init_semaphore(&l, NULL, 1, 0), EINVAL);
	ck_assert_int_eq(pl_lock_init_mutex(&l, "a name longer than a board slot has room for", 0), 0);
	ck_assert_uint_eq(strlen(l.name), PL_LOCK_NAME - 1);
	pl_lock_destroy(&l);
}
END_TEST

START_TEST(test_lock_mutex_semantics)
{
	struct pl_lock l;

	ck_assert_int_eq(pl_lock_init_mutex(&l, "m", 0), 0);
	ck_assert_int_eq(pl_lock_lock(&l), 0);
	ck_assert_int_eq(from_thread(&l, -1).result, EBUSY);
	ck_assert_int_eq(pl_lock_lock(&l), EDEADLK);   /* error-checking mutex */
	ck_assert_int_eq(errno, EDEADLK);
#ifndef __SANITIZE_THREAD__ /* ThreadSanitizer reports these misuses itself */
	ck_assert_int_eq(from_thread(&l, -3).result, EPERM); /* not the holder */
#endif
	ck_assert_int_eq(pl_lock_unlock(&l), 0);
#ifndef __SANITIZE_THREAD__
	ck_assert_int_eq(pl_lock_unlock(&l), EPERM);   /* not held */
#endif
	ck_assert_int_eq(from_thread(&l, -1).result, 0);
	ck_assert_int_eq(pl_lock_trylock(&l), 0);
	ck_assert_int_eq(pl_lock_unlock(&l), 0);
	ck_assert_int_eq(pl_lock_destroy(&l), 0);
}
END_TEST

START_TEST(test_lock_timedlock_waits_then_gives_up)
{
	struct pl_lock l;
	struct attempt a;

	ck_assert_int_eq(pl_lock_init_mutex(&l, "m", 0), 0);
	ck_assert_int_eq(pl_lock_timedlock(&l, 10), 0);   /* free: at once */
	a = from_thread(&l, 100);
	ck_assert_int_eq(a.result, ETIMEDOUT);
	ck_assert(a.seconds >= 0.09);
	ck_assert_int_eq(pl_lock_unlock(&l), 0);
	ck_assert_int_eq(from_thread(&l, 100).result, 0);
	pl_lock_destroy(&l);
}
END_TEST

START_TEST(test_lock_semaphore_counts)
{
	struct pl_lock s;

	ck_assert_int_eq(pl_lock_init_semaphore(&s, "seats", 2, PL_LOCK_TRACK), 0);
	ck_assert_int_eq(pl_lock_trylock(&s), 0);
	ck_assert_int_eq(pl_lock_lock(&s), 0);
	ck_assert_int_eq(pl_lock_holders(&s), 2);
	ck_assert_int_eq(pl_lock_trylock(&s), EBUSY);
	ck_assert_int_eq(pl_lock_timedlock(&s, 20), ETIMEDOUT);
	ck_assert_int_eq(pl_lock_unlock(&s), 0);
	ck_assert_int_eq(pl_lock_holders(&s), 1);
	ck_assert_int_eq(from_thread(&s, 100).result, 0);
	ck_assert_int_eq(pl_lock_unlock(&s), 0);
	ck_assert_int_eq(pl_lock_holders(&s), 0);
	ck_assert_int_eq(pl_lock_consistent(&s), EINVAL);
	pl_lock_destroy(&s);
}
END_TEST

static int
has_waiter(void *arg)
{
	return pl_lock_waiters(arg) == 1;
}

START_TEST(test_lock_cancellable_wait_ends)
{
	struct pl_lock l;
	int cancel = 0;
	struct attempt a;
	pthread_t t;

	ck_assert_int_eq(pl_lock_init_mutex(&l, "m", PL_LOCK_TRACK), 0);
	ck_assert_int_eq(pl_lock_lock(&l), 0);
	a = (struct attempt){ &l, 0, &cancel, -1, 0 };
	ck_assert_int_eq(pthread_create(&t, NULL, attempt_thread, &a), 0);
	ck_assert(poll_until(has_waiter, &l));       /* recorded while it waits */
	__atomic_store_n(&cancel, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(a.result, ECANCELED);
	ck_assert_int_eq(pl_lock_waiters(&l), 0);     /* and off the record after */
	ck_assert_int_eq(pl_lock_holders(&l), 1);
	ck_assert_int_eq(pl_lock_unlock(&l), 0);
	/* Not cancelled: it simply gets the lock. */
	cancel = 0;
	a = (struct attempt){ &l, 0, &cancel, -1, 0 };
	ck_assert_int_eq(pthread_create(&t, NULL, attempt_thread, &a), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(a.result, 0);
	pl_lock_destroy(&l);
}
END_TEST

START_TEST(test_lock_no_records_without_track)
{
	struct pl_lock l;

	pl_board_use(NULL);
	ck_assert_int_eq(pl_lock_init_mutex(&l, "m", 0), 0);
	ck_assert_int_eq(pl_lock_lock(&l), 0);
	ck_assert_int_eq(pl_lock_holders(&l), 0);
	ck_assert_int_eq(pl_lock_unlock(&l), 0);
	pl_lock_destroy(&l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Process-shared, across fork().                                      */

START_TEST(test_lock_shared_mutex_across_fork)
{
	struct shared *s = shared_new();
	pid_t pid;

	ck_assert_int_eq(pl_lock_init_mutex(&s->a, "mask", PL_LOCK_SHARED), 0);
	ck_assert_int_eq(pl_lock_lock(&s->a), 0);
	switch (pid = fork()) {
	case -1:
		ck_abort_msg("fork");
		break;
	case 0: /* the parent holds it: busy, then free once released */
		if (pl_lock_trylock(&s->a) != EBUSY)
			_exit(1);
		__atomic_store_n(&s->child_result, 1, __ATOMIC_RELEASE);
		_exit(pl_lock_timedlock(&s->a, POLL_MS) == 0 && pl_lock_unlock(&s->a) == 0 ? 0 : 2);
	default:
		break;
	}
	while (__atomic_load_n(&s->child_result, __ATOMIC_ACQUIRE) == 0 && waitpid(pid, NULL, WNOHANG) == 0)
		nap_ms(1);
	ck_assert_int_eq(pl_lock_unlock(&s->a), 0);
	ck_assert_int_eq(child_status(pid), 0);
	pl_lock_destroy(&s->a);
	munmap(s, sizeof(*s));
}
END_TEST

START_TEST(test_lock_shared_mutex_owner_dies)
{
	struct shared *s = shared_new();
	pid_t pid;

	ck_assert_int_eq(pl_lock_init_mutex(&s->a, "mask", PL_LOCK_SHARED | PL_LOCK_TRACK), 0);
	if ((pid = fork()) == 0)
		_exit(pl_lock_lock(&s->a) == 0 ? 0 : 1);   /* dies holding it */
	ck_assert_int_eq(child_status(pid), 0);
	ck_assert_int_eq(pl_lock_holders(&s->a), 1);  /* the dead holder's record */
	ck_assert_int_eq(pl_lock_lock(&s->a), EOWNERDEAD);
	ck_assert_int_eq(s->a.holders[0], (int32_t)getpid()); /* now ours */
	ck_assert_int_eq(pl_lock_consistent(&s->a), 0);
	ck_assert_int_eq(pl_lock_unlock(&s->a), 0);
	ck_assert_int_eq(pl_lock_lock(&s->a), 0);
	ck_assert_int_eq(pl_lock_unlock(&s->a), 0);
	pl_lock_destroy(&s->a);
	munmap(s, sizeof(*s));
}
END_TEST

START_TEST(test_lock_shared_semaphore_across_fork)
{
	struct shared *s = shared_new();
	pid_t pid;

	ck_assert_int_eq(pl_lock_init_semaphore(&s->a, "token", 0, PL_LOCK_SHARED), 0);
	if ((pid = fork()) == 0)   /* waits until the parent posts */
		_exit(pl_lock_timedlock(&s->a, POLL_MS) == 0 ? 0 : 1);
	ck_assert_int_eq(pl_lock_unlock(&s->a), 0);   /* sem_post */
	ck_assert_int_eq(child_status(pid), 0);
	ck_assert_int_eq(pl_lock_trylock(&s->a), EBUSY);  /* the child took it */
	pl_lock_destroy(&s->a);
	munmap(s, sizeof(*s));
}
END_TEST

/* ------------------------------------------------------------------ */
/* What the board records.                                              */

static struct pl_board *board;
static char board_name[64];

static void
board_setup(void)
{
	board = pl_board_create(board_name, sizeof(board_name));
	ck_assert_ptr_nonnull(board);
	shm_unlink(board_name);   /* the mapping is all the test needs */
	pl_board_use(board);
}

static void
board_teardown(void)
{
	pl_board_use(NULL);
	munmap(board, sizeof(*board));
}

/* The slot of PID, copied into *OUT: 1 if found. */
static int
slot_of(pid_t pid, struct pl_board_slot *out)
{
	for (size_t i = 0; i < PL_BOARD_SLOTS; i++)
		if (pl_board_read_slot(board, i, out) == 1 && out->pid == pid)
			return 1;
	return 0;
}

static int
holds(pid_t pid, const char *lock)
{
	struct pl_board_slot s;

	if (!slot_of(pid, &s))
		return 0;
	for (int k = 0; k < PL_BOARD_LOCKS; k++)
		if (strcmp(s.holds[k], lock) == 0)
			return 1;
	return 0;
}

static int
wants(pid_t pid, const char *lock)
{
	struct pl_board_slot s;

	return slot_of(pid, &s) && strcmp(s.wants, lock) == 0;
}

START_TEST(test_lock_board_holds_and_releases)
{
	struct pl_lock a, b;

	ck_assert_int_eq(pl_lock_init_mutex(&a, "mask", 0), 0);
	ck_assert_int_eq(pl_lock_init_semaphore(&b, "shop", 1, 0), 0);
	ck_assert_int_eq(pl_lock_lock(&a), 0);
	ck_assert(holds(getpid(), "mask"));
	ck_assert_int_eq(pl_lock_trylock(&b), 0);
	ck_assert(holds(getpid(), "mask") && holds(getpid(), "shop"));
	ck_assert_int_eq(pl_lock_timedlock(&b, 10), ETIMEDOUT);
	ck_assert(!wants(getpid(), "shop"));         /* gave up: wants nothing */
	ck_assert_int_eq(pl_lock_unlock(&a), 0);
	ck_assert(!holds(getpid(), "mask") && holds(getpid(), "shop"));
	ck_assert_int_eq(pl_lock_unlock(&b), 0);
	ck_assert(!holds(getpid(), "shop"));
	pl_lock_destroy(&a);
	pl_lock_destroy(&b);
}
END_TEST

struct waiting {
	pid_t pid;
	const char *lock;
};

static int
is_waiting(void *arg)
{
	struct waiting *w = arg;

	return wants(w->pid, w->lock);
}

static int
is_holding(void *arg)
{
	struct waiting *w = arg;

	return holds(w->pid, w->lock);
}

START_TEST(test_lock_board_shows_a_waiter)
{
	struct shared *s = shared_new();
	struct waiting w;
	pid_t pid;

	ck_assert_int_eq(pl_lock_init_mutex(&s->a, "mask", PL_LOCK_SHARED), 0);
	ck_assert_int_eq(pl_lock_lock(&s->a), 0);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (pl_lock_lock(&s->a) != 0)
			_exit(1);
		while (!__atomic_load_n(&s->cancel, __ATOMIC_ACQUIRE))
			nap_ms(1);
		_exit(pl_lock_unlock(&s->a) == 0 ? 0 : 2);
	}
	w = (struct waiting){ pid, "mask" };
	ck_assert(poll_until(is_waiting, &w));       /* the child's slot: wants mask */
	ck_assert(!holds(pid, "mask"));
	ck_assert_int_eq(pl_lock_unlock(&s->a), 0);
	ck_assert(poll_until(is_holding, &w));       /* then holds it */
	ck_assert(!wants(pid, "mask"));
	__atomic_store_n(&s->cancel, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(child_status(pid), 0);
	ck_assert(!holds(pid, "mask"));
	pl_lock_destroy(&s->a);
	munmap(s, sizeof(*s));
}
END_TEST

/* Two processes, each holding one lock and waiting for the other's. */
static void
crossed_child(struct shared *s, struct pl_lock *first, struct pl_lock *second)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (pl_lock_lock(first) != 0)
		_exit(1);
	__atomic_add_fetch(&s->child_result, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&s->child_result, __ATOMIC_ACQUIRE) < 2)
		nap_ms(1);   /* both hold their first: now the cycle is certain */
	/* Cancelled, or (once the other was cancelled and died, handing its
	 * robust mutex on) acquired: 0 or 3. */
	switch (pl_lock_lock_cancellable(second, &s->cancel)) {
	case ECANCELED:
		_exit(0);
	case 0:
	case EOWNERDEAD:
		_exit(3);
	default:
		_exit(2);
	}
}

static int
has_cycle(void *arg)
{
	struct pl_waitfor_cycle *c = arg;
	struct pl_waitfor *g = pl_waitfor_new();
	int found;

	pl_lock_waitfor_board(g, board);
	found = pl_waitfor_find_cycle(g, c);
	pl_waitfor_free(g);
	return found == 1;
}

START_TEST(test_lock_board_waitfor_finds_the_deadlock)
{
	struct shared *s = shared_new();
	struct pl_waitfor_cycle c;
	pid_t p1, p2;
	char text[256];

	ck_assert_int_eq(pl_lock_init_mutex(&s->a, "mask", PL_LOCK_SHARED), 0);
	ck_assert_int_eq(pl_lock_init_mutex(&s->b, "shop", PL_LOCK_SHARED), 0);
	if ((p1 = fork()) == 0) {
		pl_board_set_role("shopper 1");
		crossed_child(s, &s->a, &s->b);
	}
	if ((p2 = fork()) == 0) {
		pl_board_set_role("shopper 2");
		crossed_child(s, &s->b, &s->a);
	}
	ck_assert(poll_until(has_cycle, &c));
	ck_assert_uint_eq(c.length, 2);
	pl_waitfor_describe(&c, text, sizeof(text));
	ck_assert_msg(strstr(text, "(shopper 1) wants shop") && strstr(text, "(shopper 2) wants mask"),
	              "%s", text);
	__atomic_store_n(&s->cancel, 1, __ATOMIC_RELEASE);
	int st1 = child_status(p1), st2 = child_status(p2);
	ck_assert_msg((st1 == 0 || st1 == 3) && (st2 == 0 || st2 == 3) && st1 + st2 <= 3,
	              "exit statuses %d and %d", st1, st2);
	munmap(s, sizeof(*s));
}
END_TEST

/* ------------------------------------------------------------------ */
/* The same deadlock between threads, from the locks' own records.       */

struct crossed {
	struct pl_lock *first, *second;
	const char *name;
	int *ready;
	const int *cancel;
	int result;
};

static void *
crossed_thread(void *arg)
{
	struct crossed *c = arg;

	pthread_setname_np(pthread_self(), c->name);
	pl_lock_lock(c->first);
	__atomic_add_fetch(c->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(c->ready, __ATOMIC_ACQUIRE) < 2)
		nap_ms(1);
	c->result = pl_lock_lock_cancellable(c->second, c->cancel);
	if (c->result == 0)
		pl_lock_unlock(c->second);
	pl_lock_unlock(c->first);
	return NULL;
}

static struct pl_lock *thread_locks[2];

static int
has_thread_cycle(void *arg)
{
	struct pl_waitfor *g = pl_waitfor_new();
	int found;

	pl_lock_waitfor_add(g, thread_locks[0]);
	pl_lock_waitfor_add(g, thread_locks[1]);
	found = pl_waitfor_find_cycle(g, arg);
	pl_waitfor_free(g);
	return found == 1;
}

START_TEST(test_lock_records_find_a_thread_deadlock)
{
	/* Semaphores: the same cycle as mutexes, and ThreadSanitizer does not
	 * report the (deliberate) lock-order inversion of semaphores. */
	struct pl_lock a, b;
	int ready = 0, cancel = 0;
	struct crossed one = { &a, &b, "shopper-1", &ready, &cancel, -1 };
	struct crossed two = { &b, &a, "shopper-2", &ready, &cancel, -1 };
	struct pl_waitfor_cycle c;
	pthread_t t1, t2;
	char text[256];

	ck_assert_int_eq(pl_lock_init_semaphore(&a, "mask", 1, PL_LOCK_TRACK), 0);
	ck_assert_int_eq(pl_lock_init_semaphore(&b, "shop", 1, PL_LOCK_TRACK), 0);
	thread_locks[0] = &a;
	thread_locks[1] = &b;
	ck_assert_int_eq(pthread_create(&t1, NULL, crossed_thread, &one), 0);
	ck_assert_int_eq(pthread_create(&t2, NULL, crossed_thread, &two), 0);
	ck_assert(poll_until(has_thread_cycle, &c));
	ck_assert_uint_eq(c.length, 2);
	pl_waitfor_describe(&c, text, sizeof(text));
	ck_assert_msg(strstr(text, "(shopper-1) wants shop") && strstr(text, "(shopper-2) wants mask"),
	              "%s", text);
	__atomic_store_n(&cancel, 1, __ATOMIC_RELEASE);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	/* At least one was cancelled; the other may have got the lock the
	 * first released on its way out. */
	ck_assert(one.result == ECANCELED || two.result == ECANCELED);
	ck_assert(one.result == ECANCELED || one.result == 0);
	ck_assert(two.result == ECANCELED || two.result == 0);
	ck_assert_int_eq(pl_lock_holders(&a) + pl_lock_holders(&b), 0);
	ck_assert_int_eq(pl_lock_waiters(&a) + pl_lock_waiters(&b), 0);
}
END_TEST

START_TEST(test_lock_forget_drops_a_task)
{
	struct pl_lock l;

	ck_assert_int_eq(pl_lock_init_semaphore(&l, "s", 2, PL_LOCK_TRACK), 0);
	ck_assert_int_eq(pl_lock_lock(&l), 0);
	ck_assert_int_eq(pl_lock_holders(&l), 1);
	pl_lock_forget(&l, l.holders[0]);
	ck_assert_int_eq(pl_lock_holders(&l), 0);
	pl_lock_destroy(&l);
}
END_TEST

static Suite *
lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *semantics = tcase_create("semantics");
	TCase *shared = tcase_create("shared");
	TCase *reports = tcase_create("reports");

	tcase_add_test(semantics, test_lock_init_rejects_empty_name);
	tcase_add_test(semantics, test_lock_mutex_semantics);
	tcase_add_test(semantics, test_lock_timedlock_waits_then_gives_up);
	tcase_add_test(semantics, test_lock_semaphore_counts);
	tcase_add_test(semantics, test_lock_cancellable_wait_ends);
	tcase_add_test(semantics, test_lock_no_records_without_track);
	tcase_add_test(semantics, test_lock_forget_drops_a_task);
	suite_add_tcase(s, semantics);

	tcase_add_test(shared, test_lock_shared_mutex_across_fork);
	tcase_add_test(shared, test_lock_shared_mutex_owner_dies);
	tcase_add_test(shared, test_lock_shared_semaphore_across_fork);
	suite_add_tcase(s, shared);

	tcase_add_checked_fixture(reports, board_setup, board_teardown);
	tcase_add_test(reports, test_lock_board_holds_and_releases);
	tcase_add_test(reports, test_lock_board_shows_a_waiter);
	tcase_add_test(reports, test_lock_board_waitfor_finds_the_deadlock);
	tcase_add_test(reports, test_lock_records_find_a_thread_deadlock);
	tcase_set_timeout(reports, 20);
	suite_add_tcase(s, reports);
	return s;
}

PL_CHECK_MAIN(lock_suite)
