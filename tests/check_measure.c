/* check_measure.c - medians, percentiles, spreads, and sized CPU work
 * (lib/pl_measure.c). No test asserts on how fast this machine is. */
#include "config.h"

#include <string.h>
#include <time.h>

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

/* A deadline lies NS after the clock's now, its nanoseconds normalised,
 * even when they carry into the seconds. */
START_TEST(test_measure_deadline_normalised)
{
	static const long long spans[] = { 0, 1, 999999999LL, 1000000000LL, 2500000000LL };

	for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		struct timespec before, after, d;
		long long lo, hi, at;

		clock_gettime(CLOCK_MONOTONIC, &before);
		d = pl_measure_deadline(CLOCK_MONOTONIC, spans[i]);
		clock_gettime(CLOCK_MONOTONIC, &after);
		ck_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
		lo = before.tv_sec * 1000000000LL + before.tv_nsec + spans[i];
		hi = after.tv_sec * 1000000000LL + after.tv_nsec + spans[i];
		at = d.tv_sec * 1000000000LL + d.tv_nsec;
		ck_assert(at >= lo && at <= hi);
	}
}
END_TEST

START_TEST(test_measure_median_spread_leaves_input)
{
	double v[] = { 9, 1, 5, 3, 7 }, copy[5];

	memcpy(copy, v, sizeof(v));
	ck_assert_double_eq(pl_measure_median_spread(v, 5, NULL), 5);
	ck_assert_mem_eq(v, copy, sizeof(v)); /* unlike pl_measure_median() */
}
END_TEST

START_TEST(test_measure_median_spread_odd_and_even)
{
	double odd[] = { 30, 10, 20 }, even[] = { 4, 1, 3, 2 }, ties[] = { 2, 1, 2, 2 };
	double one[] = { 7 }, spread = -1;

	ck_assert_double_eq(pl_measure_median_spread(odd, 3, &spread), 20);
	ck_assert_double_eq(spread, 100); /* (30 - 10) / 20 */
	ck_assert_double_eq(pl_measure_median_spread(even, 4, &spread), 2.5);
	ck_assert_double_eq_tol(spread, 120, 1e-9); /* (4 - 1) / 2.5, not exact in binary */
	ck_assert_double_eq(pl_measure_median_spread(ties, 4, &spread), 2);
	ck_assert_double_eq(spread, 50);
	ck_assert_double_eq(pl_measure_median_spread(one, 1, &spread), 7);
	ck_assert_double_eq(spread, 0);
}
END_TEST

START_TEST(test_measure_median_spread_zero_median)
{
	double zero[] = { 0, 5, -5 }, negative[] = { -1, -2, -9 }, spread = -1;

	ck_assert_double_eq(pl_measure_median_spread(zero, 3, &spread), 0);
	ck_assert_double_eq(spread, 0); /* not a division by zero */
	spread = -1;
	ck_assert_double_eq(pl_measure_median_spread(negative, 3, &spread), -2);
	ck_assert_double_eq(spread, 0);
}
END_TEST

START_TEST(test_measure_crunch_is_checkable)
{
	uint64_t whole = pl_measure_crunch(0, 1000);

	/* splitmix64's first output from a state of 0: the hash is the one
	 * the header promises. */
	ck_assert_uint_eq(pl_measure_crunch(0, 1), 0xe220a8397b1dcdafu);
	ck_assert_uint_eq(pl_measure_crunch(0, 1000), whole);
	ck_assert_uint_eq(pl_measure_crunch(0, 400) + pl_measure_crunch(400, 1000), whole);
	ck_assert_uint_ne(pl_measure_crunch(0, 999), whole);
	ck_assert_uint_ne(pl_measure_crunch(1, 1001), whole);
	ck_assert_uint_eq(pl_measure_crunch(5, 5), 0); /* empty */
}
END_TEST

START_TEST(test_measure_calibrate_scales_with_seconds)
{
	/* Two calibrations may time different rates; a factor of 1000 in the
	 * seconds asked for is far more than any machine's rate can vary
	 * between them, since the clock is this thread's CPU time. */
	uint64_t little = pl_measure_calibrate(0.01, 0.001);
	uint64_t much = pl_measure_calibrate(10.0, 0.001);

	ck_assert_uint_gt(little, 0);
	ck_assert_uint_gt(much, little);
	ck_assert_uint_eq(pl_measure_calibrate(0, 0.001), 0);
	ck_assert_uint_gt(pl_measure_calibrate(0.01, 0), 0); /* one timed run at least */
}
END_TEST

START_TEST(test_measure_thread_cpu_counts_work)
{
	double before = pl_measure_thread_cpu(), after;
	uint64_t sum = pl_measure_crunch(0, 1000000);

	after = pl_measure_thread_cpu();
	ck_assert(before >= 0);
	ck_assert(after > before);
	ck_assert_uint_ne(sum, 0); /* the sum is used: the work is done */
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
	tcase_add_test(tc, test_measure_deadline_normalised);
	tcase_add_test(tc, test_measure_thread_cpu_counts_work);
	tcase_add_test(tc, test_measure_median_spread_leaves_input);
	tcase_add_test(tc, test_measure_median_spread_odd_and_even);
	tcase_add_test(tc, test_measure_median_spread_zero_median);
	tcase_add_test(tc, test_measure_crunch_is_checkable);
	tcase_add_test(tc, test_measure_calibrate_scales_with_seconds);
	suite_add_tcase(s, tc);
	return s;
}

PL_CHECK_MAIN(measure_suite)
