/* pl_ipc.c - the IPC between watched processes, read from /proc so that it
 * works for any program:
 *  - fd tables (/proc/PID/fd): a pipe is "pipe:[INODE]" in both processes'
 *    tables; /proc/PID/fdinfo/N "flags:" says which end (O_ACCMODE). A
 *    FIFO is a path whose stat says S_ISFIFO. Sockets are "socket:[INODE]";
 *    the two ends of a socketpair are different inodes, which the kernel
 *    pairs for us in sock_diag (UNIX_DIAG_PEER, see sock_diag(7)), and
 *    names (the path a server listens on). TCP and UDP sockets are lines
 *    of /proc/net/tcp, tcp6, udp and udp6 (proc(5)), found by inode: two
 *    ends over loopback are one connection when each one's local address
 *    is the other's remote. Those tables list every socket of the host,
 *    so they are read only when a watched process holds a socket.
 *    A POSIX message queue is a file on the mqueue file system.
 *    eventfd, signalfd, timerfd, epoll and pidfd are "anon_inode:[KIND]":
 *    one inode for all of them, so which two fds are one object is asked
 *    of kcmp(2) (KCMP_FILE); an eventfd's fdinfo has its own id.
 *  - maps (/proc/PID/maps, pl_maps.h): a mapping with 's' in its
 *    permissions is shared; the same object in two processes is memory
 *    they share. A POSIX semaphore is a small file /dev/shm/sem.NAME,
 *    mapped (sem_overview(7)); mmap(MAP_SHARED | MAP_ANONYMOUS) maps a
 *    file of its own that the kernel names "/dev/zero (deleted)".
 * Everything that holds one object is grouped into one pl_ipc_object.
 * An object is its device and inode: inode numbers repeat across file
 * systems, and a System V segment's "inode" is its id, 0 for the first.
 *  - /proc/locks: file locks, with "->" before a blocked waiter.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "pl_ipc.h"
#include "pl_maps.h"
#include "pl_model.h"
#include "pl_procfs.h"
#include "pl_sockdiag.h"

#define MQUEUE_MAGIC 0x19800202 /* linux/magic.h */
#define SOCKETS_PERIOD_BIG 10.0 /* s: the socket tables of a big tree, at the least */

enum end { END_READ, END_WRITE, END_BOTH, END_NONE };

