/*
 * prio-inversion.c - three SCHED_FIFO threads on one CPU: low (10) holds
 * a mutex that high (30) waits for, and medium (20), which wants no lock,
 * preempts low. With the default protocol high waits for all of medium's
 * spin; with PTHREAD_PRIO_INHERIT the kernel runs low at 30 while high
 * waits (field 18 of /proc/PID/task/TID/stat: -31), medium cannot preempt
 * it, and high gets the mutex first.
 *
 * Build and run:  cc -pthread prio-inversion.c -o prio-inversion
 *   ./prio-inversion            medium's spin ends first, then high's wait
 *   ./prio-inversion inherit    high's wait ends first
 * It needs CAP_SYS_NICE or ulimit -r 30 or more; without, it says so and
 * exits 77. Every spin ends by a clock and high gives up after 5 s, so
 * every join ends.
 * See lessons/24-prio-inversion.md; proclab-prio-inversion is the demo.
 */
#define _GNU_SOURCE /* CPU_SET, sched_setaffinity and sched_getcpu are Linux's */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOLD_MS 200 /* low's critical section, in its own CPU time */
#define SPIN_MS 400 /* medium's spin, by the wall clock */

static pthread_mutex_t mutex;
static double t0, high_got = -1, medium_done;

static double
ms(clockid_t clock)
{
	struct timespec t;

	if (clock_gettime(clock, &t) == -1)
		abort();
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* start: a thread at SCHED_FIFO priority PRIO, not the creator's. */
static int
start(pthread_t *t, void *(*fn)(void *), int prio)
{
	struct sched_param param = { .sched_priority = prio };
	pthread_attr_t attr;
	int rc;

	if ((rc = pthread_attr_init(&attr)) != 0 ||
	    (rc = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED)) != 0 ||
	    (rc = pthread_attr_setschedpolicy(&attr, SCHED_FIFO)) != 0 ||
	    (rc = pthread_attr_setschedparam(&attr, &param)) != 0)
		return rc;
	return pthread_create(t, &attr, fn, NULL);
}

static void *
high(void *unused)
{
	struct timespec deadline;

	if (clock_gettime(CLOCK_REALTIME, &deadline) == -1)
		abort();
	deadline.tv_sec += 5; /* a bounded wait, never for ever */
	if (pthread_mutex_timedlock(&mutex, &deadline) == 0) {
		high_got = ms(CLOCK_MONOTONIC) - t0;
		pthread_mutex_unlock(&mutex);
	}
	return unused;
}

static void *
medium(void *unused)
{
	double begin = ms(CLOCK_MONOTONIC);

	while (ms(CLOCK_MONOTONIC) - begin < SPIN_MS)
		; /* wants the CPU, not the mutex */
	medium_done = ms(CLOCK_MONOTONIC) - t0;
	return unused;
}

/* low: takes the mutex, then starts high and medium, so that both arrive
 * while it holds it, and works HOLD_MS of its own CPU time. */
static void *
low(void *unused)
{
	pthread_t h, m;
	int rc;

	pthread_mutex_lock(&mutex);
	/* lesson: hold */
	if ((rc = start(&h, high, 30)) != 0 || (rc = start(&m, medium, 20)) != 0) {
		fprintf(stderr, "prio-inversion: pthread_create: %s\n", strerror(rc));
		exit(EXIT_FAILURE);
	}
	/* high waits for the mutex; medium preempts low unless low inherited 30 */
	for (double cpu = ms(CLOCK_THREAD_CPUTIME_ID); ms(CLOCK_THREAD_CPUTIME_ID) - cpu < HOLD_MS;)
		;
	pthread_mutex_unlock(&mutex); /* low drops back to 10 here */
	/* end */
	pthread_join(h, NULL);
	pthread_join(m, NULL);
	return unused;
}

int
main(int argc, char *argv[])
{
	pthread_mutexattr_t attr;
	cpu_set_t cpus;
	pthread_t t;
	int rc, cpu, inherit = argc == 2;

	if (argc > 2 || (inherit && strcmp(argv[1], "inherit") != 0)) {
		fprintf(stderr, "usage: prio-inversion [inherit]\n");
		return 2;
	}
	/* One CPU for all, the one we are on: the threads inherit the mask. */
	if ((cpu = sched_getcpu()) == -1)
		return perror("sched_getcpu"), EXIT_FAILURE;
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	if (sched_setaffinity(0, sizeof cpus, &cpus) == -1)
		return perror("sched_setaffinity"), EXIT_FAILURE;
	/* lesson: protocol */
	if ((rc = pthread_mutexattr_init(&attr)) != 0 ||
	    (rc = pthread_mutexattr_setprotocol(&attr, inherit ? PTHREAD_PRIO_INHERIT
	                                                       : PTHREAD_PRIO_NONE)) != 0 ||
	    (rc = pthread_mutex_init(&mutex, &attr)) != 0)
		return fprintf(stderr, "prio-inversion: mutex: %s\n", strerror(rc)), EXIT_FAILURE;
	/* end */
	t0 = ms(CLOCK_MONOTONIC);
	if ((rc = start(&t, low, 10)) == EPERM) {
		fprintf(stderr, "prio-inversion: SCHED_FIFO needs CAP_SYS_NICE or ulimit -r 30: "
		                "skipped\n");
		return 77;
	}
	if (rc != 0 || (rc = pthread_join(t, NULL)) != 0)
		return fprintf(stderr, "prio-inversion: low: %s\n", strerror(rc)), EXIT_FAILURE;
	if (high_got < 0)
		return fprintf(stderr, "prio-inversion: high gave up after 5 s\n"), EXIT_FAILURE;
	printf("%s: high got the mutex at %.0f ms, medium's spin ended at %.0f ms: %s first\n",
	       inherit ? "PTHREAD_PRIO_INHERIT" : "PTHREAD_PRIO_NONE", high_got, medium_done,
	       high_got < medium_done ? "high" : "medium");
	return EXIT_SUCCESS;
}
