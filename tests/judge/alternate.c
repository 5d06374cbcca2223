/* alternate.c - fails every second run: a race that the judge must count
 * as k of N. It counts its runs in the file "runs" of its folder. */
#include <stdio.h>

int
main(void)
{
	FILE *f = fopen("runs", "r");
	int n = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	if ((f = fopen("runs", "w")) == NULL)
		return 2;
	fprintf(f, "%d\n", n + 1);
	fclose(f);
	printf("%s\n", n % 2 ? "lost an update" : "total 4");
	return n % 2;
}
