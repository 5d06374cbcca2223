/* strayfd.c - a child that execs cat with both ends of a pipe still open. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	int fd[2];

	if (pipe(fd) == -1)
		return 1;
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		execlp("sleep", "sleep", "0.5", (char *)NULL);
		_exit(127);
	}
	wait(NULL);
	return 0;
}
