/* vfork-thread.c - vfork() suspends the calling thread, not the process.
 *
 * Usage: vfork-thread
 *
 * A counter thread adds one every millisecond. The main thread calls
 * vfork(); the child sleeps 200 ms and _exit()s. vfork() returns in the
 * parent only then, and meanwhile the counter thread has kept counting:
 *
 *     vfork took 201 ms, the other thread counted 180 meanwhile
 *
 * vfork(2): "the calling thread is suspended until the child terminates
 * or execs"; kernel_clone() waits for the vfork completion in the caller
 * only (wait_for_vfork_done(), kernel/fork.c).
 * Used by tests/truth.sh (lesson 16).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_long count;
static atomic_int stop;

static void *
counter(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		atomic_fetch_add(&count, 1);
	}
	return NULL;
}

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int
main(void)
{
	pthread_t t;
	long before, after, start, took;
	int status;
	pid_t pid;

	alarm(30);
	if (pthread_create(&t, NULL, counter, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 2;
	}
	/* Let the counter start, so that it is surely running. */
	while (atomic_load(&count) < 5)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	start = now_ms();
	before = atomic_load(&count);
	switch (pid = vfork()) {
	case -1:
		perror("vfork");
		return 2;
	case 0: /* Child: borrows the parent's memory; only a system call and _exit. */
		nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
		_exit(0);
	default:
		break;
	}
	after = atomic_load(&count);
	took = now_ms() - start;
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return 2;
	}
	printf("vfork took %ld ms, the other thread counted %ld meanwhile\n", took, after - before);
	return 0;
}
