/* mutex-spin.c - does a waiter on a glibc mutex spin before it sleeps?
 *
 * Usage: mutex-spin   (run with GLIBC_TUNABLES=glibc.pthread.mutex_spin_count=32767)
 *
 * A holder thread takes the mutex and keeps it 1 ms past the moment the
 * waiter calls pthread_mutex_lock(); the waiter measures its own CPU time
 * (CLOCK_THREAD_CPUTIME_ID) over the call. A waiter that goes straight to
 * the futex sleeps at once and uses a few microseconds however long the
 * spin count; one that spins burns CPU until the count runs out. Rounds
 * are repeated because glibc's adaptive mutex learns its spin limit
 * (__spins, nptl/pthread_mutex_lock.c), and the median of the last
 * rounds is printed for a PTHREAD_MUTEX_DEFAULT mutex and for a
 * PTHREAD_MUTEX_ADAPTIVE_NP one:
 *
 *     default 4 us adaptive 850 us
 *
 * Used by tests/truth.sh (lesson 7, instructor's exercise 5).
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 120
#define MEASURED 21 /* the last rounds, whose median is printed */

static pthread_mutex_t mutex;
/* Round numbers: the holder has the mutex, the waiter asks for it, the
 * waiter has had it. */
static atomic_int held, asking, done;
static long cpu_ns[ROUNDS];

static long
thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *
holder(void *arg)
{
	(void)arg;
	for (int round = 1; round <= ROUNDS; round++) {
		/* Not before the waiter has had the last round's turn: an
		 * unlock does not hand the mutex over, it could be retaken. */
		while (atomic_load(&done) != round - 1)
			sched_yield();
		pthread_mutex_lock(&mutex);
		atomic_store(&held, round);
		while (atomic_load(&asking) != round)
			sched_yield();
		/* The waiter is in (or about to be in) pthread_mutex_lock(). */
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		pthread_mutex_unlock(&mutex);
	}
	return NULL;
}

static void *
waiter(void *arg)
{
	(void)arg;
	for (int round = 1; round <= ROUNDS; round++) {
		while (atomic_load(&held) != round)
			sched_yield();
		long start = thread_cpu_ns();
		atomic_store(&asking, round);
		pthread_mutex_lock(&mutex);
		cpu_ns[round - 1] = thread_cpu_ns() - start;
		pthread_mutex_unlock(&mutex);
		atomic_store(&done, round);
	}
	return NULL;
}

static int
by_value(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The median CPU time, in microseconds, of a waiter on a mutex of TYPE. */
static long
median_us(int type)
{
	pthread_mutexattr_t attr;
	pthread_t h, w;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, type);
	pthread_mutex_init(&mutex, &attr);
	atomic_store(&held, 0);
	atomic_store(&asking, 0);
	atomic_store(&done, 0);
	if (pthread_create(&h, NULL, holder, NULL) != 0 ||
	    pthread_create(&w, NULL, waiter, NULL) != 0) {
		perror("pthread_create");
		exit(2);
	}
	pthread_join(h, NULL);
	pthread_join(w, NULL);
	pthread_mutex_destroy(&mutex);
	qsort(cpu_ns + ROUNDS - MEASURED, MEASURED, sizeof(long), by_value);
	return cpu_ns[ROUNDS - MEASURED / 2 - 1] / 1000;
}

int
main(void)
{
	alarm(60); /* a bound on the spinning, whatever happens */
	long d = median_us(PTHREAD_MUTEX_DEFAULT);
	long a = median_us(PTHREAD_MUTEX_ADAPTIVE_NP);

	printf("default %ld us adaptive %ld us\n", d, a);
	return 0;
}
