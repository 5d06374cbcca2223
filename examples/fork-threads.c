/*
 * fork-threads.c - fork() in a threaded program copies only the calling
 * thread. A mutex that another thread held at the moment of the copy stays
 * locked in the child for ever: nobody there will unlock it.
 * pthread_atfork() handlers that take the lock around fork() fix that.
 *
 * Build and run:  cc -pthread fork-threads.c -o fork-threads
 *   ./fork-threads          the child finds cache_lock held (EBUSY)
 *   ./fork-threads atfork   with the handlers, the child can take it
 * See lessons/22-fork-threads.md; proclab-fork-threads is the demo.
 */
#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t lock_held;

static void *
holder(void *unused)
{
	pthread_mutex_lock(&cache_lock);
	pthread_barrier_wait(&lock_held);
	nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL); /* hold it 0.1 s */
	pthread_mutex_unlock(&cache_lock);
	return NULL;
}

/* lesson: atfork */
static void
prepare(void)
{
	pthread_mutex_lock(&cache_lock);
}

static void
parent_after(void)
{
	pthread_mutex_unlock(&cache_lock);
}

static void
child_after(void)
{
	pthread_mutex_unlock(&cache_lock);
}
/* end */

int
main(int argc, char *argv[])
{
	pthread_t thread;
	int rc, status;
	pid_t pid;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "atfork") != 0)) {
		fprintf(stderr, "usage: fork-threads [atfork]\n");
		return 2;
	}
	if (argc == 2 && (rc = pthread_atfork(prepare, parent_after, child_after)) != 0)
		errx(EXIT_FAILURE, "pthread_atfork: %s", strerror(rc));
	if ((rc = pthread_barrier_init(&lock_held, NULL, 2)) != 0 ||
	    (rc = pthread_create(&thread, NULL, holder, NULL)) != 0)
		errx(EXIT_FAILURE, "pthread: %s", strerror(rc));
	pthread_barrier_wait(&lock_held); /* the other thread holds cache_lock now */
	setbuf(stdout, NULL);

	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: one thread, and a copy of the lock as it was */
		rc = pthread_mutex_trylock(&cache_lock);
		printf("child: cache_lock %s\n", rc == 0 ? "taken" : strerror(rc));
		_exit(rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
	default: /* parent */
		if (waitpid(pid, &status, 0) == -1)
			err(EXIT_FAILURE, "waitpid");
		pthread_join(thread, NULL);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILURE;
}
