/* pl_history.c - the history of a whole run, its recording and its
 * replay. See pl_history.h; the format is in docs/record.md. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pl_child.h"
#include "pl_history.h"
#include "pl_json.h"

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
	for (size_t i = 0; i < h->nprocs; i++)
		free(h->procs[i].changes);
	free(h->procs);
	free(h->by_pid);
	free(h->narration);
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
		if (strcmp(h->ipc[i].id, id) == 0)
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

static int
apply_ipc(struct pl_history *h, const struct pl_history_event *e)
{
	struct pl_history_ipc *o = find_ipc(h, e->id);

	switch (e->type) {
	case PL_HISTORY_IPC_ADD:
		if (o == NULL) {
			if (grow((void **)&h->ipc, &h->cap_ipc, h->nipc, sizeof(*h->ipc)) == -1)
				return -1;
			o = &h->ipc[h->nipc++];
			memset(o, 0, sizeof(*o));
			o->queued = -1;
		}
		copy(o->id, sizeof(o->id), e->id);
		copy(o->kind, sizeof(o->kind), e->ipc_kind);
		copy(o->label, sizeof(o->label), e->text);
		o->from = e->pid;
		o->to = e->ppid;
		o->directed = e->directed;
		o->dev = e->dev;
		o->inode = e->inode;
		break;
	case PL_HISTORY_IPC_DEL:
		if (o != NULL)
			*o = h->ipc[--h->nipc];
		break;
	default: /* PL_HISTORY_QUEUED */
		if (o != NULL)
			o->queued = e->bytes;
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

static void
record(struct pl_history *h, const struct pl_history_event *e)
{
	char line[2048];
	int n;

