/* lockcycle.c - a tiny program that deadlocks on purpose, for the
 * dashboard's tests.
 *
 * Usage: lockcycle DIR [SECONDS]
 *
 * Two children each take one flock(2) on a file in DIR, wait until both
 * hold theirs, then ask for the other's: each now waits for the other,
 * forever. flock() locks, unlike fcntl() record locks, get no EDEADLK from
 * the kernel, so the cycle really forms, and /proc/locks shows both
 * holders and both waiters ("->"). An alarm after SECONDS (default 30)
 * ends it, so it always recovers. Roles go on the dashboard's board.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pl_board.h"

static void
child(const char *role, const char *first, const char *second, const int ready[2], const int go[2],
      unsigned seconds)
{
	int a = open(first, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int b = open(second, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(seconds);
	close(ready[0]);
	close(go[1]);
	pl_board_set_role(role);
	if (a == -1 || b == -1 || flock(a, LOCK_EX) == -1)
		_exit(2);
	/* Tell the parent we hold our first lock; wait until both do. */
	if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
		_exit(2);
	flock(b, LOCK_EX); /* never returns: the other holds it and waits for ours */
	_exit(0);
}

int
main(int argc, char *argv[])
{
	char a[4096], b[4096], c;
	int ready[2], go[2], status;
	unsigned seconds = argc > 2 ? (unsigned)atoi(argv[2]) : 30;
	pid_t left, right;

	if (argc < 2) {
		fprintf(stderr, "usage: lockcycle DIR [SECONDS]\n");
		return 2;
	}
	snprintf(a, sizeof(a), "%s/a.lock", argv[1]);
	snprintf(b, sizeof(b), "%s/b.lock", argv[1]);
	pl_board_attach();
	pl_board_set_role("main");
	if (pipe(ready) == -1 || pipe(go) == -1)
		return 1;
	if ((left = fork()) == 0)
		child("left", a, b, ready, go, seconds);
	if ((right = fork()) == 0)
		child("right", b, a, ready, go, seconds);
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) != 1 || read(ready[0], &c, 1) != 1)
		return 1;
	printf("both hold one lock; now each asks for the other's\n");
	fflush(stdout);
	if (write(go[1], "gg", 2) != 2)
		return 1;
	waitpid(left, &status, 0);
	waitpid(right, &status, 0);
	unlink(a);
	unlink(b);
	return 0;
}
