/* pl_measure.h - honest figures: a monotonic clock, medians, percentiles,
 * and CPU-bound work sized to this machine.
 *
 * One timing says little on a busy machine. Demos that measure repeat the
 * run and report the median (and a high percentile for latencies).
 */
#ifndef PL_MEASURE_H
#define PL_MEASURE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Seconds from CLOCK_MONOTONIC: only differences mean anything. */
double pl_measure_now(void);

/* The moment NS nanoseconds from now on CLOCK, as the absolute waits take
 * it: CLOCK_REALTIME for sem_timedwait(3), mq_timedsend(3) and
 * pthread_mutex_timedlock(3); CLOCK_MONOTONIC for clock_nanosleep(2) and
 * the library's own deadlines. */
struct timespec pl_measure_deadline(clockid_t clock, long long ns);

/* Seconds of CPU this thread has used (CLOCK_THREAD_CPUTIME_ID). A busy
 * machine stretches wall-clock time but not CPU time, so this is the clock
 * to size work by. */
double pl_measure_thread_cpu(void);

/* The median of N values (N > 0). Sorts VALUES in place. */
double pl_measure_median(double *values, size_t n);

/* The P-th percentile (0 to 100, nearest rank) of N values (N > 0).
 * Sorts VALUES in place. */
double pl_measure_percentile(double *values, size_t n, double p);

/* The median of N values (N > 0), leaving VALUES as they are, and in
 * *SPREAD (unless SPREAD is NULL) how far apart they lie: (max - min) /
 * median in percent, or 0 when the median is 0 or less. Meant for the few
 * repeated runs of a figure: it takes time in N squared. */
double pl_measure_median_spread(const double *values, size_t n, double *spread);

/* CPU-bound work with a result to check: a hash (splitmix64) of each
 * number in [FROM, TO), summed. The sum over a range is the sum over its
 * parts, so work split among workers can be checked against one run. */
uint64_t pl_measure_crunch(uint64_t from, uint64_t to);

/* How many numbers pl_measure_crunch() gets through in SECONDS of CPU on
 * this machine. Ever longer runs are timed on this thread's CPU clock until
 * one takes PROBE seconds; a longer probe gives a steadier rate. */
uint64_t pl_measure_calibrate(double seconds, double probe);

#endif /* PL_MEASURE_H */
