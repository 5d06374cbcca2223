/* ipc.c - the IPC between watched processes, read from /proc so that it
 * works for any program:
 *  - fd tables (/proc/PID/fd): a pipe is "pipe:[INODE]" in both processes'
 *    tables; /proc/PID/fdinfo/N "flags:" says which end (O_ACCMODE). A
 *    FIFO is a path whose stat says S_ISFIFO. Sockets are "socket:[INODE]";
 *    the two ends of a socketpair are different inodes, which the kernel
 *    pairs for us in sock_diag (UNIX_DIAG_PEER, see sock_diag(7)).
 *    A POSIX message queue is a file on the mqueue file system.
 *  - maps (/proc/PID/maps, pl_maps.h): a mapping with 's' in its
 *    permissions is shared; the same object in two processes is memory
 *    they share.
 * An object is its device and inode: inode numbers repeat across file
 * systems, and a System V segment's "inode" is its id, 0 for the first.
 *  - /proc/locks: file locks, with "->" before a blocked waiter.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "model.h"
#include "pl_maps.h"
#include "pl_procfs.h"
#include "pl_sockdiag.h"

#define MQUEUE_MAGIC 0x19800202 /* linux/magic.h */

enum end { END_READ, END_WRITE, END_BOTH, END_NONE };

/* One process's end of something: an fd or a mapping. */
struct endpoint {
	enum dash_ipc kind;
	pid_t pid;
	int fd;
	enum end end;
	unsigned long long dev; /* 0 for pipes and sockets: their inode says all */
	unsigned long long inode;
	char name[64];
};

struct list {
	struct endpoint *items;
	size_t n, cap;
};

/* A regular file a watched process has open: names the locks. */
struct file {
	unsigned long long dev, inode;
	char path[64];
};

struct ipc_state {
	struct list fds, maps;
	struct list spare;              /* the last reading, while making the next */
	struct file *files;
	size_t nfiles, cap_files;
	unsigned long long (*peers)[2]; /* unix socket inode, its peer's */
	size_t npeers, cap_peers;
};

/* Copy SRC into DST of SIZE bytes, cut if need be. */
static void
copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
push(void *array, size_t *n, size_t *cap, size_t size)
{
	void **p = array;

	if (*n == *cap) {
		size_t want = *cap ? *cap * 2 : 64;
		void *bigger = realloc(*p, want * size);
		if (bigger == NULL)
			return -1;
		*p = bigger;
		*cap = want;
	}
	(*n)++;
	return 0;
}

static struct endpoint *
add_endpoint(struct list *l)
{
	if (push(&l->items, &l->n, &l->cap, sizeof(*l->items)) == -1)
		return NULL;
	memset(&l->items[l->n - 1], 0, sizeof(*l->items));
	return &l->items[l->n - 1];
}

static enum end
fd_end(const char *proc, pid_t pid, const char *fd)
{
	char path[512], text[512], *flags;
	long value;

	snprintf(path, sizeof(path), "%s/%ld/fdinfo/%s", proc, (long)pid, fd);
	if (dash_read_file(path, text, sizeof(text)) <= 0 ||
	    (flags = strstr(text, "flags:")) == NULL)
		return END_NONE;
	value = strtol(flags + 6, NULL, 8); /* octal, as the kernel prints it */
	switch (value & O_ACCMODE) {
	case O_RDONLY:
		return END_READ;
	case O_WRONLY:
		return END_WRITE;
	default:
		return END_BOTH;
	}
}

static void
add_file(struct ipc_state *st, unsigned long long dev, unsigned long long inode,
         const char *path)
{
	for (size_t i = 0; i < st->nfiles; i++)
		if (st->files[i].dev == dev && st->files[i].inode == inode)
			return;
	if (push(&st->files, &st->nfiles, &st->cap_files, sizeof(*st->files)) == -1)
		return;
	st->files[st->nfiles - 1].dev = dev;
	st->files[st->nfiles - 1].inode = inode;
	copy_cut(st->files[st->nfiles - 1].path, sizeof(st->files[0].path), path);
}

