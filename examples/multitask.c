/*
 * multitask.c - multitasking vs multiprocessing. N processes that only
 * compute, allowed one CPU, take turns: the wall-clock time is the sum of
 * their CPU times. Allowed every CPU, they run at once and the wall-clock
 * time is shorter than the CPU time spent. (Linux: sched_setaffinity.)
 *
 * Build and run:  cc multitask.c -o multitask
 *   ./multitask 2          two busy children, wherever the kernel puts them
 *   ./multitask 2 one-cpu  the same, all on the CPU this program starts on
 * See lessons/19-multitask.md; proclab-multitask is the demo.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET and sched_getcpu are Linux's */
#include <err.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	int cpu = sched_getcpu();
	struct rusage ru;
	cpu_set_t one;

	if (argc < 2 || argc > 3 || n < 1 || n > 64 || (argc == 3 && strcmp(argv[2], "one-cpu"))) {
		fprintf(stderr, "usage: multitask N [one-cpu]\n");
		return 2;
	}
	if (cpu == -1)
		err(EXIT_FAILURE, "sched_getcpu");
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (argc == 3 && sched_setaffinity(0, sizeof one, &one) == -1) /* children inherit it */
		err(EXIT_FAILURE, "sched_setaffinity");
	double start = now();
	for (int i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			err(EXIT_FAILURE, "fork");
		case 0: /* child: compute, never wait */
			for (volatile long spin = 0; spin < 500000000; spin++)
				continue;
			_exit(EXIT_SUCCESS);
		}
	}
	while (wait(NULL) > 0)
		continue;
	if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
		err(EXIT_FAILURE, "getrusage");
	printf("%d children%s: wall %.2f s, CPU %.2f s\n", n, argc == 3 ? " on one CPU" : "",
	       now() - start, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6);
	return EXIT_SUCCESS;
}
