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

/* Write the run as a Chrome trace (one JSON object) to OUT.
 * Returns 0, or -1 with errno set if writing failed. */
int pl_export_trace(const struct pl_export *x, FILE *out);

/* Write the run as an SVG picture, 1280 pixels wide, to OUT.
 * Returns 0, or -1 with errno set if writing failed. */
int pl_export_svg(const struct pl_export *x, FILE *out);

void pl_export_free(struct pl_export *x);

#endif /* PL_EXPORT_H */
