/*
 * threads-vs-procs.c - a thread shares its process's memory; a child
 * process gets a copy. A thread is a task of the same process, with the
 * same PID; a child is a process of its own.
 *
 * Build and run:  cc -pthread threads-vs-procs.c -o threads-vs-procs
 * Both add 1 to the global `counter`: the thread's change is seen by main,
 * the child's is not. Each prints its PID: the thread's is main's.
 * See lessons/16-threads-vs-procs.md; proclab-threads-vs-procs is the demo.
 */
#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int counter;

static void *
thread_adds(void *unused)
{
	counter++;
	printf("thread: PID %ld, counter %d\n", (long)getpid(), counter);
	return NULL;
}

int
main(void)
{
	pthread_t thread;
	pid_t pid;
	int rc;

	setbuf(stdout, NULL);
	printf("main:   PID %ld, counter %d\n", (long)getpid(), counter);
	if ((rc = pthread_create(&thread, NULL, thread_adds, NULL)) != 0)
		errx(EXIT_FAILURE, "pthread_create: %s", strerror(rc));
	if ((rc = pthread_join(thread, NULL)) != 0)
		errx(EXIT_FAILURE, "pthread_join: %s", strerror(rc));
	printf("main:   after the thread, counter %d\n", counter);

	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: adds to its own copy */
		counter++;
		printf("child:  PID %ld, counter %d\n", (long)getpid(), counter);
		_exit(EXIT_SUCCESS);
	default:
		if (waitpid(pid, NULL, 0) == -1)
			err(EXIT_FAILURE, "waitpid");
	}
	printf("main:   after the child, counter %d\n", counter);
	return EXIT_SUCCESS;
}
