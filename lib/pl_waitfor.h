/* pl_waitfor.h - the wait-for graph of tasks and locks, and its cycles.
 *
 * A task (a process or a thread, named by its id) HOLDS some locks and
 * WANTS at most a few more. "Task A wants lock L, which task B holds" is an
 * edge A -> B of the wait-for graph. A cycle in that graph is a deadlock:
 * every task in it waits for the next, and none can go on (Coffman et al.,
 * "System Deadlocks", 1971; the kernel does the same check for POSIX
 * record locks, see fcntl(2), EDEADLK).
 *
 *     struct pl_waitfor *g = pl_waitfor_new();
 *     pl_waitfor_holds(g, 101, "philosopher 1", "fork 1");
 *     pl_waitfor_wants(g, 101, "philosopher 1", "fork 2");
 *     ...
 *     struct pl_waitfor_cycle c;
 *     if (pl_waitfor_find_cycle(g, &c) == 1) { pl_waitfor_describe(&c, ...); }
 *     pl_waitfor_free(g);
 *
 * The dashboard feeds it from /proc/locks and the status board; the
 * deadlock demos can feed it from what their own threads report.
 * Like the rest of the library it never prints and never exits.
 */
#ifndef PL_WAITFOR_H
#define PL_WAITFOR_H

#include <stddef.h>
#include <sys/types.h>

#define PL_WAITFOR_NAME_MAX 48
#define PL_WAITFOR_CYCLE_MAX 16

struct pl_waitfor;

/* One link of a cycle: TASK waits for LOCK, held by the next link's task
 * (the last link's lock is held by the first link's task). */
struct pl_waitfor_link {
	long task;
	char task_name[PL_WAITFOR_NAME_MAX];
	char lock[PL_WAITFOR_NAME_MAX];
};

struct pl_waitfor_cycle {
	size_t length;
	struct pl_waitfor_link links[PL_WAITFOR_CYCLE_MAX];
};

/* A new, empty graph, or NULL with errno ENOMEM. */
struct pl_waitfor *pl_waitfor_new(void);
void pl_waitfor_free(struct pl_waitfor *g);

/* Forget every task and lock, keeping the memory for the next round. */
void pl_waitfor_clear(struct pl_waitfor *g);

/* TASK (called NAME, which may be NULL) holds / wants LOCK. Adding the same
 * fact twice is harmless. Names longer than PL_WAITFOR_NAME_MAX - 1 are cut.
 * Return 0, or -1 with errno EINVAL (task <= 0, empty lock) or ENOMEM. */
int pl_waitfor_holds(struct pl_waitfor *g, long task, const char *name, const char *lock);
int pl_waitfor_wants(struct pl_waitfor *g, long task, const char *name, const char *lock);

/* How many tasks and locks the graph knows. */
size_t pl_waitfor_tasks(const struct pl_waitfor *g);
size_t pl_waitfor_locks(const struct pl_waitfor *g);

/* Find a cycle. Returns 1 with *OUT filled (starting from its smallest task
 * id, so the same deadlock is always told the same way), 0 when there is
 * none, or -1 with errno ENOMEM when there was no memory to search (then
 * nobody knows). A cycle longer than PL_WAITFOR_CYCLE_MAX is cut to that
 * length. Only cycles made of DIFFERENT tasks count: a task that wants a
 * lock it already holds blocks itself, and that is reported too, as a
 * cycle of one. */
int pl_waitfor_find_cycle(const struct pl_waitfor *g, struct pl_waitfor_cycle *out);

/* Every cycle, each once: stores at most MAX in OUT and returns how many
 * were found (at most MAX), or -1 with errno ENOMEM. Cycles that share a
 * task are reported once. */
ssize_t pl_waitfor_find_cycles(const struct pl_waitfor *g, struct pl_waitfor_cycle *out,
                               size_t max);

/* "101 (philosopher 1) wants fork 2, held by 102 (philosopher 2); 102 ...
 * wants fork 1, held by 101 (philosopher 1)". Returns 0, or -1 with errno
 * ENOBUFS when it did not fit (BUF then holds as much as fitted). */
int pl_waitfor_describe(const struct pl_waitfor_cycle *c, char *buf, size_t size);

#endif /* PL_WAITFOR_H */