/* One process's fd table. An empty one (a zombie's) adds nothing. */
static void
read_fds(struct dash_model *m, struct ipc_state *st, pid_t pid)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	bool real = strcmp(m->proc, "/proc") == 0;

	snprintf(path, sizeof(path), "%s/%ld/fd", m->proc, (long)pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char target[256];
		unsigned long long inode, dev = 0;
		struct endpoint *ep;
		struct stat sb;
		ssize_t n;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n == -1 && errno == EINVAL && !real) {
			/* A fake tree's fd entry is a file holding what readlink
			 * gives (tar, as `make dist` runs it, drops dangling links). */
			char file[800];
			snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
			n = dash_read_file(file, target, sizeof(target));
		}
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (sscanf(target, "pipe:[%llu]", &inode) == 1) {
			if ((ep = add_endpoint(&st->fds)) == NULL)
				break;
			ep->kind = DASH_IPC_PIPE;
			ep->end = fd_end(m->proc, pid, e->d_name);
		} else if (sscanf(target, "socket:[%llu]", &inode) == 1) {
			if ((ep = add_endpoint(&st->fds)) == NULL)
				break;
			ep->kind = DASH_IPC_SOCKET;
			ep->end = END_BOTH;
		} else if (target[0] == '/' && fstatat(dirfd(d), e->d_name, &sb, 0) == 0) {
			struct statfs fs;

			inode = sb.st_ino;
			dev = sb.st_dev;
			if (S_ISFIFO(sb.st_mode)) {
				if ((ep = add_endpoint(&st->fds)) == NULL)
					break;
				ep->kind = DASH_IPC_FIFO;
				ep->end = fd_end(m->proc, pid, e->d_name);
			} else if (S_ISREG(sb.st_mode)) {
				/* A message queue's link reads "/NAME"; its file
				 * system tells it from a file. */
				char fdpath[800];

				snprintf(fdpath, sizeof(fdpath), "%s/%ld/fd/%s", m->proc, (long)pid,
				         e->d_name);
				if (real && statfs(fdpath, &fs) == 0 && fs.f_type == MQUEUE_MAGIC) {
					if ((ep = add_endpoint(&st->fds)) == NULL)
						break;
					ep->kind = DASH_IPC_MQUEUE;
					ep->end = END_BOTH;
				} else {
					add_file(st, dev, inode, target);
					continue;
				}
			} else {
				continue;
			}
		} else {
			continue;
		}
		ep->pid = pid;
		ep->fd = atoi(e->d_name);
		ep->dev = dev;
		ep->inode = inode;
		copy_cut(ep->name, sizeof(ep->name), target);
	}
	closedir(d);
}

/* One process's shared mappings. */
static void
read_maps(struct dash_model *m, struct ipc_state *st, pid_t pid)
{
	char path[512], line[768];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%ld/maps", m->proc, (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *space = strchr(line, ' ');
		struct pl_maps_line map;
		unsigned long long dev;
		struct endpoint *ep;

		/* Nearly every line is a private mapping ("r-xp"): skip those
		 * on one character, and parse only the shared ones. A big tree
		 * has tens of thousands. */
		if (space == NULL || strnlen(space, 5) < 5 || space[4] != 's')
			continue;
		/* A mapping with no file has no object to share. Inode 0 alone
		 * is no sign of that: the first System V segment has id 0. */
		if (pl_maps_parse_line(line, &map) == -1 || !pl_maps_shared(&map) ||
		    map.path[0] == '\0')
			continue;
		/* A read-only shared map of a file (a locale cache) is no channel
		 * between processes; shared memory objects are, even read-only. */
		if (map.perms[1] != 'w' && strncmp(map.path, "/dev/shm/", 9) != 0 &&
		    strncmp(map.path, "/SYSV", 5) != 0)
			continue;
		dev = makedev(map.major, map.minor);
		/* One endpoint per object, however many regions map it. */
		bool dup = false;
		for (size_t i = 0; i < st->maps.n && !dup; i++)
			dup = st->maps.items[i].pid == pid && st->maps.items[i].dev == dev &&
			      st->maps.items[i].inode == map.inode;
		/* The dashboard's own board is no IPC of the demo's. */
		if (dup || strstr(map.path, "/proclab-board-") != NULL ||
		    (ep = add_endpoint(&st->maps)) == NULL)
			continue;
		ep->pid = pid;
		ep->dev = dev;
		ep->inode = map.inode;
		ep->end = END_BOTH;
		if (strncmp(map.path, "/dev/shm/", 9) == 0)
			ep->kind = DASH_IPC_SHM;
		else if (strncmp(map.path, "/SYSV", 5) == 0)
			ep->kind = DASH_IPC_SYSV_SHM;
		else
			ep->kind = DASH_IPC_MAPPING;
		copy_cut(ep->name, sizeof(ep->name), map.path);
	}
	fclose(f);
}

static void
add_peer(unsigned long long inode, unsigned long long peer, void *arg)
{
	struct ipc_state *st = arg;

	if (push(&st->peers, &st->npeers, &st->cap_peers, sizeof(*st->peers)) == 0) {
		st->peers[st->npeers - 1][0] = inode;
		st->peers[st->npeers - 1][1] = peer;
	}
}

