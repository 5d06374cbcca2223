/* check_cleanup.c - leaving nothing behind (lib/pl_cleanup.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "check_main.h"
#include "pl_child.h"
#include "pl_cleanup.h"
#include "pl_measure.h"
#include "pl_procfs.h"

static char path[64], shm_name[64];

static bool
exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static bool
shm_exists(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

static void
setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/proclab-check-%ld", (long)getpid());
	snprintf(shm_name, sizeof(shm_name), "/proclab-check-%ld", (long)getpid());
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
	fd = shm_open(shm_name, O_CREAT | O_RDWR, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
}

static void
teardown(void)
{
	unlink(path);
	shm_unlink(shm_name);
}

START_TEST(test_cleanup_removes_registered_names)
{
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, path), 0);
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_SHM, shm_name), 0);
	pl_cleanup_run();
	ck_assert(!exists(path));
	ck_assert(!shm_exists(shm_name));
}
END_TEST

START_TEST(test_cleanup_removes_a_directory_after_its_files)
{
	char dir[64], file[96];

	snprintf(dir, sizeof(dir), "/tmp/proclab-check-dir-%ld", (long)getpid());
	snprintf(file, sizeof(file), "%s/data", dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	/* Registered before its file, and still removed after it. */
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_DIR, dir), 0);
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, file), 0);
	pl_cleanup_run();
	ck_assert(!exists(file));
	ck_assert(!exists(dir));
}
END_TEST

/* A file nobody registered, such as a core dump, does not keep a
 * registered directory of ours from going. */
START_TEST(test_cleanup_removes_a_directory_with_a_stray_file)
{
	char dir[64], stray[96];

	snprintf(dir, sizeof(dir), "/tmp/proclab-check-dir-%ld", (long)getpid());
	snprintf(stray, sizeof(stray), "%s/core.%ld", dir, (long)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	close(open(stray, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_DIR, dir), 0);
	pl_cleanup_run();
	ck_assert(!exists(stray));
	ck_assert(!exists(dir));
}
END_TEST

/* A directory of ours in which a program made a tree of its own (Open
 * MPI's session directory) goes with all of it; a link in it goes, and
 * what it points to stays. */
START_TEST(test_cleanup_removes_a_directory_with_a_tree_in_it)
{
	char dir[64], name[160], outside[64];

	snprintf(dir, sizeof(dir), "/tmp/proclab-check-dir-%ld", (long)getpid());
	snprintf(outside, sizeof(outside), "/tmp/proclab-check-out-%ld", (long)getpid());
	close(open(outside, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(name, sizeof(name), "%s/session", dir);
	ck_assert_int_eq(mkdir(name, 0700), 0);
	snprintf(name, sizeof(name), "%s/session/job", dir);
	ck_assert_int_eq(mkdir(name, 0700), 0);
	snprintf(name, sizeof(name), "%s/session/job/contact", dir);
	close(open(name, O_CREAT | O_WRONLY, 0600));
	snprintf(name, sizeof(name), "%s/session/fifo", dir);
	ck_assert_int_eq(mkfifo(name, 0600), 0);
	snprintf(name, sizeof(name), "%s/session/link", dir);
	ck_assert_int_eq(symlink(outside, name), 0);
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_DIR, dir), 0);
	pl_cleanup_run();
	ck_assert(!exists(dir));
	ck_assert(exists(outside));
	unlink(outside);
}
END_TEST

START_TEST(test_cleanup_forget_keeps_a_name)
{
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, path), 0);
	ck_assert_int_eq(pl_cleanup_forget(PL_CLEANUP_PATH, path), 0);
	ck_assert_int_eq(pl_cleanup_forget(PL_CLEANUP_PATH, path), -1);
	ck_assert_int_eq(errno, ENOENT);
	pl_cleanup_run();
	ck_assert(exists(path));
}
END_TEST

START_TEST(test_cleanup_table_limits)
{
	char long_name[400];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, long_name), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	for (int i = 0; i < PL_CLEANUP_MAX; i++)
		ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, "/nonexistent/proclab"), 0);
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, path), -1);
	ck_assert_int_eq(errno, ENOSPC);
	pl_cleanup_forget_all();
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, path), 0);
	pl_cleanup_forget_all();
}
END_TEST

