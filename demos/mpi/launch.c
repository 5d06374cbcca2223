/* mpi/launch.c - the MPI demos' plumbing, not a demo: starting mpirun for
 * a demo, and the ranks' side of the conversation. See launch.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mpi.h>

#include "proclab.h"
#include "launch.h"

#define CONTROLLER_ENV "PROCLAB_MPI_CONTROLLER"
#define STOP_GRACE_S 8.0 /* mpirun ends its ranks and cleans up in 1 to 3 s */
#define ORPHAN_GRACE_S 10.0 /* a rank's death signal is on its way: a bound, not a wait */

static char mpirun_path[PATH_MAX];
static char version[128];
static char shm_dir[PATH_MAX];
static char exe[PATH_MAX];
static volatile sig_atomic_t stop_signal;
static struct sigaction saved_actions[NSIG];
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct mpi_job *running; /* the job a stop must end */

bool
mpi_launch_is_rank(const char *program)
{
	if (getenv("OMPI_COMM_WORLD_RANK") == NULL)
		return false;
	if (getenv(CONTROLLER_ENV) == NULL) {
		fprintf(stderr,
		        "%s: run it without mpirun: it starts mpirun itself (see its --help)\n",
		        program);
		exit(2);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The controller.                                                        */

/* The handler only notes the signal (style(9)); the loops below see it,
 * end the job the orderly way, and then let the demo die of it. */
static void
on_stop(int sig)
{
	stop_signal = sig;
}

static void
stop_if_asked(void)
{
	int sig = stop_signal;

	if (sig == 0)
		return;
	if (running != NULL)
		mpi_job_stop(running);
	/* Back to the demo's own handler (pl_cleanup.h), which removes the
	 * private directory and dies of the signal. */
	sigaction(sig, &saved_actions[sig], NULL);
	raise(sig);
	_exit(128 + sig);
}

static bool
find_on_path(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");

	if (path == NULL || path[0] == '\0')
		return false;
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		if (n > 0 && snprintf(buf, size, "%.*s/%s", (int)n, path, name) < (int)size &&
		    access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

pid_t
mpi_launch_spawn(const char *role, const char *path, char *const argv[], int *out)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) == -1)
		pl_die("pipe");
	switch (pid = pl_fork(role, 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(path, argv);
		_exit(127);
	default: /* Parent */
		close(fds[1]);
		*out = fds[0];
	}
	return pid;
}

/* Run `mpirun --version` and keep its first line. */
static void
read_version(void)
{
	char *argv[] = { "mpirun", "--version", NULL };
	int fd;
	pid_t pid = mpi_launch_spawn("mpirun --version", mpirun_path, argv, &fd);
	ssize_t n = pl_read_full(fd, version, sizeof(version) - 1);

	version[n > 0 ? n : 0] = '\0';
	version[strcspn(version, "\n")] = '\0';
	if (version[0] == '\0')
		snprintf(version, sizeof(version), "mpirun (version unknown)");
	close(fd);
	pl_child_wait(pid, NULL, 0);
}

void
mpi_launch_setup(const char *program)
{
	char pid[32];
	const char *tmpdir = getenv("TMPDIR");
	char saved_tmpdir[PATH_MAX] = "";
	ssize_t n;
	int swept;

	const char *chosen = getenv("PROCLAB_MPIRUN");

	if (chosen != NULL && chosen[0] != '\0') {
		snprintf(mpirun_path, sizeof(mpirun_path), "%s", chosen);
		if (access(mpirun_path, X_OK) != 0) {
			pl_narrate_error(program,
			                 "$PROCLAB_MPIRUN is not a program: apt-get install "
			                 "openmpi-bin, or unset it");
			exit(2);
		}
	} else if (!find_on_path("mpirun", mpirun_path, sizeof(mpirun_path))) {
		pl_narrate_error(program, "mpirun not found on PATH: apt-get install openmpi-bin");
		exit(2);
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		pl_die("reading /proc/self/exe");
	exe[n] = '\0';
	read_version();

	/* mpirun(1): "--allow-run-as-root ... or set both OMPI_ALLOW_RUN_AS_ROOT
	 * and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM to 1". */
	if (geteuid() == 0) {
		setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
		setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
		pl_note("as-root", PL_FIELDS(PL_BOOL("root", true)),
		        "running as root: Open MPI refuses that unless told, so "
		        "OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 are set");
	}
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv(CONTROLLER_ENV, pid, 1);
	/* The ranks a killed mpirun leaves behind become our children, not
	 * init's, so that we can wait for them (wait_orphans()). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		pl_die("prctl(PR_SET_CHILD_SUBREAPER)");

	/* The private directories of earlier runs killed with their guardian
	 * (a SIGKILL of every process): the name says which controller made
	 * each, by PID and start time, so the ones whose controller is gone
	 * for sure can go, and no live run's (pl_name.h). */
	if ((swept = pl_name_clean_stale_dirs("/dev/shm", "mpi")) > 0)
		pl_note("swept", PL_FIELDS(PL_INT("removed", swept)),
		        "removed %d director%s in /dev/shm left by killed runs whose controller "
		        "is gone",
		        swept, swept == 1 ? "y" : "ies");

	/* The private directory for the ranks' segments, in /dev/shm like
	 * Open MPI's own, guarded from the moment it exists. */
	if (tmpdir != NULL)
		snprintf(saved_tmpdir, sizeof(saved_tmpdir), "%s", tmpdir);
	if (pl_cleanup_guardian() == -1)
		pl_die("starting the guardian");
	setenv("TMPDIR", "/dev/shm", 1);
	if (pl_name_dir_create("mpi", shm_dir, sizeof(shm_dir)) == -1)
		pl_die("making a private directory in /dev/shm");
	if (pl_cleanup_add(PL_CLEANUP_DIR, shm_dir) == -1)
		pl_die("registering %s", shm_dir);
	if (tmpdir != NULL)
		setenv("TMPDIR", saved_tmpdir, 1);
	else
		unsetenv("TMPDIR");

	for (size_t i = 0; i < PL_COUNT(stop_signals); i++) {
		struct sigaction sa = { .sa_handler = on_stop };

		sigemptyset(&sa.sa_mask);
		if (sigaction(stop_signals[i], &sa, &saved_actions[stop_signals[i]]) == -1)
			pl_die("sigaction");
	}
}

const char *
mpi_launch_version(void)
{
	return version;
}

const char *
mpi_launch_shm_dir(void)
{
	return shm_dir;
}

#if defined(__SANITIZE_ADDRESS__)
#define PL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PL_ASAN 1
#endif
#endif

/* In a build with AddressSanitizer: Open MPI leaves some 3,000 blocks
 * allocated at MPI_Finalize, in components it has unloaded by then, so
 * LeakSanitizer cannot even name them, and a rank's exit would fail on
 * leaks that are not ours. The ranks (not the demo) check no leaks. */
static void
ranks_ignore_mpi_leaks(void)
{
#ifdef PL_ASAN
	const char *old = getenv("ASAN_OPTIONS");
	char options[1024];

	snprintf(options, sizeof(options), "%s%sdetect_leaks=0", old != NULL ? old : "",
	         old != NULL && old[0] != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", options, 1);
#endif
}

void
mpi_job_start(struct mpi_job *job, int np, const char *btl, const char *const rank_args[],
              unsigned flags)
{
	int out[2], in[2];
	char nps[16];
	const char *argv[64];
	int argc = 0;
	sigset_t saved;

	stop_if_asked();
	memset(job, 0, sizeof(*job));
	snprintf(nps, sizeof(nps), "%d", np);
	argv[argc++] = "mpirun";
	argv[argc++] = "--oversubscribe"; /* more ranks than cores: allowed */
	argv[argc++] = "--bind-to";       /* and none pinned to a core */
	argv[argc++] = "none";
	argv[argc++] = "-np";
	argv[argc++] = nps;
	/* ob1 is the point-to-point layer that uses the BTLs ("byte transfer
	 * layers"); Debian's UCX layer would otherwise bypass them. */
	argv[argc++] = "--mca";
	argv[argc++] = "pml";
	argv[argc++] = "ob1";
	argv[argc++] = "--mca";
	argv[argc++] = "btl";
	argv[argc++] = btl;
	argv[argc++] = "--mca";
	argv[argc++] = "btl_vader_backing_directory";
	argv[argc++] = shm_dir;
	/* Open MPI's session directory (ompi.HOST.UID/pid.PID, with its
	 * contact file and PMIx's segments) goes in it too, not in $TMPDIR:
	 * what a killed mpirun leaves there is the guardian's to remove, or
	 * the next run's (mpi_launch_setup()). */
	argv[argc++] = "--mca";
	argv[argc++] = "orte_tmpdir_base";
	argv[argc++] = shm_dir;
	/* A rank waiting for a message polls: it never sleeps in the kernel.
	 * On a machine with more runnable processes than cores, a poller that
	 * never yields can hold the CPU the sender needs for a whole time
	 * slice, and a round trip takes milliseconds instead of microseconds.
	 * Yielding (sched_yield(2)) in the loop lets the other rank run. */
	argv[argc++] = "--mca";
	argv[argc++] = "mpi_yield_when_idle";
	argv[argc++] = "1";
	/* TCP between the ranks of one machine goes through loopback. */
	argv[argc++] = "--mca";
	argv[argc++] = "btl_tcp_if_include";
	argv[argc++] = "lo";
	argv[argc++] = "-x";
	argv[argc++] = CONTROLLER_ENV;
	argv[argc++] = exe;
	for (int i = 0; rank_args[i] != NULL && argc < 63; i++)
		argv[argc++] = rank_args[i];
	argv[argc] = NULL;

	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(in, O_CLOEXEC) == -1)
		pl_die("pipe");
	pl_cleanup_hold(&saved);
	switch (job->mpirun = pl_fork("mpirun", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: mpirun, which dies with SIGTERM, not SIGKILL, when
	         * the controller dies, so that it ends its ranks and cleans up. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != (pid_t)atol(getenv(CONTROLLER_ENV)))
			_exit(1);
		for (size_t i = 0; i < PL_COUNT(stop_signals); i++)
			signal(stop_signals[i], SIG_DFL);
		/* The mask held around the fork would pass to mpirun, and from
		 * it to the ranks, which would then ignore its SIGTERM. */
		sigprocmask(SIG_SETMASK, &saved, NULL);
		ranks_ignore_mpi_leaks();
		dup2(out[1], STDOUT_FILENO);
		if (flags & MPI_JOB_STDERR)
			dup2(out[1], STDERR_FILENO);
		dup2(in[0], STDIN_FILENO);
		execv(mpirun_path, (char *const *)argv);
		_exit(127);
	default: /* Parent */
		close(out[1]);
		close(in[0]);
		job->from_ranks = out[0];
		job->to_rank0 = in[1];
		running = job;
	}
	pl_cleanup_release(&saved);
	stop_if_asked();
}

int
mpi_job_line(struct mpi_job *job, char *buf, size_t size, double timeout)
{
	double deadline = pl_measure_now() + timeout;

	for (;;) {
		char *nl = memchr(job->buf, '\n', job->len);
		struct pollfd p = { .fd = job->from_ranks, .events = POLLIN };
		double left;
		ssize_t n;

		stop_if_asked();
		if (nl != NULL) {
			size_t line = (size_t)(nl - job->buf);

			snprintf(buf, size, "%.*s", (int)line, job->buf);
			memmove(job->buf, nl + 1, job->len - line - 1);
			job->len -= line + 1;
			return 1;
		}
		if (job->from_ranks < 0)
			return 0;
		if ((left = deadline - pl_measure_now()) <= 0)
			return -1;
		if (poll(&p, 1, left > 0.1 ? 100 : (int)(left * 1000) + 1) <= 0)
			continue;                 /* a timeout, or EINTR: look at the flag again */
		if (job->len == sizeof(job->buf)) /* a line too long: cut it */
			job->buf[job->len - 1] = '\n';
		n = read(job->from_ranks, job->buf + job->len, sizeof(job->buf) - job->len);
		if (n > 0) {
			job->len += (size_t)n;
		} else if (n == 0 || errno != EINTR) {
			close(job->from_ranks);
			job->from_ranks = -1;
			if (job->len > 0 && job->len < sizeof(job->buf))
				job->buf[job->len++] = '\n'; /* the last line, unfinished */
		}
	}
}

int
mpi_job_expect(struct mpi_job *job, const char *prefix, char *buf, size_t size, double timeout,
               void (*seen)(const char *line))
{
	double deadline = pl_measure_now() + timeout;
	int rc;

	while ((rc = mpi_job_line(job, buf, size, deadline - pl_measure_now())) == 1) {
		if (strncmp(buf, prefix, strlen(prefix)) == 0)
			return 1;
		if (seen != NULL)
			seen(buf);
	}
	return rc;
}

/* Write to a pipe whose reader may be gone. A write(2) to a pipe no
 * process reads gives SIGPIPE, whose default action kills the writer:
 * after a SIGKILL of mpirun the demo would die of it (status 141) instead
 * of reporting the broken job. Block SIGPIPE for the write, so that it
 * fails with EPIPE, and take the pending signal back (sigtimedwait(2)
 * with a zero timeout) before unblocking it. */
static int
write_no_sigpipe(int fd, const void *buf, size_t len)
{
	static const struct timespec now = { 0, 0 };
	sigset_t pipe_set, saved;
	int rc, saved_errno;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &saved);
	rc = pl_write_all(fd, buf, len);
	saved_errno = errno;
	if (rc == -1 && errno == EPIPE && !sigismember(&saved, SIGPIPE))
		while (sigtimedwait(&pipe_set, NULL, &now) == -1 && errno == EINTR)
			continue;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	errno = saved_errno;
	return rc;
}

void
mpi_job_tell(struct mpi_job *job, const char *line)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);

	/* mpirun forwards its stdin to rank 0 (mpirun(1), --stdin). A job
	 * that is gone gets EPIPE, which the caller notices at its next line. */
	if (job->to_rank0 >= 0 && write_no_sigpipe(job->to_rank0, buf, (size_t)n) == -1) {
		close(job->to_rank0);
		job->to_rank0 = -1;
	}
}

