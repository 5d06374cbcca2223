/* model.h - the dashboard's model: what a tree of processes is doing,
 * read from /proc (or from a fake /proc tree, in the unit tests).
 *
 * It knows nothing of the screen. Each dash_model_refresh() takes one
 * snapshot and updates
 *  - the TREE of the watched root and everything descended from it, with
 *    each process's state, wchan, CPU %, RSS and role;
 *  - what happened to processes that LEFT the tree: orphans stay, marked
 *    with the process that adopted them; zombies carry the time they have
 *    gone unreaped; processes that are gone keep a row with their exit
 *    status for DASH_FADE_SECONDS;
 *  - the IPC EDGES between watched processes: pipes and FIFOs (writer ->
 *    reader), Unix sockets, shared mappings, message queues (ipc.c);
 *  - the file LOCKS of /proc/locks, waiters included;
 *  - what demos wrote on the status board (pl_board.h);
 *  - the WAIT-FOR graph (pl_waitfor.h) and its cycles: deadlocks.
 * text.c prints a model as text; view.c draws it with ncurses.
 */
#ifndef DASH_MODEL_H
#define DASH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pl_board.h"
#include "pl_waitfor.h"

#define DASH_FADE_SECONDS 4.0
#define DASH_TIMELINE 120        /* cells of state history per process */
#define DASH_TIMELINE_PERIOD 0.5 /* seconds per cell */
#define DASH_NARRATION 64        /* lines kept for the narration pane */
/* A tree of more processes than this is big: its sleepers, fd tables
 * and maps are read less often (model.c, ipc.c). */
#define DASH_SMALL_TREE 64
/* A PID found not to be ours is skipped, and looked at again every this
 * many refreshes: it may have become ours (adopted by a watched subreaper,
 * or reused by a new child of ours). */
#define DASH_FOREIGN_EVERY 10
#define DASH_CYCLES 4
#define DASH_THREADS 32

enum dash_ipc {
	DASH_IPC_PIPE,
	DASH_IPC_FIFO,
	DASH_IPC_SOCKET,
	DASH_IPC_SHM, /* a POSIX shared-memory object, mapped shared */
	DASH_IPC_SYSV_SHM,
	DASH_IPC_MAPPING, /* another file or anonymous region, mapped shared */
	DASH_IPC_MQUEUE
};

/* An edge between two watched processes. Pipes and FIFOs go from the
 * writer to the reader; the others have no direction (from < to). */
struct dash_edge {
	enum dash_ipc kind;
	pid_t from, to;
	bool directed;
	/* The object: its device and inode (dev 0 for pipes and sockets). */
	unsigned long long dev, inode;
	char name[64]; /* FIFO path, shm or queue name */
	long queued;   /* bytes in a pipe, or -1 if unknown */
};

/* One line of /proc/locks that concerns a watched process. */
struct dash_lock {
	long id;       /* the line's number; a waiter shares its blocker's */
	char type[12]; /* FLOCK, POSIX, OFDLCK, LEASE: pl_lock_line.kind */
	char mode[8];  /* READ, WRITE */
	pid_t pid;
	bool waiting; /* a "->" line: blocked on lock ID */
	unsigned long long inode;
	char name[64];  /* the file's path if a watched process has it open */
	char range[64]; /* "bytes 0-EOF" for record locks; "" for flock */
};

struct dash_thread {
	pid_t tid;
	char comm[64];
	char state;
	char wchan[48];
};

