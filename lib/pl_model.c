/* pl_model.c - the model of a watched tree of processes: snapshot, tree,
 * adoption, exits, the board and the wait-for graph. See pl_model.h; the
 * IPC objects are in pl_ipc.c. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pl_model.h"
#include "pl_procfs.h"

/* Costs kept down for big trees (see bench/): fd tables, maps and wchan
 * are read every refresh for a small tree, less often for a big one. */
#define FD_PERIOD_BIG 2.0
#define MAPS_PERIOD 1.0
#define MAPS_PERIOD_BIG 5.0
#define WCHAN_EVERY_BIG 5   /* refreshes, unless the state changed */
#define SLEEPER_EVERY_BIG 5 /* a process asleep since its last read */

/* One line of /proc/PID/stat, as much as the model needs. */
struct scan {
	struct pl_proc p;
	int exit_code; /* field 52, meaningful for zombies */
	bool watched;
};

ssize_t
pl_model_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	do
		n = read(fd, buf, size - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Read a /proc file through a descriptor kept open: one pread() from the
 * start makes the kernel write it afresh. */
static ssize_t
pread_file(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size - 1, 0);
	while (n == -1 && errno == EINTR);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static size_t
hash_pid(pid_t pid, size_t cap)
{
	return ((size_t)pid * 2654435761u) & (cap - 1);
}

/* The pid -> index table of m->procs, rebuilt whenever procs move. */
static void
index_rebuild(struct pl_model *m)
{
	size_t cap = 64;

	while (cap < m->nprocs * 2 + 2)
		cap *= 2;
	if (cap != m->index_cap) {
		int *bigger = realloc(m->index, cap * sizeof(*bigger));
		if (bigger == NULL) {
			free(m->index);
			m->index = NULL;
			m->index_cap = 0;
			return;
		}
		m->index = bigger;
		m->index_cap = cap;
	}
	for (size_t i = 0; i < cap; i++)
		m->index[i] = -1;
	for (size_t i = 0; i < m->nprocs; i++) {
		size_t h = hash_pid(m->procs[i].pid, cap);
		while (m->index[h] != -1)
			h = (h + 1) & (cap - 1);
		m->index[h] = (int)i;
	}
}

static bool
foreign_has(const struct pl_model *m, pid_t pid)
{
	if (m->foreign_cap == 0)
		return false;
	for (size_t h = hash_pid(pid, m->foreign_cap); m->foreign[h] != 0;
	     h = (h + 1) & (m->foreign_cap - 1))
		if (m->foreign[h] == pid)
			return true;
	return false;
}

static void
foreign_add(struct pl_model *m, pid_t pid)
{
	size_t h;

	if (m->nforeign * 2 + 2 > m->foreign_cap) {
		size_t cap = m->foreign_cap ? m->foreign_cap * 2 : 1024;
		pid_t *old = m->foreign, *bigger = calloc(cap, sizeof(*bigger));
		size_t old_cap = m->foreign_cap;

		if (bigger == NULL)
			return;
		m->foreign = bigger;
		m->foreign_cap = cap;
		m->nforeign = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i] != 0)
				foreign_add(m, old[i]);
		free(old);
	}
	for (h = hash_pid(pid, m->foreign_cap); m->foreign[h] != 0;
	     h = (h + 1) & (m->foreign_cap - 1))
		if (m->foreign[h] == pid)
			return;
	m->foreign[h] = pid;
	m->nforeign++;
}

/* A decimal number of stat at P into *V; the end of it, or NULL if there
 * is none. tty_nr, tpgid and others may be -1, kept as its two's
 * complement, as strtoull() would. By hand, as strtoull() and its locale
 * were a twentieth of the dashboard's time in a tree of 1,000. */
static const char *
stat_number(const char *p, unsigned long long *v)
{
	bool negative = *p == '-';
	unsigned long long x = 0;

	if (negative)
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		x = x > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : x * 10 + d;
	}
	*v = negative ? 0 - x : x;
	return p;
}

/* Parse a stat line into OUT and *EXIT_CODE, like pl_procfs_parse_stat()
 * (comm ends at the LAST ')'; field numbers as in proc(5)) but in one walk
 * without sscanf: a refresh parses a line per process, and the bench
 * showed sscanf as the dashboard's biggest cost in user space. */
