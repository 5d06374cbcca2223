/* pl_narrate.h - telling the class what happens, and proving it.
 *
 * A demo talks through four calls:
 *
 *   pl_step()   starts a step: a heading in prose, a "step" event in JSON,
 *               and a checkpoint where --step waits for Enter.
 *   pl_note()   one line of detail or evidence, e.g. what /proc said.
 *   pl_check()  a claim tested against what the kernel reported. It prints
 *               [ok] or [FAIL]; a failed check makes the demo exit 1.
 *   pl_pause()  a pause, divided by --speed, so the class (or the dashboard)
 *               can see a state before it changes.
 *
 * Each line goes out in a single write(2), so lines from several processes
 * never mix within a line, and nothing sits in a stdio buffer when a
 * process forks. Under --json each call writes one JSON object (pl_json.h).
 */
#ifndef PL_NARRATE_H
#define PL_NARRATE_H

#include <stdbool.h>
#include "pl_json.h"

struct pl_narrate_config {
	bool json;      /* JSON Lines instead of prose */
	bool quiet;     /* prose: only failed checks, errors and the summary */
	bool step;      /* wait for Enter at each step */
	bool color;     /* ANSI colours in prose */
	double speed;   /* pauses are divided by this */
};

/* Set how the calls below write. Also restarts the clock that "t" counts
 * from. Without a call: prose, no colour, speed 1. */
void pl_narrate_configure(const struct pl_narrate_config *config);
const struct pl_narrate_config *pl_narrate_get_config(void);

/* Seconds since pl_narrate_configure(), from CLOCK_MONOTONIC.
 * Children inherit the start, so all processes share one time line. */
double pl_narrate_elapsed(void);

#if defined(__GNUC__)
#define PL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PL_PRINTF(f, a)
#endif

void pl_step(const char *id, const struct pl_field *fields, const char *fmt, ...)
	PL_PRINTF(3, 4);
void pl_note(const char *event, const struct pl_field *fields, const char *fmt, ...)
	PL_PRINTF(3, 4);
bool pl_check(const char *id, bool ok, const struct pl_field *fields, const char *fmt, ...)
	PL_PRINTF(4, 5);

/* An error line: to stderr in prose, and as an "error" event under --json. */
void pl_narrate_error(const char *program, const char *message);

/* Checks made so far in this process, and how many failed. */
int pl_checks_made(void);
int pl_checks_failed(void);

/* True once a write to stdout has failed (a full disk, a closed pipe). */
bool pl_narrate_write_failed(void);

/* Sleep SECONDS / speed, through any signal that does not end the process. */
int pl_pause(double seconds);

/* The --step checkpoint: when stepping, prompt on the terminal and wait for
 * Enter. Only the demo's first process ever waits. */
void pl_checkpoint(void);

#endif /* PL_NARRATE_H */
