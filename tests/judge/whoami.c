/* whoami.c - says which user it runs as. */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	printf("uid %ld\n", (long)getuid());
	return 0;
}
