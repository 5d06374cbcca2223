/* solution.c - lab 6, the reference: every transfer locks its two
 * accounts in one global order, the lower number first, so no two
 * threads can each hold the lock the other wants. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ACCOUNTS 10
#define START 1000 /* each account's balance at the start */

static struct account {
	pthread_mutex_t lock;
	long balance;
} accounts[ACCOUNTS];

static long transfers_each;

/* Move AMOUNT from account FROM to account TO. */
static void
transfer(int from, int to, long amount)
{
	int first = from < to ? from : to, second = from < to ? to : from;

	pthread_mutex_lock(&accounts[first].lock);
	pthread_mutex_lock(&accounts[second].lock);
	accounts[from].balance -= amount;
	accounts[to].balance += amount;
	pthread_mutex_unlock(&accounts[second].lock);
	pthread_mutex_unlock(&accounts[first].lock);
}

static void *
teller(void *arg)
{
	unsigned seed = (unsigned)(long)arg;

	for (long i = 0; i < transfers_each; i++) {
		int from = rand_r(&seed) % ACCOUNTS, to = rand_r(&seed) % ACCOUNTS;
		if (from != to)
			transfer(from, to, rand_r(&seed) % 10);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t threads[64];
	long tellers, total = 0;

	if (argc != 3 || (tellers = atol(argv[1])) < 1 || tellers > 64 ||
	    (transfers_each = atol(argv[2])) < 1) {
		fprintf(stderr, "Usage: %s TELLERS TRANSFERS-EACH\n", argv[0]);
		exit(2);
	}
	for (int a = 0; a < ACCOUNTS; a++) {
		pthread_mutex_init(&accounts[a].lock, NULL);
		accounts[a].balance = START;
	}
	for (long t = 0; t < tellers; t++)
		pthread_create(&threads[t], NULL, teller, (void *)(t + 1));
	for (long t = 0; t < tellers; t++)
		pthread_join(threads[t], NULL);
	for (int a = 0; a < ACCOUNTS; a++)
		total += accounts[a].balance;
	printf("total %ld in %d accounts\n", total, ACCOUNTS);
	return total == (long)ACCOUNTS * START ? 0 : 1;
}
