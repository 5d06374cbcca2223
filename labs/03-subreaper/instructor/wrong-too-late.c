/* wrong-too-late.c - lab 3, wrong: it becomes a subreaper only after
 * its child has exited. By then the worker has already been given a new
 * parent (the nearest subreaper above, or init): becoming one later does
 * not bring it back. wait() finds no child and fails with ECHILD.
 * Expected verdict: exit, stdout and orphans fail. */
#define _DEFAULT_SOURCE /* prctl's constants, besides POSIX, under -std=c11 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(EXIT_FAILURE);
}

static void
nap(long ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&t, &t) == -1 && errno == EINTR)
		;
}

/* What a program that puts itself in the background does: fork a worker
 * and exit at once, leaving the worker to run alone. */
static _Noreturn void
daemonize_and_work(void)
{
	switch (fork()) {
	case -1:
		die("fork");
	case 0: /* The worker: a second of work, then status 7. */
		nap(1000);
		_exit(7);
	default:
		_exit(0);
	}
}

int
main(void)
{
	int status;
	pid_t child, pid;

	setbuf(stdout, NULL);
	switch (child = fork()) {
	case -1:
		die("fork");
	case 0:
		daemonize_and_work();
	}
	if (waitpid(child, &status, 0) == -1)
		die("waitpid");
	printf("child ended %d\n", WEXITSTATUS(status));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) /* the mistake: too late */
		die("prctl");
	/* The worker is ours now: wait() blocks until it ends. */
	if ((pid = wait(&status)) == -1)
		die("wait");
	printf("adopted worker ended %d\n", WEXITSTATUS(status));
	return 0;
}