	if (h->record == NULL)
		return;
	n = pl_history_format(&h->summary, e, line, sizeof(line));
	if (n < 0)
		return; /* cannot be: every field has a bounded size */
	if (fwrite(line, 1, (size_t)n, h->record) != (size_t)n) {
		h->record_error = errno ? errno : EIO;
		h->record = NULL;
	}
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

/* The IPC of the model, as objects with holders: today's model gives
 * pairs (pl_ipc.h), so each pair is one object with two holders. This is
 * the one place to change when the model gives objects. */
static int
update_ipc(struct pl_history *h, const struct pl_model *m)
{
	struct pl_history_event e;
	bool *seen = calloc(h->nipc + 1, sizeof(*seen));
	size_t n = h->nipc;
	int rc = 0;

	if (seen == NULL)
		return -1;
	for (size_t i = 0; i < m->nedges && rc == 0; i++) {
		const struct pl_ipc_edge *edge = &m->edges[i];
		const char *kind = pl_ipc_name(edge->kind);
		char id[96];
		struct pl_history_ipc *o;

		snprintf(id, sizeof(id), "%s:%llu:%llu:%ld:%ld", kind, edge->dev, edge->inode,
		         (long)edge->from, (long)edge->to);
		o = find_ipc(h, id);
		if (o != NULL && (size_t)(o - h->ipc) < n)
			seen[o - h->ipc] = true;
		if (o == NULL || strcmp(o->label, edge->name) != 0) {
			event(&e, h, PL_HISTORY_IPC_ADD, edge->from);
			copy(e.id, sizeof(e.id), id);
			copy(e.ipc_kind, sizeof(e.ipc_kind), kind);
			copy(e.text, sizeof(e.text), edge->name);
			e.ppid = edge->to;
			e.directed = edge->directed;
			e.dev = edge->dev;
			e.inode = edge->inode;
			rc = pl_history_apply(h, &e);
			o = find_ipc(h, id);
		}
		if (rc == 0 && o != NULL && o->queued != edge->queued) {
			event(&e, h, PL_HISTORY_QUEUED, 0);
			copy(e.id, sizeof(e.id), id);
			e.bytes = edge->queued;
			rc = pl_history_apply(h, &e);
		}
	}
	/* Those not seen are gone. Deleting moves the last one into the
	 * hole, so walk from the end of the ones that were there before. */
	for (size_t i = n; i-- > 0 && rc == 0;)
		if (!seen[i]) {
			event(&e, h, PL_HISTORY_IPC_DEL, 0);
			copy(e.id, sizeof(e.id), h->ipc[i].id);
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
/* Recording: one event, one line.                                      */

static const char *const type_names[] = {
	[PL_HISTORY_HEADER] = "header",     [PL_HISTORY_PROC] = "proc",
	[PL_HISTORY_STATE] = "state",       [PL_HISTORY_WCHAN] = "wchan",
	[PL_HISTORY_EXEC] = "exec",         [PL_HISTORY_ROLE] = "role",
	[PL_HISTORY_ADOPT] = "adopt",       [PL_HISTORY_EXIT] = "exit",
	[PL_HISTORY_FORGET] = "forget",     [PL_HISTORY_NARRATION] = "narration",
	[PL_HISTORY_IPC_ADD] = "ipc",       [PL_HISTORY_IPC_DEL] = "ipc",
	[PL_HISTORY_QUEUED] = "queued",     [PL_HISTORY_LOCK_ADD] = "lock",
	[PL_HISTORY_LOCK_DEL] = "lock",     [PL_HISTORY_DEADLOCK] = "deadlock",
	[PL_HISTORY_STEP] = "step",         [PL_HISTORY_SIGNAL] = "signal",
	[PL_HISTORY_END] = "end",
	[PL_HISTORY_SUMMARY] = "summary",
};

static const char *
kind_name(char kind)
{
	switch (kind) {
	case 's':
		return "step";
	case 'n':
		return "note";
	case 'c':
		return "check";
	default:
		return "output";
	}
}

/* A small writer: "key":value pairs appended to BUF. */
struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void
put_raw(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put_raw(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

static void
put_str(struct out *o, const char *key, const char *value)
{
	put_raw(o, ",\"%s\":", key);
	if (!o->full && pl_json_put_string(o->buf, o->size, &o->len, value) == -1)
		o->full = true;
}

static void
put_status(struct out *o, bool known, int status)
{
	char text[64];

	pl_history_status(known, status, text, sizeof(text));
	put_str(o, "status", text);
	if (known && WIFEXITED(status))
		put_raw(o, ",\"code\":%d", WEXITSTATUS(status));
	else if (known && WIFSIGNALED(status))
		put_raw(o, ",\"signal\":%d%s", WTERMSIG(status),
		        WCOREDUMP(status) ? ",\"core\":true" : "");
}

int
pl_history_format(const struct pl_history_summary *s, const struct pl_history_event *e,
                  char *buf, size_t size)
{
	struct out o = { buf, size, 0, false };
	char state[2] = { e->state, '\0' };

	put_raw(&o, "{\"t\":%.3f,\"type\":\"%s\"", e->t, type_names[e->type]);
	switch (e->type) {
	case PL_HISTORY_HEADER:
		put_str(&o, "format", PL_HISTORY_FORMAT);
		put_raw(&o, ",\"version\":%d", PL_HISTORY_VERSION);
		put_str(&o, "command", e->text);
		put_raw(&o, ",\"hz\":%ld", e->bytes);
		put_str(&o, "started", e->id);
		break;
	case PL_HISTORY_PROC:
		put_raw(&o, ",\"pid\":%ld,\"ppid\":%ld", (long)e->pid, (long)e->ppid);
		put_str(&o, "comm", e->text);
		put_str(&o, "role", e->role);
		break;
	case PL_HISTORY_STATE:
		put_raw(&o, ",\"pid\":%ld", (long)e->pid);
		put_str(&o, "state", state);
		break;
	case PL_HISTORY_WCHAN:
		put_raw(&o, ",\"pid\":%ld", (long)e->pid);
		put_str(&o, "wchan", e->text);
		break;
	case PL_HISTORY_EXEC:
		put_raw(&o, ",\"pid\":%ld", (long)e->pid);
		put_str(&o, "comm", e->text);
		break;
	case PL_HISTORY_ROLE:
		put_raw(&o, ",\"pid\":%ld", (long)e->pid);
		put_str(&o, "role", e->role);
		break;
	case PL_HISTORY_ADOPT:
		put_raw(&o, ",\"pid\":%ld,\"ppid\":%ld", (long)e->pid, (long)e->ppid);
		put_str(&o, "by", e->text);
		break;
	case PL_HISTORY_EXIT:
		put_raw(&o, ",\"pid\":%ld", (long)e->pid);
		put_status(&o, e->exit_known, e->exit_status);
		break;
	case PL_HISTORY_FORGET:
		put_raw(&o, ",\"pid\":%ld", (long)e->pid);
		break;
	case PL_HISTORY_NARRATION:
		put_raw(&o, ",\"pid\":%ld", (long)e->pid);
		put_str(&o, "kind", kind_name(e->kind));
		put_str(&o, "text", e->text);
		if (e->kind == 'c')
			put_raw(&o, ",\"held\":%s", e->held ? "true" : "false");
		break;
	case PL_HISTORY_IPC_ADD:
		put_str(&o, "op", "add");
		put_str(&o, "id", e->id);
		put_str(&o, "kind", e->ipc_kind);
		put_str(&o, "label", e->text);
		put_raw(&o, ",\"directed\":%s,\"dev\":%llu,\"inode\":%llu",
		        e->directed ? "true" : "false", e->dev, e->inode);
		/* Holders: a pipe's writer, then its reader. */
		put_raw(&o, ",\"holders\":[{\"pid\":%ld%s},{\"pid\":%ld%s}]", (long)e->pid,
		        e->directed ? ",\"end\":\"w\"" : "", (long)e->ppid,
		        e->directed ? ",\"end\":\"r\"" : "");
		break;
	case PL_HISTORY_IPC_DEL:
		put_str(&o, "op", "del");
		put_str(&o, "id", e->id);
		break;
	case PL_HISTORY_QUEUED:
		put_str(&o, "id", e->id);
		put_raw(&o, ",\"bytes\":%ld", e->bytes);
		break;
	case PL_HISTORY_LOCK_ADD:
	case PL_HISTORY_LOCK_DEL:
		put_str(&o, "op", e->type == PL_HISTORY_LOCK_ADD ? "add" : "del");
		put_raw(&o, ",\"pid\":%ld", (long)e->lock.pid);
		put_str(&o, "name", e->lock.name);
		put_str(&o, "mode", e->lock.mode);
		put_raw(&o, ",\"waiting\":%s", e->lock.waiting ? "true" : "false");
		put_str(&o, "lock", e->lock.type);
		put_str(&o, "range", e->lock.range);
		put_raw(&o, ",\"inode\":%llu", e->lock.inode);
		break;
	case PL_HISTORY_DEADLOCK:
		put_raw(&o, ",\"pids\":[");
		for (size_t i = 0; i < e->cycle.length && e->count > 0; i++)
			put_raw(&o, "%s%ld", i ? "," : "", e->cycle.links[i].task);
		put_raw(&o, "]");
		put_str(&o, "text", e->text);
		put_raw(&o, ",\"index\":%u,\"of\":%u,\"links\":[", e->index, e->count);
		for (size_t i = 0; i < e->cycle.length && e->count > 0; i++) {
			put_raw(&o, "%s{\"pid\":%ld", i ? "," : "", e->cycle.links[i].task);
			put_str(&o, "name", e->cycle.links[i].task_name);
			put_str(&o, "lock", e->cycle.links[i].lock);
			put_raw(&o, "}");
		}
		put_raw(&o, "]");
		break;
	case PL_HISTORY_STEP:
		put_raw(&o, ",\"waiting\":%s", e->held ? "true" : "false");
		break;
	case PL_HISTORY_SIGNAL:
		put_raw(&o, ",\"pid\":%ld,\"signal\":%d", (long)e->pid, e->signal);
		put_str(&o, "from", "dashboard");
		break;
	case PL_HISTORY_END:
		put_status(&o, e->exit_known, e->exit_status);
		break;
	case PL_HISTORY_SUMMARY:
		put_raw(&o,
		        ",\"made\":%zu,\"most_alive\":%zu,\"zombies\":%zu,\"zombie_ms_max\":%.0f,"
		        "\"orphans\":%zu,\"deadlocks\":%zu,\"checks_held\":%zu,\"checks\":%zu",
		        s->made, s->most_alive, s->zombies, s->zombie_max * 1000, s->orphans,
		        s->deadlocks, s->checks_held, s->checks);
		break;
	}
	put_raw(&o, "}\n");
	if (o.full) {
		errno = ENOBUFS;
		return -1;
	}
	return (int)o.len;
}

int
pl_history_record(struct pl_history *h, FILE *out, const char *command, double hz,
                  const char *started)
{
	struct pl_history_event e;
	char line[1024];
	int n;

	memset(&e, 0, sizeof(e));
	e.type = PL_HISTORY_HEADER;
	e.t = h->now;
	e.bytes = (long)hz;
	copy(e.text, sizeof(e.text), command);
	copy(e.id, sizeof(e.id), started);
	if ((n = pl_history_format(&h->summary, &e, line, sizeof(line))) < 0)
		return -1;
	if (fwrite(line, 1, (size_t)n, out) != (size_t)n)
		return -1;
	h->record = out;
	h->record_error = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Replay: one line, one event. A flat JSON object; nested values are    */
/* skipped except "holders", whose first two pids are the edge's ends.  */

struct in {
	const char *p;
	const char *why;
};

static void
skip_space(struct in *in)
{
	while (*in->p == ' ' || *in->p == '\t' || *in->p == '\r' || *in->p == '\n')
		in->p++;
}

static void
put_utf8(char *dst, size_t size, size_t *len, unsigned long c)
{
	char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	}
	if (*len + n < size) {
		memcpy(dst + *len, b, n);
		*len += n;
	}
}

/* A JSON string into DST (cut to SIZE - 1 bytes; what is cut is lost).
 * \u0000 and other control characters are kept here: the screen and the
 * plain text clean every string they show (dashboard/text.h). */
static int
parse_string(struct in *in, char *dst, size_t size)
{
	size_t len = 0;

	if (*in->p != '"') {
		in->why = "a string expected";
		return -1;
	}
	in->p++;
	while (*in->p != '"') {
		unsigned char c = (unsigned char)*in->p++;

		if (c == '\0' || c < 0x20) {
			in->why = "an unterminated string";
			return -1;
		}
		if (c == '\\') {
			char x = *in->p++;
			unsigned long u = 0;

			switch (x) {
			case '"':
			case '\\':
			case '/':
				c = (unsigned char)x;
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u':
				for (int i = 0; i < 4; i++) {
					char d = *in->p++;
					u <<= 4;
					if (d >= '0' && d <= '9')
						u |= (unsigned long)(d - '0');
					else if (d >= 'a' && d <= 'f')
						u |= (unsigned long)(d - 'a' + 10);
					else if (d >= 'A' && d <= 'F')
						u |= (unsigned long)(d - 'A' + 10);
					else {
						in->why = "a bad \\u escape";
						return -1;
					}
				}
				if (u == 0)
					u = '?'; /* a NUL would end the string early */
				if (dst != NULL)
					put_utf8(dst, size, &len, u);
				continue;
			default:
				in->why = "a bad escape in a string";
				return -1;
			}
		}
		if (dst != NULL && len + 1 < size)
			dst[len++] = (char)c;
	}
	in->p++;
	if (dst != NULL)
		dst[len] = '\0';
	return 0;
}

static int
parse_number(struct in *in, double *out)
{
	char *end;
	double v;

	if (!(*in->p == '-' || (*in->p >= '0' && *in->p <= '9'))) {
		in->why = "a number expected";
		return -1;
	}
	v = strtod(in->p, &end);
	if (end == in->p || !isfinite(v)) {
		in->why = "a bad number";
		return -1;
	}
	in->p = end;
	*out = v;
	return 0;
}

static int skip_value(struct in *in, int depth);

static int
skip_value(struct in *in, int depth)
{
	double d;

	skip_space(in);
	if (depth > 8) {
		in->why = "nested too deep";
		return -1;
	}
	if (*in->p == '"')
		return parse_string(in, NULL, 0);
	if (strncmp(in->p, "true", 4) == 0 || strncmp(in->p, "null", 4) == 0) {
		in->p += 4;
		return 0;
	}
	if (strncmp(in->p, "false", 5) == 0) {
		in->p += 5;
		return 0;
	}
	if (*in->p == '[' || *in->p == '{') {
		char close = *in->p == '[' ? ']' : '}';
		bool object = close == '}';

		in->p++;
		skip_space(in);
		if (*in->p == close) {
			in->p++;
			return 0;
		}
		for (;;) {
			skip_space(in);
			if (object) {
				if (parse_string(in, NULL, 0) == -1)
					return -1;
				skip_space(in);
				if (*in->p++ != ':') {
					in->why = "a ':' expected";
					return -1;
				}
			}
			if (skip_value(in, depth + 1) == -1)
				return -1;
			skip_space(in);
			if (*in->p == ',') {
				in->p++;
				continue;
			}
			if (*in->p == close) {
				in->p++;
				return 0;
			}
			in->why = "a ',' or a closing bracket expected";
			return -1;
		}
	}
	return parse_number(in, &d);
}

/* One object of a list: "holders" (pid, and an fd and an end that a
 * replay does not need) or the "links" of a deadlock (pid, name, lock). */
struct item {
	long pid;
	char name[PL_WAITFOR_NAME_MAX];
	char lock[PL_WAITFOR_NAME_MAX];
};

/* A list of objects into ITEMS (at most MAX; the rest are read and
 * dropped); *N gets how many were kept. */
static int
parse_items(struct in *in, struct item *items, size_t max, size_t *n)
{
	skip_space(in);
	if (*in->p != '[') {
		in->why = "a list expected";
		return -1;
	}
	in->p++;
	skip_space(in);
	if (*in->p == ']') {
		in->p++;
		return 0;
	}
	for (;;) {
		struct item dropped, *it = *n < max ? &items[*n] : &dropped;

		memset(it, 0, sizeof(*it));
		skip_space(in);
		if (*in->p != '{') {
			in->why = "an item of a list is not an object";
			return -1;
		}
		in->p++;
		for (;;) {
			char key[16];

			skip_space(in);
			if (*in->p == '}')
				break;
			if (parse_string(in, key, sizeof(key)) == -1)
				return -1;
			skip_space(in);
			if (*in->p++ != ':') {
				in->why = "a ':' expected";
				return -1;
			}
			skip_space(in);
			if (strcmp(key, "pid") == 0) {
				double d;
				if (parse_number(in, &d) == -1)
					return -1;
				if (d < 1 || d > INT32_MAX || d != (double)(long long)d) {
					in->why = "a pid in a list out of range";
					return -1;
				}
				it->pid = (long)d;
			} else if (strcmp(key, "name") == 0) {
				if (parse_string(in, it->name, sizeof(it->name)) == -1)
					return -1;
			} else if (strcmp(key, "lock") == 0) {
				if (parse_string(in, it->lock, sizeof(it->lock)) == -1)
					return -1;
			} else if (skip_value(in, 2) == -1) {
				return -1;
			}
			skip_space(in);
			if (*in->p == ',')
				in->p++;
			else if (*in->p != '}') {
				in->why = "a ',' or '}' expected";
				return -1;
			}
		}
		in->p++;
		if (it != &dropped)
			(*n)++;
		skip_space(in);
		if (*in->p == ',') {
			in->p++;
			continue;
		}
		if (*in->p == ']') {
			in->p++;
			return 0;
		}
		in->why = "a ',' or ']' expected";
		return -1;
	}
}

enum { N_CODE, N_SIGNAL, N_BYTES, N_VERSION, N_HZ, N_INODE, N_DEV, N_INDEX, N_OF, N_COUNT };

/* The fields a line may have, as read. */
struct fields {
	bool has_t, has_pid, has_ppid, has_state;
	double t, pid, ppid, num[N_COUNT];
	bool has_num[N_COUNT];
	char type[16], state[4], text[PL_HISTORY_TEXT], kind[16], op[8], id[96];
	char comm[64], role[PL_BOARD_NAME], by[64], wchan[48], label[64], status[64];
	char name[64], mode[8], lock[12], range[64], format[32], command[256];
	bool held, directed, waiting, core;
	struct item holders[2], links[PL_WAITFOR_CYCLE_MAX];
	size_t nholders, nlinks;
};


static int
parse_fields(const char *line, struct fields *f, const char **why)
{
	struct in in = { line, NULL };
	static const struct {
		const char *key;
		size_t offset, size;
	} strings[] = {
#define S(k, field) { k, offsetof(struct fields, field), sizeof(((struct fields *)0)->field) }
		S("type", type),     S("state", state),     S("text", text),   S("kind", kind),
		S("op", op),         S("id", id),           S("comm", comm),   S("role", role),
		S("by", by),         S("wchan", wchan),     S("label", label), S("status", status),
		S("name", name),     S("mode", mode),       S("lock", lock),   S("range", range),
		S("format", format), S("command", command),
#undef S
	};
	static const char *const numbers[] = { "code",  "signal", "bytes", "version", "hz",
		                               "inode", "dev",    "index", "of" };

	memset(f, 0, sizeof(*f));
	skip_space(&in);
	if (*in.p++ != '{') {
		*why = "not a JSON object";
		return -1;
	}
	skip_space(&in);
	if (*in.p == '}')
		in.p++;
	else
		for (;;) {
			char key[32];
			bool done = false;

			skip_space(&in);
			if (parse_string(&in, key, sizeof(key)) == -1)
				goto bad;
			skip_space(&in);
			if (*in.p++ != ':') {
				in.why = "a ':' expected";
				goto bad;
			}
			skip_space(&in);
			for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]) && !done; i++)
				if (strcmp(key, strings[i].key) == 0) {
					if (parse_string(&in, (char *)f + strings[i].offset,
					                 strings[i].size) == -1)
						goto bad;
					done = true;
				}
			for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]) && !done; i++)
				if (strcmp(key, numbers[i]) == 0) {
					if (parse_number(&in, &f->num[i]) == -1)
						goto bad;
					f->has_num[i] = done = true;
				}
			if (done) {
			} else if (strcmp(key, "t") == 0) {
				if (parse_number(&in, &f->t) == -1)
					goto bad;
				f->has_t = true;
			} else if (strcmp(key, "pid") == 0) {
				if (parse_number(&in, &f->pid) == -1)
					goto bad;
				f->has_pid = true;
			} else if (strcmp(key, "ppid") == 0) {
				if (parse_number(&in, &f->ppid) == -1)
					goto bad;
				f->has_ppid = true;
			} else if (strcmp(key, "holders") == 0) {
				if (parse_items(&in, f->holders, 2, &f->nholders) == -1)
					goto bad;
			} else if (strcmp(key, "links") == 0) {
				if (parse_items(&in, f->links, PL_WAITFOR_CYCLE_MAX, &f->nlinks) == -1)
					goto bad;
			} else if (strcmp(key, "held") == 0 || strcmp(key, "directed") == 0 ||
			           strcmp(key, "waiting") == 0 || strcmp(key, "core") == 0) {
				bool v;
				if (strncmp(in.p, "true", 4) == 0) {
					v = true;
					in.p += 4;
				} else if (strncmp(in.p, "false", 5) == 0) {
					v = false;
					in.p += 5;
				} else {
					in.why = "true or false expected";
					goto bad;
				}
				if (key[0] == 'h')
					f->held = v;
				else if (key[0] == 'd')
					f->directed = v;
				else if (key[0] == 'w')
					f->waiting = v;
				else
					f->core = v;
			} else if (skip_value(&in, 1) == -1) {
				goto bad;
			}
			skip_space(&in);
			if (*in.p == ',') {
				in.p++;
				continue;
			}
			if (*in.p == '}') {
				in.p++;
				break;
			}
			in.why = "a ',' or '}' expected";
			goto bad;
		}
	skip_space(&in);
	if (*in.p != '\0') {
		*why = "text after the object";
		return -1;
	}
	return 0;
