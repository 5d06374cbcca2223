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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536 /* bytes, so a MiB is 16 chunks */

static char buf[CHUNK], want[CHUNK], *shared;

int
main(int argc, char *argv[])
{
	long mib = argc == 2 ? atol(argv[1]) : 64;
	struct timespec t0, t1;

	if (argc > 2 || mib < 1 || mib > 4096) {
		fprintf(stderr, "usage: ipcbench [MIB]\n");
		return 2;
	}
	shared = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		err(EXIT_FAILURE, "mmap");
	for (int use_shared = 0; use_shared < 2; use_shared++) {
		char *out = use_shared ? shared : buf;         /* where the child writes */
		ssize_t n, have, len = use_shared ? 1 : CHUNK; /* what a pipe carries */
		int up[2], down[2];                            /* child to parent, and back */

		clock_gettime(CLOCK_MONOTONIC, &t0); /* fails only if misused */
		if (pipe(up) == -1 || pipe(down) == -1)
			err(EXIT_FAILURE, "pipe");
		switch (fork()) {
		case -1:
			err(EXIT_FAILURE, "fork");
		case 0: /* child: the sender; SIGPIPE ends it if the parent has gone */
			if (close(up[0]) == -1 || close(down[1]) == -1)
				_exit(EXIT_FAILURE);
			for (long k = 0; k < mib * 16; k++) {
				/* lesson: send */
				/* out: buf, or the shared chunk; len: CHUNK, or 1 for a token */
				memset(out, (int)k, CHUNK);
				if (write(up[1], out, len) != len ||
				    (use_shared && read(down[0], buf, 1) != 1)) /* the token back */
					_exit(EXIT_FAILURE);
				/* end */
			}
			_exit(EXIT_SUCCESS); /* not exit(), which would flush stdout's copy */
		default: /* parent: the receiver; read() copies a chunk, or a token, out */
			if (close(up[1]) == -1 || close(down[0]) == -1) /* to see the child end */
				err(EXIT_FAILURE, "close");
			for (long k = 0; k < mib * 16; k++) {
				for (have = 0; have < len; have += n)
					if ((n = read(up[0], buf + have, len - have)) <= 0)
						errx(EXIT_FAILURE, "the sender has gone");
				memset(want, (int)k, CHUNK);
				if (memcmp(out, want, CHUNK) != 0)
					errx(EXIT_FAILURE, "chunk %ld did not arrive as sent", k);
				if (use_shared && write(down[1], "", 1) != 1) /* "checked" */
					err(EXIT_FAILURE, "write");
			}
			if (close(up[0]) == -1 || close(down[1]) == -1 || wait(NULL) == -1)
				err(EXIT_FAILURE, "close or wait");
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("%s: %ld MiB arrived intact in %.3f s: %.1f MB/s\n",
		       use_shared ? "shared memory" : "pipe", mib, s, (mib << 20) / s / 1e6);
	}
	return EXIT_SUCCESS;
}
