/* hog.c - asks for 512 MiB: more than a memory limit of 64M allows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	size_t size = (size_t)512 << 20;
	char *p = malloc(size);

	if (p == NULL) {
		printf("no memory\n");
		return 3;
	}
	memset(p, 1, size);
	printf("got it\n");
	free(p);
	return 0;
}
