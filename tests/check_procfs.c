/* check_procfs.c - reading process state from /proc (lib/pl_procfs.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_procfs.h"

#define DEADLINE_MS 5000

/* A real line from a Linux 6.x /proc/PID/stat, with the command in $1. */
static void
make_stat(char *buf, size_t size, const char *comm, char state)
{
	snprintf(buf, size,
	         "4242 (%s) %c 100 4242 4242 34816 4242 4194304 120 0 0 0 "
	         "17 3 0 0 20 0 2 0 987654 10485760 321 18446744073709551615 "
	         "1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0",
	         comm, state);
}

START_TEST(test_procfs_parses_every_field)
{
	struct pl_proc p;
	char line[512];

	make_stat(line, sizeof(line), "bash", 'S');
	ck_assert_int_eq(pl_procfs_parse_stat(line, &p), 0);
	ck_assert_int_eq(p.pid, 4242);
	ck_assert_str_eq(p.comm, "bash");
	ck_assert_int_eq(p.state, 'S');
	ck_assert_int_eq(p.ppid, 100);
	ck_assert_int_eq(p.pgid, 4242);
	ck_assert_int_eq(p.sid, 4242);
	ck_assert_uint_eq(p.utime, 17);
	ck_assert_uint_eq(p.stime, 3);
	ck_assert_int_eq(p.threads, 2);
	ck_assert_uint_eq(p.start, 987654);
	ck_assert_int_eq(p.rss_pages, 321);
}
END_TEST

/* comm is what the program chose (prctl PR_SET_NAME): it may hold spaces
 * and parentheses, so only the LAST ')' ends it. */
START_TEST(test_procfs_comm_ends_at_last_paren)
{
	static const char *const names[] = { "a b", "x) (y", ")", "((", ") S 1 2 3 (" };
	struct pl_proc p;
	char line[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		make_stat(line, sizeof(line), names[i], 'R');
		ck_assert_int_eq(pl_procfs_parse_stat(line, &p), 0);
		ck_assert_str_eq(p.comm, names[i]);
		ck_assert_int_eq(p.state, 'R');
		ck_assert_int_eq(p.ppid, 100);
	}
}
END_TEST

