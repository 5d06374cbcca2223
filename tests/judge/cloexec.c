/* cloexec.c - three children exec: one opens a file of its own with
 * O_CLOEXEC, as the loader and the C library open theirs; one opens 64
 * such files and closes them, over and over for a second or two, as the
 * C library opens and closes a locale's files, so that a look often finds
 * a descriptor it listed gone when it reads its flags; the third holds both
 * ends of a pipe it inherited. Only the third is stray. */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC under -std=c11 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	int fd[2];

	if (argc > 1 && strcmp(argv[1], "churner") == 0) { /* after exec: churn for 1 to 2 s */
		time_t end = time(NULL) + 2;
		int many[64];

		while (time(NULL) < end) {
			for (int i = 0; i < 64; i++)
				if ((many[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
					return 1;
			for (int i = 0; i < 64; i++)
				close(many[i]);
		}
		return 0;
	}
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
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		execl("/proc/self/exe", "exe", "churner", (char *)NULL);
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
