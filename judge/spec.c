/* spec.c - read a judge spec (see spec.h and docs/judge-spec.md).
 *
 * libinih splits the file into sections and "key = value" pairs and drops
 * comments. It reads through our own line reader, which counts lines (so
 * each error can name its line), strips indentation (inih would take an
 * indented line for the continuation of the last value) and notices each
 * section header itself: a section with no keys, such as [check orphans],
 * never reaches inih's handler. Every key is then looked up in one table
 * that says where it may appear, what it holds and its range.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_parse.h"
#include "spec.h"

#define SPEC_MAX_BYTES (1 << 20)
#define SPEC_MAX_CHECKS 256

enum section { SEC_NONE, SEC_LAB, SEC_LIMITS, SEC_CHECK };

enum type {
	T_STRING, /* any text: a name, a command line */
	T_PATH,   /* a file in the lab's folder: no "..", not absolute */
	T_LONG,
	T_SECONDS,
	T_SIZE, /* bytes, with K, M or G */
	T_BOOL,
	T_SIGNAL, /* SIGSEGV, SEGV, 11, or none */
	T_FDS     /* "0 1 2" */
};

/* Where a key may appear: in [lab], in [limits], or in the checks whose
 * kinds are in KINDS (a bit for each enum judge_kind). */
#define ALL_CHECKS ((1u << JUDGE_NKINDS) - 1)
#define K(kind) (1u << (kind))

struct key {
	const char *name;
	enum section section;
	unsigned kinds;
	enum type type;
	size_t offset, size; /* in struct judge_spec, judge_limits or judge_check */
	double min, max;
};

#define LAB(f) offsetof(struct judge_spec, f), sizeof(((struct judge_spec *)0)->f)
#define LIM(f) offsetof(struct judge_limits, f), sizeof(((struct judge_limits *)0)->f)
#define CHK(f) offsetof(struct judge_check, f), sizeof(((struct judge_check *)0)->f)

