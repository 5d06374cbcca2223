/* counter.c - lab 4: a counter shared by N processes that loses no update.
 *
 * Usage: ./counter PROCESSES INCREMENTS
 *
 * Each of PROCESSES children adds 1 to a counter in shared memory
 * INCREMENTS times, all at once (they wait at a start line first). The
 * parent waits for them and prints
 *
 *     total PROCESSES*INCREMENTS
 *
 * This starter has no lock: counter++ is a load, an add and a store, and
 * two processes that interleave them lose updates. Run it a few times;
 * run the judge, which runs it 8 times, 2 of them on one CPU. Read
 * labs/04-counter/README.md.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, besides POSIX, under -std=c11 */

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the processes share: one page, mapped before fork. */
struct shared {
	atomic_int ready; /* children waiting at the start line */
	atomic_int go;    /* the parent's start signal */
	volatile long counter;
};

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(EXIT_FAILURE);
}

int
main(int argc, char *argv[])
{
	struct shared *s;
	long n, m;

	if (argc != 3 || (n = atol(argv[1])) < 1 || n > 64 || (m = atol(argv[2])) < 1) {
		fprintf(stderr, "Usage: %s PROCESSES INCREMENTS\n", argv[0]);
		exit(2);
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		die("mmap");
	for (long i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			die("fork");
		case 0:
			atomic_fetch_add(&s->ready, 1);
			while (!atomic_load(&s->go))
				sched_yield();
			for (long k = 0; k < m; k++)
				s->counter++; /* TODO: two processes must not do this at once */
			_exit(EXIT_SUCCESS);
		}
	}
	while (atomic_load(&s->ready) < n)
		sched_yield();
	atomic_store(&s->go, 1);
	while (wait(NULL) > 0)
		;
	printf("total %ld\n", s->counter);
	return 0;
}
