/* sysvshm.c - two processes attached to one System V shared memory
 * segment, for the dashboard's tests.
 *
 * Usage: sysvshm [SECONDS]
 *
 * The parent creates a private segment (shmget(2), IPC_PRIVATE), attaches
 * it (shmat(2)) and marks it for removal at once (IPC_RMID): the kernel
 * removes it when the last process detaches, so nothing can be left
 * behind. Then it forks a child, which inherits the attachment, and both
 * sleep for SECONDS (default 30). The segment shows in both processes'
 * /proc/PID/maps as /SYSV00000000. Exit status 77 (a skip, to the test
 * harness) if the kernel has no System V shared memory for us.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 30;
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	char *mem;
	pid_t pid;

	if (id == -1) {
		perror("sysvshm: shmget");
		return 77;
	}
	mem = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL); /* gone with the last detach, however we end */
	if (mem == (void *)-1) {
		perror("sysvshm: shmat");
		return 77;
	}
	strcpy(mem, "hello");
	switch (pid = fork()) {
	case -1:
		perror("sysvshm: fork");
		return 1;
	case 0: /* Child: attached too, since fork(2) copies attachments. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1); /* the parent is already gone */
		alarm(seconds); /* a child does not inherit its parent's alarm */
		pause();
		_exit(0);
	default: /* Parent: until the alarm, which ends it, and so the child. */
		alarm(seconds);
		pause();
		return 0;
	}
}
