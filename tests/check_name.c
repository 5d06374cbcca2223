/* check_name.c - names nobody can guess, and their owners (lib/pl_name.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "pl_board.h"
#include "pl_name.h"
#include "pl_procfs.h"

static unsigned long long my_start;
static char dir[64];

static void
setup(void)
{
	ck_assert_int_eq(pl_procfs_start(getpid(), &my_start), 0);
	snprintf(dir, sizeof(dir), "/tmp/check-name.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char command[96];

	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(command), 0);
}

/* Create the empty file DIR/NAME (NAME without its '/'). */
static void
plant(const char *name)
{
	char path[PL_NAME_MAX + 128]; /* a name in a planted directory, too */
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name[0] == '/' ? name + 1 : name);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	close(fd);
}

static bool
planted(const char *name)
{
	char path[PL_NAME_MAX + 128];

	snprintf(path, sizeof(path), "%s/%s", dir, name[0] == '/' ? name + 1 : name);
	return access(path, F_OK) == 0;
}

/* A child that is gone: its PID and start time, and a name of WHAT it
 * made. */
static pid_t
gone_child(const char *what, unsigned long long *start, char *name, size_t size)
{
	struct {
		unsigned long long start;
		char name[PL_NAME_MAX];
	} said;
	int fds[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (pl_procfs_start(getpid(), &said.start) != 0 ||
		    pl_name_make(what, said.name, sizeof(said.name)) == -1)
			_exit(1);
		_exit(write(fds[1], &said, sizeof(said)) == sizeof(said) ? 0 : 1);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &said, sizeof(said)), sizeof(said));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	*start = said.start;
	snprintf(name, size, "%s", said.name);
	return pid;
}

