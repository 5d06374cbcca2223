/* solution.c - lab 1, the reference: a SIGCHLD handler with a WNOHANG
 * loop reaps each child while the parent works. */
#define _POSIX_C_SOURCE 200809L /* sigaction, nanosleep under -std=c11 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t reaped, sum;

/* One SIGCHLD may stand for several children: signals of one kind do not
 * queue. So reap until there is no zombie left, without blocking. */
static void
on_sigchld(int sig)
{
	int saved = errno, status;

	(void)sig;
	while (waitpid(-1, &status, WNOHANG) > 0) {
		reaped++;
		sum += WEXITSTATUS(status);
	}
	errno = saved;
}

/* Sleep MS milliseconds, all of them even if a signal comes. */
static void
nap(long ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&t, &t) == -1 && errno == EINTR)
		;
}

/* The parent's own work: 1.5 s. A signal cuts a nanosleep short; the
 * rest of the step is slept again. */
static void
work(void)
{
	for (int step = 0; step < 30; step++) {
		struct timespec t = { 0, 50 * 1000 * 1000 };
		while (nanosleep(&t, &t) == -1 && errno == EINTR)
			;
	}
}

int
main(int argc, char *argv[])
{
	struct sigaction sa = { 0 };
	sigset_t chld, old;
	int n;

	if (argc != 2 || (n = atoi(argv[1])) < 1 || n > 64) {
		fprintf(stderr, "Usage: %s N   (1 to 64 children)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL) == -1) {
		perror("sigaction");
		exit(EXIT_FAILURE);
	}
	for (int i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			perror("fork");
			exit(EXIT_FAILURE);
		case 0:
			nap(250 * (i + 1));
			_exit(i);
		default:
			break;
		}
	}

	work();

	/* Wait for the last ones without a race: block SIGCHLD, test, and
	 * let sigsuspend unblock it and sleep in one step. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	while (reaped < n)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("reaped %d children, their statuses add up to %d\n", (int)reaped, (int)sum);
	return 0;
}
