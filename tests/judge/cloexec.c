/* cloexec.c - two children exec: one opens a file of its own with
 * O_CLOEXEC, as the loader and the C library open theirs; the other
 * holds both ends of a pipe it inherited. Only the second is stray. */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC under -std=c11 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	int fd[2];

	if (argc > 1) { /* after exec, as "exe": hold what it has for 1 s */
		if (strcmp(argv[1], "opener") == 0 && open("/dev/null", O_RDONLY | O_CLOEXEC) == -1)
			return 1;
		sleep(1);
		return 0;
	}
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		execl("/proc/self/exe", "exe", "opener", (char *)NULL);
		_exit(127);
	}
	if (pipe(fd) == -1)
		return 1;
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		execl("/proc/self/exe", "exe", "holder", (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	close(fd[1]);
	while (wait(NULL) > 0)
		;
	return 0;
}
