/* wrong-stuck-slot.c - lab 5, wrong: get() takes the item at buf.out but
 * never moves buf.out on, so the consumers take the same slot again and
 * again: some items are consumed many times, the others never.
 * Expected verdict: exit and stdout fail. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 8

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	long items[SLOTS];
	int in, out, count;
	bool done; /* no more items will come */
} buf = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };

static long per_producer;
static unsigned char *seen; /* seen[item]: how many times it was consumed */

static void
put(long item)
{
	pthread_mutex_lock(&buf.lock);
	/* A while, not an if: another producer may have filled the slot
	 * between the signal and our wake-up. */
	while (buf.count == SLOTS)
		pthread_cond_wait(&buf.not_full, &buf.lock);
	buf.items[buf.in] = item;
	buf.in = (buf.in + 1) % SLOTS;
	buf.count++;
	pthread_cond_signal(&buf.not_empty);
	pthread_mutex_unlock(&buf.lock);
}

/* The next item, or -1 once the buffer is empty and done. */
static long
get(void)
{
	long item;

	pthread_mutex_lock(&buf.lock);
	while (buf.count == 0 && !buf.done)
		pthread_cond_wait(&buf.not_empty, &buf.lock);
	if (buf.count == 0) {
		pthread_mutex_unlock(&buf.lock);
		return -1;
	}
	item = buf.items[buf.out]; /* the mistake: buf.out stays */
	buf.count--;
	pthread_cond_signal(&buf.not_full);
	pthread_mutex_unlock(&buf.lock);
	return item;
}

static void *
producer(void *arg)
{
	long first = (long)arg * per_producer;

	for (long i = 0; i < per_producer; i++)
		put(first + i);
	return NULL;
}

static void *
consumer(void *arg)
{
	long item;

	(void)arg;
	while ((item = get()) != -1)
		__atomic_add_fetch(&seen[item], 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Every consumer must learn that no more items come: all of them, so a
 * broadcast, not a signal that wakes one. */
static void
finish(void)
{
	pthread_mutex_lock(&buf.lock);
	buf.done = true;
	pthread_cond_broadcast(&buf.not_empty);
	pthread_mutex_unlock(&buf.lock);
}

int
main(int argc, char *argv[])
{
	pthread_t *threads;
	long p, c, total, missing = 0, twice = 0;

	if (argc != 4 || (p = atol(argv[1])) < 1 || (c = atol(argv[2])) < 1 ||
	    (per_producer = atol(argv[3])) < 1 || p > 64 || c > 64) {
		fprintf(stderr, "Usage: %s PRODUCERS CONSUMERS ITEMS-EACH\n", argv[0]);
		exit(2);
	}
	total = p * per_producer;
	seen = calloc((size_t)total, 1);
	threads = calloc((size_t)(p + c), sizeof(*threads));
	if (seen == NULL || threads == NULL) {
		perror("calloc");
		exit(EXIT_FAILURE);
	}
	for (long i = 0; i < c; i++)
		pthread_create(&threads[p + i], NULL, consumer, NULL);
	for (long i = 0; i < p; i++)
		pthread_create(&threads[i], NULL, producer, (void *)i);
	for (long i = 0; i < p; i++)
		pthread_join(threads[i], NULL);
	finish();
	for (long i = 0; i < c; i++)
		pthread_join(threads[p + i], NULL);
	for (long i = 0; i < total; i++) {
		missing += seen[i] == 0;
		twice += seen[i] > 1;
	}
	printf("%ld items: %ld missing, %ld more than once\n", total, missing, twice);
	return missing == 0 && twice == 0 ? 0 : 1;
}
