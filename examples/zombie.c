/*
 * zombie.c - a child that has exited stays in the process table, in state
 * Z, until its parent waits for it. Waiting is called reaping.
 *
 * Build and run:  cc zombie.c -o zombie && ./zombie
 * While it waits for Enter, look at the child from another shell:
 *   ps -o pid,ppid,stat,comm -p PID       (STAT Z, the command <defunct>)
 * Press Enter and the parent reaps it: the PID is gone.
 * See lessons/04-zombie.md; proclab-zombie is the demo.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	char line[16];
	int status;
	pid_t pid;

	setbuf(stdout, NULL);
	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: exit at once */
		_exit(7);
	default: /* parent: do not wait yet */
		break;
	}

	printf("child %ld has exited and is a zombie: press Enter to reap it\n", (long)pid);
	if (fgets(line, sizeof line, stdin) == NULL && ferror(stdin))
		err(EXIT_FAILURE, "stdin");

	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	printf("reaped child %ld, exit status %d\n", (long)pid, WEXITSTATUS(status));
	return EXIT_SUCCESS;
}