/* The peers of Unix sockets, from the kernel's sock_diag (pl_sockdiag.h).
 * A fake tree lists them in its file "unix-peers" as "INODE PEER" lines. */
static void
read_unix_peers(struct dash_model *m, struct ipc_state *st)
{
	st->npeers = 0;
	if (strcmp(m->proc, "/proc") != 0) {
		char path[512];
		unsigned long long a, b;
		FILE *f;

		snprintf(path, sizeof(path), "%s/unix-peers", m->proc);
		if ((f = fopen(path, "re")) == NULL)
			return;
		while (fscanf(f, "%llu %llu", &a, &b) == 2)
			add_peer(a, b, st);
		fclose(f);
		return;
	}
	/* Without peers the sockets of a tree show only what processes
	 * share the same socket; that is all we can do then. */
	(void)pl_sockdiag_unix_peers(add_peer, st);
}

static void
add_edge(struct dash_model *m, enum dash_ipc kind, pid_t from, pid_t to, bool directed,
         const struct endpoint *ep)
{
	struct dash_edge *e;

	if (from == to)
		return;
	if (!directed && from > to) {
		pid_t t = from;
		from = to;
		to = t;
	}
	for (size_t i = 0; i < m->nedges; i++) {
		e = &m->edges[i];
		if (e->kind == kind && e->from == from && e->to == to && e->dev == ep->dev &&
		    e->inode == ep->inode)
			return;
	}
	if (push(&m->edges, &m->nedges, &m->cap_edges, sizeof(*m->edges)) == -1)
		return;
	e = &m->edges[m->nedges - 1];
	e->kind = kind;
	e->from = from;
	e->to = to;
	e->directed = directed;
	e->dev = ep->dev;
	e->inode = ep->inode;
	e->queued = -1;
	snprintf(e->name, sizeof(e->name), "%s", ep->name);
}

/* Bytes waiting in a pipe: FIONREAD on an fd of our own for the same pipe,
 * opened through /proc/PID/fd/N. Only for anonymous pipes, which no one
 * can be waiting to open.
 * While our fd is open the pipe has one reader more: were the last real
 * reader to close in that moment, a writer would not get SIGPIPE (EPIPE)
 * but fill the pipe. So the fd lives for the one ioctl, and each pipe is
 * looked at once a refresh, however many processes share it. */
static long
pipe_queued(const struct dash_model *m, const struct endpoint *reader)
{
	char path[512];
	int fd, bytes;

	if (strcmp(m->proc, "/proc") != 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)reader->pid, reader->fd);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (ioctl(fd, FIONREAD, &bytes) == -1)
		bytes = -1;
	close(fd);
	return bytes;
}

