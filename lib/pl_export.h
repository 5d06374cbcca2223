/* pl_export.h - pictures of a recorded run: a Chrome trace and an SVG.
 *
 * `proclab --record FILE` writes a run as JSON Lines (the format is in
 * man/pl_export.3): the processes as they appear, their state changes,
 * forks, execs, exits, signals, the narration, the IPC objects and any
 * deadlock. This module reads such a recording and draws it twice:
 *
 *   - as a trace in the Chrome Trace Event format, which Perfetto's UI
 *     (ui.perfetto.dev) and chrome://tracing open: a track per process,
 *     its states as slices, the events as instants, pipes as counters;
 *   - as one self-contained SVG picture of the timeline, for a slide.
 *
 *     struct pl_export *x = pl_export_new();
 *     if (pl_export_read(x, in) == -1)
 *             ... pl_export_error(x, &line) says what and where ...
 *     pl_export_svg(x, out);
 *     pl_export_free(x);
 *
 * Everything in a recording is untrusted data: a process names itself,
 * and a demo's narration is its own. Text is cleaned (pl_text.h) and
 * escaped for JSON or XML before it is written.
 */
#ifndef PL_EXPORT_H
#define PL_EXPORT_H

#include <stddef.h>
#include <stdio.h>

struct pl_export; /* a recording read into memory */

/* An empty recording, or NULL with errno ENOMEM. */
struct pl_export *pl_export_new(void);

/* Add one line of a recording (without or with its newline). The first
 * line must be the header. Returns 0, or -1 with errno EINVAL for a line
 * that is not a valid record (pl_export_error says why) or ENOMEM. */
int pl_export_add_line(struct pl_export *x, const char *line);

/* Read a whole recording from IN with pl_export_add_line. Returns 0, or
 * -1 with errno set: EINVAL for a bad line, an empty file, or one with no
 * header; EIO when reading fails. */
int pl_export_read(struct pl_export *x, FILE *in);

/* Why the last call failed, with the number of the line (from 1) in *LINE
 * if LINE is not NULL; "" when nothing failed. */
const char *pl_export_error(const struct pl_export *x, long *line);

/* How many processes the recording has (one a "proc" line). */
size_t pl_export_processes(const struct pl_export *x);

/* What the export keeps of process I (from 0, in the order they
 * appeared), for a caller that checks it or draws it its own way. The
 * strings are the export's, until pl_export_free. */
struct pl_export_process {
	long pid, ppid;   /* the parent it had at birth */
	int parent;       /* the parent's index, or -1 if it was not recorded */
	const char *comm; /* the name it ran last */
	const char *role;
	double born;        /* seconds since the run started, as recorded */
	double died;        /* when it exited, or -1 */
	const char *status; /* its exit in words ("exited 3"), or NULL */
	size_t nstates;     /* how many state changes it had */
};

/* Process I into *P. Returns 0, or -1 with errno EINVAL if there is no
 * process I. */
int pl_export_process(const struct pl_export *x, size_t i, struct pl_export_process *p);

/* Process I's state at time T: its letter, '.' once it has exited, or
 * ' ' before it was born (or if there is no process I). */
char pl_export_state_at(const struct pl_export *x, size_t i, double t);

/* The events kept, in time order: forks, execs, exits, narration... */
struct pl_export_event {
	double t;
	const char *what; /* "fork", "exec", "adopt", "exit", "signal", "narration",
	                     "ipc", "ipc-del", "queued", "deadlock" or "end" */
	long pid;         /* the process it is about (a fork's child), or 0 */
	const char *text; /* the new name, the exit status, the narration, the
	                     object's id, the deadlock's words; or "" */
	const char *kind; /* a narration's ("step", "note", "check", "output")
	                     or an object's ("pipe", ...); or "" */
	size_t nholders;  /* an object's holders, a deadlock's processes */
};

size_t pl_export_events(const struct pl_export *x);

/* Event I into *E. Returns 0, or -1 with errno EINVAL if there is no
 * event I. */
int pl_export_event(const struct pl_export *x, size_t i, struct pl_export_event *e);

/* Write the run as a Chrome trace (one JSON object) to OUT.
 * Returns 0, or -1 with errno set if writing failed. */
int pl_export_trace(const struct pl_export *x, FILE *out);

/* Write the run as an SVG picture, 1280 pixels wide, to OUT.
 * Returns 0, or -1 with errno set if writing failed. */
int pl_export_svg(const struct pl_export *x, FILE *out);

void pl_export_free(struct pl_export *x);

#endif /* PL_EXPORT_H */
