/*
 * sigchld.c - a SIGCHLD handler reaps in a loop. Ordinary signals are not
 * counted: children that exit while SIGCHLD is blocked leave one pending
 * signal, so a handler that calls waitpid() once would leave zombies.
 *
 * Build and run:  cc sigchld.c -o sigchld && ./sigchld 5
 * The children exit while SIGCHLD is blocked and wait as zombies (see them
 * with ps --ppid PID); Enter unblocks the signal, and one call of the
 * handler reaps them all. Enter again ends the program.
 * See lessons/04-zombie.md; proclab-zombie is the demo.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handled, reaped;

/* lesson: handler */
static void
on_sigchld(int sig)
{
	int saved = errno;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped++; /* reap every child that has ended by now */
	handled++;
	errno = saved;
}
/* end */

int
main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };
	int n = argc == 2 ? atoi(argv[1]) : 0;
	siginfo_t info;
	sigset_t chld;
	pid_t pid;

	if (argc != 2 || n < 1 || n > 100) {
		fprintf(stderr, "usage: sigchld CHILDREN    (1 to 100)\n");
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		err(EXIT_FAILURE, "sigaction");
	if (sigprocmask(SIG_BLOCK, &chld, NULL) == -1)
		err(EXIT_FAILURE, "sigprocmask");
	setbuf(stdout, NULL);
	for (int i = 0; i < n; i++) {
		switch (pid = fork()) {
		case -1:
			err(EXIT_FAILURE, "fork");
		case 0: /* child: exit at once */
			_exit(EXIT_SUCCESS);
		}
		/* Wait until it is a zombie, without reaping it (WNOWAIT). */
		if (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) == -1)
			err(EXIT_FAILURE, "waitid");
	}
	printf("%d zombies, SIGCHLD blocked: press Enter to unblock it\n", n);
	getchar();
	if (sigprocmask(SIG_UNBLOCK, &chld, NULL) == -1) /* the handler runs here */
		err(EXIT_FAILURE, "sigprocmask");
	printf("%d children, the handler ran %d time(s), reaped %d: press Enter to end\n", n,
	       (int)handled, (int)reaped);
	getchar();
	return EXIT_SUCCESS;
}