static const struct key keys[] = {
	{ "name", SEC_LAB, 0, T_STRING, LAB(name), 1, 0 },
	{ "lesson", SEC_LAB, 0, T_STRING, LAB(lesson), 1, 0 },
	{ "build", SEC_LAB, 0, T_STRING, LAB(build), 1, 0 },
	{ "build_timeout", SEC_LAB, 0, T_SECONDS, LAB(build_timeout), 1, 3600 },
	{ "run", SEC_LAB, 0, T_STRING, LAB(run), 1, 0 },
	{ "stdin", SEC_LAB, 0, T_PATH, LAB(stdin_file), 1, 0 },
	{ "runs", SEC_LAB, 0, T_LONG, LAB(runs), 1, 1000 },
	{ "pin", SEC_LAB, 0, T_LONG, LAB(pin), 0, 1000 },

	{ "wall", SEC_LIMITS, 0, T_SECONDS, LIM(wall), 0.1, 3600 },
	{ "cpu", SEC_LIMITS, 0, T_SECONDS, LIM(cpu), 1, 36000 },
	{ "processes", SEC_LIMITS, 0, T_LONG, LIM(processes), 1, 100000 },
	{ "files", SEC_LIMITS, 0, T_LONG, LIM(files), 16, 65536 },
	{ "memory", SEC_LIMITS, 0, T_SIZE, LIM(memory), 1 << 20, 64.0 * (1 << 30) },
	{ "output", SEC_LIMITS, 0, T_SIZE, LIM(output), 1 << 10, 1 << 30 },

	{ "points", SEC_CHECK, ALL_CHECKS, T_SECONDS, CHK(points), 0, 1000 },
	{ "status", SEC_CHECK, K(JUDGE_EXIT), T_LONG, CHK(status), 0, 255 },
	{ "signal", SEC_CHECK, K(JUDGE_EXIT), T_SIGNAL, CHK(signal), 0, 0 },
	{ "match", SEC_CHECK, K(JUDGE_STDOUT) | K(JUDGE_STDERR), T_STRING, CHK(match), 1, 0 },
	{ "file", SEC_CHECK, K(JUDGE_STDOUT) | K(JUDGE_STDERR), T_PATH, CHK(file), 1, 0 },
	{ "also", SEC_CHECK, K(JUDGE_STDOUT) | K(JUDGE_STDERR), T_PATH, CHK(also[0]), 1, 0 },
	{ "also2", SEC_CHECK, K(JUDGE_STDOUT) | K(JUDGE_STDERR), T_PATH, CHK(also[1]), 1, 0 },
	{ "also3", SEC_CHECK, K(JUDGE_STDOUT) | K(JUDGE_STDERR), T_PATH, CHK(also[2]), 1, 0 },
	{ "any_order", SEC_CHECK, K(JUDGE_STDOUT) | K(JUDGE_STDERR), T_BOOL, CHK(any_order), 0, 0 },
	{ "mask", SEC_CHECK, K(JUDGE_STDOUT) | K(JUDGE_STDERR), T_BOOL, CHK(mask), 0, 0 },
	{ "max_ms", SEC_CHECK, K(JUDGE_ZOMBIES), T_LONG, CHK(max_ms), 0, 600000 },
	{ "shm", SEC_CHECK, K(JUDGE_LEAKS), T_BOOL, CHK(shm), 0, 0 },
	{ "mqueue", SEC_CHECK, K(JUDGE_LEAKS), T_BOOL, CHK(mqueue), 0, 0 },
	{ "sysv", SEC_CHECK, K(JUDGE_LEAKS), T_BOOL, CHK(sysv), 0, 0 },
	{ "tmp", SEC_CHECK, K(JUDGE_LEAKS), T_BOOL, CHK(tmp), 0, 0 },
	{ "allow", SEC_CHECK, K(JUDGE_FDS), T_FDS, CHK(allow), 0, 1023 },
	{ "after", SEC_CHECK, K(JUDGE_STUCK), T_SECONDS, CHK(after), 0.1, 3600 },
	{ "fail_max", SEC_CHECK, K(JUDGE_RACES), T_LONG, CHK(fail_max), 0, 1000 },
	{ "workers", SEC_CHECK, K(JUDGE_PARALLEL), T_LONG, CHK(workers), 1, 1024 },
	{ "min_runnable", SEC_CHECK, K(JUDGE_PARALLEL), T_SECONDS, CHK(min_runnable), 0.1, 1024 },
	{ "min_speedup", SEC_CHECK, K(JUDGE_PARALLEL), T_SECONDS, CHK(min_speedup), 1, 1024 },
	{ "one", SEC_CHECK, K(JUDGE_PARALLEL), T_STRING, CHK(one), 1, 0 },
	{ "max_other_load", SEC_CHECK, K(JUDGE_PARALLEL), T_SECONDS, CHK(max_other_load), 0, 1024 },
	{ "pairs", SEC_CHECK, K(JUDGE_PARALLEL), T_LONG, CHK(pairs), 1, 100 },
	{ "tries", SEC_CHECK, K(JUDGE_PARALLEL), T_LONG, CHK(tries), 1, 100 },
	{ "max_processes", SEC_CHECK, K(JUDGE_SHAPE), T_LONG, CHK(max_processes), 1, 100000 },
	{ "max_threads", SEC_CHECK, K(JUDGE_SHAPE), T_LONG, CHK(max_threads), 1, 100000 },
	{ "max_depth", SEC_CHECK, K(JUDGE_SHAPE), T_LONG, CHK(max_depth), 1, 1000 },
	{ "min_processes", SEC_CHECK, K(JUDGE_SHAPE), T_LONG, CHK(min_processes), 1, 100000 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const kind_names[JUDGE_NKINDS] = {
	[JUDGE_EXIT] = "exit",         [JUDGE_STDOUT] = "stdout",   [JUDGE_STDERR] = "stderr",
	[JUDGE_ZOMBIES] = "zombies",   [JUDGE_ORPHANS] = "orphans", [JUDGE_LEAKS] = "leaks",
	[JUDGE_FDS] = "fds",           [JUDGE_STUCK] = "stuck",     [JUDGE_BUSY] = "busy",
	[JUDGE_RACES] = "races",       [JUDGE_PARALLEL] = "parallel", [JUDGE_SHAPE] = "shape",
};

const char *
judge_kind_name(enum judge_kind kind)
{
	return kind < JUDGE_NKINDS ? kind_names[kind] : "?";
}

/* The reading of one file. */
struct reading {
	const char *text, *end; /* what is left to read */
	const char *name;       /* the file, for messages */
	int line;               /* of the line inih has now */
	struct judge_spec *spec;
	enum section section;
	int section_line;
	unsigned long long seen; /* keys given in this section, a bit each */
	unsigned section_seen;   /* [lab] and [limits] given already */
	char *err;
	size_t errsize;
	bool failed;
};

static void fail(struct reading *r, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Keep the first error only: it is the one the instructor should fix. */
static void
fail(struct reading *r, const char *key, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key != NULL)
		snprintf(r->err, r->errsize, "%s:%d: key '%s': %s", r->name, r->line, key, what);
	else
		snprintf(r->err, r->errsize, "%s:%d: %s", r->name, r->line, what);
}

/* "check stdout \"two lines\"" -> a new check of kind stdout, label "two
 * lines". Called by the reader on each section header, with its
 * brackets and blanks removed. */
static void
begin_section(struct reading *r, char *head)
{
	struct judge_spec *s = r->spec;
	struct judge_check *c;
	char *kind, *label;
	size_t k;

	r->seen = 0;
	r->section_line = r->line;
	if (strcmp(head, "lab") == 0 || strcmp(head, "limits") == 0) {
		unsigned bit = head[1] == 'a' ? 1 : 2;
		if (r->section_seen & bit) {
			fail(r, NULL, "[%s] is given twice", head);
			return;
		}
		r->section_seen |= bit;
		r->section = head[1] == 'a' ? SEC_LAB : SEC_LIMITS;
		return;
	}
	if (strncmp(head, "check", 5) != 0 || (head[5] != ' ' && head[5] != '\t')) {
		fail(r, NULL, "unknown section [%s]: use [lab], [limits] or [check KIND]", head);
		return;
	}
	kind = head + 5;
	kind += strspn(kind, " \t");
	label = kind + strcspn(kind, " \t");
	if (*label != '\0') {
		*label++ = '\0';
		label += strspn(label, " \t");
		size_t n = strlen(label);
		if (n < 2 || label[0] != '"' || label[n - 1] != '"') {
			fail(r, NULL, "a check's label goes in double quotes: [check %s \"label\"]", kind);
			return;
		}
		label[n - 1] = '\0';
		label++;
	}
	for (k = 0; k < JUDGE_NKINDS && strcmp(kind, kind_names[k]) != 0; k++)
		;
	if (k == JUDGE_NKINDS) {
		fail(r, NULL, "unknown check '%s' (one of: exit stdout stderr zombies orphans leaks fds stuck busy races parallel shape)",
		     kind);
		return;
	}
	if (s->nchecks == SPEC_MAX_CHECKS) {
		fail(r, NULL, "more than %d checks", SPEC_MAX_CHECKS);
		return;
	}
	c = realloc(s->checks, (s->nchecks + 1) * sizeof(*c));
	if (c == NULL) {
		fail(r, NULL, "out of memory");
		return;
	}
	s->checks = c;
	c = &s->checks[s->nchecks++];
	memset(c, 0, sizeof(*c));
	c->kind = (enum judge_kind)k;
	c->line = r->line;
	c->points = 1;
	c->mask = true;
	c->shm = c->mqueue = c->sysv = c->tmp = true;
	c->max_ms = 200;
	c->after = 2;
	c->max_other_load = 0.3;
	c->pairs = 3;
	c->tries = 5;
	c->max_processes = c->max_threads = c->max_depth = c->min_processes = -1;
	c->allow[0] = 0, c->allow[1] = 1, c->allow[2] = 2, c->nallow = 3;
	snprintf(c->label, sizeof(c->label), "%s", *label ? label : kind);
	r->section = SEC_CHECK;
}

/* inih asks for one line at a time: give it the next, and look at it. */
static char *
next_line(char *str, int num, void *stream)
{
	struct reading *r = stream;
	const char *nl;
	size_t n;

	if (r->text >= r->end)
		return NULL;
	nl = memchr(r->text, '\n', (size_t)(r->end - r->text));
	n = nl != NULL ? (size_t)(nl - r->text) : (size_t)(r->end - r->text);
	r->line++;
	if (memchr(r->text, '\0', n) != NULL)
		fail(r, NULL, "a NUL byte: this is not a text file");
	if (n + 2 > (size_t)num) {
		fail(r, NULL, "the line is longer than %d characters", num - 2);
		n = (size_t)num - 2;
	}
	/* No indentation: inih would take the line for more of the last
	 * value, and a value is one line. */
	size_t lead = 0;
	while (lead < n && (r->text[lead] == ' ' || r->text[lead] == '\t'))
		lead++;
	memcpy(str, r->text + lead, n - lead);
	str[n - lead] = '\n';
	str[n - lead + 1] = '\0';
	r->text = nl != NULL ? nl + 1 : r->end;

	if (str[0] == '[') {
		char head[256], *close = strchr(str, ']');
		size_t len;

		if (close == NULL) {
			fail(r, NULL, "a section header without ']'");
			return str;
		}
		len = (size_t)(close - str - 1);
		if (len >= sizeof(head))
			len = sizeof(head) - 1;
		memcpy(head, str + 1, len);
		head[len] = '\0';
		while (len > 0 && (head[len - 1] == ' ' || head[len - 1] == '\t'))
			head[--len] = '\0';
		char *start = head + strspn(head, " \t");
		begin_section(r, start);
	} else if (str[0] != '#' && str[0] != ';') {
		/* A comment after a value, "wall = 10   # seconds": inih
		 * knows only ';' there, and would keep the rest as the value. */
		for (char *hash = strchr(str, '#'); hash != NULL; hash = strchr(hash + 1, '#'))
			if (hash[-1] == ' ' || hash[-1] == '\t') {
				hash[0] = '\n';
				hash[1] = '\0';
				break;
			}
	}
	return str;
}

static int
parse_seconds(const char *v, double min, double max, double *out)
{
	return pl_parse_double(v, min, max, out);
}

static int
parse_size(const char *v, double min, double max, unsigned long long *out)
{
	char digits[32];
	size_t n = strlen(v);
	double mult = 1;
	long whole;

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, v, n + 1);
	switch (digits[n - 1]) {
	case 'K': case 'k': mult = 1024.0; break;
	case 'M': case 'm': mult = 1024.0 * 1024; break;
	case 'G': case 'g': mult = 1024.0 * 1024 * 1024; break;
	default: break;
	}
	if (mult > 1)
		digits[n - 1] = '\0';
	if (pl_parse_long(digits, 0, 1L << 40, &whole) == -1)
		return -1;
	if (whole * mult < min || whole * mult > max)
		return -1;
	*out = (unsigned long long)(whole * mult);
	return 0;
}

static int
parse_signal(const char *v, int *out)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "ILL", SIGILL },
		     { "ABRT", SIGABRT }, { "FPE", SIGFPE },   { "KILL", SIGKILL }, { "SEGV", SIGSEGV },
		     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "BUS", SIGBUS },
		     { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ } };
	long n;

	if (strcmp(v, "none") == 0) {
		*out = 0;
		return 0;
	}
	if (pl_parse_long(v, 1, 64, &n) == 0) {
		*out = (int)n;
		return 0;
	}
	if (strncmp(v, "SIG", 3) == 0)
		v += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(v, sigs[i].name) == 0) {
			*out = sigs[i].sig;
			return 0;
		}
	return -1;
}

