/*
 * signals.c - a signal that a handler catches interrupts a blocked read():
 * without SA_RESTART, read() fails with EINTR and the program must call it
 * again; with SA_RESTART, the kernel calls it again by itself. The handler
 * only sets a volatile sig_atomic_t flag, which is all it safely can.
 *
 * Build and run:  cc signals.c -o signals
 *   ./signals            then, from another shell, kill -USR1 PID, and type a line
 *   ./signals restart    the same, with SA_RESTART: no EINTR
 * See lessons/23-signals.md; proclab-signals is the demo.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* lesson: flag */
static volatile sig_atomic_t usr1_arrived;

static void
set_usr1_flag(int sig)
{
	usr1_arrived = 1;
}
/* end */

int
main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = set_usr1_flag };
	char buf[256];
	ssize_t n;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "restart") != 0)) {
		fprintf(stderr, "usage: signals [restart]\n");
		return 2;
	}
	sa.sa_flags = argc == 2 ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) == -1)
		err(EXIT_FAILURE, "sigaction");
	setbuf(stdout, NULL);
	printf("process %ld reads standard input (SA_RESTART %s)\n", (long)getpid(),
	       argc == 2 ? "on" : "off");

	/* lesson: eintr */
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) == -1 && errno == EINTR) {
		printf("read() failed with EINTR, usr1_arrived %d: calling it again\n",
		       usr1_arrived);
		continue; /* a handler ran: call it again */
	}
	/* end */
	if (n == -1)
		err(EXIT_FAILURE, "read");
	printf("read() returned %zd bytes, usr1_arrived %d\n", n, usr1_arrived);
	return EXIT_SUCCESS;
}
