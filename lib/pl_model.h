/* pl_model.h - the model of a tree of processes: what each is doing,
 * read from /proc (or from a fake /proc tree, in the unit tests). The
 * dashboard draws it and the judge grades it; an exercise can use it to
 * see what a student's program does.
 *
 * It knows nothing of the screen. Each pl_model_refresh() takes one
 * snapshot and updates
 *  - the TREE of the watched root and everything descended from it, with
 *    each process's state, wchan, CPU %, RSS and role;
 *  - what happened to processes that LEFT the tree: orphans stay, marked
 *    with the process that adopted them; zombies carry the time they have
 *    gone unreaped; processes that are gone keep a row with their exit
 *    status for PL_MODEL_FADE_SECONDS;
 *  - the IPC OBJECTS watched processes share, one each with its holders:
 *    pipes and FIFOs (with each holder's end), Unix socket connections
 *    end to end, TCP and UDP sockets, shared memory and semaphores,
 *    message queues, eventfds and their kin (pl_ipc.h);
 *  - the file LOCKS of /proc/locks, waiters included;
 *  - what demos wrote on the status board (pl_board.h);
 *  - the WAIT-FOR graph (pl_waitfor.h) and its cycles: deadlocks.
 *
 * The answers are plain fields: m.procs[0 .. m.nprocs) is every process
 * on the books, in no order (m.order[0 .. m.norder) indexes them in tree
 * order, and p->depth is each one's depth there); a process that has
 * left /proc has gone_at >= 0. Times are in the caller's clock, the NOW
 * given to each refresh, so a zombie has been unreaped for
 * m.now - p->zombie_since seconds, to within one refresh (it is timed
 * from the first snapshot that saw it). For example, to watch PID and
 * report its zombies until the whole tree has gone (tests/pkgconfig.sh
 * builds and runs this very text):
 *
 *     struct pl_model m;
 *     unsigned long long start;
 *
 *     if (pl_procfs_start(pid, &start) == -1 || pl_model_init(&m, "/proc", pid) == -1)
 *             return 1;          // no such process, or no memory
 *     m.root_start = start;      // so that a later owner of PID is not taken for it
 *     m.ipc = false;             // the tree is all this needs
 *     do {
 *             if (pl_model_refresh(&m, pl_measure_now()) == -1)
 *                     break;
 *             for (size_t i = 0; i < m.nprocs; i++) {
 *                     const struct pl_model_proc *p = &m.procs[i];
 *                     if (p->state == 'Z' && p->gone_at < 0)
 *                             printf("%ld (%s): unreaped by %ld for %.1f s\n", (long)p->pid,
 *                                    p->comm, (long)p->ppid, m.now - p->zombie_since);
 *             }
 *             sleep(1);
 *     } while (pl_model_alive(&m) > 0);
 *     pl_model_free(&m);
 *
 * The process need not be a child of the caller. A caller that reaps the
 * root itself says so with pl_model_root_reaped(), so that its exit status
 * shows. m.threads = true also reads each process's threads. Reading
 * other users' processes needs privileges: without them, their fd tables
 * and maps (and so some objects) are missing.
 * Like the rest of the library, it never prints and never exits.
 * The dashboard's text.c prints a model as text; its view.c draws it.
 */
#ifndef PL_MODEL_H
#define PL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pl_board.h"
#include "pl_ipc.h"
#include "pl_waitfor.h"

#define PL_MODEL_FADE_SECONDS 4.0
#define PL_MODEL_TIMELINE 120        /* cells of state history per process */
#define PL_MODEL_TIMELINE_PERIOD 0.5 /* seconds per cell */
#define PL_MODEL_NARRATION 64        /* lines kept for the narration pane */
/* A tree of more processes than this is big: its sleepers, fd tables
 * and maps are read less often (pl_model.c, pl_ipc.c). */
#define PL_MODEL_SMALL_TREE 64
/* A PID found not to be ours is skipped, and looked at again every this
 * many refreshes: it may have become ours (adopted by a watched subreaper,
 * or reused by a new child of ours). */
#define PL_MODEL_FOREIGN_EVERY 10
#define PL_MODEL_CYCLES 4
#define PL_MODEL_THREADS 32

struct pl_model_thread {
	pid_t tid;
	char comm[64];
	char state;
	char wchan[48];
};

struct pl_model_proc {
	pid_t pid, ppid;
	pid_t first_ppid;         /* the parent it had when first seen */
	unsigned long long start; /* start time: tells a reused PID apart */
	char comm[64];
	char state; /* letter from /proc/PID/stat */
	char wchan[48];
	double cpu; /* % of one core over the last refresh */
	long rss_kb; /* or -1: not known (a replayed run) */
	char role[PL_BOARD_NAME]; /* from the board, or "" */
	char narration[PL_BOARD_TEXT];
	char wants[PL_BOARD_NAME];
	char holds[PL_BOARD_LOCKS][PL_BOARD_NAME];
	bool adopted; /* its parent died and another took it */
	pid_t adopter;
	char adopter_comm[64];
	double zombie_since; /* model time it became a zombie, or -1 */
	pid_t zombie_ppid;   /* its parent then: who should have reaped it */
	int exit_status;     /* wait status, when known */
	bool exit_known;
	double gone_at;           /* model time it left /proc, or -1 */
	unsigned long long ticks; /* utime + stime last seen */
	double ticks_at;
	char timeline[PL_MODEL_TIMELINE];
	size_t timeline_len;
	size_t nthreads;
	struct pl_model_thread threads[PL_MODEL_THREADS];
	int depth;             /* in the drawn tree */
	int stat_fd, wchan_fd; /* kept open: pread() is all a refresh costs */
	char last_wchan_state; /* the state when wchan was last read */
	/* scratch: listed, but its stat left unread this refresh (a sleeper
	 * in a big tree). Only this counts as still there without a reading:
	 * a stat that cannot be read means the process was reaped. */
	bool skipped;
	long tasks;            /* threads, from /proc/PID/stat field 20 */
	/* Time on a CPU (ns, /proc/PID/schedstat) when its fd table and its
	 * maps were last read, or 0: a process that has not run since cannot
	 * have changed either (see pl_ipc.c). */
	unsigned long long fds_runtime, maps_runtime;
	unsigned long long runtime; /* scratch: at this refresh's IPC reading */
};