START_TEST(test_procfs_rejects_broken_lines)
{
	static const char *const broken[] = {
		"", "4242", "4242 bash S 1 2 3", "4242 (bash", "4242 (bash) S 1 2",
		"4242 (bash) ? 100 4242 4242 34816 4242 4194304 120 0 0 0 17 3 0 0 20 0 2 0 9 1 3",
		"(bash) S 100 4242 4242 34816 4242 4194304 120 0 0 0 17 3 0 0 20 0 2 0 9 1 3",
	};
	struct pl_proc p;

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		errno = 0;
		ck_assert_msg(pl_procfs_parse_stat(broken[i], &p) == -1, "accepted '%s'", broken[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_procfs_state_names)
{
	ck_assert_str_eq(pl_procfs_state_name('R'), "running");
	ck_assert_str_eq(pl_procfs_state_name('S'), "sleeping");
	ck_assert_str_eq(pl_procfs_state_name('D'), "disk wait");
	ck_assert_str_eq(pl_procfs_state_name('T'), "stopped");
	ck_assert_str_eq(pl_procfs_state_name('t'), "traced");
	ck_assert_str_eq(pl_procfs_state_name('Z'), "zombie");
	ck_assert_str_eq(pl_procfs_state_name('X'), "dead");
	ck_assert_str_eq(pl_procfs_state_name('I'), "idle");
	ck_assert_str_eq(pl_procfs_state_name('?'), "unknown");
}
END_TEST

START_TEST(test_procfs_reads_itself_running)
{
	struct pl_proc p;

	ck_assert_int_eq(pl_procfs_read(getpid(), &p), 0);
	ck_assert_int_eq(p.pid, getpid());
	ck_assert_int_eq(p.ppid, getppid());
	ck_assert_int_eq(p.state, 'R'); /* it is running: it is reading its own stat */
	ck_assert_int_eq(p.pgid, getpgrp());
	ck_assert_int_ge(p.threads, 1);
	ck_assert_str_eq(p.wchan, "");
}
END_TEST

/* A child blocked on a pipe sleeps (S) in the kernel's pipe_read. */
START_TEST(test_procfs_sees_sleeping_stopped_and_zombie)
{
	struct pl_proc p;
	int fds[2], status;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(fds[1]);
		_exit(read(fds[0], &c, 1) == 1 ? 0 : 1);
	}
	close(fds[0]);

	/* State S can show a moment before wchan does (the task is on its way
	 * to sleep), so wait for both. anon_pipe_read on 6.x. */
	ck_assert_int_eq(pl_procfs_wait_wchan(pid, "pipe_read", DEADLINE_MS, &p), 0);
	ck_assert_int_eq(p.state, 'S');
	ck_assert_int_eq(p.ppid, getpid());

	kill(pid, SIGSTOP);
	ck_assert_int_eq(pl_procfs_wait_state(pid, "T", DEADLINE_MS, &p), 0);
	kill(pid, SIGCONT);
	ck_assert_int_eq(pl_procfs_wait_state(pid, "S", DEADLINE_MS, &p), 0);

	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	close(fds[1]);
	ck_assert_int_eq(pl_procfs_wait_state(pid, "Z", DEADLINE_MS, &p), 0);
	ck_assert_str_eq(p.wchan, "");

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Reaped: the PID is gone, and that is a result, not an error. */
	ck_assert_int_eq(pl_procfs_read(pid, &p), PL_PROCFS_GONE);
	ck_assert_int_eq(pl_procfs_wait_state(pid, "R", 10, &p), PL_PROCFS_GONE);
}
END_TEST

START_TEST(test_procfs_wait_state_times_out)
{
	struct pl_proc p;

	errno = 0;
	ck_assert_int_eq(pl_procfs_wait_state(getpid(), "Z", 20, &p), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(p.state, 'R');
}
END_TEST

START_TEST(test_procfs_lists_children_and_exe)
{
	pid_t kids[2], listed[8];
	char exe[4096];
	int count, found = 0;

	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		ck_assert_int_ne(kids[i], -1);
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	count = pl_procfs_children(getpid(), listed, 8);
	for (int i = 0; i < count; i++)
		found += listed[i] == kids[0] || listed[i] == kids[1];
	ck_assert_int_eq(count, 2);
	ck_assert_int_eq(found, 2);
	ck_assert_int_eq(pl_procfs_children(getpid(), listed, 1), 2); /* counts past MAX */

	ck_assert_int_eq(pl_procfs_exe(getpid(), exe, sizeof(exe)), 0);
	ck_assert_ptr_nonnull(strstr(exe, "check_procfs"));

	for (int i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		ck_assert_int_eq(waitpid(kids[i], NULL, 0), kids[i]);
	}
	ck_assert_int_eq(pl_procfs_children(getpid(), listed, 8), 0);
}
END_TEST

/* The "key: value" files, descriptors and maps of a live child. */
START_TEST(test_procfs_fields_fds_and_maps)
{
	struct pl_fd fds[64], one;
	unsigned long long mask;
	char value[64];
	int p2c[2], c2p[2], n, pipes = 0;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p2c), 0);
	ck_assert_int_eq(pipe(c2p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		signal(SIGUSR2, SIG_IGN);
		close(p2c[1]);
		close(c2p[0]);
		ck_assert_int_eq(write(c2p[1], "r", 1), 1); /* ready */
		_exit(read(p2c[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p2c[0]);
	close(c2p[1]);
	ck_assert_int_eq(read(c2p[0], &c, 1), 1);
	ck_assert_int_eq(pl_procfs_wait_wchan(pid, "pipe_read", DEADLINE_MS, NULL), 0);

	ck_assert_int_eq(pl_procfs_field(pid, "status", "State", value, sizeof(value)), 0);
	ck_assert_str_eq(value, "S (sleeping)");
	ck_assert_int_eq(pl_procfs_number(pid, "status", "SigIgn", 16, &mask), 0);
	ck_assert(PL_SIGMASK_HAS(mask, SIGUSR2));
	ck_assert(!PL_SIGMASK_HAS(mask, SIGUSR1));
	ck_assert_int_eq(pl_procfs_field(pid, "status", "NoSuchKey", value, sizeof(value)), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* fd 0-2 inherited, plus one read end and one write end of a pipe. */
	n = pl_procfs_fds(pid, fds, 64);
	ck_assert_int_ge(n, 2);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			ck_assert_int_lt(fds[i - 1].fd, fds[i].fd); /* sorted */
		if (strcmp(fds[i].kind, "pipe") == 0 && fds[i].fd == p2c[0]) {
			ck_assert_int_eq(fds[i].access, O_RDONLY);
			pipes++;
		}
		if (strcmp(fds[i].kind, "pipe") == 0 && fds[i].fd == c2p[1]) {
			ck_assert_int_eq(fds[i].access, O_WRONLY);
			pipes++;
		}
	}
	ck_assert_int_eq(pipes, 2);
	ck_assert_int_eq(pl_procfs_fd(pid, p2c[0], &one), 0);
	ck_assert_int_gt(one.inode, 0);
	ck_assert_str_eq(pl_procfs_access_name(one.access), "read-only");
	ck_assert_int_eq(pl_procfs_fd(pid, 999, &one), PL_PROCFS_GONE);
	ck_assert_int_ge(pl_procfs_count_maps(pid, "check_procfs"), 1);

	ck_assert_int_eq(write(p2c[1], "x", 1), 1);
	ck_assert_int_eq(pl_procfs_wait_state(pid, "Z", DEADLINE_MS, NULL), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(pl_procfs_wait_gone(pid, DEADLINE_MS), 0);
	ck_assert_int_eq(pl_procfs_fds(pid, fds, 64), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(pl_procfs_field(pid, "status", "State", value, sizeof(value)),
	                 PL_PROCFS_GONE);
	close(p2c[1]);
	close(c2p[0]);
}
END_TEST

START_TEST(test_procfs_wait_gone_times_out_on_the_living)
{
	errno = 0;
	ck_assert_int_eq(pl_procfs_wait_gone(getpid(), 20), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
}
END_TEST

static Suite *
procfs_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *parse = tcase_create("parse");
	TCase *live = tcase_create("live");

	tcase_add_test(parse, test_procfs_parses_every_field);
	tcase_add_test(parse, test_procfs_comm_ends_at_last_paren);
	tcase_add_test(parse, test_procfs_rejects_broken_lines);
	tcase_add_test(parse, test_procfs_state_names);
	tcase_add_test(live, test_procfs_reads_itself_running);
	tcase_add_test(live, test_procfs_sees_sleeping_stopped_and_zombie);
	tcase_add_test(live, test_procfs_wait_state_times_out);
	tcase_add_test(live, test_procfs_lists_children_and_exe);
	tcase_add_test(live, test_procfs_fields_fds_and_maps);
	tcase_add_test(live, test_procfs_wait_gone_times_out_on_the_living);
	tcase_set_timeout(live, 20);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, live);
	return s;
}

PL_CHECK_MAIN(procfs_suite)
