/* pl_demo.h - for a demo's main() only.
 *
 * These functions print and exit, which the rest of the library never does.
 *
 *     static const struct pl_demo demo = {
 *         .name = "fork", .summary = "...", .lesson = "01-fork.md",
 *         .options = options, .noptions = PL_COUNT(options),
 *     };
 *     int main(int argc, char *argv[]) {
 *         pl_demo_init(argc, argv, &demo);
 *         ... steps ...
 *         return pl_demo_finish();
 *     }
 */
#ifndef PL_DEMO_H
#define PL_DEMO_H

#include <stddef.h>
#include <stdnoreturn.h>
#include "pl_narrate.h"
#include "pl_opts.h"

#define PL_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Marks a function whose POINT is a data race or a deliberate deadlock.
 * CI builds the thread demos with -fsanitize=thread; ThreadSanitizer skips
 * only the functions marked so, and checks the fixes like any other code. */
#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define PL_RACY __attribute__((no_sanitize("thread")))
#endif
#endif
#ifndef PL_RACY
#define PL_RACY
#endif

struct pl_demo {
	const char *name;          /* "fork": the program is proclab-fork */
	const char *summary;       /* one line: what it shows */
	const char *description;   /* a paragraph for --help, or NULL */
	const char *lesson;        /* file name under lessons/ */
	const char *operands;      /* e.g. "[--] COMMAND [ARG...]", or NULL for none;
	                            * when it starts with '[' they are optional */
	const struct pl_option *options;
	size_t noptions;
};

/* Parse the command line, print --help or --version and exit 0, or print
 * an error, "Try '... --help'", and exit 2. Then set up narration and the
 * cleanup handlers. Returns the index in ARGV of the first operand. */
int pl_demo_init(int argc, char *argv[], const struct pl_demo *demo);

/* The common options as parsed. */
const struct pl_common_opts *pl_demo_common(void);

/* Kill and reap any children still tracked, print the summary of checks,
 * and return the exit status: 0 if every check held, 1 if not. */
int pl_demo_finish(void);

/* "proclab-fork: WHAT: strerror(errno)" and exit 1 (_exit in a child). */
noreturn void pl_die(const char *fmt, ...) PL_PRINTF(1, 2);
/* The same with an explicit error number, for pthread-style returns. */
noreturn void pl_die_en(int errnum, const char *fmt, ...) PL_PRINTF(2, 3);
/* A usage error: the message, "Try 'proclab-fork --help'", and exit 2. */
noreturn void pl_die_usage(const char *fmt, ...) PL_PRINTF(1, 2);

#endif /* PL_DEMO_H */
