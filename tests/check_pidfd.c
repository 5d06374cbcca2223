/* check_pidfd.c - signalling a process only while it surely is the one
 * meant (lib/pl_pidfd.c), on real children of this test. */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_pidfd.h"
#include "pl_procfs.h"

#define DEADLINE_MS 5000

/* A child that waits for a signal; *START is its start time. Check's
 * handler for SIGTERM passes the signal on to the whole process group:
 * the child gets the default action back while SIGTERM is blocked, so
 * that a SIGTERM sent at once finds it ready. */
static pid_t
sleeping_child(unsigned long long *start)
{
	sigset_t term, old;
	struct pl_proc p;
	pid_t pid;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &term, &old), 0);
	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	ck_assert_int_ne(pid, -1);
	ck_assert_int_eq(pl_procfs_read(pid, &p), 0);
	*start = p.start;
	return pid;
}

/* PID has not been killed: it is still running, or asleep. */
static bool
still_running(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == 0;
}

static void
reap_killed(pid_t pid, int sig)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), sig);
}

START_TEST(test_pidfd_live_child_is_signalled)
{
	unsigned long long start;
	pid_t child = sleeping_child(&start);

	ck_assert_int_eq(pl_pidfd_signal_checked(child, start, SIGTERM), 0);
	reap_killed(child, SIGTERM);
}
END_TEST

/* Reaped, its PID names nobody (or, by now, somebody else): nothing is
 * sent, and the caller learns ESRCH. */
START_TEST(test_pidfd_reaped_child_is_gone)
{
	struct pl_proc p;
	int status;
	pid_t child = fork();

	ck_assert_int_ne(child, -1);
	if (child == 0)
		_exit(7);
	/* A zombie keeps its stat, start time included, until it is reaped. */
	ck_assert_int_eq(pl_procfs_wait_state(child, "Z", DEADLINE_MS, &p), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	errno = 0;
	ck_assert_int_eq(pl_pidfd_open_checked(child, p.start), -1);
	ck_assert_int_eq(errno, ESRCH);
	errno = 0;
	ck_assert_int_eq(pl_pidfd_signal_checked(child, p.start, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* Another start time than the caller saw: another process at the PID.
 * It is refused, and nothing reaches the process that is there. */
START_TEST(test_pidfd_wrong_start_time_is_refused)
{
	unsigned long long start;
	pid_t child = sleeping_child(&start);

	errno = 0;
	ck_assert_int_eq(pl_pidfd_open_checked(child, start + 1), -1);
	ck_assert_int_eq(errno, ESRCH);
	errno = 0;
	ck_assert_int_eq(pl_pidfd_signal_checked(child, start + 1, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert(still_running(child));
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	reap_killed(child, SIGKILL);
}
END_TEST

/* The descriptor stands for the process, not for its PID: once that is
 * reaped, a signal through it reaches nobody. (Where the kernel has no
 * pidfds this case has nothing to test.) */
START_TEST(test_pidfd_descriptor_outlives_the_pid)
{
	unsigned long long start;
	pid_t child = sleeping_child(&start);
	int fd = pl_pidfd_open_checked(child, start);

	if (fd == -1 && errno == ENOSYS) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return;
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_pidfd_send(fd, SIGKILL), 0);
	reap_killed(child, SIGKILL);
	errno = 0;
	ck_assert_int_eq(pl_pidfd_send(fd, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(close(fd), 0);
}
END_TEST

START_TEST(test_pidfd_rejects_group_numbers)
{
	errno = 0;
	ck_assert_int_eq(pl_pidfd_open_checked(0, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(pl_pidfd_signal_checked(-1, 1, SIGKILL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* A child of ours, running or a zombie, gets a pidfd without a start
 * time; the check leaves a zombie unreaped. A process that is not our
 * child (our parent) is refused, and so is a child once reaped. */
START_TEST(test_pidfd_child_only)
{
	unsigned long long start;
	struct pl_proc p;
	int fd, status;
	pid_t child = sleeping_child(&start), zombie;

	ck_assert_int_ge(fd = pl_pidfd_open_child(child), 0);
	ck_assert_int_eq(pl_pidfd_send(fd, SIGKILL), 0);
	close(fd);
	reap_killed(child, SIGKILL);

	zombie = fork();
	ck_assert_int_ne(zombie, -1);
	if (zombie == 0)
		_exit(7);
	ck_assert_int_eq(pl_procfs_wait_state(zombie, "Z", DEADLINE_MS, &p), 0);
	ck_assert_int_ge(fd = pl_pidfd_open_child(zombie), 0);
	close(fd);
	ck_assert_int_eq(waitpid(zombie, &status, 0), zombie); /* still ours to reap */
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	errno = 0;
	ck_assert_int_eq(pl_pidfd_open_child(zombie), -1);
	ck_assert_int_eq(errno, ESRCH);

	errno = 0;
	ck_assert_int_eq(pl_pidfd_open_child(getppid()), -1);
	ck_assert_int_eq(errno, ESRCH);
	errno = 0;
	ck_assert_int_eq(pl_pidfd_open_child(0), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* Where the kernel has no pidfds (before 5.3), a seccomp filter that makes
 * pidfd_open(2) fail with ENOSYS stands in for it: the checked kill still
 * signals the right child, and refuses a wrong start time. In a process
 * of its own, as a filter cannot be taken back; it says how it went by
 * its exit status: 0, or the number of the step that failed. */
static int
without_pidfds(void)
{
#ifndef SYS_pidfd_open
	return 0; /* a C library too old to name it: nothing to filter */
#else
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog filter = { sizeof(code) / sizeof(code[0]), code };
	unsigned long long start;
	pid_t child;
	int status;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == -1)
		return 1;
	if (pl_pidfd_open_checked(getpid(), 0) != -1 || errno != ENOSYS)
		return 2;
	child = sleeping_child(&start);
	if (pl_pidfd_signal_checked(child, start + 1, SIGTERM) != -1 || errno != ESRCH)
		return 3;
	if (pl_pidfd_signal_checked(child, start, SIGTERM) != 0)
		return 4;
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGTERM)
		return 5;
	if (pl_pidfd_signal_checked(child, start, SIGTERM) != -1 || errno != ESRCH)
		return 6;
	return 0;
#endif
}

START_TEST(test_pidfd_without_pidfds_falls_back_to_a_checked_kill)
{
	int status;
	pid_t helper = fork();

	ck_assert_int_ne(helper, -1);
	if (helper == 0)
		_exit(without_pidfds());
	ck_assert_int_eq(waitpid(helper, &status, 0), helper);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *
pidfd_suite(void)
{
	Suite *s = suite_create("pidfd");
	TCase *tc = tcase_create("signal");

	tcase_add_test(tc, test_pidfd_live_child_is_signalled);
	tcase_add_test(tc, test_pidfd_reaped_child_is_gone);
	tcase_add_test(tc, test_pidfd_wrong_start_time_is_refused);
	tcase_add_test(tc, test_pidfd_descriptor_outlives_the_pid);
	tcase_add_test(tc, test_pidfd_rejects_group_numbers);
	tcase_add_test(tc, test_pidfd_child_only);
	tcase_add_test(tc, test_pidfd_without_pidfds_falls_back_to_a_checked_kill);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(pidfd_suite)
