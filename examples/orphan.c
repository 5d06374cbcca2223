/*
 * orphan.c - a child whose parent exits is adopted: its parent becomes the
 * nearest ancestor that is a child subreaper (prctl(2),
 * PR_SET_CHILD_SUBREAPER), or init, PID 1. Never the grandparent.
 *
 * Build and run:  cc orphan.c -o orphan && ./orphan
 * The parent exits at once; the child waits until getppid() changes,
 * prints its new parent, and lives on for SECONDS (default 10), so that
 *   ps -o pid,ppid,comm -p PID
 * shows it with its new parent.
 * See lessons/05-orphan.md; proclab-orphan is the demo.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;
	pid_t parent = getpid(), pid;

	if (argc > 2 || seconds < 1) {
		fprintf(stderr, "usage: orphan [SECONDS]\n");
		return 2;
	}
	setbuf(stdout, NULL);

	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child */
		while (getppid() == parent) /* until the parent has gone */
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		printf("child %ld: parent %ld has gone, adopted by %ld\n", (long)getpid(),
		       (long)parent, (long)getppid());
		sleep(seconds);
		_exit(EXIT_SUCCESS);
	default: /* parent: exit without waiting */
		printf("parent %ld: forked child %ld, exiting\n", (long)parent, (long)pid);
		return EXIT_SUCCESS;
	}
}