/* One process's end of something: an fd or a mapping. */
struct endpoint {
	enum pl_ipc_kind kind;
	pid_t pid;
	int fd;
	enum end end;
	unsigned long long dev; /* 0 for pipes and sockets: their inode says all */
	unsigned long long inode;
	char name[64];
	bool first; /* scratch: the first fd seen of its file (kcmp) */
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

/* A socket, from sock_diag (Unix) or /proc/net (TCP, UDP). */
struct sock {
	unsigned long long inode;
	enum pl_ipc_kind kind;   /* PL_IPC_UNIX, _TCP or _UDP */
	unsigned long long peer; /* Unix: the other end's inode */
	bool listening;          /* listening, or (UDP) bound and unconnected */
	char local[64];          /* Unix: its path; inet: "ADDRESS:PORT" */
	char remote[64];         /* inet: "ADDRESS:PORT", "" if none */
};

/* The endpoints of one object: [from, to) of the sorted list. */
struct group {
	size_t from, to;
	const struct sock *sock; /* for a socket we know, else NULL */
	bool done;
};

struct ipc_state {
	struct list fds, maps;
	struct list spare; /* the last reading, while making the next */
	struct list all;   /* scratch: the endpoints grouped into objects */
	struct file *files;
	size_t nfiles, cap_files;
	struct sock *socks; /* sorted by inode */
	size_t nsocks, cap_socks;
	struct group *groups;
	size_t ngroups, cap_groups;
	/* When the socket tables were last read, and what the fd tables held
	 * then: the count and a digest of their sockets' inodes. */
	double socks_at;
	size_t socks_held;
	unsigned long long socks_digest;
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
	if (pl_model_read_file(path, text, sizeof(text)) <= 0 ||
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
add_file(struct ipc_state *st, unsigned long long dev, unsigned long long inode, const char *path)
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

/* A number from a line "KEY:\tVALUE" of /proc/PID/fdinfo/FD, or 0. */
static unsigned long long
fdinfo_value(const char *proc, pid_t pid, const char *fd, const char *key)
{
	char path[512], text[1024], *at;

	snprintf(path, sizeof(path), "%s/%ld/fdinfo/%s", proc, (long)pid, fd);
	if (pl_model_read_file(path, text, sizeof(text)) <= 0)
		return 0;
	for (at = text; (at = strstr(at, key)) != NULL; at++)
		if ((at == text || at[-1] == '\n') && at[strlen(key)] == ':')
			return strtoull(at + strlen(key) + 1, NULL, 10);
	return 0;
}

/* What an "anon_inode:[KIND]" fd is (anon_inode:inotify has no brackets). */
static enum pl_ipc_kind
anon_kind(const char *what)
{
	static const struct {
		const char *name;
		enum pl_ipc_kind kind;
	} kinds[] = {
		{ "[eventfd]", PL_IPC_EVENTFD }, { "[signalfd]", PL_IPC_SIGNALFD },
		{ "[timerfd]", PL_IPC_TIMERFD }, { "[pidfd]", PL_IPC_PIDFD },
		{ "[eventpoll]", PL_IPC_EPOLL },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(what, kinds[i].name) == 0)
			return kinds[i].kind;
	return PL_IPC_ANON;
}

/* What a shared file under /dev/shm is: sem_open(3) names its file
 * "sem.NAME" (sem_overview(7)); shm_open(3) uses NAME as it is. */
static enum pl_ipc_kind
shm_kind(const char *path)
{
	return strncmp(path, "/dev/shm/sem.", 13) == 0 ? PL_IPC_SEM : PL_IPC_SHM;
}

/* One process's fd table. An empty one (a zombie's) adds nothing. */
static void
read_fds(struct pl_model *m, struct ipc_state *st, pid_t pid)
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
		unsigned long long inode = 0, dev = 0;
		struct endpoint *ep;
		struct stat sb;
		enum pl_ipc_kind kind;
		enum end end = END_NONE;
		ssize_t n;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n == -1 && errno == EINVAL && !real) {
			/* A fake tree's fd entry is a file holding what readlink
			 * gives (tar, as `make dist` runs it, drops dangling links). */
			char file[800];
			snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
			n = pl_model_read_file(file, target, sizeof(target));
		}
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (sscanf(target, "pipe:[%llu]", &inode) == 1) {
			kind = PL_IPC_PIPE;
			end = fd_end(m->proc, pid, e->d_name);
		} else if (sscanf(target, "socket:[%llu]", &inode) == 1) {
			kind = PL_IPC_SOCKET; /* which family, the socket tables say */
		} else if (strncmp(target, "anon_inode:", 11) == 0) {
			kind = anon_kind(target + 11);
			/* They share one inode (a pidfd has its own only since
			 * pidfs, Linux 6.9). An eventfd has an id of its own
			 * since 6.8; the others are told apart by kcmp(2),
			 * later. A fake tree gives each an "ino:" of its own. */
			if (kind == PL_IPC_EVENTFD)
				inode = fdinfo_value(m->proc, pid, e->d_name, "eventfd-id");
			if (!real)
				inode = fdinfo_value(m->proc, pid, e->d_name, "ino");
			/* Which process a pidfd stands for: "Pid:" in fdinfo. */
			if (kind == PL_IPC_PIDFD)
				snprintf(target, sizeof(target), "pidfd of process %llu",
				         fdinfo_value(m->proc, pid, e->d_name, "Pid"));
			dev = inode != 0; /* 0: identity unknown yet */
		} else if (target[0] == '/' && fstatat(dirfd(d), e->d_name, &sb, 0) == 0) {
			struct statfs fs;
			char fdpath[800];

			inode = sb.st_ino;
			dev = sb.st_dev;
			snprintf(fdpath, sizeof(fdpath), "%s/%ld/fd/%s", m->proc, (long)pid,
			         e->d_name);
			if (S_ISFIFO(sb.st_mode)) {
				kind = PL_IPC_FIFO;
				end = fd_end(m->proc, pid, e->d_name);
			} else if (!S_ISREG(sb.st_mode)) {
				continue;
			} else if (real && statfs(fdpath, &fs) == 0 && fs.f_type == MQUEUE_MAGIC) {
				/* A message queue's link reads "/NAME"; its file
				 * system tells it from a file. */
				kind = PL_IPC_MQUEUE;
			} else if (strncmp(target, "/memfd:", 7) == 0) {
				kind = PL_IPC_MEMFD;
			} else if (strncmp(target, "/dev/shm/", 9) == 0 &&
			           strstr(target, "/proclab-board-") == NULL) {
				kind = shm_kind(target);
				add_file(st, dev, inode, target); /* it may be locked too */
			} else {
				add_file(st, dev, inode, target);
				continue;
			}
		} else {
			continue;
		}
		if ((ep = add_endpoint(&st->fds)) == NULL)
			break;
		ep->kind = kind;
		ep->end = end;
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
read_maps(struct pl_model *m, struct ipc_state *st, pid_t pid)
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
		ep->fd = -1;
		ep->dev = dev;
		ep->inode = map.inode;
		ep->end = END_NONE;
		if (strncmp(map.path, "/dev/shm/", 9) == 0)
			ep->kind = shm_kind(map.path);
		else if (strncmp(map.path, "/SYSV", 5) == 0)
			ep->kind = PL_IPC_SYSV_SHM;
		else if (strcmp(map.path, "/dev/zero (deleted)") == 0)
			ep->kind = PL_IPC_ANON_SHM;
		else if (strncmp(map.path, "/memfd:", 7) == 0)
			ep->kind = PL_IPC_MEMFD;
		else
			ep->kind = PL_IPC_MAPPING;
		copy_cut(ep->name, sizeof(ep->name), map.path);
	}
	fclose(f);
}

