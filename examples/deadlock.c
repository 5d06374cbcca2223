/*
 * deadlock.c - two threads, two mutexes, taken in opposite orders. Each
 * thread holds one lock and waits for the other's: a circular wait that
 * never ends. The process hangs, both threads asleep in the kernel.
 *
 * Build and run:  cc -pthread deadlock.c -o deadlock && ./deadlock
 * It prints its PID and hangs; look from another shell, then kill it:
 *   grep State /proc/PID/task/[0-9]*[0-9]/status    (both threads S)
 *   ./deadlock order    both threads take A first: no deadlock
 * See lessons/14-deadlock.md; proclab-deadlock is the demo.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static int ordered;

static void *
worker(void *arg)
{
	/* Worker 0 takes a then b; worker 1 takes b then a, unless ordered. */
	pthread_mutex_t *first_lock = arg != NULL && !ordered ? &b : &a;
	pthread_mutex_t *second_lock = first_lock == &a ? &b : &a;

	pthread_mutex_lock(first_lock); /* hold one... */
	if (!ordered)
		pthread_barrier_wait(&both_hold_one); /* (make sure the other holds its own) */
	pthread_mutex_lock(second_lock); /* ...and wait for the other */
	pthread_mutex_unlock(second_lock);
	pthread_mutex_unlock(first_lock);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t t[2];
	int rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "order") != 0)) {
		fprintf(stderr, "usage: deadlock [order]\n");
		return 2;
	}
	ordered = argc == 2;
	if ((rc = pthread_barrier_init(&both_hold_one, NULL, 2)) != 0) {
		fprintf(stderr, "deadlock: pthread_barrier_init: %s\n", strerror(rc));
		return EXIT_FAILURE;
	}
	setbuf(stdout, NULL);
	printf("process %ld: two threads, locks taken in %s order\n", (long)getpid(),
	       ordered ? "the same" : "opposite");
	for (long i = 0; i < 2; i++)
		if ((rc = pthread_create(&t[i], NULL, worker, (void *)i)) != 0) {
			fprintf(stderr, "deadlock: pthread_create: %s\n", strerror(rc));
			return EXIT_FAILURE;
		}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL); /* never returns in a deadlock */
	printf("both threads finished\n");
	return EXIT_SUCCESS;
}
