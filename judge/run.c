/* run.c - one run of a student's program, under observation (run.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <pwd.h>

#include "pl_measure.h"
#include "pl_model.h"
#include "pl_procfs.h"
#include "pl_waitfor.h"
#include "run.h"

#define SNAPSHOT_EVERY 0.02 /* seconds between two looks at the tree */
#define ORPHAN_GRACE 0.05 /* after the main process ends: for children already ending */
#define MAX_ARGS 64

int
judge_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static void
note(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Add a line to a note, as long as there is room. */
static void
note(char *buf, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 4 >= JUDGE_NOTE)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, JUDGE_NOTE - used, fmt, ap);
	va_end(ap);
	used = strlen(buf);
	if (used + 1 < JUDGE_NOTE) {
		buf[used] = '\n';
		buf[used + 1] = '\0';
	}
}

/* Split LINE on blanks into ARGV (no shell: no quoting, no expansion). */
static int
split(char *line, char **argv)
{
	int n = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (n == MAX_ARGS - 1)
			return -1;
		argv[n++] = w;
	}
	argv[n] = NULL;
	return n > 0 ? 0 : -1;
}

/* ---- what a run leaves behind ------------------------------------------- */

/* The names in DIR (one a line, sorted by nothing), or NULL. */
static char *
list_dir(const char *dir)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	DIR *d;
	struct dirent *e;

	if (f == NULL)
		return NULL;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				fprintf(f, "%s\n", e->d_name);
		closedir(d);
	}
	fclose(f);
	return text;
}

