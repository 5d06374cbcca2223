/* killable.c - a task in a killable sleep shows D, and SIGKILL ends it.
 *
 * Usage: killable
 *
 * vfork()'s caller waits for its child in a killable sleep
 * (wait_for_vfork_done(), kernel/fork.c: TASK_KILLABLE), which /proc
 * shows as D, "uninterruptible". The child asks for SIGKILL when its
 * parent dies, then sleeps 10 s. tests/truth.sh sees this program in D
 * and sends it SIGKILL: it ends at once, and its child with it.
 * Used by tests/truth.sh (lessons 3 and 4).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int
main(void)
{
	switch (vfork()) {
	case -1:
		perror("vfork");
		return 2;
	case 0: /* Child: system calls and _exit only, it borrows the parent's memory. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		nanosleep(&(struct timespec){ 10, 0 }, NULL);
		_exit(0);
	default:
		break;
	}
	return 0;
}
