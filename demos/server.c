/* server.c - a server process owns the shared objects; others use proxies.
 *
 * The C counterpart of Python's multiprocessing.Manager (the seeds' "server
 * process"): one process holds a list and a map, and every other process
 * reaches them through small proxy functions that send a request over a
 * socket and wait for the reply. It shows, and proves while it runs, that
 *   1. the server listens on a Unix socket in a directory of our own in
 *      $TMPDIR (mode 0700, its name ending in random digits, so nobody can
 *      take it first or reach in: pl_name.h): the file is a socket (mode
 *      0600), /proc/net/unix lists it as listening, and its inode is one of
 *      the server's fds in /proc/PID/fd.
 *   2. --clients N processes connect at once (the server's /proc/PID/fd holds
 *      every connection) and each appends --ops K items and adds 1 to two
 *      keys K times; the final state is exact: the list's length, each
 *      client's items once and in order, the map's values and a checksum.
 *   3. a client SIGKILLed with half a request sent does not corrupt the
 *      server: it sees the torn request, drops the connection, and the state
 *      is exact for the survivors. The victim's earlier request, whose reply
 *      it never read, was applied exactly once.
 *   4. a request through the proxy costs far more than the same work on a
 *      mutex-protected struct in shared memory: medians, side by side.
 *   5. the same server over TCP on 127.0.0.1 (port 0, read back with
 *      getsockname): same clients, same checks, /proc/net/tcp as evidence,
 *      and the cost per request next to the Unix socket's.
 *   6. asked to stop, the server removes its socket file and exits 0.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   server_main()  the server process: one owner of the shared state
 *   serve()        its loop: poll() on the listeners and connections
 *   handle()       one request, carried out on the server's objects
 *   call()         a client's proxy call: a request out, a reply back
 *   client_main()  a client process, which uses the state through proxies
 *
 * Usage:     proclab-server [--clients N] [--ops K] [--bench-ops M] [--no-tcp]
 * Dashboard: `proclab server` shows the server sleeping in poll() while N
 *            clients sleep at the start line, then all of them taking turns.
 * Lesson:    lessons/10-server.md
 */
#include "config.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_CLIENTS 16
#define MAX_OPS 10000
#define MAX_TOTAL_OPS 40000L          /* clients x ops: the list's capacity */
#define MAP_CAPACITY 64
#define MAX_CONNECTIONS 64
#define KEY_MAX 16
#define ITEM_CLIENT 1000000L          /* item = (client + 1) * ITEM_CLIENT + seq */
#define VICTIM_ITEM (99 * ITEM_CLIENT + 1)
#define VICTIM_HALF_DELTA 1000        /* what the torn request would have added */
#define BATCH 10                      /* requests timed together, for the median */
#define WARM_UP 200
#define HEAR_TIMEOUT_MS 10000
#define KERNEL_TIMEOUT_MS 5000

static long clients = 4, ops = 200, bench_ops = 2000;
static bool no_tcp;

static const struct pl_option options[] = {
	{ "clients", 'n', PL_OPT_INT, "N", "client processes that use the server at once", 1,
	  MAX_CLIENTS, &clients },
	{ "ops", 'k', PL_OPT_INT, "K", "items each client appends; it adds 1 to two keys as often", 1,
	  MAX_OPS, &ops },
	{ "bench-ops", 'm', PL_OPT_INT, "M", "requests timed for the cost per operation", 100,
	  100000, &bench_ops },
	{ "no-tcp", 0, PL_OPT_FLAG, NULL, "skip step 5, as when loopback networking is missing",
	  0, 0, &no_tcp },
};

