/* pl_waitfor.c - the wait-for graph of tasks and locks, and its cycles. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "pl_waitfor.h"

struct task {
	long id;
	char name[PL_WAITFOR_NAME_MAX];
};

/* One fact: task T holds (or wants) lock L, as indexes. */
struct fact {
	size_t task, lock;
};

struct pl_waitfor {
	struct task *tasks;
	size_t ntasks, cap_tasks;
	char (*locks)[PL_WAITFOR_NAME_MAX];
	size_t nlocks, cap_locks;
	struct fact *holds, *wants;
	size_t nholds, cap_holds, nwants, cap_wants;
};

/* Grow *ARRAY of *CAP elements of SIZE bytes so it has room for one more. */
static int
grow(void *array, size_t *cap, size_t used, size_t size)
{
	void **p = array;
	size_t want;
	void *bigger;

	if (used < *cap)
		return 0;
	want = *cap ? *cap * 2 : 16;
	bigger = realloc(*p, want * size);
	if (bigger == NULL) {
		errno = ENOMEM;
		return -1;
	}
	*p = bigger;
	*cap = want;
	return 0;
}

struct pl_waitfor *
pl_waitfor_new(void)
{
	struct pl_waitfor *g = calloc(1, sizeof(*g));

	if (g == NULL)
		errno = ENOMEM;
	return g;
}

void
pl_waitfor_free(struct pl_waitfor *g)
{
	if (g == NULL)
		return;
	free(g->tasks);
	free(g->locks);
	free(g->holds);
	free(g->wants);
	free(g);
}

void
pl_waitfor_clear(struct pl_waitfor *g)
{
	g->ntasks = g->nlocks = g->nholds = g->nwants = 0;
}

static void
copy_name(char *dst, const char *src)
{
	snprintf(dst, PL_WAITFOR_NAME_MAX, "%s", src ? src : "");
}

static long
task_index(struct pl_waitfor *g, long id, const char *name)
{
	for (size_t i = 0; i < g->ntasks; i++)
		if (g->tasks[i].id == id) {
			if (name != NULL && g->tasks[i].name[0] == '\0')
				copy_name(g->tasks[i].name, name);
			return (long)i;
		}
	if (grow(&g->tasks, &g->cap_tasks, g->ntasks, sizeof(g->tasks[0])) == -1)
		return -1;
	g->tasks[g->ntasks].id = id;
	copy_name(g->tasks[g->ntasks].name, name);
	return (long)g->ntasks++;
}

static long
lock_index(struct pl_waitfor *g, const char *lock)
{
	char cut[PL_WAITFOR_NAME_MAX];

	copy_name(cut, lock);
	for (size_t i = 0; i < g->nlocks; i++)
		if (strcmp(g->locks[i], cut) == 0)
			return (long)i;
	if (grow(&g->locks, &g->cap_locks, g->nlocks, sizeof(g->locks[0])) == -1)
		return -1;
	memcpy(g->locks[g->nlocks], cut, sizeof(cut));
	return (long)g->nlocks++;
}

