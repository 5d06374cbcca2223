/* pl_measure.c - honest figures: a monotonic clock, medians, percentiles,
 * and CPU-bound work sized to this machine. */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "pl_measure.h"

double
pl_measure_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct timespec
pl_measure_deadline(clockid_t clock, long long ns)
{
	struct timespec t;

	clock_gettime(clock, &t);
	t.tv_sec += (time_t)(ns / 1000000000LL);
	t.tv_nsec += (long)(ns % 1000000000LL);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

double
pl_measure_thread_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
pl_measure_median(double *values, size_t n)
{
	qsort(values, n, sizeof(values[0]), by_value);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double
pl_measure_percentile(double *values, size_t n, double p)
{
	size_t rank;

	qsort(values, n, sizeof(values[0]), by_value);
	/* Nearest rank: the smallest value with at least p% at or below it. */
	double exact = p / 100.0 * (double)n;

	rank = (size_t)exact;
	if ((double)rank < exact)
		rank++; /* rounded up, without needing libm's ceil() */
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return values[rank - 1];
}

/* The K-th smallest (counting from 0) of N values, found without sorting
 * them: the value with at most K values below it and more than K at or
 * below it. Needing no copy, it cannot fail for want of memory. */
static double
kth_smallest(const double *values, size_t n, size_t k)
{
	for (size_t i = 0; i < n; i++) {
		size_t below = 0, at_or_below = 0;

		for (size_t j = 0; j < n; j++) {
			below += values[j] < values[i];
			at_or_below += values[j] <= values[i];
		}
		if (below <= k && k < at_or_below)
			return values[i];
	}
	return values[0]; /* only when NaNs leave no order */
}

double
pl_measure_median_spread(const double *values, size_t n, double *spread)
{
	double mid, min, max;

	if (spread != NULL)
		*spread = 0;
	if (n == 0)
		return 0;
	mid = n % 2 ? kth_smallest(values, n, n / 2)
	            : (kth_smallest(values, n, n / 2 - 1) + kth_smallest(values, n, n / 2)) / 2;
	min = max = values[0];
	for (size_t i = 1; i < n; i++) {
		min = values[i] < min ? values[i] : min;
		max = values[i] > max ? values[i] : max;
	}
	if (spread != NULL && mid > 0)
		*spread = (max - min) / mid * 100.0;
	return mid;
}

uint64_t
pl_measure_crunch(uint64_t from, uint64_t to)
{
	uint64_t sum = 0;

	for (uint64_t i = from; i < to; i++) {
		uint64_t z = i + 0x9e3779b97f4a7c15u; /* splitmix64's mix of i */
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		sum += z ^ (z >> 31);
	}
	return sum;
}

uint64_t
pl_measure_calibrate(double seconds, double probe)
{
	/* Volatile: the sums are stored, so the compiler may not skip the
	 * work whose time is taken. They are never read: (void)sink says so
	 * to -Wunused. */
	volatile uint64_t sink;
	uint64_t n = 100000;
	double used;

	sink = pl_measure_crunch(0, n); /* warm-up: caches, CPU frequency */
	do {
		double start = pl_measure_thread_cpu();

		n *= 2;
		sink = pl_measure_crunch(0, n);
		used = pl_measure_thread_cpu() - start;
	} while (used < probe || used <= 0); /* and a time to divide by */
	(void)sink;
	return (uint64_t)((double)n / used * seconds);
}
