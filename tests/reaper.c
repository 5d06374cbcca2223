/* reaper.c - run a test as a child subreaper, reap all it leaves, and stop
 * it if it hangs.
 *
 * Usage: reaper COMMAND [ARG...]
 *
 * The demo tests kill a demo's parent on purpose. Its children are then
 * reparented, and on Linux that is to the nearest ancestor marked as a
 * "child subreaper" (prctl(2), PR_SET_CHILD_SUBREAPER). Running each test
 * under this program makes that ancestor us, so every orphan is reaped here
 * and no zombie outlives the test.
 *
 * A test must never hang the suite: after $PROCLAB_TEST_TIMEOUT seconds
 * (default 300) the command's process group and every process left to us
 * get SIGKILL, and we exit 124, which the harness reports as an error.
 * Otherwise we exit with the command's status.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "pl_parse.h"
#include "pl_procfs.h"

static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

/* SIGKILL every process whose parent we are: the command's orphans. */
static void
kill_adopted(void)
{
	pid_t pids[1024];
	int n = pl_procfs_children(getpid(), pids, 1024);

	for (int i = 0; i < n && i < 1024; i++)
		kill(pids[i], SIGKILL);
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	long timeout = 300;
	const char *env = getenv("PROCLAB_TEST_TIMEOUT");
	pid_t command, pid;
	int status, result = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper COMMAND [ARG...]\n");
		return 2;
	}
	if (env != NULL && pl_parse_long(env, 1, 86400, &timeout) == -1) {
		fprintf(stderr, "reaper: PROCLAB_TEST_TIMEOUT: '%s' is not 1 to 86400\n", env);
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
		setpgid(0, 0); /* one group to kill if it hangs */
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(command, command);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: wait() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)timeout);

	/* Reap until no child is left: the command and every orphan. */
	for (;;) {
		pid = wait(&status);
		if (pid == -1 && errno == EINTR && timed_out == 1) {
			fprintf(stderr, "reaper: %s still running after %ld s: killed\n", argv[1],
			        timeout);
			timed_out = 2;
			killpg(command, SIGKILL);
			kill_adopted();
			result = 124;
			continue;
		}
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			break;
		if (pid == command && timed_out == 0)
			result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (timed_out == 2)
			kill_adopted(); /* anything that slipped out of the group */
	}
	return result;
}
