/* check_spec.c - the judge's spec reader (judge/spec.c): what it takes,
 * its defaults, and that each error names its line and key. */
#include "config.h"

#include "check_main.h"
#include <string.h>

#include "spec.h"

static struct judge_spec spec;
static char err[512];

/* Parse TEXT; returns what judge_spec_parse returns. */
static int
parse(const char *text)
{
	return judge_spec_parse(text, strlen(text), "t.spec", "/labs/07-x", &spec, err,
	                        sizeof(err));
}

START_TEST(test_spec_a_whole_lab)
{
	ck_assert_int_eq(parse("# a comment\n"
	                       "[lab]\n"
	                       "name  = Lab 7\n"
	                       "build = cc -o x x.c\n"
	                       "run   = ./x 8\n"
	                       "runs  = 4\n"
	                       "pin   = 2\n"
	                       "\n"
	                       "[limits]\n"
	                       "  wall = 2.5   ; indented, a comment after\n"
	                       "memory = 64M\n"
	                       "[check exit]\n"
	                       "status = 3\n"
	                       "[check stdout \"the count\"]\n"
	                       "match = ^n=8$\n"
	                       "points = 2.5\n"
	                       "[check orphans]\n"
	                       "[check exit \"no signal\"]\n"
	                       "signal = none\n"),
	                 0);
	ck_assert_str_eq(spec.name, "Lab 7");
	ck_assert_str_eq(spec.run, "./x 8");
	ck_assert_int_eq(spec.runs, 4);
	ck_assert_int_eq(spec.pin, 2);
	ck_assert(spec.limits.wall == 2.5);
	ck_assert(spec.limits.cpu == 5.0); /* twice the wall time */
	ck_assert_uint_eq(spec.limits.memory, 64ULL << 20);
	ck_assert_uint_eq(spec.nchecks, 4);
	ck_assert_int_eq(spec.checks[0].kind, JUDGE_EXIT);
	ck_assert(spec.checks[0].has_status);
	ck_assert_int_eq(spec.checks[0].status, 3);
	ck_assert_str_eq(spec.checks[1].label, "the count");
	ck_assert_int_eq(spec.checks[1].line, 14);
	ck_assert(spec.checks[1].points == 2.5);
	ck_assert(spec.checks[1].mask); /* masking is on unless said */
	ck_assert_int_eq(spec.checks[2].kind, JUDGE_ORPHANS); /* a section with no key */
	ck_assert(spec.checks[3].has_signal);
	ck_assert_int_eq(spec.checks[3].signal, 0);
	ck_assert(spec.points == 5.5);
	judge_spec_free(&spec);
}
END_TEST

START_TEST(test_spec_defaults)
{
	ck_assert_int_eq(parse("[lab]\nrun = ./x\n[check zombies]\n[check fds]\n"
	                       "[check parallel]\nmin_speedup = 1.5\none = ./x 1\n"),
	                 0);
	ck_assert_str_eq(spec.name, "07-x"); /* the lab's folder */
	ck_assert_int_eq(spec.runs, 1);
	ck_assert(spec.limits.wall == 10);
	ck_assert_int_eq(spec.limits.processes, 256);
	ck_assert_int_eq(spec.checks[0].max_ms, 200);
	ck_assert_uint_eq(spec.checks[1].nallow, 3);
	/* A speedup is timed while others use at most 0.3 CPUs: 3 quiet
	 * pairs of runs, in at most 5 tries. */
	ck_assert(spec.checks[2].max_other_load == 0.3);
	ck_assert_int_eq(spec.checks[2].pairs, 3);
	ck_assert_int_eq(spec.checks[2].tries, 5);
	judge_spec_free(&spec);
}
END_TEST

