/* check_measure.c - medians and percentiles (lib/pl_measure.c). */
#include "config.h"

#include "check_main.h"
#include "pl_measure.h"

START_TEST(test_measure_median_odd_and_even)
{
	double odd[] = { 9, 1, 5 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };

	ck_assert_double_eq(pl_measure_median(odd, 3), 5);
	ck_assert_double_eq(pl_measure_median(even, 4), 2.5);
	ck_assert_double_eq(pl_measure_median(one, 1), 7);
	ck_assert_double_eq(odd[0], 1); /* sorted in place */
}
END_TEST

START_TEST(test_measure_percentile_nearest_rank)
{
	double v[100];

	for (int i = 0; i < 100; i++)
		v[i] = 100 - i; /* 100 .. 1, unsorted */
	ck_assert_double_eq(pl_measure_percentile(v, 100, 99), 99);
	ck_assert_double_eq(pl_measure_percentile(v, 100, 50), 50);
	ck_assert_double_eq(pl_measure_percentile(v, 100, 100), 100);
	ck_assert_double_eq(pl_measure_percentile(v, 100, 0), 1);
}
END_TEST

START_TEST(test_measure_clock_goes_forward)
{
	double a = pl_measure_now(), b = pl_measure_now();

	ck_assert(a > 0);
	ck_assert(b >= a);
}
END_TEST

static Suite *
measure_suite(void)
{
	Suite *s = suite_create("measure");
	TCase *tc = tcase_create("measure");

	tcase_add_test(tc, test_measure_median_odd_and_even);
	tcase_add_test(tc, test_measure_percentile_nearest_rank);
	tcase_add_test(tc, test_measure_clock_goes_forward);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(measure_suite)
