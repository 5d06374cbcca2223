/* wrong-eintr.c - lab 12, wrong: a SIGCHLD handler that reaps in a
 * WNOHANG loop, but installed without SA_RESTART. The first worker's end
 * interrupts the loop's read(), which fails with EINTR, and the program
 * gives up ("read: Interrupted system call") with the other workers still
 * running. Expected verdict: exit, stdout and orphans fail. */
#define _POSIX_C_SOURCE 200809L /* sigaction, clock_nanosleep under -std=c11 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TICKS 10

static struct timespec start; /* when the parent began, for every child */

/* Sleep MS milliseconds, all of them even if a signal comes. */
static void
nap(long ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&t, &t) == -1 && errno == EINTR)
		;
}

/* Sleep until MS milliseconds after start: children that sleep until the
 * same moment wake at the same timer expiry, and end together. */
static void
sleep_until(long ms)
{
	struct timespec t = start;

	t.tv_sec += ms / 1000;
	t.tv_nsec += ms % 1000 * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* The ticker: TICKS lines, 100 ms apart, then it closes the pipe. */
static void
ticker(int out)
{
	for (int i = 0; i < TICKS; i++) {
		nap(100);
		if (write(out, "tick\n", 5) != 5)
			_exit(1);
	}
	_exit(0);
}

static volatile sig_atomic_t reaped, sum;

/* One SIGCHLD may stand for several children: reap them all. */
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

int
main(int argc, char *argv[])
{
	struct sigaction sa = { 0 };
	char buf[256];
	int n, pfd[2], ticks = 0;
	sigset_t chld, old;
	ssize_t got;

	if (argc != 2 || (n = atoi(argv[1])) < 1 || n > 32) {
		fprintf(stderr, "Usage: %s N   (1 to 32 workers)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP; /* the mistake: no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL) == -1) {
		perror("sigaction");
		exit(EXIT_FAILURE);
	}
	if (pipe(pfd) == -1) {
		perror("pipe");
		exit(EXIT_FAILURE);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = -1; i < n; i++) { /* -1 is the ticker */
		switch (fork()) {
		case -1:
			perror("fork");
			exit(EXIT_FAILURE);
		case 0:
			close(pfd[0]);
			if (i == -1)
				ticker(pfd[1]);
			close(pfd[1]);
			sleep_until(i == 0 ? 150 : 450); /* worker i's work */
			_exit(i);
		default:
			break;
		}
	}
	close(pfd[1]);

	/* The event loop: one tick a line, until the ticker is done. */
	while ((got = read(pfd[0], buf, sizeof buf)) != 0) {
		if (got == -1) {
			perror("read");
			exit(EXIT_FAILURE);
		}
		for (ssize_t i = 0; i < got; i++)
			ticks += buf[i] == '\n';
	}

	/* The last ones, without a race: block, test, and let sigsuspend
	 * unblock and sleep in one step. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	while (reaped < n + 1)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("%d ticks; reaped %d children, statuses add up to %d\n", ticks, (int)reaped, (int)sum);
	return 0;
}
