/* pl_measure.c - honest figures: a monotonic clock, medians, percentiles. */
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
