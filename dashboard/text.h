/* text.h - the model as text: rows the ncurses view draws, and the plain
 * snapshots that --plain and --once print (for tests, logs and screen
 * readers). */
#ifndef DASH_TEXT_H
#define DASH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pl_history.h"
#include "pl_model.h"

/* Every string that a watched process chooses (its name, its role and
 * narration on the board, the paths and names of what it opens, the lines
 * it prints) passes through here on its way to the terminal, in plain mode
 * and on the screen alike: control characters and bad UTF-8 become '?',
 * and so does all that is not ASCII unless the locale is UTF-8 (pl_text.h).
 * The functions below clean what they print; the view cleans the rest. */
size_t dash_text_clean(char *dst, size_t size, const char *src);

/* A narration line as --plain prints it: "> LINE\n", cleaned. */
void dash_text_print_narration(FILE *out, const char *line);

/* The header of the process table, and one process's row in it. STATE_AT
 * and STATE_LEN (may be NULL) say where the state word is, for colour.
 * STABLE leaves out what changes all the time (CPU, RSS, seconds), so that
 * --plain can print only when something meaningful changed. */
int dash_text_header(char *buf, size_t size);
int dash_text_row(const struct pl_model *m, const struct pl_model_proc *p, bool stable, char *buf,
                  size_t size, int *state_at, int *state_len);
/* The same for a narrow terminal (under 80 columns): PID, state, wchan,
 * the tree and the mark. */
int dash_text_header_narrow(char *buf, size_t size);
int dash_text_row_narrow(const struct pl_model *m, const struct pl_model_proc *p, char *buf,
                         size_t size, int *state_at, int *state_len);
int dash_text_thread(const struct pl_model_thread *t, int depth, char *buf, size_t size);

/* What happened to a process that left: "adopted by PID 1 (systemd)",
 * "zombie, unreaped 2.5s", "exited with status 3", or "". */
int dash_text_mark(const struct pl_model *m, const struct pl_model_proc *p, bool stable, char *buf,
                   size_t size);

/* A shared object and its holders, a lock line, a deadlock. STABLE
 * leaves out what changes from moment to moment (the bytes in a pipe).
 * For example "pipe     pipe:[5001] held by 2: 100 (fd 4 w) 101 (fd 3 r)". */
int dash_text_object(const struct pl_model *m, const struct pl_ipc_object *o, bool stable,
                     char *buf, size_t size);
int dash_text_lock(const struct pl_ipc_lock *l, char *buf, size_t size);
int dash_text_deadlock(const struct pl_waitfor_cycle *c, char *buf, size_t size);

/* A whole snapshot, as --plain prints it. TITLE names what is watched.
 * Returns a malloc'ed string (the caller frees it), or NULL. */
char *dash_text_snapshot(const struct pl_model *m, const char *title, bool stable);

/* The run in one line: "Summary: 4 processes made, at most 3 alive at
 * once; 1 zombie, unreaped up to 2.0 s; 1 orphan adopted; no deadlock;
 * checks: 5 of 5 held". */
int dash_text_summary(const struct pl_history *h, char *buf, size_t size);

/* A line of the history's narration as the model shows it: steps and the
 * command's output as they are, notes and checks indented. */
void dash_text_narration(const struct pl_history_line *l, char *buf, size_t size);

#endif /* DASH_TEXT_H */