int
mpi_job_ranks(const struct mpi_job *job, pid_t *pids, int max)
{
	int n = pl_procfs_children(job->mpirun, pids, (size_t)max);

	return n < 0 ? 0 : n > max ? max : n;
}

/* A rank whose mpirun died without ending it (SIGKILL) is an orphan, and
 * the demo is its subreaper (PR_SET_CHILD_SUBREAPER, mpi_launch_setup()):
 * the kernel makes it our child, not init's. Its death signal (SIGKILL,
 * mpi_rank_begin()) is on its way, but on a loaded machine it may still
 * run - in MPI_Init, making its session directory - for a while. Reap
 * every such child, and wait for those still running, until DEADLINE.
 * Our own children (pl_child.h) and the guardian are not orphans. Returns
 * true when none is left. */
static bool
wait_orphans(double deadline)
{
	for (;;) {
		pid_t pids[4 * MPI_LAUNCH_MAX_RANKS];
		int n = pl_procfs_children(getpid(), pids, PL_COUNT(pids));
		int running_orphans = 0;

		for (int i = 0; i < n && i < (int)PL_COUNT(pids); i++) {
			struct pl_proc p;

			if (pl_child_role(pids[i]) != NULL || pl_procfs_read(pids[i], &p) != 0 ||
			    strcmp(p.comm, "proclab-guard") == 0)
				continue;
			if (waitpid(pids[i], NULL, WNOHANG) == 0)
				running_orphans++;
		}
		if (running_orphans == 0 && n <= (int)PL_COUNT(pids))
			return true;
		if (pl_measure_now() >= deadline)
			return false;
		usleep(10000);
	}
}

