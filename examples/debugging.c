/*
 * debugging.c - a fork and an exec, to watch from outside with a tracer
 * or a debugger. The child prints its PID, then becomes `true`; the
 * parent waits for it. Nothing here is wrong: the point is to see both
 * processes in strace and gdb, which by default follow only the parent.
 *
 * Build and run:  cc -g debugging.c -o debugging
 *   strace -f -e trace=process ./debugging   clone, execve, wait4, exit: each
 *                                            line starts with the PID
 *   gdb -ex 'set follow-fork-mode child' -ex 'set detach-on-fork off' \
 *       -ex 'catch exec' -ex run ./debugging  stops in the child at exec
 * See lessons/20-debugging.md.
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

	if (argc != 1) {
		fprintf(stderr, "usage: %s   (under strace -f or gdb)\n", argv[0]);
		return 2;
	}
	setbuf(stdout, NULL);
	/* lesson: fork-exec */
	switch (pid = fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: strace -f shows its calls; gdb follows it if told */
		printf("child %ld: exec true\n", (long)getpid());
		execlp("true", "true", (char *)NULL);
		exec_errno = errno;
		warn("execlp true");
		_exit(exec_errno == ENOENT ? 127 : 126);
	default: /* parent: what gdb and strace follow by default */
		if (waitpid(pid, &status, 0) == -1)
			err(EXIT_FAILURE, "waitpid");
	}
	/* end */
	printf("parent %ld: child %ld exited with status %d\n", (long)getpid(), (long)pid,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return EXIT_SUCCESS;
}