static int
parse_fds(const char *v, int *fds, size_t *n, double max)
{
	char copy[JUDGE_TEXT], *save = NULL, *word;
	long fd;

	snprintf(copy, sizeof(copy), "%s", v);
	*n = 0;
	for (word = strtok_r(copy, " \t,", &save); word != NULL; word = strtok_r(NULL, " \t,", &save)) {
		if (*n == JUDGE_MAX_FDS || pl_parse_long(word, 0, (long)max, &fd) == -1)
			return -1;
		fds[(*n)++] = (int)fd;
	}
	return 0;
}

static bool
fits(const char *value, size_t size)
{
	return strlen(value) < size;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct reading *r = user;
	const struct key *k = NULL;
	struct judge_check *c = NULL;
	char *base;
	size_t i;

	(void)section; /* we know it: the reader saw the header */
	if (r->failed)
		return 0;
	if (r->section == SEC_NONE) {
		fail(r, name, "before any section: start with [lab]");
		return 0;
	}
	if (r->section == SEC_CHECK)
		c = &r->spec->checks[r->spec->nchecks - 1];
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, name) != 0 || keys[i].section != r->section)
			continue;
		if (c != NULL && !(keys[i].kinds & K(c->kind)))
			continue;
		k = &keys[i];
		break;
	}
	if (k == NULL) {
		if (c != NULL)
			fail(r, name, "not a key of [check %s] (see docs/judge-spec.md)",
			     judge_kind_name(c->kind));
		else
			fail(r, name, "not a key of [%s] (see docs/judge-spec.md)",
			     r->section == SEC_LAB ? "lab" : "limits");
		return 0;
	}
	if (r->seen & (1ull << i)) {
		fail(r, name, "given twice in this section");
		return 0;
	}
	r->seen |= 1ull << i;
	if (*value == '\0') {
		fail(r, name, "has no value");
		return 0;
	}
	base = r->section == SEC_LAB      ? (char *)r->spec
	       : r->section == SEC_LIMITS ? (char *)&r->spec->limits
	                                  : (char *)c;
	void *field = base + k->offset;
	switch (k->type) {
	case T_STRING:
		if (!fits(value, k->size))
			fail(r, name, "longer than %zu characters", k->size - 1);
		else
			memcpy(field, value, strlen(value) + 1);
		break;
	case T_PATH:
		if (!fits(value, k->size))
			fail(r, name, "longer than %zu characters", k->size - 1);
		else if (value[0] == '/' || strstr(value, "..") != NULL)
			fail(r, name, "'%s': name a file in the lab's folder, without '/' first or '..'",
			     value);
		else
			memcpy(field, value, strlen(value) + 1);
		break;
	case T_LONG: {
		long v;
		if (pl_parse_long(value, (long)k->min, (long)k->max, &v) == -1)
			fail(r, name, "'%s' is not a whole number from %.0f to %.0f", value, k->min,
			     k->max);
		else if (k->size == sizeof(int))
			*(int *)field = (int)v;
		else
			*(long *)field = v;
		if (c != NULL && strcmp(name, "status") == 0)
			c->has_status = true;
		break;
	}
	case T_SECONDS:
		if (parse_seconds(value, k->min, k->max, field) == -1)
			fail(r, name, "'%s' is not a number from %g to %g", value, k->min, k->max);
		break;
	case T_SIZE:
		if (parse_size(value, k->min, k->max, field) == -1)
			fail(r, name, "'%s' is not a size from %.0fK to %.0fM (a number, then K, M or G)",
			     value, k->min / 1024, k->max / (1024 * 1024));
		break;
	case T_BOOL:
		if (strcmp(value, "yes") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "no") == 0)
			*(bool *)field = false;
		else
			fail(r, name, "'%s': say yes or no", value);
		break;
	case T_SIGNAL:
		if (parse_signal(value, field) == -1)
			fail(r, name, "'%s' is not a signal (SIGSEGV, SEGV, 11, or none)", value);
		else
			c->has_signal = true;
		break;
	case T_FDS:
		if (parse_fds(value, c->allow, &c->nallow, k->max) == -1)
			fail(r, name, "'%s' is not a list of at most %d descriptors from 0 to %.0f",
			     value, JUDGE_MAX_FDS, k->max);
		break;
	}
	return !r->failed;
}

