/* sweep-trial.c - one trial of the interrupt sweep: run a demo, interrupt
 * it after a delay, and list everything it left behind.
 *
 * Usage: sweep-trial [-s INT|KILL|none] [-d MS] [-t SECONDS] [-p] WORKDIR PROGRAM [ARG...]
 *
 * tests/sweep-interrupt.sh runs this once per trial (see docs/sweeps.md).
 *  1. As root, the trial gets a mount and an IPC namespace of its own
 *     (unshare(2)), with a fresh tmpfs on /dev/shm and a fresh mqueue file
 *     system: every POSIX name and System V object found there afterwards
 *     is the trial's, whatever else runs on the machine. -p, or no root,
 *     skips this; names then count only if they hold "proclab" and the
 *     demo's PID and were made since it started. Either way the demo gets
 *     a TMPDIR of its own, WORKDIR/tmp, which must be empty at the end.
 *  2. PROGRAM starts in a new session (setsid(2)), as a shell starts a job
 *     on a terminal, with PROCLAB_TEST_TOKEN in its environment.
 *  3. Once the PID runs PROGRAM itself (a libtool wrapper script execs it
 *     under the same PID), it waits MS milliseconds and sends the signal:
 *     SIGINT to the whole process group, as Ctrl-C does; SIGKILL to the
 *     demo's own process only, so that its children must end by themselves.
 *  4. It reaps the demo, gives the rest one second to go, and lists what is
 *     still there.
 *  5. It SIGKILLs the processes it listed, through a pidfd, and removes
 *     the names it listed.
 *
 * This program is not a child subreaper, on purpose: an orphan must go
 * where it goes after a real Ctrl-C (to init), so that the sweep sees what
 * a user would. It reaps the one child it forks, the demo. A zombie that
 * init adopted is init's to reap: it is listed as "adopted", not "left".
 *
 * Output: a line "names: ..." that says how names are told apart, a line
 * "ran N ms; ..." on the run, then one line per thing found:
 *   left: ...      something of the trial's still there after the deadline
 *   adopted: ...   a zombie of the trial's whose parent is now init
 * Exit status: 0 nothing left, 1 something left, 2 bad usage, 3 the trial
 * could not run.
 */
#define _GNU_SOURCE /* unshare(2) and the CLONE_ flags */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pl_child.h"
#include "pl_measure.h"
#include "pl_parse.h"
#include "pl_procfs.h"

#define SEEN_MAX 8192
#define POLL_MS 5               /* how often we look while waiting */
#define SCAN_MS 20              /* how often we scan /proc for the trial's processes */
#define STARTUP_SECONDS 30      /* for the PID to run PROGRAM itself */
#define GRACE_SECONDS 1.0       /* for what is left to go, once the demo is reaped */
#define MQUEUE_MAGIC 0x19800202 /* statfs(2) f_type of an mqueue file system */

/* Everything about the one trial. */
static struct {
	pid_t demo;                    /* also its session and process group */
	unsigned long long demo_start; /* its start time, clock ticks after boot */
	char token[64];                /* PROCLAB_TEST_TOKEN=... */
	bool private_ipc;              /* in namespaces of our own */
	char workdir[PATH_MAX];
	char tmpdir[PATH_MAX + 16]; /* the demo's TMPDIR */
	char mqdir[PATH_MAX + 16];  /* where the mqueue names are listed, or "" */
	const char *outer_tmp;      /* our own TMPDIR, where a stray file would go */
	struct timespec started;    /* wall clock, for file times */
} trial;

/* Every process seen in the trial, so that one that left the session
 * (setsid) is still known by its parent, and names holding its PID too. */
static struct {
	pid_t pid;
	unsigned long long start;
} seen[SEEN_MAX];
static int nseen;

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
	interrupted = sig;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sweep-trial [-s INT|KILL|none] [-d MS] [-t SECONDS] [-p] "
	                "WORKDIR PROGRAM [ARG...]\n");
	exit(2);
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long
ms_since(double t0)
{
	return (long)((pl_measure_now() - t0) * 1000.0);
}

