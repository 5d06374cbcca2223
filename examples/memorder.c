/*
 * memorder.c - the store-buffering test. Each of two threads stores 1 to
 * its own variable, then loads the other's. In any interleaving of the
 * four steps at least one load sees 1, yet on x86 (and ARM) both loads
 * can read 0: each store waits in its CPU's store buffer while the load
 * behind it goes ahead. A seq_cst fence between the store and the load
 * (mfence on x86) forbids that.
 *
 * Build and run:  cc -pthread memorder.c -o memorder
 *   ./memorder 200000          count the tries in which both loads read 0
 *   ./memorder 200000 fence    the same with the fence: never
 * See lessons/25-memorder.md; proclab-memorder is the demo.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int x, y, round_started, round_done;
static int use_fence;

static int
store_then_load(atomic_int *mine, atomic_int *other)
{
	/* lesson: store-load */
	atomic_store_explicit(mine, 1, memory_order_relaxed);
	if (use_fence)
		atomic_thread_fence(memory_order_seq_cst); /* mfence: the store first */
	else
		atomic_signal_fence(memory_order_seq_cst); /* for the compiler only */
	return atomic_load_explicit(other, memory_order_relaxed);
	/* end */
}

static long tries;
static int seen_by_b;

/* Spin until *flag is round: the other thread is then running too. */
static void
wait_for(atomic_int *flag, int round)
{
	for (int spins = 1; atomic_load(flag) != round; spins++)
		if (spins % 10000 == 0)
			sched_yield(); /* it may need this CPU to get there */
}

static void *
thread_b(void *unused)
{
	for (int round = 1; round <= tries; round++) {
		wait_for(&round_started, round);
		seen_by_b = store_then_load(&y, &x);
		atomic_store(&round_done, round);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	long both_zero = 0;
	pthread_t b;
	int rc;

	if (argc < 2 || argc > 3 || (tries = atol(argv[1])) < 1 || tries > 100000000 ||
	    (argc == 3 && strcmp(argv[2], "fence") != 0)) {
		fprintf(stderr, "usage: memorder TRIES [fence]    (1 to 100000000 tries)\n");
		return 2;
	}
	use_fence = argc == 3;
	if ((rc = pthread_create(&b, NULL, thread_b, NULL)) != 0) {
		fprintf(stderr, "memorder: pthread_create: %s\n", strerror(rc));
		return EXIT_FAILURE;
	}
	for (int round = 1; round <= tries; round++) { /* this thread is A */
		atomic_store(&x, 0);
		atomic_store(&y, 0);
		atomic_store(&round_started, round); /* go */
		int seen_by_a = store_then_load(&x, &y);
		wait_for(&round_done, round);
		both_zero += seen_by_a == 0 && seen_by_b == 0;
	}
	pthread_join(b, NULL);
	printf("%s: both loads read 0 in %ld of %ld tries\n", use_fence ? "fence" : "no fence",
	       both_zero, tries);
	return EXIT_SUCCESS;
}
