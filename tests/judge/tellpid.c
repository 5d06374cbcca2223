/* tellpid.c - writes its PID to the FIFO named by $JUDGE_TEST_FIFO and
 * ends, so that tests/reuse-pid can give that PID to a stranger once the
 * judge has reaped it (tests/judge.sh). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	const char *fifo = getenv("JUDGE_TEST_FIFO");
	int fd;

	if (fifo == NULL || (fd = open(fifo, O_WRONLY)) == -1) {
		perror("JUDGE_TEST_FIFO");
		return EXIT_FAILURE;
	}
	dprintf(fd, "%ld\n", (long)getpid());
	close(fd);
	printf("done in 1 ms by %ld\n", (long)getpid());
	return 0;
}
