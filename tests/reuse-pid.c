/* reuse-pid.c - give a reaped process's PID to a stranger, and see whether
 * the command that reaped it signals the stranger.
 *
 *     reuse-pid FIFO COMMAND [ARG]...
 *
 * Runs COMMAND (the judge, in tests/judge.sh). A process that COMMAND
 * runs writes its PID, in decimal, to FIFO and exits. Once COMMAND has
 * reaped it (/proc/PID is gone), this program makes a process of its own
 * with that PID (clone3(2) with set_tid, which needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE), makes it the leader of a process group of
 * that number, as the old process was, and waits for COMMAND to end.
 *
 * Exit status: 0 if the stranger was left alone; 1 if a signal killed
 * it; 77 if the PID could not be taken (no privilege, no clone3, or
 * another process got it first); 99 for any other error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pl_measure.h"

#define SKIP 77
#define ERROR 99

/* A child with PID PID exactly, which leads a process group of its own
 * and waits to be killed. Returns its PID, or -1 with errno. */
static pid_t
stranger_at(pid_t pid)
{
	struct clone_args args;
	long r;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&pid;
	args.set_tid_size = 1;
	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0) {
		/* Child: the group the old process led, now under a new owner. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0);
		for (;;)
			pause();
	}
	return (pid_t)r;
}

int
main(int argc, char *argv[])
{
	char text[32], path[64];
	pid_t command, old, stranger = -1;
	int fd, status, result = SKIP;
	ssize_t n;
	double deadline;

	if (argc < 3) {
		fprintf(stderr, "usage: reuse-pid FIFO COMMAND [ARG]...\n");
		return ERROR;
	}
	switch (command = fork()) {
	case -1:
		perror("fork");
		return ERROR;
	case 0:
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	default:
		break;
	}

	/* The PID, from the process itself while it lives; or nothing, if
	 * COMMAND ends without running it. */
	if ((fd = open(argv[1], O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		perror(argv[1]);
		return ERROR;
	}
	n = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 100) == 1 && (n = read(fd, text, sizeof(text) - 1)) > 0)
			break;
		if (waitpid(command, &status, WNOHANG) == command) {
			close(fd);
			fprintf(stderr, "reuse-pid: no PID came through %s\n", argv[1]);
			return ERROR;
		}
	}
	close(fd);
	text[n] = '\0';
	old = (pid_t)strtol(text, NULL, 10);

	/* Reaped: its /proc entry goes then, not when it becomes a zombie.
	 * The window before the judge ends its run is short (tens of ms),
	 * so this polls without sleeping, yielding the CPU. */
	snprintf(path, sizeof(path), "/proc/%ld", (long)old);
	deadline = pl_measure_now() + 10.0;
	while (access(path, F_OK) == 0 && pl_measure_now() < deadline)
		sched_yield();
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "reuse-pid: %ld was not reaped in 10 s\n", (long)old);
		result = ERROR;
		goto wait_command;
	}
	if ((stranger = stranger_at(old)) == -1) {
		fprintf(stderr, "reuse-pid: cannot take PID %ld: %s\n", (long)old, strerror(errno));
		result = errno == EPERM || errno == ENOSYS || errno == EEXIST ? SKIP : ERROR;
		goto wait_command;
	}
	result = 0;

wait_command:
	while (waitpid(command, &status, 0) == -1 && errno == EINTR)
		;
	if (stranger > 0) {
		/* Our own unreaped child: its PID cannot have changed hands. */
		if (waitpid(stranger, &status, WNOHANG) == stranger) {
			fprintf(stderr, "reuse-pid: the stranger at %ld was killed by signal %d\n",
			        (long)stranger, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
			return 1;
		}
		kill(stranger, SIGKILL);
		waitpid(stranger, NULL, 0);
	}
	return result;
}