/* ------------------------------------------------------------------ */
/* The socket tables                                                   */
/* ------------------------------------------------------------------ */

static struct sock *
add_sock(struct ipc_state *st)
{
	if (push(&st->socks, &st->nsocks, &st->cap_socks, sizeof(*st->socks)) == -1)
		return NULL;
	memset(&st->socks[st->nsocks - 1], 0, sizeof(*st->socks));
	return &st->socks[st->nsocks - 1];
}

static void
add_unix(const struct pl_sockdiag_unix *u, void *arg)
{
	struct sock *s = add_sock(arg);

	if (s == NULL)
		return;
	s->inode = u->inode;
	s->kind = PL_IPC_UNIX;
	s->peer = u->peer;
	s->listening = u->state == 10; /* TCP_LISTEN, as sock_diag says it */
	copy_cut(s->local, sizeof(s->local), u->path);
}

/* A fake tree lists its Unix sockets in the file "unix-peers", a line
 * "INODE PEER [STATE [PATH]]" each (PEER 0 for none, STATE 10 listening). */
static void
read_unix_fake(struct pl_model *m, struct ipc_state *st)
{
	char path[512], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/unix-peers", m->proc);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct pl_sockdiag_unix u;

		memset(&u, 0, sizeof(u));
		if (sscanf(line, "%llu %llu %d %107s", &u.inode, &u.peer, &u.state, u.path) >= 2)
			add_unix(&u, st);
	}
	fclose(f);
}

/* An address as /proc/net/tcp prints it (proc(5)): the address in hex,
 * as the host stores it (one 32-bit word for IPv4, four for IPv6), ':'
 * and the port in hex. Gives "127.0.0.1:8080" or "[::1]:8080" as ss(8)
 * does, or "" for no address (port 0). */
static void
inet_address(const char *hex, bool v6, char *out, size_t size)
{
	unsigned char bytes[16];
	size_t words = v6 ? 4 : 1;
	const char *colon = strchr(hex, ':');
	char text[INET6_ADDRSTRLEN];
	unsigned long port;

	out[0] = '\0';
	if (colon == NULL || (size_t)(colon - hex) != 8 * words)
		return;
	for (size_t w = 0; w < words; w++) {
		char word[9];
		uint32_t value;

		memcpy(word, hex + 8 * w, 8);
		word[8] = '\0';
		value = (uint32_t)strtoul(word, NULL, 16);
		memcpy(bytes + 4 * w, &value, sizeof(value));
	}
	port = strtoul(colon + 1, NULL, 16);
	if (port == 0 || inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, text, sizeof(text)) == NULL)
		return;
	snprintf(out, size, v6 ? "[%s]:%lu" : "%s:%lu", text, port);
}

/* One of /proc/net/tcp, tcp6, udp, udp6: a line a socket,
 * "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout
 * inode ...". A socket in TIME_WAIT has inode 0: no process holds it. */
