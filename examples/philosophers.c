/*
 * philosophers.c - five philosophers, five forks (mutexes), each needs the
 * two beside it. If each takes the left fork and then the right, all five
 * can hold one and wait for the next: a cycle, deadlock. Taking the
 * lower-numbered fork first breaks the cycle.
 *
 * Build and run:  cc -pthread philosophers.c -o philosophers
 *   ./philosophers          lower-numbered fork first: every meal is eaten
 *   ./philosophers naive    left then right, all at once: the dinner hangs
 * (kill it with Ctrl-C; grep State /proc/PID/task/[0-9]*[0-9]/status).
 * See lessons/15-philosophers.md; proclab-philosophers is the demo.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 5
#define MEALS 1000

static pthread_mutex_t fork_lock[N];
static pthread_barrier_t all_hold_left;
static int naive;

static void *
philosopher(void *arg)
{
	int me = (int)(long)arg, left = me, right = (me + 1) % N;
	int first = naive || left < right ? left : right;
	int second = first == left ? right : left;

	for (int meal = 0; meal < MEALS; meal++) {
		pthread_mutex_lock(&fork_lock[first]);
		if (naive && meal == 0)
			pthread_barrier_wait(&all_hold_left); /* all five hold one: certain deadlock */
		pthread_mutex_lock(&fork_lock[second]);
		/* eat */
		pthread_mutex_unlock(&fork_lock[second]);
		pthread_mutex_unlock(&fork_lock[first]);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t t[N];
	int rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "naive") != 0)) {
		fprintf(stderr, "usage: philosophers [naive]\n");
		return 2;
	}
	naive = argc == 2;
	for (int i = 0; i < N; i++)
		pthread_mutex_init(&fork_lock[i], NULL); /* a default mutex: it cannot fail */
	if ((rc = pthread_barrier_init(&all_hold_left, NULL, N)) != 0) {
		fprintf(stderr, "philosophers: pthread_barrier_init: %s\n", strerror(rc));
		return EXIT_FAILURE;
	}
	setbuf(stdout, NULL);
	printf("process %ld: %d philosophers, %s\n", (long)getpid(), N,
	       naive ? "left fork first" : "lower-numbered fork first");
	for (long i = 0; i < N; i++)
		if ((rc = pthread_create(&t[i], NULL, philosopher, (void *)i)) != 0) {
			fprintf(stderr, "philosophers: pthread_create: %s\n", strerror(rc));
			return EXIT_FAILURE;
		}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL); /* never returns in a deadlock */
	printf("all %d ate %d meals each\n", N, MEALS);
	return EXIT_SUCCESS;
}
