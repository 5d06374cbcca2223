/* orphan-thread.c - whose is a child whose thread exits?
 *
 * Usage: orphan-thread
 *
 * A second thread (not the main one) forks a child that asks, with
 * prctl(PR_SET_PDEATHSIG, SIGUSR1), for a signal when its parent dies.
 * Then that thread exits; the process, its main thread, lives on. Two
 * facts show:
 *  - the child gets SIGUSR1: its "parent" for PR_SET_PDEATHSIG was the
 *    thread that forked it (prctl(2));
 *  - the child's parent is still this process (getppid() is our PID, not
 *    a subreaper's or init's): the kernel gave it to another live thread
 *    of the dying thread's process first (find_alive_thread() in
 *    find_new_reaper(), kernel/exit.c).
 * The child reports what it saw through a pipe, and the main thread
 * reaps it:
 *
 *     signal SIGUSR1 ppid-before 4242 ppid-after 4242 process 4242 reaped yes
 *
 * Used by tests/truth.sh (lessons 4 and 5).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct report {
	int signal;            /* the death signal the child got, 0 if none */
	long ppid_before;      /* getppid() while the forking thread lived */
	long ppid_after;       /* getppid() after the signal */
};

static int ready[2], report[2];
static pid_t child;
static volatile sig_atomic_t got;

static void
on_signal(int sig)
{
	got = sig;
}

/* The child: ask for SIGUSR1 when the parent thread dies, say it is
 * ready, and wait for the signal (5 s at most), then report. */
static void
child_part(void)
{
	struct report r = { 0, (long)getppid(), 0 };
	struct sigaction sa = { 0 };
	sigset_t usr1, old;

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR1) == -1)
		_exit(1);
	if (write(ready[1], "r", 1) != 1)
		_exit(1);
	alarm(5);
	while (!got)
		sigsuspend(&old); /* SIGALRM ends the child: no report */
	r.signal = got;
	r.ppid_after = (long)getppid();
	_exit(write(report[1], &r, sizeof r) == sizeof r ? 0 : 1);
}

/* The second thread: forks the child, waits until it is ready, exits. */
static void *
forker(void *arg)
{
	char c;

	(void)arg;
	switch (child = fork()) {
	case -1:
		perror("fork");
		exit(2);
	case 0:
		child_part();
		_exit(1);
	default:
		break;
	}
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "the child never got ready\n");
		exit(2);
	}
	return NULL; /* this thread ends: the child's parent thread dies */
}

int
main(void)
{
	struct report r;
	pthread_t t;
	int status;

	alarm(30);
	if (pipe(ready) == -1 || pipe(report) == -1) {
		perror("pipe");
		return 2;
	}
	if (pthread_create(&t, NULL, forker, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 2;
	}
	pthread_join(t, NULL);
	/* The main thread lives on and reaps the child. */
	if (waitpid(child, &status, 0) != child) {
		perror("waitpid");
		return 2;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    read(report[0], &r, sizeof r) != sizeof r) {
		printf("signal none (child status %#x) process %ld reaped yes\n", status,
		       (long)getpid());
		return 0;
	}
	printf("signal %s ppid-before %ld ppid-after %ld process %ld reaped yes\n",
	       r.signal == SIGUSR1 ? "SIGUSR1" : "other", r.ppid_before, r.ppid_after,
	       (long)getpid());
	return 0;
}