bad:
	*why = in.why ? in.why : "bad JSON";
	return -1;
}

static bool
good_pid(double v)
{
	return v >= 0 && v <= INT32_MAX && v == (double)(long long)v;
}

static int
need_pid(const struct fields *f, struct pl_history_event *e, const char **why)
{
	if (!f->has_pid || !good_pid(f->pid) || f->pid == 0) {
		*why = f->has_pid ? "\"pid\" is not a process ID" : "no \"pid\"";
		return -1;
	}
	e->pid = (pid_t)f->pid;
	return 0;
}

/* "exited"'s code or "killed"'s signal as a wait status. */
static void
to_status(const struct fields *f, struct pl_history_event *e)
{
	if (f->has_num[N_CODE] && f->num[N_CODE] >= 0 && f->num[N_CODE] <= 255) {
		e->exit_known = true;
		e->exit_status = ((int)f->num[N_CODE] & 0xff) << 8;
	} else if (f->has_num[N_SIGNAL] && f->num[N_SIGNAL] >= 1 && f->num[N_SIGNAL] < 128) {
		e->exit_known = true;
		e->exit_status = (int)f->num[N_SIGNAL] | (f->core ? 0x80 : 0);
	}
}

int
pl_history_parse(const char *line, struct pl_history_event *e, char *why_buf, size_t why_size)
{
	struct fields f;
	const char *why = NULL;
	int type = -1;

	memset(e, 0, sizeof(*e));
	if (parse_fields(line, &f, &why) == -1)
		goto bad;
	if (!f.has_t || f.t < 0 || f.t > 1e9) {
		why = f.has_t ? "\"t\" out of range" : "no \"t\"";
		goto bad;
	}
	if (f.type[0] == '\0') {
		why = "no \"type\"";
		goto bad;
	}
	e->t = f.t;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(f.type, type_names[i]) == 0) {
			type = (int)i;
			break;
		}
	if (type == -1)
		return 0; /* a type of a later version: skipped */
	e->type = (enum pl_history_type)type;
	if (f.has_ppid && !good_pid(f.ppid)) {
		why = "\"ppid\" is not a process ID";
		goto bad;
	}
	e->ppid = (pid_t)f.ppid;
	switch (e->type) {
	case PL_HISTORY_HEADER:
		if (strcmp(f.format, PL_HISTORY_FORMAT) != 0) {
			why = "not a proclab recording (no \"format\":\"" PL_HISTORY_FORMAT "\")";
			goto bad;
		}
		if (!f.has_num[N_VERSION] || f.num[N_VERSION] != PL_HISTORY_VERSION) {
			why = "a version of the format this proclab does not read";
			goto bad;
		}
		copy(e->text, sizeof(e->text), f.command);
		if (f.has_num[N_HZ] && f.num[N_HZ] >= 1 && f.num[N_HZ] <= 1000)
			e->bytes = (long)f.num[N_HZ];
		break;
	case PL_HISTORY_PROC:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		copy(e->text, sizeof(e->text), f.comm);
		copy(e->role, sizeof(e->role), f.role);
		break;
	case PL_HISTORY_STATE:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		if (strlen(f.state) != 1 || strchr("RSDTtZXxIKWPi", f.state[0]) == NULL) {
			why = "\"state\" is not a state letter";
			goto bad;
		}
		e->state = f.state[0];
		break;
	case PL_HISTORY_WCHAN:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		copy(e->text, sizeof(e->text), f.wchan);
		break;
	case PL_HISTORY_EXEC:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		copy(e->text, sizeof(e->text), f.comm);
		break;
	case PL_HISTORY_ROLE:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		copy(e->role, sizeof(e->role), f.role);
		break;
	case PL_HISTORY_ADOPT:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		if (!f.has_ppid) {
			why = "no \"ppid\"";
			goto bad;
		}
		copy(e->text, sizeof(e->text), f.by);
		break;
	case PL_HISTORY_EXIT:
	case PL_HISTORY_FORGET:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		to_status(&f, e);
		break;
	case PL_HISTORY_NARRATION:
		if (f.has_pid && !good_pid(f.pid)) {
			why = "\"pid\" is not a process ID";
			goto bad;
		}
		e->pid = (pid_t)f.pid;
		e->kind = strcmp(f.kind, "step") == 0    ? 's'
		          : strcmp(f.kind, "note") == 0  ? 'n'
		          : strcmp(f.kind, "check") == 0 ? 'c'
		                                         : 'o';
		e->held = f.held;
		copy(e->text, sizeof(e->text), f.text);
		break;
	case PL_HISTORY_IPC_ADD:
	case PL_HISTORY_IPC_DEL:
		if (f.id[0] == '\0') {
			why = "no \"id\"";
			goto bad;
		}
		copy(e->id, sizeof(e->id), f.id);
		if (strcmp(f.op, "del") == 0) {
			e->type = PL_HISTORY_IPC_DEL;
			break;
		}
		if (strcmp(f.op, "add") != 0) {
			why = "\"op\" is neither \"add\" nor \"del\"";
			goto bad;
		}
		e->type = PL_HISTORY_IPC_ADD;
		if (f.nholders < 2)
			return 0; /* an object held by one: no edge to draw */
		copy(e->ipc_kind, sizeof(e->ipc_kind), f.kind);
		copy(e->text, sizeof(e->text), f.label);
		e->pid = (pid_t)f.holders[0].pid;
		e->ppid = (pid_t)f.holders[1].pid;
		e->directed = f.directed;
		if (f.has_num[N_DEV] && f.num[N_DEV] >= 0 && f.num[N_DEV] < 1e19)
			e->dev = (unsigned long long)f.num[N_DEV];
		if (f.has_num[N_INODE] && f.num[N_INODE] >= 0 && f.num[N_INODE] < 1e19)
			e->inode = (unsigned long long)f.num[N_INODE];
		break;
	case PL_HISTORY_QUEUED:
		if (f.id[0] == '\0' || !f.has_num[N_BYTES] || f.num[N_BYTES] < -1 ||
		    f.num[N_BYTES] > 1e15) {
			why = "a \"queued\" line needs an \"id\" and \"bytes\"";
			goto bad;
		}
		copy(e->id, sizeof(e->id), f.id);
		e->bytes = (long)f.num[N_BYTES];
		break;
	case PL_HISTORY_LOCK_ADD:
	case PL_HISTORY_LOCK_DEL:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		e->type = strcmp(f.op, "del") == 0 ? PL_HISTORY_LOCK_DEL : PL_HISTORY_LOCK_ADD;
		e->lock.pid = e->pid;
		e->lock.waiting = f.waiting;
		copy(e->lock.name, sizeof(e->lock.name), f.name);
		copy(e->lock.mode, sizeof(e->lock.mode), f.mode);
		copy(e->lock.type, sizeof(e->lock.type), f.lock[0] ? f.lock : "POSIX");
		copy(e->lock.range, sizeof(e->lock.range), f.range);
		if (f.has_num[N_INODE] && f.num[N_INODE] >= 0 && f.num[N_INODE] < 1e19)
			e->lock.inode = (unsigned long long)f.num[N_INODE];
		break;
	case PL_HISTORY_DEADLOCK:
		copy(e->text, sizeof(e->text), f.text);
		if (!f.has_num[N_OF] || f.num[N_OF] == 0)
			break; /* none now */
		if (f.num[N_OF] < 0 || f.num[N_OF] > PL_MODEL_CYCLES || !f.has_num[N_INDEX] ||
		    f.num[N_INDEX] < 0 || f.num[N_INDEX] >= f.num[N_OF] || f.nlinks < 2) {
			why = "a deadlock needs \"index\" below \"of\" (at most 4) and two \"links\"";
			goto bad;
		}
		e->index = (unsigned)f.num[N_INDEX];
		e->count = (unsigned)f.num[N_OF];
		e->cycle.length = f.nlinks;
		for (size_t i = 0; i < f.nlinks; i++) {
			e->cycle.links[i].task = f.links[i].pid;
			copy(e->cycle.links[i].task_name, sizeof(e->cycle.links[i].task_name),
			     f.links[i].name);
			copy(e->cycle.links[i].lock, sizeof(e->cycle.links[i].lock), f.links[i].lock);
		}
		break;
	case PL_HISTORY_STEP:
		e->held = f.waiting;
		break;
	case PL_HISTORY_SIGNAL:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		if (!f.has_num[N_SIGNAL] || f.num[N_SIGNAL] < 1 || f.num[N_SIGNAL] > 64) {
			why = "\"signal\" is not a signal number";
			goto bad;
		}
		e->signal = (int)f.num[N_SIGNAL];
		break;
	case PL_HISTORY_END:
		to_status(&f, e);
		break;
	case PL_HISTORY_SUMMARY:
		break;
	}
	return 1;