START_TEST(test_name_names_its_owner)
{
	char a[PL_NAME_MAX], b[PL_NAME_MAX], prefix[64], path[PL_NAME_MAX + 16];
	unsigned long long start;
	pid_t pid;

	ck_assert_int_eq(pl_name_make("shm", a, sizeof(a)), 0);
	ck_assert_int_eq(pl_name_make("shm", b, sizeof(b)), 0);
	snprintf(prefix, sizeof(prefix), "/proclab-shm-%ld-%llu-", (long)getpid(), my_start);
	ck_assert_msg(strncmp(a, prefix, strlen(prefix)) == 0, "%s", a);
	/* Sixteen random digits, and never twice the same. */
	ck_assert_uint_eq(strlen(a + strlen(prefix)), 16);
	ck_assert_uint_eq(strspn(a + strlen(prefix), "0123456789"), 16);
	ck_assert_str_ne(a, b);

	ck_assert_int_eq(pl_name_owner(a, "shm", &pid, &start), 0);
	ck_assert_int_eq(pid, getpid());
	ck_assert_uint_eq(start, my_start);
	ck_assert_int_eq(pl_name_owner(a + 1, "shm", &pid, &start), 0); /* no '/' */
	snprintf(path, sizeof(path), "/dev/shm%s", a);
	ck_assert_int_eq(pl_name_owner(path, "shm", &pid, &start), 0);

	errno = 0;
	ck_assert_int_eq(pl_name_make("shm", a, 20), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(test_name_owner_rejects_other_names)
{
	static const char *const bad[] = {
		"proclab-shm-4242",                                 /* the old, guessable kind */
		"proclab-board-0-4242",                             /* likewise, with a UID */
		"proclab-queue-4242-100-1234567890123456",          /* another WHAT */
		"proclab-shmx-4242-100-1234567890123456",           /* a longer WHAT */
		"proclab-shm-4242-100-123456789012345",             /* 15 random digits */
		"proclab-shm-4242-100-12345678901234567",           /* 17 */
		"proclab-shm-0-100-1234567890123456",               /* PID 0 */
		"proclab-shm-99999999999-100-1234567890123456",     /* no such PID */
		"proclab-shm--4242-100-1234567890123456",           /* a sign */
		"proclab-shm-4242-100-1234567890123456-x",          /* a tail */
		"proclab-shm-4242-100-1234567890123456-n",          /* a namespace, no number */
		"proclab-shm-4242-100-1234567890123456-n4026532000", /* another namespace */
		"proclab-shm-4242-1o0-1234567890123456",            /* a letter */
		"other-shm-4242-100-1234567890123456",
		"",
	};
	unsigned long long start;
	pid_t pid;

	ck_assert_int_eq(pl_name_owner("proclab-shm-4242-100-1234567890123456", "shm", &pid, &start),
	                 0);
	ck_assert_int_eq(pid, 4242);
	ck_assert_uint_eq(start, 100);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(pl_name_owner(bad[i], "shm", &pid, &start) == -1 && errno == EINVAL,
		              "accepted '%s'", bad[i]);
	}
}
END_TEST

START_TEST(test_name_shm_is_private_whatever_the_umask)
{
	char name[PL_NAME_MAX], path[PL_NAME_MAX + 16];
	mode_t old = umask(0277); /* would make 0400 */
	struct stat st;
	int fd = pl_name_shm_create("check", name, sizeof(name));

	umask(old);
	ck_assert_msg(fd != -1, "%s", strerror(errno));
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	ck_assert_int_eq(shm_unlink(name), 0);
	errno = 0;
	ck_assert_int_eq(pl_name_shm_create("check", name, 20), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(test_name_mq_is_private)
{
	struct mq_attr attr = { .mq_maxmsg = 2, .mq_msgsize = 16 };
	char name[PL_NAME_MAX];
	mode_t old = umask(077);
	mqd_t mq = pl_name_mq_create("check", name, sizeof(name), O_RDWR, &attr);
	struct stat st;

	umask(old);
	if (mq == (mqd_t)-1 && (errno == ENOSYS || errno == EACCES || errno == EPERM)) {
		fprintf(stderr, "# no message queues here (%s): not tested\n", strerror(errno));
		return;
	}
	ck_assert_msg(mq != (mqd_t)-1, "%s", strerror(errno));
	ck_assert_msg(strncmp(name, "/proclab-check-", 15) == 0, "%s", name);
	/* On Linux an mqd_t is a descriptor of the queue's file. */
	ck_assert_int_eq(fstat((int)mq, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	mq_close(mq);
	ck_assert_int_eq(mq_unlink(name), 0);
}
END_TEST

START_TEST(test_name_dir_is_private)
{
	char path[256], prefix[128];
	mode_t old = umask(022);
	struct stat st;

	setenv("TMPDIR", dir, 1);
	ck_assert_int_eq(pl_name_dir_create("server", path, sizeof(path)), 0);
	snprintf(prefix, sizeof(prefix), "%s/proclab-server-%ld-", dir, (long)getpid());
	ck_assert_msg(strncmp(path, prefix, strlen(prefix)) == 0, "%s", path);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(rmdir(path), 0);

	setenv("TMPDIR", "", 1); /* empty: /tmp */
	ck_assert_int_eq(pl_name_dir_create("server", path, sizeof(path)), 0);
	ck_assert_msg(strncmp(path, "/tmp/proclab-server-", 20) == 0, "%s", path);
	ck_assert_int_eq(rmdir(path), 0);
	errno = 0;
	ck_assert_int_eq(pl_name_dir_create("server", path, 24), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	unsetenv("TMPDIR");
	umask(old);
}
END_TEST

/* The sweep removes a name only when its owner is surely gone: a dead
 * owner, a PID that now names another process (a stranger's, or ours
 * under another start time), or a zombie. Live owners, other users' files,
 * links, directories and other names stay. */
START_TEST(test_name_sweep_removes_only_the_stale)
{
	char dead[PL_NAME_MAX], mine[PL_NAME_MAX], reused[PL_NAME_MAX], stranger[PL_NAME_MAX];
	char other_what[PL_NAME_MAX], as_dir[PL_NAME_MAX], as_link[PL_NAME_MAX];
	char path[PL_NAME_MAX + 64], target[PL_NAME_MAX + 64];
	unsigned long long dead_start, init_start = 0;

	gone_child("shm", &dead_start, dead, sizeof(dead));
	plant(dead);
	ck_assert_int_eq(pl_name_make("shm", mine, sizeof(mine)), 0);
	plant(mine);
	/* Our PID, but not our start time: the PID was reused, by us. */
	snprintf(reused, sizeof(reused), "proclab-shm-%ld-%llu-1234567890123456", (long)getpid(),
	         my_start + 1);
	plant(reused);
	/* PID 1 runs, but did not start at tick 0 + 1: kill(1, 0) would say
	 * "alive" to root and EPERM to others; neither means ours. */
	pl_procfs_start(1, &init_start);
	snprintf(stranger, sizeof(stranger), "proclab-shm-1-%llu-1234567890123456",
	         init_start + 1);
	plant(stranger);
	snprintf(other_what, sizeof(other_what), "proclab-queue-%ld-%llu-1234567890123456",
	         (long)getpid(), my_start + 1);
	plant(other_what);
	snprintf(as_dir, sizeof(as_dir), "proclab-shm-%ld-%llu-2234567890123456", (long)getpid(),
	         my_start + 1);
	snprintf(path, sizeof(path), "%s/%s", dir, as_dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(as_link, sizeof(as_link), "proclab-shm-%ld-%llu-3234567890123456", (long)getpid(),
	         my_start + 1);
	snprintf(path, sizeof(path), "%s/%s", dir, as_link);
	snprintf(target, sizeof(target), "%s/%s", dir, mine + 1);
	ck_assert_int_eq(symlink(target, path), 0);

	ck_assert_int_eq(pl_name_clean_stale(dir, "shm"), 3);
	ck_assert(!planted(dead));
	ck_assert(!planted(reused));
	ck_assert(!planted(stranger));
	ck_assert(planted(mine));
	ck_assert(planted(other_what));
	ck_assert(planted(as_dir));
	ck_assert(planted(as_link));
	ck_assert_int_eq(pl_name_clean_stale(dir, "shm"), 0);

	/* Another user's stale file is not ours to remove. */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, reused);
		plant(reused);
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		ck_assert_int_eq(pl_name_clean_stale(dir, "shm"), 0);
		ck_assert(planted(reused));
	}
	errno = 0;
	ck_assert_int_eq(pl_name_clean_stale("/nonexistent-dir", "shm"), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* Make the directory DIR/NAME (NAME without its '/'), mode 0700. */
static void
plant_dir(const char *name)
{
	char path[PL_NAME_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name[0] == '/' ? name + 1 : name);
	ck_assert_msg(mkdir(path, 0700) == 0, "%s: %s", path, strerror(errno));
}

/* The sweep of directories removes a directory of a gone owner with
 * what it holds, files and directories, and removes a link in it without
 * following it. A live owner's directory, a file of a gone owner (that is
 * pl_name_clean_stale's), a link named like a stale directory, and
 * another user's directory stay. */
START_TEST(test_name_sweep_dirs_removes_the_stale_with_their_files)
{
	char dead[PL_NAME_MAX], mine[PL_NAME_MAX], reused[PL_NAME_MAX], as_file[PL_NAME_MAX];
	char as_link[PL_NAME_MAX], inside[PL_NAME_MAX + 32], path[PL_NAME_MAX + 128];
	char target[PL_NAME_MAX + 64];
	unsigned long long dead_start;

	gone_child("mpi", &dead_start, dead, sizeof(dead));
	plant_dir(dead);
	snprintf(inside, sizeof(inside), "%s/vader_segment.1", dead + 1);
	plant(inside);
	snprintf(inside, sizeof(inside), "%s/sub", dead + 1);
	plant_dir(inside);
	snprintf(inside, sizeof(inside), "%s/sub/deeper", dead + 1);
	plant(inside);
	/* A link inside to a file outside: the link goes, the file stays. */
	plant("outside");
	snprintf(target, sizeof(target), "%s/outside", dir);
	snprintf(path, sizeof(path), "%s/%s/link", dir, dead + 1);
	ck_assert_int_eq(symlink(target, path), 0);

	ck_assert_int_eq(pl_name_make("mpi", mine, sizeof(mine)), 0);
	plant_dir(mine);
	snprintf(inside, sizeof(inside), "%s/vader_segment.0", mine + 1);
	plant(inside);
	snprintf(reused, sizeof(reused), "proclab-mpi-%ld-%llu-1234567890123456", (long)getpid(),
	         my_start + 1);
	plant_dir(reused);
	snprintf(as_file, sizeof(as_file), "proclab-mpi-%ld-%llu-2234567890123456",
	         (long)getpid(), my_start + 1);
	plant(as_file);
	snprintf(as_link, sizeof(as_link), "proclab-mpi-%ld-%llu-3234567890123456",
	         (long)getpid(), my_start + 1);
	snprintf(path, sizeof(path), "%s/%s", dir, as_link);
	snprintf(target, sizeof(target), "%s/%s", dir, mine + 1);
	ck_assert_int_eq(symlink(target, path), 0);

	ck_assert_int_eq(pl_name_clean_stale_dirs(dir, "mpi"), 2);
	ck_assert(!planted(dead));
	ck_assert(!planted(reused));
	ck_assert(planted("outside"));
	ck_assert(planted(mine));
	snprintf(inside, sizeof(inside), "%s/vader_segment.0", mine + 1);
	ck_assert(planted(inside));
	ck_assert(planted(as_file));
	ck_assert(planted(as_link));
	ck_assert_int_eq(pl_name_clean_stale_dirs(dir, "mpi"), 0);
	/* and the sweep of files leaves directories alone */
	plant_dir(reused);
	ck_assert_int_eq(pl_name_clean_stale(dir, "mpi"), 1);
	ck_assert(!planted(as_file));
	ck_assert(planted(reused));

	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, reused);
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		ck_assert_int_eq(pl_name_clean_stale_dirs(dir, "mpi"), 0);
		ck_assert(planted(reused));
	}
	errno = 0;
	ck_assert_int_eq(pl_name_clean_stale_dirs("/nonexistent-dir", "mpi"), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Names in a /dev/shm that two PID namespaces share, as a container and */
/* its host may: each sweep judges only its own namespace's names.       */

/* In a new PID namespace, with /proc mounted for it when PROC_OF_OURS, a
 * child (PID 1 there) plants a board name of its own, under its true
 * start time, and one of a gone process there, and sweeps. It writes its
 * own name to FD. Exit status: 0, 77 when the namespace cannot be had,
 * or the number of the step that failed. */
static int
sweep_in_a_namespace(bool proc_of_ours, int fd)
{
	char live[PL_NAME_MAX], gone[PL_NAME_MAX], text[1024];
	unsigned long long gone_start;
	struct pl_proc self;
	struct stat ns;
	int status, stat_fd;
	ssize_t n;
	pid_t first;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return 77;
	if ((first = fork()) == -1)
		return 2;
	if (first != 0)
		return waitpid(first, &status, 0) == first && WIFEXITED(status)
		               ? WEXITSTATUS(status)
		               : 3;
	/* PID 1 of the new namespace. */
	if (proc_of_ours && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV, NULL) == -1)
		_exit(77);
	/* /proc/self is this process whichever namespace /proc is for. */
	if (stat("/proc/self/ns/pid", &ns) == -1 ||
	    (stat_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) == -1)
		_exit(4);
	n = read(stat_fd, text, sizeof(text) - 1);
	close(stat_fd);
	text[n > 0 ? n : 0] = '\0';
	if (pl_procfs_parse_stat(text, &self) != 0)
		_exit(5);
	snprintf(live, sizeof(live), "/proclab-board-%ld-%llu-%016d-n%lu", (long)getpid(),
	         self.start, 42, (unsigned long)ns.st_ino);
	plant(live);
	if (proc_of_ours) {
		gone_child("board", &gone_start, gone, sizeof(gone));
		plant(gone);
		if (pl_board_clean_stale(dir) != 1 || planted(gone))
			_exit(6); /* the gone process's board goes, */
		if (!planted(live))
			_exit(7); /* ours stays */
	} else if (pl_board_clean_stale(dir) != 0 || !planted(live)) {
		/* With the host's /proc, /proc/1 is the host's init, whose
		 * start time is not ours: a sweep would take us for gone. */
		_exit(8);
	}
	_exit(write(fd, live, sizeof(live)) == sizeof(live) ? 0 : 9);
}

/* Run it in a child; *LIVE gets the name it left. */
static int
in_a_namespace(bool proc_of_ours, char *live, size_t size)
{
	int fds[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		_exit(sweep_in_a_namespace(proc_of_ours, fds[1]));
	}
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 0)
		ck_assert_int_eq(read(fds[0], live, size), (ssize_t)size);
	close(fds[0]);
	return WEXITSTATUS(status);
}

START_TEST(test_name_sweep_keeps_other_pid_namespaces)
{
	char host_live[PL_NAME_MAX], host_gone[PL_NAME_MAX];
	char ns_live[PL_NAME_MAX], ns_wrong_proc[PL_NAME_MAX];
	unsigned long long start;
	int rc;

	if (geteuid() != 0)
		return; /* unshare(CLONE_NEWPID) needs CAP_SYS_ADMIN */
	ck_assert_int_eq(pl_name_make("board", host_live, sizeof(host_live)), 0);
	gone_child("board", &start, host_gone, sizeof(host_gone));
	plant(host_live);
	plant(host_gone);

	rc = in_a_namespace(true, ns_live, sizeof(ns_live));
	if (rc == 77) {
		fprintf(stderr, "# skipped: no PID namespace here\n");
		return;
	}
	ck_assert_msg(rc == 0, "in the namespace, step %d failed", rc);
	/* It swept its own only: both of the host's boards are there. */
	ck_assert(planted(host_live) && planted(host_gone));
	rc = in_a_namespace(false, ns_wrong_proc, sizeof(ns_wrong_proc));
	ck_assert_msg(rc == 0, "with the host's /proc, step %d failed", rc);
	/* From the host: the namespace's boards are not ours to judge, though
	 * their owners are gone; our gone process's board goes. */
	ck_assert_int_eq(pl_board_clean_stale(dir), 1);
	ck_assert(!planted(host_gone));
	ck_assert(planted(host_live) && planted(ns_live) && planted(ns_wrong_proc));
}
END_TEST

static Suite *
name_suite(void)
{
	Suite *s = suite_create("name");
	TCase *tc = tcase_create("name");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_name_names_its_owner);
	tcase_add_test(tc, test_name_owner_rejects_other_names);
	tcase_add_test(tc, test_name_shm_is_private_whatever_the_umask);
	tcase_add_test(tc, test_name_mq_is_private);
	tcase_add_test(tc, test_name_dir_is_private);
	tcase_add_test(tc, test_name_sweep_removes_only_the_stale);
	tcase_add_test(tc, test_name_sweep_dirs_removes_the_stale_with_their_files);
	tcase_add_test(tc, test_name_sweep_keeps_other_pid_namespaces);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(name_suite)