static void
read_inet(struct pl_model *m, struct ipc_state *st, const char *file, enum pl_ipc_kind kind)
{
	char path[512], line[512];
	bool v6 = strchr(file, '6') != NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/net/%s", m->proc, file);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char local[64], remote[64];
		unsigned state;
		unsigned long long inode;
		struct sock *s;

		if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %*s %*s %llu", local, remote, &state,
		           &inode) != 4 ||
		    inode == 0 || (s = add_sock(st)) == NULL)
			continue;
		s->inode = inode;
		s->kind = kind;
		inet_address(local, v6, s->local, sizeof(s->local));
		inet_address(remote, v6, s->remote, sizeof(s->remote));
		/* 0A is TCP_LISTEN; a UDP socket with no remote is bound
		 * and waits for datagrams from anyone: it listens too. */
		s->listening = kind == PL_IPC_TCP ? state == 0x0A : s->remote[0] == '\0';
	}
	fclose(f);
}

static int
compare_socks(const void *a, const void *b)
{
	const struct sock *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

/* Every socket of the host's network namespace: what sock_diag says of
 * the Unix ones, and the TCP and UDP tables. */
static void
read_sockets(struct pl_model *m, struct ipc_state *st)
{
	st->nsocks = 0;
	m->socket_reads++;
	if (strcmp(m->proc, "/proc") == 0)
		/* Without it the Unix sockets show only what processes share
		 * one socket; that is all we can do then. */
		(void)pl_sockdiag_unix_list(add_unix, st);
	else
		read_unix_fake(m, st);
	read_inet(m, st, "tcp", PL_IPC_TCP);
	read_inet(m, st, "tcp6", PL_IPC_TCP);
	read_inet(m, st, "udp", PL_IPC_UDP);
	read_inet(m, st, "udp6", PL_IPC_UDP);
	if (st->nsocks > 1)
		qsort(st->socks, st->nsocks, sizeof(*st->socks), compare_socks);
}

static const struct sock *
find_sock(const struct ipc_state *st, unsigned long long inode)
{
	struct sock key = { .inode = inode };

	if (st->nsocks == 0)
		return NULL;
	return bsearch(&key, st->socks, st->nsocks, sizeof(*st->socks), compare_socks);
}

/* Is it time to read the host's socket tables? They list every socket of
 * the host, and /proc/net/tcp walks the whole hash of connections to say
 * so: in a tree of 1,000 that was a twentieth of the dashboard's time.
 * Not when no watched process holds a socket. In a small tree, at each
 * reading of the fd tables. In a big one, only when the watched processes
 * hold other sockets than at the last reading, when one of them was not
 * settled then (a TCP socket neither listening nor connected, a Unix one
 * with no peer that does not listen: either may connect at any moment),
 * or every SOCKETS_PERIOD_BIG seconds, for what can change in place (a
 * bound UDP socket that connects). */
static bool
sockets_due(const struct pl_model *m, struct ipc_state *st)
{
	unsigned long long digest = 0;
	size_t held = 0;
	bool settled = true;

	for (size_t i = 0; i < st->fds.n; i++) {
		const struct endpoint *e = &st->fds.items[i];
		const struct sock *s;

		if (e->kind != PL_IPC_SOCKET)
			continue;
		held++;
		/* A sum of mixed inodes: the same for the same sockets in any
		 * order, and all but never for other sockets. */
		digest += (e->inode + 1) * 0x9e3779b97f4a7c15ULL ^ e->inode >> 29;
		s = find_sock(st, e->inode);
		if (s == NULL || (!s->listening && s->peer == 0 && s->remote[0] == '\0'))
			settled = false;
	}
	if (held == 0) {
		st->nsocks = 0;
		return false;
	}
	if (m->nprocs <= PL_MODEL_SMALL_TREE || !settled || held != st->socks_held ||
	    digest != st->socks_digest || m->now - st->socks_at >= SOCKETS_PERIOD_BIG) {
		st->socks_held = held;
		st->socks_digest = digest;
		st->socks_at = m->now;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Grouping the endpoints into objects                                 */
/* ------------------------------------------------------------------ */

/* Bytes waiting in a pipe: FIONREAD on an fd of our own for the same pipe,
 * opened through /proc/PID/fd/N. Only for anonymous pipes, which no one
 * can be waiting to open.
 * While our fd is open the pipe has one reader more: were the last real
 * reader to close in that moment, a writer would not get SIGPIPE (EPIPE)
 * but fill the pipe. So the fd lives for the one ioctl, and each pipe is
 * looked at once a refresh, however many processes share it. */
static long
pipe_queued(const struct pl_model *m, const struct endpoint *reader)
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
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

static bool
same_object(const struct endpoint *x, const struct endpoint *y)
{
	return x->kind == y->kind && x->dev == y->dev && x->inode == y->inode;
}

static bool
anon_inode_kind(enum pl_ipc_kind kind)
{
	return kind >= PL_IPC_EVENTFD && kind <= PL_IPC_ANON;
}

/* The anon-inode fds whose identity is not known yet (dev 0): which are
 * one file, kcmp(2) says (KCMP_FILE compares the struct file two fds
 * point to, in any two processes we may ptrace). Each is compared with
 * the first fd of every file found so far, within a budget of calls; an
 * fd that matches none is a file of its own, named by its first fd. */
#define KCMP_BUDGET 4096

static void
identify_anon_fds(struct list *l)
{
	long budget = KCMP_BUDGET;

	for (size_t i = 0; i < l->n; i++) {
		struct endpoint *a = &l->items[i];

		if (!anon_inode_kind(a->kind) || a->dev != 0)
			continue;
		a->dev = 1;
		a->inode = (unsigned long long)a->pid << 32 | (unsigned)a->fd;
		a->first = true;
		for (size_t j = 0; j < i && budget > 0; j++) {
			struct endpoint *b = &l->items[j];

			if (b->kind != a->kind || !b->first)
				continue;
			budget--;
			if (syscall(SYS_kcmp, a->pid, b->pid, KCMP_FILE, a->fd, b->fd) == 0) {
				a->inode = b->inode;
				a->first = false;
				break;
			}
		}
	}
}

/* The group of the socket INODE of KIND, or NULL. */
static struct group *
find_socket_group(struct ipc_state *st, enum pl_ipc_kind kind, unsigned long long inode)
{
	struct endpoint key = { .kind = kind, .inode = inode, .pid = 0, .fd = -1 };
	size_t lo = 0, hi = st->ngroups;

	if (inode == 0)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct endpoint *e = &st->all.items[st->groups[mid].from];
		if (compare_endpoints(e, &key) < 0 && !same_object(e, &key))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->ngroups && same_object(&st->all.items[st->groups[lo].from], &key))
		return &st->groups[lo];
	return NULL;
}

/* How many processes in two runs of endpoints each sorted by PID. */
static size_t
count_pids(const struct list *l, const struct group *g, const struct group *h)
{
	size_t i = g->from, j = h != NULL ? h->from : 0, jto = h != NULL ? h->to : 0, n = 0;
	pid_t last = 0;

	while (i < g->to || j < jto) {
		pid_t p;

		if (j >= jto || (i < g->to && l->items[i].pid <= l->items[j].pid))
			p = l->items[i++].pid;
		else
			p = l->items[j++].pid;
		if (n == 0 || p != last)
			n++;
		last = p;
	}
	return n;
}

static char
end_letter(enum end end)
{
	switch (end) {
	case END_READ:
		return 'r';
	case END_WRITE:
		return 'w';
	case END_BOTH:
		return 'b';
	default:
		return '\0';
	}
}

static void
add_holders(struct pl_model *m, struct pl_ipc_object *o, const struct list *l,
            const struct group *g, int side)
{
	for (size_t i = g->from; i < g->to; i++) {
		struct pl_ipc_holder *h;

		if (push(&m->holders, &m->nholders, &m->cap_holders, sizeof(*m->holders)) == -1)
			return;
		h = &m->holders[m->nholders - 1];
		h->pid = l->items[i].pid;
		h->fd = l->items[i].fd;
		h->end = end_letter(l->items[i].end);
		h->side = side;
		o->nholders++;
	}
}

/* What the object is, in words a student knows. */
static void
label_object(struct pl_ipc_object *o, const struct endpoint *e, const struct sock *s,
             const struct sock *peer)
{
	unsigned key;

	switch (o->kind) {
	case PL_IPC_PIPE:
		snprintf(o->label, sizeof(o->label), "pipe:[%llu]", o->inode);
		break;
	case PL_IPC_SYSV_SHM: /* maps names a segment "/SYSV" and its key in hex */
		if (sscanf(e->name, "/SYSV%8x", &key) == 1)
			snprintf(o->label, sizeof(o->label), "key 0x%08x, id %llu", key, o->inode);
		else
			snprintf(o->label, sizeof(o->label), "id %llu", o->inode);
		break;
	case PL_IPC_ANON_SHM:
		snprintf(o->label, sizeof(o->label), "anonymous shared memory");
		break;
	case PL_IPC_EVENTFD:
	case PL_IPC_SIGNALFD:
	case PL_IPC_TIMERFD:
	case PL_IPC_EPOLL:
		snprintf(o->label, sizeof(o->label), "%s", pl_ipc_name(o->kind));
		break;
	case PL_IPC_SOCKET:
		snprintf(o->label, sizeof(o->label), "socket:[%llu]", o->inode);
		break;
	case PL_IPC_UNIX:
		snprintf(o->ends[0], sizeof(o->ends[0]), "socket:[%llu]", o->inode);
		if (o->connection)
			snprintf(o->ends[1], sizeof(o->ends[1]), "socket:[%llu]", o->peer);
		/* A server's accepted socket has the name it listens on. */
		snprintf(o->label, sizeof(o->label), "%s",
		         s != NULL && s->local[0]         ? s->local
		         : peer != NULL && peer->local[0] ? peer->local
		                                          : o->ends[0]);
		break;
	case PL_IPC_TCP:
	case PL_IPC_UDP:
		if (s == NULL)
			break;
		snprintf(o->ends[0], sizeof(o->ends[0]), "%s", s->local);
		snprintf(o->ends[1], sizeof(o->ends[1]), "%s",
		         peer != NULL ? peer->local : s->remote);
		snprintf(o->label, sizeof(o->label), "%s", s->local);
		break;
	default:
		snprintf(o->label, sizeof(o->label), "%s", e->name);
		break;
	}
}

/* One object from group G and, for a connection, its other side H. */
static void
add_object(struct pl_model *m, struct ipc_state *st, struct group *g, struct group *h)
{
	const struct endpoint *e = &st->all.items[g->from];
	struct pl_ipc_object *o;

	if (push(&m->objects, &m->nobjects, &m->cap_objects, sizeof(*m->objects)) == -1)
		return;
	o = &m->objects[m->nobjects - 1];
	memset(o, 0, sizeof(*o));
	o->kind = e->kind;
	o->dev = e->dev;
	o->inode = e->inode;
	o->queued = -1;
	o->holder = m->nholders;
	o->connection = h != NULL || (g->sock != NULL && g->sock->remote[0] != '\0');
	o->outside = h == NULL && o->connection;
	o->listening = g->sock != NULL && g->sock->listening;
	if (h != NULL && h->sock != NULL)
		o->peer = h->sock->inode;
	add_holders(m, o, &st->all, g, 0);
	if (h != NULL)
		add_holders(m, o, &st->all, h, 1);
	o->npids = count_pids(&st->all, g, h);
	label_object(o, e, g->sock, h != NULL ? h->sock : NULL);
	if (o->dev > 1)
		snprintf(o->id, sizeof(o->id), "%s:%llu:%llu", pl_ipc_name(o->kind), o->dev,
		         o->inode);
	else
		snprintf(o->id, sizeof(o->id), "%s:%llu", pl_ipc_name(o->kind), o->inode);
	if (o->kind == PL_IPC_PIPE)
		for (size_t i = g->from; i < g->to; i++)
			if (st->all.items[i].end == END_READ || st->all.items[i].end == END_BOTH) {
				o->queued = pipe_queued(m, &st->all.items[i]);
				break;
			}
	g->done = true;
	if (h != NULL)
		h->done = true;
}

/* The other end of a TCP or UDP connection, if a watched process holds
 * it: its local address is G's remote one and the other way round. */
static struct group *
inet_peer(struct ipc_state *st, const struct group *g)
{
	for (size_t k = 0; k < st->ngroups; k++) {
		struct group *h = &st->groups[k];

		if (h != g && !h->done && h->sock != NULL && h->sock->kind == g->sock->kind &&
		    strcmp(h->sock->local, g->sock->remote) == 0 &&
		    strcmp(h->sock->remote, g->sock->local) == 0)
			return h;
	}
	return NULL;
}

/* The socket a connected UDP socket G sends to, if a watched process
 * holds it bound and unconnected, as a server that takes datagrams from
 * anyone does: G's remote address is its local one. */
static struct group *
udp_receiver(struct ipc_state *st, const struct group *g)
{
	for (size_t k = 0; k < st->ngroups; k++) {
		struct group *h = &st->groups[k];

		if (h != g && h->sock != NULL && h->sock->kind == PL_IPC_UDP &&
		    h->sock->listening && strcmp(h->sock->local, g->sock->remote) == 0)
			return h;
	}
	return NULL;
}

static int
compare_objects(const void *a, const void *b, void *arg)
{
	const struct pl_ipc_object *x = a, *y = b;
	const struct pl_model *m = arg;
	pid_t px = x->nholders ? m->holders[x->holder].pid : 0;
	pid_t py = y->nholders ? m->holders[y->holder].pid : 0;

	if (px != py)
		return px < py ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->inode > y->inode) - (x->inode < y->inode);
}

void
pl_ipc_sort_objects(struct pl_model *m)
{
	if (m->nobjects > 1)
		qsort_r(m->objects, m->nobjects, sizeof(*m->objects), compare_objects, m);
}

/* Group the endpoints of live processes, one object each: an object two
 * processes share, a socket one listens on, a connection to outside. */
static void
build_objects(struct pl_model *m, struct ipc_state *st)
{
	struct list *all = &st->all;
	const struct list *lists[] = { &st->fds, &st->maps };

	all->n = 0;
	m->nobjects = 0;
	m->nholders = 0;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			const struct endpoint *ep = &lists[k]->items[i];
			struct pl_model_proc *p = pl_model_find(m, ep->pid);
			struct endpoint *copy;

			if (p == NULL || p->gone_at >= 0 || p->state == 'Z' ||
			    (copy = add_endpoint(all)) == NULL)
				continue;
			*copy = *ep;
			if (copy->kind == PL_IPC_SOCKET) {
				const struct sock *s = find_sock(st, copy->inode);
				if (s != NULL)
					copy->kind = s->kind;
			}
		}
	if (strcmp(m->proc, "/proc") == 0)
		identify_anon_fds(all);
	if (all->n > 1)
		qsort(all->items, all->n, sizeof(*all->items), compare_endpoints);
	st->ngroups = 0;
	for (size_t from = 0, to; from < all->n; from = to) {
		struct group *g;

		for (to = from; to < all->n && same_object(&all->items[to], &all->items[from]);)
			to++;
		if (push(&st->groups, &st->ngroups, &st->cap_groups, sizeof(*st->groups)) == -1)
			break;
		g = &st->groups[st->ngroups - 1];
		g->from = from;
		g->to = to;
		g->done = false;
		g->sock = NULL;
		if (all->items[from].kind >= PL_IPC_UNIX && all->items[from].kind <= PL_IPC_UDP)
			g->sock = find_sock(st, all->items[from].inode);
	}
	for (size_t k = 0; k < st->ngroups; k++) {
		struct group *g = &st->groups[k], *h;

		if (g->done)
			continue;
		switch (all->items[g->from].kind) {
		case PL_IPC_UNIX:
			/* Two sockets the kernel joins: one connection. */
			h = g->sock != NULL ? find_socket_group(st, PL_IPC_UNIX, g->sock->peer)
			                    : NULL;
			if (h != NULL && !h->done)
				add_object(m, st, g, h);
			else if (g->sock != NULL && g->sock->listening)
				add_object(m, st, g, NULL);
			else if (count_pids(all, g, NULL) >= 2)
				add_object(m, st, g, NULL);
			break;
		case PL_IPC_TCP:
		case PL_IPC_UDP:
			/* Listening, one end of a connection between two
			 * watched processes, or one end to outside. */
			h = g->sock->listening ? NULL : inet_peer(st, g);
			if (h == NULL && g->sock->kind == PL_IPC_UDP && !g->sock->listening &&
			    (h = udp_receiver(st, g)) != NULL) {
				/* No connection to outside: its datagrams go to
				 * a watched socket, which also has its own line,
				 * listening, for every other sender. */
				bool done = h->done;

				add_object(m, st, g, h);
				h->done = done;
				break;
			}
			add_object(m, st, g, h);
			break;
		default:
			if (count_pids(all, g, NULL) >= 2)
				add_object(m, st, g, NULL);
			break;
		}
	}
	pl_ipc_sort_objects(m);
}

