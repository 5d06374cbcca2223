/*
 * exec.c - fork, exec, wait: what a shell does for every command. exec
 * replaces the program of the process and keeps its PID; it returns only
 * when it fails, and then the child exits 127 (not found) or 126 (found,
 * not runnable), as a shell reports it.
 *
 * Build and run:  cc exec.c -o exec
 *   ./exec sh -c 'echo I am $$'      the PID the child printed, kept by sh
 *   ./exec no-such-program           exit status 127
 * See lessons/02-exec.md; proclab-exec is the demo.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	int status, exec_errno;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: exec PROGRAM [ARG...]\n");
		return 2;
	}
	setbuf(stdout, NULL);

	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: become PROGRAM, same PID */
		printf("child %ld: exec %s\n", (long)getpid(), argv[1]);
		execvp(argv[1], argv + 1);
		exec_errno = errno; /* execvp returned: it failed */
		warn("execvp %s", argv[1]);
		_exit(exec_errno == ENOENT ? 127 : 126);
	default: /* parent: wait, as a shell does */
		if (waitpid(pid, &status, 0) == -1)
			err(EXIT_FAILURE, "waitpid");
	}
	if (WIFEXITED(status))
		printf("parent: %s exited with status %d\n", argv[1], WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("parent: %s was killed by signal %d\n", argv[1], WTERMSIG(status));
	return EXIT_SUCCESS;
}