/* The System V objects: "shm ID", "sem ID", "msg ID" lines. */
static char *
list_sysv(void)
{
	static const char *const kinds[] = { "shm", "sem", "msg" };
	char *text = NULL, line[512], path[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	for (size_t k = 0; k < 3; k++) {
		FILE *in;
		snprintf(path, sizeof(path), "/proc/sysvipc/%s", kinds[k]);
		if ((in = fopen(path, "re")) == NULL)
			continue;
		if (fgets(line, sizeof(line), in) != NULL) /* the header */
			while (fgets(line, sizeof(line), in) != NULL) {
				long key, id;
				if (sscanf(line, "%ld %ld", &key, &id) == 2)
					fprintf(f, "%s %ld\n", kinds[k], id);
			}
		fclose(in);
	}
	fclose(f);
	return text;
}

struct world {
	char *shm, *mqueue, *sysv;
};

static void
world_take(struct world *w)
{
	w->shm = list_dir("/dev/shm");
	w->mqueue = list_dir("/dev/mqueue");
	w->sysv = list_sysv();
}

static void
world_free(struct world *w)
{
	free(w->shm);
	free(w->mqueue);
	free(w->sysv);
	memset(w, 0, sizeof(*w));
}

static bool
has_line(const char *text, const char *line, size_t n)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && memcmp(p, line, n) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/* Count and note the lines of AFTER that BEFORE does not have; remove
 * them with REMOVE (what the run left, the judge does not keep). */
static long
new_lines(const char *before, const char *after, const char *what, char *buf,
          void (*remove)(const char *line))
{
	long n = 0;

	for (const char *p = after; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];

		if (len > 0 && len < sizeof(line) && !has_line(before, p, len)) {
			memcpy(line, p, len);
			line[len] = '\0';
			note(buf, "left behind: %s %s", what, line);
			if (remove != NULL)
				remove(line);
			n++;
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

static void
remove_shm(const char *name)
{
	char path[600];
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	unlink(path);
}

static void
remove_mqueue(const char *name)
{
	char path[600];
	snprintf(path, sizeof(path), "/dev/mqueue/%s", name);
	unlink(path);
}

static void
remove_sysv(const char *line)
{
	char kind[8];
	int id;

	if (sscanf(line, "%7s %d", kind, &id) != 2)
		return;
	if (strcmp(kind, "shm") == 0)
		shmctl(id, IPC_RMID, NULL);
	else if (strcmp(kind, "sem") == 0)
		semctl(id, 0, IPC_RMID);
	else
		msgctl(id, IPC_RMID, NULL);
}

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* What is left in the run's private TMPDIR: note it, then remove it all. */
static long
tmp_left(const char *tmp, char *buf)
{
	char *names = list_dir(tmp);
	long n = new_lines("", names ? names : "", "temp file", buf, NULL);

	free(names);
	nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return n;
}

/* ---- isolation -------------------------------------------------------- */

/* What the run's first process could make its own, before exec. */
enum {
	ISO_IPC = 1, /* an IPC namespace: its System V objects and queues */
	ISO_SHM = 2, /* a /dev/shm of its own (a tmpfs), with its queues at .mqueue */
};

#define MQUEUE_DIR "/dev/shm/.mqueue" /* hidden: list_dir skips dot names */

/* In the run's first process, before exec: its own IPC namespace, and in a
 * mount namespace of its own a tmpfs on /dev/shm, with an mqueue file
 * system (the queues of that IPC namespace) mounted inside it. Needs
 * CAP_SYS_ADMIN. Our mounts must not reach the machine's namespace: the
 * mount they are made on is made private first, "/" or, in a chroot where
 * "/" is no mount point, /dev/shm's own. Returns the ISO_ bits it got. */
static int
isolate(void)
{
	if (unshare(CLONE_NEWIPC | CLONE_NEWNS) == -1)
		return 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 &&
	    mount(NULL, "/dev/shm", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return ISO_IPC;
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == -1)
		return ISO_IPC;
	if (mkdir(MQUEUE_DIR, 0700) == -1 ||
	    mount("mqueue", MQUEUE_DIR, "mqueue", MS_NOSUID | MS_NODEV, NULL) == -1)
		return ISO_IPC;
	return ISO_IPC | ISO_SHM;
}

/* The names in the folder open as FD (not closed), one a line. */
static char *
list_fd(int fd)
{
	int copy = dup(fd);
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	DIR *d;
	struct dirent *e;

	if (copy == -1 || (f = open_memstream(&text, &len)) == NULL) {
		if (copy != -1)
			close(copy);
		return NULL;
	}
	if ((d = fdopendir(copy)) != NULL) {
		rewinddir(d);
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				fprintf(f, "%s\n", e->d_name);
		closedir(d);
	} else {
		close(copy);
	}
	fclose(f);
	return text;
}

/* The System V objects of the IPC namespace IPC_NS: a child joins it
 * (setns) and reads /proc/sysvipc, which shows the reader's namespace. */
static char *
list_sysv_in(int ipc_ns)
{
	int fd[2];
	char *text = NULL, buf[4096];
	size_t len = 0;
	ssize_t n;
	FILE *f;
	pid_t pid;

	if (pipe2(fd, O_CLOEXEC) == -1)
		return NULL;
	switch (pid = fork()) {
	case -1:
		close(fd[0]);
		close(fd[1]);
		return NULL;
	case 0: {
		char *mine;
		close(fd[0]);
		if (setns(ipc_ns, CLONE_NEWIPC) == -1 || (mine = list_sysv()) == NULL)
			_exit(1);
		_exit(write(fd[1], mine, strlen(mine)) == -1);
	}
	}
	close(fd[1]);
	if ((f = open_memstream(&text, &len)) != NULL) {
		while ((n = read(fd[0], buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, f);
		fclose(f);
	}
	close(fd[0]);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	return text;
}

/* What the isolated run left: its namespaces are held open by the judge's
 * descriptors (its /dev/shm, its queues, its IPC namespace) until now;
 * everything listed goes away when they are closed. */
static void
inspect_isolated(int shm_fd, int mq_fd, int ipc_ns, struct judge_obs *obs)
{
	char *shm = list_fd(shm_fd), *mq = list_fd(mq_fd), *sysv = list_sysv_in(ipc_ns);

	obs->leaked_shm = new_lines("", shm, "shm", obs->leak_note, NULL);
	obs->leaked_mqueue = new_lines("", mq, "queue", obs->leak_note, NULL);
	obs->leaked_sysv = new_lines("", sysv, "System V", obs->leak_note, NULL);
	free(shm);
	free(mq);
	free(sysv);
}

/* ---- the run ------------------------------------------------------------ */

/* The first process of the run, between fork and exec. Reports on STATUS
 * (close-on-exec): one byte, '0' plus the ISO_ bits it got, once set up, and
 * then, if exec fails, its errno. Waits on GO before exec, so the judge
 * can hold its namespaces first. */
static _Noreturn void
start_child(const struct judge_spec *spec, const struct judge_run_opts *opts, char **argv,
            const char *tmp, int out, int err, int status, int go)
{
	struct rlimit rl;
	char flag, byte;
	int in, e;

	setsid();
	flag = (char)('0' + (geteuid() == 0 ? isolate() : 0));
	if (write(status, &flag, 1) != 1 || read(go, &byte, 1) != 1)
		_exit(126);
	close(go);
	signal(SIGPIPE, SIG_DFL);
	if (opts->pin) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
	setenv("TMPDIR", tmp, 1);
	if (chdir(opts->dir) == -1)
		goto fail;
	if (spec->stdin_file[0] != '\0') {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof(path), "%s/%s", spec->dir, spec->stdin_file);
		in = open(path, O_RDONLY);
	} else {
		in = open("/dev/null", O_RDONLY);
	}
	if (in == -1 || dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		goto fail;
	/* Only 0, 1 and 2 go on, and the report on fd 3 until exec: the fds
	 * check looks at what the program opens, not at what the judge had. */
	if (status != 3 && dup3(status, 3, O_CLOEXEC) == -1)
		goto fail;
	status = 3;
	closefrom(4);
	if (opts->as_user) {
		/* The student's code runs as an unprivileged user, with the
		 * process cap of RLIMIT_NPROC as a second fence. */
		rl.rlim_cur = rl.rlim_max = (rlim_t)spec->limits.processes;
		setrlimit(RLIMIT_NPROC, &rl);
		if (setgroups(0, NULL) == -1 || setgid(opts->gid) == -1 || setuid(opts->uid) == -1)
			goto fail;
	}
	/* The limits last, just before exec: under RLIMIT_AS the judge's own
	 * code in this child could not allocate (a sanitizer's runtime maps
	 * memory for every call it intercepts). */
	rl.rlim_cur = rl.rlim_max = (rlim_t)spec->limits.files;
	setrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	rl.rlim_cur = (rlim_t)spec->limits.cpu;
	rl.rlim_max = rl.rlim_cur + 1;
	setrlimit(RLIMIT_CPU, &rl);
	rl.rlim_cur = rl.rlim_max = spec->limits.memory;
	setrlimit(RLIMIT_AS, &rl);
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(status, &e, sizeof(e)) != (ssize_t)sizeof(e))
		_exit(126);
	_exit(e == ENOENT ? 127 : 126);
}

/* Read what is there on FD into *BUF (at most LIMIT kept); false at EOF. */
static bool
drain(int fd, char **buf, size_t *n, size_t limit, bool *over)
{
	char chunk[65536];
	ssize_t got;

	while ((got = read(fd, chunk, sizeof(chunk))) > 0) {
		size_t keep = (size_t)got;
		if (*n + keep > limit) {
			keep = limit - *n;
			*over = true;
		}
		if (keep > 0) {
			char *bigger = realloc(*buf, *n + keep + 1);
			if (bigger == NULL)
				return false;
			*buf = bigger;
			memcpy(*buf + *n, chunk, keep);
			*n += keep;
			(*buf)[*n] = '\0';
		}
	}
	return got != 0;
}

/* The CPU time (ns) every task of PID has had: /proc/PID/task/T/schedstat. */
static unsigned long long
runtime_of(pid_t pid)
{
	char path[64], text[128];
	unsigned long long sum = 0;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char file[600];
		int fd;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/schedstat", path, e->d_name);
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n > 0) {
			text[n] = '\0';
			sum += strtoull(text, NULL, 10);
		}
	}
	closedir(d);
	return sum;
}

static bool
allowed(const struct judge_run_opts *o, int fd)
{
	for (size_t i = 0; i < o->nallow; i++)
		if (o->allow_fds[i] == fd)
			return true;
	return false;
}

static bool
has_pid(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* How many of P's tasks are running or waiting for a CPU: state R. */
static long
runnable_tasks(const struct pl_model_proc *p)
{
	long n = 0;

	if (p->nthreads == 0)
		return p->state == 'R';
	for (size_t t = 0; t < p->nthreads; t++)
		n += p->threads[t].state == 'R';
	return n;
}

/* Descriptors of PID beyond those allowed, noted once per process. */
static void
look_at_fds(const struct judge_run_opts *o, const struct pl_model_proc *p, struct judge_obs *obs)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	long before = obs->bad_fds;

	if (has_pid(obs->fd_pids, obs->nfd_pids, p->pid))
		return;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)p->pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char target[256], info[32];
		unsigned long long flags;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (allowed(o, fd))
			continue;
		/* Close-on-exec (fdinfo's flags, proc(5)): it was not inherited
		 * through exec, the program opened it since. The loader and
		 * the C library open theirs so while a program starts, and a
		 * look may fall just then. A descriptor with no fdinfo, or no
		 * target, was closed since the listing: it is not held (the C
		 * library closes a locale file and opens the next on the same
		 * number, and its flags were once read in between). */
		snprintf(info, sizeof(info), "fdinfo/%d", fd);
		if (pl_procfs_number(p->pid, info, "flags", 8, &flags) != 0 || (flags & O_CLOEXEC))
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		obs->bad_fds++;
		note(obs->fd_note, "%ld (%s) holds fd %d -> %s", (long)p->pid, p->comm, fd, target);
	}
	closedir(d);
	if (obs->bad_fds > before && obs->nfd_pids < sizeof(obs->fd_pids) / sizeof(obs->fd_pids[0]))
		obs->fd_pids[obs->nfd_pids++] = p->pid;
}

