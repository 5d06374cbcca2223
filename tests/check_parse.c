/* check_parse.c - strict number parsing (lib/pl_parse.c). */
#include "config.h"

#include "check_main.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "pl_parse.h"

START_TEST(test_parse_long_accepts_whole_numbers)
{
	long v = 0;

	ck_assert_int_eq(pl_parse_long("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(pl_parse_long("-7", -10, 10, &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(pl_parse_long("+3", 0, 10, &v), 0);
	ck_assert_int_eq(v, 3);
}
END_TEST

START_TEST(test_parse_long_rejects_garbage)
{
	static const char *const bad[] = { "", " 4", "4 ", "4x", "x4", "0x10", "4.0", "--4", "\t1" };
	long v = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(pl_parse_long(bad[i], -100, 100, &v) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(v, 99); /* untouched on error */
	}
	ck_assert_int_eq(pl_parse_long(NULL, 0, 1, &v), -1);
}
END_TEST

START_TEST(test_parse_long_checks_range_and_overflow)
{
	long v = 5;

	ck_assert_int_eq(pl_parse_long("0", 1, 64, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(pl_parse_long("65", 1, 64, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(pl_parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(pl_parse_long("-99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(pl_parse_long("64", 1, 64, &v), 0); /* bounds are inclusive */
	ck_assert_int_eq(v, 64);
}
END_TEST

START_TEST(test_parse_double_accepts_numbers)
{
	double v = 0;

	ck_assert_int_eq(pl_parse_double("2.5", 0, 10, &v), 0);
	ck_assert_double_eq(v, 2.5);
	ck_assert_int_eq(pl_parse_double("1e2", 0, 1000, &v), 0);
	ck_assert_double_eq(v, 100.0);
}
END_TEST

START_TEST(test_parse_double_rejects_nan_inf_and_garbage)
{
	static const char *const invalid[] = { "", "nan", "NaN", "abc", "1.5x", " 1" };
	static const char *const out_of_range[] = { "inf", "-inf", "1e400", "0", "11" };
	double v = 7;

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		ck_assert_msg(pl_parse_double(invalid[i], 0.01, 10, &v) == -1, "'%s'", invalid[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		ck_assert_msg(pl_parse_double(out_of_range[i], 0.01, 10, &v) == -1, "'%s'",
		              out_of_range[i]);
		ck_assert_int_eq(errno, ERANGE);
	}
	ck_assert_double_eq(v, 7);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc_long = tcase_create("long");
	TCase *tc_double = tcase_create("double");

	tcase_add_test(tc_long, test_parse_long_accepts_whole_numbers);
	tcase_add_test(tc_long, test_parse_long_rejects_garbage);
	tcase_add_test(tc_long, test_parse_long_checks_range_and_overflow);
	tcase_add_test(tc_double, test_parse_double_accepts_numbers);
	tcase_add_test(tc_double, test_parse_double_rejects_nan_inf_and_garbage);
	suite_add_tcase(s, tc_long);
	suite_add_tcase(s, tc_double);
	return s;
}

PL_CHECK_MAIN(parse_suite)
