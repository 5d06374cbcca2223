/* primes.c - lab 8: a CPU-bound job split over processes that run at once.
 *
 * Usage: ./primes LIMIT WORKERS
 *
 * It counts the primes below LIMIT and prints
 *
 *     348513 primes below 5000000
 *
 * for ./primes 5000000 2, and exits 0. The work must be shared by WORKERS
 * worker processes that run at the same time, each on its own CPU when
 * there are enough; each sends its count up a pipe, and the parent adds
 * them up. This starter starts one worker, which does all the work. Read
 * labs/08-parallel/README.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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

int
main(int argc, char *argv[])
{
	long limit, total = 0, count;
	int workers, started = 1, fd[2], status;

	if (argc != 3 || (limit = atol(argv[1])) < 2 || (workers = atoi(argv[2])) < 1 ||
	    workers > 64) {
		fprintf(stderr, "Usage: %s LIMIT WORKERS   (1 to 64 workers)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	if (pipe(fd) == -1)
		die("pipe");
	/* TODO: start WORKERS workers, each with its share of the numbers,
	 * all running at once. This starts one, which does all the work. */
	(void)workers;
	for (int i = 0; i < started; i++) {
		switch (fork()) {
		case -1:
			die("fork");
		case 0: /* The worker: its share, then its count up the pipe. */
			close(fd[0]);
			count = count_primes(0, limit);
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
	for (int i = 0; i < started; i++) {
		if (read(fd[0], &count, sizeof(count)) != (ssize_t)sizeof(count))
			die("read");
		total += count;
	}
	close(fd[0]);
	for (int i = 0; i < started; i++) {
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