bool
mpi_job_wait(struct mpi_job *job, double timeout)
{
	double deadline = pl_measure_now() + timeout;

	while (!job->ended) {
		pid_t r = pl_child_wait(job->mpirun, &job->status, WNOHANG);

		if (r == job->mpirun || r == -1) {
			job->ended = true;
			break;
		}
		if (pl_measure_now() >= deadline)
			return false;
		stop_if_asked();
		/* Drain what the ranks still write, so that mpirun never
		 * blocks on a full pipe while we wait for it. */
		if (job->from_ranks >= 0) {
			struct pollfd p = { .fd = job->from_ranks, .events = POLLIN };

			if (poll(&p, 1, 10) == 1 && job->len < sizeof(job->buf)) {
				ssize_t n = read(job->from_ranks, job->buf + job->len,
				                 sizeof(job->buf) - job->len);
				if (n > 0)
					job->len += (size_t)n;
				else if (n == 0) {
					close(job->from_ranks);
					job->from_ranks = -1;
				}
			}
		} else {
			usleep(10000);
		}
	}
	if (job->from_ranks >= 0)
		close(job->from_ranks);
	if (job->to_rank0 >= 0)
		close(job->to_rank0);
	job->from_ranks = job->to_rank0 = -1;
	if (running == job)
		running = NULL;
	/* mpirun is gone; its ranks may not be yet. What they still write
	 * would come back after the sweep, so wait for them first. */
	wait_orphans(pl_measure_now() + ORPHAN_GRACE_S);
	job->swept = mpi_job_sweep(job);
	return true;
}

