/* check_child.c - tracked children (lib/pl_child.c). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "check_main.h"
#include "pl_child.h"
#include "pl_procfs.h"

#define DEADLINE_MS 5000

static void
teardown(void)
{
	pl_children_kill_and_reap();
	pl_children_set_max(PL_CHILDREN_MAX_DEFAULT);
}

START_TEST(test_child_fork_returns_like_fork)
{
	int status;
	pid_t pid = pl_fork("worker", 0);

	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(pl_is_child() && strcmp(pl_role(), "worker") == 0 ? 7 : 1);
	ck_assert(!pl_is_child());
	ck_assert_str_eq(pl_role(), "main");
	ck_assert_int_eq(pl_children_live(), 1);
	ck_assert_str_eq(pl_child_role(pid), "worker");
	ck_assert_int_eq(pl_child_wait(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 7);
	ck_assert_int_eq(pl_children_live(), 0);
	ck_assert_ptr_null(pl_child_role(pid));
}
END_TEST

/* A handler the parent set must not run in the child: Ctrl-C must kill it. */
static void
ignore(int sig)
{
	(void)sig;
}

START_TEST(test_child_gets_default_signals_and_deathsig)
{
	struct sigaction sa = { .sa_handler = ignore }, seen;
	int status;
	pid_t pid;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	pid = pl_fork("child", 0);
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int bad = 0;
		sigaction(SIGINT, NULL, &seen);
		bad |= seen.sa_handler != SIG_DFL;
#ifdef HAVE_SYS_PRCTL_H
		int deathsig = 0;
		prctl(PR_GET_PDEATHSIG, &deathsig);
		bad |= (deathsig != SIGKILL) << 1;
#endif
		_exit(bad);
	}
	ck_assert_int_eq(pl_child_wait(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* SIGKILL of a parent takes its pl_fork()ed child with it within a second. */
START_TEST(test_child_dies_with_its_parent)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	struct pl_proc p;
	int fds[2], status;
	pid_t middle, grandchild;

	/* We adopt the orphan, so we can reap it and see how it died. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(fds), 0);
	middle = fork();
	ck_assert_int_ne(middle, -1);
	if (middle == 0) {
		pid_t kid = pl_fork("grandchild", 0);
		if (kid == 0) {
			for (;;)
				pause();
		}
		if (write(fds[1], &kid, sizeof(kid)) != sizeof(kid))
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(fds[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	ck_assert_int_eq(pl_procfs_wait_state(grandchild, "S", DEADLINE_MS, &p), 0);
	ck_assert_int_eq(p.ppid, middle);

	kill(middle, SIGKILL);
	ck_assert_int_eq(waitpid(middle, &status, 0), middle);
	/* Within a second, the grandchild is dead (a zombie we now own). */
	ck_assert_int_eq(pl_procfs_wait_state(grandchild, "ZX", 1000, &p), 0);
	ck_assert_int_eq(waitpid(grandchild, &status, 0), grandchild);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
	close(fds[0]);
	close(fds[1]);
#endif
}
END_TEST

START_TEST(test_child_cap_stops_a_fork_bomb)
{
	pid_t a, b;

	ck_assert_int_eq(pl_children_set_max(2), 0);
	ck_assert_int_eq(pl_children_get_max(), 2);
	for (int i = 0; i < 2; i++) {
		pid_t pid = pl_fork("sleeper", 0);
		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			pause();
			_exit(0);
		}
		i == 0 ? (a = pid) : (b = pid);
	}
	errno = 0;
	ck_assert_int_eq(pl_fork("one-too-many", 0), -1);
	ck_assert_int_eq(errno, EAGAIN);

	kill(a, SIGKILL);
	ck_assert_int_eq(pl_child_wait(a, NULL, 0), a);
	pid_t c = pl_fork("room-again", 0);
	ck_assert_int_ne(c, -1);
	if (c == 0)
		_exit(0);
	ck_assert_int_eq(pl_children_kill_and_reap(), 2);
	ck_assert_int_eq(pl_children_live(), 0);
	ck_assert_int_eq(kill(b, 0), -1); /* reaped: no such process */
	ck_assert_int_eq(pl_children_set_max(0), -1);
	ck_assert_int_eq(pl_children_set_max(5000), -1);
}
END_TEST

