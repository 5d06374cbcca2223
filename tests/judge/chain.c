/* chain.c - a child and a grandchild, all three alive for a second:
 * a tree 3 deep, of 3 processes. */
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		switch (fork()) {
		case -1:
			_exit(1);
		case 0:
			usleep(1000000);
			_exit(0);
		}
		wait(NULL);
		_exit(0);
	}
	wait(NULL);
	return 0;
}
