/* check_say.c - narration filled from its own fields (lib/pl_say.c), and
 * PL_PROSE fields that the JSON leaves out (lib/pl_json.c). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "check_main.h"
#include "pl_say.h"

static char buf[256];

START_TEST(test_say_fills_each_type)
{
	const long pids[] = { 7, 8, 9 };
	const struct pl_field *f =
	        PL_FIELDS(PL_INT("child", 4242), PL_CHAR("state", 'Z'), PL_STR("comm", "init"),
	                  PL_DOUBLE("seconds", 0.5), PL_BOOL("gone", true), PL_INTS("pids", pids, 3));

	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf),
	                             "/proc/{child}/stat: {state}, {comm}, {seconds}, {gone}, [{pids}]",
	                             f),
	                 (int)strlen("/proc/4242/stat: Z, init, 0.5, true, [7, 8, 9]"));
	ck_assert_str_eq(buf, "/proc/4242/stat: Z, init, 0.5, true, [7, 8, 9]");
}
END_TEST

START_TEST(test_say_uses_a_printf_spec)
{
	const struct pl_field *f = PL_FIELDS(PL_DOUBLE("t", 2.0 / 3), PL_INT("mask", 0x10000),
	                                     PL_INT("n", 5), PL_STR("s", "ab"));

	ck_assert_int_ge(pl_say_fill(buf, sizeof(buf), "{t:.2f} {mask:016x} [{n:3}] [{s:-4s}]", f),
	                 0);
	ck_assert_str_eq(buf, "0.67 0000000000010000 [  5] [ab  ]");
}
END_TEST

START_TEST(test_say_chooses_words_by_a_bool)
{
	const struct pl_field *f = PL_FIELDS(PL_BOOL("gone", false), PL_INT("left", 2));

	pl_say_fill(buf, sizeof(buf), "it {gone?is gone|is still there}, {left?some|none} left", f);
	ck_assert_str_eq(buf, "it is still there, some left");
	pl_say_fill(buf, sizeof(buf), "[{gone?gone}]", f);
	ck_assert_str_eq(buf, "[]");
}
END_TEST

START_TEST(test_say_writes_doubled_braces_once)
{
	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "{{x}} }}", NULL), 5);
	ck_assert_str_eq(buf, "{x} }");
}
END_TEST

START_TEST(test_say_marks_a_missing_field)
{
	const struct pl_field *f = PL_FIELDS(PL_INT("child", 1));

	errno = 0;
	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "pid {chidl} of {child}", f), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(buf, "pid {?chidl} of 1");
}
END_TEST

START_TEST(test_say_refuses_a_spec_that_does_not_fit)
{
	const struct pl_field *f = PL_FIELDS(PL_STR("s", "x"), PL_INT("n", 1), PL_BOOL("b", 1));

	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "{s:d}", f), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "{n:s}", f), -1);
	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "{n:%n}", f), -1);
	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "{b:5}", f), -1);
	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "{s?a|b}", f), -1);
	ck_assert_int_eq(pl_say_fill(buf, sizeof(buf), "open {n", f), -1);
	ck_assert_str_eq(buf, "open {n");
}
END_TEST

START_TEST(test_say_cuts_to_fit)
{
	char small[8];
	const struct pl_field *f = PL_FIELDS(PL_STR("s", "a long string"));

	errno = 0;
	ck_assert_int_eq(pl_say_fill(small, sizeof(small), "<{s}>", f), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_str_eq(small, "<a long");
	ck_assert_int_eq(pl_say_fill(small, 0, "x", NULL), -1);
}
END_TEST

START_TEST(test_say_prose_fields_stay_out_of_the_json)
{
	const struct pl_field *f =
	        PL_FIELDS(PL_CHAR("state", 'Z'), PL_PROSE(PL_STR("state_name", "zombie")),
	                  PL_PROSE(PL_INT("parent", 1)), PL_INT("child", 5));
	char line[256];

	ck_assert_int_ge(pl_say_fill(buf, sizeof(buf), "{child}: {state} ({state_name}), ppid {parent}",
	                             f),
	                 0);
	ck_assert_str_eq(buf, "5: Z (zombie), ppid 1");
	ck_assert_int_ge(pl_json_format_event(line, sizeof(line), 1.0, 9, "e", buf, f), 0);
	ck_assert_str_eq(line, "{\"t\":1.000000,\"pid\":9,\"event\":\"e\","
	                       "\"text\":\"5: Z (zombie), ppid 1\",\"state\":\"Z\",\"child\":5}\n");
}
END_TEST

static Suite *
say_suite(void)
{
	Suite *s = suite_create("say");
	TCase *tc = tcase_create("fill");

	tcase_add_test(tc, test_say_fills_each_type);
	tcase_add_test(tc, test_say_uses_a_printf_spec);
	tcase_add_test(tc, test_say_chooses_words_by_a_bool);
	tcase_add_test(tc, test_say_writes_doubled_braces_once);
	tcase_add_test(tc, test_say_marks_a_missing_field);
	tcase_add_test(tc, test_say_refuses_a_spec_that_does_not_fit);
	tcase_add_test(tc, test_say_cuts_to_fit);
	tcase_add_test(tc, test_say_prose_fields_stay_out_of_the_json);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(say_suite)