/* What no single key can say: a key another needs, two that exclude each
 * other. R->line is set to the section's line for the message. */
static void
check_whole(struct reading *r)
{
	struct judge_spec *s = r->spec;

	if (!(r->section_seen & 1)) {
		r->line = 1;
		fail(r, NULL, "no [lab] section");
		return;
	}
	if (s->run[0] == '\0') {
		r->line = 1;
		fail(r, "run", "[lab] needs a run line: the command to grade");
		return;
	}
	if (s->pin > s->runs) {
		r->line = 1;
		fail(r, "pin", "pins %ld runs of only %ld", s->pin, s->runs);
		return;
	}
	if (s->nchecks == 0) {
		r->line = 1;
		fail(r, NULL, "no [check ...] section: nothing would be graded");
		return;
	}
	for (size_t i = 0; i < s->nchecks && !r->failed; i++) {
		struct judge_check *c = &s->checks[i];

		r->line = c->line;
		s->points += c->points;
		switch (c->kind) {
		case JUDGE_EXIT:
			if (c->has_status == c->has_signal)
				fail(r, NULL, "[check exit] needs one of status or signal");
			break;
		case JUDGE_STDOUT:
		case JUDGE_STDERR:
			if ((c->match[0] != '\0') == (c->file[0] != '\0'))
				fail(r, NULL, "[check %s] needs one of match or file", c->label);
			else if (c->also[0][0] != '\0' && c->file[0] == '\0')
				fail(r, "also", "is another acceptable file: give file first");
			break;
		case JUDGE_PARALLEL:
			if ((c->min_speedup == 0) != (c->one[0] == '\0') ||
			    (c->min_speedup == 0 && c->min_runnable == 0))
				fail(r, NULL, "[check parallel] needs min_runnable, or min_speedup and one (the run line with one worker), or both");
			else if (c->pairs > c->tries)
				fail(r, "pairs", "wants %ld quiet pairs in at most %ld tries", c->pairs,
				     c->tries);
			break;
		default:
			break;
		}
	}
}

