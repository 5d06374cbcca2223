/* unreaped.c - exits while its child is a zombie it never reaped. */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	if (fork() == 0)
		_exit(0);
	usleep(500000); /* a zombie for half a second, under the spec's max_ms */
	printf("done in 12 ms by %ld\n", (long)getpid());
	return 0;
}
