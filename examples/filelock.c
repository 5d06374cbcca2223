/*
 * filelock.c - appending is two steps, "where is the end?" (lseek) and
 * "write there". Processes that interleave them write over each other's
 * records. An exclusive flock() around the two steps loses none.
 *
 * Build and run:  cc filelock.c -o filelock
 *   ./filelock FILE         4 children append 10000 records each, unlocked
 *   ./filelock FILE lock    the same, each append under flock(LOCK_EX)
 * Then `wc -l FILE`: 40000 lines with the lock, often fewer without.
 * See lessons/09-filelock.md; proclab-filelock is the demo.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS 4
#define RECORDS 10000

static void
append(int fd, const char *record, size_t len, int use_lock)
{
	if (use_lock && flock(fd, LOCK_EX) == -1)
		err(EXIT_FAILURE, "flock");
	/* lesson: append */
	if (lseek(fd, 0, SEEK_END) == -1) /* 1. where is the end? */
		err(EXIT_FAILURE, "lseek");
	if (write(fd, record, len) != (ssize_t)len) /* 2. write there */
		err(EXIT_FAILURE, "write");
	/* end */
	if (use_lock && flock(fd, LOCK_UN) == -1)
		err(EXIT_FAILURE, "flock");
}

int
main(int argc, char *argv[])
{
	char record[32];
	int fd;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "lock") != 0)) {
		fprintf(stderr, "usage: filelock FILE [lock]\n");
		return 2;
	}
	for (int w = 0; w < WRITERS; w++) {
		switch (fork()) {
		case -1:
			err(EXIT_FAILURE, "fork");
		case 0: /* child: its own open(), so its own file offset */
			if ((fd = open(argv[1], O_WRONLY | O_CREAT, 0600)) == -1)
				err(EXIT_FAILURE, "open %s", argv[1]);
			for (int r = 0; r < RECORDS; r++) {
				int len = snprintf(record, sizeof record, "writer %d record %d\n", w, r);
				append(fd, record, len, argc == 3);
			}
			_exit(EXIT_SUCCESS);
		}
	}
	while (wait(NULL) > 0) /* reap every writer */
		continue;
	return EXIT_SUCCESS;
}