int
judge_spec_parse(const char *text, size_t len, const char *name, const char *dir,
                 struct judge_spec *spec, char *err, size_t errsize)
{
	struct reading r = { .text = text, .end = text + len, .name = name, .spec = spec,
		             .err = err, .errsize = errsize };
	const char *slash;

	memset(spec, 0, sizeof(*spec));
	snprintf(spec->path, sizeof(spec->path), "%s", name);
	snprintf(spec->dir, sizeof(spec->dir), "%s", dir);
	/* The lab's name, until [lab] gives one: its folder's. */
	char real[PATH_MAX];
	if (realpath(dir, real) == NULL)
		snprintf(real, sizeof(real), "%s", dir);
	slash = strrchr(real, '/');
	const char *base = slash != NULL && slash[1] ? slash + 1 : real;
	size_t n = strnlen(base, sizeof(spec->name) - 1);
	memcpy(spec->name, base, n);
	spec->name[n] = '\0';
	spec->build_timeout = 60;
	spec->runs = 1;
	spec->limits.wall = 10;
	spec->limits.processes = 256;
	spec->limits.files = 256;
	spec->limits.memory = 1ull << 30;
	spec->limits.output = 1ull << 20;
	err[0] = '\0';

	int rc = ini_parse_stream(next_line, &r, on_key, &r);
	if (rc != 0 && !r.failed) {
		r.line = rc > 0 ? rc : r.line;
		fail(&r, NULL, rc > 0 ? "not a section, a comment or 'key = value'" : "cannot be read");
	}
	if (!r.failed)
		check_whole(&r);
	if (spec->limits.cpu == 0)
		spec->limits.cpu = 2 * spec->limits.wall;
	if (r.failed) {
		judge_spec_free(spec);
		return -1;
	}
	return 0;
}

int
judge_spec_load(const char *path, struct judge_spec *spec, char *err, size_t errsize)
{
	char dir[PATH_MAX], *text, *slash;
	size_t len = 0;
	FILE *f;

	memset(spec, 0, sizeof(*spec));
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((text = malloc(SPEC_MAX_BYTES + 1)) == NULL) {
		fclose(f);
		snprintf(err, errsize, "%s: out of memory", path);
		return -1;
	}
	len = fread(text, 1, SPEC_MAX_BYTES + 1, f);
	if (ferror(f) || len > SPEC_MAX_BYTES) {
		snprintf(err, errsize, "%s: %s", path,
		         ferror(f) ? "cannot be read" : "bigger than 1 MiB: not a spec");
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	int rc = judge_spec_parse(text, len, path, dir, spec, err, errsize);
	free(text);
	return rc;
}

void
judge_spec_free(struct judge_spec *spec)
{
	free(spec->checks);
	spec->checks = NULL;
	spec->nchecks = 0;
}