/* /proc/PID/stat, parsed. Returns 0, or -1 if the process is gone. */
static int
read_stat(pid_t pid, struct pl_proc *proc)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return pl_procfs_parse_stat(buf, proc);
}

static bool
was_seen(pid_t pid)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i].pid == pid)
			return true;
	return false;
}

static bool
was_seen_exactly(pid_t pid, unsigned long long start)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i].pid == pid && seen[i].start == start)
			return true;
	return false;
}

static void
remember(const struct pl_proc *proc)
{
	if (!was_seen_exactly(proc->pid, proc->start) && nseen < SEEN_MAX) {
		seen[nseen].pid = proc->pid;
		seen[nseen].start = proc->start;
		nseen++;
	}
}

/* Does PID carry the trial's token in its environment? A zombie has no
 * environment left: it is found by its session or as a known PID. */
static bool
has_token(pid_t pid)
{
	static char env[128 * 1024];
	char path[64];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	while (len < (ssize_t)sizeof(env) - 1 &&
	       (n = read(fd, env + len, sizeof(env) - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	env[len] = '\0';
	for (char *p = env; p < env + len; p += strlen(p) + 1)
		if (strcmp(p, trial.token) == 0)
			return true;
	return false;
}

/* Is the session the demo led still the trial's? The kernel does not give
 * a PID to a new process while it still names a session or a process
 * group (alloc_pid() in kernel/pid.c). So if the demo's PID now runs
 * another process, nothing is left in our session, and a process in a
 * session of that number belongs to whoever got the PID. */
static bool
session_is_ours(void)
{
	struct pl_proc leader;

	return read_stat(trial.demo, &leader) == -1 || leader.start == trial.demo_start;
}

/* Is this process the trial's? Never one that started before the demo;
 * PIDs wrap around (pid_max may be 32768), so a match by number alone
 * could be a stranger's: a parent must be the very process we saw. */
static bool
is_trial_process(const struct pl_proc *proc, bool session_ours, bool check_environment)
{
	struct pl_proc parent;

	if (proc->start < trial.demo_start || proc->pid == getpid())
		return false;
	return (session_ours && proc->sid == trial.demo) ||
	       was_seen_exactly(proc->pid, proc->start) ||
	       (was_seen(proc->ppid) && read_stat(proc->ppid, &parent) == 0 &&
	        was_seen_exactly(parent.pid, parent.start)) ||
	       (check_environment && has_token(proc->pid));
}

/* Call FN for every process of the trial now in /proc. */
static void
for_each_trial_process(bool check_environment, void (*fn)(const struct pl_proc *, void *),
                       void *arg)
{
	DIR *dir = opendir("/proc");
	bool session_ours = session_is_ours();
	struct dirent *d;
	struct pl_proc proc;

	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (read_stat((pid_t)atol(d->d_name), &proc) == 0 &&
		    is_trial_process(&proc, session_ours, check_environment))
			fn(&proc, arg);
	}
	closedir(dir);
}

static void
remember_one(const struct pl_proc *proc, void *arg)
{
	(void)arg;
	remember(proc);
}

/* Note the trial's processes as they come and go; cheap enough to run
 * every SCAN_MS while the demo runs. */
static void
scan(void)
{
	for_each_trial_process(false, remember_one, NULL);
}

/* ------------------------------------------------------------------ */
/* What is left                                                         */

/* What look() does with each thing it finds. */
enum look_mode {
	LOOK_COUNT, /* count only */
	LOOK_PRINT, /* count and print */
	LOOK_REMOVE /* remove the names, once the processes are killed */
};

struct findings {
	enum look_mode mode;
	int left;    /* things that must not be there */
	int adopted; /* zombies now init's */
	pid_t live[SEEN_MAX];
	unsigned long long live_start[SEEN_MAX];
	int nlive;
};

/* KIND is "left" or "adopted". */
static void
found(struct findings *f, const char *kind, const char *what)
{
	if (strcmp(kind, "left") == 0)
		f->left++;
	else
		f->adopted++;
	if (f->mode == LOOK_PRINT)
		printf("%s: %s\n", kind, what);
}

static void
check_process(const struct pl_proc *proc, void *arg)
{
	struct findings *f = arg;
	struct pl_proc parent;
	char text[256];
	bool parent_known, parent_ours;

	remember(proc);
	parent_known = read_stat(proc->ppid, &parent) == 0;
	parent_ours = parent_known && is_trial_process(&parent, session_is_ours(), false);
	if (!parent_known)
		snprintf(parent.comm, sizeof(parent.comm), "?");
	/* A zombie whose parent is no process of ours was adopted: by init,
	 * or by a subreaper above the sweep. Reaping it is that parent's job. */
	if (proc->state == 'Z' && !parent_ours) {
		snprintf(text, sizeof(text), "zombie %ld (%s), parent %ld (%s)", (long)proc->pid,
		         proc->comm, (long)proc->ppid, parent.comm);
		found(f, "adopted", text);
		return;
	}
	snprintf(text, sizeof(text), "process %ld (%s), state %c, parent %ld, session %ld",
	         (long)proc->pid, proc->comm, proc->state, (long)proc->ppid, (long)proc->sid);
	found(f, "left", text);
	if (proc->state != 'Z' && f->nlive < SEEN_MAX) {
		f->live[f->nlive] = proc->pid;
		f->live_start[f->nlive] = proc->start;
		f->nlive++;
	}
}

/* Does NAME hold the demo's PID as a word of its own ("proclab-shm-1234",
 * not the "1234" in a random "a1234b")? Demos name their objects after
 * their main process. */
static bool
names_the_demo(const char *name)
{
	for (const char *p = name; *p != '\0';) {
		char *end;
		long n;

		if (!isdigit((unsigned char)*p) || (p > name && isalnum((unsigned char)p[-1]))) {
			p++;
			continue;
		}
		n = strtol(p, &end, 10);
		if (!isalnum((unsigned char)*end) && n == (long)trial.demo)
			return true;
		p = end;
	}
	return false;
}

/* Made since the trial started? File times come from a coarse clock that
 * may lag by a tick, hence the 20 ms of slack. */
static bool
made_during_trial(time_t sec, long nsec)
{
	double t = (double)sec + (double)nsec / 1e9;
	double t0 = (double)trial.started.tv_sec + (double)trial.started.tv_nsec / 1e9;

	return t >= t0 - 0.02;
}

/* Each entry of DIR: all of them when EVERYTHING. Else only the names the
 * demo would make: new, holding "proclab" and the demo's PID. PIDs wrap
 * (pid_max may be 32768), so a PID alone matches many a name, and the
 * machine's directories hold other tests' names too. Our own work
 * directory is not a find. */
static void
check_dir(struct findings *f, const char *dir, bool everything)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX * 2];
	struct stat st;
	size_t len;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = strlen(path);
		if (strncmp(trial.workdir, path, len) == 0 &&
		    (trial.workdir[len] == '\0' || trial.workdir[len] == '/'))
			continue;
		if (!everything && (strstr(e->d_name, "proclab") == NULL ||
		                    !names_the_demo(e->d_name) || lstat(path, &st) == -1 ||
		                    !made_during_trial(st.st_ctim.tv_sec, st.st_ctim.tv_nsec)))
			continue;
		found(f, "left", path);
		/* The trial's TMPDIR goes whole, with the rest of WORKDIR. */
		if (f->mode == LOOK_REMOVE && dir != trial.tmpdir && unlink(path) == -1 &&
		    errno == EISDIR)
			rmdir(path);
	}
	closedir(d);
}

