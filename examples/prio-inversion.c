/*
 * prio-inversion.c - three SCHED_FIFO threads on one CPU: low (10), the
 * main thread, holds a mutex that high (30) waits for, and medium (20),
 * which wants no lock, preempts low. With the default protocol high waits
 * for all of medium's spin; with PTHREAD_PRIO_INHERIT the kernel runs low
 * at 30 while high waits (field 18 of /proc/PID/task/TID/stat: -31),
 * medium cannot preempt it, and high gets the mutex first. High and
 * medium each print a line when done: the order of the lines is the
 * order they finished in.
 *
 * Build and run:  cc -pthread prio-inversion.c -o prio-inversion
 *   ./prio-inversion            medium's spin ends first, then high's wait
 *   ./prio-inversion inherit    high's wait ends first
 * It needs CAP_SYS_NICE or ulimit -r 30 or more; without, it says so and
 * exits 77. Both spins end by a clock, so high's wait ends, and so do all.
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

static pthread_mutex_t mutex;

/* spin: run until the calling thread has used MS ms of CPU time in all;
 * time it spends preempted does not count. (clock_gettime() fails only
 * when given a bad clock or address, so it goes unchecked.) */
static void
spin(double ms)
{
	struct timespec t = { 0 };

	while (t.tv_sec * 1e3 + t.tv_nsec / 1e6 < ms)
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
}

static void *
high(void *unused)
{
	pthread_mutex_lock(&mutex);
	printf("high: got the mutex\n");
	pthread_mutex_unlock(&mutex);
	return unused;
}

static void *
medium(void *unused)
{
	spin(400); /* it wants the CPU, not the mutex */
	printf("medium: spin ended\n");
	return unused;
}

int
main(int argc, char *argv[])
{
	struct sched_param low = { .sched_priority = 10 }; /* the main thread is low */
	pthread_mutexattr_t attr;
	pthread_t h, m;
	cpu_set_t cpus;
	int rc, cpu, inherit = argc == 2;

	if (argc > 2 || (inherit && strcmp(argv[1], "inherit") != 0))
		return fprintf(stderr, "usage: prio-inversion [inherit]\n"), 2;
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
	pthread_mutex_lock(&mutex);
	/* lesson: hold */
	/* A new thread starts at its creator's policy and priority, so high
	 * and medium wait behind low (FIFO) until pthread_setschedprio(). */
	if ((rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &low)) != 0 ||
	    (rc = pthread_create(&h, NULL, high, NULL)) != 0 ||
	    (rc = pthread_setschedprio(h, 30)) != 0 || /* high runs, and waits for the mutex */
	    (rc = pthread_create(&m, NULL, medium, NULL)) != 0 ||
	    (rc = pthread_setschedprio(m, 20)) != 0) /* medium runs, unless low inherited 30 */
		return fprintf(stderr, "prio-inversion: SCHED_FIFO: %s (root, or ulimit -r 30)\n",
		               strerror(rc)), rc == EPERM ? 77 : EXIT_FAILURE; /* 77: a skip */
	spin(200);                    /* low's critical section */
	pthread_mutex_unlock(&mutex); /* low drops back to 10 here */
	/* end */
	pthread_exit(NULL); /* main ends; the process exits 0 when high and medium have */
}
