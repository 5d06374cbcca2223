/* pl_history.h - the history of a whole run: every process that lived,
 * its states from birth to exit, the narration, and a summary.
 *
 * The model (pl_model.h) is the present: it forgets a process a few
 * seconds after it has gone and keeps a short timeline. A class discusses
 * a run after it has ended, so the dashboard also keeps its history:
 *
 *  - after each refresh, pl_history_update() compares the model with the
 *    history and turns what changed into EVENTS (a process appeared,
 *    changed state, exec'd, was adopted, exited, said something...);
 *  - each event is applied to the history (pl_history_apply) and, if a
 *    recording is open, written as one line of JSON (docs/record.md);
 *  - a replay reads the lines back (pl_record.h, the reader the exporter
 *    uses too) and applies the same events, so a recorded run and a live
 *    one build the same history;
 *  - pl_history_model() turns the history at its present moment back into
 *    a model that the dashboard draws like a live one.
 *
 * A history only grows: each process keeps every state change (a list of
 * (time, state) pairs: a change costs a few bytes, a second of sleep
 * nothing) and the narration keeps every line. For example, to watch PID
 * to its end and print what happened:
 *
 *     struct pl_history h;
 *
 *     pl_history_init(&h);
 *     do {
 *             pl_model_refresh(&m, pl_measure_now());
 *             pl_history_update(&h, &m);
 *     } while (pl_model_alive(&m) > 0);
 *     printf("%zu processes, at most %zu at once\n", h.summary.made,
 *            h.summary.most_alive);
 *     pl_history_free(&h);
 *
 * Like the rest of the library it never prints and never exits: it writes
 * only to the recording its caller opened.
 */
#ifndef PL_HISTORY_H
#define PL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "pl_model.h"

#define PL_HISTORY_FORMAT "proclab-record"
#define PL_HISTORY_VERSION 1
#define PL_HISTORY_TEXT (PL_BOARD_TEXT + 64)
/* The longest line a recording has and a reader takes, and the most
 * holders of one IPC object it keeps: a list of that many fits in a line.
 * An object held more often is recorded with its first holders. */
#define PL_HISTORY_LINE_MAX 65536
#define PL_HISTORY_HOLDERS 1024

enum pl_history_type {
	PL_HISTORY_HEADER,
	PL_HISTORY_PROC,    /* first seen: pid, ppid, text = comm, role */
	PL_HISTORY_STATE,   /* state letter changed */
	PL_HISTORY_THREAD,  /* thread TID of pid: its state (X: gone), comm, wchan */
	PL_HISTORY_WCHAN,   /* text = what it waits in, or "" */
	PL_HISTORY_EXEC,    /* text = its new command name */
	PL_HISTORY_ROLE,    /* role = its role on the board */
	PL_HISTORY_ADOPT,   /* ppid = the adopter, text = the adopter's name */
	PL_HISTORY_EXIT,    /* left /proc; status when exit_known (read back: text = the words) */
	PL_HISTORY_FORGET,  /* the live view stopped showing it (it faded) */
	PL_HISTORY_NARRATION, /* kind, held (checks), text */
	PL_HISTORY_IPC_ADD, /* id, the object, its holders */
	PL_HISTORY_IPC_DEL, /* id */
	PL_HISTORY_QUEUED,  /* id, bytes */
	PL_HISTORY_LOCK_ADD, /* lock */
	PL_HISTORY_LOCK_DEL, /* lock */
	PL_HISTORY_DEADLOCK, /* cycle number INDEX of COUNT found now (COUNT 0: none;
	                        an older recorder's line: its cycle's tasks only) */
	PL_HISTORY_STEP,    /* held = a --step checkpoint waits (or no longer) */
	PL_HISTORY_SIGNAL,  /* the dashboard sent SIGNAL to pid (k, s, the end); text = from */
	PL_HISTORY_END,     /* the watched command ended; status (read back: text) */
	PL_HISTORY_SUMMARY
};

/* One change. Which fields mean something depends on the type. */
struct pl_history_event {
	double t;
	enum pl_history_type type;
	pid_t pid, ppid;
	pid_t tid; /* a thread */
	char state;
	char wchan[48]; /* a thread's */
	char kind; /* narration: 's' 'n' 'c' 'o'; ipc: unused */
	bool held; /* a check that held; a step that waits */
	bool exit_known;
	int exit_status; /* a wait status, when exit_known */
	long bytes;      /* queued */
	int signal;      /* sent */
	char id[96];     /* an IPC object or a lock */
	char role[PL_BOARD_NAME];
	struct pl_ipc_lock lock;
	struct pl_waitfor_cycle cycle;
	unsigned index, count;
	char text[PL_HISTORY_TEXT];
	/* An IPC object as the model has it (pl_ipc.h), and every hold on it:
	 * holders[0 .. object.nholders). */
	struct pl_ipc_object object;
	struct pl_ipc_holder holders[PL_HISTORY_HOLDERS];
};

struct pl_history_change {
	double t;
	char state; /* 'X' once gone */
};

