/* check_evidence.c - readings that prove a claim, and reports between
 * processes (lib/pl_evidence.c). Each test forks its own children, looks
 * only at them, and reaps them. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_evidence.h"
#include "pl_procfs.h"

#define KIDS 3

/* Children that exit at once, and stay zombies: we have not waited. */
START_TEST(test_evidence_counts_zombie_children)
{
	pid_t kids[KIDS];
	struct pl_proc proc;

	ck_assert_int_eq(pl_evidence_children_in_state(getpid(), 'Z'), 0);
	for (int i = 0; i < KIDS; i++) {
		kids[i] = fork();
		ck_assert_int_ne(kids[i], -1);
		if (kids[i] == 0)
			_exit(0);
	}
	for (int i = 0; i < KIDS; i++)
		ck_assert_int_eq(pl_procfs_wait_state(kids[i], "Z", 10000, &proc), 0);
	ck_assert_int_eq(pl_evidence_children_in_state(getpid(), 'Z'), KIDS);
	ck_assert_int_eq(pl_evidence_children_in_state(getpid(), 'R'), 0);
	for (int i = 0; i < KIDS; i++)
		ck_assert_int_eq(waitpid(kids[i], NULL, 0), kids[i]);
	ck_assert_int_eq(pl_evidence_children_in_state(getpid(), 'Z'), 0);
}
END_TEST

/* A blocked SIGUSR1 sent twice is one bit in ShdPnd: signals merge. */
START_TEST(test_evidence_reads_one_pending_bit)
{
	sigset_t usr1, old;
	unsigned long long mask = 0;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &usr1, &old), 0);
	ck_assert_int_eq(pl_evidence_signal_pending(getpid(), SIGUSR1, NULL), 0);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	ck_assert_int_eq(pl_evidence_signal_pending(getpid(), SIGUSR1, &mask), 1);
	ck_assert(mask & (1ULL << (SIGUSR1 - 1)));
	ck_assert_int_eq(pl_evidence_signal_pending(getpid(), SIGUSR2, NULL), 0);
	signal(SIGUSR1, SIG_IGN); /* discards the pending one */
	ck_assert_int_eq(pl_evidence_signal_pending(getpid(), SIGUSR1, NULL), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = 0;
	ck_assert_int_eq(pl_evidence_signal_pending(getpid(), 0, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_evidence_receives_a_whole_report)
{
	int fds[2];
	long sent[2] = { 42, -7 }, got[2] = { 0, 0 };

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], sent, sizeof(sent)), (int)sizeof(sent));
	ck_assert_int_eq(pl_evidence_receive(fds[0], got, sizeof(got), 1000), 0);
	ck_assert(memcmp(sent, got, sizeof(got)) == 0);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_evidence_receive_times_out)
{
	int fds[2];
	char byte;

	ck_assert_int_eq(pipe(fds), 0);
	errno = 0;
	ck_assert_int_eq(pl_evidence_receive(fds[0], &byte, 1, 10), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* A sender that is gone: end-of-file, and half a report is no report. */
START_TEST(test_evidence_receive_sees_the_sender_gone)
{
	int fds[2];
	char two[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	close(fds[1]);
	errno = 0;
	ck_assert_int_eq(pl_evidence_receive(fds[0], two, 2, 1000), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(pl_evidence_receive(fds[0], two, 1, 1000), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(fds[0]);
}
END_TEST

static Suite *
evidence_suite(void)
{
	Suite *s = suite_create("evidence");
	TCase *proc = tcase_create("proc");
	TCase *report = tcase_create("report");

	tcase_add_test(proc, test_evidence_counts_zombie_children);
	tcase_add_test(proc, test_evidence_reads_one_pending_bit);
	tcase_add_test(report, test_evidence_receives_a_whole_report);
	tcase_add_test(report, test_evidence_receive_times_out);
	tcase_add_test(report, test_evidence_receive_sees_the_sender_gone);
	suite_add_tcase(s, proc);
	suite_add_tcase(s, report);
	return s;
}

PL_CHECK_MAIN(evidence_suite)
