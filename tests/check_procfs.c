/* check_procfs.c - reading process state from /proc (lib/pl_procfs.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_procfs.h"

#define DEADLINE_MS 5000
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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
	ck_assert_int_eq(p.priority, 20);
	ck_assert_int_eq(p.nice, 0);
	ck_assert_int_eq(p.processor, 1);
	ck_assert_int_eq(p.rt_priority, 0);
	ck_assert_int_eq(p.policy, 0);
	/* A SCHED_FIFO task of priority 10, boosted to 30 by a waiter on its
	 * PI mutex: field 18 shows the boost, field 40 what it was given. */
	ck_assert_int_eq(pl_procfs_parse_stat("7 (holder) R 1 1 1 0 -1 0 0 0 0 0 5 0 0 0 -31 0 3 0 "
	                                      "9 10 2 0 0 0 0 0 0 0 0 0 0 0 0 0 -1 0 10 1 0",
	                                      &p),
	                 0);
	ck_assert_int_eq(p.priority, -31);
	ck_assert_int_eq(p.processor, 0);
	ck_assert_int_eq(p.rt_priority, 10);
	ck_assert_int_eq(p.policy, 1);
	/* A line that ends at field 39 has no policy. */
	ck_assert_int_eq(pl_procfs_parse_stat("7 (x) R 1 1 1 0 -1 0 0 0 0 0 5 0 0 0 20 0 3 0 "
	                                      "9 10 2 0 0 0 0 0 0 0 0 0 0 0 0 0 17 1",
	                                      &p),
	                 0);
	ck_assert_int_eq(p.processor, 1);
	ck_assert_int_eq(p.rt_priority, 0);
	ck_assert_int_eq(p.policy, -1);
	/* A line that stops at field 24 parses, with no processor. */
	ck_assert_int_eq(pl_procfs_parse_stat("1 (x) S 0 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 5 10 2",
	                                      &p),
	                 0);
	ck_assert_int_eq(p.processor, -1);
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

/* Found by fuzz/fuzz_stat: numbers too big for their field were cast
 * (a 20-digit PID became -1) or, through sscanf("%d"), undefined. */
