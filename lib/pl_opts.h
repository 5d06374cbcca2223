/* pl_opts.h - the command line every proclab demo shares.
 *
 * Each demo accepts the common options
 *
 *     -h, --help   -V, --version   -q, --quiet   --json   --step
 *     --speed FACTOR   --no-color
 *
 * and may add its own from a table of struct pl_option. Long options take
 * their value as "--name VALUE" or "--name=VALUE", short ones as "-n VALUE"
 * or "-nVALUE". Option parsing stops at "--" or at the first operand, as
 * POSIX getopt does, so `proclab-exec -- ls -l` passes "-l" to ls.
 *
 * pl_opts_parse() neither prints nor exits: it fills a struct pl_opts_result
 * and writes any error as one line into a buffer. pl_demo_init() (pl_demo.h)
 * turns that into --help text, an error and exit status 2.
 */
#ifndef PL_OPTS_H
#define PL_OPTS_H

#include <stdbool.h>
#include <stddef.h>

enum pl_option_type {
	PL_OPT_FLAG,   /* no value; sets a bool */
	PL_OPT_INT,    /* a long in [min, max] */
	PL_OPT_DOUBLE, /* a finite double in [min, max] */
	PL_OPT_STRING  /* any non-empty string; stores the pointer */
};

/* One demo-specific option. VALUE points at a bool, long, double or
 * const char * according to TYPE. */
struct pl_option {
	const char *name;        /* long name without dashes, e.g. "children" */
	int short_name;          /* e.g. 'n', or 0 for none */
	enum pl_option_type type;
	const char *arg_name;    /* shown in --help, e.g. "N" */
	const char *help;        /* one line for --help */
	double min, max;         /* range for PL_OPT_INT and PL_OPT_DOUBLE */
	void *value;
};

/* The settings every demo shares. */
struct pl_common_opts {
	bool help;
	bool version;
	bool quiet;
	bool json;
	bool step;
	bool no_color;
	double speed;            /* pauses are divided by this; default 1 */
};

#define PL_SPEED_MIN 0.01
#define PL_SPEED_MAX 1000.0

struct pl_opts_result {
	struct pl_common_opts common;
	int first_operand;       /* index in argv of the first operand, or argc */
	char error[256];         /* one line, no newline, when parsing failed */
};

/* Parse ARGV against the common options and the NOPTIONS options in
 * OPTIONS. ALLOW_OPERANDS says whether anything may follow the options.
 * Returns 0, or -1 with errno EINVAL and RESULT->error filled in. */
int pl_opts_parse(int argc, char *const argv[], const struct pl_option *options,
                  size_t noptions, bool allow_operands,
                  struct pl_opts_result *result);

/* Make TEXT, a message that quotes the command line, safe to print as one
 * line: every control character in it (a newline, ESC...) becomes '?'.
 * pl_opts_parse() does it to its own errors. */
void pl_opts_printable(char *text);

/* A bad command line: print "PROGRAM: MESSAGE" as one printable line and
 * the hint "Try 'PROGRAM --help' for more information." on stderr, and
 * exit with status 2. For the programs that parse their own options (the
 * dashboard, the judge, the exporter), as pl_opts_parse() does for the
 * demos. */
_Noreturn void pl_opts_die_usage(const char *program, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* PL_OPTS_H */
