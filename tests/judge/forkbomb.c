/* forkbomb.c - forks 10,000 children that never end. */
#include <unistd.h>

int
main(void)
{
	for (int i = 0; i < 10000; i++)
		if (fork() == 0)
			for (;;)
				pause();
	return 0;
}
