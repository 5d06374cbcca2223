/* solution.c - lab 3, the reference: the supervisor is a child subreaper
 * before it starts anything, so the worker its child leaves behind comes
 * back to it, and it reaps that worker as soon as it ends. */
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
	/* First: orphans of our descendants come to us, not to init. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		die("prctl");
	switch (child = fork()) {
	case -1:
		die("fork");
	case 0:
		daemonize_and_work();
	}
	if (waitpid(child, &status, 0) == -1)
		die("waitpid");
	printf("child ended %d\n", WEXITSTATUS(status));
	/* The worker is ours now: wait() blocks until it ends. */
	if ((pid = wait(&status)) == -1)
		die("wait");
	printf("adopted worker ended %d\n", WEXITSTATUS(status));
	return 0;
}
