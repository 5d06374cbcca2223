/* check_waitfor.c - the wait-for graph and its cycles (lib/pl_waitfor.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_procfs.h"
#include "pl_waitfor.h"

static struct pl_waitfor *g;

static void
setup(void)
{
	g = pl_waitfor_new();
	ck_assert_ptr_nonnull(g);
}

static void
teardown(void)
{
	pl_waitfor_free(g);
}

/* One task whose wants close two cycles at once, through two tasks below
 * it on the search's stack: T1 -> T2 -> X, and X wants what T2 holds and
 * what T1 holds. Asked for one cycle, the search must write one: it used
 * to write the second past the end of OUT (the judge's model kept its
 * cycles in a struct, and the next field, the board pointer, was lost). */
START_TEST(test_waitfor_no_more_cycles_than_asked)
{
	struct {
		struct pl_waitfor_cycle c[1];
		struct pl_waitfor_cycle guard;
	} out;

	memset(&out, 0, sizeof(out));
	pl_waitfor_holds(g, 1, "t1", "L1");
	pl_waitfor_wants(g, 1, "t1", "L2");
	pl_waitfor_holds(g, 2, "t2", "L2");
	pl_waitfor_wants(g, 2, "t2", "L3");
	pl_waitfor_holds(g, 3, "x", "L3");
	pl_waitfor_wants(g, 3, "x", "L2");
	pl_waitfor_wants(g, 3, "x", "L1");
	ck_assert_int_eq(pl_waitfor_find_cycles(g, out.c, 1), 1);
	ck_assert_uint_eq(out.guard.length, 0); /* nothing written past OUT */
	ck_assert_int_eq(pl_waitfor_find_cycles(g, out.c, 0), 0);
}
END_TEST

START_TEST(test_waitfor_empty_has_no_cycle)
{
	struct pl_waitfor_cycle c;

	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 0);
	ck_assert_uint_eq(pl_waitfor_tasks(g), 0);
}
END_TEST

START_TEST(test_waitfor_chain_is_not_a_cycle)
{
	struct pl_waitfor_cycle c;

	/* 1 waits for 2 waits for 3, which waits for nothing. */
	ck_assert_int_eq(pl_waitfor_wants(g, 1, "a", "L2"), 0);
	ck_assert_int_eq(pl_waitfor_holds(g, 2, "b", "L2"), 0);
	ck_assert_int_eq(pl_waitfor_wants(g, 2, "b", "L3"), 0);
	ck_assert_int_eq(pl_waitfor_holds(g, 3, "c", "L3"), 0);
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 0);
	ck_assert_uint_eq(pl_waitfor_tasks(g), 3);
	ck_assert_uint_eq(pl_waitfor_locks(g), 2);
}
END_TEST

START_TEST(test_waitfor_two_tasks_deadlock)
{
	struct pl_waitfor_cycle c;
	char text[256];

	/* The classic: each holds one lock and wants the other's. Facts in a
	 * scrambled order, so the answer must not depend on it. */
	pl_waitfor_wants(g, 20, "right", "fork A");
	pl_waitfor_holds(g, 10, "left", "fork A");
	pl_waitfor_holds(g, 20, "right", "fork B");
	pl_waitfor_wants(g, 10, "left", "fork B");
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 1);
	ck_assert_uint_eq(c.length, 2);
	ck_assert_int_eq(c.links[0].task, 10);
	ck_assert_str_eq(c.links[0].lock, "fork B");
	ck_assert_int_eq(c.links[1].task, 20);
	ck_assert_str_eq(c.links[1].lock, "fork A");
	ck_assert_int_eq(pl_waitfor_describe(&c, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "10 (left) wants fork B, held by 20 (right); "
	                       "20 (right) wants fork A, held by 10 (left)");
}
END_TEST

START_TEST(test_waitfor_five_philosophers)
{
	struct pl_waitfor_cycle c;
	char fork_name[32];

	for (long p = 1; p <= 5; p++) {
		snprintf(fork_name, sizeof(fork_name), "fork %ld", p);
		pl_waitfor_holds(g, p, NULL, fork_name);
		snprintf(fork_name, sizeof(fork_name), "fork %ld", p % 5 + 1);
		pl_waitfor_wants(g, p, NULL, fork_name);
	}
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 1);
	ck_assert_uint_eq(c.length, 5);
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(c.links[i].task, (long)i + 1);
}
END_TEST

