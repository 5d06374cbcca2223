/* pl_ipc.h - the IPC between the processes a model watches (pl_model.h):
 * pipes and FIFOs, Unix sockets, shared memory, message queues, and the
 * file locks of /proc/locks, TCP and UDP sockets, and the anon-inode fds
 * (eventfd, ...) two processes share. pl_model_refresh() fills a model's
 * objects (one per shared object, with its holders) and locks with these;
 * pl_ipc.c says how each is read from /proc.
 */
#ifndef PL_IPC_H
#define PL_IPC_H

#include <stdbool.h>
#include <sys/types.h>

struct pl_model;

enum pl_ipc_kind {
	PL_IPC_PIPE,
	PL_IPC_FIFO,
	PL_IPC_UNIX, /* a Unix socket: a connection, or one listening */
	PL_IPC_TCP,  /* listening, a connection, or one end to outside */
	PL_IPC_UDP,
	PL_IPC_SOCKET, /* a socket of another family (netlink, ...) */
	PL_IPC_SHM,    /* a POSIX shared-memory object (/dev/shm/NAME) */
	PL_IPC_SEM,    /* a POSIX named semaphore (/dev/shm/sem.NAME) */
	PL_IPC_SYSV_SHM,
	PL_IPC_ANON_SHM, /* mmap(MAP_SHARED | MAP_ANONYMOUS): "/dev/zero (deleted)" */
	PL_IPC_MEMFD,
	PL_IPC_MAPPING, /* another file, mapped shared and writable */
	PL_IPC_MQUEUE,
	PL_IPC_EVENTFD, /* anon_inode:[eventfd] and its kin in /proc/PID/fd */
	PL_IPC_SIGNALFD,
	PL_IPC_TIMERFD,
	PL_IPC_PIDFD,
	PL_IPC_EPOLL,
	PL_IPC_ANON /* another anon_inode */
};

/* One process's hold on an object: an fd, or a mapping (fd -1). */
struct pl_ipc_holder {
	pid_t pid;
	int fd;
	char end; /* 'r' or 'w' for pipes and FIFOs ('b' both), else '\0' */
	int side; /* 0, or 1 for the other end of a connection */
};

/* One shared object and everything that holds it. Pipes and most kinds
 * have one side. A connection (a Unix socket pair, a client and the
 * socket the server accepted it on, two TCP ends over loopback) has
 * two: two sockets the kernel joins, each with its own holders. A TCP or
 * UDP end whose peer is no watched process's is OUTSIDE: its other side
 * is only the remote address. */
struct pl_ipc_object {
	char id[64]; /* stable while it lives: "pipe:5001", "unix:6001" */
	enum pl_ipc_kind kind;
	unsigned long long dev, inode; /* side 0's (dev 0 for pipes, sockets) */
	unsigned long long peer;       /* side 1's socket inode, or 0 */
	char label[128];               /* a path, "pipe:[5001]", an address */
	char ends[2][64];              /* each side of a connection */
	bool listening;                /* a listening or bound socket */
	bool connection;               /* has two sides */
	bool outside;                  /* side 1 is a remote address */
	long queued;                   /* bytes in a pipe, or -1 if unknown */
	size_t holder, nholders;       /* m->holders[holder .. + nholders) */
	size_t npids;                  /* how many processes hold it */
};

/* One line of /proc/locks that concerns a watched process. */
struct pl_ipc_lock {
	long id;       /* the line's number; a waiter shares its blocker's */
	char type[12]; /* FLOCK, POSIX, OFDLCK, LEASE: pl_lock_line.kind */
	char mode[8];  /* READ, WRITE */
	pid_t pid;
	bool waiting; /* a "->" line: blocked on lock ID */
	unsigned long long inode;
	char name[64];  /* the file's path if a watched process has it open */
	char range[64]; /* "bytes 0-EOF" for record locks; "" for flock */
};

/* The kind's name: "pipe", "fifo", "unix", "tcp", "udp", "socket", "shm",
 * "sem", "sysvshm", "anonshm", "memfd", "mapping", "mqueue", "eventfd",
 * "signalfd", "timerfd", "pidfd", "epoll", "anon". */
const char *pl_ipc_name(enum pl_ipc_kind kind);

/* For pl_model.c: fill m->objects, m->holders and m->locks (FDS: read the fd tables;
 * MAPS: read the maps), and free what that keeps between refreshes. */
void pl_ipc_refresh(struct pl_model *m, bool fds, bool maps);
void pl_ipc_free(struct pl_model *m);

/* Put m->objects in the order the views print them: by the PID of the
 * first holder, then kind, device and inode. pl_ipc_refresh() does it; so
 * does a model rebuilt from a recording (pl_history.h), so that a replay
 * prints the lines as the live run did. */
void pl_ipc_sort_objects(struct pl_model *m);

#endif /* PL_IPC_H */
