/* spin.c - never ends, never sleeps. */
int
main(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
}
