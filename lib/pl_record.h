/* pl_record.h - the one reader of a recording.
 *
 * `proclab --record FILE` writes a run as JSON Lines (docs/record.md):
 * each line is one event of the run's history, struct pl_history_event
 * (pl_history.h), as pl_history_format() wrote it. This module reads the
 * lines back into those events, for both programs that read recordings:
 *
 *   - the replay (`proclab --replay`) applies each event to a history,
 *     pl_history_apply(), and draws it like a live run;
 *   - the exporter (pl_export.h: `proclab-export`, `proclab --trace` and
 *     `--svg`) keeps the events and draws them as a picture.
 *
 * So both see the same processes, states, IPC objects, narration and
 * deadlocks, and a line one refuses the other refuses with the same
 * reason. For example, to print every process a recording names:
 *
 *     struct pl_record_reader r;
 *     struct pl_history_event *e = malloc(sizeof(*e));
 *     unsigned long line;
 *     int got;
 *
 *     pl_record_init(&r, false);
 *     while ((got = pl_record_read(&r, in, e)) == 1)
 *             if (e->type == PL_HISTORY_PROC)
 *                     printf("%d %s\n", (int)e->pid, e->text);
 *     if (got == -1) {
 *             const char *why = pl_record_error(&r, &line);
 *             fprintf(stderr, "line %lu: %s\n", line, why);
 *     }
 *     pl_record_free(&r);
 *
 * A recording can come from anyone: nothing in it is trusted. Strings are
 * cut to their fields' sizes and decoded, but not cleaned (a view cleans
 * what it shows: pl_text.h); numbers must be whole and in range where the
 * event needs them so; a state must be a state letter.
 */
#ifndef PL_RECORD_H
#define PL_RECORD_H

#include <stdbool.h>
#include <stdio.h>

#include "pl_history.h"

/* A recording being read, one line after another. */
struct pl_record_reader {
	unsigned long line; /* the number of the line last read, from 1 */
	double last_t;      /* the time of the last event */
	bool header;        /* the header line has been read */
	bool hold_time;     /* a line earlier than the last: held at its time, or refused */
	char *buf;          /* pl_record_read()'s line */
	size_t buf_size;
	char why[160]; /* why the last line was refused, or "" */
};

/* Start reading a recording. With HOLD_TIME, a line whose time is before
 * the line before it is taken at that line's time (a picture's slices
 * must not overlap, and a writer's clocks may disagree a little); without
 * it, such a line is refused (a replay plays what was recorded). */
void pl_record_init(struct pl_record_reader *r, bool hold_time);
void pl_record_free(struct pl_record_reader *r);

/* The next line of the recording, LINE (without its newline), into *E.
 * The first line that is not blank must be the header, and only it.
 * Returns 1 for an event, 0 for a line skipped (a blank one, or a type or
 * an operation of a later version of the format), or -1 with errno
 * EINVAL and the reason in pl_record_error(). */
int pl_record_line(struct pl_record_reader *r, const char *line, struct pl_history_event *e);

/* The next event from IN, reading lines with pl_record_line(). A line
 * longer than PL_HISTORY_LINE_MAX or with a NUL byte is refused, and so
 * is a file with no header. Returns 1 for an event, 0 at the end of the
 * file, or -1 with errno set: EINVAL for a bad line (pl_record_error()
 * says why), EIO if reading failed, ENOMEM. */
int pl_record_read(struct pl_record_reader *r, FILE *in, struct pl_history_event *e);

/* Why the last line was refused ("" if it was not), and its number in
 * *LINE if LINE is not NULL. */
const char *pl_record_error(const struct pl_record_reader *r, unsigned long *line);

/* Parse one LINE of a recording into *E, on its own: the checks of one
 * line, but not of its place in the file (the header first, time that
 * does not go back). Returns 1 for an event, 0 for a line of a type or
 * an operation this reader skips (so that the format can grow), or -1
 * with a reason in WHY, for the user ("no \"pid\"", ...). */
int pl_record_parse(const char *line, struct pl_history_event *e, char *why, size_t why_size);

#endif /* PL_RECORD_H */
