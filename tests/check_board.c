/* check_board.c - the status board in shared memory (lib/pl_board.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_board.h"
#include "pl_measure.h"
#include "pl_name.h"
#include "pl_procfs.h"

static struct pl_board *board;
static char name[PL_NAME_MAX];

static void
setup(void)
{
	board = pl_board_create(name, sizeof(name));
	ck_assert_ptr_nonnull(board);
}

static void
teardown(void)
{
	pl_board_use(NULL);
	ck_assert_int_eq(pl_board_remove(board, name), 0);
}

static bool
shm_exists(const char *n)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/shm%s", n);
	return access(path, F_OK) == 0;
}

/* Find PID's slot. */
static int
find_slot(pid_t pid, struct pl_board_slot *out)
{
	for (size_t i = 0; i < PL_BOARD_SLOTS; i++)
		if (pl_board_read_slot(board, i, out) == 1 && out->pid == pid)
			return 0;
	return -1;
}

START_TEST(test_board_name_is_unguessable_and_owned)
{
	char second[PL_NAME_MAX];
	unsigned long long start, mine;
	struct pl_board *other;
	pid_t pid;

	/* "/proclab-board-PID-START-RANDOM": its owner, us, and digits that
	 * nobody can guess, so nobody can take the name first. */
	ck_assert_int_eq(pl_name_owner(name, "board", &pid, &start), 0);
	ck_assert_int_eq(pl_procfs_start(getpid(), &mine), 0);
	ck_assert_int_eq(pid, getpid());
	ck_assert_uint_eq(start, mine);
	ck_assert_int_eq(board->owner, getpid());
	ck_assert_uint_eq(board->owner_start, mine);
	/* A second board of the same process has a name of its own. */
	other = pl_board_create(second, sizeof(second));
	ck_assert_ptr_nonnull(other);
	ck_assert_str_ne(second, name);
	ck_assert_int_eq(pl_board_remove(other, second), 0);
}
END_TEST

START_TEST(test_board_private)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(st.st_uid, getuid());
	ck_assert_uint_eq(board->magic, PL_BOARD_MAGIC);
}
END_TEST

START_TEST(test_board_without_board_costs_nothing)
{
	pl_board_use(NULL);
	unsetenv(PL_BOARD_ENV);
	ck_assert_int_eq(pl_board_attach(), 0);
	ck_assert_ptr_null(pl_board_current());
	ck_assert_int_eq(pl_board_set_role("x"), 0);
	ck_assert_int_eq(pl_board_narrate('n', 0, "x"), 0);
	ck_assert_int_eq(pl_board_lock_holds("a"), 0);
	ck_assert_int_eq(pl_board_count("c", 1), 0);
	ck_assert_int_eq(pl_board_checkpoint(), 1);
	ck_assert_uint_eq(board->nevents, 0);
}
END_TEST

START_TEST(test_board_child_reports_through_env)
{
	struct pl_board_slot s;
	int status;
	pid_t pid;

	setenv(PL_BOARD_ENV, name, 1);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (pl_board_attach() != 1)
			_exit(10);
		pl_board_set_role("writer");
		pl_board_narrate('s', 1.5, "Step 1: write");
		pl_board_lock_holds("fork A");
		pl_board_lock_holds("fork C");
		pl_board_lock_releases("fork C");
		pl_board_lock_wants("fork B");
		pl_board_count("bytes", 10);
		pl_board_count("bytes", 4096);
		pl_board_count("writes", 2);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unsetenv(PL_BOARD_ENV);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(board->attached, pid);
	ck_assert_int_eq(find_slot(pid, &s), 0);
	ck_assert_str_eq(s.role, "writer");
	ck_assert_str_eq(s.narration, "Step 1: write");
	ck_assert_str_eq(s.holds[0], "fork A");
	ck_assert_str_eq(s.holds[1], "");
	ck_assert_str_eq(s.wants, "fork B");
	ck_assert_str_eq(s.counters[0].name, "bytes");
	ck_assert_int_eq(s.counters[0].value, 4096);
	ck_assert_str_eq(s.counters[1].name, "writes");
}
END_TEST

