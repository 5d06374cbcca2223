/* check_io.c - all-or-nothing reads and writes, errno names (lib/pl_io.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_io.h"

/* A write bigger than a pipe holds goes out in several pieces; the reader,
 * reading in small pieces, still gets every byte in order. */
START_TEST(test_io_moves_everything_through_a_pipe)
{
	static char out[256 * 1024], in[sizeof(out)];
	int fds[2], status;
	pid_t pid;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + 3);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(pl_write_all(fds[1], out, sizeof(out)) == 0 ? 0 : 1);
	}
	close(fds[1]);
	ck_assert_int_eq(pl_read_full(fds[0], in, sizeof(in)), (ssize_t)sizeof(in));
	ck_assert_int_eq(memcmp(in, out, sizeof(out)), 0);
	ck_assert_int_eq(pl_read_full(fds[0], in, 10), 0); /* end of file */
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_io_short_read_at_end_of_file)
{
	char buf[16];
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(pl_write_all(fds[1], "abc", 3), 0);
	close(fds[1]);
	ck_assert_int_eq(pl_read_full(fds[0], buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
	close(fds[0]);
}
END_TEST

START_TEST(test_io_write_to_a_closed_pipe_is_epipe)
{
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	errno = 0;
	ck_assert_int_eq(pl_write_all(fds[1], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(fds[1]);
	ck_assert_int_eq(pl_read_full(-1, NULL, 1), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(test_io_errno_names)
{
	ck_assert_str_eq(pl_errno_name(ENOENT), "ENOENT");
	ck_assert_str_eq(pl_errno_name(EACCES), "EACCES");
	ck_assert_str_eq(pl_errno_name(ECHILD), "ECHILD");
	ck_assert_str_eq(pl_errno_name(EPIPE), "EPIPE");
	ck_assert_str_eq(pl_errno_name(-5), "E?");
}
END_TEST

static Suite *
io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("io");

	tcase_add_test(tc, test_io_moves_everything_through_a_pipe);
	tcase_add_test(tc, test_io_short_read_at_end_of_file);
	tcase_add_test(tc, test_io_write_to_a_closed_pipe_is_epipe);
	tcase_add_test(tc, test_io_errno_names);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(io_suite)
