/* flood.c - writes 1 GB to stdout. */
#include <string.h>
#include <unistd.h>

int
main(void)
{
	static char block[1 << 16];

	memset(block, 'x', sizeof(block));
	for (long i = 0; i < (1L << 30) / (long)sizeof(block); i++)
		if (write(1, block, sizeof(block)) == -1)
			return 1;
	return 0;
}
