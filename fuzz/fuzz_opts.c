/* fuzz_opts.c - pl_opts_parse(), the command line of every demo.
 *
 * The input is split on NUL bytes into argv[1..], after a fixed argv[0].
 * Its first byte, when there is one, chooses whether operands are allowed
 * (as for proclab-exec) and is not part of argv.
 *
 * pl_opts_parse() never prints and never exits: pl_demo_init() does that
 * with what it returns. So the harness calls the parser itself, and
 * nothing can end the fuzzer but a real crash or a broken promise. The
 * option table has one option of each type, with the ranges the demos
 * use, including a negative one and a one-value one.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include "fuzz.h"
#include "pl_opts.h"

#define MAX_ARGS 64

static bool flag;
static long count, offset, only;
static double seconds, ratio;
static const char *name;

static const struct pl_option options[] = {
	{ "flag", 'f', PL_OPT_FLAG, NULL, "a flag", 0, 0, &flag },
	{ "count", 'n', PL_OPT_INT, "N", "a count", 1, 512, &count },
	{ "offset", 'o', PL_OPT_INT, "N", "may be negative", -1000000, 1000000, &offset },
	{ "only", 0, PL_OPT_INT, "N", "one value", 7, 7, &only },
	{ "seconds", 's', PL_OPT_DOUBLE, "S", "a duration", 0.001, 3600, &seconds },
	{ "ratio", 0, PL_OPT_DOUBLE, "R", "from zero", 0, 1, &ratio },
	{ "name", 'N', PL_OPT_STRING, "NAME", "a string", 0, 0, &name },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *argv[MAX_ARGS + 1];
	struct pl_opts_result result;
	bool allow_operands;
	int argc = 0, rc;

	if (size == 0)
		return 0;
	allow_operands = data[0] & 1;
	text = fuzz_string(data + 1, size - 1);
	argv[argc++] = "proclab-fuzz";
	/* Every NUL in the input ends one argument and starts the next. */
	for (size_t start = 0; start < size - 1 && argc < MAX_ARGS;) {
		argv[argc++] = text + start;
		start += strlen(text + start) + 1;
	}
	argv[argc] = NULL;

	flag = false;
	count = offset = only = -42;
	seconds = ratio = -42;
	name = NULL;
	errno = 0;
	rc = pl_opts_parse(argc, argv, options, NOPTIONS, allow_operands, &result);

	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == -1) {
		/* One line for the user: not empty, no newline, terminated. */
		FUZZ_ASSERT(errno == EINVAL);
		FUZZ_ASSERT(memchr(result.error, '\0', sizeof(result.error)) != NULL);
		FUZZ_ASSERT(result.error[0] != '\0');
		for (const char *c = result.error; *c != '\0'; c++)
			FUZZ_ASSERT((unsigned char)*c >= ' ' && *c != 0x7f);
	} else {
		const struct pl_common_opts *c = &result.common;

		FUZZ_ASSERT(result.error[0] == '\0');
		FUZZ_ASSERT(result.first_operand >= 1 && result.first_operand <= argc);
		if (!allow_operands && !c->help && !c->version)
			FUZZ_ASSERT(result.first_operand == argc);
		FUZZ_ASSERT(c->speed >= PL_SPEED_MIN && c->speed <= PL_SPEED_MAX);
		/* A value is stored only when it is valid; -42 is "not given". */
		FUZZ_ASSERT(count == -42 || (count >= 1 && count <= 512));
		FUZZ_ASSERT(offset == -42 || (offset >= -1000000 && offset <= 1000000));
		FUZZ_ASSERT(only == -42 || only == 7);
		FUZZ_ASSERT(seconds == -42 ||
		            (isfinite(seconds) && seconds >= 0.001 && seconds <= 3600));
		FUZZ_ASSERT(ratio == -42 || (isfinite(ratio) && ratio >= 0 && ratio <= 1));
		FUZZ_ASSERT(name == NULL || name[0] != '\0');
	}
	free(text);
	return 0;
}
