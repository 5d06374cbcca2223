/* pool.c - lab 7: a process pool that survives a crashed worker.
 *
 * Usage: ./pool WORKERS TASKS
 *
 * The parent starts WORKERS worker processes and feeds them the tasks 0
 * to TASKS-1 over pipes, one at a time each; each worker sends back its
 * task's result, the task's number squared. Task 13 has a bug: it kills
 * its worker (abort(), SIGABRT). The pool must see the worker die, reap
 * it at once, count its task as crashed, start a new worker in its place
 * and finish every other task, then print
 *
 *     task 13 crashed its worker (signal 6)
 *     100 tasks: 99 done, 1 crashed, checksum 328181; 4 workers started
 *
 * for ./pool 3 100, and exit 0. This starter sees the worker die, and
 * gives up. Read labs/07-pool/README.md.
 */
#define _DEFAULT_SOURCE /* prctl's constants, besides POSIX, under -std=c11 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 16
#define POISON 13 /* the task that crashes its worker */

/* What a worker sends back: 16 bytes, less than PIPE_BUF, so one write()
 * arrives whole (pipe(7)). */
struct result {
	int task;
	long value;
};

/* The parent's view of one worker. */
struct worker {
	pid_t pid;
	int tasks;   /* write end: task numbers go down */
	int results; /* read end: results come up */
	int task;    /* the task it is running, or -1 */
};

static int started; /* workers started in all */

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

/* The work of task T: 20 ms, and its result is T squared. Task 13 has a
 * bug that kills its worker with SIGABRT (without a core file). */
static long
run_task(int t)
{
	nap(20);
	if (t == POISON) {
		/* No core file for a crash on purpose. */
		if (prctl(PR_SET_DUMPABLE, 0) == -1)
			perror("prctl");
		abort();
	}
	return (long)t * t;
}

/* A worker's life: read a task, run it, send its result, until end of
 * file on the task pipe. */
static _Noreturn void
work(int tasks, int results)
{
	struct result r;
	ssize_t n;

	while ((n = read(tasks, &r.task, sizeof(r.task))) == (ssize_t)sizeof(r.task)) {
		r.value = run_task(r.task);
		if (write(results, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(EXIT_FAILURE);
	}
	_exit(n == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

/* Start worker W of POOL (N slots) with two new pipes. */
static void
start_worker(struct worker *w, struct worker pool[], int n)
{
	int down[2], up[2];

	if (pipe(down) == -1 || pipe(up) == -1)
		die("pipe");
	switch (w->pid = fork()) {
	case -1:
		die("fork");
	case 0:
		/* The other workers' ends came with fork: a task pipe must
		 * have one writer, the parent, or its worker never sees the end. */
		for (int i = 0; i < n; i++)
			if (&pool[i] != w && pool[i].pid > 0) {
				close(pool[i].tasks);
				close(pool[i].results);
			}
		close(down[1]);
		close(up[0]);
		work(down[0], up[1]);
	default:
		break;
	}
	/* The parent keeps one end of each. */
	close(down[0]);
	close(up[1]);
	w->tasks = down[1];
	w->results = up[0];
	w->task = -1;
	started++;
}

/* Hand task T to idle worker W. */
static void
give(struct worker *w, int t)
{
	if (write(w->tasks, &t, sizeof(t)) != (ssize_t)sizeof(t))
		die("write");
	w->task = t;
}

/* End of file on every task pipe: each worker exits. Reap them all. */
static void
stop(struct worker pool[], int n)
{
	for (int i = 0; i < n; i++)
		close(pool[i].tasks);
	while (wait(NULL) > 0)
		;
	for (int i = 0; i < n; i++)
		close(pool[i].results);
}

int
main(int argc, char *argv[])
{
	struct worker pool[MAX_WORKERS] = { 0 };
	int n, ntasks, next = 0, done = 0, crashed = 0;
	long checksum = 0;

	if (argc != 3 || (n = atoi(argv[1])) < 1 || n > MAX_WORKERS ||
	    (ntasks = atoi(argv[2])) < 1) {
		fprintf(stderr, "Usage: %s WORKERS TASKS   (1 to %d workers)\n", argv[0],
		        MAX_WORKERS);
		exit(2);
	}
	setbuf(stdout, NULL);
	for (int i = 0; i < n; i++)
		start_worker(&pool[i], pool, n);
	for (int i = 0; i < n && next < ntasks; i++)
		give(&pool[i], next++);

	while (done + crashed < ntasks) {
		struct pollfd fds[MAX_WORKERS];

		for (int i = 0; i < n; i++)
			fds[i] = (struct pollfd){ pool[i].results, POLLIN, 0 };
		if (poll(fds, (nfds_t)n, -1) == -1)
			die("poll");
		for (int i = 0; i < n; i++) {
			struct worker *w = &pool[i];
			struct result r;
			ssize_t got;

			if (fds[i].revents == 0)
				continue;
			got = read(w->results, &r, sizeof(r));
			if (got == -1)
				die("read");
			if (got == 0) {
				/* TODO: end of file: the worker is dead. Make the
				 * pool survive it instead of giving up. */
				fprintf(stderr, "%s: worker %ld died running task %d: giving up\n",
				        argv[0], (long)w->pid, w->task);
				stop(pool, n);
				exit(EXIT_FAILURE);
			} else if (got == (ssize_t)sizeof(r)) {
				checksum += r.value;
				done++;
				w->task = -1;
			} else {
				fprintf(stderr, "%s: a short result\n", argv[0]);
				exit(EXIT_FAILURE);
			}
			if (next < ntasks)
				give(w, next++);
		}
	}
	stop(pool, n);
	printf("%d tasks: %d done, %d crashed, checksum %ld; %d workers started\n", ntasks, done,
	       crashed, checksum, started);
	return 0;
}
