/*
 * wait.c - waitpid() hands the parent one status word; the W* macros of
 * wait(2) say whether the child exited (and with what code) or was killed
 * by a signal (and which).
 *
 * Build and run:  cc wait.c -o wait
 *   ./wait exit 42    the child calls _exit(42)
 *   ./wait exit 300   only the low 8 bits survive: 44
 *   ./wait pause      the child waits for a signal: kill it from a shell
 * See lessons/03-wait.md; proclab-wait is the demo.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: wait exit CODE | wait pause\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	int code = 0, status;
	pid_t pid;

	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		code = atoi(argv[2]);
	else if (argc != 2 || strcmp(argv[1], "pause") != 0)
		usage();
	setbuf(stdout, NULL);

	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child */
		if (argc == 2) {
			printf("child %ld: waiting for a signal\n", (long)getpid());
			for (;;)
				pause();
		}
		_exit(code);
	default: /* parent */
		break;
	}

	/* lesson: decode */
	if (waitpid(pid, &status, 0) == -1)
		err(EXIT_FAILURE, "waitpid");
	if (WIFEXITED(status))
		printf("child %ld exited with status %d\n", (long)pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("child %ld was killed by signal %d (%s)\n", (long)pid, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	/* end */
	return EXIT_SUCCESS;
}