static const struct pl_demo demo = {
	.name = "server",
	.summary = "A server process owns a list and a map; other processes use them through proxies.",
	.description = "Each claim is checked while the demo runs: the sockets against /proc/net/unix,\n"
	               "/proc/net/tcp and the server's /proc/PID/fd, the final state against what\n"
	               "every client did, a torn request against the server's counts, and the\n"
	               "cost of a request against the same work in shared memory.\n"
	               "--clients times --ops may be at most 40000.",
	.lesson = "10-server.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

enum transport { UNIX_SOCKET, TCP_LOOPBACK };
static const char *const transport_names[] = { "Unix socket", "TCP on 127.0.0.1" };

#define SOCKET_FILE "/server.sock"
static char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char socket_dir[sizeof(socket_path) - sizeof(SOCKET_FILE) + 1]; /* holds it alone */
static int tcp_port;  /* 0: no TCP listener */
static int tcp_error; /* then, why not */

/* ------------------------------------------------------------------ */
/* The protocol: fixed-size messages, marshalled in network byte order  */
/* so that any machine could speak it. A fixed size makes a torn        */
/* request easy to tell: fewer than REQUEST_SIZE bytes, then the end.   */
/*   request: op u32 | zero u32 | arg i64 | key char[16]     32 bytes   */
/*   reply:   status i32 | zero u32 | value i64 x 4          40 bytes   */

enum op {
	OP_APPEND = 1, /* list.append(arg); value[0] = new length */
	OP_LIST_LEN,   /* value[0] = len(list) */
	OP_LIST_GET,   /* value[0] = list[arg] */
	OP_MAP_ADD,    /* map[key] += arg; value[0] = new value */
	OP_MAP_GET,    /* value[0] = map[key], 0 (status ENOENT) if missing */
	OP_MAP_LEN,    /* value[0] = number of keys */
	OP_CHECKSUM,   /* value[0] = sum of mix(item) over the list */
	OP_CLEAR,      /* empty the list and the map */
	OP_STATS,      /* arg 0: accepted, closed, torn, bytes held in partial requests;
	                * arg 1: connections, errno of the last torn one, its bytes, served */
	OP_SHUTDOWN    /* reply, remove the socket file, exit 0 */
};

#define REQUEST_SIZE 32
#define REPLY_SIZE 40

struct request {
	uint32_t op;
	int64_t arg;
	char key[KEY_MAX];
};

struct reply {
	int32_t status; /* 0 or an errno value */
	int64_t value[4];
};

static void
marshal_request(const struct request *r, unsigned char wire[REQUEST_SIZE])
{
	uint32_t op = htobe32(r->op);
	uint64_t arg = htobe64((uint64_t)r->arg);

	memset(wire, 0, REQUEST_SIZE);
	memcpy(wire, &op, 4);
	memcpy(wire + 8, &arg, 8);
	memcpy(wire + 16, r->key, KEY_MAX);
}

static void
unmarshal_request(const unsigned char wire[REQUEST_SIZE], struct request *r)
{
	uint32_t op;
	uint64_t arg;

	memcpy(&op, wire, 4);
	memcpy(&arg, wire + 8, 8);
	r->op = be32toh(op);
	r->arg = (int64_t)be64toh(arg);
	memcpy(r->key, wire + 16, KEY_MAX);
	r->key[KEY_MAX - 1] = '\0';
}

static void
marshal_reply(const struct reply *r, unsigned char wire[REPLY_SIZE])
{
	uint32_t status = htobe32((uint32_t)r->status);

	memset(wire, 0, REPLY_SIZE);
	memcpy(wire, &status, 4);
	for (int i = 0; i < 4; i++) {
		uint64_t v = htobe64((uint64_t)r->value[i]);
		memcpy(wire + 8 + 8 * i, &v, 8);
	}
}

static void
unmarshal_reply(const unsigned char wire[REPLY_SIZE], struct reply *r)
{
	uint32_t status;

	memcpy(&status, wire, 4);
	r->status = (int32_t)be32toh(status);
	for (int i = 0; i < 4; i++) {
		uint64_t v;
		memcpy(&v, wire + 8 + 8 * i, 8);
		r->value[i] = (int64_t)be64toh(v);
	}
}

/* The checksum's mixing step (splitmix64's finaliser): a sum of mixed items
 * does not depend on their order, but almost any other change moves it. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int
send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL); /* EPIPE, never SIGPIPE */
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t len)
{
	ssize_t n = pl_read_full(fd, buf, len);

	if (n >= 0 && (size_t)n < len)
		errno = EPIPE; /* the other end closed in the middle */
	return n == (ssize_t)len ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The proxies: what a client calls. Each marshals one request, sends   */
/* it, and waits for the reply, like a method of a Manager proxy.       */

struct proxy {
	int fd;
};

/* The demo's own connection to the server. Children forked after it is
 * made inherit it; each closes it first thing, as it is not theirs. */
static struct proxy control = { -1 };

static void
close_inherited_control(void)
{
	if (control.fd != -1)
		close(control.fd);
}

static struct reply
call(struct proxy *p, uint32_t op, int64_t arg, const char *key)
{
	struct request req = { .op = op, .arg = arg };
	unsigned char wire[REPLY_SIZE];
	struct reply rep;

	if (key != NULL)
		memcpy(req.key, key, strnlen(key, KEY_MAX - 1));
	marshal_request(&req, wire);
	if (send_all(p->fd, wire, REQUEST_SIZE) == -1 || read_all(p->fd, wire, REPLY_SIZE) == -1)
		pl_die("request %u to the server", (unsigned)op);
	unmarshal_reply(wire, &rep);
	return rep;
}

static int64_t
proxy_list_append(struct proxy *p, int64_t item)
{
	return call(p, OP_APPEND, item, NULL).value[0];
}

static int64_t
proxy_list_len(struct proxy *p)
{
	return call(p, OP_LIST_LEN, 0, NULL).value[0];
}

static int64_t
proxy_list_get(struct proxy *p, int64_t i)
{
	return call(p, OP_LIST_GET, i, NULL).value[0];
}

static int64_t
proxy_map_add(struct proxy *p, const char *key, int64_t delta)
{
	return call(p, OP_MAP_ADD, delta, key).value[0];
}

static int64_t
proxy_map_get(struct proxy *p, const char *key)
{
	return call(p, OP_MAP_GET, 0, key).value[0];
}

static int64_t
proxy_map_len(struct proxy *p)
{
	return call(p, OP_MAP_LEN, 0, NULL).value[0];
}

static uint64_t
proxy_checksum(struct proxy *p)
{
	return (uint64_t)call(p, OP_CHECKSUM, 0, NULL).value[0];
}

static void
proxy_clear(struct proxy *p)
{
	call(p, OP_CLEAR, 0, NULL);
}

static struct reply
proxy_stats(struct proxy *p, int page)
{
	return call(p, OP_STATS, page, NULL);
}

static struct proxy
proxy_connect(enum transport t)
{
	struct proxy p;

	if (t == UNIX_SOCKET) {
		struct sockaddr_un addr = { .sun_family = AF_UNIX };

		memcpy(addr.sun_path, socket_path, sizeof(addr.sun_path));
		p.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (p.fd == -1 || connect(p.fd, (struct sockaddr *)&addr, sizeof(addr)) == -1)
			pl_die("connecting to %s", socket_path);
	} else {
		struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)tcp_port),
			                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int one = 1;

		p.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (p.fd == -1 || connect(p.fd, (struct sockaddr *)&addr, sizeof(addr)) == -1)
			pl_die("connecting to 127.0.0.1:%d", tcp_port);
		/* Small requests must go out at once, not wait to be batched. */
		setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* The server. One process, one poll() loop: it owns the objects alone, */
/* so each request runs whole before the next, and no lock is needed.  */
/* A process per connection would need the objects in shared memory    */
/* with a lock - step 4's design, the very thing a server replaces.    */

struct connection {
	int fd;
	size_t have; /* bytes of the current request received so far */
	unsigned char buf[REQUEST_SIZE];
};

static struct {
	int64_t list[MAX_TOTAL_OPS + 16];
	long list_len;
	struct {
		char key[KEY_MAX];
		int64_t value;
	} map[MAP_CAPACITY];
	long map_len;
	long accepted, closed, torn, served;
	int last_torn_errno;
	long last_torn_bytes;
} objects;

static struct connection conns[MAX_CONNECTIONS];
static int nconns;

static long
map_find(const char *key, bool create)
{
	for (long i = 0; i < objects.map_len; i++)
		if (strcmp(objects.map[i].key, key) == 0)
			return i;
	if (!create || objects.map_len == MAP_CAPACITY)
		return -1;
	memcpy(objects.map[objects.map_len].key, key, KEY_MAX);
	objects.map[objects.map_len].value = 0;
	return objects.map_len++;
}

static struct reply
handle(const struct request *req)
{
	struct reply rep = { 0, { 0, 0, 0, 0 } };
	long i;

	objects.served++;
	switch (req->op) {
	case OP_APPEND:
		if (objects.list_len == (long)PL_COUNT(objects.list))
			rep.status = ENOSPC;
		else
			objects.list[objects.list_len++] = req->arg;
		rep.value[0] = objects.list_len;
		break;
	case OP_LIST_LEN:
		rep.value[0] = objects.list_len;
		break;
	case OP_LIST_GET:
		if (req->arg < 0 || req->arg >= objects.list_len)
			rep.status = ERANGE;
		else
			rep.value[0] = objects.list[req->arg];
		break;
	case OP_MAP_ADD:
		if ((i = map_find(req->key, true)) == -1)
			rep.status = ENOSPC;
		else
			rep.value[0] = objects.map[i].value += req->arg;
		break;
	case OP_MAP_GET:
		if ((i = map_find(req->key, false)) == -1)
			rep.status = ENOENT;
		else
			rep.value[0] = objects.map[i].value;
		break;
	case OP_MAP_LEN:
		rep.value[0] = objects.map_len;
		break;
	case OP_CHECKSUM: {
		uint64_t sum = 0;
		for (i = 0; i < objects.list_len; i++)
			sum += mix((uint64_t)objects.list[i]);
		rep.value[0] = (int64_t)sum;
		break;
	}
	case OP_CLEAR:
		objects.list_len = objects.map_len = 0;
		break;
	case OP_STATS:
		if (req->arg == 0) {
			rep.value[0] = objects.accepted;
			rep.value[1] = objects.closed;
			rep.value[2] = objects.torn;
			for (i = 0; i < nconns; i++)
				rep.value[3] += (int64_t)conns[i].have;
		} else {
			rep.value[0] = nconns;
			rep.value[1] = objects.last_torn_errno;
			rep.value[2] = objects.last_torn_bytes;
			rep.value[3] = objects.served;
		}
		break;
	default:
		rep.status = EINVAL;
	}
	return rep;
}

/* Read what has arrived on C. Returns false when the connection must go:
 * the client closed it (end of file), it failed (ECONNRESET: the client
 * died with a reply unread), or it does not read its replies. */
static bool
serve_connection(struct connection *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->have, REQUEST_SIZE - c->have);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true; /* all read; a partial request waits for the rest */
		if (n <= 0) {
			if (c->have == 0) {
				objects.closed++; /* between requests: a clean goodbye */
			} else {
				objects.torn++;   /* mid-request: drop the half, keep nothing */
				objects.last_torn_errno = n == 0 ? 0 : errno;
				objects.last_torn_bytes = (long)c->have;
			}
			return false;
		}
		c->have += (size_t)n;
		if (c->have < REQUEST_SIZE)
			continue;

		struct request req;
		unsigned char wire[REPLY_SIZE];

		unmarshal_request(c->buf, &req);
		c->have = 0;
		if (req.op == OP_SHUTDOWN) {
			marshal_reply(&(struct reply){ 0, { 0, 0, 0, 0 } }, wire);
			send_all(c->fd, wire, REPLY_SIZE);
			unlink(socket_path);
			rmdir(socket_dir);
			_exit(EXIT_SUCCESS);
		}
		struct reply rep = handle(&req);
		marshal_reply(&rep, wire);
		/* 40 bytes into a socket whose client waits for them: this only
		 * fails for a client that is gone or never reads. */
		if (send_all(c->fd, wire, REPLY_SIZE) == -1)
			return false;
	}
}

