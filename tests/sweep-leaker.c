/* sweep-leaker.c - a program that leaves behind one of everything the
 * interrupt sweep looks for, so that tests/sweep-self.sh can check that
 * tests/sweep-trial finds each. It is the demos' opposite: do not copy it.
 *
 * Usage: sweep-leaker [--mq | --hang]
 *
 * It makes, and never removes:
 *   - a child that outlives it: no death signal, SIGINT ignored, and an
 *     alarm in 30 s so that even this test cannot leave it for good;
 *   - /dev/shm/proclab-leaker-PID, and with --mq the message queue
 *     /proclab-leaker-PID (only where the sweep can list queues: a queue
 *     nobody lists stays until reboot, and counts against the user's
 *     RLIMIT_MSGQUEUE);
 *   - a System V segment, semaphore set and message queue, each used once,
 *     so that it names a process: attached, a semop(2), a message sent;
 *   - a file in $TMPDIR, and /tmp/proclab-leaker-PID, as a program that
 *     ignores TMPDIR would make.
 * Then it prints "leaked" and exits 0. With --hang it only waits, for
 * 30 s: a program that does not end.
 */
#include "config.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static noreturn void
fail(const char *what)
{
	perror(what);
	exit(1);
}

int
main(int argc, char *argv[])
{
	char name[64], path[4096];
	const char *tmpdir = getenv("TMPDIR");
	struct {
		long mtype;
		char text[8];
	} message = { 1, "leak" };
	struct sembuf up = { 0, 1, 0 };
	int fd;

	if (argc > 1 && strcmp(argv[1], "--hang") == 0) {
		alarm(30);
		for (;;)
			pause();
	}
	switch (fork()) {
	case -1:
		fail("fork");
	case 0: /* Child: outlive the parent, and ignore Ctrl-C. */
		signal(SIGINT, SIG_IGN);
		alarm(30);
		for (;;)
			pause();
	default: /* Parent */
		break;
	}

	snprintf(name, sizeof(name), "/proclab-leaker-%ld", (long)getpid());
	if ((fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600)) == -1)
		fail("shm_open");
	close(fd);
#ifdef HAVE_MQ_OPEN
	if (argc > 1 && strcmp(argv[1], "--mq") == 0 &&
	    mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL) == (mqd_t)-1)
		fail("mq_open");
#endif
	if ((fd = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)) == -1 ||
	    shmat(fd, NULL, 0) == (void *)-1)
		fail("shmget");
	if ((fd = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) == -1 || semop(fd, &up, 1) == -1)
		fail("semget");
	if ((fd = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) == -1 ||
	    msgsnd(fd, &message, sizeof(message.text), 0) == -1)
		fail("msgget");

	snprintf(path, sizeof(path), "%s/leaked-XXXXXX", tmpdir ? tmpdir : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		fail("mkstemp");
	close(fd);
	snprintf(path, sizeof(path), "/tmp%s", name);
	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600)) == -1)
		fail(path);
	close(fd);

	puts("leaked");
	return 0;
}
