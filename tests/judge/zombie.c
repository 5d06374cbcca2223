/* zombie.c - leaves its child a zombie for a second before it reaps it. */
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	if (fork() == 0)
		_exit(0);
	sleep(1);
	wait(NULL);
	return 0;
}
