/* solution.c - lab 8, the reference: the numbers are cut into small
 * blocks dealt out in turn, so every worker gets as much work; all the
 * workers run at once, each sends its count up one pipe, and the parent
 * adds them up and reaps them. */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK 10000 /* numbers in a block */

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(EXIT_FAILURE);
}

/* Is N prime? Trial division by odd numbers up to its square root: the
 * larger N, the longer it takes. */
static bool
is_prime(long n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (long d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/* How many primes in [FROM, TO). */
static long
count_primes(long from, long to)
{
	long count = 0;

	for (long n = from; n < to; n++)
		count += is_prime(n);
	return count;
}

/* Worker I of W: blocks I, I + W, I + 2W... of [0, LIMIT). Small blocks
 * dealt out in turn: the numbers near LIMIT, the dearest, are shared. */
static long
work(long limit, int i, int w)
{
	long count = 0;

	for (long from = (long)i * BLOCK; from < limit; from += (long)w * BLOCK)
		count += count_primes(from, from + BLOCK < limit ? from + BLOCK : limit);
	return count;
}

int
main(int argc, char *argv[])
{
	long limit, total = 0, count;
	int workers, fd[2], status;

	if (argc != 3 || (limit = atol(argv[1])) < 2 || (workers = atoi(argv[2])) < 1 ||
	    workers > 64) {
		fprintf(stderr, "Usage: %s LIMIT WORKERS   (1 to 64 workers)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	if (pipe(fd) == -1)
		die("pipe");
	/* Start them all first: they run at once. */
	for (int i = 0; i < workers; i++) {
		switch (fork()) {
		case -1:
			die("fork");
		case 0: /* Worker i: its share, then its count up the pipe. */
			close(fd[0]);
			count = work(limit, i, workers);
			/* 8 bytes, less than PIPE_BUF: written whole, never mixed
			 * with another worker's (pipe(7)). */
			if (write(fd[1], &count, sizeof(count)) != (ssize_t)sizeof(count))
				_exit(EXIT_FAILURE);
			_exit(EXIT_SUCCESS);
		default:
			break;
		}
	}
	close(fd[1]);
	/* Then collect: one count from each. */
	for (int i = 0; i < workers; i++) {
		if (read(fd[0], &count, sizeof(count)) != (ssize_t)sizeof(count))
			die("read");
		total += count;
	}
	close(fd[0]);
	for (int i = 0; i < workers; i++) {
		if (wait(&status) == -1)
			die("wait");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s: a worker failed\n", argv[0]);
			exit(EXIT_FAILURE);
		}
	}
	printf("%ld primes below %ld\n", total, limit);
	return 0;
}