static int
parse_stat(const char *text, struct pl_proc *out, int *exit_code)
{
	const char *open_paren = strchr(text, '('), *close_paren = strrchr(text, ')');
	const char *p;
	size_t len;
	char *end;

	if (open_paren == NULL || close_paren == NULL || close_paren < open_paren)
		return -1;
	memset(out, 0, sizeof(*out));
	out->pid = (pid_t)strtol(text, &end, 10);
	if (out->pid <= 0)
		return -1;
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, len);
	out->comm[len] = '\0';
	p = close_paren + 1;
	*exit_code = 0;
	for (int field = 3; field <= 52; field++) {
		unsigned long long v;

		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return field > 24 ? 0 : -1; /* fields past 24 are optional */
		if (field == 3) {
			out->state = *p;
			if (strchr("RSDTtZXxIKWPi", out->state) == NULL)
				return -1;
			p++;
			continue;
		}
		if ((p = stat_number(p, &v)) == NULL)
			return -1;
		switch (field) {
		case 4:
			out->ppid = (pid_t)v;
			break;
		case 5:
			out->pgid = (pid_t)v;
			break;
		case 6:
			out->sid = (pid_t)v;
			break;
		case 14:
			out->utime = v;
			break;
		case 15:
			out->stime = v;
			break;
		case 20:
			out->threads = (long)v;
			break;
		case 22:
			out->start = v;
			break;
		case 24:
			out->rss_pages = (long)v;
			break;
		case 52:
			*exit_code = (int)v;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int
compare_scan(const void *a, const void *b)
{
	pid_t x = ((const struct scan *)a)->p.pid, y = ((const struct scan *)b)->p.pid;

	return (x > y) - (x < y);
}

static struct scan *
scan_find(struct scan *s, size_t n, pid_t pid)
{
	struct scan key;

	key.p.pid = pid;
	return bsearch(&key, s, n, sizeof(*s), compare_scan);
}

static int open_proc_file(struct pl_model *m, pid_t pid, const char *name);

/* The stat of PID: through the descriptor kept for P, a watched process,
 * or by its path. */
static ssize_t
read_stat(const struct pl_model *m, const struct pl_model_proc *p, pid_t pid, char *text,
          size_t size)
{
	char path[512];

	if (p != NULL && p->stat_fd != -1)
		return pread_file(p->stat_fd, text, size);
	snprintf(path, sizeof(path), "%s/%ld/stat", m->proc, (long)pid);
	return pl_model_read_file(path, text, size);
}

/* Add PID's stat to the scan ALL (N of CAP), if it is to be read: every
 * watched one, and every PID not seen before. PIDs known to be someone
 * else's are skipped. One that vanishes before its stat is read (or whose
 * stat is cut short) is simply not there: a watched one is then gone, even
 * if its PID is still listed. Its kept descriptor fails with ESRCH once
 * the process is reaped, and the PID may name someone else already. */
static void
scan_pid(struct pl_model *m, pid_t pid, struct scan **all, size_t *n, size_t *cap)
{
	char text[1024];
	struct pl_model_proc *p = pl_model_find(m, pid);

	if (p != NULL && p->gone_at >= 0)
		p = NULL;
	if (p == NULL && foreign_has(m, pid))
		return;
	/* In a big tree, one that slept at its last reading is read again
	 * only every few refreshes (spread by PID). An exit still shows at
	 * once: its parent's reaping is a change that lists /proc again. */
	if (p != NULL && m->nprocs > PL_MODEL_SMALL_TREE && p->state == 'S' &&
	    (m->refreshes + (unsigned)pid) % SLEEPER_EVERY_BIG != 0) {
		p->skipped = true;
		return;
	}
	if (read_stat(m, p, pid, text, sizeof(text)) <= 0)
		return;
	if (*n == *cap) {
		size_t more = *cap ? *cap * 2 : 256;
		struct scan *bigger = realloc(*all, more * sizeof(**all));

		if (bigger == NULL)
			return;
		*all = bigger;
		*cap = more;
	}
	if (parse_stat(text, &(*all)[*n].p, &(*all)[*n].exit_code) == -1)
		return;
	(*all)[*n].watched = false;
	(*n)++;
}

/* Has no task been born or reaped on the machine since the last listing
 * of /proc? /proc/loadavg ends with "running/threads last-PID" (proc(5)):
 * a fork or clone takes a new PID, and a reaping lowers the count of
 * threads. Then the PIDs of the last listing are still all there is, and
 * listing /proc again, which costs a lookup for each of the machine's
 * PIDs, can be skipped. Only where /proc is our PID namespace's, so that
 * its last PID counts the forks of every process it shows. */
static bool
nothing_born_or_reaped(struct pl_model *m)
{
	char text[128];
	unsigned long threads;
	long last;
	bool same;

	if (!m->loadavg_usable || pl_model_read_file("/proc/loadavg", text, sizeof(text)) <= 0 ||
	    sscanf(text, "%*s %*s %*s %*u/%lu %ld", &threads, &last) != 2)
		return false;
	same = m->listed_threads == threads && m->listed_last_pid == last;
	m->listed_threads = threads;
	m->listed_last_pid = last;
	return same;
}

/* The processes of the /proc tree that matter, by scan_pid() above. PIDs
 * known to be someone else's are forgotten every FOREIGN_EVERY-th scan,
 * and /proc is listed then, at least once a second, and whenever a task
 * was born or reaped since the last listing. Otherwise the watched PIDs
 * are all the PIDs to read. */
static struct scan *
scan_proc(struct pl_model *m, size_t *count)
{
	struct scan *all = NULL;
	size_t n = 0, cap = 0;
	bool full = m->refreshes % PL_MODEL_FOREIGN_EVERY == 0;
	bool quiet = nothing_born_or_reaped(m);

	if (full) {
		/* memset(NULL, 0, 0) is undefined: the table may not exist yet. */
		if (m->foreign != NULL)
			memset(m->foreign, 0, m->foreign_cap * sizeof(*m->foreign));
		m->nforeign = 0;
	}
	if (full || !quiet || !m->root_seen || m->now - m->listed_at >= 1.0) {
		struct dirent *e;
		DIR *d = opendir(m->proc);

		if (d == NULL)
			return NULL;
		while ((e = readdir(d)) != NULL)
			if (isdigit((unsigned char)e->d_name[0]))
				scan_pid(m, (pid_t)atol(e->d_name), &all, &n, &cap);
		closedir(d);
		m->listed_at = m->now;
		m->listings++;
	} else {
		for (size_t i = 0; i < m->nprocs; i++)
			if (m->procs[i].gone_at < 0)
				scan_pid(m, m->procs[i].pid, &all, &n, &cap);
	}
	if (all == NULL)
		all = malloc(sizeof(*all)); /* an empty scan is not an error */
	if (all != NULL)
		qsort(all, n, sizeof(*all), compare_scan);
	*count = n;
	return all;
}

/* A descriptor to keep on a watched process's file, or -1: then the
 * readers open it by its path each time. */
static int
open_proc_file(struct pl_model *m, pid_t pid, const char *name)
{
	char path[512];
	int fd;

	/* Only the real /proc regenerates a file on each read; a fake tree's
	 * files are opened afresh each time (its tests switch trees). */
	if (strcmp(m->proc, "/proc") != 0)
		return -1;
	if (m->max_kept_fds == 0) {
		struct rlimit files;

		m->max_kept_fds = 256;
		if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY &&
		    files.rlim_cur / 4 > 0)
			m->max_kept_fds = files.rlim_cur / 4;
	}
	if (m->kept_fds >= m->max_kept_fds)
		return -1;
	snprintf(path, sizeof(path), "%s/%ld/%s", m->proc, (long)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1)
		m->kept_fds++;
	return fd;
}

static void
close_proc_files(struct pl_model *m, struct pl_model_proc *p)
{
	if (p->stat_fd != -1) {
		close(p->stat_fd);
		m->kept_fds--;
	}
	if (p->wchan_fd != -1) {
		close(p->wchan_fd);
		m->kept_fds--;
	}
	p->stat_fd = p->wchan_fd = -1;
}

/* Does /proc/self name us? Not when /proc was mounted by another PID
 * namespace than ours. */
static bool
proc_is_our_namespace(void)
{
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n <= 0)
		return false;
	self[n] = '\0';
	return atol(self) == (long)getpid();
}