static int
compare_endpoints(const void *a, const void *b)
{
	const struct endpoint *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static bool
same_object(const struct endpoint *x, const struct endpoint *y)
{
	return x->kind == y->kind && x->dev == y->dev && x->inode == y->inode;
}

/* The run of L's (sorted) endpoints of the same object as KEY:
 * [*from, return). */
static size_t
find_group(const struct list *l, const struct endpoint *key, size_t *from)
{
	size_t lo = 0, hi = l->n, end;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (compare_endpoints(&l->items[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < l->n && same_object(&l->items[end], key);)
		end++;
	*from = lo;
	return end;
}

static unsigned long long
unix_peer(const struct ipc_state *st, unsigned long long inode)
{
	for (size_t k = 0; k < st->npeers; k++)
		if (st->peers[k][0] == inode)
			return st->peers[k][1];
	return 0;
}

/* Edges between the endpoints of one object: [from, to) of L. Many
 * processes can share one object (every `make -j` job writes the same
 * pipe): past DASH_GROUP_EDGES edges an object adds no more. */
#define DASH_GROUP_EDGES 32

static void
edges_in_group(struct dash_model *m, const struct list *l, size_t from, size_t to)
{
	size_t made = 0;
	long queued = -2; /* not looked at yet */

	for (size_t i = from; i < to && made < DASH_GROUP_EDGES; i++) {
		const struct endpoint *a = &l->items[i];

		for (size_t j = from; j < to && made < DASH_GROUP_EDGES; j++) {
			const struct endpoint *b = &l->items[j];
			size_t before = m->nedges;

			if (a->pid == b->pid)
				continue;
			if (a->kind == DASH_IPC_PIPE || a->kind == DASH_IPC_FIFO) {
				/* writer -> reader */
				if ((a->end == END_WRITE || a->end == END_BOTH) &&
				    (b->end == END_READ || b->end == END_BOTH))
					add_edge(m, a->kind, a->pid, b->pid, true, a);
				if (m->nedges > before && a->kind == DASH_IPC_PIPE) {
					if (queued == -2)
						queued = pipe_queued(m, b);
					m->edges[m->nedges - 1].queued = queued;
				}
			} else if (a->pid < b->pid) {
				add_edge(m, a->kind, a->pid, b->pid, false, a);
			}
			made += m->nedges - before;
		}
	}
}

static void
edges_from(struct dash_model *m, struct ipc_state *st, struct list *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), compare_endpoints);
	for (size_t from = 0; from < l->n;) {
		const struct endpoint *a = &l->items[from];
		size_t to = from;

		while (to < l->n && same_object(&l->items[to], a))
			to++;
		edges_in_group(m, l, from, to);
		/* The two ends of a socketpair are two inodes the kernel pairs. */
		if (a->kind == DASH_IPC_SOCKET) {
			struct endpoint key = { .kind = a->kind, .inode = unix_peer(st, a->inode) };
			unsigned long long peer = key.inode;
			size_t pfrom = 0, pto = peer > a->inode ? find_group(l, &key, &pfrom) : 0;

			for (size_t i = from; peer > a->inode && i < to; i++)
				for (size_t j = pfrom; j < pto; j++)
					if (l->items[i].pid != l->items[j].pid)
						add_edge(m, a->kind, l->items[i].pid,
						         l->items[j].pid, false, &l->items[i]);
		}
		from = to;
	}
}

static void
read_locks(struct dash_model *m, struct ipc_state *st)
{
	char path[512], line[512];
	FILE *f;

	m->nlocks = 0;
	snprintf(path, sizeof(path), "%s/locks", m->proc);
	if ((f = fopen(path, "re")) == NULL)
		return;
	/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF", and for a waiter
	 * "1: -> FLOCK  ADVISORY  WRITE 1235 08:01:5678 0 EOF". */
	while (fgets(line, sizeof(line), f) != NULL) {
		struct pl_lock_line parsed;
		struct dash_lock l;

		if (pl_procfs_parse_lock(line, &parsed) == -1 ||
		    dash_model_find(m, parsed.pid) == NULL)
			continue;
		memset(&l, 0, sizeof(l));
		l.id = parsed.id;
		l.waiting = parsed.waiting;
		snprintf(l.type, sizeof(l.type), "%s", parsed.kind);
		snprintf(l.mode, sizeof(l.mode), "%s", parsed.access);
		l.pid = parsed.pid;
		l.inode = parsed.inode;
		/* Record locks (POSIX, OFD) lock byte ranges: two on one file
		 * are two locks. flock() locks the whole file. */
		if (strcmp(l.type, "FLOCK") != 0) {
			if (parsed.end == -1)
				snprintf(l.range, sizeof(l.range), "bytes %lld-EOF", parsed.start);
			else
				snprintf(l.range, sizeof(l.range), "bytes %lld-%lld", parsed.start,
				         parsed.end);
		}
		for (size_t i = 0; i < st->nfiles; i++)
			if (st->files[i].inode == l.inode &&
			    st->files[i].dev == makedev(parsed.major, parsed.minor))
				snprintf(l.name, sizeof(l.name), "%s", st->files[i].path);
		if (push(&m->locks, &m->nlocks, &m->cap_locks, sizeof(*m->locks)) == -1)
			break;
		m->locks[m->nlocks - 1] = l;
	}
	fclose(f);
}

/* A stable order, so snapshots change only when the edges do. */
static int
compare_edges(const void *a, const void *b)
{
	const struct dash_edge *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->inode > y->inode) - (x->inode < y->inode);
}

/* In a big tree most processes sleep, and reading every fd table and
 * every maps file is most of what a refresh costs. A process's fd table
 * and its mappings change only when one of its own tasks runs: another
 * process can signal it or write to its pipes, but not open, close or map
 * anything in its place. So a process with one task whose time on a CPU
 * (/proc/PID/schedstat, in ns, exact) has not moved since the last
 * reading keeps its endpoints from that reading. Threads share the table
 * but each has its own time, so a process with more than one task is
 * always read. Small trees are read in full every time. */

static unsigned long long
runtime_of(const struct dash_model *m, pid_t pid)
{
	char path[512], text[128];

	snprintf(path, sizeof(path), "%s/%ld/schedstat", m->proc, (long)pid);
	if (dash_read_file(path, text, sizeof(text)) <= 0)
		return 0;
	return strtoull(text, NULL, 10);
}

