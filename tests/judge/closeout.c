/* closeout.c - closes its stdout, then says it is done on stderr. */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	close(1);
	fprintf(stderr, "closed\n");
	return 0;
}