/* sigprocmask(2) is for a process of one thread: with several, POSIX
 * leaves its effect unspecified (pthread_sigmask(3)). The library must not
 * call it. This definition takes the place of the C library's for every
 * caller in this program, libproclab included, and counts the calls. */
static int sigprocmask_calls;

int
sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int err;

	sigprocmask_calls++;
	if ((err = pthread_sigmask(how, set, old)) != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

static void *
report_mask(void *arg)
{
	sigset_t *mask = arg;

	pthread_sigmask(SIG_BLOCK, NULL, mask);
	return NULL;
}

START_TEST(test_cleanup_hold_masks_the_calling_thread)
{
	sigset_t saved, held, other;
	pthread_t t;

	sigprocmask_calls = 0;
	pl_cleanup_hold(&saved);
	pthread_sigmask(SIG_BLOCK, NULL, &held);
	pl_cleanup_release(&saved);
	/* Released: a thread started now inherits no held signal. */
	ck_assert_int_eq(pthread_create(&t, NULL, report_mask, &other), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(sigprocmask_calls, 0);
	ck_assert(sigismember(&held, SIGINT) && sigismember(&held, SIGTERM) &&
	          sigismember(&held, SIGHUP) && sigismember(&held, SIGQUIT));
	ck_assert(!sigismember(&other, SIGINT));
}
END_TEST

/* Threads that register names at the same moment each get a slot of their
 * own: none is lost, and none overwrites another's. Round after round,
 * for at most ROUNDS rounds or a second (ThreadSanitizer is slow). */
#define ADDERS 4
#define ROUNDS 20000

static pthread_barrier_t start_line;
static atomic_bool more_rounds;

static void *
add_names(void *arg)
{
	long who = (long)arg;
	char name[64];
	long failed = 0;

	do {
		pthread_barrier_wait(&start_line);
		for (int i = 0; i < PL_CLEANUP_MAX / ADDERS; i++) {
			snprintf(name, sizeof(name), "/nonexistent/proclab-%ld-%d", who, i);
			failed += pl_cleanup_add(PL_CLEANUP_PATH, name) == -1;
		}
		pthread_barrier_wait(&start_line); /* all added: main counts them */
		pthread_barrier_wait(&start_line); /* counted and cleared */
	} while (atomic_load(&more_rounds));
	return (void *)failed;
}

START_TEST(test_cleanup_threads_add_at_once)
{
	pthread_t adders[ADDERS];
	long lost = 0, failed = 0, rounds = 0;
	double start = pl_measure_now();
	char name[64];

	atomic_store(&more_rounds, true);
	ck_assert_int_eq(pthread_barrier_init(&start_line, NULL, ADDERS + 1), 0);
	for (long t = 0; t < ADDERS; t++)
		ck_assert_int_eq(pthread_create(&adders[t], NULL, add_names, (void *)t), 0);
	do {
		pthread_barrier_wait(&start_line);
		pthread_barrier_wait(&start_line);
		for (long t = 0; t < ADDERS; t++)
			for (int i = 0; i < PL_CLEANUP_MAX / ADDERS; i++) {
				snprintf(name, sizeof(name), "/nonexistent/proclab-%ld-%d", t, i);
				lost += pl_cleanup_forget(PL_CLEANUP_PATH, name) == -1;
			}
		pl_cleanup_forget_all();
		rounds++;
		atomic_store(&more_rounds, rounds < ROUNDS && pl_measure_now() - start < 1.0);
		pthread_barrier_wait(&start_line);
	} while (atomic_load(&more_rounds));
	for (int t = 0; t < ADDERS; t++) {
		void *f;

		ck_assert_int_eq(pthread_join(adders[t], &f), 0);
		failed += (long)f;
	}
	pthread_barrier_destroy(&start_line);
	ck_assert_msg(lost == 0 && failed == 0, "%ld rounds of %d names: %ld lost, %ld refused",
	              rounds, PL_CLEANUP_MAX, lost, failed);
}
END_TEST

/* A "demo": installs the guard, registers the names, forks two children
 * that would sleep forever, reports their PIDs, then waits for its fate. */
static pid_t
start_demo(pid_t kids[2], bool exit_normally)
{
	int fds[2];
	pid_t demo;

	ck_assert_int_eq(pipe(fds), 0);
	demo = fork();
	ck_assert_int_ne(demo, -1);
	if (demo == 0) {
		pid_t mine[2];
		pl_cleanup_install();
		pl_cleanup_add(PL_CLEANUP_PATH, path);
		pl_cleanup_add(PL_CLEANUP_SHM, shm_name);
		for (int i = 0; i < 2; i++) {
			mine[i] = pl_fork("sleeper", 0);
			if (mine[i] == 0) {
				for (;;)
					pause();
			}
		}
		if (write(fds[1], mine, sizeof(mine)) != sizeof(mine))
			_exit(1);
		if (exit_normally)
			exit(0); /* the atexit handler must clean up */
		for (;;)
			pause();
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], kids, 2 * sizeof(pid_t)), 2 * sizeof(pid_t));
	close(fds[0]);
	return demo;
}

