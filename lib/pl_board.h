/* pl_board.h - the status board a demo shares with the dashboard.
 *
 * The dashboard (`proclab`) reads the kernel's view of a demo from /proc.
 * What /proc cannot know - the ROLE a process plays, the STEP the demo is
 * narrating, the LOCKS a thread holds and wants, COUNTERS - the demo
 * writes on a board in POSIX shared memory:
 *
 *  - The dashboard creates it (pl_board_create): shm_open(3) with O_CREAT |
 *    O_EXCL and mode 0600, under a name nobody can guess,
 *    "/proclab-board-PID-START-RANDOM" (pl_name.h: PID and START are the
 *    dashboard's), and passes the name to the demo in the environment
 *    variable PROCLAB_BOARD.
 *  - A demo attaches at start-up (pl_demo_init calls pl_board_attach). Its
 *    children inherit the mapping through fork(). Once the demo is attached
 *    the dashboard unlinks the name, so nothing is left in /dev/shm even if
 *    both are killed with SIGKILL; it also unlinks at every exit, and
 *    pl_board_clean_stale() removes boards whose dashboard is gone.
 *  - The board records its owner, the dashboard, by PID and start time, so
 *    that a demo waiting at a --step checkpoint stops waiting when the
 *    dashboard is gone, even if its PID has been given to another process.
 *  - Without PROCLAB_BOARD every publishing call is a test of one pointer
 *    and a return: a demo run alone works the same and costs next to nothing.
 *
 * Each thread writes only its own slot (found by its thread ID, which is
 * the PID in a process's first thread), under a sequence counter, so a
 * reader never sees half an update and writers never wait. So threads too
 * can say which locks they hold and want, and the dashboard can name them
 * in a deadlock.
 */
#ifndef PL_BOARD_H
#define PL_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pl_name.h"

#define PL_BOARD_ENV "PROCLAB_BOARD"
#define PL_BOARD_MAGIC 0x706c6231u /* "plb1" */
#define PL_BOARD_SLOTS 128
#define PL_BOARD_TEXT 120
#define PL_BOARD_NAME 32
#define PL_BOARD_LOCKS 4
#define PL_BOARD_COUNTERS 4
#define PL_BOARD_EVENTS 64

struct pl_board_counter {
	char name[PL_BOARD_NAME];
	long long value;
};

/* What one thread says about itself (PID: its thread ID). */
struct pl_board_slot {
	uint32_t seq; /* odd while being written */
	int32_t pid;  /* 0: free */
	char role[PL_BOARD_NAME];
	char narration[PL_BOARD_TEXT]; /* what it is doing now */
	char holds[PL_BOARD_LOCKS][PL_BOARD_NAME];
	char wants[PL_BOARD_NAME]; /* the lock it waits for, or "" */
	struct pl_board_counter counters[PL_BOARD_COUNTERS];
};

/* One line of narration: a step heading or a note. */
struct pl_board_event {
	uint32_t seq; /* index + 1 once written; 0 before */
	int32_t pid;
	double t;  /* seconds since the demo started */
	char kind; /* 's' step, 'n' note, 'c' check */
	char text[PL_BOARD_TEXT];
};

struct pl_board {
	uint32_t magic;
	uint32_t size;         /* sizeof(struct pl_board) */
	int32_t owner;         /* the dashboard's PID */
	int32_t attached;      /* the demo's PID once attached */
	uint32_t step_waiting; /* checkpoint N is waiting (0: none) */
	uint32_t step_go;      /* checkpoints up to N may go on */
	uint32_t nevents;      /* events written so far */
	uint32_t pad;
	uint64_t owner_start;  /* when the owner started (stat field 22) */
	struct pl_board_slot slots[PL_BOARD_SLOTS];
	struct pl_board_event events[PL_BOARD_EVENTS]; /* a ring */
};

/* --- The dashboard's side. --- */

/* Create and map a new board, owned by this process, under a new name
 * (pl_name.h) put in NAME, which should hold PL_NAME_MAX bytes. Returns
 * the board, or NULL with errno. */
struct pl_board *pl_board_create(char *name, size_t size);

/* Unlink NAME (the mapping stays valid) and unmap BOARD (may be NULL). */
int pl_board_remove(struct pl_board *board, const char *name);

/* Remove this user's boards in DIR whose owner is gone: not running, or
 * its PID now another process's (pl_name_clean_stale). Only boards made
 * in our PID namespace: a container may share /dev/shm with the host,
 * and the host's dashboards, which it cannot see, keep their boards (and
 * the other way round). Returns how many were removed, or -1 with errno.
 * DIR is normally "/dev/shm"; tests pass their own. */
int pl_board_clean_stale(const char *dir);

/* Copy slot I consistently into *OUT. Returns 1 if it holds a process,
 * 0 if it is free, or -1 (EAGAIN) if it kept changing under us. */
int pl_board_read_slot(const struct pl_board *board, size_t i, struct pl_board_slot *out);

/* Copy event number SEQ (1, 2, ...) if it is still in the ring: returns 1,
 * or 0 if it is not written yet or already overwritten. */
int pl_board_read_event(const struct pl_board *board, uint32_t seq, struct pl_board_event *out);

/* Free slot I if it still belongs to task PID: the dashboard does this for
 * tasks that are gone, so threads that come and go do not fill the board.
 * Returns 1 if freed, 0 if the slot had moved on. */
int pl_board_free_slot(struct pl_board *board, size_t i, pid_t pid);

/* Let --step checkpoints up to the one waiting now go on. */
void pl_board_step_release(struct pl_board *board);

/* --- The demo's side. All return 0, or -1 with errno; when no board is
 * attached they do nothing and return 0. --- */

/* Attach to the board named in $PROCLAB_BOARD, if set. Returns 1 when
 * attached, 0 when there is no board to attach to, -1 on error. */
int pl_board_attach(void);
/* The board this process is attached to, or NULL. */
struct pl_board *pl_board_current(void);
/* Attach to BOARD directly (tests), or detach with NULL. */
void pl_board_use(struct pl_board *board);

int pl_board_set_role(const char *role);
int pl_board_narrate(char kind, double t, const char *text);
int pl_board_lock_wants(const char *lock); /* "" or NULL: wants nothing */
int pl_board_lock_holds(const char *lock);
int pl_board_lock_releases(const char *lock);
int pl_board_count(const char *counter, long long value);
/* This process is leaving: free its slot. */
int pl_board_leave(void);

/* A --step checkpoint through the board: wait until the dashboard lets it
 * go, for at most SECONDS. Returns 0 when released; 1 when there is no
 * board to wait on, or it is this process's own (pl_lock_private_board),
 * which nobody else releases (the caller then asks the terminal); or -1
 * with errno ESRCH when the dashboard is gone (or was never there: a PID
 * that names another process now is no dashboard), ETIMEDOUT when SECONDS
 * passed. */
int pl_board_checkpoint_within(double seconds);

/* The same for PL_BOARD_STEP_MAX seconds at most, for a demo: 0 to go on
 * (released, or no dashboard will ever release it), 1 to ask the terminal. */
#define PL_BOARD_STEP_MAX 3600.0
int pl_board_checkpoint(void);

#endif /* PL_BOARD_H */