struct pl_model {
	char proc[256]; /* "/proc", or a fake tree */
	pid_t root;
	/* The root's start time (stat field 22) if the caller knows it, or 0:
	 * a process at the root's PID with another start time is not ours. */
	unsigned long long root_start;
	bool root_seen; /* the root was on the books: it is not added again */
	double now;   /* the caller's clock, in seconds */
	bool threads; /* also read each process's threads */
	bool ipc;     /* read fd tables, maps and locks */

	struct pl_model_proc *procs; /* watched, and recently gone */
	size_t nprocs, cap_procs;
	size_t *order; /* indexes of procs in tree order */
	size_t norder;

	/* One entry per object two watched processes share (or a socket one
	 * listens on or holds to outside), in a stable order; its holders
	 * are holders[o->holder .. o->holder + o->nholders). */
	struct pl_ipc_object *objects;
	size_t nobjects, cap_objects;
	struct pl_ipc_holder *holders;
	size_t nholders, cap_holders;
	struct pl_ipc_lock *locks;
	size_t nlocks, cap_locks;

	struct pl_waitfor *waitfor;
	struct pl_waitfor_cycle cycles[PL_MODEL_CYCLES];
	size_t ncycles;

	struct pl_board *board;      /* or NULL */
	struct pl_board_slot *slots; /* what the board said this refresh */
	size_t nslots;
	uint32_t board_seen; /* events read so far */
	char narration[PL_MODEL_NARRATION][PL_BOARD_TEXT + 16];
	size_t nnarration; /* lines kept (the newest last) */
	/* Each kept line's kind ('s' step, 'n' note, 'c' check from the board,
	 * 'o' a line the command printed) and who said it (0: the command's
	 * output), and how many lines were ever added: a reader that keeps its
	 * own count (pl_history.h) finds the new ones even after the caller
	 * has emptied the window. */
	char narration_kind[PL_MODEL_NARRATION];
	pid_t narration_pid[PL_MODEL_NARRATION];
	unsigned long long narrated;
	bool step_waiting; /* a --step checkpoint waits */

	int *index; /* pid -> procs index: open addressing */
	size_t index_cap;
	pid_t *foreign; /* pids seen and known not to be ours */
	size_t foreign_cap, nforeign;

	double last_sample, last_maps, last_fds;
	long ticks_per_second, page_kb;
	unsigned long long refreshes;
	/* Descriptors kept open on watched processes' stat and wchan files,
	 * and how many may be: a quarter of RLIMIT_NOFILE, so that a tree of
	 * 10,000 processes reads the rest by path, not fails with EMFILE. */
	size_t kept_fds, max_kept_fds;
	/* Times the host's socket tables (sock_diag, /proc/net/tcp, ...)
	 * were read: only when a watched process holds a socket. */
	unsigned long long socket_reads;
	/* The last listing of /proc: when, and the machine's thread count and
	 * last PID then (/proc/loadavg). Until a task is born or reaped, the
	 * watched PIDs are all there is to read (loadavg_usable: /proc is our
	 * PID namespace's). listings counts them. */
	bool loadavg_usable;
	unsigned long listed_threads;
	long listed_last_pid;
	double listed_at;
	unsigned long long listings;
	void *ipc_state; /* pl_ipc.c's scratch */
};

/* Watch ROOT in the /proc tree at PROC ("/proc" for the real one). */
int pl_model_init(struct pl_model *m, const char *proc, pid_t root);
void pl_model_free(struct pl_model *m);

/* Take a snapshot at time NOW (seconds, monotonic). Returns 0, or -1 with
 * errno if /proc itself could not be read. */
int pl_model_refresh(struct pl_model *m, double now);

/* Make the next refresh read every fd table and every map, however
 * recently they were read: for a snapshot that must be current (--once).
 * Otherwise maps are read once a second, and in a big tree less often. */
void pl_model_read_ipc_next(struct pl_model *m);

/* The watched root was reaped by us with wait status STATUS. */
void pl_model_root_reaped(struct pl_model *m, int status);

/* The process PID on the books, or NULL: the live one if there is one,
 * else one that is gone and fading. */
struct pl_model_proc *pl_model_find(struct pl_model *m, pid_t pid);

/* How many watched processes are alive (zombies count). */
size_t pl_model_alive(const struct pl_model *m);

/* Add a narration line, e.g. a line the command printed. */
void pl_model_narrate(struct pl_model *m, const char *line);

/* Put m->procs[0 .. m->nprocs) in tree order again (m->order, each
 * p->depth), for a caller that filled them itself: a replay
 * (pl_history_model()) rebuilds a model from a recording this way. */
void pl_model_order(struct pl_model *m);

/* For pl_model.c and pl_ipc.c only. */
ssize_t pl_model_read_file(const char *path, char *buf, size_t size);

#endif /* PL_MODEL_H */
