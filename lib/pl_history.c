/* pl_history.c - the history of a whole run: kept from the model, and
 * turned back into a model. See pl_history.h; the recording, its lines
 * written and read, is in pl_history_record.c. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pl_child.h"
#include "pl_history.h"

/* ------------------------------------------------------------------ */
/* Strings cut to their fields, and growing arrays.                     */

static void
copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
grow(void **items, size_t *cap, size_t used, size_t size)
{
	size_t bigger;
	void *moved;

	if (used < *cap)
		return 0;
	bigger = *cap ? *cap * 2 : 16;
	if ((moved = realloc(*items, bigger * size)) == NULL)
		return -1;
	*items = moved;
	*cap = bigger;
	return 0;
}

void
pl_history_init(struct pl_history *h)
{
	memset(h, 0, sizeof(*h));
	h->hz = 10;
}

void
pl_history_free(struct pl_history *h)
{
	for (size_t i = 0; i < h->nprocs; i++) {
		free(h->procs[i].changes);
		free(h->procs[i].threads);
	}
	free(h->procs);
	free(h->by_pid);
	free(h->narration);
	for (size_t i = 0; i < h->nipc; i++)
		free(h->ipc[i].holders);
	free(h->ipc);
	free(h->locks);
	memset(h, 0, sizeof(*h));
}

static size_t
hash_pid(pid_t pid, size_t cap)
{
	return ((size_t)pid * 2654435761u) & (cap - 1);
}

/* Note procs[I] as the newest with its PID. */
static int
index_add(struct pl_history *h, size_t i)
{
	size_t at;

	if (2 * (h->nprocs + 1) > h->by_pid_cap) {
		size_t cap = h->by_pid_cap ? 2 * h->by_pid_cap : 256;
		long *bigger = malloc(cap * sizeof(*bigger));

		if (bigger == NULL)
			return -1;
		for (size_t k = 0; k < cap; k++)
			bigger[k] = -1;
		free(h->by_pid);
		h->by_pid = bigger;
		h->by_pid_cap = cap;
		for (size_t k = 0; k < i; k++) /* the newest last: they win */
			index_add(h, k);
	}
	for (at = hash_pid(h->procs[i].pid, h->by_pid_cap); h->by_pid[at] != -1;
	     at = (at + 1) & (h->by_pid_cap - 1))
		if (h->procs[h->by_pid[at]].pid == h->procs[i].pid)
			break;
	h->by_pid[at] = (long)i;
	return 0;
}

/* The newest process on the books with PID (a PID may come back: the
 * newest is the one alive, if any), or NULL. */
static struct pl_history_proc *
find(const struct pl_history *h, pid_t pid)
{
	if (h->by_pid_cap == 0)
		return NULL;
	for (size_t at = hash_pid(pid, h->by_pid_cap); h->by_pid[at] != -1;
	     at = (at + 1) & (h->by_pid_cap - 1))
		if (h->procs[h->by_pid[at]].pid == pid)
			return &h->procs[h->by_pid[at]];
	return NULL;
}

static struct pl_history_ipc *
find_ipc(const struct pl_history *h, const char *id)
{
	for (size_t i = 0; i < h->nipc; i++)
		if (strcmp(h->ipc[i].object.id, id) == 0)
			return &h->ipc[i];
	return NULL;
}

static bool
same_lock(const struct pl_ipc_lock *a, const struct pl_ipc_lock *b)
{
	return a->pid == b->pid && a->waiting == b->waiting && a->inode == b->inode &&
	       strcmp(a->type, b->type) == 0 && strcmp(a->mode, b->mode) == 0 &&
	       strcmp(a->name, b->name) == 0 && strcmp(a->range, b->range) == 0;
}

void
pl_history_status(bool known, int status, char *buf, size_t size)
{
	if (!known)
		snprintf(buf, size, "exited");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by %s", pl_signal_name(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited");
}