/* PID's command line, its arguments joined by blanks, or its comm. */
static void
command_line(pid_t pid, const char *comm, char *buf, size_t size)
{
	char path[64];
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(buf, size, "%s", comm);
		return;
	}
	buf[n] = '\0';
	if (buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	/* Another user's bytes: nothing that could drive a terminal. */
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
}

static void
add_pid(struct judge_obs *obs, pid_t pid)
{
	for (size_t i = 0; i < obs->npids; i++)
		if (obs->pids[i] == pid)
			return;
	pid_t *more = realloc(obs->pids, (obs->npids + 1) * sizeof(*more));
	if (more == NULL)
		return;
	obs->pids = more;
	obs->pids[obs->npids++] = pid;
}

/* The judge's own children, into PIDS (at most MAX); returns how many
 * there are. They are read from the kernel's list, the judge's
 * /proc/self/task/TID/children (proc(5); CONFIG_PROC_CHILDREN), and not
 * with pl_procfs_children(), which reads the stat of every process on the
 * machine to find them: at each look, 50 times a second, that was most of
 * the judge's own CPU (docs/judge-bench.md). proc(5) warns that the list
 * may miss a child that comes or goes while it is read. Ours go only when
 * this thread reaps them, and an orphan adopted meanwhile is put at the
 * end of the list, where the next look finds it. */