START_TEST(test_cleanup_on_sigterm_kills_children_and_dies_of_it)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	pid_t kids[2], demo;
	struct pl_proc p;
	int status;

	/* Orphans come to us, not to init: a child the demo did not reap
	 * would be our zombie now. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	demo = start_demo(kids, false);
	kill(demo, SIGTERM);
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM); /* it died of what it was sent */
	/* The handler killed the children and reaped them before it died:
	 * no zombie was left for init (here, for us) to reap. */
	for (int i = 0; i < 2; i++) {
		pid_t got = waitpid(kids[i], &status, WNOHANG);

		ck_assert_msg(got == -1 && errno == ECHILD,
		              "child %ld was left for the subreaper (waitpid gave %ld)",
		              (long)kids[i], (long)got);
		ck_assert_int_eq(pl_procfs_read(kids[i], &p), PL_PROCFS_GONE);
	}
	ck_assert(!exists(path));
	ck_assert(!shm_exists(shm_name));
#endif
}
END_TEST

/* Three generations: the demo, a child, and the child's two children.
 * SIGINT to the demo alone: it passes the signal on, and its child, a
 * parent too, kills and reaps its own before it dies. Nothing comes to us
 * (a subreaper, as init would be); before, the demo SIGKILLed the child at
 * once, and the grandchildren came to us as zombies. */
START_TEST(test_cleanup_on_sigint_each_parent_reaps_its_own)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	int fds[2], status;
	pid_t demo, said[2];
	struct pl_proc p;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(fds), 0);
	demo = fork();
	ck_assert_int_ne(demo, -1);
	if (demo == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* if a check fails, do not outlive it */
		pl_cleanup_install();
		if (pl_fork("middle", 0) == 0) {
			for (int i = 0; i < 2; i++)
				if ((said[i] = pl_fork("grandchild", 0)) == 0) {
					for (;;)
						pause();
				}
			if (write(fds[1], said, sizeof(said)) != sizeof(said))
				_exit(1);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], said, sizeof(said)), sizeof(said));
	close(fds[0]);
	kill(demo, SIGINT);
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
	errno = 0;
	ck_assert_msg(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD,
	              "a grandchild was left for the subreaper");
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pl_procfs_read(said[i], &p), PL_PROCFS_GONE);
#endif
}
END_TEST

/* The bounded reap gives up at its deadline on a child that lives on,
 * and reaps one that has ended. */
START_TEST(test_child_reap_within_is_bounded)
{
	double start;
	int status = 0;
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (;;)
			pause();
	}
	start = pl_measure_now();
	ck_assert_int_eq(pl_child_reap_within(pid, &status, 50), 0);
	ck_assert(pl_measure_now() - start >= 0.045);
	kill(pid, SIGKILL);
	ck_assert_int_eq(pl_child_reap_within(pid, &status, 5000), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(pl_child_reap_within(pid, &status, 0), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The guardian: what a SIGKILL of the demo leaves, it removes.          */

static char path2[64];

/* In a "demo": write the two PIDs SAID to FD, then wait to be killed. */
static noreturn void
tell_and_wait(int fd, const pid_t said[2])
{
	if (write(fd, said, 2 * sizeof(pid_t)) != 2 * sizeof(pid_t))
		_exit(1);
	for (;;)
		pause();
}

/* In the test: read them from the pipe FDS. */
static void
hear(int fds[2], pid_t said[2])
{
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], said, 2 * sizeof(pid_t)), 2 * sizeof(pid_t));
	close(fds[0]);
}