START_TEST(test_board_holding_ends_wanting)
{
	struct pl_board_slot s;

	pl_board_use(board);
	pl_board_lock_wants("m");
	ck_assert_int_eq(find_slot(getpid(), &s), 0);
	ck_assert_str_eq(s.wants, "m");
	pl_board_lock_holds("m");
	ck_assert_int_eq(find_slot(getpid(), &s), 0);
	ck_assert_str_eq(s.wants, "");
	ck_assert_str_eq(s.holds[0], "m");
	/* Full: a fifth lock does not fit. */
	pl_board_lock_holds("b");
	pl_board_lock_holds("c");
	pl_board_lock_holds("d");
	errno = 0;
	ck_assert_int_eq(pl_board_lock_holds("e"), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(pl_board_leave(), 0);
	ck_assert_int_eq(find_slot(getpid(), &s), -1);
}
END_TEST

START_TEST(test_board_events_ring)
{
	struct pl_board_event e;
	char text[32];

	pl_board_use(board);
	for (int i = 1; i <= PL_BOARD_EVENTS + 5; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		ck_assert_int_eq(pl_board_narrate('n', i, text), 0);
	}
	ck_assert_uint_eq(board->nevents, PL_BOARD_EVENTS + 5);
	/* The first five were overwritten; the rest are there, in order. */
	ck_assert_int_eq(pl_board_read_event(board, 5, &e), 0);
	ck_assert_int_eq(pl_board_read_event(board, 6, &e), 1);
	ck_assert_str_eq(e.text, "line 6");
	ck_assert_int_eq(e.pid, getpid());
	ck_assert_int_eq(pl_board_read_event(board, PL_BOARD_EVENTS + 5, &e), 1);
	ck_assert_str_eq(e.text, "line 69");
	ck_assert_int_eq(pl_board_read_event(board, PL_BOARD_EVENTS + 6, &e), 0);
	ck_assert_int_eq(pl_board_read_event(board, 0, &e), 0);
}
END_TEST

START_TEST(test_board_checkpoint_waits_for_release)
{
	struct timespec tick = { 0, 1000000 };
	int status;
	pid_t pid;

	pl_board_use(board);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(pl_board_checkpoint() == 0 ? 0 : 1);
	for (int i = 0; i < 5000 && board->step_waiting == 0; i++)
		nanosleep(&tick, NULL);
	ck_assert_uint_eq(board->step_waiting, 1);
	/* Still waiting: it has not been let go. */
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	pl_board_step_release(board);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(board->step_go, 1);
}
END_TEST

START_TEST(test_board_attach_refuses_a_stranger)
{
	int fd = shm_open("/proclab-check-notaboard", O_RDWR | O_CREAT | O_EXCL, 0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(ftruncate(fd, sizeof(struct pl_board)), 0); /* all zero: no magic */
	close(fd);
	setenv(PL_BOARD_ENV, "/proclab-check-notaboard", 1);
	errno = 0;
	ck_assert_int_eq(pl_board_attach(), -1);
	ck_assert_int_eq(errno, EINVAL);
	setenv(PL_BOARD_ENV, "/proclab-check-missing", 1);
	ck_assert_int_eq(pl_board_attach(), -1);
	unsetenv(PL_BOARD_ENV);
	shm_unlink("/proclab-check-notaboard");
	ck_assert_ptr_null(pl_board_current());
}
END_TEST

START_TEST(test_board_remove_and_clean_stale)
{
	char dir[] = "/tmp/check-board.XXXXXX", path[256], stale[PL_NAME_MAX];
	unsigned long long start;
	int fd;

	/* Removing unlinks the name; the test's own teardown then finds
	 * nothing to unlink, which is fine. */
	ck_assert(shm_exists(name));
	ck_assert_int_eq(pl_board_remove(NULL, name), 0);
	ck_assert(!shm_exists(name));

	/* A board whose owner's PID now names another process (here, ours
	 * under another start time), and one whose owner is alive (us). */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(pl_procfs_start(getpid(), &start), 0);
	snprintf(stale, sizeof(stale), "proclab-board-%ld-%llu-1234567890123456", (long)getpid(),
	         start + 1);
	snprintf(path, sizeof(path), "%s/%s", dir, stale);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	snprintf(path, sizeof(path), "%s%s", dir, name);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	ck_assert_int_eq(pl_board_clean_stale(dir), 1);
	ck_assert_int_eq(pl_board_clean_stale(dir), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(pl_board_clean_stale("/nonexistent-dir"), -1);
}
END_TEST

/* A checkpoint whose dashboard is gone stops waiting, even when the
 * dashboard's PID now names another process, alive (kill(pid, 0) == 0)
 * or another user's (kill(pid, 0) fails with EPERM). PID 1 plays the
 * stranger: it runs, and it did not start when our board's owner did. A
 * child waits at the checkpoint, as root or, to see EPERM, as nobody. */
static void
checkpoint_with_owner(pid_t stranger, bool as_nobody)
{
	struct timespec tick = { 0, 1000000 };
	int status = 0;
	pid_t pid, done = 0;

	board->owner = (int32_t)stranger;
	pl_board_use(board);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (as_nobody && setuid(65534) == -1)
			_exit(3);
		if (as_nobody && kill(stranger, 0) != -1)
			_exit(4); /* no EPERM to test */
		_exit(pl_board_checkpoint() == 0 ? 0 : 1);
	}
	for (int i = 0; i < 5000 && done == 0; i++) {
		done = waitpid(pid, &status, WNOHANG);
		if (done == 0)
			nanosleep(&tick, NULL);
	}
	if (done == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ck_assert_msg(done == pid, "still waiting after 5 s for owner %ld, who is not ours",
	              (long)stranger);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(board->step_go, 0);
}

START_TEST(test_board_checkpoint_gives_up_on_a_reused_pid)
{
	checkpoint_with_owner(1, false);
}
END_TEST

START_TEST(test_board_checkpoint_gives_up_on_eperm)
{
	if (getuid() != 0 && kill(1, 0) == 0) {
		fprintf(stderr, "# kill(1, 0) works for us and we cannot become nobody: skipped\n");
		return;
	}
	checkpoint_with_owner(1, getuid() == 0);
}
END_TEST

/* The owner alive but silent: the wait ends at its bound. The owner dies
 * while we wait: the wait ends at once, through its pidfd. */
START_TEST(test_board_checkpoint_is_bounded)
{
	unsigned long long owner_start;
	double start;
	int status;
	pid_t owner, waiter;

	pl_board_use(board);
	waiter = fork();
	ck_assert_int_ne(waiter, -1);
	if (waiter == 0) {
		int rc = pl_board_checkpoint_within(0.2);

		_exit(rc == -1 && errno == ETIMEDOUT ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(waiter, &status, 0), waiter);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no ETIMEDOUT");

	owner = fork(); /* a stand-in dashboard, which we shall kill */
	ck_assert_int_ne(owner, -1);
	if (owner == 0)
		for (;;)
			pause();
	board->owner = (int32_t)owner;
	ck_assert_int_eq(pl_procfs_wait_state(owner, "S", 5000, NULL), 0);
	ck_assert_int_eq(pl_procfs_start(owner, &owner_start), 0);
	board->owner_start = owner_start;
	waiter = fork();
	ck_assert_int_ne(waiter, -1);
	if (waiter == 0) {
		int rc = pl_board_checkpoint_within(30);

		_exit(rc == -1 && errno == ESRCH ? 0 : 1);
	}
	for (int i = 0; i < 5000 && board->step_waiting < 2; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_eq(board->step_waiting, 2);
	start = pl_measure_now();
	kill(owner, SIGKILL);
	ck_assert_int_eq(waitpid(waiter, &status, 0), waiter);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no ESRCH");
	ck_assert_double_lt(pl_measure_now() - start, 5.0);
	ck_assert_int_eq(waitpid(owner, &status, 0), owner);
}
END_TEST

/* A board of our own (pl_lock_private_board) has nobody to let us go. */
START_TEST(test_board_checkpoint_on_our_own_board)
{
	pl_board_use(board);
	ck_assert_int_eq(pl_board_checkpoint_within(30), 1);
}
END_TEST

START_TEST(test_board_free_slot_of_a_gone_task)
{
	struct pl_board_slot s;

	pl_board_use(board);
	pl_board_set_role("me");
	ck_assert_int_eq(find_slot(getpid(), &s), 0);
	/* Another PID than the slot's: nothing happens. */
	for (size_t i = 0; i < PL_BOARD_SLOTS; i++)
		if (board->slots[i].pid == getpid()) {
			ck_assert_int_eq(pl_board_free_slot(board, i, getpid() + 1), 0);
			ck_assert_int_eq(pl_board_free_slot(board, i, getpid()), 1);
		}
	ck_assert_int_eq(find_slot(getpid(), &s), -1);
	ck_assert_int_eq(pl_board_free_slot(board, PL_BOARD_SLOTS, 1), -1);
}
END_TEST

/* A reader never keeps half an update. A child rewrites its role and its
 * narration as fast as it can, each time with one letter throughout; the
 * parent reads the slot meanwhile, and in every copy it keeps, each field
 * must be one letter throughout. A reader that did not look at the
 * counter again after its copy keeps hundreds of torn copies a second
 * here. On x86-64, which keeps stores in order, this holds even without
 * the writer's fence; on ARM it is that fence's test too.) */
static bool
all_one_letter(const char *text, size_t len, char letter)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != letter)
			return false;
	return text[len] == '\0';
}

START_TEST(test_board_reader_never_keeps_half_an_update)
{
	char role[PL_BOARD_NAME], narration[PL_BOARD_TEXT];
	struct pl_board_slot s;
	long kept = 0, torn = 0, busy = 0;
	size_t at = PL_BOARD_SLOTS;
	double start;
	int status;
	pid_t pid;

	pl_board_use(board);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (unsigned n = 0;; n++) {
			char letter = (char)('a' + n % 26);

			memset(role, letter, sizeof(role) - 1);
			role[sizeof(role) - 1] = '\0';
			memset(narration, letter, sizeof(narration) - 1);
			narration[sizeof(narration) - 1] = '\0';
			pl_board_set_role(role);
			pl_board_narrate('n', 0, narration);
		}
	}
	start = pl_measure_now();
	do {
		for (size_t i = 0; at == PL_BOARD_SLOTS && i < PL_BOARD_SLOTS; i++)
			if (pl_board_read_slot(board, i, &s) == 1 && s.pid == pid)
				at = i;
		if (at < PL_BOARD_SLOTS) {
			int rc = pl_board_read_slot(board, at, &s);

			if (rc == 1 && s.role[0] != '\0') {
				kept++;
				torn += !all_one_letter(s.role, PL_BOARD_NAME - 1, s.role[0]) ||
				        !all_one_letter(s.narration, PL_BOARD_TEXT - 1, s.narration[0]);
			}
			busy += rc == -1;
		}
	} while (pl_measure_now() - start < 1.0);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(kept > 1000, "only %ld copies kept (%ld busy)", kept, busy);
	ck_assert_msg(torn == 0, "%ld of %ld copies kept were torn", torn, kept);
}
END_TEST

static Suite *
board_suite(void)
{
	Suite *s = suite_create("board");
	TCase *tc = tcase_create("board");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_board_name_is_unguessable_and_owned);
	tcase_add_test(tc, test_board_private);
	tcase_add_test(tc, test_board_without_board_costs_nothing);
	tcase_add_test(tc, test_board_child_reports_through_env);
	tcase_add_test(tc, test_board_holding_ends_wanting);
	tcase_add_test(tc, test_board_events_ring);
	tcase_add_test(tc, test_board_checkpoint_waits_for_release);
	tcase_add_test(tc, test_board_attach_refuses_a_stranger);
	tcase_add_test(tc, test_board_remove_and_clean_stale);
	tcase_add_test(tc, test_board_checkpoint_gives_up_on_a_reused_pid);
	tcase_add_test(tc, test_board_checkpoint_gives_up_on_eperm);
	tcase_add_test(tc, test_board_checkpoint_is_bounded);
	tcase_add_test(tc, test_board_checkpoint_on_our_own_board);
	tcase_add_test(tc, test_board_free_slot_of_a_gone_task);
	tcase_add_test(tc, test_board_reader_never_keeps_half_an_update);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(board_suite)