START_TEST(test_waitfor_cycle_next_to_a_tail)
{
	struct pl_waitfor_cycle c[4];

	/* 1 -> 2 -> 3 -> 2: 1 waits, but only 2 and 3 are deadlocked. */
	pl_waitfor_wants(g, 1, NULL, "x");
	pl_waitfor_holds(g, 2, NULL, "x");
	pl_waitfor_wants(g, 2, NULL, "y");
	pl_waitfor_holds(g, 3, NULL, "y");
	pl_waitfor_wants(g, 3, NULL, "x");
	ck_assert_uint_eq(pl_waitfor_find_cycles(g, c, 4), 1);
	ck_assert_uint_eq(c[0].length, 2);
	ck_assert_int_eq(c[0].links[0].task, 2);
	ck_assert_int_eq(c[0].links[1].task, 3);
}
END_TEST

START_TEST(test_waitfor_two_separate_deadlocks)
{
	struct pl_waitfor_cycle c[4];

	pl_waitfor_holds(g, 1, NULL, "a");
	pl_waitfor_wants(g, 1, NULL, "b");
	pl_waitfor_holds(g, 2, NULL, "b");
	pl_waitfor_wants(g, 2, NULL, "a");
	pl_waitfor_holds(g, 7, NULL, "c");
	pl_waitfor_wants(g, 7, NULL, "d");
	pl_waitfor_holds(g, 8, NULL, "d");
	pl_waitfor_wants(g, 8, NULL, "c");
	ck_assert_uint_eq(pl_waitfor_find_cycles(g, c, 4), 2);
	ck_assert_int_eq(c[0].links[0].task, 1);
	ck_assert_int_eq(c[1].links[0].task, 7);
	/* At most MAX are stored. */
	ck_assert_uint_eq(pl_waitfor_find_cycles(g, c, 1), 1);
}
END_TEST

START_TEST(test_waitfor_self_deadlock)
{
	struct pl_waitfor_cycle c;

	/* A non-recursive lock taken twice by the same thread. */
	pl_waitfor_holds(g, 5, "t", "m");
	pl_waitfor_wants(g, 5, "t", "m");
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 1);
	ck_assert_uint_eq(c.length, 1);
}
END_TEST

START_TEST(test_waitfor_shared_lock_many_holders)
{
	struct pl_waitfor_cycle c;

	/* Readers 1 and 2 share "r"; 3 wants it and holds "w", which 2 wants. */
	pl_waitfor_holds(g, 1, NULL, "r");
	pl_waitfor_holds(g, 2, NULL, "r");
	pl_waitfor_holds(g, 3, NULL, "w");
	pl_waitfor_wants(g, 3, NULL, "r");
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 0);
	pl_waitfor_wants(g, 2, NULL, "w");
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 1);
	ck_assert_uint_eq(c.length, 2);
	ck_assert_int_eq(c.links[0].task, 2);
}
END_TEST

START_TEST(test_waitfor_clear_and_bad_input)
{
	struct pl_waitfor_cycle c;
	char small[8];

	pl_waitfor_holds(g, 1, NULL, "a");
	pl_waitfor_wants(g, 1, NULL, "a");
	pl_waitfor_clear(g);
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 0);
	errno = 0;
	ck_assert_int_eq(pl_waitfor_holds(g, 0, NULL, "a"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pl_waitfor_wants(g, 3, NULL, ""), -1);
	ck_assert_int_eq(pl_waitfor_wants(g, 3, NULL, NULL), -1);
	/* Adding the same fact twice changes nothing. */
	pl_waitfor_holds(g, 1, NULL, "a");
	pl_waitfor_holds(g, 1, NULL, "a");
	ck_assert_uint_eq(pl_waitfor_locks(g), 1);
	/* describe says when the text did not fit. */
	pl_waitfor_wants(g, 1, NULL, "a");
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 1);
	ck_assert_int_eq(pl_waitfor_describe(&c, small, sizeof(small)), -1);
	ck_assert_int_eq(errno, ENOBUFS);
}
END_TEST