static int
add_fact(struct pl_waitfor *g, struct fact **facts, size_t *n, size_t *cap, long task,
         const char *name, const char *lock)
{
	long t, l;

	if (g == NULL || task <= 0 || lock == NULL || lock[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	if ((t = task_index(g, task, name)) == -1 || (l = lock_index(g, lock)) == -1)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if ((*facts)[i].task == (size_t)t && (*facts)[i].lock == (size_t)l)
			return 0;
	if (grow(facts, cap, *n, sizeof(**facts)) == -1)
		return -1;
	(*facts)[*n].task = (size_t)t;
	(*facts)[*n].lock = (size_t)l;
	(*n)++;
	return 0;
}

int
pl_waitfor_holds(struct pl_waitfor *g, long task, const char *name, const char *lock)
{
	return add_fact(g, &g->holds, &g->nholds, &g->cap_holds, task, name, lock);
}

int
pl_waitfor_wants(struct pl_waitfor *g, long task, const char *name, const char *lock)
{
	return add_fact(g, &g->wants, &g->nwants, &g->cap_wants, task, name, lock);
}

size_t
pl_waitfor_tasks(const struct pl_waitfor *g)
{
	return g->ntasks;
}

size_t
pl_waitfor_locks(const struct pl_waitfor *g)
{
	return g->nlocks;
}

/* The search: a depth-first walk over tasks, where task A leads to task B
 * through lock L when A wants L and B holds it. Reaching a task that is on
 * the current path closes a cycle. Iterative, so a long chain cannot
 * overflow the stack. */
enum colour { WHITE, GREY, BLACK };

struct frame {
	size_t task;
	size_t next_want; /* which of g->wants to try next */
	size_t next_hold; /* and which of g->holds for it */
	size_t via_lock;  /* the lock that led from this task to the next */
};

static void
rotate_smallest_first(struct pl_waitfor_cycle *c)
{
	struct pl_waitfor_link tmp[PL_WAITFOR_CYCLE_MAX];
	size_t best = 0;

	for (size_t i = 1; i < c->length; i++)
		if (c->links[i].task < c->links[best].task)
			best = i;
	for (size_t i = 0; i < c->length; i++)
		tmp[i] = c->links[(best + i) % c->length];
	memcpy(c->links, tmp, c->length * sizeof(tmp[0]));
}

ssize_t
pl_waitfor_find_cycles(const struct pl_waitfor *g, struct pl_waitfor_cycle *out, size_t max)
{
	enum colour *colour;
	struct frame *stack;
	bool *reported;
	size_t found = 0;
	size_t *order;

	if (g->ntasks == 0 || max == 0)
		return 0;
	colour = calloc(g->ntasks, sizeof(*colour));
	stack = calloc(g->ntasks, sizeof(*stack));
	reported = calloc(g->ntasks, sizeof(*reported));
	order = calloc(g->ntasks, sizeof(*order));
	if (colour == NULL || stack == NULL || reported == NULL || order == NULL) {
		/* Not searched is not "no cycle": a deadlock may be there. */
		free(colour);
		free(stack);
		free(reported);
		free(order);
		errno = ENOMEM;
		return -1;
	}

	/* Start from the smallest ids, so the answer does not depend on the
	 * order the facts came in. */
	for (size_t i = 0; i < g->ntasks; i++)
		order[i] = i;
	for (size_t i = 1; i < g->ntasks; i++)
		for (size_t j = i; j > 0 && g->tasks[order[j]].id < g->tasks[order[j - 1]].id;
		     j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}

	for (size_t s = 0; s < g->ntasks && found < max; s++) {
		size_t depth = 0;

		if (colour[order[s]] != WHITE)
			continue;
		stack[0] = (struct frame){ order[s], 0, 0, 0 };
		colour[order[s]] = GREY;
		depth = 1;
		while (depth > 0 && found < max) {
			struct frame *f = &stack[depth - 1];
			bool pushed = false;

			/* Next (want, hold) pair from this task. */
			/* found < max here too: one task's wants can close more
			 * than one cycle, and OUT has room for MAX. */
			while (!pushed && f->next_want < g->nwants && found < max) {
				const struct fact *w = &g->wants[f->next_want];

				if (w->task != f->task || f->next_hold >= g->nholds) {
					f->next_want++;
					f->next_hold = 0;
					continue;
				}
				const struct fact *h = &g->holds[f->next_hold++];
				if (h->lock != w->lock)
					continue;
				f->via_lock = w->lock;
				if (colour[h->task] == GREY && !reported[h->task]) {
					/* A cycle: from h->task on the stack to here. */
					struct pl_waitfor_cycle *c = &out[found];
					size_t from = 0;

					while (stack[from].task != h->task)
						from++;
					c->length = 0;
					for (size_t k = from;
					     k < depth && c->length < PL_WAITFOR_CYCLE_MAX; k++) {
						struct pl_waitfor_link *l = &c->links[c->length++];
						l->task = g->tasks[stack[k].task].id;
						memcpy(l->task_name, g->tasks[stack[k].task].name,
						       sizeof(l->task_name));
						memcpy(l->lock, g->locks[stack[k].via_lock],
						       sizeof(l->lock));
					}
					for (size_t k = from; k < depth; k++)
						reported[stack[k].task] = true;
					rotate_smallest_first(c);
					found++;
				} else if (colour[h->task] == WHITE) {
					colour[h->task] = GREY;
					stack[depth++] = (struct frame){ h->task, 0, 0, 0 };
					pushed = true;
				}
			}
			if (!pushed) {
				colour[f->task] = BLACK;
				depth--;
			}
		}
	}
	free(colour);
	free(stack);
	free(reported);
	free(order);
	return (ssize_t)found;
}

int
pl_waitfor_find_cycle(const struct pl_waitfor *g, struct pl_waitfor_cycle *out)
{
	return (int)pl_waitfor_find_cycles(g, out, 1);
}

int
pl_waitfor_describe(const struct pl_waitfor_cycle *c, char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0) {
		errno = ENOBUFS;
		return -1;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < c->length; i++) {
		const struct pl_waitfor_link *me = &c->links[i];
		const struct pl_waitfor_link *next = &c->links[(i + 1) % c->length];
		char who[PL_WAITFOR_NAME_MAX + 32], holder[PL_WAITFOR_NAME_MAX + 32];
		int n;

		if (me->task_name[0])
			snprintf(who, sizeof(who), "%ld (%s)", me->task, me->task_name);
		else
			snprintf(who, sizeof(who), "%ld", me->task);
		if (next->task_name[0])
			snprintf(holder, sizeof(holder), "%ld (%s)", next->task, next->task_name);
		else
			snprintf(holder, sizeof(holder), "%ld", next->task);
		n = snprintf(buf + used, size - used, "%s%s wants %s, held by %s", i ? "; " : "",
		             who, me->lock, holder);
		if (n < 0 || (size_t)n >= size - used) {
			errno = ENOBUFS;
			return -1;
		}
		used += (size_t)n;
	}
	return 0;
}
