/*
 * prodcons.c - a bounded buffer: a ring of SLOTS items, one mutex, and two
 * condition variables. A consumer sleeps while the buffer is empty, a
 * producer while it is full; each wakes the other.
 *
 * Build and run:  cc -pthread prodcons.c -o prodcons && ./prodcons 100000
 * One producer puts 1..COUNT, one consumer takes them and checks that the
 * sum is COUNT * (COUNT + 1) / 2.
 * See lessons/13-prodcons.md; proclab-prodcons is the demo.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4

static struct buffer {
	pthread_mutex_t mutex;
	pthread_cond_t not_empty, not_full;
	long slot[SLOTS];
	int head, count;
} buf = { .mutex = PTHREAD_MUTEX_INITIALIZER,
	  .not_empty = PTHREAD_COND_INITIALIZER,
	  .not_full = PTHREAD_COND_INITIALIZER };
static long count;

static void *
produce(void *unused)
{
	struct buffer *b = &buf;

	for (long item = 1; item <= count; item++) {
		pthread_mutex_lock(&b->mutex);
		while (b->count == SLOTS)
			pthread_cond_wait(&b->not_full, &b->mutex);
		b->slot[(b->head + b->count) % SLOTS] = item; /* put */
		b->count++;
		pthread_cond_signal(&b->not_empty); /* an item is there */
		pthread_mutex_unlock(&b->mutex);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct buffer *b = &buf;
	long item, sum = 0;
	pthread_t producer;
	int rc;

	if (argc != 2 || (count = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: prodcons COUNT\n");
		return 2;
	}
	if ((rc = pthread_create(&producer, NULL, produce, NULL)) != 0) {
		fprintf(stderr, "prodcons: pthread_create: %s\n", strerror(rc));
		return EXIT_FAILURE;
	}
	for (long i = 0; i < count; i++) { /* the consumer */
		/* lesson: take */
		pthread_mutex_lock(&b->mutex);
		while (b->count == 0) /* the condition */
			pthread_cond_wait(&b->not_empty, &b->mutex);
		item = b->slot[b->head]; /* take */
		b->head = (b->head + 1) % SLOTS;
		b->count--;
		pthread_cond_signal(&b->not_full); /* a slot is free */
		pthread_mutex_unlock(&b->mutex);
		/* end */
		sum += item;
	}
	pthread_join(producer, NULL);
	printf("took %ld items, sum %ld, expected %ld\n", count, sum, count * (count + 1) / 2);
	return sum == count * (count + 1) / 2 ? EXIT_SUCCESS : EXIT_FAILURE;
}
