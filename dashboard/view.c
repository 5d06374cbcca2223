/* view.c - the ncurses view of the model.
 *
 * Every frame is drawn whole from the model onto ncurses' virtual screen;
 * ncurses sends the terminal only what changed. The geometry is recomputed
 * from LINES and COLS each frame, so a resize (KEY_RESIZE) needs nothing
 * more than the next frame. Down to 40x12 the tree, the DEADLOCK flag and
 * the key line stay; the IPC, narration and timeline panes come with room.
 */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>

#include "pl_text.h"
#include "text.h"
#include "view.h"

enum pair { P_RUN = 1, P_SLEEP, P_DISK, P_STOP, P_ZOMBIE, P_IDLE, P_GONE, P_DEADLOCK, P_TITLE };

static bool colors;
static SCREEN *screen;

int
dash_view_start(bool want_color)
{
	const char *cup;

	/* newterm, not initscr: initscr exits the program when the terminal
	 * is unknown, and we would rather fall back to plain text. */
	screen = newterm(NULL, stdout, stdin);
	if (screen == NULL)
		return -1;
	cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {
		endwin();
		delscreen(screen);
		screen = NULL;
		return -1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	colors = want_color && has_colors();
	if (colors) {
		start_color();
		use_default_colors();
		init_pair(P_RUN, COLOR_GREEN, -1);
		init_pair(P_SLEEP, COLOR_CYAN, -1);
		init_pair(P_DISK, COLOR_YELLOW, -1);
		init_pair(P_STOP, COLOR_MAGENTA, -1);
		init_pair(P_ZOMBIE, COLOR_RED, -1);
		init_pair(P_IDLE, COLOR_BLUE, -1);
		init_pair(P_GONE, COLOR_WHITE, -1);
		init_pair(P_DEADLOCK, COLOR_WHITE, COLOR_RED);
		init_pair(P_TITLE, COLOR_BLACK, COLOR_CYAN);
	}
	return 0;
}

void
dash_view_end(void)
{
	if (screen == NULL)
		return;
	endwin();
	delscreen(screen);
	screen = NULL;
}

int
dash_view_key(int timeout_ms)
{
	timeout(timeout_ms);
	return getch();
}

static int
state_pair(char state)
{
	switch (state) {
	case 'R':
		return P_RUN;
	case 'S':
		return P_SLEEP;
	case 'D':
		return P_DISK;
	case 'T':
	case 't':
		return P_STOP;
	case 'Z':
		return P_ZOMBIE;
	case 'I':
		return P_IDLE;
	default:
		return P_GONE;
	}
}

static attr_t
state_attr(char state)
{
	attr_t a = colors ? COLOR_PAIR(state_pair(state)) : A_NORMAL;

	if (state == 'Z' || state == 'R' || state == 'D')
		a |= A_BOLD;
	return a;
}

/* A line, cleaned (text.h) and cut to the screen's width. The cut counts
 * columns, not bytes, and falls between two characters: a count of bytes
 * would end "grüße" short of the edge, or inside one of its characters. */
static void
put(int y, int x, attr_t attr, const char *text)
{
	char clean[1024];

	if (y < 0 || y >= LINES || x >= COLS)
		return;
	dash_text_clean(clean, sizeof(clean), text);
	attron(attr);
	mvaddnstr(y, x, clean, (int)pl_text_fit(clean, COLS - x, NULL));
	attroff(attr);
}

static void
draw_title(const struct pl_model *m, const struct dash_view_state *vs)
{
	char line[512];

	if (vs->replay != NULL)
		snprintf(line, sizeof(line), " proclab: %s | %zu procs | %s", vs->title,
		         pl_model_alive(m), vs->replay);
	else
		snprintf(line, sizeof(line), " proclab: %s | %zu procs | %.0f Hz%s%s%s", vs->title,
		         pl_model_alive(m), vs->rate, vs->ended ? " | ENDED" : "",
		         vs->paused ? " | PAUSED" : "",
		         m->step_waiting ? " | STEP: space goes on" : "");
	attron(colors ? COLOR_PAIR(P_TITLE) : A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	attroff(colors ? COLOR_PAIR(P_TITLE) : A_REVERSE);
	put(0, 0, colors ? COLOR_PAIR(P_TITLE) | A_BOLD : A_REVERSE, line);
}

/* The tree scrolls. Its first drawn row is kept from frame to frame, and
 * moved just enough to keep the selected process on the screen: k and s
 * act on it, so it must be one that the user sees. A row is a process or
 * one of its threads. */
static size_t tree_top;

/* Scroll for a tree pane of HEIGHT rows; sets *ROWS to the tree's rows. */
static void
scroll_to_selection(const struct pl_model *m, pid_t selected, size_t height, size_t *rows)
{
	size_t at = 0;
	bool found = false;

	*rows = 0;
	for (size_t k = 0; k < m->norder; k++) {
		const struct pl_model_proc *p = &m->procs[m->order[k]];

		if (p->pid == selected && !found) {
			at = *rows;
			found = true;
		}
		*rows += 1 + p->nthreads;
	}
	if (found && at < tree_top)
		tree_top = at;
	if (found && height > 0 && at >= tree_top + height)
		tree_top = at - height + 1;
	/* No empty rows at the end while rows above are hidden. */
	if (tree_top + height > *rows)
		tree_top = *rows > height ? *rows - height : 0;
}

static int
draw_tree(const struct pl_model *m, const struct dash_view_state *vs, int y, int bottom)
{
	char line[1024];
	size_t rows, row = 0, height = bottom > y + 1 ? (size_t)(bottom - y - 1) : 0;
	bool narrow = COLS < 80;
	int len;

	if (narrow)
		len = dash_text_header_narrow(line, sizeof(line));
	else
		len = dash_text_header(line, sizeof(line));
	put(y, 0, A_BOLD | A_UNDERLINE, line);
	scroll_to_selection(m, vs->selected, height, &rows);
	if (rows > height && height > 0) {
		char where[64];
		size_t last = tree_top + height < rows ? tree_top + height : rows;
		int w = snprintf(where, sizeof(where), "rows %zu-%zu of %zu", tree_top + 1, last,
		                 rows);

		if (len + 2 + w <= COLS)
			put(y, COLS - w, A_BOLD, where);
	}
	y++;
	for (size_t k = 0; k < m->norder && y < bottom; k++) {
		const struct pl_model_proc *p = &m->procs[m->order[k]];
		int at;
		attr_t attr = p->gone_at >= 0 ? A_DIM : A_NORMAL;

		if (row++ >= tree_top) {
			if (p->pid == vs->selected)
				attr |= A_REVERSE;
			if (narrow)
				dash_text_row_narrow(m, p, line, sizeof(line), &at, &len);
			else
				dash_text_row(m, p, false, line, sizeof(line), &at, &len);
			move(y, 0);
			clrtoeol();
			put(y, 0, attr, line);
			if (at < COLS && p->gone_at < 0)
				mvchgat(y, at, len, state_attr(p->state) | (attr & A_REVERSE),
				        colors ? (short)state_pair(p->state) : 0, NULL);
			y++;
		}
		for (size_t t = 0; t < p->nthreads && y < bottom; t++) {
			if (row++ < tree_top)
				continue;
			dash_text_thread(&p->threads[t], p->depth, line, sizeof(line));
			put(y++, 0, A_DIM, line);
		}
	}
	return y;
}

static int
draw_ipc(const struct pl_model *m, int y, int bottom)
{
	char line[512], text[600];

	if ((m->nobjects == 0 && m->nlocks == 0) || y >= bottom)
		return y;
	put(y++, 0, A_BOLD, "IPC and locks");
	for (size_t i = 0; i < m->nobjects && y < bottom; i++) {
		dash_text_object(m, &m->objects[i], false, line, sizeof(line));
		snprintf(text, sizeof(text), "  %s", line);
		put(y++, 0, A_NORMAL, text);
	}
	for (size_t i = 0; i < m->nlocks && y < bottom; i++) {
		dash_text_lock(&m->locks[i], line, sizeof(line));
		snprintf(text, sizeof(text), "  lock %s", line);
		put(y++, 0, m->locks[i].waiting ? A_BOLD : A_NORMAL, text);
	}
	return y;
}

/* The narration, wrapped to the pane and scrolled: the newest at the
 * bottom, unless the user scrolled back. Each line of the history is
 * cleaned, then cut into rows at a space where there is one. */
struct wrapped {
	char text[256];
	bool bold;
};

static size_t
wrap_line(const char *text, int width, bool bold, struct wrapped *rows, size_t max)
{
	char clean[PL_HISTORY_TEXT * 4];
	const char *p = clean;
	size_t n = 0;

	dash_text_clean(clean, sizeof(clean), text);
	if (width < 8)
		width = 8;
	do {
		size_t fit = pl_text_fit(p, width, NULL), cut = fit;

		if (p[fit] != '\0')
			for (size_t i = fit; i > fit / 2; i--)
				if (p[i] == ' ') {
					cut = i;
					break;
				}
		if (n < max) {
			snprintf(rows[n].text, sizeof(rows[n].text), "%s%.*s", p == clean ? "" : "    ",
			         (int)cut, p);
			rows[n].bold = bold;
		}
		n++;
		p += cut;
		while (*p == ' ')
			p++;
		if (p != clean && width > 12 && n == 1)
			width -= 4; /* the rows after the first are indented */
	} while (*p != '\0');
	return n < max ? n : max;
}

/* Rows of the narration pane as text: the last HEIGHT rows, BACK rows
 * before the newest. Returns how many went into ROWS; *BACK is clamped. */
static size_t
narration_rows(const struct pl_history *h, int width, size_t height, size_t *back,
               struct wrapped *rows)
{
	size_t want = height + *back, have = 0, total = 0;
	struct wrapped *all = calloc(want + 8, sizeof(*all));
	struct wrapped line[8];

	if (all == NULL)
		return 0;
	/* From the newest back, until there are enough rows. */
	for (size_t i = h->nnarration; i-- > 0 && total < want;) {
		const struct pl_history_line *l = &h->narration[i];
		char text[PL_HISTORY_TEXT + 8];
		size_t n;

		dash_text_narration(l, text, sizeof(text));
		n = wrap_line(text, width, l->kind == 's', line, 8);
		/* Those rows go before the ones we have. */
		for (size_t k = n; k-- > 0 && total < want;)
			all[total++] = line[k];
	}
	if (*back > 0 && total < want)
		*back = total > height ? total - height : 0;
	/* all[] is newest first: the pane shows all[back .. back+height). */
	for (size_t k = *back + height; k-- > *back;)
		if (k < total)
			rows[have++] = all[k];
	free(all);
	return have;
}

static void
draw_narration(struct dash_view_state *vs, int y, int x, int height, int width)
{
	struct wrapped *rows;
	size_t back = vs->narration_back, n;

	put(y, x, A_BOLD, back ? "Narration (scrolled back: PgDn)" : "Narration");
	if (height < 2 || vs->history == NULL)
		return;
	if ((rows = calloc((size_t)height, sizeof(*rows))) == NULL)
		return;
	n = narration_rows(vs->history, width - 1, (size_t)height - 1, &back, rows);
	vs->narration_back = back;
	for (size_t i = 0; i < n; i++)
		put(y + 1 + (int)i, x, rows[i].bold ? A_BOLD : A_NORMAL, rows[i].text);
	free(rows);
}

static int timeline_cells;

int
dash_view_timeline_cells(void)
{
	return timeline_cells > 0 ? timeline_cells : 40;
}

/* The state timeline of each drawn process, from the history: a cell is
 * PL_MODEL_TIMELINE_PERIOD seconds, and the pane scrolls in time. Rows
 * follow the tree's order and its scrolling. */
static void
draw_timeline(const struct pl_model *m, const struct dash_view_state *vs, int y, int x,
              int height, int width)
{
	const struct pl_history *h = vs->history;
	int cells = width - 9;
	double end, start;
	size_t row = 0;
	char title[96];

	timeline_cells = cells;
	if (h == NULL || cells <= 0)
		return;
	/* The present at the right edge, or where the user scrolled to; a
	 * run shorter than the pane starts at its left edge. */
	end = vs->timeline_end >= 0 && vs->timeline_end < h->now ? vs->timeline_end : h->now;
	start = end - (cells - 1) * PL_MODEL_TIMELINE_PERIOD;
	if (start < 0)
		start = 0;
	snprintf(title, sizeof(title), "Timeline %.1f-%.1f s (a cell = %.1f s)%s", start, end,
	         PL_MODEL_TIMELINE_PERIOD, vs->timeline_end >= 0 ? " <- ->" : "");
	put(y, x, A_BOLD, title);
	for (size_t k = 0; k < m->norder && height > 1; k++) {
		const struct pl_model_proc *p = &m->procs[m->order[k]];
		const struct pl_history_proc *hp = NULL;
		char label[16];

		if (row < tree_top) {
			row += 1 + p->nthreads;
			continue;
		}
		for (size_t i = h->nprocs; i-- > 0 && hp == NULL;)
			if (h->procs[i].pid == p->pid)
				hp = &h->procs[i];
		height--;
		snprintf(label, sizeof(label), "%7ld ", (long)p->pid);
		put(++y, x, A_NORMAL, label);
		if (hp == NULL)
			continue;
		for (int i = 0; i < cells && x + 8 + i < COLS; i++) {
			double t = start + i * PL_MODEL_TIMELINE_PERIOD;
			char c = t > h->now + 1e-9 ? ' ' : pl_history_state_at(hp, t);

			if (colors && c != '.' && c != ' ') {
				attron(COLOR_PAIR(state_pair(c)) | A_REVERSE);
				mvaddch(y, x + 8 + i, (chtype)c);
				attroff(COLOR_PAIR(state_pair(c)) | A_REVERSE);
			} else {
				mvaddch(y, x + 8 + i, (chtype)c);
			}
		}
	}
}

/* The run in numbers, when it is over: wrapped, as it is long. */
static int
draw_summary(const struct pl_history *h, int y, int bottom)
{
	char line[512];
	struct wrapped rows[4];
	size_t n;

	if (h == NULL || y >= bottom)
		return y;
	dash_text_summary(h, line, sizeof(line));
	n = wrap_line(line, COLS - 1, true, rows, 4);
	for (size_t i = 0; i < n && y < bottom; i++)
		put(y++, 0, A_BOLD, rows[i].text);
	return y;
}

static void
draw_help(void)
{
	static const char *const help_text[] = {
		"proclab keys",
		"",
		"space   pause/resume; or let a --step demo go on",
		"up/dn   select a process",
		"s       SIGSTOP / SIGCONT the selected process",
		"k       SIGTERM the selected process, SIGKILL later",
		"t       show threads on/off",
		"pgup/dn scroll the narration",
		"<- ->   scroll the timeline in time; home/end",
		"+ / -   faster / slower refresh (replay: speed)",
		"n       replay: one refresh on (space plays)",
		"?       this help (any key closes it)",
		"q       quit: ends the run and cleans up",
	};
	int h = (int)(sizeof(help_text) / sizeof(help_text[0])) + 2, w = 54;
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;

	if (y0 < 0)
		y0 = 0;
	if (x0 < 0)
		x0 = 0;
	for (int i = 0; i < h && y0 + i < LINES; i++) {
		move(y0 + i, x0);
		for (int j = 0; j < w && x0 + j < COLS; j++)
			addch(' ' | A_REVERSE);
	}
	for (size_t i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++)
		put(y0 + 1 + (int)i, x0 + 2, A_REVERSE, help_text[i]);
}

void
dash_view_draw(const struct pl_model *m, struct dash_view_state *vs)
{
	int y = 1, bottom = LINES - 1, panes = 0;
	char line[1024];

	erase();
	draw_title(m, vs);
	/* A deadlock is the news: right under the title, whatever the size. */
	for (size_t i = 0; i < m->ncycles && y < bottom; i++) {
		dash_text_deadlock(&m->cycles[i], line, sizeof(line));
		put(y++, 0, colors ? COLOR_PAIR(P_DEADLOCK) | A_BOLD : A_REVERSE | A_BOLD, line);
	}
	if (vs->ended)
		y = draw_summary(vs->history, y, bottom);
	if (LINES >= 24)
		panes = LINES / 4 + 1;
	y = draw_tree(m, vs, y, bottom - panes - (LINES >= 20 ? 3 : 0));
	y = draw_ipc(m, y + (y < bottom - panes ? 0 : 0), bottom - panes);
	if (panes > 0) {
		int w = COLS >= 80 ? COLS / 2 : COLS;

		draw_narration(vs, bottom - panes, 0, panes, w);
		if (COLS >= 80)
			draw_timeline(m, vs, bottom - panes, w + 1, panes, COLS - w - 1);
	}
	if (vs->status != NULL)
		put(LINES - 1, 0, A_BOLD, vs->status);
	else if (vs->replay != NULL)
		put(LINES - 1, 0, A_DIM,
		    COLS >= 78 ? "q quit  space play/pause  n next  +/- speed  <- -> time  ? help"
		               : "q quit  space play  n next");
	else
		put(LINES - 1, 0, A_DIM,
		    COLS >= 78
		            ? "q quit  space pause/step  s stop/cont  k kill  t threads  +/- rate  ? help"
		            : "q quit  ? help");
	if (vs->help)
		draw_help();
	refresh();
}