/* A "demo" with a guardian: it registers PATH and SHM_NAME, and PATH2
 * which it then forgets; forks a sleeper; reports the guardian's PID and
 * the sleeper's, and waits for its fate. */
static pid_t
start_guarded_demo(pid_t *guardian, pid_t *kid)
{
	int fds[2];
	pid_t demo, said[2];

	snprintf(path2, sizeof(path2), "/tmp/proclab-check-kept-%ld", (long)getpid());
	close(open(path2, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_eq(pipe(fds), 0);
	demo = fork();
	ck_assert_int_ne(demo, -1);
	if (demo == 0) {
		close(fds[0]);
		setpgid(0, 0); /* a job of its own, as a shell would start it */
#ifdef HAVE_SYS_PRCTL_H
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* if a check fails, do not outlive it */
#endif
		if (pl_cleanup_install() == -1 || pl_cleanup_guardian() == -1 ||
		    pl_cleanup_add(PL_CLEANUP_PATH, path) == -1 ||
		    pl_cleanup_add(PL_CLEANUP_PATH, path2) == -1 ||
		    pl_cleanup_add(PL_CLEANUP_SHM, shm_name) == -1 ||
		    pl_cleanup_forget(PL_CLEANUP_PATH, path2) == -1)
			_exit(1);
		said[0] = pl_cleanup_guardian_pid();
		if ((said[1] = pl_fork("sleeper", 0)) == 0) {
			for (;;)
				pause();
		}
		tell_and_wait(fds[1], said);
	}
	hear(fds, said);
	*guardian = said[0];
	*kid = said[1];
	ck_assert_int_gt(*guardian, 0);
	return demo;
}

static bool
names_gone(void)
{
	return !exists(path) && !shm_exists(shm_name);
}

/* Poll for COND for at most SECONDS. */
static bool
within(double seconds, bool (*cond)(void))
{
	double end = pl_measure_now() + seconds;

	while (!cond()) {
		if (pl_measure_now() > end)
			return false;
		usleep(2000);
	}
	return true;
}

START_TEST(test_cleanup_guardian_removes_names_after_sigkill)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	pid_t guardian, kid, demo;
	struct pl_proc p;
	int status;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); /* adopt the guardian */
	demo = start_guarded_demo(&guardian, &kid);
	/* It names itself and leaves the session just after the fork. */
	for (double end = pl_measure_now() + 5.0; pl_measure_now() < end; usleep(2000))
		if (pl_procfs_read(guardian, &p) == 0 && p.sid == guardian &&
		    strcmp(p.comm, "proclab-guard") == 0)
			break;
	ck_assert_str_eq(p.comm, "proclab-guard");
	ck_assert_int_eq(p.ppid, demo);
	ck_assert_int_eq(p.sid, guardian); /* a session of its own */
	ck_assert(exists(path) && shm_exists(shm_name));

	kill(demo, SIGKILL); /* no handler runs */
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_msg(within(5.0, names_gone), "the guardian left %s%s%s",
	              exists(path) ? path : "", exists(path) ? " " : "",
	              shm_exists(shm_name) ? shm_name : "");
	ck_assert_msg(exists(path2), "the guardian removed a name the demo forgot");
	/* Its work done, the guardian ends, and came to us to be reaped. */
	ck_assert_int_eq(pl_child_reap_within(guardian, &status, 5000), guardian);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(pl_child_reap_within(kid, &status, 5000), kid); /* PR_SET_PDEATHSIG */
	unlink(path2);
#endif
}
END_TEST

/* The guardian and a directory in which another program, still ending
 * when the demo dies (mpirun), made a directory of its own: the guardian
 * removes the files at once, leaves that directory to its maker for a
 * while (removed earlier, it could be made again behind the guardian),
 * and removes it itself if its maker does not. */
static char guarded_dir[64];

static bool
file_gone(void)
{
	char name[96];

	snprintf(name, sizeof(name), "%s/segment", guarded_dir);
	return !exists(name);
}

static bool
dir_gone(void)
{
	return !exists(guarded_dir);
}

/* A "demo" that registers GUARDED_DIR, which holds a file and a
 * directory "session" with a file in it, and waits for its fate. */