bad:
	snprintf(why_buf, why_size, "%s", why ? why : "bad line");
	return -1;
}

/* ------------------------------------------------------------------ */
/* Back to a model, for the screen and the snapshots.                   */

/* The order pl_ipc.c gives the model's edges (by ends, kind, object),
 * so that a replay prints them as the live run did. */
static int
compare_edges(const void *a, const void *b)
{
	const struct pl_ipc_edge *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->inode > y->inode) - (x->inode < y->inode);
}

static enum pl_ipc_kind
ipc_kind(const char *name)
{
	for (int k = PL_IPC_PIPE; k <= PL_IPC_MQUEUE; k++)
		if (strcmp(name, pl_ipc_name((enum pl_ipc_kind)k)) == 0)
			return (enum pl_ipc_kind)k;
	return PL_IPC_MAPPING;
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

	/* The edges and the locks there now. */
	if (h->nipc > m->cap_edges) {
		struct pl_ipc_edge *edges = realloc(m->edges, h->nipc * sizeof(*edges));
		if (edges == NULL)
			return -1;
		m->edges = edges;
		m->cap_edges = h->nipc;
	}
	m->nedges = h->nipc;
	for (size_t i = 0; i < h->nipc; i++) {
		struct pl_ipc_edge *e = &m->edges[i];

		memset(e, 0, sizeof(*e));
		e->kind = ipc_kind(h->ipc[i].kind);
		e->from = h->ipc[i].from;
		e->to = h->ipc[i].to;
		e->directed = h->ipc[i].directed;
		e->queued = h->ipc[i].queued;
		e->dev = h->ipc[i].dev;
		e->inode = h->ipc[i].inode;
		copy(e->name, sizeof(e->name), h->ipc[i].label);
	}
	if (m->nedges > 1)
		qsort(m->edges, m->nedges, sizeof(*m->edges), compare_edges);
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