static void
read_locks(struct pl_model *m, struct ipc_state *st)
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
		struct pl_ipc_lock l;

		if (pl_procfs_parse_lock(line, &parsed) == -1 ||
		    pl_model_find(m, parsed.pid) == NULL)
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
runtime_of(const struct pl_model *m, pid_t pid)
{
	char path[512], text[128];

	snprintf(path, sizeof(path), "%s/%ld/schedstat", m->proc, (long)pid);
	if (pl_model_read_file(path, text, sizeof(text)) <= 0)
		return 0;
	return strtoull(text, NULL, 10);
}

/* Has P not run since *SEEN was taken? Takes its new reading either way. */
static bool
still_since(const struct pl_model_proc *p, unsigned long long *seen)
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

typedef void read_fn(struct pl_model *m, struct ipc_state *st, pid_t pid);

/* Read LIST (the fd tables, or with MAPS the maps) afresh for every live
 * process, or keep what the last reading said of those that have not run
 * since. */
static void
read_all(struct pl_model *m, struct ipc_state *st, struct list *list, read_fn *read_one, bool maps)
{
	bool skip = m->nprocs > PL_MODEL_SMALL_TREE;
	struct list old = *list;

	*list = st->spare;
	list->n = 0;
	if (skip && old.n > 1)
		qsort(old.items, old.n, sizeof(*old.items), compare_endpoint_pid);
	for (size_t i = 0; i < m->nprocs; i++) {
		struct pl_model_proc *p = &m->procs[i];

		if (p->gone_at >= 0 || p->state == 'Z')
			continue;
		if (skip && still_since(p, maps ? &p->maps_runtime : &p->fds_runtime))
			keep_endpoints(list, &old, p->pid);
		else
			read_one(m, st, p->pid);
	}
	st->spare = old;
}