/* Each bad spec, and the start of the one line it must give. */
static const struct {
	const char *text, *error;
} bad[] = {
	{ "", "t.spec:1: no [lab] section" },
	{ "[lab]\n", "t.spec:1: key 'run': [lab] needs a run line" },
	{ "[lab]\nrun = x\n", "t.spec:1: no [check ...] section" },
	{ "run = x\n", "t.spec:1: key 'run': before any section" },
	{ "[lab]\nrun = x\ncolour = 1\n", "t.spec:3: key 'colour': not a key of [lab]" },
	{ "[lab]\nrun = x\nrun = y\n", "t.spec:3: key 'run': given twice" },
	{ "[lab]\nrun =\n", "t.spec:2: key 'run': has no value" },
	{ "[lab]\nrun = x\nruns = 0\n", "t.spec:3: key 'runs': '0' is not a whole number" },
	{ "[lab]\nrun = x\nruns = 99999999999999999999\n", "t.spec:3: key 'runs'" },
	{ "[lab]\nrun = x\n[limits]\nwall = nan\n", "t.spec:4: key 'wall'" },
	{ "[lab]\nrun = x\n[limits]\nmemory = 12Q\n", "t.spec:4: key 'memory'" },
	{ "[lab]\nrun = x\n[lab]\n", "t.spec:3: [lab] is given twice" },
	{ "[lab]\nrun = x\n[checks exit]\n", "t.spec:3: unknown section [checks exit]" },
	{ "[lab]\nrun = x\n[check exits]\n", "t.spec:3: unknown check 'exits'" },
	{ "[lab]\nrun = x\n[check exit two]\n", "t.spec:3: a check's label goes in double quotes" },
	{ "[lab]\nrun = x\n[check exit]\nmatch = y\n", "t.spec:4: key 'match': not a key of [check exit]" },
	{ "[lab]\nrun = x\n[check exit]\n", "t.spec:3: [check exit] needs one of status or signal" },
	{ "[lab]\nrun = x\n[check exit]\nsignal = SIGFOO\n", "t.spec:4: key 'signal'" },
	{ "[lab]\nrun = x\n[check stdout]\n", "t.spec:3: [check stdout] needs one of match or file" },
	{ "[lab]\nrun = x\n[check stdout]\nfile = ../../etc/passwd\n", "t.spec:4: key 'file'" },
	{ "[lab]\nrun = x\n[check stdout]\nfile = /etc/passwd\n", "t.spec:4: key 'file'" },
	{ "[lab]\nrun = x\n[check fds]\nallow = 0 1 x\n", "t.spec:4: key 'allow'" },
	{ "[lab]\nrun = x\n[check leaks]\nshm = maybe\n", "t.spec:4: key 'shm': 'maybe': say yes or no" },
	{ "[lab]\nrun = x\npin = 3\n[check exit]\nstatus = 0\n", "t.spec:1: key 'pin': pins 3 runs of only 1" },
	{ "[lab]\nrun = x\n[check parallel]\nmin_speedup = 2\none = y\npairs = 4\ntries = 3\n",
	  "t.spec:3: key 'pairs': wants 4 quiet pairs in at most 3 tries" },
	{ "[lab]\nrun = x\n[check parallel]\nmin_runnable = 1\nmax_other_load = -1\n",
	  "t.spec:5: key 'max_other_load'" },
	{ "[lab]\nrun = x\nnot a key\n", "t.spec:3: not a section, a comment or 'key = value'" },
	{ "[lab\nrun = x\n", "t.spec:1: a section header without ']'" },
	{ "[lab]\nrun = a\0b\n", "t.spec:2: a NUL byte" },
};

START_TEST(test_spec_each_error_names_its_line_and_key)
{
	/* The NUL case has a length of its own. */
	size_t len = strlen(bad[_i].text);
	if (strstr(bad[_i].error, "NUL") != NULL)
		len = sizeof("[lab]\nrun = a\0b\n") - 1;
	ck_assert_int_eq(judge_spec_parse(bad[_i].text, len, "t.spec", "/labs/07-x", &spec, err,
	                                  sizeof(err)),
	                 -1);
	ck_assert_msg(strncmp(err, bad[_i].error, strlen(bad[_i].error)) == 0,
	              "for case %d, got \"%s\", wanted \"%s...\"", _i, err, bad[_i].error);
	ck_assert_ptr_null(strchr(err, '\n')); /* one line */
	ck_assert_ptr_null(spec.checks);       /* nothing held on to */
}
END_TEST

START_TEST(test_spec_long_line_is_an_error)
{
	char text[1024];

	memset(text, 'x', sizeof(text));
	memcpy(text, "[lab]\nrun = ", 12);
	text[sizeof(text) - 1] = '\0';
	ck_assert_int_eq(parse(text), -1);
	ck_assert_msg(strstr(err, "t.spec:2: the line is longer than") == err, "%s", err);
}
END_TEST

static Suite *
spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("spec");

	tcase_add_test(tc, test_spec_a_whole_lab);
	tcase_add_test(tc, test_spec_defaults);
	tcase_add_loop_test(tc, test_spec_each_error_names_its_line_and_key, 0,
	                    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_spec_long_line_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(spec_suite)
