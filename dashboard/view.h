/* view.h - the ncurses view of the model. It only draws; main.c owns the
 * loop, the keys and the processes. */
#ifndef DASH_VIEW_H
#define DASH_VIEW_H

#include <stdbool.h>

#include "pl_history.h"
#include "pl_model.h"

struct dash_view_state {
	const char *title; /* what is watched */
	pid_t selected;    /* the selected process, or 0 */
	bool paused;
	bool help;
	bool color;
	double rate;        /* refreshes a second */
	const char *status; /* a message for the bottom line, or NULL */
	/* The whole run (pl_history.h): the timeline and the narration are
	 * drawn from it, so that they reach back to the start. */
	const struct pl_history *history;
	bool ended;          /* the run is over: the summary shows */
	const char *replay;  /* "REPLAY 1.5 s / 9.0 s, x2, playing", or NULL */
	size_t narration_back; /* narration rows scrolled back from the newest */
	double timeline_end;   /* the time at the timeline's right edge; < 0: now */
};

/* How many cells the timeline pane shows now (for the keys' steps). */
int dash_view_timeline_cells(void);

/* Start ncurses on the terminal. Returns 0, or -1 when the terminal cannot
 * address the cursor (TERM=dumb, unknown): the caller then goes plain. */
int dash_view_start(bool want_color);
void dash_view_end(void);

/* Draw a frame. It clamps VS's scrolling to what there is to see. */
void dash_view_draw(const struct pl_model *m, struct dash_view_state *vs);

/* Wait up to TIMEOUT_MS for a key: the key, KEY_RESIZE, or ERR. */
int dash_view_key(int timeout_ms);

#endif /* DASH_VIEW_H */
