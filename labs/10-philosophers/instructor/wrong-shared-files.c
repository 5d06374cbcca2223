/* wrong-shared-files.c - lab 10, wrong: the order is right, but the host
 * opens the fork files once, before fork(), and the philosophers inherit
 * those descriptors. An flock() lock belongs to an open file description,
 * and inherited descriptors share one: to the kernel, every philosopher
 * is the same holder, and her lock never keeps a neighbour out
 * (flock(2)). Two philosophers eat with one fork.
 * Expected verdict: exit and stdout fail. */
#define _DEFAULT_SOURCE /* flock, besides POSIX, under -std=c11 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PHILOSOPHERS 16

/* What a philosopher tells the host when she leaves the table. */
struct tally {
	int meals;
	int clashes; /* forks someone else had while she ate */
};

static char table[PATH_MAX]; /* the folder of the fork files */

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(EXIT_FAILURE);
}

static void
nap(long ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&t, &t) == -1 && errno == EINTR)
		;
}

/* Fork K is the file table/fork-K, and holding it is holding an flock()
 * lock on it. Returns a descriptor of the philosopher's own. */
static int
open_fork(int k)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/fork-%d", table, k);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		die(path);
	return fd;
}

static void
take(int fd)
{
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			die("flock");
}

static void
put(int fd)
{
	if (flock(fd, LOCK_UN) == -1)
		die("flock");
}

/* Eat with both forks: write her number in each, eat 2 ms, read them
 * back. Another number there means another philosopher had that fork
 * meanwhile. Returns how many of the two clashed. */
static int
eat(int i, int left, int right)
{
	int fds[2] = { left, right }, clashes = 0;

	for (int f = 0; f < 2; f++)
		if (pwrite(fds[f], &i, sizeof(i), 0) != (ssize_t)sizeof(i))
			die("pwrite");
	nap(2);
	for (int f = 0; f < 2; f++) {
		int who;
		if (pread(fds[f], &who, sizeof(who), 0) != (ssize_t)sizeof(who))
			die("pread");
		clashes += who != i;
	}
	return clashes;
}

/* Philosopher I picks up fork LEFT (her left, number I) and fork RIGHT
 * (number I + 1, or 0 for the last one); at her first meal she holds her
 * left fork already. The lower-numbered first, for everyone: then whoever
 * holds the highest-numbered fork in use never waits, since the one she
 * still needs is higher, and nobody has it. */
static void
pick_up(int left, int right, int left_number, int right_number, bool holding_left)
{
	if (left_number < right_number) {
		if (!holding_left)
			take(left);
		take(right);
	} else {
		if (holding_left)
			put(left); /* it is her higher one: back on the table */
		take(right);
		take(left);
	}
}

/* Philosopher I of N: she sits down with her left fork in hand (the
 * line-up), waits for the bell, then eats MEALS times. */
static _Noreturn void
philosopher(int i, int n, int meals, int seated, int bell, int report, const int forks[])
{
	struct tally t = { 0, 0 };
	int left = forks[i], right = forks[(i + 1) % n];
	char c;

	take(left);
	if (write(seated, "s", 1) != 1)
		die("write");
	if (read(bell, &c, 1) == -1) /* 0: end of file, the bell */
		die("read");
	for (int m = 0; m < meals; m++) {
		pick_up(left, right, i, (i + 1) % n, m == 0);
		t.clashes += eat(i, left, right);
		put(right);
		put(left);
		t.meals++;
		nap(1); /* thinking */
	}
	if (write(report, &t, sizeof(t)) != (ssize_t)sizeof(t))
		die("write");
	_exit(EXIT_SUCCESS);
}

/* The table: a private folder with one file a fork. */
static void
lay_table(int n)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(table, sizeof(table), "%s/dinner.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(table) == NULL)
		die("mkdtemp");
	for (int k = 0; k < n; k++) {
		char path[PATH_MAX + 32];
		int fd;

		snprintf(path, sizeof(path), "%s/fork-%d", table, k);
		if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
			die(path);
		close(fd);
	}
}

static void
clear_table(int n)
{
	for (int k = 0; k < n; k++) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/fork-%d", table, k);
		if (unlink(path) == -1)
			die(path);
	}
	if (rmdir(table) == -1)
		die(table);
}

int
main(int argc, char *argv[])
{
	int n, meals, seated[2], bell[2], report[2], status, all_meals = 0, clashes = 0, ok = 0;
	int forks[MAX_PHILOSOPHERS];
	char c;

	if (argc != 3 || (n = atoi(argv[1])) < 2 || n > MAX_PHILOSOPHERS ||
	    (meals = atoi(argv[2])) < 1) {
		fprintf(stderr, "Usage: %s PHILOSOPHERS MEALS   (2 to %d philosophers)\n", argv[0],
		        MAX_PHILOSOPHERS);
		exit(2);
	}
	setbuf(stdout, NULL);
	lay_table(n);
	for (int k = 0; k < n; k++)
		forks[k] = open_fork(k); /* the mistake: once, for everyone */
	if (pipe(seated) == -1 || pipe(bell) == -1 || pipe(report) == -1)
		die("pipe");
	for (int i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			die("fork");
		case 0:
			close(seated[0]);
			close(bell[1]);
			close(report[0]);
			philosopher(i, n, meals, seated[1], bell[0], report[1], forks);
		default:
			break;
		}
	}
	close(seated[1]);
	close(bell[0]);
	close(report[1]);
	/* Everyone sits with her left fork; then the bell: the end of file
	 * on the bell pipe, for all at once. */
	for (int i = 0; i < n; i++)
		if (read(seated[0], &c, 1) != 1)
			die("read");
	close(bell[1]);
	for (int i = 0; i < n; i++) {
		struct tally t;
		if (read(report[0], &t, sizeof(t)) == (ssize_t)sizeof(t)) {
			all_meals += t.meals;
			clashes += t.clashes;
		}
	}
	for (int i = 0; i < n; i++) {
		if (wait(&status) == -1)
			die("wait");
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	clear_table(n);
	printf("%d philosophers ate %d meals; a fork was in two hands %d times\n", ok, all_meals,
	       clashes);
	return ok == n && all_meals == n * meals && clashes == 0 ? 0 : 1;
}