static pid_t
start_demo_with_a_tree(pid_t *guardian)
{
	char name[128];
	int fds[2];
	pid_t demo, said[2] = { 0, 0 };

	snprintf(guarded_dir, sizeof(guarded_dir), "/tmp/proclab-check-tree-%ld", (long)getpid());
	ck_assert_int_eq(mkdir(guarded_dir, 0700), 0);
	snprintf(name, sizeof(name), "%s/segment", guarded_dir);
	close(open(name, O_CREAT | O_WRONLY, 0600));
	snprintf(name, sizeof(name), "%s/session", guarded_dir);
	ck_assert_int_eq(mkdir(name, 0700), 0);
	snprintf(name, sizeof(name), "%s/session/contact", guarded_dir);
	close(open(name, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_eq(pipe(fds), 0);
	demo = fork();
	ck_assert_int_ne(demo, -1);
	if (demo == 0) {
		close(fds[0]);
#ifdef HAVE_SYS_PRCTL_H
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		if (pl_cleanup_install() == -1 || pl_cleanup_guardian() == -1 ||
		    pl_cleanup_add(PL_CLEANUP_DIR, guarded_dir) == -1)
			_exit(1);
		said[0] = pl_cleanup_guardian_pid();
		tell_and_wait(fds[1], said);
	}
	hear(fds, said);
	*guardian = said[0];
	ck_assert_int_gt(*guardian, 0);
	return demo;
}

START_TEST(test_cleanup_guardian_leaves_a_directory_to_its_maker)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	char session[96], contact[128];
	pid_t guardian, demo;
	int status;
	double killed;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	demo = start_demo_with_a_tree(&guardian);
	snprintf(session, sizeof(session), "%s/session", guarded_dir);
	snprintf(contact, sizeof(contact), "%s/contact", session);
	kill(demo, SIGKILL);
	killed = pl_measure_now();
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert_msg(within(4.0, file_gone), "the guardian left the file");
	/* It waits 5 s for the directories: one look well before that. */
	if (pl_measure_now() - killed < 3.0)
		ck_assert_msg(exists(contact),
		              "the guardian did not leave the maker its directory");
	/* Its maker ends, and removes it; the guardian then removes ours. */
	ck_assert_int_eq(unlink(contact), 0);
	ck_assert_int_eq(rmdir(session), 0);
	ck_assert_msg(within(2.0, dir_gone), "the guardian left %s", guarded_dir);
	ck_assert_int_eq(pl_child_reap_within(guardian, &status, 5000), guardian);
#endif
}
END_TEST

START_TEST(test_cleanup_guardian_removes_a_directory_its_maker_left)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	pid_t guardian, demo;
	int status;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	demo = start_demo_with_a_tree(&guardian);
	kill(demo, SIGKILL); /* and its "mpirun" never removes its directory */
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert_msg(within(10.0, dir_gone), "the guardian left %s", guarded_dir);
	ck_assert_int_eq(pl_child_reap_within(guardian, &status, 5000), guardian);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}
END_TEST

START_TEST(test_cleanup_guardian_not_hit_by_ctrl_c)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	pid_t guardian, kid, demo;
	struct pl_proc p;
	int status;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	demo = start_guarded_demo(&guardian, &kid);
	kill(-demo, SIGINT); /* Ctrl-C: the whole job */
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
	ck_assert(names_gone());
	ck_assert(exists(path2));
	/* The demo told its guardian to quit, and reaped it and the sleeper:
	 * nothing came to us. */
	ck_assert_int_eq(waitpid(-1, &status, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert_int_eq(pl_procfs_read(guardian, &p), PL_PROCFS_GONE);
	unlink(path2);
#endif
}
END_TEST

/* A Ctrl-C that comes while the demo waits for its guardian to quit (the
 * last name just forgotten) must still reap it: the sweep found guardians
 * left to init as zombies so. Here the guardian is held stopped, so the
 * demo is surely in that wait when the SIGINT comes. */
START_TEST(test_cleanup_guardian_reaped_when_ctrl_c_interrupts_its_stop)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	int to_demo[2], from_demo[2], status;
	pid_t demo, said[2];
	char wchan[64] = "";
	char go;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(to_demo), 0);
	ck_assert_int_eq(pipe(from_demo), 0);
	demo = fork();
	ck_assert_int_ne(demo, -1);
	if (demo == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (pl_cleanup_install() == -1 || pl_cleanup_guardian() == -1 ||
		    pl_cleanup_add(PL_CLEANUP_PATH, path) == -1)
			_exit(1);
		said[0] = said[1] = pl_cleanup_guardian_pid();
		if (write(from_demo[1], said, sizeof(said)) != sizeof(said) ||
		    read(to_demo[0], &go, 1) != 1)
			_exit(1);
		pl_cleanup_forget(PL_CLEANUP_PATH, path); /* waits for the guardian */
		_exit(0);
	}
	hear(from_demo, said);
	kill(said[0], SIGSTOP);
	ck_assert_int_eq(write(to_demo[1], "", 1), 1);
	/* The demo now naps in its wait, a millisecond at a time. */
	for (double end = pl_measure_now() + 5.0; pl_measure_now() < end; usleep(1000)) {
		char where[64];
		int fd;
		ssize_t n;

		snprintf(where, sizeof(where), "/proc/%ld/wchan", (long)demo);
		if ((fd = open(where, O_RDONLY)) == -1)
			break;
		n = read(fd, wchan, sizeof(wchan) - 1);
		close(fd);
		wchan[n > 0 ? n : 0] = '\0';
		if (strstr(wchan, "sleep") != NULL)
			break;
	}
	ck_assert_msg(strstr(wchan, "sleep") != NULL, "the demo waits in %s", wchan);
	kill(demo, SIGINT);
	kill(said[0], SIGCONT);
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
	errno = 0;
	ck_assert_msg(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD,
	              "the guardian was left for the subreaper");
	close(to_demo[0]);
	close(to_demo[1]);
