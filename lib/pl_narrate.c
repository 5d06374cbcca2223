/* pl_narrate.c - telling the class what happens, and proving it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pl_board.h"
#include "pl_child.h"
#include "pl_narrate.h"
#include "pl_text.h"

#define LINE_MAX_BYTES 4096
#define MAX_FIELDS 32

#define C_BOLD "\033[1m"
#define C_GREEN "\033[32m"
#define C_RED "\033[31m"
#define C_CYAN "\033[36m"
#define C_RESET "\033[0m"

static struct pl_narrate_config config = { .speed = 1.0 };
static struct timespec started;
static pid_t stepping_pid;       /* the only process that waits at --step */
static int step_number;
static int checks_made, checks_failed;
static bool write_failed;

void
pl_narrate_configure(const struct pl_narrate_config *c)
{
	config = *c;
	if (!(config.speed > 0))
		config.speed = 1.0;
	clock_gettime(CLOCK_MONOTONIC, &started);
	stepping_pid = getpid();
	step_number = checks_made = checks_failed = 0;
	write_failed = false;
}

const struct pl_narrate_config *
pl_narrate_get_config(void)
{
	return &config;
}

double
pl_narrate_elapsed(void)
{
	struct timespec now;

	if (started.tv_sec == 0 && started.tv_nsec == 0)
		clock_gettime(CLOCK_MONOTONIC, &started);
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - started.tv_sec) +
	       (double)(now.tv_nsec - started.tv_nsec) / 1e9;
}

/* The text of a step, note or check, cleaned: a demo's notes quote what
 * /proc and other processes said (a command name, a path, a peer's
 * message), and an escape sequence among them would drive the terminal.
 * UTF-8 stays, whatever the locale: the demos' own text uses it ("µs"). */
static void format_text(char *text, size_t size, const char *fmt, va_list ap) PL_PRINTF(3, 0);

static void
format_text(char *text, size_t size, const char *fmt, va_list ap)
{
	char raw[LINE_MAX_BYTES / 2];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	pl_text_clean(text, size, raw, true);
}

/* One line, one write(2): lines from different processes never mix. */
static void
emit(int fd, const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, line, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (fd == STDOUT_FILENO)
				write_failed = true;
			return;
		}
		line += n;
		len -= (size_t)n;
	}
}

static const char *
color(const char *code)
{
	return config.color ? code : "";
}

/* A JSON event with "role" first, then the caller's own fields. */
static void
emit_json(const char *event, const char *text, const struct pl_field *extra_first,
          size_t nfirst, const struct pl_field *fields)
{
	struct pl_field all[MAX_FIELDS + 1];
	char line[LINE_MAX_BYTES];
	size_t n = 0;
	int len;

	all[n++] = PL_STR("role", pl_role());
	for (size_t i = 0; i < nfirst && n < MAX_FIELDS; i++)
		all[n++] = extra_first[i];
	for (const struct pl_field *f = fields; f != NULL && f->key != NULL && n < MAX_FIELDS; f++)
		all[n++] = *f;
	all[n] = PL_END;

	len = pl_json_format_event(line, sizeof(line), pl_narrate_elapsed(), getpid(), event,
	                           text, all);
	if (len == -1) {
		/* Too long: say so rather than write half an object. */
		len = pl_json_format_event(line, sizeof(line), pl_narrate_elapsed(), getpid(),
		                           event, "(event too long to encode)", NULL);
	}
	if (len > 0)
		emit(STDOUT_FILENO, line, (size_t)len);
}

/* Prose: a child's lines carry its role and PID, so a class can tell who
 * said what when the lines interleave. */
static void
emit_prose(const char *mark, const char *text)
{
	char line[LINE_MAX_BYTES];
	int len;

	if (pl_is_child())
		len = snprintf(line, sizeof(line), "   %s%s[%s %ld]%s %s\n", mark, color(C_CYAN),
		               pl_role(), (long)getpid(), color(C_RESET), text);
	else
		len = snprintf(line, sizeof(line), "   %s%s\n", mark, text);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	emit(STDOUT_FILENO, line, (size_t)len);
}