int
pl_model_init(struct pl_model *m, const char *proc, pid_t root)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->proc, sizeof(m->proc), "%s", proc);
	m->root = root;
	m->ipc = true;
	m->ticks_per_second = sysconf(_SC_CLK_TCK);
	if (m->ticks_per_second <= 0)
		m->ticks_per_second = 100;
	m->page_kb = sysconf(_SC_PAGESIZE) / 1024;
	if (m->page_kb <= 0)
		m->page_kb = 4;
	m->last_sample = -1e9;
	m->loadavg_usable = strcmp(proc, "/proc") == 0 && proc_is_our_namespace();
	pl_model_read_ipc_next(m); /* none read yet */
	m->waitfor = pl_waitfor_new();
	return m->waitfor == NULL ? -1 : 0;
}

void
pl_model_free(struct pl_model *m)
{
	pl_ipc_free(m);
	for (size_t i = 0; i < m->nprocs; i++)
		close_proc_files(m, &m->procs[i]);
	free(m->index);
	free(m->foreign);
	free(m->slots);
	free(m->procs);
	free(m->order);
	free(m->objects);
	free(m->holders);
	free(m->locks);
	pl_waitfor_free(m->waitfor);
	memset(m, 0, sizeof(*m));
}

/* A PID may be on the books twice: a process that has ended and fades,
 * and a new child of ours that got its PID. The live one comes first. */
