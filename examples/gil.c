/*
 * gil.c - a global interpreter lock, modelled: each thread may compute
 * only while it holds one global mutex, and lets go after every small
 * piece of work (CPython 2's check interval). Only one thread computes at
 * a time, so more threads give no speedup: the CPU time of the process
 * stays about its wall-clock time, however many CPUs there are.
 *
 * Build and run:  cc -pthread gil.c -o gil
 *   ./gil 2         two threads, no lock: CPU time up to twice the wall time
 *   ./gil 2 lock    the same work under the one lock: CPU time = wall time
 * (on a machine with two idle CPUs). Under the lock the threads also sleep
 * on it, a voluntary context switch each time, which /proc/PID/task/TID/status
 * counts; without it they never sleep.
 * See lessons/17-gil.md; proclab-gil is the demo.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICKS 300000 /* pieces of work per thread */

static pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
static int use_gil;

static void *
interpret(void *unused)
{
	for (int tick = 0; tick < TICKS; tick++) {
		if (use_gil)
			pthread_mutex_lock(&gil);
		for (volatile int spin = 0; spin < 1000; spin++) /* one piece of work */
			continue;
		if (use_gil)
			pthread_mutex_unlock(&gil); /* the check interval: others may take it */
	}
	return NULL;
}

static double
seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	int n = argc > 1 ? atoi(argv[1]) : 0, rc;
	pthread_t t[64];

	if (argc < 2 || argc > 3 || n < 1 || n > 64 || (argc == 3 && strcmp(argv[2], "lock"))) {
		fprintf(stderr, "usage: gil THREADS [lock]    (1 to 64 threads)\n");
		return 2;
	}
	use_gil = argc == 3;
	double wall = seconds(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++)
		if ((rc = pthread_create(&t[i], NULL, interpret, NULL)) != 0) {
			fprintf(stderr, "gil: pthread_create: %s\n", strerror(rc));
			return EXIT_FAILURE;
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	wall = seconds(CLOCK_MONOTONIC) - wall;
	printf("%d threads%s: wall %.2f s, CPU %.2f s\n", n, use_gil ? " under the lock" : "", wall,
	       seconds(CLOCK_PROCESS_CPUTIME_ID));
	return EXIT_SUCCESS;
}
