/* wchar.c - when does /proc/PID/io count the bytes of a write()?
 *
 * Usage: wchar
 *
 * First, 12345 bytes written to /dev/null, which stores nothing: wchar
 * counts them all the same (syscw counts the call). Then a child writes
 * 100000 bytes to a pipe that holds 65536 and nobody reads: while it
 * sleeps in the middle of that write, with 65536 bytes already in the
 * pipe, its wchar has not moved; once the parent drains the pipe and the
 * write returns, it has moved by all 100000. add_wchar() is called in
 * vfs_write() after the file's write returns (fs/read_write.c).
 *
 *     null wchar +12345 syscw +1 blocked wchar +0 returned wchar +100000
 *
 * Used by tests/truth.sh (lesson 6).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG 100000

/* PID's wchar and syscw from /proc/PID/io; -1 if unreadable. */
static void
io_of(pid_t pid, long *wchar, long *syscw)
{
	char path[64], line[128];
	FILE *f;

	*wchar = *syscw = -1;
	snprintf(path, sizeof path, "/proc/%ld/io", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		sscanf(line, "wchar: %ld", wchar);
		sscanf(line, "syscw: %ld", syscw);
	}
	fclose(f);
}

/* Is PID asleep in a pipe write? Its state in /proc/PID/stat (after the
 * last ')'), and its wait channel. */
static int
asleep_in_pipe_write(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int asleep = 0;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) != NULL && (p = strrchr(buf, ')')) != NULL)
		asleep = p[2] == 'S';
	fclose(f);
	snprintf(path, sizeof path, "/proc/%ld/wchan", (long)pid);
	if (asleep && (f = fopen(path, "r")) != NULL) {
		asleep = fgets(buf, sizeof buf, f) != NULL && strstr(buf, "pipe_write") != NULL;
		fclose(f);
	}
	return asleep;
}

int
main(void)
{
	static char data[BIG];
	long w0, s0, w1, s1, blocked, returned;
	int null, pfd[2], report[2], status;
	pid_t child;

	alarm(30);
	if ((null = open("/dev/null", O_WRONLY)) == -1 || pipe(pfd) == -1 || pipe(report) == -1) {
		perror("open or pipe");
		return 2;
	}
	io_of(getpid(), &w0, &s0);
	if (write(null, data, 12345) != 12345) {
		perror("write");
		return 2;
	}
	io_of(getpid(), &w1, &s1);
	printf("null wchar +%ld syscw +%ld ", w1 - w0, s1 - s0);

	if (fcntl(pfd[1], F_GETPIPE_SZ) >= BIG) {
		fprintf(stderr, "the pipe holds %d bytes: no wait\n", fcntl(pfd[1], F_GETPIPE_SZ));
		return 2;
	}
	switch (child = fork()) {
	case -1:
		perror("fork");
		return 2;
	case 0: /* Child: one big write, then its own wchar after it. */
		close(pfd[0]);
		io_of(getpid(), &w0, &s0);
		if (write(pfd[1], data, BIG) != BIG)
			_exit(1);
		io_of(getpid(), &w1, &s1);
		w1 -= w0;
		_exit(write(report[1], &w1, sizeof w1) == sizeof w1 ? 0 : 1);
	default:
		break;
	}
	close(pfd[1]);
	/* Poll, with a deadline, until the child sleeps in its write. */
	for (int tries = 0; !asleep_in_pipe_write(child); tries++) {
		if (tries == 1000) {
			fprintf(stderr, "the child never blocked in its write\n");
			return 2;
		}
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	io_of(child, &w1, &s1);
	/* A new task's counters start at 0 (task_io_accounting_init() in
	 * copy_process()), and the child wrote nothing before this write. */
	blocked = w1;
	while (read(pfd[0], data, sizeof data) > 0)
		;
	if (waitpid(child, &status, 0) == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    read(report[0], &returned, sizeof returned) != sizeof returned) {
		fprintf(stderr, "the child failed\n");
		return 2;
	}
	printf("blocked wchar +%ld returned wchar +%ld\n", blocked, returned);
	return 0;
}