START_TEST(test_waitfor_long_chain_does_not_overflow)
{
	struct pl_waitfor_cycle c;
	char lock[32];

	/* 3000 tasks in one ring: the walk is iterative, and a cycle longer
	 * than PL_WAITFOR_CYCLE_MAX is cut, not overflowed. */
	for (long t = 1; t <= 3000; t++) {
		snprintf(lock, sizeof(lock), "l%ld", t);
		pl_waitfor_holds(g, t, NULL, lock);
		snprintf(lock, sizeof(lock), "l%ld", t % 3000 + 1);
		pl_waitfor_wants(g, t, NULL, lock);
	}
	ck_assert_int_eq(pl_waitfor_find_cycle(g, &c), 1);
	ck_assert_uint_eq(c.length, PL_WAITFOR_CYCLE_MAX);
}
END_TEST

/* The search needs memory for every task. When there is none, the answer
 * must be -1 with ENOMEM, never "no cycle". A child process builds a
 * deadlock among 20000 tasks, caps its own address space (RLIMIT_AS) a
 * little above what it uses, and searches: the search's arrays (about
 * 45 bytes a task) no longer fit. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1 /* its allocator reserves far more than RLIMIT_AS allows */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

#ifndef UNDER_SANITIZER
enum { SEARCH_ENOMEM, SEARCH_NO_CYCLE, SEARCH_FOUND, SEARCH_OTHER, SEARCH_SETUP };

static int
search_short_of_memory(void)
{
	struct pl_waitfor *big = pl_waitfor_new();
	struct pl_waitfor_cycle c;
	struct rlimit cap;
	unsigned long long kib;
	char lock[32];
	int rc;

	if (big == NULL || pl_waitfor_holds(big, 1, "a", "x") == -1 ||
	    pl_waitfor_wants(big, 1, "a", "y") == -1 || pl_waitfor_holds(big, 2, "b", "y") == -1 ||
	    pl_waitfor_wants(big, 2, "b", "x") == -1)
		return SEARCH_SETUP;
	for (long task = 3; task < 20000; task++) {
		snprintf(lock, sizeof(lock), "lock %ld", task);
		if (pl_waitfor_holds(big, task, NULL, lock) == -1)
			return SEARCH_SETUP;
	}
	/* "VmSize: 12345 kB": the address space in use now. */
	if (pl_procfs_number(getpid(), "status", "VmSize", 10, &kib) != 0)
		return SEARCH_SETUP;
	cap.rlim_cur = cap.rlim_max = (rlim_t)(kib + 64) * 1024;
	if (setrlimit(RLIMIT_AS, &cap) == -1)
		return SEARCH_SETUP;
	errno = 0;
	rc = pl_waitfor_find_cycle(big, &c);
	if (rc == -1 && errno == ENOMEM)
		return SEARCH_ENOMEM;
	return rc == 0 ? SEARCH_NO_CYCLE : rc == 1 ? SEARCH_FOUND : SEARCH_OTHER;
}
#endif

START_TEST(test_waitfor_out_of_memory_is_an_error)
{
#ifdef UNDER_SANITIZER
	fprintf(stderr, "# out of memory: not tested under a sanitizer\n");
#else
	static const char *const said[] = { "-1, ENOMEM", "0, no cycle", "1, found it anyway",
		                             "another error", "the test could not set up" };
	int status;
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(search_short_of_memory());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) <= SEARCH_SETUP);
	ck_assert_msg(WEXITSTATUS(status) == SEARCH_ENOMEM, "with no memory to search: %s",
	              said[WEXITSTATUS(status)]);
#endif
}
END_TEST

static Suite *
waitfor_suite(void)
{
	Suite *s = suite_create("waitfor");
	TCase *tc = tcase_create("cycles");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_waitfor_empty_has_no_cycle);
	tcase_add_test(tc, test_waitfor_no_more_cycles_than_asked);
	tcase_add_test(tc, test_waitfor_chain_is_not_a_cycle);
	tcase_add_test(tc, test_waitfor_two_tasks_deadlock);
	tcase_add_test(tc, test_waitfor_five_philosophers);
	tcase_add_test(tc, test_waitfor_cycle_next_to_a_tail);
	tcase_add_test(tc, test_waitfor_two_separate_deadlocks);
	tcase_add_test(tc, test_waitfor_self_deadlock);
	tcase_add_test(tc, test_waitfor_shared_lock_many_holders);
	tcase_add_test(tc, test_waitfor_clear_and_bad_input);
	tcase_add_test(tc, test_waitfor_long_chain_does_not_overflow);
	tcase_add_test(tc, test_waitfor_out_of_memory_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(waitfor_suite)