static int
own_children(pid_t *pids, int max)
{
	char path[64], buf[4096];
	long pid = -1;
	int fd, count = 0;
	ssize_t got;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return pl_procfs_children(getpid(), pids, (size_t)max);
	/* "123 456 ": numbers may straddle two reads. */
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = (pid < 0 ? 0 : pid * 10) + (buf[i] - '0');
			} else if (pid >= 0) {
				if (count < max)
					pids[count] = (pid_t)pid;
				count++;
				pid = -1;
			}
		}
	if (pid >= 0) {
		if (count < max)
			pids[count] = (pid_t)pid;
		count++;
	}
	close(fd);
	return count;
}

/* Every task's state and wait channel, and the cycles: why it is stuck. */
static void
describe_stuck(const struct pl_model *m, char *buf)
{
	buf[0] = '\0';
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct pl_model_proc *p = &m->procs[i];

		if (p->gone_at >= 0 || p->state == 'Z')
			continue;
		if (p->nthreads > 1)
			for (size_t t = 0; t < p->nthreads; t++)
				note(buf, "%ld (%s) thread %ld: %s in %s", (long)p->pid, p->comm,
				     (long)p->threads[t].tid, pl_procfs_state_name(p->threads[t].state),
				     p->threads[t].wchan[0] ? p->threads[t].wchan : "?");
		else
			note(buf, "%ld (%s): %s in %s", (long)p->pid, p->comm,
			     pl_procfs_state_name(p->state), p->wchan[0] ? p->wchan : "?");
	}
	for (size_t c = 0; c < m->ncycles; c++) {
		char cycle[512];
		pl_waitfor_describe(&m->cycles[c], cycle, sizeof(cycle));
		note(buf, "deadlock: %s", cycle);
	}
}

/* Kill everything the run started. Each of our children is killed with
 * its process group; a killed process's children then become ours (we are
 * their subreaper), and the next round gets them.
 *
 * Every signal here goes to our own unreaped child, or to the group that
 * such a child leads, so kill(2) is safe and no pidfd is needed: the
 * kernel gives a PID to nobody else until its process has been reaped,
 * and a group's ID is its leader's PID. Nothing else is reaped between
 * listing our children and signalling them: the reaping is ours, below.
 * ROOT_GROUP is the main process's group, given only while the main
 * process is unreaped (else 0): once reaped, its number may belong to a
 * stranger's new group, and its old group's members come to us anyway. */
