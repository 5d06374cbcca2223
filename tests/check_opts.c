/* check_opts.c - the common command line (lib/pl_opts.c). */
#include "config.h"

#include "check_main.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pl_opts.h"

static long children;
static double ratio;
static bool verbose;
static const char *label;

static const struct pl_option options[] = {
	{ "children", 'n', PL_OPT_INT, "N", "children", 1, 64, &children },
	{ "ratio", 0, PL_OPT_DOUBLE, "R", "ratio", 0.5, 2.0, &ratio },
	{ "verbose", 'v', PL_OPT_FLAG, NULL, "more", 0, 0, &verbose },
	{ "label", 'l', PL_OPT_STRING, "TEXT", "label", 0, 0, &label },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static struct pl_opts_result result;

static void
setup(void)
{
	children = 3;
	ratio = 1.0;
	verbose = false;
	label = NULL;
	memset(&result, 0xff, sizeof(result)); /* parse must reset everything */
}

/* Parse the arguments after a program name, up to a NULL. */
static int
parse_args(bool allow_operands, ...)
{
	static char *argv[16];
	int argc = 0;
	char *arg;
	va_list ap;

	argv[argc++] = "prog";
	va_start(ap, allow_operands);
	while ((arg = va_arg(ap, char *)) != NULL && argc < 15)
		argv[argc++] = arg;
	va_end(ap);
	argv[argc] = NULL;
	return pl_opts_parse(argc, argv, options, NOPTIONS, allow_operands, &result);
}
#define PARSE(allow, ...) parse_args((allow), __VA_ARGS__, (char *)NULL)

START_TEST(test_opts_defaults)
{
	char *argv[] = { "prog", NULL };

	ck_assert_int_eq(pl_opts_parse(1, argv, options, NOPTIONS, false, &result), 0);
	ck_assert(!result.common.json && !result.common.quiet && !result.common.step);
	ck_assert(!result.common.help && !result.common.version && !result.common.no_color);
	ck_assert_double_eq(result.common.speed, 1.0);
	ck_assert_int_eq(result.first_operand, 1);
	ck_assert_int_eq(children, 3);
}
END_TEST

START_TEST(test_opts_common_flags)
{
	ck_assert_int_eq(PARSE(false, "--json", "--quiet", "--step", "--no-color", "--speed", "4"), 0);
	ck_assert(result.common.json && result.common.quiet && result.common.step);
	ck_assert(result.common.no_color);
	ck_assert_double_eq(result.common.speed, 4.0);
	ck_assert_int_eq(PARSE(false, "-qV", "--speed=0.5"), 0);
	ck_assert(result.common.quiet && result.common.version);
	ck_assert_double_eq(result.common.speed, 0.5);
	ck_assert_int_eq(PARSE(false, "-h"), 0);
	ck_assert(result.common.help);
}
END_TEST

START_TEST(test_opts_demo_values_in_every_spelling)
{
	ck_assert_int_eq(PARSE(false, "--children", "5"), 0);
	ck_assert_int_eq(children, 5);
	ck_assert_int_eq(PARSE(false, "--children=6"), 0);
	ck_assert_int_eq(children, 6);
	ck_assert_int_eq(PARSE(false, "-n", "7"), 0);
	ck_assert_int_eq(children, 7);
	ck_assert_int_eq(PARSE(false, "-n8", "-v", "--ratio", "1.5", "-l", "hi"), 0);
	ck_assert_int_eq(children, 8);
	ck_assert(verbose);
	ck_assert_double_eq(ratio, 1.5);
	ck_assert_str_eq(label, "hi");
}
END_TEST

/* Each bad command line fails with EINVAL and an error that names it. */
START_TEST(test_opts_errors_are_one_clear_line)
{
	static const struct {
		const char *args[3];
		const char *expect;
	} cases[] = {
		{ { "--children", "0" }, "--children: '0' is out of range (1 to 64)" },
		{ { "--children", "65" }, "--children: '65' is out of range (1 to 64)" },
		{ { "--children", "abc" }, "--children: 'abc' is not a whole number" },
		{ { "--children", "3x" }, "--children: '3x' is not a whole number" },
		{ { "-n", "99999999999999999999" }, "-n: '99999999999999999999' is out of range" },
		{ { "--children" }, "--children needs a value" },
		{ { "--ratio", "nan" }, "--ratio: 'nan' is not a number" },
		{ { "--speed", "0" }, "--speed: '0' is out of range" },
		{ { "--speed", "-1" }, "--speed: '-1' is out of range" },
		{ { "--speed", "fast" }, "--speed: 'fast' is not a number" },
		{ { "--json=yes" }, "--json takes no value" },
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "-z" }, "unknown option '-z'" },
		{ { "--label=" }, "--label: the value is empty" },
		{ { "stray" }, "unexpected argument 'stray'" },
		/* Found by fuzz/fuzz_opts: control characters were quoted as
		 * typed, so a newline made two lines, and ESC reached the
		 * terminal. They are shown as '?'. */
		{ { "--children", "1\n2" }, "--children: '1?2' is not a whole number" },
		{ { "--\033[2J" }, "unknown option '--?[2J'" },
		{ { "-\t" }, "unknown option '-?'" },
		{ { "--ratio", "0.5\177" }, "--ratio: '0.5?' is not a number" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[5] = { "prog" };
		int argc = 1;

		for (int j = 0; j < 3 && cases[i].args[j]; j++)
			argv[argc++] = (char *)cases[i].args[j];
		errno = 0;
		ck_assert_int_eq(pl_opts_parse(argc, argv, options, NOPTIONS, false, &result), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_msg(strncmp(result.error, cases[i].expect, strlen(cases[i].expect)) == 0,
		              "case %zu: got '%s', want '%s'", i, result.error, cases[i].expect);
		ck_assert_ptr_null(strchr(result.error, '\n'));
	}
}
END_TEST

START_TEST(test_opts_operands_stop_option_parsing)
{
	char *argv[] = { "prog", "--json", "--", "ls", "-l", NULL };
	char *argv2[] = { "prog", "ls", "--json", NULL };

	ck_assert_int_eq(pl_opts_parse(5, argv, options, NOPTIONS, true, &result), 0);
	ck_assert(result.common.json);
	ck_assert_int_eq(result.first_operand, 3);

	/* The first operand ends the options, as POSIX getopt does. */
	ck_assert_int_eq(pl_opts_parse(3, argv2, options, NOPTIONS, true, &result), 0);
	ck_assert(!result.common.json);
	ck_assert_int_eq(result.first_operand, 1);
}
END_TEST

START_TEST(test_opts_parse_is_repeatable)
{
	/* No hidden state: a failed parse does not disturb the next one. */
	ck_assert_int_eq(PARSE(false, "--bogus"), -1);
	ck_assert_int_eq(PARSE(false, "--children", "2"), 0);
	ck_assert_int_eq(children, 2);
	ck_assert_str_eq(result.error, "");
}
END_TEST

static Suite *
opts_suite(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_opts_defaults);
	tcase_add_test(tc, test_opts_common_flags);
	tcase_add_test(tc, test_opts_demo_values_in_every_spelling);
	tcase_add_test(tc, test_opts_errors_are_one_clear_line);
	tcase_add_test(tc, test_opts_operands_stop_option_parsing);
	tcase_add_test(tc, test_opts_parse_is_repeatable);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(opts_suite)
