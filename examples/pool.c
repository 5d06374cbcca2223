/*
 * pool.c - a process pool: WORKERS children read tasks from one pipe and
 * write results to another. A task and a result are each one write of at
 * most PIPE_BUF bytes, so none is ever torn or mixed with another, and
 * each task goes to exactly one worker. End of file tells the workers
 * that the tasks are over.
 *
 * Build and run:  cc pool.c -o pool && ./pool 3 100
 * Squares 1..TASKS in WORKERS processes, prints which worker did each, and
 * the sum of the squares. At most 1000 tasks: all the tasks and all the
 * results then fit in their pipes (64 KiB each), so the parent may write
 * every task before it reads a result; more, and both sides could wait
 * on a full pipe for ever.
 * See lessons/18-pool.md; proclab-pool is the demo.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct result {
	pid_t worker;
	long square;
};

int
main(int argc, char *argv[])
{
	int workers = argc == 3 ? atoi(argv[1]) : 0, tasks = argc == 3 ? atoi(argv[2]) : 0;
	int to_pool[2], from_pool[2];
	struct result r;
	long task, sum = 0;

	if (argc != 3 || workers < 1 || workers > 64 || tasks < 1 || tasks > 1000) {
		fprintf(stderr, "usage: pool WORKERS TASKS\n");
		return 2;
	}
	if (pipe(to_pool) == -1 || pipe(from_pool) == -1)
		err(EXIT_FAILURE, "pipe");
	for (int w = 0; w < workers; w++) {
		switch (fork()) {
		case -1:
			err(EXIT_FAILURE, "fork");
		case 0: /* worker: until end of file on the tasks */
			if (close(to_pool[1]) == -1 || close(from_pool[0]) == -1)
				err(EXIT_FAILURE, "close");
			r.worker = getpid();
			while (read(to_pool[0], &task, sizeof task) == sizeof task) {
				r.square = task * task;
				if (write(from_pool[1], &r, sizeof r) != sizeof r)
					err(EXIT_FAILURE, "write");
			}
			_exit(EXIT_SUCCESS);
		}
	}
	if (close(to_pool[0]) == -1 || close(from_pool[1]) == -1) /* the workers' ends */
		err(EXIT_FAILURE, "close");
	for (task = 1; task <= tasks; task++)
		if (write(to_pool[1], &task, sizeof task) != sizeof task)
			err(EXIT_FAILURE, "write");
	if (close(to_pool[1]) == -1) /* end of file for the workers */
		err(EXIT_FAILURE, "close");
	while (read(from_pool[0], &r, sizeof r) == sizeof r) {
		printf("worker %ld: %ld\n", (long)r.worker, r.square);
		sum += r.square;
	}
	while (wait(NULL) > 0) /* reap every worker */
		continue;
	printf("sum %ld, expected %ld\n", sum, (long)tasks * (tasks + 1) * (2L * tasks + 1) / 6);
	return EXIT_SUCCESS;
}