START_TEST(test_procfs_stat_rejects_numbers_that_do_not_fit)
{
	static const char *const broken[] = {
		"99999999999999999999 (x) S 1 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 5 10 2",
		"4294967297 (x) S 1 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 5 10 2",
		"0 (x) S 1 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 5 10 2",
		"1 (x) S 4294967297 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 5 10 2",
		"1 (x) S 1 1 1 0 -1 0 0 0 0 0 99999999999999999999999 0 0 0 20 0 1 0 5 10 2",
		"1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 5 10 2x",
		"1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 -x 0 5 10 2",
	};
	struct pl_proc p;
	char line[512], biggest[512];

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		errno = 0;
		ck_assert_msg(pl_procfs_parse_stat(broken[i], &p) == -1, "accepted '%s'", broken[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	/* The biggest PID there can be still parses, and so does a field 39
	 * too big to be a CPU: that one only leaves the CPU unknown. */
	make_stat(line, sizeof(line), "x", 'S');
	snprintf(biggest, sizeof(biggest), "2147483647%s", strchr(line, ' '));
	ck_assert_int_eq(pl_procfs_parse_stat(biggest, &p), 0);
	ck_assert_int_eq(p.pid, 2147483647);
	ck_assert_int_eq(p.processor, 1);
	ck_assert_int_eq(pl_procfs_parse_stat("7 (x) S 1 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 5 10 2 "
	                                      "0 0 0 0 0 0 0 0 0 0 0 0 0 0 99999999999",
	                                      &p),
	                 0);
	ck_assert_int_eq(p.processor, -1);
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

/* Found by fuzz/fuzz_stat: the parser took an 'i' that no kernel writes
 * and that has no name. Every letter it takes must have one. */
START_TEST(test_procfs_every_state_taken_has_a_name)
{
	struct pl_proc p;
	char line[512];
	int taken = 0;

	for (int c = 1; c < 256; c++) {
		make_stat(line, sizeof(line), "x", (char)c);
		if (pl_procfs_parse_stat(line, &p) == 0) {
			taken++;
			ck_assert_msg(strcmp(pl_procfs_state_name(p.state), "unknown") != 0,
			              "state '%c' is taken but has no name", c);
		}
	}
	ck_assert_int_ge(taken, 8); /* R S D T t Z X I at least */
}
END_TEST

/* The "key: value" parser under pl_procfs_field(), on text of our own. */
START_TEST(test_procfs_parse_field_on_text)
{
	static const char text[] = "Name:\tcat\nState:\tS (sleeping)  \n"
	                           "SigIgn:\t0000000000001000\nflags:\t02000001\n"
	                           "Stat:\tnot this one\nbad:\tx1";
	unsigned long long n;
	char value[64], tiny[4];

	ck_assert_int_eq(pl_procfs_parse_field(text, "State", value, sizeof(value)), 0);
	ck_assert_str_eq(value, "S (sleeping)");
	ck_assert_int_eq(pl_procfs_parse_field(text, "State", tiny, sizeof(tiny)), 0);
	ck_assert_str_eq(tiny, "S (");
	ck_assert_int_eq(pl_procfs_parse_number(text, "SigIgn", 16, &n), 0);
	ck_assert(PL_SIGMASK_HAS(n, 13)); /* SIGPIPE */
	ck_assert_int_eq(pl_procfs_parse_number(text, "flags", 8, &n), 0);
	ck_assert_uint_eq(n & O_ACCMODE, O_WRONLY);
	errno = 0;
	ck_assert_int_eq(pl_procfs_parse_field(text, "Sta", value, sizeof(value)), -1);
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_int_eq(pl_procfs_parse_number(text, "bad", 10, &n), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(pl_procfs_parse_field(text, "Name", value, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
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

/* eventfd, inotify, timerfd, signalfd, pidfd and epoll descriptors have no
 * file: their links read "anon_inode:[eventfd]", "anon_inode:inotify"...
 * (fs/anon_inodes.c). Each is an anon inode, named, never a "file". */
START_TEST(test_procfs_names_anon_inodes)
{
	static const char *const names[] = { "eventfd",  "inotify", "timerfd",
		                             "signalfd", "pidfd",   "eventpoll" };
	int fds[COUNT(names)];
	struct pl_fd one;
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	fds[0] = eventfd(0, EFD_CLOEXEC);
	fds[1] = inotify_init1(IN_CLOEXEC);
	fds[2] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	fds[3] = signalfd(-1, &usr1, SFD_CLOEXEC);
#ifdef SYS_pidfd_open
	fds[4] = (int)syscall(SYS_pidfd_open, getpid(), 0);
#else
	fds[4] = -1;
#endif
	fds[5] = epoll_create1(EPOLL_CLOEXEC);
	for (size_t i = 0; i < COUNT(names); i++) {
		if (fds[i] == -1 && i == 4 && errno == ENOSYS)
			continue; /* pidfd_open(2) came in Linux 5.3 */
		ck_assert_msg(fds[i] != -1, "%s: %s", names[i], strerror(errno));
		ck_assert_int_eq(pl_procfs_fd(getpid(), fds[i], &one), 0);
		ck_assert_msg(strcmp(one.kind, "anon_inode") == 0, "%s: kind %s (link %s)",
		              names[i], one.kind, one.target);
		ck_assert_str_eq(one.anon_name, names[i]);
		ck_assert_uint_eq(one.inode, 0);
		close(fds[i]);
	}
	/* A regular file stays a file, with no anon name. */
	fds[0] = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(pl_procfs_fd(getpid(), fds[0], &one), 0);
	ck_assert_str_eq(one.kind, "file");
	ck_assert_str_eq(one.anon_name, "");
	close(fds[0]);
}
END_TEST

/* A PID and a start time name one process; a PID alone does not, once
 * its process is reaped. A zombie has ended, though its PID is taken. */
START_TEST(test_procfs_same_process)
{
	unsigned long long mine, start;
	int status;
	pid_t pid;

	ck_assert_int_eq(pl_procfs_start(getpid(), &mine), 0);
	ck_assert_int_eq(pl_procfs_same_process(getpid(), mine), 1);
	ck_assert_int_eq(pl_procfs_same_process(getpid(), mine + 1), 0); /* a reused PID */
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(pl_procfs_wait_state(pid, "Z", DEADLINE_MS, NULL), 0);
	ck_assert_int_eq(pl_procfs_start(pid, &start), 0);
	ck_assert_int_eq(pl_procfs_same_process(pid, start), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(pl_procfs_wait_gone(pid, DEADLINE_MS), 0);
	ck_assert_int_eq(pl_procfs_same_process(pid, start), 0);
	ck_assert_int_eq(pl_procfs_start(pid, &start), PL_PROCFS_GONE);
	errno = 0;
	ck_assert_int_eq(pl_procfs_same_process(0, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_procfs_wait_gone_times_out_on_the_living)
{
	errno = 0;
	ck_assert_int_eq(pl_procfs_wait_gone(getpid(), 20), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
}
END_TEST

/* Lines of /proc/locks as Linux 6.x prints them (fs/locks.c,
 * lock_get_status), with the blanks it puts in. */
START_TEST(test_procfs_lock_holder)
{
	struct pl_lock_line l;

	ck_assert_int_eq(
	        pl_procfs_parse_lock("1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF\n", &l),
	        0);
	ck_assert_int_eq(l.id, 1);
	ck_assert(!l.waiting);
	ck_assert_int_eq(l.depth, 0);
	ck_assert_str_eq(l.kind, "POSIX");
	ck_assert_str_eq(l.access, "WRITE");
	ck_assert_int_eq(l.pid, 24603);
	ck_assert_uint_eq(l.major, 0xfe);
	ck_assert_uint_eq(l.minor, 0);
	ck_assert_uint_eq(l.inode, 10952850); /* decimal, not hex */
	ck_assert_int_eq(l.start, 0);
	ck_assert_int_eq(l.end, -1); /* EOF */
}
END_TEST

/* A blocked request: "->", indented one blank deeper for each request it
 * waits behind. The "->" is not part of the kind. */
START_TEST(test_procfs_lock_waiters_and_depth)
{
	struct pl_lock_line l;

	ck_assert_int_eq(
	        pl_procfs_parse_lock("7: -> POSIX  ADVISORY  WRITE 24653 fe:00:10952850 0 EOF", &l),
	        0);
	ck_assert_int_eq(l.id, 7);
	ck_assert(l.waiting);
	ck_assert_int_eq(l.depth, 1);
	ck_assert_str_eq(l.kind, "POSIX");
	ck_assert_str_eq(l.access, "WRITE");
	ck_assert_int_eq(l.pid, 24653);
	ck_assert_uint_eq(l.inode, 10952850);

	ck_assert_int_eq(
	        pl_procfs_parse_lock("7:  -> POSIX  ADVISORY  READ 24711 fe:00:10952850 5 9\n", &l),
	        0);
	ck_assert(l.waiting);
	ck_assert_int_eq(l.depth, 2);
	ck_assert_str_eq(l.kind, "POSIX");
	ck_assert_str_eq(l.access, "READ");
	ck_assert_int_eq(l.pid, 24711);
	ck_assert_int_eq(l.start, 5);
	ck_assert_int_eq(l.end, 9);
}
END_TEST

START_TEST(test_procfs_lock_flock_and_ofd)
{
	struct pl_lock_line l;

	ck_assert_int_eq(pl_procfs_parse_lock("12: FLOCK  ADVISORY  READ 300 00:2a:7001 0 EOF\n",
	                                      &l),
	                 0);
	ck_assert_int_eq(l.id, 12);
	ck_assert(!l.waiting);
	ck_assert_str_eq(l.kind, "FLOCK");
	ck_assert_str_eq(l.access, "READ");
	ck_assert_int_eq(l.pid, 300);
	ck_assert_uint_eq(l.major, 0);
	ck_assert_uint_eq(l.minor, 0x2a); /* hex: 42 */
	ck_assert_uint_eq(l.inode, 7001);
	ck_assert_int_eq(l.start, 0);
	ck_assert_int_eq(l.end, -1);

	/* An open file description owns an OFD lock, not a process: PID -1. */
	ck_assert_int_eq(pl_procfs_parse_lock("3: OFDLCK ADVISORY  WRITE -1 fe:01:123 100 199\n",
	                                      &l),
	                 0);
	ck_assert_str_eq(l.kind, "OFDLCK");
	ck_assert_str_eq(l.access, "WRITE");
	ck_assert_int_eq(l.pid, -1);
	ck_assert_uint_eq(l.major, 0xfe);
	ck_assert_uint_eq(l.minor, 1);
	ck_assert_uint_eq(l.inode, 123);
	ck_assert_int_eq(l.start, 100);
	ck_assert_int_eq(l.end, 199);
}
END_TEST

/* Numbers as big as they come: an NVMe disk (major 259 = 0x103), an
 * inode past LLONG_MAX (i_ino is unsigned), a range past 4 GiB. */
START_TEST(test_procfs_lock_big_numbers)
{
	struct pl_lock_line l;

	ck_assert_int_eq(pl_procfs_parse_lock("2147483647: POSIX  ADVISORY  READ 4194304 "
	                                      "103:02:18446744073709551615 4294967296 "
	                                      "9223372036854775806\n",
	                                      &l),
	                 0);
	ck_assert_int_eq(l.id, 2147483647);
	ck_assert_int_eq(l.pid, 4194304);
	ck_assert_uint_eq(l.major, 259);
	ck_assert_uint_eq(l.minor, 2);
	ck_assert_uint_eq(l.inode, 18446744073709551615ULL);
	ck_assert_int_eq(l.start, 4294967296LL);
	ck_assert_int_eq(l.end, 9223372036854775806LL);

	/* A lease breaker has no file: "<none>:0". */
	ck_assert_int_eq(pl_procfs_parse_lock("5: -> LEASE  BREAKER   READ 4321 <none>:0 0 EOF\n",
	                                      &l),
	                 0);
	ck_assert(l.waiting);
	ck_assert_str_eq(l.kind, "LEASE");
	ck_assert_int_eq(l.pid, 4321);
	ck_assert_uint_eq(l.major, 0);
	ck_assert_uint_eq(l.inode, 0);
	ck_assert_int_eq(l.end, -1);
}
END_TEST

START_TEST(test_procfs_lock_rejects_broken_lines)
{
	static const char *const broken[] = {
		"",
		"\n",
		"1:",
		"1: -> ",
		"POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF",      /* no ID */
		"x: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF",   /* ID not a number */
		"-1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF",  /* negative ID */
		"1 POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF",    /* no ':' */
		"99999999999: POSIX  ADVISORY  WRITE 1 fe:00:1 0 EOF",    /* ID too big */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0",       /* no end */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850",         /* no range */
		"1: POSIX  ADVISORY  WRITE 24603",                        /* no file */
		"1: POSIX  ADVISORY  WRITE pid fe:00:10952850 0 EOF",     /* PID not a number */
		"1: POSIX  ADVISORY  WRITE 99999999999 fe:00:1 0 EOF",    /* PID too big */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00 0 EOF",            /* no inode */
		"1: POSIX  ADVISORY  WRITE 24603 10952850 0 EOF",         /* no device */
		"1: POSIX  ADVISORY  WRITE 24603 zz:00:10952850 0 EOF",   /* device not hex */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:1095285a 0 EOF",   /* inode not decimal */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:-1 0 EOF",         /* negative inode */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOFX",  /* end neither */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 x EOF",   /* start not a number */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF 7", /* something after */
		"1: POSIXPOSIXPOSIX ADVISORY WRITE 1 fe:00:1 0 EOF",      /* kind too long */
		"1: POSIX ADVISORY WRITEWRITE 1 fe:00:1 0 EOF",           /* access too long */
		/* Found by fuzz/fuzz_locks: ranges the kernel never prints, and
		 * an end of -1 that was read as "to EOF". */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 500 -5",  /* negative end */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 -1",    /* -1 is not EOF */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 -1 EOF",  /* negative start */
		"1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 100 99",  /* end before start */
	};
	struct pl_lock_line l;

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		errno = 0;
		ck_assert_msg(pl_procfs_parse_lock(broken[i], &l) == -1, "accepted '%s'",
		              broken[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	/* Not too strict: a lock of one byte is a range that ends where it starts. */
	ck_assert_int_eq(pl_procfs_parse_lock("1: POSIX  ADVISORY  READ 1 fe:00:2 7 7", &l), 0);
	ck_assert_int_eq(l.start, 7);
	ck_assert_int_eq(l.end, 7);
}
END_TEST

/* This kernel's own /proc/locks: every line parses, and our locks are
 * there, a waiter too. An flock() and an fcntl() lock on one file do
 * not conflict on Linux: they are two separate kinds. */
START_TEST(test_procfs_lock_reads_this_kernel)
{
	char path[] = "/tmp/check_procfs-XXXXXX", line[512];
	struct flock range = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 10
	};
	bool flock_seen = false, posix_seen = false, waiter_seen = false;
	struct pl_lock_line l;
	struct stat st;
	pid_t waiter;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	unlink(path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(fcntl(fd, F_SETLK, &range), 0);
	waiter = fork();
	ck_assert_int_ne(waiter, -1);
	if (waiter == 0)
		_exit(fcntl(fd, F_SETLKW, &range) == 0 ? 0 : 1); /* blocks */

	for (int waited = 0; !waiter_seen && waited < DEADLINE_MS; waited++) {
		FILE *locks = fopen("/proc/locks", "re");

		ck_assert_ptr_nonnull(locks);
		flock_seen = posix_seen = false;
		while (fgets(line, sizeof(line), locks) != NULL) {
			ck_assert_msg(pl_procfs_parse_lock(line, &l) == 0, "cannot parse '%s'",
			              line);
			if (l.inode != (unsigned long long)st.st_ino)
				continue;
			if (!l.waiting && l.pid == getpid() && strcmp(l.kind, "FLOCK") == 0)
				flock_seen = strcmp(l.access, "WRITE") == 0 && l.start == 0 &&
				             l.end == -1;
			if (!l.waiting && l.pid == getpid() && strcmp(l.kind, "POSIX") == 0)
				posix_seen = strcmp(l.access, "WRITE") == 0 && l.start == 10 &&
				             l.end == 19;
			if (l.waiting && l.pid == waiter)
				waiter_seen = strcmp(l.kind, "POSIX") == 0 && l.depth == 1 &&
				              l.start == 10 && l.end == 19;
		}
		fclose(locks);
		if (!waiter_seen)
			usleep(1000);
	}
	kill(waiter, SIGKILL);
	ck_assert_int_eq(waitpid(waiter, NULL, 0), waiter);
	close(fd);
	ck_assert(flock_seen);
	ck_assert(posix_seen);
	ck_assert(waiter_seen);
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
	tcase_add_test(parse, test_procfs_stat_rejects_numbers_that_do_not_fit);
	tcase_add_test(parse, test_procfs_state_names);
	tcase_add_test(parse, test_procfs_every_state_taken_has_a_name);
	tcase_add_test(parse, test_procfs_parse_field_on_text);
	tcase_add_test(parse, test_procfs_lock_holder);
	tcase_add_test(parse, test_procfs_lock_waiters_and_depth);
	tcase_add_test(parse, test_procfs_lock_flock_and_ofd);
	tcase_add_test(parse, test_procfs_lock_big_numbers);
	tcase_add_test(parse, test_procfs_lock_rejects_broken_lines);
	tcase_add_test(live, test_procfs_reads_itself_running);
	tcase_add_test(live, test_procfs_sees_sleeping_stopped_and_zombie);
	tcase_add_test(live, test_procfs_wait_state_times_out);
	tcase_add_test(live, test_procfs_lists_children_and_exe);
	tcase_add_test(live, test_procfs_fields_fds_and_maps);
	tcase_add_test(live, test_procfs_names_anon_inodes);
	tcase_add_test(live, test_procfs_same_process);
	tcase_add_test(live, test_procfs_wait_gone_times_out_on_the_living);
	tcase_add_test(live, test_procfs_lock_reads_this_kernel);
	tcase_set_timeout(live, 20);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, live);
	return s;
}

PL_CHECK_MAIN(procfs_suite)
