/* reaper.c - run a command as a child subreaper and reap all it leaves.
 *
 * Usage: reaper COMMAND [ARG...]
 *
 * The demo tests kill a demo's parent on purpose. Its children are then
 * reparented, and on Linux that is to the nearest ancestor marked as a
 * "child subreaper" (prctl(2), PR_SET_CHILD_SUBREAPER). Running each test
 * under this program makes that ancestor us, so every orphan is reaped here
 * and no zombie outlives the test. Exits with the command's status.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

int
main(int argc, char *argv[])
{
	pid_t command, pid;
	int status, result = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper COMMAND [ARG...]\n");
		return 2;
	}
#ifdef PR_SET_CHILD_SUBREAPER
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		perror("reaper: prctl");
#endif
	switch (command = fork()) {
	case -1:
		perror("reaper: fork");
		return 1;
	case 0:
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* Reap until no child is left: the command and every orphan. */
	while ((pid = wait(&status)) != -1 || errno == EINTR) {
		if (pid == command)
			result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return result;
}