#endif
}
END_TEST

/* What the guardian holds open: its socket, as descriptor 0, and nothing
 * else; a pipe the demo made before stays the demo's alone. */
START_TEST(test_cleanup_guardian_holds_only_its_socket)
{
	char dir[64], link[128];
	struct dirent *e;
	int pfd[2], n = 0;
	DIR *d;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(pl_cleanup_guardian(), 0);
	ck_assert_int_gt(pl_cleanup_guardian_pid(), 0);
	ck_assert_int_eq(pl_cleanup_guardian(), 0); /* one is enough */
	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pl_cleanup_guardian_pid());
	/* Poll: the guardian closes them just after the fork. */
	for (double end = pl_measure_now() + 5.0; pl_measure_now() < end; usleep(2000)) {
		ck_assert_ptr_nonnull(d = opendir(dir));
		n = 0;
		while ((e = readdir(d)) != NULL)
			n += e->d_name[0] != '.';
		closedir(d);
		if (n == 1)
			break;
	}
	ck_assert_int_eq(n, 1);
	snprintf(dir, sizeof(dir), "/proc/%ld/fd/0", (long)pl_cleanup_guardian_pid());
	ck_assert_int_gt(readlink(dir, link, sizeof(link) - 1), 0);
	ck_assert(strncmp(link, "socket:[", 8) == 0);
	pl_cleanup_forget_all(); /* nothing registered: it just quits */
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/* The guardian lives while a name is registered, and no longer. */
START_TEST(test_cleanup_guardian_ends_with_the_last_name)
{
	struct pl_proc p;
	pid_t guardian;

	ck_assert_int_eq(pl_cleanup_guardian_pid(), 0);
	ck_assert_int_eq(pl_cleanup_guardian(), 0);
	guardian = pl_cleanup_guardian_pid();
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, path), 0);
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_SHM, shm_name), 0);
	ck_assert_int_eq(pl_cleanup_forget(PL_CLEANUP_PATH, path), 0);
	ck_assert_int_eq(pl_cleanup_guardian_pid(), guardian); /* one name left */
	ck_assert_int_eq(pl_cleanup_forget(PL_CLEANUP_SHM, shm_name), 0);
	ck_assert_int_eq(pl_cleanup_guardian_pid(), 0);
	/* Told to quit, it removed nothing, and we reaped it. */
	ck_assert_int_eq(pl_procfs_read(guardian, &p), PL_PROCFS_GONE);
	ck_assert(exists(path) && shm_exists(shm_name));
}
END_TEST

/* A guardian killed from outside is replaced at the next name, and the
 * new one knows the earlier names too: it starts with a copy of the table. */
