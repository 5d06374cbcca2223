/* grandchild.c - double-forks a grandchild that sleeps for an hour. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	pid_t child = fork();

	if (child == 0) {
		if (fork() == 0) {
			sleep(3600);
			_exit(0);
		}
		_exit(0);
	}
	waitpid(child, NULL, 0);
	return 0;
}