void
pl_step(const char *id, const struct pl_field *fields, const char *fmt, ...)
{
	char text[LINE_MAX_BYTES / 2], line[LINE_MAX_BYTES];
	va_list ap;
	int len;

	va_start(ap, fmt);
	format_text(text, sizeof(text), fmt, ap);
	va_end(ap);
	step_number++;
	/* Under the dashboard: its narration pane (pl_board.h). */
	if (pl_board_current() != NULL) {
		snprintf(line, sizeof(line), "Step %d: %s", step_number, text);
		pl_board_narrate('s', pl_narrate_elapsed(), line);
	}

	if (config.json) {
		struct pl_field first[] = { PL_INT("step", step_number), PL_STR("id", id) };
		emit_json("step", text, first, 2, fields);
	} else if (!config.quiet) {
		len = snprintf(line, sizeof(line), "\n%sStep %d: %s%s\n", color(C_BOLD),
		               step_number, text, color(C_RESET));
		if (len > 0)
			emit(STDOUT_FILENO, line,
			     (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
	}
	pl_checkpoint();
}

void
pl_note(const char *event, const struct pl_field *fields, const char *fmt, ...)
{
	char text[LINE_MAX_BYTES / 2];
	va_list ap;

	va_start(ap, fmt);
	format_text(text, sizeof(text), fmt, ap);
	va_end(ap);
	pl_board_narrate('n', pl_narrate_elapsed(), text); /* no-op without a board */

	if (config.json)
		emit_json(event, text, NULL, 0, fields);
	else if (!config.quiet)
		emit_prose("", text);
}

bool
pl_check(const char *id, bool ok, const struct pl_field *fields, const char *fmt, ...)
{
	char text[LINE_MAX_BYTES / 2], mark[32];
	va_list ap;

	va_start(ap, fmt);
	format_text(text, sizeof(text), fmt, ap);
	va_end(ap);
	checks_made++;
	if (!ok)
		checks_failed++;
	if (pl_board_current() != NULL) {
		char line[LINE_MAX_BYTES];
		snprintf(line, sizeof(line), "%s %s", ok ? "[ok]" : "[FAIL]", text);
		pl_board_narrate('c', pl_narrate_elapsed(), line);
	}

	if (config.json) {
		struct pl_field first[] = { PL_STR("check", id), PL_BOOL("ok", ok) };
		emit_json("check", text, first, 2, fields);
	} else if (!config.quiet || !ok) {
		snprintf(mark, sizeof(mark), "%s%s%s ", color(ok ? C_GREEN : C_RED),
		         ok ? "[ok]" : "[FAIL]", color(C_RESET));
		emit_prose(mark, text);
	}
	return ok;
}

void
pl_narrate_error(const char *program, const char *message)
{
	char line[LINE_MAX_BYTES], text[LINE_MAX_BYTES / 2];
	int len;

	pl_text_clean(text, sizeof(text), message, true);
	len = snprintf(line, sizeof(line), "%s: %s\n", program, text);
	if (len > 0)
		emit(STDERR_FILENO, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
	if (config.json)
		emit_json("error", text, NULL, 0, NULL);
}

int
pl_checks_made(void)
{
	return checks_made;
}

int
pl_checks_failed(void)
{
	return checks_failed;
}

bool
pl_narrate_write_failed(void)
{
	return write_failed;
}

int
pl_pause(double seconds)
{
	double scaled = seconds / config.speed;
	struct timespec left;

	if (!(scaled > 0))
		return 0;
	left.tv_sec = (time_t)scaled;
	left.tv_nsec = (long)((scaled - (double)left.tv_sec) * 1e9);
	while (nanosleep(&left, &left) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

void
pl_checkpoint(void)
{
	static int tty = -2;   /* -2: not opened yet; -1: there is none */
	static const char prompt[] = "   -- Enter: next step, Ctrl-C: stop --";
	char c;
	ssize_t n;

	if (!config.step || pl_is_child() || getpid() != stepping_pid)
		return;
	/* Under the dashboard, its space bar lets the step go on: the terminal
	 * belongs to the dashboard's screen. */
	if (pl_board_checkpoint() == 0)
		return;
	if (tty == -2) {
		tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty == -1) {
			static const char msg[] = "--step: no terminal to read Enter from; not pausing\n";
			emit(STDERR_FILENO, msg, sizeof(msg) - 1);
		}
	}
	if (tty == -1)
		return;
	emit(tty, prompt, sizeof(prompt) - 1);
	do {
		n = read(tty, &c, 1);
	} while ((n == 1 && c != '\n') || (n == -1 && errno == EINTR));
	/* Enter moved the cursor down: go up and wipe the prompt, so the
	 * narration reads cleanly. Only where escapes are welcome. */
	if (config.color)
		emit(tty, "\033[1A\r\033[K", 8);
}