struct pl_model_proc *
pl_model_find(struct pl_model *m, pid_t pid)
{
	struct pl_model_proc *gone = NULL;

	if (m->index != NULL) {
		for (size_t h = hash_pid(pid, m->index_cap); m->index[h] != -1;
		     h = (h + 1) & (m->index_cap - 1)) {
			struct pl_model_proc *p = &m->procs[m->index[h]];
			if (p->pid == pid && p->gone_at < 0)
				return p;
			if (p->pid == pid)
				gone = p;
		}
		return gone;
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		if (m->procs[i].pid == pid && m->procs[i].gone_at < 0)
			return &m->procs[i];
		if (m->procs[i].pid == pid)
			gone = &m->procs[i];
	}
	return gone;
}

size_t
pl_model_alive(const struct pl_model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nprocs; i++)
		n += m->procs[i].gone_at < 0;
	return n;
}

static void
narrate(struct pl_model *m, char kind, pid_t pid, const char *line)
{
	if (m->nnarration == PL_MODEL_NARRATION) {
		memmove(m->narration[0], m->narration[1],
		        (PL_MODEL_NARRATION - 1) * sizeof(m->narration[0]));
		memmove(m->narration_kind, m->narration_kind + 1, PL_MODEL_NARRATION - 1);
		memmove(m->narration_pid, m->narration_pid + 1,
		        (PL_MODEL_NARRATION - 1) * sizeof(m->narration_pid[0]));
		m->nnarration--;
	}
	m->narration_kind[m->nnarration] = kind;
	m->narration_pid[m->nnarration] = pid;
	snprintf(m->narration[m->nnarration++], sizeof(m->narration[0]), "%s", line);
	m->narrated++;
}

void
pl_model_narrate(struct pl_model *m, const char *line)
{
	narrate(m, 'o', 0, line);
}

void
pl_model_read_ipc_next(struct pl_model *m)
{
	m->last_maps = m->last_fds = -1e9;
}

void
pl_model_root_reaped(struct pl_model *m, int status)
{
	struct pl_model_proc *p = pl_model_find(m, m->root);

	if (p == NULL)
		return;
	p->exit_status = status;
	p->exit_known = true;
	if (p->gone_at < 0) {
		p->gone_at = m->now;
		p->state = 'X';
		p->wchan[0] = '\0';
		p->cpu = 0;
		p->nthreads = 0; /* as mark_gone(): a gone row lists no threads */
	}
}

static struct pl_model_proc *
add_proc(struct pl_model *m, const struct scan *s)
{
	struct pl_model_proc *p;

	if (m->nprocs == m->cap_procs) {
		size_t cap = m->cap_procs ? m->cap_procs * 2 : 64;
		struct pl_model_proc *bigger = realloc(m->procs, cap * sizeof(*bigger));
		size_t *order = realloc(m->order, cap * sizeof(*order));

		if (order != NULL)
			m->order = order;
		if (bigger == NULL || order == NULL) {
			if (bigger != NULL)
				m->procs = bigger;
			return NULL;
		}
		m->procs = bigger;
		m->cap_procs = cap;
	}
	p = &m->procs[m->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = s->p.pid;
	p->ppid = p->first_ppid = s->p.ppid;
	p->start = s->p.start;
	p->zombie_since = p->gone_at = -1;
	p->ticks = s->p.utime + s->p.stime;
	p->ticks_at = m->now;
	p->tasks = s->p.threads;
	p->stat_fd = open_proc_file(m, p->pid, "stat");
	p->wchan_fd = open_proc_file(m, p->pid, "wchan");
	p->last_wchan_state = 0;
	index_rebuild(m);
	return p;
}

static void
read_wchan(const struct pl_model *m, pid_t pid, const char *sub, char *out, size_t size)
{
	char path[512], buf[128];

	snprintf(path, sizeof(path), "%s/%ld/%swchan", m->proc, (long)pid, sub);
	out[0] = '\0';
	/* "0" means it is running: no wait channel. */
	if (pl_model_read_file(path, buf, sizeof(buf)) > 0 && strcmp(buf, "0") != 0)
		snprintf(out, size, "%.*s", (int)strcspn(buf, "\n"), buf);
}

static void
read_threads(const struct pl_model *m, struct pl_model_proc *p)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	p->nthreads = 0;
	snprintf(path, sizeof(path), "%s/%ld/task", m->proc, (long)p->pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && p->nthreads < PL_MODEL_THREADS) {
		struct pl_model_thread *t = &p->threads[p->nthreads];
		char file[800], text[1024], sub[300];
		struct pl_proc tp;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(file, sizeof(file), "%s/%s/stat", path, e->d_name);
		if (pl_model_read_file(file, text, sizeof(text)) <= 0 ||
		    pl_procfs_parse_stat(text, &tp) == -1)
			continue;
		t->tid = tp.pid;
		t->state = tp.state;
		snprintf(t->comm, sizeof(t->comm), "%s", tp.comm);
		snprintf(sub, sizeof(sub), "task/%s/", e->d_name);
		read_wchan(m, p->pid, sub, t->wchan, sizeof(t->wchan));
		p->nthreads++;
	}
	closedir(d);
}

