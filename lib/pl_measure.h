/* pl_measure.h - honest figures: a monotonic clock, medians, percentiles.
 *
 * One timing says little on a busy machine. Demos that measure repeat the
 * run and report the median (and a high percentile for latencies).
 */
#ifndef PL_MEASURE_H
#define PL_MEASURE_H

#include <stddef.h>

/* Seconds from CLOCK_MONOTONIC: only differences mean anything. */
double pl_measure_now(void);

/* The median of N values (N > 0). Sorts VALUES in place. */
double pl_measure_median(double *values, size_t n);

/* The P-th percentile (0 to 100, nearest rank) of N values (N > 0).
 * Sorts VALUES in place. */
double pl_measure_percentile(double *values, size_t n, double p);

#endif /* PL_MEASURE_H */
