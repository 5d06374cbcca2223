/*
 * pipe.c - a pipe is a one-way byte stream through the kernel. The reader
 * sees end of file (read() returns 0) only when every write end is closed,
 * in every process: each side closes the end it does not use.
 *
 * Build and run:  cc pipe.c -o pipe && ./pipe hello world
 * The parent writes its arguments into the pipe and closes it; the child
 * reads until end of file and says how many bytes came.
 * See lessons/06-pipe.md; proclab-pipe is the demo.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	char buf[64];
	size_t total = 0;
	ssize_t n;
	int fds[2];

	if (argc < 2) {
		fprintf(stderr, "usage: pipe WORD...\n");
		return 2;
	}
	setbuf(stdout, NULL);
	/* lesson: pipe */
	if (pipe(fds) == -1) /* fds[0]: the read end, fds[1]: the write end */
		err(EXIT_FAILURE, "pipe");
	/* end */

	switch (fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: the reader */
		if (close(fds[1]) == -1) /* or read() below never sees end of file */
			err(EXIT_FAILURE, "close");
		while ((n = read(fds[0], buf, sizeof buf)) > 0)
			total += n;
		if (n == -1)
			err(EXIT_FAILURE, "read");
		printf("reader: end of file after %zu bytes\n", total);
		_exit(EXIT_SUCCESS);
	default: /* parent: the writer */
		if (close(fds[0]) == -1)
			err(EXIT_FAILURE, "close");
		for (int i = 1; i < argc; i++)
			if (write(fds[1], argv[i], strlen(argv[i])) == -1)
				err(EXIT_FAILURE, "write");
		if (close(fds[1]) == -1) /* the last write end: the reader sees EOF */
			err(EXIT_FAILURE, "close");
		if (wait(NULL) == -1)
			err(EXIT_FAILURE, "wait");
	}
	return EXIT_SUCCESS;
}
