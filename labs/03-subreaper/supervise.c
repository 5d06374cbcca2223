/* supervise.c - lab 3: a supervisor that reaps the orphans of its
 * descendants.
 *
 * Usage: ./supervise
 *
 * It starts a child that "puts itself in the background", as daemons do:
 * the child forks a worker and exits at once. The supervisor must get
 * that worker back, reap it when it ends, and print
 *
 *     child ended 0
 *     adopted worker ended 7
 *
 * This starter waits for its child only: the worker is adopted by
 * someone else (init, or the judge) and the supervisor never learns how
 * it ended. Read labs/03-subreaper/README.md.
 */
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
	/* TODO: make the worker come back to us when its parent exits. */
	switch (child = fork()) {
	case -1:
		die("fork");
	case 0:
		daemonize_and_work();
	}
	if (waitpid(child, &status, 0) == -1)
		die("waitpid");
	printf("child ended %d\n", WEXITSTATUS(status));
	/* TODO: and reap it when it ends. */
	(void)pid;
	return 0;
}