void
mpi_job_ended_well(struct mpi_job *job, bool ended)
{
	bool ok = ended && WIFEXITED(job->status) && WEXITSTATUS(job->status) == 0;

	if (!ended)
		mpi_job_stop(job);
	pl_check("job-ended", ok, PL_FIELDS(PL_INT("status", ended ? job->status : -1)),
	         "mpirun exited 0 after every rank called MPI_Finalize");
	if (!ok) /* the next steps would measure a broken machine: stop here */
		exit(pl_demo_finish());
}

void
mpi_job_stop(struct mpi_job *job)
{
	if (job->ended)
		return;
	stop_signal = 0; /* the wait below must not stop itself */
	pl_child_signal(job->mpirun, SIGTERM);
	if (!mpi_job_wait(job, STOP_GRACE_S)) {
		pl_child_signal(job->mpirun, SIGKILL);
		mpi_job_wait(job, STOP_GRACE_S);
	}
}

static int removed;

/* nftw(3) callback: remove what is below the top directory. */
static int
remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	if (ftw->level > 0 && (type == FTW_DP ? rmdir(path) : unlink(path)) == 0)
		removed++;
	return 0;
}

int
mpi_job_sweep(struct mpi_job *job)
{
	(void)job;
	/* mpirun and its ranks are gone: whatever is still in the private
	 * directory (segments, Open MPI's session directory) is left over. */
	removed = 0;
	nftw(shm_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return removed;
}

/* ------------------------------------------------------------------ */
/* The rank.                                                              */

/* The controller, as a rank sees it: its PID and start time. */
static pid_t controller;
static unsigned long long controller_start;

/* A thread of each rank that ends the rank when the controller is gone.
 * When a SIGKILL ends the controller, mpirun gets SIGTERM (its death
 * signal), but a rank busy in a loop of MPI calls can keep it waiting;
 * this makes sure the ranks go, and mpirun with them. */
static void *
watch_controller(void *arg)
{
	for (;;) {
		usleep(50 * 1000);
		if (pl_procfs_same_process(controller, controller_start) == 0)
			kill(getpid(), SIGKILL);
	}
	return arg;
}

int
mpi_rank_begin(int *argc, char ***argv, int *size)
{
	int rank;
	struct pl_proc parent;

	/* A rank must not outlive its mpirun, killed or not: if the parent is
	 * not Open MPI's launcher any more, it died before the prctl. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (pl_procfs_read(getppid(), &parent) != 0 ||
	    (strcmp(parent.comm, "mpirun") != 0 && strcmp(parent.comm, "orterun") != 0 &&
	     strcmp(parent.comm, "orted") != 0 && strcmp(parent.comm, "prted") != 0))
		_exit(1);
	/* On another machine (a hostfile) the controller is not in our /proc:
	 * there, mpirun's daemon ends us. */
	controller = (pid_t)atol(getenv(CONTROLLER_ENV));
	if (pl_procfs_start(controller, &controller_start) == 0 &&
	    pl_procfs_same_process(controller, controller_start) == 1) {
		pthread_t t;

		if (pthread_create(&t, NULL, watch_controller, NULL) == 0)
			pthread_detach(t);
	}
	MPI_Init(argc, argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	/* No board here: mpirun exec'd us, and the dashboard unlinked the
	 * board's name when the controller attached. The dashboard reads
	 * our rank from OMPI_COMM_WORLD_RANK in /proc/PID/environ instead. */
	return rank;
}

void
mpi_rank_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	pl_write_all(STDOUT_FILENO, buf, (size_t)n);
}

bool
mpi_rank_wait_go(void)
{
	char c;

	/* Read to the end of the line, a byte at a time: no buffering to
	 * swallow a later line. */
	for (;;) {
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n == 1 && c == '\n')
			return true;
		if (n == 0 || (n == -1 && errno != EINTR))
			return false;
	}
}