/* Did a process of the trial last operate on semaphore set ID?
 * semctl(2) GETPID gives that PID for each semaphore of the set. */
static bool
semaphores_used_by_trial(int id, long nsems)
{
	for (long i = 0; i < nsems; i++) {
		int pid = semctl(id, (int)i, GETPID);

		if (pid > 0 && was_seen((pid_t)pid))
			return true;
	}
	return false;
}

/* The numbers of a line of /proc/sysvipc/KIND, in order. Returns how many. */
static int
split_numbers(const char *line, long long *numbers, int max)
{
	int n = 0;
	char *end;

	while (n < max) {
		long long v = strtoll(line, &end, 10);

		if (end == line)
			break;
		numbers[n++] = v;
		line = end;
	}
	return n;
}

/* System V objects, from /proc/sysvipc (which lists those of our IPC
 * namespace). In a namespace of our own, every one is the trial's.
 * Without one, an object counts if it was made or changed during the
 * trial, and a process of the trial made it or used it last: a segment by
 * its creator or last attacher, a queue by its last sender or receiver, a
 * semaphore set by its last semop(2). A set made and never used names no
 * process: that one is missed. The columns, from ipc/shm.c, msg.c, sem.c:
 *   shm: key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime
 *   msg: key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime
 *   sem: key semid perms nsems uid gid cuid cgid otime ctime */