static void
accept_from(int listener, bool tcp)
{
	int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

	if (fd == -1)
		return; /* e.g. the client gave up already */
	if (nconns == MAX_CONNECTIONS) {
		close(fd);
		return;
	}
	if (tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conns[nconns++] = (struct connection){ .fd = fd, .have = 0 };
	objects.accepted++;
}

static noreturn void
serve(int unix_listener, int tcp_listener)
{
	struct pollfd fds[2 + MAX_CONNECTIONS];

	for (;;) {
		int n = 0;

		fds[n++] = (struct pollfd){ .fd = unix_listener, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = tcp_listener, .events = POLLIN }; /* -1: ignored */
		for (int i = 0; i < nconns; i++)
			fds[n++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		if (poll(fds, (nfds_t)n, -1) == -1) {
			if (errno == EINTR)
				continue;
			pl_die("poll");
		}
		/* Connections first, from the last, so removing one keeps the
		 * indexes of those not yet looked at. */
		for (int i = nconns - 1; i >= 0; i--)
			if (fds[2 + i].revents != 0 && !serve_connection(&conns[i])) {
				close(conns[i].fd);
				conns[i] = conns[--nconns];
			}
		if (fds[0].revents & POLLIN)
			accept_from(unix_listener, false);
		if (fds[1].revents & POLLIN)
			accept_from(tcp_listener, true);
	}
}

struct server_ready {
	int unix_error; /* errno of socket/bind/listen, or 0 */
	int tcp_port;   /* 0 when there is no TCP listener */
	int tcp_error;
};

static int
listen_tcp_loopback(int *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0, /* any free port */
		                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1 || listen(fd, SOMAXCONN) == -1 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*port = ntohs(addr.sin_port); /* the port the kernel chose */
	return fd;
}

static noreturn void
server_main(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct server_ready ready = { 0, 0, 0 };
	int unix_listener, tcp_listener = -1;
	mode_t old_mask;

	memcpy(addr.sun_path, socket_path, sizeof(addr.sun_path));
	/* umask 0177 makes the file 0600: only our user may connect
	 * (connect(2) needs write permission on the socket file). The
	 * directory, 0700, already keeps everyone else from reaching it. */
	old_mask = umask(0177);
	unix_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (unix_listener == -1 || bind(unix_listener, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
	    listen(unix_listener, SOMAXCONN) == -1)
		ready.unix_error = errno;
	umask(old_mask);
	if (!no_tcp && (tcp_listener = listen_tcp_loopback(&ready.tcp_port)) == -1)
		ready.tcp_error = errno;
	pl_child_tell(&ready, sizeof(ready));
	if (ready.unix_error != 0)
		_exit(EXIT_FAILURE);
	serve(unix_listener, tcp_listener);
}

/* ------------------------------------------------------------------ */
/* What the kernel says about sockets: /proc/net/unix, /proc/net/tcp    */
/* and /proc/PID/fd (see proc(5)).                                       */

struct socket_entry {
	unsigned long inode;
	bool listening;
};

/* The sockets named by our path (Unix: every socket accepted from the
 * listener shows its path too) or bound to our port on 127.0.0.1 (TCP:
 * the listener and the server's end of each connection). */
static int
kernel_sockets(enum transport t, struct socket_entry *out, int max)
{
	FILE *f = fopen(t == UNIX_SOCKET ? "/proc/net/unix" : "/proc/net/tcp", "re");
	char line[512];
	int n = 0;

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL) { /* the header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL && n < max) {
		unsigned long inode;
		char path[256] = "";

		line[strcspn(line, "\n")] = '\0';
		if (t == UNIX_SOCKET) {
			/* Num RefCount Protocol Flags Type St Inode Path */
			unsigned flags, type, state;

			if (sscanf(line, "%*s %*x %*x %x %x %x %lu %255s", &flags, &type, &state, &inode,
			           path) == 5 &&
			    strcmp(path, socket_path) == 0)
				out[n++] = (struct socket_entry){ inode, (flags & 0x10000) != 0 };
		} else {
			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
			unsigned address, port, state;

			if (sscanf(line, "%*s %x:%x %*s %x %*s %*s %*s %*s %*s %lu", &address, &port, &state,
			           &inode) == 4 &&
			    (int)port == tcp_port && address == htonl(INADDR_LOOPBACK)) /* as stored */
				out[n++] = (struct socket_entry){ inode, state == 0x0A }; /* TCP_LISTEN */
		}
	}
	fclose(f);
	return n;
}

/* The socket inodes among PID's descriptors: links "socket:[INODE]". */
static int
socket_inodes(pid_t pid, unsigned long *inodes, int max)
{
	char path[64], target[64];
	int n = 0;

	for (int fd = 0; fd < 256 && n < max; fd++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
		if ((len = readlink(path, target, sizeof(target) - 1)) == -1)
			continue;
		target[len] = '\0';
		if (sscanf(target, "socket:[%lu]", &inodes[n]) == 1)
			n++;
	}
	return n;
}

/* How many of PID's sockets are ours (as kernel_sockets lists them), and
 * whether one of those is the listener, and which inode that is. */
static int
sockets_held(pid_t pid, enum transport t, bool *has_listener, unsigned long *listener)
{
	struct socket_entry entries[256];
	unsigned long inodes[256];
	int ne = kernel_sockets(t, entries, (int)PL_COUNT(entries));
	int ni = socket_inodes(pid, inodes, (int)PL_COUNT(inodes)), held = 0;

	*has_listener = false;
	for (int i = 0; i < ni; i++)
		for (int j = 0; j < ne; j++)
			if (inodes[i] == entries[j].inode) {
				held++;
				if (entries[j].listening) {
					*has_listener = true;
					*listener = entries[j].inode;
				}
			}
	return held;
}

/* Poll the kernel's view until PID holds WANT of our sockets, or time out.
 * The server accepts in its own time; this only waits for it. */
static int
wait_sockets_held(pid_t pid, enum transport t, int want, bool *has_listener,
                  unsigned long *listener)
{
	struct timespec ms = { 0, 1000000 };
	int held = 0;

	for (int waited = 0; waited < KERNEL_TIMEOUT_MS; waited++) {
		if ((held = sockets_held(pid, t, has_listener, listener)) == want)
			break;
		nanosleep(&ms, NULL);
	}
	return held;
}

/* ------------------------------------------------------------------ */
/* Step 1: the server starts and listens.                              */

static pid_t
start_server(void)
{
	struct server_ready ready;
	struct socket_entry entries[8];
	struct pl_proc proc;
	unsigned long listener = 0;
	bool has_listener;
	struct stat st;
	pid_t pid;
	int n;

	sigset_t old;

	/* A directory of our own, 0700, under a name nobody can guess: no one
	 * else can put a file where our socket goes, or connect to it. The
	 * server binds the socket in it; we remove both on every exit path we
	 * see (the directory after the file: PL_CLEANUP_DIR). A SIGKILL runs
	 * no code of ours: the guardian, another process started before the
	 * directory exists, removes them then (pl_cleanup.h). */
	if (pl_cleanup_guardian() == -1)
		pl_die("starting the guardian");
	pl_cleanup_hold(&old);
	if (pl_name_dir_create("server", socket_dir, sizeof(socket_dir)) == -1) {
		if (errno == ENAMETOOLONG)
			pl_die_usage("$TMPDIR is too long for a socket path (at most %zu bytes in all)",
			             sizeof(socket_path) - 1);
		pl_die("creating a directory in %s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	}
	n = snprintf(socket_path, sizeof(socket_path), "%s" SOCKET_FILE, socket_dir);
	if (n < 0 || (size_t)n >= sizeof(socket_path) ||
	    pl_cleanup_add(PL_CLEANUP_DIR, socket_dir) == -1 ||
	    pl_cleanup_add(PL_CLEANUP_PATH, socket_path) == -1)
		pl_die("registering %s for removal", socket_path);
	pl_cleanup_release(&old);
	pl_step("server-starts", PL_FIELDS(PL_STR("path", socket_path)),
	        "a server process owns a list and a map, and listens on a Unix socket");
	switch (pid = pl_fork("server", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: the server */
		server_main();
	default: /* Parent */
		break;
	}
	if (pl_child_hear(pid, &ready, sizeof(ready), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from the server");
	if (ready.unix_error != 0)
		pl_die_en(ready.unix_error, "the server could not listen on %s", socket_path);
	tcp_port = ready.tcp_port;
	tcp_error = ready.tcp_error;

	struct stat dir;
	bool is_dir = lstat(socket_dir, &dir) == 0 && S_ISDIR(dir.st_mode);
	bool is_socket = stat(socket_path, &st) == 0 && S_ISSOCK(st.st_mode);
	char mode[8], dir_mode[8];
	snprintf(mode, sizeof(mode), "%04o", is_socket ? (unsigned)(st.st_mode & 07777) : 0);
	snprintf(dir_mode, sizeof(dir_mode), "%04o", is_dir ? (unsigned)(dir.st_mode & 07777) : 0);
	pl_note("socket-file",
	        PL_FIELDS(PL_BOOL("is_socket", is_socket), PL_STR("mode", mode),
	                  PL_STR("dir_mode", dir_mode)),
	        "%s: %s, mode %s, in a directory of mode %s", socket_path,
	        is_socket ? "a socket" : "not a socket", mode, dir_mode);

	n = kernel_sockets(UNIX_SOCKET, entries, (int)PL_COUNT(entries));
	int held = wait_sockets_held(pid, UNIX_SOCKET, 1, &has_listener, &listener);
	pl_procfs_wait_state(pid, "S", HEAR_TIMEOUT_MS, &proc);
	pl_note("listening",
	        PL_FIELDS(PL_INT("server", pid), PL_INT("inode", (long long)listener),
	                  PL_INT("named_sockets", n), PL_BOOL("in_server_fds", has_listener && held == 1),
	                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan)),
	        "/proc/net/unix: socket %lu is listening at the path; /proc/%ld/fd holds it; "
	        "the server is %s (%c)%s%s",
	        listener, (long)pid, pl_procfs_state_name(proc.state), proc.state,
	        proc.wchan[0] ? " in " : "", proc.wchan);
	pl_check("socket-file",
	         is_socket && (st.st_mode & 0777) == 0600 && is_dir && (dir.st_mode & 0777) == 0700,
	         NULL, "the path is a socket file that only our user may reach and connect to");
	pl_check("server-listens", n == 1 && has_listener && held == 1 && proc.state == 'S', NULL,
	         "the kernel lists one listening socket at the path, and it is the server's; "
	         "the server sleeps, waiting for clients");
	if (tcp_port != 0)
		pl_note("tcp-port", PL_FIELDS(PL_INT("port", tcp_port)),
		        "it also listens on 127.0.0.1, port %d (bound to port 0, read with "
		        "getsockname)", tcp_port);
	pl_pause(1.0); /* time for `ss -xlp` or `cat /proc/net/unix` */
	return pid;
}

/* ------------------------------------------------------------------ */
/* Steps 2 and 5: clients that use the objects at the same time.        */

struct client_report {
	long requests;
	double seconds;
};

static void
client_key(int index, char key[KEY_MAX])
{
	snprintf(key, KEY_MAX, "client-%u", (unsigned)index % 100u); /* fits: 16 bytes */
}

static noreturn void
client_main(enum transport t, int index)
{
	struct client_report me = { 0, 0 };
	struct proxy server;
	char key[KEY_MAX];
	double start;

	close_inherited_control();
	server = proxy_connect(t);
	client_key(index, key);
	pl_child_tell(&me, sizeof(me)); /* connected */
	pl_child_hold();                /* the start line */
	start = pl_narrate_elapsed();
	for (long seq = 0; seq < ops; seq++) {
		proxy_list_append(&server, (index + 1) * ITEM_CLIENT + seq); /* list.append() */
		proxy_map_add(&server, key, 1);                             /* d[key] += 1 */
		proxy_map_add(&server, "total", 1);                         /* d["total"] += 1 */
	}
	me.requests = 3 * ops;
	me.seconds = pl_narrate_elapsed() - start;
	pl_note("client-done",
	        PL_FIELDS(PL_INT("client", index), PL_INT("requests", me.requests),
	                  PL_DOUBLE("seconds", me.seconds)),
	        "client %d: %ld requests in %.1f ms", index, me.requests, me.seconds * 1e3);
	pl_child_tell(&me, sizeof(me));
	close(server.fd);
	_exit(EXIT_SUCCESS);
}

static void
fork_clients(enum transport t, pid_t *pids, int n)
{
	struct client_report r;

	for (int i = 0; i < n; i++) {
		switch (pids[i] = pl_fork("client", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child */
			client_main(t, i);
		default: /* Parent: go on forking */
			break;
		}
	}
	for (int i = 0; i < n; i++)
		if (pl_child_hear(pids[i], &r, sizeof(r), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from client %ld", (long)pids[i]);
}

/* The clients wait at the start line, connected: the server's
 * /proc/PID/fd holds the listener and one socket for each connection. */
static void
show_connections(enum transport t, pid_t server, int n, int others)
{
	unsigned long listener = 0;
	bool has_listener;
	int want = 1 + others + n;
	int held = wait_sockets_held(server, t, want, &has_listener, &listener);

	pl_note("connections",
	        PL_FIELDS(PL_STR("transport", transport_names[t]), PL_INT("held", held),
	                  PL_INT("expected", want), PL_BOOL("listener", has_listener)),
	        "/proc/%ld/fd: %d sockets the kernel lists at the %s: the listener and %d "
	        "connections", (long)server, held, t == UNIX_SOCKET ? "path" : "port", held - 1);
	pl_check(t == UNIX_SOCKET ? "server-holds-connections" : "server-holds-tcp-connections",
	         held == want && has_listener, NULL,
	         "the server holds %d connections at once, in one process", n + others);
	pl_pause(1.0); /* time to see them with `ss -xp` */
}

static void
release_and_wait(const pid_t *pids, int n, struct client_report *reports)
{
	for (int i = 0; i < n; i++)
		pl_child_release(pids[i]);
	for (int i = 0; i < n; i++) {
		int status;

		if (pl_child_hear(pids[i], &reports[i], sizeof(reports[i]), HEAR_TIMEOUT_MS * 3) == -1 ||
		    pl_child_wait(pids[i], &status, 0) == -1)
			pl_die("waiting for client %ld", (long)pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char how[96];
			pl_status_describe(status, how, sizeof(how));
			pl_die("client %ld %s", (long)pids[i], how);
		}
	}
}

/* Read the whole state back through the proxies and compare it with what
 * N clients of K operations must have left, plus VICTIM items. */
static void
check_state(struct proxy *ctl, const char *tag, int n, int victim)
{
	long in_order[MAX_CLIENTS] = { 0 }, values[MAX_CLIENTS], misplaced = 0, victims = 0;
	long length = (long)proxy_list_len(ctl), expected = n * ops + victim;
	uint64_t want_sum = 0, got_sum;
	char key[KEY_MAX], id[48], sums[48];
	bool values_exact = true;

	for (long i = 0; i < length; i++) {
		int64_t item = proxy_list_get(ctl, i);
		long c = (long)(item / ITEM_CLIENT) - 1, seq = (long)(item % ITEM_CLIENT);

		if (item == VICTIM_ITEM)
			victims++;
		else if (c >= 0 && c < n && seq == in_order[c])
			in_order[c]++; /* the next of client c's items, in its order */
		else
			misplaced++;
	}
	for (int c = 0; c < n; c++) {
		client_key(c, key);
		values[c] = (long)proxy_map_get(ctl, key);
		values_exact = values_exact && values[c] == ops && in_order[c] == ops;
		for (long seq = 0; seq < ops; seq++)
			want_sum += mix((uint64_t)((c + 1) * ITEM_CLIENT + seq));
	}
	if (victim)
		want_sum += mix((uint64_t)VICTIM_ITEM);
	long total = (long)proxy_map_get(ctl, "total"), keys = (long)proxy_map_len(ctl);
	got_sum = proxy_checksum(ctl);

	pl_note("final-state",
	        PL_FIELDS(PL_STR("phase", tag), PL_INT("length", length), PL_INT("expected", expected),
	                  PL_INTS("per_client", in_order, (size_t)n),
	                  PL_INTS("map_values", values, (size_t)n), PL_INT("total", total),
	                  PL_INT("keys", keys), PL_INT("misplaced", misplaced),
	                  PL_INT("victim_items", victims)),
	        "list: %ld items (expected %ld), %ld in the wrong place; map: %ld keys, "
	        "total = %ld", length, expected, misplaced, keys, total);
	snprintf(sums, sizeof(sums), "%#018llx", (unsigned long long)got_sum);
	pl_note("checksum",
	        PL_FIELDS(PL_STR("phase", tag), PL_STR("server", sums),
	                  PL_BOOL("match", got_sum == want_sum)),
	        "checksum of the list: %s from the server, %#018llx expected", sums,
	        (unsigned long long)want_sum);
	snprintf(id, sizeof(id), "%s-exact", tag);
	pl_check(id,
	         length == expected && misplaced == 0 && values_exact && total == n * ops &&
	                 keys == n + 1 && victims == victim && got_sum == want_sum,
	         NULL,
	         "every client's %ld items are in the list once and in its order, every key "
	         "holds %ld, total holds %ld, and the checksums agree",
	         ops, ops, n * ops);
}

static void
concurrent_clients(struct proxy *ctl, pid_t server, enum transport t)
{
	struct client_report reports[MAX_CLIENTS];
	pid_t pids[MAX_CLIENTS];
	double slowest = 0;

	proxy_clear(ctl);
	fork_clients(t, pids, (int)clients);
	/* Over the Unix socket the demo's own connection is at the path too. */
	show_connections(t, server, (int)clients, t == UNIX_SOCKET ? 1 : 0);
	release_and_wait(pids, (int)clients, reports);
	for (int i = 0; i < clients; i++)
		if (reports[i].seconds > slowest)
			slowest = reports[i].seconds;
	pl_note("clients-done",
	        PL_FIELDS(PL_STR("transport", transport_names[t]), PL_INT("clients", clients),
	                  PL_INT("requests", clients * 3 * ops), PL_DOUBLE("seconds", slowest)),
	        "%ld clients made %ld requests in all, over %s%s; the slowest took %.1f ms",
	        clients, clients * 3 * ops, t == UNIX_SOCKET ? "the " : "", transport_names[t],
	        slowest * 1e3);
	check_state(ctl, t == UNIX_SOCKET ? "unix" : "tcp", (int)clients, 0);
}

/* ------------------------------------------------------------------ */
/* Step 3: a client dies in the middle of a request.                    */

static noreturn void
victim_main(void)
{
	struct request whole = { .op = OP_APPEND, .arg = VICTIM_ITEM };
	struct request half = { .op = OP_MAP_ADD, .arg = VICTIM_HALF_DELTA, .key = "total" };
	unsigned char wire[REQUEST_SIZE];
	int sent = REQUEST_SIZE + REQUEST_SIZE / 2;
	struct proxy server;

	close_inherited_control();
	server = proxy_connect(UNIX_SOCKET);

	/* A whole request whose reply it will never read... */
	marshal_request(&whole, wire);
	if (send_all(server.fd, wire, REQUEST_SIZE) == -1)
		pl_die("sending a request");
	/* ...then the first half of the next one. */
	marshal_request(&half, wire);
	if (send_all(server.fd, wire, REQUEST_SIZE / 2) == -1)
		pl_die("sending half a request");
	pl_child_tell(&sent, sizeof(sent)); /* bytes sent */
	pl_child_hold();                    /* until the SIGKILL */
	_exit(EXIT_SUCCESS);
}

static const char *
errno_name(int err)
{
	switch (err) {
	case 0: return "end of file";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	default: return strerror(err);
	}
}

static void
client_dies(struct proxy *ctl, pid_t server)
{
	struct client_report reports[MAX_CLIENTS];
	pid_t pids[MAX_CLIENTS], victim;
	struct reply before, stats, more;
	struct pl_proc proc;
	int sent, status, victim_status;
	char how[96];

	pl_step("client-dies", PL_FIELDS(PL_INT("clients", clients)),
	        "a client is killed in the middle of a request, while %ld others work", clients);
	proxy_clear(ctl);
	before = proxy_stats(ctl, 0);
	fork_clients(UNIX_SOCKET, pids, (int)clients);

	switch (victim = pl_fork("victim", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		victim_main();
	default: /* Parent */
		break;
	}
	if (pl_child_hear(victim, &sent, sizeof(sent), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from the victim");
	/* Wait until the server has read the half: it holds it, waiting. */
	for (int waited = 0; waited < KERNEL_TIMEOUT_MS; waited++) {
		stats = proxy_stats(ctl, 0);
		if (stats.value[3] == REQUEST_SIZE / 2)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	pl_note("half-sent",
	        PL_FIELDS(PL_INT("victim", victim), PL_INT("held_bytes", stats.value[3]),
	                  PL_INT("request_size", REQUEST_SIZE)),
	        "the victim (pid %ld) sent one request, did not read the reply, then sent %d of "
	        "the %d bytes of the next; the server holds %lld bytes, waiting for the rest",
	        (long)victim, REQUEST_SIZE / 2, REQUEST_SIZE, (long long)stats.value[3]);
	pl_check("server-holds-half", stats.value[3] == REQUEST_SIZE / 2, NULL,
	         "the server buffers the half request and applies none of it");

	/* The others start, and the victim dies while they work. */
	for (int i = 0; i < clients; i++)
		pl_child_release(pids[i]);
	/* Our child, not yet reaped: pl_child_signal() checks both, and
	 * sends through a pidfd. */
	if (pl_child_signal(victim, SIGKILL) == -1)
		pl_die("killing the victim %ld", (long)victim);
	if (pl_child_wait(victim, &victim_status, 0) == -1)
		pl_die("waitpid");
	pl_status_describe(victim_status, how, sizeof(how));
	for (int i = 0; i < clients; i++) {
		if (pl_child_hear(pids[i], &reports[i], sizeof(reports[i]), HEAR_TIMEOUT_MS * 3) == -1 ||
		    pl_child_wait(pids[i], &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			pl_die("client %ld did not finish", (long)pids[i]);
	}
	/* The server notices in its own time: poll its counts. */
	for (int waited = 0; waited < KERNEL_TIMEOUT_MS; waited++) {
		stats = proxy_stats(ctl, 0);
		if (stats.value[2] > before.value[2] && stats.value[1] >= before.value[1] + clients)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	more = proxy_stats(ctl, 1);
	long torn = (long)(stats.value[2] - before.value[2]);
	long closed = (long)(stats.value[1] - before.value[1]);
	pl_note("victim-killed",
	        PL_FIELDS(PL_INT("victim", victim), PL_STR("status", how), PL_INT("torn", torn),
	                  PL_INT("closed", closed), PL_STR("read_result", errno_name((int)more.value[1])),
	                  PL_INT("torn_bytes", more.value[2])),
	        "victim %s; the server's read() on its connection: %s, with %lld of %d bytes of "
	        "a request: dropped (torn: %ld, closed cleanly: %ld)",
	        how, errno_name((int)more.value[1]), (long long)more.value[2], REQUEST_SIZE, torn,
	        closed);
	/* Alive, and back to waiting in poll() for the next request. */
	bool alive = pl_procfs_wait_state(server, "S", HEAR_TIMEOUT_MS, &proc) == 0;
	unsigned long listener = 0;
	bool has_listener;
	int held = wait_sockets_held(server, UNIX_SOCKET, 2, &has_listener, &listener);
	pl_note("server-after",
	        PL_FIELDS(PL_INT("server", server), PL_BOOL("alive", alive), PL_INT("held", held)),
	        "/proc/%ld: the server is %s; its fds hold %d sockets at the path: the listener "
	        "and the demo's", (long)server, alive ? "alive, sleeping in poll()" : "not waiting",
	        held);
	pl_check("victim-killed", WIFSIGNALED(victim_status) && WTERMSIG(victim_status) == SIGKILL, NULL,
	         "the victim died of SIGKILL, half a request sent");
	pl_check("torn-request-dropped",
	         torn == 1 && closed == clients && more.value[2] == REQUEST_SIZE / 2, NULL,
	         "the server saw one torn request and %ld clean goodbyes", clients);
	pl_check("server-survives", alive && held == 2 && has_listener, NULL,
	         "the server lives on, with the victim's connection closed");
	check_state(ctl, "survivors", (int)clients, 1);
	pl_pause(1.0);
}

/* ------------------------------------------------------------------ */
/* Step 4: what a request costs, against the same work in shared memory. */

struct shared_map {
	pthread_mutex_t mutex; /* PTHREAD_PROCESS_SHARED */
	struct {
		char key[KEY_MAX];
		int64_t value;
	} map[MAP_CAPACITY];
	long map_len;
};

/* d[key] += 1 on the shared struct: the server's map_find(), under a lock. */
static void
shared_map_add(struct shared_map *s, const char *key)
{
	long i;

	pthread_mutex_lock(&s->mutex);
	for (i = 0; i < s->map_len; i++)
		if (strcmp(s->map[i].key, key) == 0)
			break;
	if (i == s->map_len && s->map_len < MAP_CAPACITY) {
		memcpy(s->map[i].key, key, strlen(key) + 1);
		s->map[i].value = 0;
		s->map_len++;
	}
	if (i < MAP_CAPACITY)
		s->map[i].value++;
	pthread_mutex_unlock(&s->mutex);
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* d["bench"] += 1: through the proxy, or on the shared struct. */
static void
bench_increment(struct proxy *server, struct shared_map *shared)
{
	if (shared != NULL)
		shared_map_add(shared, "bench");
	else
		proxy_map_add(server, "bench", 1);
}

/* In a child: time M increments of "bench", BATCH at a time, through the
 * proxy (SHARED == NULL) or on the shared struct; report the median. */
static noreturn void
bench_main(enum transport t, struct shared_map *shared)
{
	static double samples[100000 / BATCH];
	long nsamples = bench_ops / BATCH;
	struct proxy server = { -1 };
	double median;

	close_inherited_control();
	if (shared == NULL)
		server = proxy_connect(t);
	for (int i = 0; i < WARM_UP; i++)
		bench_increment(&server, shared);
	for (long s = 0; s < nsamples; s++) {
		double start = pl_narrate_elapsed();
		for (int i = 0; i < BATCH; i++)
			bench_increment(&server, shared);
		samples[s] = (pl_narrate_elapsed() - start) / BATCH;
	}
	qsort(samples, (size_t)nsamples, sizeof(samples[0]), by_value);
	median = samples[nsamples / 2];
	pl_child_tell(&median, sizeof(median));
	_exit(EXIT_SUCCESS);
}

static double
bench(enum transport t, struct shared_map *shared)
{
	double median;
	pid_t pid;

	switch (pid = pl_fork("bench", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		bench_main(t, shared);
	default: /* Parent */
		break;
	}
	if (pl_child_hear(pid, &median, sizeof(median), HEAR_TIMEOUT_MS * 6) == -1 ||
	    pl_child_wait(pid, NULL, 0) == -1)
		pl_die("hearing from the bench process");
	return median;
}

static void
report_cost(const char *how, double median, long got)
{
	long want = bench_ops / BATCH * BATCH + WARM_UP;

	pl_note("cost",
	        PL_FIELDS(PL_STR("method", how), PL_DOUBLE("median_us", median * 1e6),
	                  PL_INT("ops", want), PL_INT("value", got)),
	        "%-22s median %.3f µs per d[key] += 1; d[key] = %ld", how, median * 1e6, got);
}

static double
cost_per_op(struct proxy *ctl, double *shm_median)
{
	struct shared_map *shared;
	pthread_mutexattr_t attr;
	long want = bench_ops / BATCH * BATCH + WARM_UP;
	double unix_median;
	int err;

	pl_step("cost-per-op", PL_FIELDS(PL_INT("ops", bench_ops)),
	        "the cost of one operation: a request to the server, or a locked struct in shared "
	        "memory");
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		pl_die("mmap");
	shared->map_len = 0;
	if ((err = pthread_mutexattr_init(&attr)) != 0 ||
	    (err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
	    (err = pthread_mutex_init(&shared->mutex, &attr)) != 0)
		pl_die_en(err, "a process-shared mutex");
	pthread_mutexattr_destroy(&attr);

	proxy_clear(ctl);
	unix_median = bench(UNIX_SOCKET, NULL);
	long got = (long)proxy_map_get(ctl, "bench");
	report_cost("server, Unix socket", unix_median, got);
	*shm_median = bench(UNIX_SOCKET, shared);
	long got_shm = (long)shared->map[0].value;
	report_cost("shared memory + mutex", *shm_median, got_shm);
	pl_check("counts-exact", got == want && got_shm == want && shared->map_len == 1, NULL,
	         "both counted all %ld increments", want);
	pl_check("shm-cheaper", *shm_median < unix_median, NULL,
	         "shared memory is %.0f times cheaper per operation: no system call, no copy, "
	         "no wake-up of another process", unix_median / *shm_median);
	pthread_mutex_destroy(&shared->mutex);
	munmap(shared, sizeof(*shared));
	return unix_median;
}

/* ------------------------------------------------------------------ */
/* Step 5: the same server, the same clients, over TCP.                 */

static void
over_tcp(struct proxy *ctl, pid_t server, double unix_median, double shm_median)
{
	struct socket_entry entries[8];
	unsigned long listener = 0;
	bool has_listener;

	pl_step("tcp-loopback", PL_FIELDS(PL_INT("port", tcp_port)),
	        "the same server and the same clients, over TCP on 127.0.0.1");
	if (tcp_port == 0) {
		pl_note("tcp-skipped", NULL, "no TCP listener (%s%s): step skipped",
		        no_tcp ? "--no-tcp" : "loopback networking is not available: ",
		        no_tcp ? "" : strerror(tcp_error));
		return;
	}
	int n = kernel_sockets(TCP_LOOPBACK, entries, (int)PL_COUNT(entries));
	int held = sockets_held(server, TCP_LOOPBACK, &has_listener, &listener);
	pl_note("tcp-listening",
	        PL_FIELDS(PL_INT("port", tcp_port), PL_INT("inode", (long long)listener),
	                  PL_BOOL("in_server_fds", has_listener && held == 1)),
	        "/proc/net/tcp: 127.0.0.1:%d is listening (state 0A), socket %lu, one of the "
	        "server's fds", tcp_port, listener);
	pl_check("tcp-listens", n == 1 && has_listener && held == 1, NULL,
	         "the kernel lists one TCP listener at that port, and it is the server's");

	concurrent_clients(ctl, server, TCP_LOOPBACK);

	proxy_clear(ctl);
	double tcp_median = bench(TCP_LOOPBACK, NULL);
	report_cost("server, TCP 127.0.0.1", tcp_median, (long)proxy_map_get(ctl, "bench"));
	pl_note("side-by-side",
	        PL_FIELDS(PL_DOUBLE("shm_us", shm_median * 1e6),
	                  PL_DOUBLE("unix_us", unix_median * 1e6),
	                  PL_DOUBLE("tcp_us", tcp_median * 1e6)),
	        "per operation: shared memory %.3f µs, Unix socket %.3f µs, TCP loopback %.3f µs",
	        shm_median * 1e6, unix_median * 1e6, tcp_median * 1e6);
}

/* ------------------------------------------------------------------ */
/* Step 6: the server stops.                                            */

static void
server_stops(struct proxy *ctl, pid_t server)
{
	struct socket_entry entries[8];
	struct stat st;
	char how[96];
	int status;

	pl_step("server-stops", NULL, "the server is asked to stop: it removes its socket and exits");
	call(ctl, OP_SHUTDOWN, 0, NULL);
	close(ctl->fd);
	ctl->fd = -1;
	if (pl_child_wait(server, &status, 0) == -1)
		pl_die("waitpid");
	pl_status_describe(status, how, sizeof(how));
	bool file_gone = stat(socket_path, &st) == -1 && errno == ENOENT &&
	                 stat(socket_dir, &st) == -1 && errno == ENOENT;
	int listed = kernel_sockets(UNIX_SOCKET, entries, (int)PL_COUNT(entries));
	pl_note("stopped",
	        PL_FIELDS(PL_INT("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1),
	                  PL_BOOL("file_gone", file_gone), PL_INT("listed", listed)),
	        "the server %s; %s and its directory: %s; /proc/net/unix: %d sockets at the path",
	        how, socket_path,
	        file_gone ? "gone" : "still there", listed);
	pl_check("server-gone", WIFEXITED(status) && WEXITSTATUS(status) == 0 && file_gone &&
	                                listed == 0, NULL,
	         "the server exited 0, and neither the file, its directory nor a socket at the "
	         "path is left");
	pl_cleanup_forget(PL_CLEANUP_PATH, socket_path);
	pl_cleanup_forget(PL_CLEANUP_DIR, socket_dir);
}

int
main(int argc, char *argv[])
{
	double unix_median, shm_median;
	pid_t server;

	pl_demo_init(argc, argv, &demo);
	if (clients * ops > MAX_TOTAL_OPS)
		pl_die_usage("--clients times --ops must be at most %ld, not %ld", MAX_TOTAL_OPS,
		             clients * ops);

	server = start_server();
	control = proxy_connect(UNIX_SOCKET); /* the demo is a client too */

	pl_step("concurrent-clients", PL_FIELDS(PL_INT("clients", clients), PL_INT("ops", ops)),
	        "%ld clients each append %ld items and add 1 to two keys %ld times, through "
	        "proxies", clients, ops, ops);
	concurrent_clients(&control, server, UNIX_SOCKET);
	client_dies(&control, server);
	unix_median = cost_per_op(&control, &shm_median);
	over_tcp(&control, server, unix_median, shm_median);
	server_stops(&control, server);

	return pl_demo_finish();
}