START_TEST(test_cleanup_guardian_replaced_if_killed)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	pid_t said[2], demo;
	int fds[2], status;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(fds), 0);
	demo = fork();
	ck_assert_int_ne(demo, -1);
	if (demo == 0) {
		if (pl_cleanup_guardian() == -1 || pl_cleanup_add(PL_CLEANUP_PATH, path) == -1)
			_exit(1);
		said[0] = pl_cleanup_guardian_pid();
		kill(said[0], SIGKILL);
		if (pl_child_reap_within(said[0], NULL, 5000) != said[0] ||
		    pl_cleanup_add(PL_CLEANUP_SHM, shm_name) == -1)
			_exit(1);
		said[1] = pl_cleanup_guardian_pid();
		tell_and_wait(fds[1], said);
	}
	hear(fds, said);
	ck_assert_int_gt(said[1], 0);
	ck_assert_int_ne(said[1], said[0]);
	kill(demo, SIGKILL);
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert_msg(within(5.0, names_gone), "the new guardian did not remove both names");
	ck_assert_int_eq(pl_child_reap_within(said[1], &status, 5000), said[1]);
#endif
}
END_TEST

START_TEST(test_cleanup_at_normal_exit)
{
	pid_t kids[2], demo;
	struct pl_proc p;
	int status;

	demo = start_demo(kids, true);
	ck_assert_int_eq(waitpid(demo, &status, 0), demo);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The demo reaped its children before it went. */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pl_procfs_read(kids[i], &p), PL_PROCFS_GONE);
	ck_assert(!exists(path));
	ck_assert(!shm_exists(shm_name));
}
END_TEST

START_TEST(test_cleanup_child_does_not_remove_parent_names)
{
	int status;
	pid_t pid;

	ck_assert_int_eq(pl_cleanup_install(), 0);
	ck_assert_int_eq(pl_cleanup_add(PL_CLEANUP_PATH, path), 0);
	pid = pl_fork("child", 0);
	if (pid == 0)
		exit(0); /* even exit(), not _exit(), must leave the name alone */
	ck_assert_int_eq(pl_child_wait(pid, &status, 0), pid);
	ck_assert(exists(path));
	pl_cleanup_forget_all();
}
END_TEST

static Suite *
cleanup_suite(void)
{
	Suite *s = suite_create("cleanup");
	TCase *names = tcase_create("names");
	TCase *guard = tcase_create("guard");

	tcase_add_checked_fixture(names, setup, teardown);
	tcase_add_checked_fixture(guard, setup, teardown);
	tcase_add_test(names, test_cleanup_removes_registered_names);
	tcase_add_test(names, test_cleanup_removes_a_directory_after_its_files);
	tcase_add_test(names, test_cleanup_removes_a_directory_with_a_stray_file);
	tcase_add_test(names, test_cleanup_removes_a_directory_with_a_tree_in_it);
	tcase_add_test(names, test_cleanup_forget_keeps_a_name);
	tcase_add_test(names, test_cleanup_table_limits);
	tcase_add_test(names, test_cleanup_hold_masks_the_calling_thread);
	tcase_add_test(names, test_cleanup_threads_add_at_once);
	tcase_add_test(guard, test_cleanup_on_sigterm_kills_children_and_dies_of_it);
	tcase_add_test(guard, test_cleanup_at_normal_exit);
	tcase_add_test(guard, test_cleanup_child_does_not_remove_parent_names);
	tcase_add_test(guard, test_cleanup_on_sigint_each_parent_reaps_its_own);
	tcase_add_test(guard, test_child_reap_within_is_bounded);
	tcase_add_test(guard, test_cleanup_guardian_removes_names_after_sigkill);
	tcase_add_test(guard, test_cleanup_guardian_leaves_a_directory_to_its_maker);
	tcase_add_test(guard, test_cleanup_guardian_removes_a_directory_its_maker_left);
	tcase_add_test(guard, test_cleanup_guardian_not_hit_by_ctrl_c);
	tcase_add_test(guard, test_cleanup_guardian_reaped_when_ctrl_c_interrupts_its_stop);
	tcase_add_test(guard, test_cleanup_guardian_holds_only_its_socket);
	tcase_add_test(guard, test_cleanup_guardian_ends_with_the_last_name);
	tcase_add_test(guard, test_cleanup_guardian_replaced_if_killed);
	tcase_set_timeout(guard, 20);
	suite_add_tcase(s, names);
	suite_add_tcase(s, guard);
	return s;
}

PL_CHECK_MAIN(cleanup_suite)
