/*
 * shm.c - shared memory. shm_open() makes a named object (a file in
 * /dev/shm on Linux), and mmap() with MAP_SHARED maps the same pages into
 * every process that maps it. For children forked afterwards, an
 * anonymous MAP_SHARED mapping is enough. What the child writes, the
 * parent reads: no copy, no system call.
 *
 * Build and run:  cc shm.c -o shm && ./shm     (add -lrt before glibc 2.34)
 * See lessons/07-shm.md; proclab-shm is the demo.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	char name[64];
	int fd, *p;

	/* A name with our PID; a real program adds digits nobody can guess. */
	snprintf(name, sizeof name, "/shm-example-%ld", (long)getpid());
	/* lesson: open */
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd == -1)
		err(EXIT_FAILURE, "shm_open %s", name);
	if (ftruncate(fd, 4096) == -1) /* a new object is 0 bytes long */
		err(EXIT_FAILURE, "ftruncate");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(EXIT_FAILURE, "mmap");
	if (close(fd) == -1) /* the mapping stays */
		err(EXIT_FAILURE, "close");
	/* end */
	if (shm_unlink(name) == -1) /* the name goes; the mapping stays */
		err(EXIT_FAILURE, "shm_unlink");

	/* lesson: anonymous */
	double *num = mmap(NULL, sizeof *num, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			   -1, 0);
	int *arr = mmap(NULL, 10 * sizeof *arr, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	if (num == MAP_FAILED || arr == MAP_FAILED)
		err(EXIT_FAILURE, "mmap");
	/* end */

	switch (fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: writes through its mappings */
		*p = 42;
		*num = 0.5;
		arr[9] = 9;
		_exit(EXIT_SUCCESS);
	default: /* parent: reads after the child has ended */
		if (wait(NULL) == -1)
			err(EXIT_FAILURE, "wait");
		printf("parent reads %d, %.1f and %d, written by the child\n", *p, *num, arr[9]);
	}
	return EXIT_SUCCESS;
}
