/*
 * cloexec.c - execve() closes the file descriptors that have the
 * FD_CLOEXEC flag and keeps the others. Set in a second call, fcntl(), the
 * flag comes a moment after the descriptor: a fork() by another thread in
 * between gives the child the descriptor without it. O_CLOEXEC sets it in
 * the open() itself.
 *
 * Build and run:  cc cloexec.c -o cloexec && ./cloexec /etc/hostname
 * It opens FILE three ways, then a child execs ls on its /proc/self/fd:
 * only the descriptor opened without the flag is still there (the lowest
 * free number is ls's own, for the folder it reads).
 * See lessons/22-fork-threads.md; proclab-fork-threads is the demo.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	int fd, kept, at_once;

	if (argc != 2) {
		fprintf(stderr, "usage: cloexec FILE\n");
		return 2;
	}
	const char *path = argv[1];
	/* lesson: two-calls */
	if ((fd = open(path, O_RDONLY)) == -1) /* 1. the descriptor */
		err(EXIT_FAILURE, "open %s", path);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) /* 2. a moment later, its flag */
		err(EXIT_FAILURE, "fcntl");
	/* end */
	if ((at_once = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		err(EXIT_FAILURE, "open %s", path);
	if ((kept = open(path, O_RDONLY)) == -1)
		err(EXIT_FAILURE, "open %s", path);
	printf("fd %d: open then fcntl, fd %d: O_CLOEXEC, fd %d: no flag\n", fd, at_once, kept);
	fflush(stdout);

	switch (fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: what does the new program hold? */
		execlp("ls", "ls", "-l", "/proc/self/fd", (char *)NULL);
		err(127, "exec ls"); /* returns only on failure */
	default:
		if (wait(NULL) == -1)
			err(EXIT_FAILURE, "wait");
	}
	return EXIT_SUCCESS;
}
