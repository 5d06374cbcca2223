/* solution.c - lab 12, the reference: SIGCHLD blocked and read from a
 * signalfd, polled with the tick pipe; each record leads to a WNOHANG
 * loop that reaps every child that has ended. */
#define _GNU_SOURCE /* signalfd */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
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

/* Reap every child that has ended, without blocking. One SIGCHLD, or
 * one signalfd record, may stand for several children: signals of one
 * kind do not queue. */
static void
reap(int *reaped, int *sum)
{
	int status;

	while (waitpid(-1, &status, WNOHANG) > 0) {
		(*reaped)++;
		*sum += WEXITSTATUS(status);
	}
}

int
main(int argc, char *argv[])
{
	struct signalfd_siginfo info[8];
	struct pollfd fds[2];
	char buf[256];
	int n, pfd[2], sfd, ticks = 0, reaped = 0, sum = 0, open_pipe = 1;
	sigset_t chld, old;
	ssize_t got;

	if (argc != 2 || (n = atoi(argv[1])) < 1 || n > 32) {
		fprintf(stderr, "Usage: %s N   (1 to 32 workers)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	/* SIGCHLD blocked, and read from a descriptor instead: no handler,
	 * so no system call is ever interrupted, and the loop waits for
	 * ticks and children in one poll(). Blocked before the first fork,
	 * so that no SIGCHLD comes before the signalfd exists. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &old) == -1 ||
	    (sfd = signalfd(-1, &chld, SFD_CLOEXEC)) == -1 || pipe(pfd) == -1) {
		perror("signalfd or pipe");
		exit(EXIT_FAILURE);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = -1; i < n; i++) { /* -1 is the ticker */
		switch (fork()) {
		case -1:
			perror("fork");
			exit(EXIT_FAILURE);
		case 0:
			sigprocmask(SIG_SETMASK, &old, NULL); /* the mask is inherited */
			close(sfd);
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

	/* The event loop: ticks from the pipe, ended children from the
	 * signalfd, until the ticker is done and every child is reaped. */
	fds[0] = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	while (open_pipe || reaped < n + 1) {
		if (poll(fds, 2, -1) == -1) {
			perror("poll");
			exit(EXIT_FAILURE);
		}
		if (fds[0].revents) {
			got = read(pfd[0], buf, sizeof buf);
			if (got == -1) {
				perror("read");
				exit(EXIT_FAILURE);
			}
			for (ssize_t i = 0; i < got; i++)
				ticks += buf[i] == '\n';
			if (got == 0) {
				open_pipe = 0;
				fds[0].fd = -1; /* poll() skips it from now on */
			}
		}
		if (fds[1].revents) {
			if (read(sfd, info, sizeof info) == -1) {
				perror("read signalfd");
				exit(EXIT_FAILURE);
			}
			reap(&reaped, &sum);
		}
	}
	printf("%d ticks; reaped %d children, statuses add up to %d\n", ticks, reaped, sum);
	return 0;
}