START_TEST(test_child_channel_tell_hold_release)
{
	struct pl_proc p;
	int value = 0;
	pid_t pid = pl_fork("talker", PL_FORK_CHANNEL);

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int answer = 42;
		pl_child_tell(&answer, sizeof(answer));
		pl_child_hold();
		_exit(5);
	}
	ck_assert_int_eq(pl_child_hear(pid, &value, sizeof(value), DEADLINE_MS), 0);
	ck_assert_int_eq(value, 42);
	/* Held: it sleeps until released. */
	ck_assert_int_eq(pl_procfs_wait_state(pid, "S", DEADLINE_MS, &p), 0);
	ck_assert_int_eq(pl_child_release(pid), 0);
	int status;
	ck_assert_int_eq(pl_child_wait(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 5);
	ck_assert_int_eq(pl_child_release(pid), -1); /* forgotten once reaped */
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

START_TEST(test_child_hear_times_out_or_sees_eof)
{
	int value;
	pid_t quiet = pl_fork("quiet", PL_FORK_CHANNEL), gone;

	if (quiet == 0) {
		pl_child_hold();
		_exit(0);
	}
	errno = 0;
	ck_assert_int_eq(pl_child_hear(quiet, &value, sizeof(value), 50), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);

	gone = pl_fork("gone", PL_FORK_CHANNEL);
	if (gone == 0)
		_exit(0);
	errno = 0;
	ck_assert_int_eq(pl_child_hear(gone, &value, sizeof(value), DEADLINE_MS), -1);
	ck_assert_int_eq(errno, EPIPE);

	/* Without a channel there is nothing to hear. */
	pid_t plain = pl_fork("plain", 0);
	if (plain == 0)
		_exit(0);
	ck_assert_int_eq(pl_child_hear(plain, &value, sizeof(value), 10), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(pl_children_kill_and_reap(), 3);
}
END_TEST

START_TEST(test_child_wait_keeps_stopped_children)
{
	int status;
	pid_t pid = pl_fork("stoppable", 0);

	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	ck_assert_int_eq(pl_child_wait(pid, &status, WUNTRACED), pid);
	ck_assert(WIFSTOPPED(status));
	ck_assert_int_eq(pl_children_live(), 1); /* stopped is not gone */
	ck_assert_int_eq(pl_child_wait(pid, &status, WNOHANG), 0);
	kill(pid, SIGKILL);
	ck_assert_int_eq(pl_child_wait(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(pl_children_live(), 0);
}
END_TEST

/* With SIGCHLD ignored the kernel reaps: waiting fails with ECHILD, and
 * the child must not stay on the books as if it still lived. */
START_TEST(test_child_reaped_by_kernel_is_forgotten)
{
	struct pl_proc p;
	pid_t pid;

	signal(SIGCHLD, SIG_IGN);
	pid = pl_fork("auto-reaped", 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(pl_procfs_wait_state(pid, "", 5000, &p), PL_PROCFS_GONE);
	errno = 0;
	ck_assert_int_eq(pl_child_wait(pid, NULL, 0), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert_int_eq(pl_children_live(), 0);
	signal(SIGCHLD, SIG_DFL);
}
END_TEST

/* pl_child_signal signals our own children only. Any other PID - a
 * process we did not pl_fork(), a child already reaped, 0 or -1, which
 * kill(2) would take for whole groups - is refused, and gets no signal. */
START_TEST(test_child_signal_refuses_a_pid_not_ours)
{
	int status;
	pid_t stranger, ours;

	stranger = fork(); /* a child, but not one pl_fork() made */
	ck_assert_int_ne(stranger, -1);
	if (stranger == 0) {
		pause();
		_exit(0);
	}
	errno = 0;
	ck_assert_int_eq(pl_child_signal(stranger, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(waitpid(stranger, &status, WNOHANG), 0); /* alive: nothing sent */
	kill(stranger, SIGKILL);
	ck_assert_int_eq(waitpid(stranger, &status, 0), stranger);

	ck_assert_int_eq(pl_child_signal(1, 0), -1);
	ck_assert_int_eq(pl_child_signal(0, 0), -1);
	ck_assert_int_eq(pl_child_signal(-1, 0), -1);

	ours = pl_fork("victim", 0);
	ck_assert_int_ne(ours, -1);
	if (ours == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(pl_child_signal(ours, SIGKILL), 0);
	ck_assert_int_eq(pl_child_wait(ours, &status, 0), ours);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	errno = 0;
	ck_assert_int_eq(pl_child_signal(ours, SIGKILL), -1); /* reaped: its PID is free */
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* A zombie keeps its PID until we reap it: still ours to signal (which
 * does nothing to it). A child reaped behind the table's back, by a plain
 * waitpid(), has given its PID up: refused, though the table lists it. */
START_TEST(test_child_signal_zombie_yes_reaped_elsewhere_no)
{
	struct pl_proc p;
	int status;
	pid_t zombie, reaped;

	zombie = pl_fork("zombie", 0);
	ck_assert_int_ne(zombie, -1);
	if (zombie == 0)
		_exit(5);
	ck_assert_int_eq(pl_procfs_wait_state(zombie, "Z", DEADLINE_MS, &p), 0);
	ck_assert_int_eq(pl_child_signal(zombie, SIGKILL), 0);
	ck_assert_int_eq(pl_child_wait(zombie, &status, 0), zombie);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 5);

	reaped = pl_fork("reaped", 0);
	ck_assert_int_ne(reaped, -1);
	if (reaped == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(reaped, &status, 0), reaped);
	ck_assert_ptr_nonnull(pl_child_role(reaped));
	errno = 0;
	ck_assert_int_eq(pl_child_signal(reaped, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* Real wait statuses, from real children. */
static int
status_of(int how)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (how == 0)
			_exit(3);
		signal(how, SIG_DFL); /* Check's own SIGTERM handler signals the group */
		raise(how);
		_exit(99);
	}
	waitpid(pid, &status, 0);
	return status;
}

START_TEST(test_status_describe_in_words)
{
	char buf[96];

	pl_status_describe(status_of(0), buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited with status 3");
	pl_status_describe(status_of(SIGKILL), buf, sizeof(buf));
	ck_assert_str_eq(buf, "killed by SIGKILL (signal 9)");
	pl_status_describe(status_of(SIGTERM), buf, sizeof(buf));
	ck_assert_str_eq(buf, "killed by SIGTERM (signal 15)");
#ifdef __linux__
	/* Linux encodings (wait(2)): a core flag, a stop, a continue. */
	pl_status_describe(0x80 | SIGSEGV, buf, sizeof(buf));
	ck_assert_str_eq(buf, "killed by SIGSEGV (signal 11), core dumped");
	pl_status_describe((SIGSTOP << 8) | 0x7f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "stopped by SIGSTOP (signal 19)");
	pl_status_describe(0xffff, buf, sizeof(buf));
	ck_assert_str_eq(buf, "continued");
#endif
	ck_assert_int_eq(pl_status_describe(0, buf, 4), -1);
	ck_assert_int_eq(errno, ENOBUFS);
}
END_TEST

START_TEST(test_signal_names)
{
	ck_assert_str_eq(pl_signal_name(SIGKILL), "SIGKILL");
	ck_assert_str_eq(pl_signal_name(SIGCHLD), "SIGCHLD");
	ck_assert_str_eq(pl_signal_name(SIGHUP), "SIGHUP");
	ck_assert_str_eq(pl_signal_name(0), "signal 0");
	ck_assert_str_eq(pl_signal_name(200), "signal 200");
}
END_TEST

static Suite *
child_suite(void)
{
	Suite *s = suite_create("child");
	TCase *fork_case = tcase_create("fork");
	TCase *channel = tcase_create("channel");
	TCase *status = tcase_create("status");

	tcase_add_checked_fixture(fork_case, NULL, teardown);
	tcase_add_checked_fixture(channel, NULL, teardown);
	tcase_add_test(fork_case, test_child_fork_returns_like_fork);
	tcase_add_test(fork_case, test_child_gets_default_signals_and_deathsig);
	tcase_add_test(fork_case, test_child_dies_with_its_parent);
	tcase_add_test(fork_case, test_child_cap_stops_a_fork_bomb);
	tcase_add_test(fork_case, test_child_wait_keeps_stopped_children);
	tcase_add_test(fork_case, test_child_reaped_by_kernel_is_forgotten);
	tcase_add_test(fork_case, test_child_signal_refuses_a_pid_not_ours);
	tcase_add_test(fork_case, test_child_signal_zombie_yes_reaped_elsewhere_no);
	tcase_add_test(channel, test_child_channel_tell_hold_release);
	tcase_add_test(channel, test_child_hear_times_out_or_sees_eof);
	tcase_add_test(status, test_status_describe_in_words);
	tcase_add_test(status, test_signal_names);
	tcase_set_timeout(fork_case, 20);
	tcase_set_timeout(channel, 20);
	suite_add_tcase(s, fork_case);
	suite_add_tcase(s, channel);
	suite_add_tcase(s, status);
	return s;
}

PL_CHECK_MAIN(child_suite)
