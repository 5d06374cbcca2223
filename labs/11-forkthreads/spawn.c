/* spawn.c - lab 11: fork and exec helpers from a threaded program.
 *
 * Usage: ./spawn N
 *
 * A logger thread writes a batch of 300 lines to spawn.log under a
 * mutex, a millisecond a line. Meanwhile the main thread starts N
 * helpers: each is a child that logs that it starts and then execs
 * `sleep 0.2`. When every helper has exited 0 the program prints
 *
 *     N helpers exited 0, 300 lines logged
 *
 * and exits 0. This starter hangs: run the judge to see where each task
 * waits. Read labs/11-forkthreads/README.md for the task.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, and O_CLOEXEC, under -std=c11 */

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINES 300

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static atomic_int logged; /* lines the logger wrote */

/* Append one line to the log, under the mutex. */
static void
log_line(const char *text)
{
	pthread_mutex_lock(&log_mutex);
	if (write(log_fd, text, strlen(text)) == -1)
		perror("write spawn.log");
	pthread_mutex_unlock(&log_mutex);
}

/* The logger: writes its 300 lines as one batch, so that no other line
 * cuts in, and keeps the mutex for the whole batch, a millisecond a
 * line, as a slow disk would. */
static void *
logger(void *arg)
{
	char line[64];

	(void)arg;
	pthread_mutex_lock(&log_mutex);
	for (int i = 0; i < LINES; i++) {
		snprintf(line, sizeof line, "logger: line %d\n", i);
		if (write(log_fd, line, strlen(line)) == -1)
			perror("write spawn.log");
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		atomic_fetch_add(&logged, 1);
	}
	pthread_mutex_unlock(&log_mutex);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t t;
	int n, ok = 0, status;

	if (argc != 2 || (n = atoi(argv[1])) < 1 || n > 32) {
		fprintf(stderr, "Usage: %s N   (1 to 32 helpers)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	/* TODO: should sleep, a program of someone else's, get this descriptor? */
	log_fd = open("spawn.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (log_fd == -1) {
		perror("spawn.log");
		exit(EXIT_FAILURE);
	}
	if (pthread_create(&t, NULL, logger, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		exit(EXIT_FAILURE);
	}
	/* Wait until the logger is busy, so the helpers start while it logs. */
	while (atomic_load(&logged) == 0)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);

	for (int i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			perror("fork");
			exit(EXIT_FAILURE);
		case 0: /* Child: a copy of this thread alone. */
			/* TODO: what if the logger held log_mutex when we forked? */
			log_line("helper: starting sleep\n");
			execlp("sleep", "sleep", "0.2", (char *)NULL);
			_exit(127);
		default:
			break;
		}
	}
	for (int i = 0; i < n; i++)
		if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	pthread_join(t, NULL);
	printf("%d helpers exited 0, %d lines logged\n", ok, atomic_load(&logged));
	return ok == n ? 0 : 1;
}
