/*
 * ipcbench.c - the same bytes sent twice from a child to its parent: as
 * messages through a pipe (the kernel copies each chunk in, then out), and
 * through a MAP_SHARED buffer both see (written once, in place), handed
 * over one chunk at a time with a one-byte token each way. Each chunk k
 * is filled with the byte k, and the parent checks every byte it gets.
 *
 * Build and run:  cc ipcbench.c -o ipcbench && ./ipcbench 256
 * MIB (1 to 4096, default 64) is how much to send each way. One run is a
 * measurement, not a proof: the figures change from run to run, and the
 * order can too. See lessons/11-ipcbench.md; proclab-ipcbench is the demo.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static char buf[CHUNK], want[CHUNK], *shared;

static double
now(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
		err(EXIT_FAILURE, "clock_gettime");
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* transfer: CHUNKS chunks from a child, through the pipe or the shared
 * buffer. Adds the bytes that arrived as sent to *intact; returns seconds. */
static double
transfer(int use_shared, long chunks, long *intact)
{
	int data[2], full[2], empty[2];
	double t0 = now();
	char token = 0;

	if (pipe(data) == -1 || pipe(full) == -1 || pipe(empty) == -1)
		err(EXIT_FAILURE, "pipe");
	switch (fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: the sender; it stops if the parent has gone */
		close(data[0]), close(full[0]), close(empty[1]);
		for (long k = 0; k < chunks; k++) {
			/* lesson: send */
			if (!use_shared) { /* a message: write() copies it into the kernel */
				memset(buf, (int)k, CHUNK);
				if (write(data[1], buf, CHUNK) != CHUNK)
					_exit(EXIT_FAILURE);
			} else { /* written in place; the tokens say "full", "checked" */
				memset(shared, (int)k, CHUNK);
				if (write(full[1], &token, 1) != 1 ||
				    read(empty[0], &token, 1) != 1)
					_exit(EXIT_FAILURE);
			}
			/* end */
		}
		_exit(EXIT_SUCCESS);
	default: /* parent: the receiver; a pipe's read() copies out again */
		close(data[1]), close(full[1]), close(empty[0]); /* to see the child end */
		for (long k = 0; k < chunks; k++) {
			ssize_t n = 1, have = 0;

			memset(want, (int)k, CHUNK);
			while (!use_shared && have < CHUNK &&
			       (n = read(data[0], buf + have, CHUNK - have)) > 0)
				have += n;
			if (n <= 0 || (use_shared && read(full[0], &token, 1) != 1))
				break; /* the sender has gone */
			*intact += memcmp(use_shared ? shared : buf, want, CHUNK) ? 0 : CHUNK;
			if (use_shared && write(empty[1], &token, 1) != 1)
				break;
		}
		close(data[0]), close(full[0]), close(empty[1]); /* a stuck child ends */
		if (wait(NULL) == -1)
			err(EXIT_FAILURE, "wait");
	}
	return now() - t0;
}

int
main(int argc, char *argv[])
{
	long mib = argc == 2 ? atol(argv[1]) : 64, bytes = mib << 20;
	const char *name[] = { "pipe", "shared memory" };

	if (argc > 2 || mib < 1 || mib > 4096) {
		fprintf(stderr, "usage: ipcbench [MIB]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* a write to a gone reader fails with EPIPE */
	shared = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		err(EXIT_FAILURE, "mmap");
	setbuf(stdout, NULL);
	for (int use_shared = 0; use_shared < 2; use_shared++) {
		long intact = 0;
		double s = transfer(use_shared, bytes / CHUNK, &intact);
		printf("%s: %ld of %ld bytes arrived intact in %.3f s: %.1f MB/s\n",
		       name[use_shared], intact, bytes, s, intact / s / 1e6);
		if (intact != bytes)
			return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