/* Update a watched process from its line of the scan. */
/* A rank of an MPI job started by Open MPI's mpirun finds its rank in its
 * environment, OMPI_COMM_WORLD_RANK (mpirun(1)): so a program that writes
 * nothing on the board still shows "rank N" as its role. It is read once
 * for each program the process runs (exec changes its comm), and only the
 * process's owner (or root) may read it; when it cannot, the role stays
 * empty. */
static void
role_from_environ(const struct pl_model *m, struct pl_model_proc *p)
{
	static const char key[] = "OMPI_COMM_WORLD_RANK=";
	char path[512], buf[32768], *end;
	ssize_t n;
	long rank;
	int fd;

	snprintf(path, sizeof(path), "%s/%ld/environ", m->proc, (long)p->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0'; /* the strings are separated by NUL bytes */
	for (char *e = buf; e < buf + n; e += strlen(e) + 1) {
		if (strncmp(e, key, sizeof(key) - 1) != 0)
			continue;
		rank = strtol(e + sizeof(key) - 1, &end, 10);
		if (end != e + sizeof(key) - 1 && *end == '\0' && rank >= 0)
			snprintf(p->role, sizeof(p->role), "rank %ld", rank);
		return;
	}
}

static void
update_proc(struct pl_model *m, struct pl_model_proc *p, const struct scan *s, struct scan *all,
            size_t nall)
{
	unsigned long long ticks = s->p.utime + s->p.stime;
	double dt = m->now - p->ticks_at;

	bool new_program = strcmp(p->comm, s->p.comm) != 0;

	snprintf(p->comm, sizeof(p->comm), "%s", s->p.comm);
	if (new_program && p->role[0] == '\0')
		role_from_environ(m, p);
	p->state = s->p.state;
	p->ppid = s->p.ppid;
	p->tasks = s->p.threads;
	p->rss_kb = s->p.rss_pages * m->page_kb;
	if (dt > 0.05) {
		p->cpu = ticks >= p->ticks ? (double)(ticks - p->ticks) * 100.0 /
		                                     (double)m->ticks_per_second / dt
		                           : 0;
		p->ticks = ticks;
		p->ticks_at = m->now;
	}
	if (p->state == 'Z') {
		if (p->zombie_since < 0) {
			p->zombie_since = m->now;
			p->zombie_ppid = p->ppid;
		}
		/* Since Linux 3.5, field 52 holds the status wait() will get. */
		p->exit_status = s->exit_code;
		p->exit_known = true;
		p->wchan[0] = '\0';
	} else if (m->nprocs <= PL_MODEL_SMALL_TREE || p->state != p->last_wchan_state ||
	           (m->refreshes + (unsigned)p->pid) % WCHAN_EVERY_BIG == 0) {
		char buf[128];

		p->last_wchan_state = p->state;
		p->wchan[0] = '\0';
		if (p->wchan_fd == -1)
			read_wchan(m, p->pid, "", p->wchan, sizeof(p->wchan));
		/* "0" means it is running: no wait channel. */
		else if (pread_file(p->wchan_fd, buf, sizeof(buf)) > 0 && strcmp(buf, "0") != 0)
			snprintf(p->wchan, sizeof(p->wchan), "%.*s", (int)strcspn(buf, "\n"), buf);
	}
	/* Adopted: its parent is gone and another process took it (the
	 * nearest subreaper, or init: see PR_SET_CHILD_SUBREAPER in prctl(2)). */
	if (p->pid != m->root && p->ppid != p->first_ppid && !p->adopted) {
		struct scan *parent = scan_find(all, nall, p->ppid);
		char path[512], comm[64] = "?";

		if (parent != NULL) {
			snprintf(comm, sizeof(comm), "%s", parent->p.comm);
		} else {
			/* Not in this scan (known foreign): ask for its name. */
			char text[1024];
			struct pl_proc adopter;

			snprintf(path, sizeof(path), "%s/%ld/stat", m->proc, (long)p->ppid);
			if (pl_model_read_file(path, text, sizeof(text)) > 0 &&
			    pl_procfs_parse_stat(text, &adopter) == 0)
				snprintf(comm, sizeof(comm), "%s", adopter.comm);
		}
		p->adopted = true;
		p->adopter = p->ppid;
		snprintf(p->adopter_comm, sizeof(p->adopter_comm), "%s", comm);
	}
	if (m->threads && s->p.threads > 1 && p->state != 'Z')
		read_threads(m, p);
	else
		p->nthreads = 0;
}

static void
sample_timeline(struct pl_model *m)
{
	if (m->now - m->last_sample < PL_MODEL_TIMELINE_PERIOD)
		return;
	m->last_sample = m->now;
	for (size_t i = 0; i < m->nprocs; i++) {
		struct pl_model_proc *p = &m->procs[i];

		if (p->timeline_len == PL_MODEL_TIMELINE) {
			memmove(p->timeline, p->timeline + 1, PL_MODEL_TIMELINE - 1);
			p->timeline_len--;
		}
		p->timeline[p->timeline_len++] = p->gone_at >= 0 ? '.' : p->state;
	}
}

/* For the tree: indexes of procs sorted by (ppid, pid), so that the
 * children of a process are one run of this array. */
static const struct pl_model_proc *sort_procs;

static int
compare_parent_then_pid(const void *a, const void *b)
{
	const struct pl_model_proc *x = &sort_procs[*(const size_t *)a];
	const struct pl_model_proc *y = &sort_procs[*(const size_t *)b];

	if (x->ppid != y->ppid)
		return x->ppid < y->ppid ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void
visit(struct pl_model *m, size_t i, int depth, bool *placed, const size_t *by_parent)
{
	size_t lo = 0, hi = m->nprocs;
	pid_t pid = m->procs[i].pid;

	if (placed[i])
		return;
	placed[i] = true;
	m->procs[i].depth = depth;
	m->order[m->norder++] = i;
	/* The first of its children in by_parent, by binary search. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->procs[by_parent[mid]].ppid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->nprocs && m->procs[by_parent[lo]].ppid == pid; lo++)
		visit(m, by_parent[lo], depth + 1, placed, by_parent);
}

static int
compare_index_pid(const void *a, const void *b)
{
	pid_t x = sort_procs[*(const size_t *)a].pid, y = sort_procs[*(const size_t *)b].pid;

	return (x > y) - (x < y);
}

/* The drawn order: the root's tree, then trees whose top left it (orphans
 * adopted outside, or anything whose parent is gone from the books). */
static void
build_order(struct pl_model *m)
{
	size_t n = m->nprocs ? m->nprocs : 1;
	bool *placed = calloc(n, sizeof(*placed));
	size_t *by_parent = malloc(n * sizeof(*by_parent));
	size_t *by_pid = malloc(n * sizeof(*by_pid));

	m->norder = 0;
	if (placed == NULL || by_parent == NULL || by_pid == NULL)
		goto out;
	for (size_t i = 0; i < m->nprocs; i++)
		by_parent[i] = by_pid[i] = i;
	sort_procs = m->procs;
	qsort(by_parent, m->nprocs, sizeof(*by_parent), compare_parent_then_pid);
	qsort(by_pid, m->nprocs, sizeof(*by_pid), compare_index_pid);
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].pid == m->root)
			visit(m, i, 0, placed, by_parent);
	for (size_t k = 0; k < m->nprocs; k++) {
		size_t i = by_pid[k];
		if (!placed[i] && pl_model_find(m, m->procs[i].ppid) == NULL)
			visit(m, i, 0, placed, by_parent);
	}
	for (size_t k = 0; k < m->nprocs; k++) /* a loop of parents: cannot be, but */
		visit(m, by_pid[k], 0, placed, by_parent);
out:
	free(placed);
	free(by_parent);
	free(by_pid);
}

static void
read_board(struct pl_model *m)
{
	struct pl_board *b = m->board;
	uint32_t written;

	m->step_waiting = false;
	m->nslots = 0;
	if (b == NULL)
		return;
	if (m->slots == NULL && (m->slots = calloc(PL_BOARD_SLOTS, sizeof(*m->slots))) == NULL)
		return;
	m->nslots = 0;
	for (size_t i = 0; i < PL_BOARD_SLOTS; i++) {
		struct pl_board_slot s;
		struct pl_model_proc *p;

		char path[512];

		if (pl_board_read_slot(b, i, &s) != 1)
			continue;
		/* A task that is gone leaves its slot to others. */
		snprintf(path, sizeof(path), "%s/%ld", m->proc, (long)s.pid);
		if (access(path, F_OK) != 0) {
			pl_board_free_slot(b, i, s.pid);
			continue;
		}
		/* A thread's slot, or a process's: both count for locks. */
		m->slots[m->nslots++] = s;
		if ((p = pl_model_find(m, s.pid)) == NULL)
			continue;
		memcpy(p->role, s.role, sizeof(p->role));
		memcpy(p->narration, s.narration, sizeof(p->narration));
		memcpy(p->wants, s.wants, sizeof(p->wants));
		memcpy(p->holds, s.holds, sizeof(p->holds));
	}
	written = __atomic_load_n(&b->nevents, __ATOMIC_ACQUIRE);
	if (written - m->board_seen > PL_BOARD_EVENTS)
		m->board_seen = written - PL_BOARD_EVENTS;
	while (m->board_seen < written) {
		struct pl_board_event e;
		char line[PL_BOARD_TEXT + 16];

		if (pl_board_read_event(b, m->board_seen + 1, &e) != 1)
			break; /* being written: next refresh */
		m->board_seen++;
		snprintf(line, sizeof(line), "%s%s", e.kind == 's' ? "" : "  ", e.text);
		narrate(m, e.kind, e.pid, line);
	}
	m->step_waiting = __atomic_load_n(&b->step_waiting, __ATOMIC_ACQUIRE) >
	                  __atomic_load_n(&b->step_go, __ATOMIC_ACQUIRE);
}

static const char *
task_name(struct pl_model *m, pid_t pid)
{
	struct pl_model_proc *p = pl_model_find(m, pid);

	if (p == NULL)
		return NULL;
	return p->role[0] ? p->role : p->comm;
}

/* The wait-for graph: from /proc/locks (a waiter "->" wants the lock its
 * line number names) and from what processes wrote on the board. */
static void
build_waitfor(struct pl_model *m)
{
	pl_waitfor_clear(m->waitfor);
	for (size_t i = 0; i < m->nlocks; i++) {
		const struct pl_ipc_lock *w = &m->locks[i];
		char name[128];

		if (!w->waiting)
			continue;
		for (size_t j = 0; j < m->nlocks; j++) {
			const struct pl_ipc_lock *h = &m->locks[j];
			if (h->waiting || h->id != w->id)
				continue;
			if (h->name[0])
				snprintf(name, sizeof(name), "%s", h->name);
			else
				snprintf(name, sizeof(name), "inode %llu", h->inode);
			if (h->range[0]) {
				size_t len = strlen(name);
				snprintf(name + len, sizeof(name) - len, " [%s]", h->range);
			}
			pl_waitfor_wants(m->waitfor, w->pid, task_name(m, w->pid), name);
			pl_waitfor_holds(m->waitfor, h->pid, task_name(m, h->pid), name);
		}
	}
	/* What processes and threads said on the board (read_board kept only
	 * the tasks still there). A thread is named by its role, else
	 * "thread TID". A process that is gone but fading is left out. */
	for (size_t i = 0; i < m->nslots; i++) {
		const struct pl_board_slot *s = &m->slots[i];
		const struct pl_model_proc *p = pl_model_find(m, s->pid);
		char name[80];

		if (p != NULL && p->gone_at >= 0)
			continue;
		if (s->role[0])
			snprintf(name, sizeof(name), "%s", s->role);
		else if (p != NULL)
			snprintf(name, sizeof(name), "%s", task_name(m, s->pid));
		else
			snprintf(name, sizeof(name), "thread %ld", (long)s->pid);
		for (int k = 0; k < PL_BOARD_LOCKS; k++)
			if (s->holds[k][0])
				pl_waitfor_holds(m->waitfor, s->pid, name, s->holds[k]);
		if (s->wants[0])
			pl_waitfor_wants(m->waitfor, s->pid, name, s->wants);
	}
	ssize_t found = pl_waitfor_find_cycles(m->waitfor, m->cycles, PL_MODEL_CYCLES);
	m->ncycles = found > 0 ? (size_t)found : 0; /* -1: no memory to search this time */
}

static void
mark_gone(struct pl_model *m, struct pl_model_proc *p)
{
	p->gone_at = m->now;
	p->state = 'X';
	p->cpu = 0;
	p->wchan[0] = '\0';
	p->nthreads = 0;
	close_proc_files(m, p);
}

/* A watched process whose stat this refresh skipped: read it now. It is
 * still ours if its stat reads with the start time it had; otherwise it
 * is gone, and its PID may be someone else's. */
static bool
still_ours(struct pl_model *m, struct pl_model_proc *p)
{
	char text[1024];
	struct pl_proc now;
	ssize_t got;
	int exit_code;

	if (!p->skipped)
		return true; /* read this refresh, and found the same */
	got = read_stat(m, p, p->pid, text, sizeof(text));
	if (got <= 0 || parse_stat(text, &now, &exit_code) == -1 || now.start != p->start) {
		mark_gone(m, p);
		return false;
	}
	p->skipped = false;
	return true;
}

/* The root is watched from its first sighting (with the start time the
 * caller gave, if any) to its end, and never again: after it ends, its
 * PID may go to a process that is nothing of ours. */
static bool
new_root_is_ours(struct pl_model *m, const struct scan *s)
{
	if (m->root_seen || (m->root_start != 0 && s->p.start != m->root_start))
		return false;
	m->root_seen = true;
	return true;
}

void
pl_model_order(struct pl_model *m)
{
	index_rebuild(m);
	build_order(m);
}

int
pl_model_refresh(struct pl_model *m, double now)
{
	struct scan *all;
	size_t nall, kept;
	bool added, fds, maps;

	m->now = now;
	all = scan_proc(m, &nall);
	if (all == NULL) {
		for (size_t i = 0; i < m->nprocs; i++)
			m->procs[i].skipped = false;
		return -1;
	}
	m->refreshes++;

	/* 1. The processes on the books: still there (same PID, same start
	 *    time), or gone. */
	for (size_t i = 0; i < m->nprocs; i++) {
		struct pl_model_proc *p = &m->procs[i];
		struct scan *s;

		if (p->gone_at >= 0)
			continue;
		s = scan_find(all, nall, p->pid);
		if (s != NULL && s->p.start == p->start) {
			s->watched = true;
			update_proc(m, p, s, all, nall);
		} else if (s == NULL && p->skipped) {
			continue; /* still there, not read this time */
		} else {
			mark_gone(m, p);
		}
	}
	/* 2. New ones: the root, and any child of a watched process. Repeat
	 *    until nothing is added, since a child may be listed before its
	 *    parent. */
	do {
		added = false;
		for (size_t i = 0; i < nall; i++) {
			struct scan *s = &all[i], *parent;
			struct pl_model_proc *p;

			if (s->watched)
				continue;
			parent = scan_find(all, nall, s->p.ppid);
			if (s->p.pid == m->root) {
				if (!new_root_is_ours(m, s))
					continue;
			} else if (parent == NULL || !parent->watched) {
				/* Its parent may be ours but not read this time:
				 * then read it now, as its PID may be a stranger's. */
				struct pl_model_proc *pp =
				        parent ? NULL : pl_model_find(m, s->p.ppid);
				if (pp == NULL || pp->gone_at >= 0 || !still_ours(m, pp))
					continue;
			}
			s->watched = added = true;
			if ((p = add_proc(m, s)) != NULL)
				update_proc(m, p, s, all, nall);
		}
	} while (added);
	/* The rest is not ours: skip it next time. */
	for (size_t i = 0; i < nall; i++)
		if (!all[i].watched)
			foreign_add(m, all[i].p.pid);
	free(all);

	/* 3. Forget the gone once they have faded. What this scan skipped
	 *    has been read or judged by now: the next scan decides anew. */
	kept = 0;
	for (size_t i = 0; i < m->nprocs; i++) {
		m->procs[i].skipped = false;
		if (m->procs[i].gone_at < 0 || now - m->procs[i].gone_at < PL_MODEL_FADE_SECONDS) {
			/* A process is several kB (its timeline): move only when one
			 * before it was forgotten, not onto itself every refresh. */
			if (kept != i)
				m->procs[kept] = m->procs[i];
			kept++;
		} else
			close_proc_files(m, &m->procs[i]);
	}
	if (kept != m->nprocs) {
		m->nprocs = kept;
		index_rebuild(m);
	}

	sample_timeline(m);
	build_order(m);
	read_board(m);

	/* 4. IPC and locks: fd tables every refresh for a small tree, less
	 *    often for a big one; maps once a second. */
	fds = m->ipc && (m->nprocs <= PL_MODEL_SMALL_TREE || now - m->last_fds >= FD_PERIOD_BIG);
	maps = m->ipc && now - m->last_maps >=
	                         (m->nprocs <= PL_MODEL_SMALL_TREE ? MAPS_PERIOD : MAPS_PERIOD_BIG);
	if (fds)
		m->last_fds = now;
	if (maps)
		m->last_maps = now;
	if (m->ipc)
		pl_ipc_refresh(m, fds, maps);
	build_waitfor(m);
	return 0;
}
