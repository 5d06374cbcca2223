/* reap.c - lab 1: reap every child as soon as it ends.
 *
 * Usage: ./reap N
 *
 * The parent starts N children and then does 1.5 seconds of work of its
 * own. Child i sleeps a while and exits with status i. The parent must
 * reap each child within 100 ms of its end, while it works, then print
 *
 *     reaped N children, their statuses add up to S
 *
 * and exit 0. This starter reaps them only when its work is done, so
 * every child stays a zombie for most of a second: run the judge to see
 * it say so. Read labs/01-reap/README.md for the task.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, nanosleep under -std=c11 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sleep MS milliseconds, all of them even if a signal comes. */
static void
nap(long ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&t, &t) == -1 && errno == EINTR)
		;
}

/* The parent's own work: 1.5 s, in 30 steps of 50 ms. */
static void
work(void)
{
	for (int step = 0; step < 30; step++) {
		struct timespec t = { 0, 50 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
}

int
main(int argc, char *argv[])
{
	int n, reaped = 0, sum = 0, status;

	if (argc != 2 || (n = atoi(argv[1])) < 1 || n > 64) {
		fprintf(stderr, "Usage: %s N   (1 to 64 children)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	for (int i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			perror("fork");
			exit(EXIT_FAILURE);
		case 0: /* Child i: sleeps 250 ms more than the one before, then ends. */
			nap(250 * (i + 1));
			_exit(i);
		default:
			break;
		}
	}

	work();

	/* TODO: this reaps too late. Reap each child as soon as it ends. */
	while (wait(&status) > 0) {
		reaped++;
		sum += WEXITSTATUS(status);
	}
	printf("reaped %d children, their statuses add up to %d\n", reaped, sum);
	return 0;
}