static void
kill_everything(pid_t root_group)
{
	double deadline = pl_measure_now() + 5.0;

	if (root_group > 0)
		kill(-root_group, SIGKILL);
	while (pl_measure_now() < deadline) {
		pid_t kids[256];
		int n = pl_procfs_children(getpid(), kids, 256);

		for (int i = 0; i < n && i < 256; i++) {
			struct pl_proc p;
			if (pl_procfs_read(kids[i], &p) == 0 && p.pgid == kids[i])
				kill(-kids[i], SIGKILL);
			kill(kids[i], SIGKILL);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD)
			return;
		usleep(2000);
	}
}

/* Seconds the CPUs this judge may run on (its affinity, which the run
 * inherits) have spent busy since boot, from the "cpuN" lines of
 * /proc/stat (proc(5)): user, nice, system, irq, softirq and steal, in
 * USER_HZ ticks. Guest time is not added: the kernel already counts it in
 * user (and guest_nice in nice). iowait is idle time: the CPU had nothing
 * to run. Steal is time a hypervisor gave the CPU to another machine:
 * lost to us as surely as a busy neighbour. Returns 0, or -1 if there is
 * no /proc/stat to read. */
static int
cpus_busy(double *seconds)
{
	cpu_set_t mine;
	char line[512];
	unsigned long long busy = 0;
	long hz = sysconf(_SC_CLK_TCK);
	bool any = false;
	FILE *f;

	if (sched_getaffinity(0, sizeof(mine), &mine) == -1)
		memset(&mine, 0xff, sizeof(mine)); /* every CPU */
	if (hz <= 0 || (f = fopen("/proc/stat", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long user, nice, system, idle, iowait, irq, softirq, steal = 0;
		unsigned cpu;
		/* "cpu  ..." (every CPU) does not match: it has no number. */
		int n = sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &user,
		               &nice, &system, &idle, &iowait, &irq, &softirq, &steal);

		if (n < 8 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &mine))
			continue;
		busy += user + nice + system + irq + softirq + steal;
		any = true;
	}
	fclose(f);
	if (!any)
		return -1;
	*seconds = (double)busy / (double)hz;
	return 0;
}

