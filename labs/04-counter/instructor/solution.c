/* solution.c - lab 4, the reference: the increments under a mutex that
 * lives in the shared mapping and is marked PTHREAD_PROCESS_SHARED. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, besides POSIX, under -std=c11 */

#include <pthread.h>
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
	pthread_mutex_t lock;
	long counter;
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
	pthread_mutexattr_t attr;
	struct shared *s;
	long n, m;

	if (argc != 3 || (n = atol(argv[1])) < 1 || n > 64 || (m = atol(argv[2])) < 1) {
		fprintf(stderr, "Usage: %s PROCESSES INCREMENTS\n", argv[0]);
		exit(2);
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		die("mmap");
	/* A mutex other processes use must say so: the default type is for
	 * the threads of one process only. */
	if (pthread_mutexattr_init(&attr) != 0 ||
	    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutex_init(&s->lock, &attr) != 0)
		die("pthread_mutex_init");
	for (long i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			die("fork");
		case 0:
			atomic_fetch_add(&s->ready, 1);
			while (!atomic_load(&s->go))
				sched_yield();
			for (long k = 0; k < m; k++) {
				pthread_mutex_lock(&s->lock);
				s->counter++;
				pthread_mutex_unlock(&s->lock);
			}
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