static void
check_sysv(struct findings *f, const char *kind)
{
	char path[64], line[512], text[600];
	long long v[16];
	FILE *fp;
	bool shm = strcmp(kind, "shm") == 0, sem = strcmp(kind, "sem") == 0;
	bool ours;
	int id;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", kind);
	if ((fp = fopen(path, "re")) == NULL)
		return;
	if (fgets(line, sizeof(line), fp) == NULL) { /* the header */
		fclose(fp);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (split_numbers(line, v, 16) < (sem ? 10 : 14))
			continue;
		id = (int)v[1];
		if (trial.private_ipc)
			ours = true;
		else if (sem)
			ours = v[9] >= trial.started.tv_sec && /* whole seconds */
			       semaphores_used_by_trial(id, (long)v[3]);
		else
			ours = v[13] >= trial.started.tv_sec &&
			       (was_seen((pid_t)v[shm ? 4 : 5]) || was_seen((pid_t)v[shm ? 5 : 6]));
		if (!ours)
			continue;
		snprintf(text, sizeof(text), "System V %s id %d, key 0x%08llx", kind, id,
		         (unsigned long long)v[0]);
		found(f, "left", text);
		if (f->mode == LOOK_REMOVE && shm)
			shmctl(id, IPC_RMID, NULL);
		else if (f->mode == LOOK_REMOVE && sem)
			semctl(id, 0, IPC_RMID);
		else if (f->mode == LOOK_REMOVE)
			msgctl(id, IPC_RMID, NULL);
	}
	fclose(fp);
}

/* Look at everything once. */
static void
look(struct findings *f, enum look_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	for_each_trial_process(true, check_process, f);
	check_dir(f, "/dev/shm", trial.private_ipc);
	if (trial.mqdir[0] != '\0')
		check_dir(f, trial.mqdir, trial.private_ipc);
	check_sysv(f, "shm");
	check_sysv(f, "sem");
	check_sysv(f, "msg");
	check_dir(f, trial.tmpdir, true);
	check_dir(f, "/tmp", false);
	if (strcmp(trial.outer_tmp, "/tmp") != 0)
		check_dir(f, trial.outer_tmp, false);
}

/* SIGKILL what was left, through a pidfd: once it is open, the signal
 * reaches that process or none, even if the PID is reused meanwhile. The
 * start time read after opening it says it is still the process we saw. */
static void
kill_left(const struct findings *f)
{
	struct pl_proc proc;

	for (int i = 0; i < f->nlive; i++) {
#ifdef SYS_pidfd_open
		int fd = (int)syscall(SYS_pidfd_open, f->live[i], 0);

		if (fd == -1)
			continue; /* gone, or a kernel before 5.3: leave it */
		if (read_stat(f->live[i], &proc) == 0 && proc.start == f->live_start[i])
			syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
#else
		(void)proc;
#endif
	}
}

/* ------------------------------------------------------------------ */
/* The trial                                                            */

/* A mount and IPC namespace of our own, with fresh /dev/shm and mqueue
 * file systems (mount(2), mq_overview(7)). Needs CAP_SYS_ADMIN. Returns
 * false, having changed nothing, when unshare(2) is refused. */