/* Has P not run since *SEEN was taken? Takes its new reading either way. */
static bool
still_since(const struct dash_proc *p, unsigned long long *seen)
{
	bool same = p->runtime != 0 && p->runtime == *seen && p->tasks == 1;

	*seen = p->runtime;
	return same;
}

static int
compare_endpoint_pid(const void *a, const void *b)
{
	const struct endpoint *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Copy PID's endpoints from OLD, sorted by PID, into L. */
static void
keep_endpoints(struct list *l, const struct list *old, pid_t pid)
{
	size_t lo = 0, hi = old->n;

	while (lo < hi) { /* the first endpoint of PID, or where it would be */
		size_t mid = lo + (hi - lo) / 2;
		if (old->items[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < old->n && old->items[lo].pid == pid; lo++) {
		struct endpoint *ep = add_endpoint(l);
		if (ep == NULL)
			return;
		*ep = old->items[lo];
	}
}

typedef void read_fn(struct dash_model *m, struct ipc_state *st, pid_t pid);

/* Read LIST (the fd tables, or with MAPS the maps) afresh for every live
 * process, or keep what the last reading said of those that have not run
 * since. */
static void
read_all(struct dash_model *m, struct ipc_state *st, struct list *list, read_fn *read_one,
         bool maps)
{
	bool skip = m->nprocs > DASH_SMALL_TREE;
	struct list old = *list;

	*list = st->spare;
	list->n = 0;
	if (skip && old.n > 1)
		qsort(old.items, old.n, sizeof(*old.items), compare_endpoint_pid);
	for (size_t i = 0; i < m->nprocs; i++) {
		struct dash_proc *p = &m->procs[i];

		if (p->gone_at >= 0 || p->state == 'Z')
			continue;
		if (skip && still_since(p, maps ? &p->maps_runtime : &p->fds_runtime))
			keep_endpoints(list, &old, p->pid);
		else
			read_one(m, st, p->pid);
	}
	st->spare = old;
}

void
dash_ipc_refresh(struct dash_model *m, bool fds, bool maps)
{
	struct ipc_state *st = m->ipc_state;

	if (st == NULL && (st = m->ipc_state = calloc(1, sizeof(*st))) == NULL)
		return;
	/* Each process's time on a CPU, once for both readings. */
	if (m->nprocs > DASH_SMALL_TREE && (fds || maps))
		for (size_t i = 0; i < m->nprocs; i++)
			if (m->procs[i].gone_at < 0 && m->procs[i].state != 'Z')
				m->procs[i].runtime = runtime_of(m, m->procs[i].pid);
	if (fds) {
		/* The open files name the locks; those of a process that kept
		 * its table are kept too (the list is only ever added to while
		 * the tree is big). */
		if (m->nprocs <= DASH_SMALL_TREE)
			st->nfiles = 0;
		read_all(m, st, &st->fds, read_fds, false);
		/* The kernel lists every Unix socket of the host: ask only when
		 * a watched process holds one. */
		bool sockets = false;
		for (size_t i = 0; i < st->fds.n && !sockets; i++)
			sockets = st->fds.items[i].kind == DASH_IPC_SOCKET;
		if (sockets)
			read_unix_peers(m, st);
		else
			st->npeers = 0;
	}
	if (maps)
		read_all(m, st, &st->maps, read_maps, true);
	/* Edges only between processes still alive. Between two readings of
	 * the fd tables (a big tree) the edges stay as they were. */
	if (fds || maps) {
		m->nedges = 0;
		edges_from(m, st, &st->fds);
		edges_from(m, st, &st->maps);
	}
	for (size_t i = 0; i < m->nedges;) {
		struct dash_proc *a = dash_model_find(m, m->edges[i].from);
		struct dash_proc *b = dash_model_find(m, m->edges[i].to);
		if (a == NULL || b == NULL || a->gone_at >= 0 || b->gone_at >= 0)
			m->edges[i] = m->edges[--m->nedges];
		else
			i++;
	}
	if (m->nedges > 1)
		qsort(m->edges, m->nedges, sizeof(*m->edges), compare_edges);
	read_locks(m, st);
}

void
dash_ipc_free(struct dash_model *m)
{
	struct ipc_state *st = m->ipc_state;

	if (st == NULL)
		return;
	free(st->fds.items);
	free(st->maps.items);
	free(st->spare.items);
	free(st->files);
	free(st->peers);
	free(st);
	m->ipc_state = NULL;
}