char
pl_history_state_at(const struct pl_history_proc *p, double t)
{
	char state = ' ';

	if (t < p->born)
		return ' ';
	/* The last change at or before T. */
	for (size_t lo = 0, hi = p->nchanges; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		if (p->changes[mid].t <= t) {
			state = p->changes[mid].state;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (state == ' ' && p->nchanges > 0)
		state = p->changes[0].state;
	return state == 'X' ? '.' : state;
}

/* ------------------------------------------------------------------ */
/* Applying an event: the one place where the history changes.         */

static int
add_change(struct pl_history_proc *p, double t, char state)
{
	if (p->nchanges > 0 && p->changes[p->nchanges - 1].t == t) {
		p->changes[p->nchanges - 1].state = state; /* one refresh, one state */
		return 0;
	}
	if (grow((void **)&p->changes, &p->cap_changes, p->nchanges, sizeof(*p->changes)) == -1)
		return -1;
	p->changes[p->nchanges].t = t;
	p->changes[p->nchanges++].state = state;
	return 0;
}

static void
zombie_over(struct pl_history *h, struct pl_history_proc *p, double t)
{
	if (p->zombie_since >= 0 && t - p->zombie_since > h->summary.zombie_max)
		h->summary.zombie_max = t - p->zombie_since;
	p->zombie_since = -1;
}

static int
apply_proc(struct pl_history *h, const struct pl_history_event *e)
{
	struct pl_history_proc *p, *old = find(h, e->pid);

	if (old != NULL && old->gone_at < 0) {
		/* A new process under a PID we thought alive: the old one left
		 * unseen between two readings. */
		old->gone_at = e->t;
		add_change(old, e->t, 'X');
		h->alive--;
	}
	if (grow((void **)&h->procs, &h->cap_procs, h->nprocs, sizeof(*h->procs)) == -1)
		return -1;
	p = &h->procs[h->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = e->pid;
	p->ppid = e->ppid;
	copy(p->comm, sizeof(p->comm), e->text);
	copy(p->role, sizeof(p->role), e->role);
	p->state = '?';
	p->born = e->t;
	p->gone_at = p->zombie_since = -1;
	if (index_add(h, h->nprocs) == -1)
		return -1;
	h->nprocs++;
	h->summary.made++;
	if (++h->alive > h->summary.most_alive)
		h->summary.most_alive = h->alive;
	if (h->nprocs == 1)
		h->root = p->pid;
	return 0;
}

static int
apply_line(struct pl_history *h, const struct pl_history_event *e)
{
	struct pl_history_line *l;

	if (grow((void **)&h->narration, &h->cap_narration, h->nnarration, sizeof(*h->narration)) == -1)
		return -1;
	l = &h->narration[h->nnarration++];
	l->t = e->t;
	l->pid = e->pid;
	l->kind = e->kind;
	l->held = e->held;
	copy(l->text, sizeof(l->text), e->text);
	if (e->kind == 'c') {
		h->summary.checks++;
		h->summary.checks_held += e->held;
	}
	return 0;
}

/* How many processes are among the N HOLDERS of an object (one may hold
 * it many times, and on both sides of a connection). */
static size_t
count_pids(const struct pl_ipc_holder *holders, size_t n)
{
	size_t pids = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < i && holders[j].pid != holders[i].pid)
			j++;
		pids += j == i;
	}
	return pids;
}

/* An object appeared, or its holders changed: an "add" with an id we
 * have replaces what we had (but not the bytes queued, a line of its
 * own). */
static int
apply_ipc(struct pl_history *h, const struct pl_history_event *e)
{
	struct pl_history_ipc *o = find_ipc(h, e->id);
	struct pl_ipc_holder *holders = NULL;
	size_t n = e->object.nholders < PL_HISTORY_HOLDERS ? e->object.nholders
	                                                    : PL_HISTORY_HOLDERS;
	long queued = o != NULL ? o->object.queued : -1;

	switch (e->type) {
	case PL_HISTORY_IPC_ADD:
		if (n > 0 && (holders = malloc(n * sizeof(*holders))) == NULL)
			return -1;
		if (o == NULL) {
			if (grow((void **)&h->ipc, &h->cap_ipc, h->nipc, sizeof(*h->ipc)) == -1) {
				free(holders);
				return -1;
			}
			o = &h->ipc[h->nipc++];
			o->holders = NULL;
		}
		if (n > 0)
			memcpy(holders, e->holders, n * sizeof(*holders));
		free(o->holders);
		o->holders = holders;
		o->object = e->object;
		copy(o->object.id, sizeof(o->object.id), e->id);
		o->object.queued = queued;
		o->object.holder = 0;
		o->object.nholders = n;
		o->object.npids = count_pids(holders, n);
		break;
	case PL_HISTORY_IPC_DEL:
		if (o != NULL) {
			free(o->holders);
			*o = h->ipc[--h->nipc];
		}
		break;
	default: /* PL_HISTORY_QUEUED */
		if (o != NULL)
			o->object.queued = e->bytes;
		break;
	}
	return 0;
}

static int
apply_lock(struct pl_history *h, const struct pl_history_event *e)
{
	for (size_t i = 0; i < h->nlocks; i++)
		if (same_lock(&h->locks[i], &e->lock)) {
			if (e->type == PL_HISTORY_LOCK_DEL)
				h->locks[i] = h->locks[--h->nlocks];
			return 0;
		}
	if (e->type == PL_HISTORY_LOCK_DEL)
		return 0;
	if (grow((void **)&h->locks, &h->cap_locks, h->nlocks, sizeof(*h->locks)) == -1)
		return -1;
	h->locks[h->nlocks++] = e->lock;
	return 0;
}

/* A thread of P appeared, changed, or (state 'X') went. */
static int
apply_thread(struct pl_history_proc *p, const struct pl_history_event *e)
{
	struct pl_model_thread *t = NULL;

	for (size_t i = 0; i < p->nthreads && t == NULL; i++)
		if (p->threads[i].tid == e->tid)
			t = &p->threads[i];
	if (e->state == 'X') {
		if (t != NULL) { /* keep the order of the others */
			size_t at = (size_t)(t - p->threads);
			memmove(t, t + 1, (p->nthreads - at - 1) * sizeof(*t));
			p->nthreads--;
		}
		return 0;
	}
	if (t == NULL) {
		if (grow((void **)&p->threads, &p->cap_threads, p->nthreads, sizeof(*p->threads)) ==
		    -1)
			return -1;
		t = &p->threads[p->nthreads++];
		memset(t, 0, sizeof(*t));
		t->tid = e->tid;
	}
	t->state = e->state;
	copy(t->comm, sizeof(t->comm), e->text);
	copy(t->wchan, sizeof(t->wchan), e->wchan);
	return 0;
}

static bool
same_cycle(const struct pl_waitfor_cycle *a, const struct pl_waitfor_cycle *b)
{
	if (a->length != b->length)
		return false;
	for (size_t i = 0; i < a->length; i++)
		if (a->links[i].task != b->links[i].task ||
		    strcmp(a->links[i].lock, b->links[i].lock) != 0 ||
		    strcmp(a->links[i].task_name, b->links[i].task_name) != 0)
			return false;
	return true;
}

/* A cycle of the set found now; a cycle not in the set before is a new
 * deadlock for the summary. */
static void
apply_deadlock(struct pl_history *h, const struct pl_history_event *e)
{
	bool known = false;

	if (e->count == 0 || e->index >= PL_MODEL_CYCLES) {
		h->ncycles = 0;
		return;
	}
	for (size_t i = 0; i < h->ncycles && !known; i++)
		known = same_cycle(&h->cycles[i], &e->cycle);
	if (!known)
		h->summary.deadlocks++;
	h->cycles[e->index] = e->cycle;
	h->ncycles = e->count < PL_MODEL_CYCLES ? e->count : PL_MODEL_CYCLES;
}

/* Write E as a line of the recording. Most lines are short; an IPC
 * object with many holders takes up to PL_HISTORY_LINE_MAX bytes. */
static void
record(struct pl_history *h, const struct pl_history_event *e)
{
	char small[2048], *line = small, *big = NULL;
	int n;

	if (h->record == NULL)
		return;
	n = pl_history_format(&h->summary, e, small, sizeof(small));
	if (n < 0 && (big = malloc(PL_HISTORY_LINE_MAX)) != NULL) {
		line = big;
		n = pl_history_format(&h->summary, e, big, PL_HISTORY_LINE_MAX);
	}
	if (n < 0) {
		h->record_error = errno ? errno : ENOBUFS; /* no memory: every field is bounded */
		h->record = NULL;
	} else if (fwrite(line, 1, (size_t)n, h->record) != (size_t)n) {
		h->record_error = errno ? errno : EIO;
		h->record = NULL;
	}
	free(big);
}

int
pl_history_apply(struct pl_history *h, const struct pl_history_event *e)
{
	struct pl_history_proc *p = NULL;
	int rc = 0;

	if (e->t > h->now)
		h->now = e->t;
	switch (e->type) {
	case PL_HISTORY_STATE:
	case PL_HISTORY_THREAD:
	case PL_HISTORY_WCHAN:
	case PL_HISTORY_EXEC:
	case PL_HISTORY_ROLE:
	case PL_HISTORY_ADOPT:
	case PL_HISTORY_EXIT:
	case PL_HISTORY_FORGET:
		/* A line about a process never introduced is skipped: a reader
		 * does not trust a recording to be whole. */
		if ((p = find(h, e->pid)) == NULL)
			return 0;
		break;
	default:
		break;
	}
	switch (e->type) {
	case PL_HISTORY_HEADER:
		copy(h->command, sizeof(h->command), e->text);
		if (e->bytes > 0)
			h->hz = (double)e->bytes;
		break;
	case PL_HISTORY_PROC:
		rc = apply_proc(h, e);
		break;
	case PL_HISTORY_STATE:
		if (p->gone_at >= 0)
			return 0;
		if (e->state == 'Z' && p->zombie_since < 0) {
			p->zombie_since = e->t;
			h->summary.zombies++;
		} else if (e->state != 'Z') {
			zombie_over(h, p, e->t);
		}
		p->state = e->state;
		rc = add_change(p, e->t, e->state);
		break;
	case PL_HISTORY_THREAD:
		rc = apply_thread(p, e);
		break;
	case PL_HISTORY_WCHAN:
		copy(p->wchan, sizeof(p->wchan), e->text);
		break;
	case PL_HISTORY_EXEC:
		copy(p->comm, sizeof(p->comm), e->text);
		break;
	case PL_HISTORY_ROLE:
		copy(p->role, sizeof(p->role), e->role);
		break;
	case PL_HISTORY_ADOPT:
		if (!p->adopted)
			h->summary.orphans++;
		p->adopted = true;
		p->adopter = p->ppid = e->ppid;
		copy(p->adopter_comm, sizeof(p->adopter_comm), e->text);
		break;
	case PL_HISTORY_EXIT:
		if (p->gone_at < 0) {
			p->gone_at = e->t;
			h->alive--;
			zombie_over(h, p, e->t);
			rc = add_change(p, e->t, 'X');
		}
		p->state = 'X';
		p->wchan[0] = '\0';
		p->nthreads = 0;
		p->exit_known = e->exit_known;
		p->exit_status = e->exit_status;
		break;
	case PL_HISTORY_FORGET:
		p->forgotten = true;
		break;
	case PL_HISTORY_NARRATION:
		rc = apply_line(h, e);
		break;
	case PL_HISTORY_IPC_ADD:
	case PL_HISTORY_IPC_DEL:
	case PL_HISTORY_QUEUED:
		rc = apply_ipc(h, e);
		break;
	case PL_HISTORY_LOCK_ADD:
	case PL_HISTORY_LOCK_DEL:
		rc = apply_lock(h, e);
		break;
	case PL_HISTORY_DEADLOCK:
		apply_deadlock(h, e);
		break;
	case PL_HISTORY_STEP:
		h->step_waiting = e->held;
		break;
	case PL_HISTORY_SIGNAL:
		break; /* recorded, for the exporters; nothing to show */
	case PL_HISTORY_END:
		h->ended = true;
		h->end_known = e->exit_known;
		h->end_status = e->exit_status;
		break;
	case PL_HISTORY_SUMMARY:
		break; /* the summary is the history's own count, not the file's */
	}
	if (rc == 0)
		record(h, e);
	return rc;
}

/* ------------------------------------------------------------------ */
/* From the model: what changed since the last refresh.                 */

static struct pl_history_event *
event(struct pl_history_event *e, const struct pl_history *h, enum pl_history_type type,
      pid_t pid)
{
	memset(e, 0, sizeof(*e));
	e->t = h->now;
	e->type = type;
	e->pid = pid;
	return e;
}

/* Does HO, the history's object, still say what the model's MO says: the
 * same object, held the same way by the same processes? */
static bool
same_object(const struct pl_history_ipc *ho, const struct pl_model *m,
            const struct pl_ipc_object *mo)
{
	const struct pl_ipc_object *o = &ho->object;
	const struct pl_ipc_holder *mh = &m->holders[mo->holder];
	size_t n = mo->nholders < PL_HISTORY_HOLDERS ? mo->nholders : PL_HISTORY_HOLDERS;

	if (o->kind != mo->kind || strcmp(o->label, mo->label) != 0 ||
	    strcmp(o->ends[0], mo->ends[0]) != 0 || strcmp(o->ends[1], mo->ends[1]) != 0 ||
	    o->listening != mo->listening || o->connection != mo->connection ||
	    o->outside != mo->outside || o->dev != mo->dev || o->inode != mo->inode ||
	    o->nholders != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ho->holders[i].pid != mh[i].pid || ho->holders[i].fd != mh[i].fd ||
		    ho->holders[i].end != mh[i].end || ho->holders[i].side != mh[i].side)
			return false;
	return true;
}

/* The model's IPC objects: each new one, or one whose holders changed,
 * is (re)added whole, under the id the model gives it; then the bytes
 * in a pipe; then those no longer there go. */
static int
update_ipc(struct pl_history *h, const struct pl_model *m)
{
	struct pl_history_event e;
	bool *seen = calloc(h->nipc + 1, sizeof(*seen));
	size_t n = h->nipc;
	int rc = 0;

	if (seen == NULL)
		return -1;
	for (size_t i = 0; i < m->nobjects && rc == 0; i++) {
		const struct pl_ipc_object *mo = &m->objects[i];
		struct pl_history_ipc *o = find_ipc(h, mo->id);

		if (o != NULL && (size_t)(o - h->ipc) < n)
			seen[o - h->ipc] = true;
		if (o == NULL || !same_object(o, m, mo)) {
			event(&e, h, PL_HISTORY_IPC_ADD, 0);
			copy(e.id, sizeof(e.id), mo->id);
			e.object = *mo;
			e.object.holder = 0;
			if (e.object.nholders > PL_HISTORY_HOLDERS)
				e.object.nholders = PL_HISTORY_HOLDERS;
			if (e.object.nholders > 0)
				memcpy(e.holders, &m->holders[mo->holder],
				       e.object.nholders * sizeof(*e.holders));
			rc = pl_history_apply(h, &e);
			o = find_ipc(h, mo->id);
		}
		if (rc == 0 && o != NULL && o->object.queued != mo->queued) {
			event(&e, h, PL_HISTORY_QUEUED, 0);
			copy(e.id, sizeof(e.id), mo->id);
			e.bytes = mo->queued;
			rc = pl_history_apply(h, &e);
		}
	}
	/* Those not seen are gone. Deleting moves the last one into the
	 * hole, so walk from the end of the ones that were there before. */
	for (size_t i = n; i-- > 0 && rc == 0;)
		if (!seen[i]) {
			event(&e, h, PL_HISTORY_IPC_DEL, 0);
			copy(e.id, sizeof(e.id), h->ipc[i].object.id);
			rc = pl_history_apply(h, &e);
		}
	free(seen);
	return rc;
}

static int
update_locks(struct pl_history *h, const struct pl_model *m)
{
	struct pl_history_event e;
	int rc = 0;

	for (size_t i = h->nlocks; i-- > 0 && rc == 0;) {
		bool there = false;
		for (size_t j = 0; j < m->nlocks && !there; j++)
			there = same_lock(&h->locks[i], &m->locks[j]);
		if (!there) {
			event(&e, h, PL_HISTORY_LOCK_DEL, h->locks[i].pid);
			e.lock = h->locks[i];
			rc = pl_history_apply(h, &e);
		}
	}
	for (size_t j = 0; j < m->nlocks && rc == 0; j++) {
		bool known = false;
		for (size_t i = 0; i < h->nlocks && !known; i++)
			known = same_lock(&h->locks[i], &m->locks[j]);
		if (known)
			continue;
		event(&e, h, PL_HISTORY_LOCK_ADD, m->locks[j].pid);
		e.lock = m->locks[j];
		e.lock.id = 0;
		rc = pl_history_apply(h, &e);
	}
	return rc;
}

/* Its threads (none unless the model reads them): those gone, then those
 * new or changed. */
static int
update_threads(struct pl_history *h, struct pl_history_proc *p, const struct pl_model_proc *mp)
{
	struct pl_history_event e;

	for (size_t i = p->nthreads; i-- > 0;) {
		bool there = false;
		for (size_t j = 0; j < mp->nthreads && !there; j++)
			there = mp->threads[j].tid == p->threads[i].tid;
		if (!there) {
			event(&e, h, PL_HISTORY_THREAD, mp->pid);
			e.tid = p->threads[i].tid;
			e.state = 'X';
			if (pl_history_apply(h, &e) == -1)
				return -1;
		}
	}
	for (size_t j = 0; j < mp->nthreads; j++) {
		const struct pl_model_thread *t = &mp->threads[j], *known = NULL;

		for (size_t i = 0; i < p->nthreads && known == NULL; i++)
			if (p->threads[i].tid == t->tid)
				known = &p->threads[i];
		if (known != NULL && known->state == t->state && strcmp(known->comm, t->comm) == 0 &&
		    strcmp(known->wchan, t->wchan) == 0)
			continue;
		event(&e, h, PL_HISTORY_THREAD, mp->pid);
		e.tid = t->tid;
		e.state = t->state;
		copy(e.text, sizeof(e.text), t->comm);
		copy(e.wchan, sizeof(e.wchan), t->wchan);
		if (pl_history_apply(h, &e) == -1)
			return -1;
	}
	return 0;
}

static int
update_proc(struct pl_history *h, const struct pl_model_proc *mp)
{
	struct pl_history_proc *p = find(h, mp->pid);
	struct pl_history_event e;
	int rc = 0;

	if (p == NULL || (p->gone_at >= 0 && mp->gone_at < 0)) {
		if (mp->gone_at >= 0 && p != NULL)
			return 0; /* gone, and already known as gone */
		event(&e, h, PL_HISTORY_PROC, mp->pid);
		e.ppid = mp->first_ppid;
		copy(e.text, sizeof(e.text), mp->comm);
		copy(e.role, sizeof(e.role), mp->role);
		if (pl_history_apply(h, &e) == -1)
			return -1;
		p = find(h, mp->pid);
	}
	if (mp->gone_at >= 0) {
		if (p->gone_at < 0 || p->exit_known != mp->exit_known) {
			event(&e, h, PL_HISTORY_EXIT, mp->pid);
			e.exit_known = mp->exit_known;
			e.exit_status = mp->exit_status;
			rc = pl_history_apply(h, &e);
		}
		return rc;
	}
	if (rc == 0 && strcmp(p->comm, mp->comm) != 0) {
		event(&e, h, PL_HISTORY_EXEC, mp->pid);
		copy(e.text, sizeof(e.text), mp->comm);
		rc = pl_history_apply(h, &e);
	}
	if (rc == 0 && strcmp(p->role, mp->role) != 0) {
		event(&e, h, PL_HISTORY_ROLE, mp->pid);
		copy(e.role, sizeof(e.role), mp->role);
		rc = pl_history_apply(h, &e);
	}
	if (rc == 0 && mp->adopted && !p->adopted) {
		event(&e, h, PL_HISTORY_ADOPT, mp->pid);
		e.ppid = mp->adopter;
		copy(e.text, sizeof(e.text), mp->adopter_comm);
		rc = pl_history_apply(h, &e);
	}
	if (rc == 0 && p->state != mp->state) {
		event(&e, h, PL_HISTORY_STATE, mp->pid);
		e.state = mp->state;
		rc = pl_history_apply(h, &e);
	}
	if (rc == 0 && strcmp(p->wchan, mp->wchan) != 0) {
		event(&e, h, PL_HISTORY_WCHAN, mp->pid);
		copy(e.text, sizeof(e.text), mp->wchan);
		rc = pl_history_apply(h, &e);
	}
	if (rc == 0)
		rc = update_threads(h, p, mp);
	return rc;
}

/* The deadlocks: the whole set again whenever it changes. */
static int
update_deadlocks(struct pl_history *h, const struct pl_model *m)
{
	struct pl_history_event e;
	bool same = m->ncycles == h->ncycles;

	for (size_t i = 0; i < m->ncycles && same; i++)
		same = same_cycle(&m->cycles[i], &h->cycles[i]);
	if (same)
		return 0;
	event(&e, h, PL_HISTORY_DEADLOCK, 0);
	if (m->ncycles == 0)
		return pl_history_apply(h, &e);
	for (size_t i = 0; i < m->ncycles; i++) {
		event(&e, h, PL_HISTORY_DEADLOCK, (pid_t)m->cycles[i].links[0].task);
		e.index = (unsigned)i;
		e.count = (unsigned)m->ncycles;
		e.cycle = m->cycles[i];
		pl_waitfor_describe(&e.cycle, e.text, sizeof(e.text));
		if (pl_history_apply(h, &e) == -1)
			return -1;
	}
	return 0;
}

int
pl_history_update(struct pl_history *h, const struct pl_model *m)
{
	struct pl_history_event e;
	unsigned long long fresh;

	if (m->now > h->now)
		h->now = m->now;
	if (h->nprocs == 0)
		h->root = m->root;
	for (size_t i = 0; i < m->nprocs; i++)
		if (update_proc(h, &m->procs[i]) == -1)
			return -1;
	/* Those the model no longer shows have faded from the live view. */
	for (size_t i = 0; i < h->nprocs; i++) {
		struct pl_history_proc *p = &h->procs[i];
		bool shown = false;

		if (p->forgotten || p->gone_at < 0)
			continue;
		for (size_t j = 0; j < m->nprocs && !shown; j++)
			shown = m->procs[j].pid == p->pid && m->procs[j].gone_at >= 0;
		if (!shown) {
			if (find(h, p->pid) != p) {
				p->forgotten = true; /* its PID is another's now */
				continue;
			}
			event(&e, h, PL_HISTORY_FORGET, p->pid);
			if (pl_history_apply(h, &e) == -1)
				return -1;
		}
	}
	/* Narration: the lines added since the last update, of those the
	 * model still keeps. */
	fresh = m->narrated - h->narration_seen;
	if (fresh > m->nnarration)
		fresh = m->nnarration;
	for (size_t i = m->nnarration - (size_t)fresh; i < m->nnarration; i++) {
		const char *text = m->narration[i];

		event(&e, h, PL_HISTORY_NARRATION, m->narration_pid[i]);
		e.kind = m->narration_kind[i];
		if (e.kind != 'o')
			text += strspn(text, " "); /* the model indents notes */
		e.held = e.kind == 'c' && strncmp(text, "[ok]", 4) == 0;
		copy(e.text, sizeof(e.text), text);
		if (pl_history_apply(h, &e) == -1)
			return -1;
	}
	h->narration_seen = m->narrated;
	if (update_ipc(h, m) == -1 || update_locks(h, m) == -1)
		return -1;
	if (update_deadlocks(h, m) == -1)
		return -1;
	if (m->step_waiting != h->step_waiting) {
		event(&e, h, PL_HISTORY_STEP, 0);
		e.held = m->step_waiting;
		if (pl_history_apply(h, &e) == -1)
			return -1;
	}
	return 0;
}

int
pl_history_end(struct pl_history *h, bool known, int status)
{
	struct pl_history_event e;

	if (h->ended)
		return 0;
	event(&e, h, PL_HISTORY_END, h->root);
	e.exit_known = known;
	e.exit_status = status;
	if (pl_history_apply(h, &e) == -1)
		return -1;
	return pl_history_apply(h, event(&e, h, PL_HISTORY_SUMMARY, 0));
}

/* ------------------------------------------------------------------ */
/* Back to a model, for the screen and the snapshots.                   */

/* The IPC objects there now, into M as pl_ipc.c gives them. */
static int
model_objects(const struct pl_history *h, struct pl_model *m)
{
	size_t nholders = 0;

	for (size_t i = 0; i < h->nipc; i++)
		nholders += h->ipc[i].object.nholders;
	if (h->nipc > m->cap_objects) {
		struct pl_ipc_object *objects = realloc(m->objects, h->nipc * sizeof(*objects));
		if (objects == NULL)
			return -1;
		m->objects = objects;
		m->cap_objects = h->nipc;
	}
	if (nholders > m->cap_holders) {
		struct pl_ipc_holder *holders = realloc(m->holders, nholders * sizeof(*holders));
		if (holders == NULL)
			return -1;
		m->holders = holders;
		m->cap_holders = nholders;
	}
	m->nobjects = h->nipc;
	m->nholders = 0;
	for (size_t i = 0; i < h->nipc; i++) {
		const struct pl_history_ipc *hi = &h->ipc[i];
		size_t n = hi->object.nholders;

		m->objects[i] = hi->object;
		m->objects[i].holder = m->nholders;
		if (n > 0)
			memcpy(&m->holders[m->nholders], hi->holders, n * sizeof(*m->holders));
		m->nholders += n;
	}
	pl_ipc_sort_objects(m); /* in the order the live run printed them */
	return 0;
}

int
pl_history_model(const struct pl_history *h, struct pl_model *m, bool all)
{
	size_t n = 0;

	m->now = h->now;
	if (h->root != 0)
		m->root = h->root;
	for (size_t i = 0; i < h->nprocs; i++)
		n += all || !h->procs[i].forgotten;
	if (n > m->cap_procs) {
		struct pl_model_proc *procs = realloc(m->procs, n * sizeof(*procs));
		size_t *order;

		if (procs == NULL)
			return -1;
		m->procs = procs;
		if ((order = realloc(m->order, n * sizeof(*order))) == NULL)
			return -1;
		m->order = order;
		m->cap_procs = n;
	}
	m->nprocs = 0;
	for (size_t i = 0; i < h->nprocs; i++) {
		const struct pl_history_proc *hp = &h->procs[i];
		struct pl_model_proc *p;
		size_t cells;

		if (!all && hp->forgotten)
			continue;
		p = &m->procs[m->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = hp->pid;
		p->ppid = p->first_ppid = hp->ppid;
		copy(p->comm, sizeof(p->comm), hp->comm);
		copy(p->role, sizeof(p->role), hp->role);
		copy(p->wchan, sizeof(p->wchan), hp->wchan);
		p->state = hp->state;
		p->adopted = hp->adopted;
		p->adopter = hp->adopter;
		copy(p->adopter_comm, sizeof(p->adopter_comm), hp->adopter_comm);
		p->zombie_since = hp->zombie_since;
		p->exit_known = hp->exit_known;
		p->exit_status = hp->exit_status;
		p->gone_at = hp->gone_at;
		p->stat_fd = p->wchan_fd = -1;
		p->rss_kb = -1; /* not recorded: shown as "-" */
		p->nthreads = hp->nthreads < PL_MODEL_THREADS ? hp->nthreads : PL_MODEL_THREADS;
		if (p->nthreads > 0)
			memcpy(p->threads, hp->threads, p->nthreads * sizeof(*p->threads));
		/* The last cells of its timeline, sampled as the model does. */
		cells = (size_t)((h->now - hp->born) / PL_MODEL_TIMELINE_PERIOD) + 1;
		if (cells > PL_MODEL_TIMELINE)
			cells = PL_MODEL_TIMELINE;
		for (size_t c = 0; c < cells; c++) {
			double t = h->now - (double)(cells - 1 - c) * PL_MODEL_TIMELINE_PERIOD;
			char s = pl_history_state_at(hp, t);
			p->timeline[c] = s == ' ' ? '.' : s;
		}
		p->timeline_len = cells;
	}
	pl_model_order(m);

	/* The IPC objects and the locks there now. */
	if (model_objects(h, m) == -1)
		return -1;
	if (h->nlocks > m->cap_locks) {
		struct pl_ipc_lock *locks = realloc(m->locks, h->nlocks * sizeof(*locks));
		if (locks == NULL)
			return -1;
		m->locks = locks;
		m->cap_locks = h->nlocks;
	}
	m->nlocks = h->nlocks;
	if (h->nlocks > 0)
		memcpy(m->locks, h->locks, h->nlocks * sizeof(*m->locks));
	m->step_waiting = h->step_waiting;
	m->ncycles = h->ncycles;
	memcpy(m->cycles, h->cycles, sizeof(m->cycles));

	/* The newest narration, as the model keeps it. */
	m->nnarration = 0;
	for (size_t i = h->nnarration > PL_MODEL_NARRATION ? h->nnarration - PL_MODEL_NARRATION : 0;
	     i < h->nnarration; i++) {
		const struct pl_history_line *l = &h->narration[i];
		size_t k = m->nnarration++;

		snprintf(m->narration[k], sizeof(m->narration[k]), "%s%.*s",
		         l->kind == 's' || l->kind == 'o' ? "" : "  ", PL_BOARD_TEXT, l->text);
		m->narration_kind[k] = l->kind;
		m->narration_pid[k] = l->pid;
	}
	m->narrated = h->nnarration;
	return 0;
}