static double
rusage_seconds(const struct rusage *r)
{
	return (double)r->ru_utime.tv_sec + (double)r->ru_stime.tv_sec +
	       (double)(r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e6;
}

int
judge_run(const struct judge_spec *spec, const struct judge_run_opts *opts, struct judge_obs *obs)
{
	char line[JUDGE_TEXT], *argv[MAX_ARGS], tmp[PATH_MAX], flag = '0';
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, status[2] = { -1, -1 }, go[2] = { -1, -1 };
	int ipc_ns = -1, shm_fd = -1, mq_fd = -1, exec_errno = 0;
	struct world before = { 0 }, after = { 0 };
	struct pl_model m;
	struct rusage r0, r1;
	double busy0 = 0, busy1 = 0;
	bool out_open = true, err_open = true, model = false;
	double start, last_progress, root_end = -1, last_look = -1;
	unsigned long long last_runtime = 0;
	long last_alive = -1;
	size_t last_output = 0;
	pid_t root;

	memset(obs, 0, sizeof(*obs));
	obs->min_processes_seen = -1;
	snprintf(line, sizeof(line), "%s", opts->run);
	if (split(line, argv) == -1) {
		errno = EINVAL;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/proclab-judge.XXXXXX",
	         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmp) == NULL)
		return -1;
	if (opts->as_user && chown(tmp, opts->uid, opts->gid) == -1)
		goto fail;
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) == -1 || pipe2(err, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    pipe2(status, O_CLOEXEC) == -1 || pipe2(go, O_CLOEXEC) == -1)
		goto fail;
	/* The child's ends must block as ordinary stdout and stderr do. */
	fcntl(out[1], F_SETFL, 0);
	fcntl(err[1], F_SETFL, 0);
	world_take(&before);
	/* What the machine's CPUs and the run have used so far: at the end,
	 * the rest is what others used meanwhile (parallel). The judge is one
	 * of those others: its CPU, too, is taken from the run's. */
	obs->others_known = cpus_busy(&busy0) == 0;
	getrusage(RUSAGE_CHILDREN, &r0);
	start = pl_measure_now();
	switch (root = fork()) {
	case -1:
		goto fail;
	case 0:
		close(out[0]);
		close(err[0]);
		close(status[0]);
		close(go[1]);
		start_child(spec, opts, argv, tmp, out[1], err[1], status[1], go[0]);
	default:
		break;
	}
	close(out[1]);
	close(err[1]);
	close(status[1]);
	close(go[0]);
	out[1] = err[1] = status[1] = go[0] = -1;
	add_pid(obs, root); /* for masking, even if it ends before a look */
	/* Set up; hold its namespaces before it runs anything. */
	/* Hold its namespaces before it runs anything: its /dev/shm and its
	 * queues, seen through its root (a chroot's too), and its IPC
	 * namespace. While the judge holds them, they outlive the run. */
	if (read(status[0], &flag, 1) == 1 && ((flag - '0') & ISO_SHM)) {
		char path[128];
		snprintf(path, sizeof(path), "/proc/%ld/root/dev/shm", (long)root);
		shm_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%ld/root" MQUEUE_DIR, (long)root);
		mq_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", (long)root);
		ipc_ns = open(path, O_RDONLY | O_CLOEXEC);
		obs->isolated = shm_fd != -1 && mq_fd != -1 && ipc_ns != -1;
	} else if ((flag - '0') & ISO_IPC) {
		/* Its queues and System V objects are its own, and the judge
		 * cannot list them: say so rather than pass them unseen. */
		note(obs->leak_note, "queues and System V objects not checked: the run's IPC "
		                     "namespace has no file system the judge can list");
	}
	if (write(go[1], "g", 1) != 1)
		kill(root, SIGKILL); /* not reaped yet: surely ours */
	close(go[1]);
	go[1] = -1;
	/* EOF: exec worked. An int: it did not, and this is why. */
	obs->started = read(status[0], &exec_errno, sizeof(exec_errno)) != (ssize_t)sizeof(exec_errno);
	if (!obs->started)
		snprintf(obs->start_error, sizeof(obs->start_error), "cannot run %s: %s", argv[0],
		         strerror(exec_errno));
	close(status[0]);
	status[0] = -1;

	if (pl_model_init(&m, "/proc", root) == 0) {
		model = true;
		m.threads = opts->threads;
		m.ipc = opts->locks;
	}
	last_progress = start;
	for (;;) {
		struct pollfd pfd[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
		double now = pl_measure_now();
		int wstatus;
		pid_t pid;

		if (out_open || err_open)
			poll(pfd, 2, 10);
		else
			usleep(10000);
		if (out_open)
			out_open = drain(out[0], &obs->out, &obs->nout, spec->limits.output, &obs->out_over);
		if (err_open)
			err_open = drain(err[0], &obs->err, &obs->nerr, spec->limits.output, &obs->err_over);
		/* Reap: the main process, and orphans that came back to us. A
		 * zombie that comes back was never reaped by its parent: its
		 * parent exited first and left it. The parent is the one it had
		 * when it died: by now it may be ours, as its orphan. */
		while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
			struct pl_model_proc *left = model ? pl_model_find(&m, pid) : NULL;

			if (pid != root && left != NULL && left->state == 'Z' &&
			    left->zombie_ppid != getpid()) {
				obs->zombies_at_end++;
				note(obs->left_note, "%ld (%s) was never reaped: its parent %ld exited first",
				     (long)pid, left->comm, (long)left->zombie_ppid);
			}
			if (pid == root) {
				obs->status = wstatus;
				obs->ended = true;
				root_end = now;
				obs->wall = now - start;
				if (model)
					pl_model_root_reaped(&m, wstatus);
			}
		}
		if (model && (last_look < 0 || now - last_look >= SNAPSHOT_EVERY)) {
			long alive = 0, threads = 0, runnable = 0;
			unsigned long long runtime = 0;
			bool running = false;

			last_look = now;
			pl_model_refresh(&m, now - start);
			for (size_t i = 0; i < m.nprocs; i++) {
				struct pl_model_proc *p = &m.procs[i];
				struct pl_model_proc *parent;

				add_pid(obs, p->pid);
				if (p->gone_at >= 0)
					continue;
				alive++;
				if (p->depth + 1 > obs->max_depth)
					obs->max_depth = p->depth + 1;
				if (p->state == 'Z') {
					double unreaped = (now - start) - p->zombie_since;
					parent = pl_model_find(&m, p->ppid);
					if (p->zombie_since >= 0 && parent != NULL && parent->gone_at < 0 &&
					    parent->state != 'Z' && unreaped > obs->zombie_worst) {
						obs->zombie_worst = unreaped;
						obs->zombie_note[0] = '\0';
						note(obs->zombie_note,
						     "%ld (%s) stayed a zombie %.0f ms while its parent %ld (%s) lived",
						     (long)p->pid, p->comm, unreaped * 1000, (long)parent->pid,
						     parent->comm);
					}
					continue;
				}
				threads += p->tasks > 0 ? p->tasks : 1;
				running |= p->state == 'R';
				runnable += runnable_tasks(p);
				runtime += runtime_of(p->pid);
				if (opts->check_fds && p->pid != root && obs->bad_fds < 16 &&
				    p->first_ppid != 0) {
					/* After exec (its name is no longer its parent's). */
					parent = pl_model_find(&m, p->first_ppid);
					if (parent == NULL || strcmp(parent->comm, p->comm) != 0)
						look_at_fds(opts, p, obs);
				}
			}
			/* Orphans the model never saw: their parent died between two
			 * looks, and they came to us. */
			pid_t kids[64];
			int nk = own_children(kids, 64);
			for (int i = 0; i < nk && i < 64; i++)
				if (kids[i] != root && pl_model_find(&m, kids[i]) == NULL) {
					struct pl_proc p;
					if (pl_procfs_read(kids[i], &p) == 0 && p.state != 'Z') {
						alive++;
						threads += p.threads > 0 ? p.threads : 1;
						/* Below the main process: 2 deep at least. */
						if (obs->max_depth < 2)
							obs->max_depth = 2;
						add_pid(obs, kids[i]);
					}
				}
			if (root_end < 0) {
				obs->runnable += (double)runnable;
				obs->runnable_looks++;
			}
			if (alive > obs->max_processes)
				obs->max_processes = alive;
			if (threads > obs->max_threads)
				obs->max_threads = threads;
			if (alive > spec->limits.processes) {
				obs->forkbomb = true;
				break;
			}
			/* Progress: CPU time, output, or processes coming and going. */
			if (runtime != last_runtime || obs->nout + obs->nerr != last_output ||
			    alive != last_alive || running) {
				last_progress = now;
				last_runtime = runtime;
				last_output = obs->nout + obs->nerr;
				last_alive = alive;
			} else if (alive > 0 && now - last_progress >= opts->stuck_after && !obs->stuck) {
				obs->stuck = true;
				describe_stuck(&m, obs->stuck_note);
				break;
			}
			/* The main process is gone: what still runs is an orphan. */
			if (root_end >= 0 && now - root_end >= ORPHAN_GRACE) {
				for (size_t i = 0; i < m.nprocs; i++) {
					struct pl_model_proc *p = &m.procs[i];
					if (p->gone_at < 0 && p->state != 'Z' && p->pid != root) {
						char cmd[256];
						command_line(p->pid, p->comm, cmd, sizeof(cmd));
						obs->orphans++;
						note(obs->orphan_note, "%ld (%s) still ran after the main process ended",
						     (long)p->pid, cmd);
					}
				}
				for (int i = 0; i < nk && i < 64; i++)
					if (kids[i] != root && pl_model_find(&m, kids[i]) == NULL) {
						char cmd[256];
						command_line(kids[i], "?", cmd, sizeof(cmd));
						obs->orphans++;
						note(obs->orphan_note, "%ld (%s) still ran after the main process ended",
						     (long)kids[i], cmd);
					}
				break;
			}
		}
		if (obs->out_over || obs->err_over)
			break;
		if (now - start >= spec->limits.wall) {
			obs->busy_at_end = now - last_progress < opts->stuck_after;
			if (!obs->busy_at_end && model && !obs->stuck) {
				obs->stuck = true;
				describe_stuck(&m, obs->stuck_note);
			}
			break;
		}
	}
	if (!obs->ended)
		obs->wall = pl_measure_now() - start;
	if (obs->runnable_looks > 0)
		obs->runnable /= (double)obs->runnable_looks;
	if (obs->started && obs->max_processes == 0)
		obs->max_processes = obs->max_threads = obs->max_depth = 1; /* ended before a look */
	kill_everything(obs->ended ? 0 : root);
	if (!obs->ended) {
		/* kill_everything reaped it; its status is lost to us, and it did
		 * not end by itself: it was stopped. */
		obs->status = W_EXITCODE(0, SIGKILL);
	}
	if (out_open)
		drain(out[0], &obs->out, &obs->nout, spec->limits.output, &obs->out_over);
	if (err_open)
		drain(err[0], &obs->err, &obs->nerr, spec->limits.output, &obs->err_over);
	/* Every process of the run is reaped by now (kill_everything), so
	 * its CPU time is in the judge's children's, its children's in
	 * theirs (getrusage(2)). */
	getrusage(RUSAGE_CHILDREN, &r1);
	obs->cpu = rusage_seconds(&r1) - rusage_seconds(&r0);
	if (obs->others_known && cpus_busy(&busy1) == 0) {
		double window = pl_measure_now() - start;
		double others = (busy1 - busy0) - obs->cpu;

		/* The ticks of /proc/stat are sampled, rusage is not: a short
		 * run can come out a little below zero. */
		obs->others = window > 0 && others > 0 ? others / window : 0;
	} else {
		obs->others_known = false;
	}
	if (model)
		pl_model_free(&m);

	/* What it left behind. */
	if (obs->isolated) {
		inspect_isolated(shm_fd, mq_fd, ipc_ns, obs);
	} else {
		world_take(&after);
		obs->leaked_shm = new_lines(before.shm, after.shm, "shm", obs->leak_note, remove_shm);
		obs->leaked_mqueue =
		        new_lines(before.mqueue, after.mqueue, "queue", obs->leak_note, remove_mqueue);
		obs->leaked_sysv =
		        new_lines(before.sysv, after.sysv, "System V", obs->leak_note, remove_sysv);
	}
	obs->leaked_tmp = tmp_left(tmp, obs->leak_note);
	world_free(&before);
	world_free(&after);
	if (ipc_ns != -1)
		close(ipc_ns);
	if (shm_fd != -1)
		close(shm_fd);
	if (mq_fd != -1)
		close(mq_fd);
	close(out[0]);
	close(err[0]);
	return 0;