struct dash_proc {
	pid_t pid, ppid;
	pid_t first_ppid;         /* the parent it had when first seen */
	unsigned long long start; /* start time: tells a reused PID apart */
	char comm[64];
	char state; /* letter from /proc/PID/stat */
	char wchan[48];
	double cpu; /* % of one core over the last refresh */
	long rss_kb;
	char role[PL_BOARD_NAME]; /* from the board, or "" */
	char narration[PL_BOARD_TEXT];
	char wants[PL_BOARD_NAME];
	char holds[PL_BOARD_LOCKS][PL_BOARD_NAME];
	bool adopted; /* its parent died and another took it */
	pid_t adopter;
	char adopter_comm[64];
	double zombie_since; /* model time it became a zombie, or -1 */
	int exit_status;     /* wait status, when known */
	bool exit_known;
	double gone_at;           /* model time it left /proc, or -1 */
	unsigned long long ticks; /* utime + stime last seen */
	double ticks_at;
	char timeline[DASH_TIMELINE];
	size_t timeline_len;
	size_t nthreads;
	struct dash_thread threads[DASH_THREADS];
	int depth;             /* in the drawn tree */
	int stat_fd, wchan_fd; /* kept open: pread() is all a refresh costs */
	char last_wchan_state; /* the state when wchan was last read */
	bool listed;           /* scratch: in this refresh's /proc listing */
	long tasks;            /* threads, from /proc/PID/stat field 20 */
	/* Time on a CPU (ns, /proc/PID/schedstat) when its fd table and its
	 * maps were last read, or 0: a process that has not run since cannot
	 * have changed either (see ipc.c). */
	unsigned long long fds_runtime, maps_runtime;
	unsigned long long runtime; /* scratch: at this refresh's IPC reading */
};

struct dash_model {
	char proc[256]; /* "/proc", or a fake tree */
	pid_t root;
	double now;   /* the caller's clock, in seconds */
	bool threads; /* also read each process's threads */
	bool ipc;     /* read fd tables, maps and locks */

	struct dash_proc *procs; /* watched, and recently gone */
	size_t nprocs, cap_procs;
	size_t *order; /* indexes of procs in tree order */
	size_t norder;

	struct dash_edge *edges;
	size_t nedges, cap_edges;
	struct dash_lock *locks;
	size_t nlocks, cap_locks;

	struct pl_waitfor *waitfor;
	struct pl_waitfor_cycle cycles[DASH_CYCLES];
	size_t ncycles;

	struct pl_board *board;      /* or NULL */
	struct pl_board_slot *slots; /* what the board said this refresh */
	size_t nslots;
	uint32_t board_seen; /* events read so far */
	char narration[DASH_NARRATION][PL_BOARD_TEXT + 16];
	size_t nnarration; /* lines kept (the newest last) */
	bool step_waiting; /* a --step checkpoint waits */

	int *index; /* pid -> procs index: open addressing */
	size_t index_cap;
	pid_t *foreign; /* pids seen and known not to be ours */
	size_t foreign_cap, nforeign;

	double last_sample, last_maps, last_fds;
	long ticks_per_second, page_kb;
	unsigned long long refreshes;
	void *ipc_state; /* ipc.c's scratch */
};

/* Watch ROOT in the /proc tree at PROC ("/proc" for the real one). */
int dash_model_init(struct dash_model *m, const char *proc, pid_t root);
void dash_model_free(struct dash_model *m);

/* Take a snapshot at time NOW (seconds, monotonic). Returns 0, or -1 with
 * errno if /proc itself could not be read. */
int dash_model_refresh(struct dash_model *m, double now);

/* Make the next refresh read every fd table and every map, however
 * recently they were read: for a snapshot that must be current (--once).
 * Otherwise maps are read once a second, and in a big tree less often. */
void dash_model_read_ipc_next(struct dash_model *m);

/* The watched root was reaped by us with wait status STATUS. */
void dash_model_root_reaped(struct dash_model *m, int status);

/* The process PID on the books (alive or fading), or NULL. */
struct dash_proc *dash_model_find(struct dash_model *m, pid_t pid);

/* How many watched processes are alive (zombies count). */
size_t dash_model_alive(const struct dash_model *m);

/* Add a narration line, e.g. a line the command printed. */
void dash_model_narrate(struct dash_model *m, const char *line);

/* "pipe", "FIFO", "socket", "shm", "SysV shm", "shared map", "mqueue". */
const char *dash_ipc_name(enum dash_ipc kind);

/* ipc.c: fill m->edges and m->locks (called by dash_model_refresh). */
void dash_ipc_refresh(struct dash_model *m, bool fds, bool maps);
void dash_ipc_free(struct dash_model *m);

/* Helpers shared by model.c and ipc.c. */
ssize_t dash_read_file(const char *path, char *buf, size_t size);

#endif /* DASH_MODEL_H */