/* Has a process that holds an object left since the objects were made? */
static bool
holder_gone(struct pl_model *m)
{
	for (size_t i = 0; i < m->nholders; i++) {
		struct pl_model_proc *p = pl_model_find(m, m->holders[i].pid);
		if (p == NULL || p->gone_at >= 0 || p->state == 'Z')
			return true;
	}
	return false;
}

void
pl_ipc_refresh(struct pl_model *m, bool fds, bool maps)
{
	struct ipc_state *st = m->ipc_state;

	if (st == NULL && (st = m->ipc_state = calloc(1, sizeof(*st))) == NULL)
		return;
	/* Each process's time on a CPU, once for both readings. */
	if (m->nprocs > PL_MODEL_SMALL_TREE && (fds || maps))
		for (size_t i = 0; i < m->nprocs; i++)
			if (m->procs[i].gone_at < 0 && m->procs[i].state != 'Z')
				m->procs[i].runtime = runtime_of(m, m->procs[i].pid);
	if (fds) {
		/* The open files name the locks; those of a process that kept
		 * its table are kept too (the list is only ever added to while
		 * the tree is big). */
		if (m->nprocs <= PL_MODEL_SMALL_TREE)
			st->nfiles = 0;
		read_all(m, st, &st->fds, read_fds, false);
		/* The kernel lists every socket of the host: ask only when a
		 * watched process holds one. */
		if (sockets_due(m, st))
			read_sockets(m, st);
	}
	if (maps)
		read_all(m, st, &st->maps, read_maps, true);
	/* Objects only of processes still alive. Between two readings of the
	 * fd tables (a big tree) they stay as they were, but for those whose
	 * holders have gone. */
	if (fds || maps || holder_gone(m))
		build_objects(m, st);
	read_locks(m, st);
}