static bool
make_private_ipc(void)
{
	struct stat st;

	if (geteuid() != 0 || unshare(CLONE_NEWNS | CLONE_NEWIPC) == -1)
		return false;
	/* Our mounts must not propagate back to the machine's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == -1) {
		perror("sweep-trial: a private /dev/shm");
		exit(3);
	}
	/* An mqueue mount shows the queues of the IPC namespace that mounted
	 * it. Where /dev/mqueue exists, the demo reads it: mount ours there. */
	if (stat("/dev/mqueue", &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(trial.mqdir, sizeof(trial.mqdir), "/dev/mqueue");
	else if (snprintf(trial.mqdir, sizeof(trial.mqdir), "%s/mqueue", trial.workdir) < 0 ||
	         mkdir(trial.mqdir, 0700) == -1) {
		perror("sweep-trial: mkdir mqueue");
		exit(3);
	}
	if (mount("mqueue", trial.mqdir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1) {
		perror("sweep-trial: mount mqueue");
		exit(3);
	}
	return true;
}

/* The child: a session of its own, the trial's environment, then PROGRAM. */
static void
start_program(char *argv[], const char *output)
{
	int fd;

	if (setsid() == -1)
		_exit(126);
	if (setenv("TMPDIR", trial.tmpdir, 1) == -1 || putenv(trial.token) != 0)
		_exit(126);
	if ((fd = open("/dev/null", O_RDONLY)) == -1 || dup2(fd, STDIN_FILENO) == -1)
		_exit(126);
	close(fd);
	if ((fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1 || dup2(fd, STDERR_FILENO) == -1)
		_exit(126);
	close(fd);
	execvp(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

/* Does the PID run PROGRAM itself yet? A libtool wrapper is a shell
 * script that execs .libs/lt-NAME (or .libs/NAME) under the same PID. */
static bool
runs_program(pid_t pid, const char *program)
{
	const char *name = strrchr(program, '/') ? strrchr(program, '/') + 1 : program;
	char exe[PATH_MAX];
	const char *base;

	if (pl_procfs_exe(pid, exe, sizeof(exe)) != 0)
		return false;
	base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	return strcmp(base, name) == 0 ||
	       (strncmp(base, "lt-", 3) == 0 && strcmp(base + 3, name) == 0);
}

/* Has it ended (a zombie, not yet reaped by us)? */
static bool
has_ended(pid_t pid)
{
	struct pl_proc proc;

	return read_stat(pid, &proc) == -1 || proc.state == 'Z';
}

int
main(int argc, char *argv[])
{
	int sig = 0, opt, status = 0, left;
	long delay_ms = 0, limit = 30;
	char output[PATH_MAX + 16], ended[128];
	struct findings f;
	struct sigaction sa;
	struct pl_proc proc;
	struct statfs fs;
	double t0, deadline, next_scan;
	bool want_private_ipc = true, ran, signalled = false, timed_out = false;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+s:d:t:p")) != -1) {
		switch (opt) {
		case 's':
			if (strcmp(optarg, "INT") == 0)
				sig = SIGINT;
			else if (strcmp(optarg, "KILL") == 0)
				sig = SIGKILL;
			else if (strcmp(optarg, "none") != 0)
				usage();
			break;
		case 'd':
			if (pl_parse_long(optarg, 0, 3600000, &delay_ms) == -1)
				usage();
			break;
		case 't':
			if (pl_parse_long(optarg, 1, 3600, &limit) == -1)
				usage();
			break;
		case 'p':
			want_private_ipc = false;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();

	if (realpath(argv[0], trial.workdir) == NULL) {
		perror(argv[0]);
		return 3;
	}
	snprintf(trial.tmpdir, sizeof(trial.tmpdir), "%s/tmp", trial.workdir);
	snprintf(output, sizeof(output), "%s/output", trial.workdir);
	if (mkdir(trial.tmpdir, 0700) == -1) {
		perror(trial.tmpdir);
		return 3;
	}
	trial.outer_tmp = getenv("TMPDIR");
	if (trial.outer_tmp == NULL || trial.outer_tmp[0] != '/')
		trial.outer_tmp = "/tmp";

	if (want_private_ipc)
		trial.private_ipc = make_private_ipc();
	/* Without a namespace, the machine's queues, where they are mounted. */
	if (!trial.private_ipc && statfs("/dev/mqueue", &fs) == 0 && fs.f_type == MQUEUE_MAGIC)
		snprintf(trial.mqdir, sizeof(trial.mqdir), "/dev/mqueue");

	/* Ctrl-C on the sweep does not reach the demo, in its own session:
	 * we take it down ourselves. The handler only sets a flag. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	clock_gettime(CLOCK_REALTIME, &trial.started);
	snprintf(trial.token, sizeof(trial.token), "PROCLAB_TEST_TOKEN=proclab-sweep-%ld-%lld%09ld",
	         (long)getpid(), (long long)trial.started.tv_sec, trial.started.tv_nsec);
	fflush(stdout);
	switch (trial.demo = fork()) {
	case -1:
		perror("sweep-trial: fork");
		return 3;
	case 0: /* Child */
		start_program(argv + 1, output);
	default: /* Parent */
		break;
	}

	/* Wait for PROGRAM itself to run: the delay counts from then. */
	t0 = pl_measure_now();
	while (!(ran = runs_program(trial.demo, argv[1])) && !has_ended(trial.demo) &&
	       !interrupted && pl_measure_now() - t0 < STARTUP_SECONDS)
		nap_ms(1);
	if (read_stat(trial.demo, &proc) == 0) {
		trial.demo_start = proc.start;
		remember(&proc);
	}

	/* Signal at the delay, and reap the demo; scan /proc meanwhile. */
	t0 = next_scan = pl_measure_now();
	deadline = t0 + (sig != 0 ? (double)delay_ms / 1000.0 : 0.0) + (double)limit;
	for (;;) {
		double now = pl_measure_now();

		if (interrupted || now > deadline) {
			timed_out = !interrupted;
			kill(trial.demo, SIGKILL); /* our own child, not yet reaped */
			killpg(trial.demo, SIGKILL);
			waitpid(trial.demo, &status, 0);
			break;
		}
		if (sig != 0 && !signalled && now - t0 >= (double)delay_ms / 1000.0) {
			scan(); /* who was there when the signal came */
			if (sig == SIGINT)
				killpg(trial.demo, SIGINT); /* the whole job, as Ctrl-C */
			else
				kill(trial.demo, SIGKILL); /* the parent only */
			signalled = true;
		}
		if (now >= next_scan) {
			scan();
			next_scan = now + SCAN_MS / 1000.0;
		}
		pid = waitpid(trial.demo, &status, WNOHANG);
		if (pid == trial.demo)
			break;
		if (pid == -1 && errno != EINTR) {
			perror("sweep-trial: waitpid");
			return 3;
		}
		nap_ms(POLL_MS);
	}
	if (interrupted) {
		fprintf(stderr, "sweep-trial: interrupted\n");
		return 3;
	}
	if (!ran && WIFEXITED(status) && WEXITSTATUS(status) >= 126) {
		fprintf(stderr, "sweep-trial: could not run %s\n", argv[1]);
		return 3;
	}
	pl_status_describe(status, ended, sizeof(ended));
	printf("names: %s\n",
	       trial.private_ipc
	               ? "each trial has a private /dev/shm, mqueue and System V namespace"
	               : "the machine's; a trial's hold \"proclab\" and the demo's PID");
	printf("ran %ld ms; ", ms_since(t0));
	if (sig == 0)
		printf("no signal; ");
	else
		printf("%s%s at %ld ms; ", signalled ? "" : "ended before ", pl_signal_name(sig),
		       delay_ms);
	printf("demo: %s; processes seen: %d\n", ended, nseen);
	if (timed_out)
		printf("left: the demo itself, still running %ld s after %s\n", limit,
		       signalled ? "the signal" : "it started");

	/* What is left: give it GRACE_SECONDS to go, polling. */
	t0 = pl_measure_now();
	for (;;) {
		scan();
		look(&f, LOOK_COUNT);
		if (f.left == 0 || interrupted || pl_measure_now() - t0 > GRACE_SECONDS)
			break;
		nap_ms(POLL_MS * 2);
	}
	look(&f, LOOK_PRINT);
	left = f.left;
	/* Leave the machine as we found it: without a namespace of our own,
	 * nobody else would remove them. */
	kill_left(&f);
	look(&f, LOOK_REMOVE);
	return left > 0 || timed_out ? 1 : 0;
}
