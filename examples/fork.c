/*
 * fork.c - fork() returns twice: the child's PID in the parent, 0 in the
 * child. The child gets a copy of the parent's memory, not a share of it.
 *
 * Build and run:  cc fork.c -o fork && ./fork
 * The child prints its own PID and its parent's; the parent prints the PID
 * fork() gave it. The child's change to `value` never reaches the parent.
 * See lessons/01-fork.md; proclab-fork is the demo that proves each claim.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	int value = 1;
	pid_t pid;

	setbuf(stdout, NULL); /* unbuffered: nothing is copied by fork and printed twice */
	/* lesson: fork */
	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: a copy of the parent, starting here */
		value = 2;
		printf("child  %ld: my parent is %ld, value %d\n", (long)getpid(),
		       (long)getppid(), value);
		_exit(EXIT_SUCCESS);
	default: /* parent: pid is the child's PID */
		if (waitpid(pid, NULL, 0) == -1)
			err(EXIT_FAILURE, "waitpid");
		printf("parent %ld: my child was %ld, value %d\n", (long)getpid(), (long)pid,
		       value);
	}
	/* end */
	return EXIT_SUCCESS;
}