void
pl_ipc_free(struct pl_model *m)
{
	struct ipc_state *st = m->ipc_state;

	if (st == NULL)
		return;
	free(st->fds.items);
	free(st->maps.items);
	free(st->spare.items);
	free(st->all.items);
	free(st->files);
	free(st->socks);
	free(st->groups);
	free(st);
	m->ipc_state = NULL;
}

const char *
pl_ipc_name(enum pl_ipc_kind kind)
{
	static const char *const names[] = {
		[PL_IPC_PIPE] = "pipe",         [PL_IPC_FIFO] = "fifo",
		[PL_IPC_UNIX] = "unix",         [PL_IPC_TCP] = "tcp",
		[PL_IPC_UDP] = "udp",           [PL_IPC_SOCKET] = "socket",
		[PL_IPC_SHM] = "shm",           [PL_IPC_SEM] = "sem",
		[PL_IPC_SYSV_SHM] = "sysvshm",  [PL_IPC_ANON_SHM] = "anonshm",
		[PL_IPC_MEMFD] = "memfd",       [PL_IPC_MAPPING] = "mapping",
		[PL_IPC_MQUEUE] = "mqueue",     [PL_IPC_EVENTFD] = "eventfd",
		[PL_IPC_SIGNALFD] = "signalfd", [PL_IPC_TIMERFD] = "timerfd",
		[PL_IPC_PIDFD] = "pidfd",       [PL_IPC_EPOLL] = "epoll",
		[PL_IPC_ANON] = "anon",
	};

	if ((unsigned)kind < sizeof(names) / sizeof(names[0]) && names[kind] != NULL)
		return names[kind];
	return "?";
}
