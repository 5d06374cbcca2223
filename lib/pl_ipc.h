/* pl_ipc.h - the IPC between the processes a model watches (pl_model.h):
 * pipes and FIFOs, Unix sockets, shared memory, message queues, and the
 * file locks of /proc/locks. pl_model_refresh() fills a model's edges and
 * locks with these; pl_ipc.c says how each is read from /proc.
 */
#ifndef PL_IPC_H
#define PL_IPC_H

#include <stdbool.h>
#include <sys/types.h>

struct pl_model;

enum pl_ipc_kind {
	PL_IPC_PIPE,
	PL_IPC_FIFO,
	PL_IPC_SOCKET,
	PL_IPC_SHM, /* a POSIX shared-memory object, mapped shared */
	PL_IPC_SYSV_SHM,
	PL_IPC_MAPPING, /* another file or anonymous region, mapped shared */
	PL_IPC_MQUEUE
};

/* An edge between two watched processes. Pipes and FIFOs go from the
 * writer to the reader; the others have no direction (from < to). */
struct pl_ipc_edge {
	enum pl_ipc_kind kind;
	pid_t from, to;
	bool directed;
	/* The object: its device and inode (dev 0 for pipes and sockets). */
	unsigned long long dev, inode;
	char name[64]; /* FIFO path, shm or queue name */
	long queued;   /* bytes in a pipe, or -1 if unknown */
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

/* "pipe", "FIFO", "socket", "shm", "SysV shm", "shared map", "mqueue". */
const char *pl_ipc_name(enum pl_ipc_kind kind);

/* For pl_model.c: fill m->edges and m->locks (FDS: read the fd tables;
 * MAPS: read the maps), and free what that keeps between refreshes. */
void pl_ipc_refresh(struct pl_model *m, bool fds, bool maps);
void pl_ipc_free(struct pl_model *m);

#endif /* PL_IPC_H */
