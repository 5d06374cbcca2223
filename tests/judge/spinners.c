/* spinners.c - two children that each burn 0.4 s of CPU: at once
 * (./prog together), or one after the other (./prog serial). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
burn(double seconds)
{
	struct timespec t;

	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	while (t.tv_sec + t.tv_nsec / 1e9 < seconds);
}

int
main(int argc, char *argv[])
{
	int serial = argc > 1 && strcmp(argv[1], "serial") == 0;

	for (int i = 0; i < 2; i++) {
		switch (fork()) {
		case -1:
			perror("fork");
			exit(EXIT_FAILURE);
		case 0:
			burn(0.4);
			_exit(EXIT_SUCCESS);
		}
		if (serial)
			wait(NULL);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
