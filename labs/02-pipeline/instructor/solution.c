/* solution.c - lab 2, the reference: seq 1 10000000 | grep 7 | wc -l, with
 * every pipe end closed where it is not used. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(EXIT_FAILURE);
}

/* Start ARGV with IN as its stdin and OUT as its stdout (-1: keep ours).
 * The child closes every other end of P1 and P2: a write end left open
 * in the reader keeps its own input from ever ending. */
static pid_t
start(char *const argv[], int in, int out, const int p1[2], const int p2[2])
{
	pid_t pid = fork();

	switch (pid) {
	case -1:
		die("fork");
	case 0:
		if (in != -1 && dup2(in, STDIN_FILENO) == -1)
			die("dup2");
		if (out != -1 && dup2(out, STDOUT_FILENO) == -1)
			die("dup2");
		close(p1[0]);
		close(p1[1]);
		close(p2[0]);
		close(p2[1]);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	default:
		return pid;
	}
}

int
main(void)
{
	char *seq[] = { "seq", "1", "10000000", NULL };
	char *grep[] = { "grep", "7", NULL };
	char *wc[] = { "wc", "-l", NULL };
	int p1[2], p2[2], status, ok = 0;
	pid_t pids[3];

	if (pipe(p1) == -1 || pipe(p2) == -1)
		die("pipe");
	pids[0] = start(seq, -1, p1[1], p1, p2);
	pids[1] = start(grep, p1[0], p2[1], p1, p2);
	pids[2] = start(wc, p2[0], -1, p1, p2);
	/* The parent uses no end: with its write ends open, grep and wc
	 * would wait for input for ever. */
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	for (int i = 0; i < 3; i++) {
		if (waitpid(pids[i], &status, 0) == -1)
			die("waitpid");
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	printf("%d of 3 children exited 0\n", ok);
	return ok == 3 ? EXIT_SUCCESS : EXIT_FAILURE;
}
