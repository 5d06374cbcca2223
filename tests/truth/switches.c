/* switches.c - which context switches do sched_yield() and usleep() count?
 *
 * Usage: switches N
 *
 * A spinner thread and this program's main thread are pinned to one CPU,
 * so the CPU is always busy. The main thread calls sched_yield() N times,
 * then usleep(1) N times, and reads its own voluntary_ctxt_switches and
 * nonvoluntary_ctxt_switches (/proc/thread-self/status) around each:
 *
 *     yield voluntary 0 nonvoluntary 200 usleep voluntary 200 nonvoluntary 3
 *
 * __schedule() (kernel/sched/core.c) counts a switch as voluntary only if
 * the task left TASK_RUNNING, as a sleep does; a task that yields stays
 * runnable, so its switch is counted with the preemptions.
 *
 * Used by tests/truth.sh (lesson 12, instructor's exercise 3).
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int stop;

static void *
spinner(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return NULL;
}

/* This thread's two switch counters, from /proc/thread-self/status. */
static void
switches(long *voluntary, long *nonvoluntary)
{
	char line[256];
	FILE *f = fopen("/proc/thread-self/status", "r");

	if (f == NULL) {
		perror("/proc/thread-self/status");
		exit(2);
	}
	*voluntary = *nonvoluntary = -1;
	while (fgets(line, sizeof line, f) != NULL) {
		sscanf(line, "voluntary_ctxt_switches: %ld", voluntary);
		sscanf(line, "nonvoluntary_ctxt_switches: %ld", nonvoluntary);
	}
	fclose(f);
}

int
main(int argc, char *argv[])
{
	cpu_set_t allowed, one;
	pthread_t spin;
	long n, v0, nv0, v1, nv1, v2, nv2;
	int cpu = 0;

	if (argc != 2 || (n = atol(argv[1])) < 1) {
		fprintf(stderr, "Usage: %s N\n", argv[0]);
		return 2;
	}
	alarm(60); /* a bound on the spinner, whatever happens */
	/* One CPU of those we may use; the spinner inherits the mask. */
	if (sched_getaffinity(0, sizeof allowed, &allowed) == -1) {
		perror("sched_getaffinity");
		return 2;
	}
	while (!CPU_ISSET(cpu, &allowed))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) == -1) {
		perror("sched_setaffinity");
		return 2;
	}
	if (pthread_create(&spin, NULL, spinner, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 2;
	}
	switches(&v0, &nv0);
	for (long i = 0; i < n; i++)
		sched_yield();
	switches(&v1, &nv1);
	for (long i = 0; i < n; i++)
		usleep(1);
	switches(&v2, &nv2);
	atomic_store(&stop, 1);
	pthread_join(spin, NULL);
	printf("yield voluntary %ld nonvoluntary %ld usleep voluntary %ld nonvoluntary %ld\n",
	       v1 - v0, nv1 - nv0, v2 - v1, nv2 - nv1);
	return 0;
}