fail: {
	int saved = errno;
	for (int i = 0; i < 2; i++) {
		if (out[i] != -1)
			close(out[i]);
		if (err[i] != -1)
			close(err[i]);
		if (status[i] != -1)
			close(status[i]);
		if (go[i] != -1)
			close(go[i]);
	}
	rmdir(tmp);
	world_free(&before);
	errno = saved;
	return -1;
}
}

void
judge_obs_free(struct judge_obs *obs)
{
	free(obs->out);
	free(obs->err);
	free(obs->pids);
	memset(obs, 0, sizeof(*obs));
}

int
judge_shell(const char *line, const char *dir, double seconds, const struct judge_run_opts *as,
            char **output, bool *timed_out)
{
	int fd[2], wstatus = -1;
	char *buf = NULL;
	size_t n = 0;
	bool over = false, open_ = true;
	double deadline = pl_measure_now() + seconds;
	pid_t pid;

	*output = NULL;
	*timed_out = false;
	if (pipe2(fd, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	switch (pid = fork()) {
	case -1:
		close(fd[0]);
		close(fd[1]);
		return -1;
	case 0:
		setsid();
		fcntl(fd[1], F_SETFL, 0);
		if (chdir(dir) == -1 || dup2(fd[1], 1) == -1 || dup2(fd[1], 2) == -1)
			_exit(126);
		/* The build reads the student's files, and may run their
		 * Makefile: as root it would show root's files through the
		 * compiler's errors (#include "/etc/shadow"). */
		if (as->as_user &&
		    (setgroups(0, NULL) == -1 || setgid(as->gid) == -1 || setuid(as->uid) == -1)) {
			dprintf(1, "cannot become user %ld: %s\n", (long)as->uid, strerror(errno));
			_exit(126);
		}
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	default:
		break;
	}
	close(fd[1]);
	for (;;) {
		struct pollfd p = { fd[0], POLLIN, 0 };
		pid_t done;

		if (open_) {
			poll(&p, 1, 20);
			open_ = drain(fd[0], &buf, &n, 64 * 1024, &over);
		} else {
			usleep(10000);
		}
		if ((done = waitpid(pid, &wstatus, WNOHANG)) == pid && !open_)
			break;
		if (done == pid) {
			drain(fd[0], &buf, &n, 64 * 1024, &over);
			break;
		}
		if (pl_measure_now() > deadline) {
			*timed_out = true;
			/* Its session's group: it leads it, and is not reaped yet. */
			kill(-pid, SIGKILL);
			while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
				;
			break;
		}
	}
	close(fd[0]);
	*output = buf;
	return wstatus;
}
