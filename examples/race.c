/*
 * race.c - counter++ is three steps: read, add, write back. Two threads
 * that interleave them lose updates. A mutex around the three steps makes
 * them a critical section, and nothing is lost.
 *
 * Build and run:  cc -pthread race.c -o race
 *   ./race         two threads add 1 ten million times each, unlocked
 *   ./race lock    the same, with a mutex
 * The unlocked count is usually short of 20000000; the locked one never.
 * See lessons/12-race.md; proclab-race is the demo.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDS 10000000

static volatile long counter; /* volatile: each read and write goes to memory */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static int use_lock;

static void *
add(void *unused)
{
	for (int i = 0; i < ADDS; i++) {
		if (use_lock)
			pthread_mutex_lock(&mutex);
		/* lesson: critical */
		long seen = counter; /* 1. read */
		counter = seen + 1;  /* 2. add 1 and 3. write back */
		/* end */
		if (use_lock)
			pthread_mutex_unlock(&mutex);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t t[2];
	int rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "lock") != 0)) {
		fprintf(stderr, "usage: race [lock]\n");
		return 2;
	}
	use_lock = argc == 2;
	for (int i = 0; i < 2; i++)
		if ((rc = pthread_create(&t[i], NULL, add, NULL)) != 0) {
			fprintf(stderr, "race: pthread_create: %s\n", strerror(rc));
			return EXIT_FAILURE;
		}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("counter %ld of %d: %ld lost\n", counter, 2 * ADDS, 2L * ADDS - counter);
	return EXIT_SUCCESS;
}