struct pl_history_proc {
	pid_t pid, ppid;
	char comm[64];
	char role[PL_BOARD_NAME];
	char state;
	char wchan[48];
	double born, gone_at; /* gone_at -1 while alive */
	bool forgotten;       /* the live view no longer shows it */
	bool exit_known;
	int exit_status;
	bool adopted;
	pid_t adopter;
	char adopter_comm[64];
	double zombie_since; /* -1 unless a zombie */
	/* Its threads now (when threads are watched), in the order seen. */
	struct pl_model_thread *threads;
	size_t nthreads, cap_threads;
	struct pl_history_change *changes;
	size_t nchanges, cap_changes;
};

struct pl_history_line {
	double t;
	pid_t pid;
	char kind; /* 's' step, 'n' note, 'c' check, 'o' the command's output */
	bool held; /* a check: it held */
	char text[PL_HISTORY_TEXT];
};

struct pl_history_summary {
	size_t made;             /* processes seen */
	size_t most_alive;       /* at once */
	size_t zombies;          /* processes that were zombies */
	double zombie_max;       /* the longest unreaped, in seconds */
	size_t orphans;          /* adopted by another parent */
	size_t deadlocks;        /* cycles found */
	size_t checks, checks_held;
};

/* An IPC object there now: the model's (pl_ipc.h), with its own copy of
 * its holders, holders[0 .. object.nholders). */
struct pl_history_ipc {
	struct pl_ipc_object object;
	struct pl_ipc_holder *holders;
};

struct pl_history {
	double now; /* the time of the last event */
	pid_t root;
	struct pl_history_proc *procs; /* in the order first seen */
	size_t nprocs, cap_procs;
	/* pid -> the newest of procs with it, by open addressing: a refresh
	 * of a big tree looks up every process. */
	long *by_pid;
	size_t by_pid_cap;
	struct pl_history_line *narration; /* every line, in order */
	size_t nnarration, cap_narration;
	struct pl_history_summary summary;
	size_t alive;
	struct pl_history_ipc *ipc; /* the IPC objects there now */
	size_t nipc, cap_ipc;
	struct pl_ipc_lock *locks; /* the locks held and wanted now */
	size_t nlocks, cap_locks;
	struct pl_waitfor_cycle cycles[PL_MODEL_CYCLES]; /* the deadlocks now */
	size_t ncycles;
	bool step_waiting;
	bool ended; /* the watched command ended */
	bool end_known;
	int end_status;
	char command[256]; /* from the header */
	double hz;

	/* pl_history_update()'s own. */
	unsigned long long narration_seen;
	FILE *record; /* or NULL */
	int record_error; /* errno of the first failed write, or 0 */
};

void pl_history_init(struct pl_history *h);
void pl_history_free(struct pl_history *h);

/* Write every event from now on to OUT as JSON Lines, after a header line
 * naming COMMAND and the refresh rate HZ and STARTED (an ISO 8601 time, or
 * ""). Returns 0, or -1 with errno if the header could not be written. A
 * later failed write sets h->record_error and stops the recording. */
int pl_history_record(struct pl_history *h, FILE *out, const char *command, double hz,
                      const char *started);

/* Compare the model after a refresh with the history, and apply (and
 * record) what changed. Returns 0, or -1 with errno ENOMEM. */
int pl_history_update(struct pl_history *h, const struct pl_model *m);

/* The watched command ended with wait STATUS (KNOWN false: unknown), at
 * H->now: the "end" and "summary" events. */
int pl_history_end(struct pl_history *h, bool known, int status);

/* Apply one event (and record it, if recording). Returns 0, or -1 with
 * errno ENOMEM. */
int pl_history_apply(struct pl_history *h, const struct pl_history_event *e);

/* Format one event as a line of JSON, newline included. Returns its
 * length, or -1 with errno ENOBUFS. */
int pl_history_format(const struct pl_history_summary *s, const struct pl_history_event *e,
                      char *buf, size_t size);

/* The name of an event's TYPE in a recording's "type" key ("proc",
 * "state", ...; "ipc" for both IPC types, "lock" for both lock types), or
 * NULL for no type. */
const char *pl_history_type_name(enum pl_history_type type);

/* A narration KIND's word in a recording: "step" ('s'), "note" ('n'),
 * "check" ('c') or "output" (any other). */
const char *pl_history_kind_name(char kind);

/* The history at its present moment as a model M (initialised by the
 * caller with pl_model_init, not refreshed): the processes not yet
 * forgotten, or ALL of them (the end of a run), with their last states,
 * IPC objects and their holders, locks, narration and the last
 * PL_MODEL_TIMELINE cells of timeline.
 * Returns 0, or -1 with errno ENOMEM. */
int pl_history_model(const struct pl_history *h, struct pl_model *m, bool all);

/* The state of P at time T: its letter, '.' once gone, ' ' before birth. */
char pl_history_state_at(const struct pl_history_proc *p, double t);

/* "exited 3", "killed by SIGKILL" or "exited" (unknown): short, for the
 * record and the end-of-run rows. */
void pl_history_status(bool known, int status, char *buf, size_t size);

#endif /* PL_HISTORY_H */
