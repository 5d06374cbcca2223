/* pl_export.c - a recorded run read into memory, and drawn as a Chrome
 * trace or an SVG picture (pl_export.h, man/pl_export.3).
 *
 * Reading: the recording's reader, pl_record.h, the one the replay uses
 * too, turns each line into an event of the history (pl_history.h), and
 * skips what a newer recorder adds. Of those events this keeps:
 *   - the processes, in the order they appeared, each with its parent
 *     (the process that had the parent's PID at that moment: PIDs are
 *     reused), its state changes and its threads' state changes;
 *   - the events, in time order: fork, exec, adopt, exit, signal,
 *     narration, IPC changes, bytes queued, deadlocks.
 * Drawing walks those lists once, so both pictures cost time linear in
 * the recording.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pl_export.h"
#include "pl_ipc.h"
#include "pl_procfs.h"
#include "pl_record.h"
#include "pl_text.h"

/* ---------------------------------------------------------------------
 * The recording in memory
 */

struct state_change {
	double t;
	char state;
};

struct states {
	struct state_change *items;
	size_t count, room;
};

struct thread {
	long tid;
	char *comm;
	struct states states;
};

struct proc {
	long pid, ppid;
	int parent; /* index of the parent process, or -1 */
	char *comm; /* its name: the last it exec'd, or the first seen */
	char *role;
	double born, died;
	bool exited;
	const char *status; /* its exit event's text, once it exited */
	struct states states;
	struct thread *threads;
	size_t nthreads;
	int first_child, next_sibling; /* the tree, for row order */
	int depth;
};

enum event_kind {
	EV_FORK,      /* proc: a = parent index, b = child index */
	EV_EXEC,      /* a = proc, text = new name */
	EV_ADOPT,     /* a = proc, b = adopter index or -1, n = new ppid, text = by */
	EV_EXIT,      /* a = proc, text = status, n = code, m = signal (-1 unknown) */
	EV_SIGNAL,    /* a = proc, n = signal, text = from */
	EV_NARRATION, /* a = proc or -1, text, label = kind, n = held (-1, 0, 1) */
	EV_IPC,       /* text = id, label = kind, extra = label, holders */
	EV_IPC_DEL,   /* text = id */
	EV_QUEUED,    /* text = id, n = bytes, m = the writer's pid or -1 */
	EV_DEADLOCK,  /* holders = the cycle's processes (fd unused), text */
	EV_END        /* text = status */
};

struct holder {
	int proc; /* index, or -1 if not a recorded process */
	long pid, fd;
	char end; /* 'r', 'w' or 0 */
};

struct event {
	double t;
	enum event_kind kind;
	int a, b;
	long n, m;
	char *text, *label, *extra;
	struct holder *holders;
	size_t nholders;
};

/* PID -> index of the newest process with that PID: open addressing. */
struct pid_map {
	long *pids;
	int *procs;
	size_t size; /* a power of two, or 0 */
	size_t used;
};

/* The process that a pipe's "queued" counter goes on: its writer, or its
 * first holder, as its latest "ipc" line says. */
struct owner {
	char *id;
	long pid;
};

struct pl_export {
	char *command;
	double start, last; /* the first and the latest time seen */
	struct proc *procs;
	size_t nprocs, procs_room;
	struct event *events;
	size_t nevents, events_room;
	struct pid_map map;
	struct owner *owners; /* each IPC object's writer, for its counter */
	size_t nowners, owners_room;
	struct pl_record_reader reader;
	struct pl_history_event *event; /* the line last read */
	char error[160];
	long error_line;
};

static int
grow(void **items, size_t *room, size_t need, size_t size)
{
	size_t n;
	void *p;

	if (need <= *room)
		return 0;
	n = *room ? *room * 2 : 16;
	while (n < need)
		n *= 2;
	p = realloc(*items, n * size);
	if (p == NULL)
		return -1;
	*items = p;
	*room = n;
	return 0;
}

static int
states_add(struct states *s, double t, char state)
{
	if (s->count > 0 && s->items[s->count - 1].state == state)
		return 0; /* no change */
	if (grow((void **)&s->items, &s->room, s->count + 1, sizeof(*s->items)) == -1)
		return -1;
	s->items[s->count].t = t;
	s->items[s->count].state = state;
	s->count++;
	return 0;
}

static size_t
pid_hash(long pid, size_t size)
{
	return ((size_t)pid * 2654435761u) & (size - 1);
}

static int
pid_lookup(const struct pid_map *m, long pid)
{
	if (m->size == 0)
		return -1;
	for (size_t i = pid_hash(pid, m->size);; i = (i + 1) & (m->size - 1)) {
		if (m->procs[i] == -1)
			return -1;
		if (m->pids[i] == pid)
			return m->procs[i];
	}
}

static int
pid_store(struct pid_map *m, long pid, int proc)
{
	size_t i;

	if ((m->used + 1) * 2 > m->size) { /* keep it at most half full */
		struct pid_map bigger = { .size = m->size ? m->size * 2 : 64 };

		bigger.pids = malloc(bigger.size * sizeof(long));
		bigger.procs = malloc(bigger.size * sizeof(int));
		if (bigger.pids == NULL || bigger.procs == NULL) {
			free(bigger.pids);
			free(bigger.procs);
			return -1;
		}
		for (i = 0; i < bigger.size; i++)
			bigger.procs[i] = -1;
		for (i = 0; i < m->size; i++)
			if (m->procs[i] != -1)
				pid_store(&bigger, m->pids[i], m->procs[i]);
		free(m->pids);
		free(m->procs);
		*m = bigger;
	}
	for (i = pid_hash(pid, m->size);; i = (i + 1) & (m->size - 1)) {
		if (m->procs[i] == -1) {
			m->used++;
			break;
		}
		if (m->pids[i] == pid)
			break;
	}
	m->pids[i] = pid;
	m->procs[i] = proc;
	return 0;
}

struct pl_export *
pl_export_new(void)
{
	struct pl_export *x = calloc(1, sizeof(*x));

	/* An event is big (up to PL_HISTORY_HOLDERS holders): one, reused. */
	if (x == NULL || (x->event = malloc(sizeof(*x->event))) == NULL) {
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	pl_record_init(&x->reader, true);
	return x;
}

void
pl_export_free(struct pl_export *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->nprocs; i++) {
		struct proc *p = &x->procs[i];

		free(p->comm);
		free(p->role);
		free(p->states.items);
		for (size_t k = 0; k < p->nthreads; k++) {
			free(p->threads[k].comm);
			free(p->threads[k].states.items);
		}
		free(p->threads);
	}
	for (size_t i = 0; i < x->nevents; i++) {
		free(x->events[i].text);
		free(x->events[i].label);
		free(x->events[i].extra);
		free(x->events[i].holders);
	}
	for (size_t i = 0; i < x->nowners; i++)
		free(x->owners[i].id);
	free(x->owners);
	free(x->procs);
	free(x->events);
	free(x->map.pids);
	free(x->map.procs);
	free(x->command);
	pl_record_free(&x->reader);
	free(x->event);
	free(x);
}

const char *
pl_export_error(const struct pl_export *x, long *line)
{
	if (line != NULL)
		*line = x->error_line;
	return x->error;
}

size_t
pl_export_processes(const struct pl_export *x)
{
	return x->nprocs;
}

int
pl_export_process(const struct pl_export *x, size_t i, struct pl_export_process *out)
{
	const struct proc *p;

	if (i >= x->nprocs) {
		errno = EINVAL;
		return -1;
	}
	p = &x->procs[i];
	out->pid = p->pid;
	out->ppid = p->ppid;
	out->parent = p->parent;
	out->comm = p->comm;
	out->role = p->role;
	out->born = p->born;
	out->died = p->exited ? p->died : -1;
	out->status = p->exited ? p->status : NULL;
	out->nstates = p->states.count;
	return 0;
}

char
pl_export_state_at(const struct pl_export *x, size_t i, double t)
{
	const struct proc *p;
	char state = ' ';

	if (i >= x->nprocs)
		return ' ';
	p = &x->procs[i];
	if (t < p->born)
		return ' ';
	if (p->exited && t >= p->died)
		return '.';
	/* The last change at or before T, or its first state. */
	for (size_t lo = 0, hi = p->states.count; lo < hi;) {
		size_t mid = (lo + hi) / 2;

		if (p->states.items[mid].t <= t) {
			state = p->states.items[mid].state;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (state == ' ' && p->states.count > 0)
		state = p->states.items[0].state;
	return state;
}

size_t
pl_export_events(const struct pl_export *x)
{
	return x->nevents;
}

int
pl_export_event(const struct pl_export *x, size_t i, struct pl_export_event *out)
{
	static const char *const names[] = {
		[EV_FORK] = "fork",         [EV_EXEC] = "exec",       [EV_ADOPT] = "adopt",
		[EV_EXIT] = "exit",         [EV_SIGNAL] = "signal",   [EV_NARRATION] = "narration",
		[EV_IPC] = "ipc",           [EV_IPC_DEL] = "ipc-del", [EV_QUEUED] = "queued",
		[EV_DEADLOCK] = "deadlock", [EV_END] = "end",
	};
	const struct event *e;

	if (i >= x->nevents) {
		errno = EINVAL;
		return -1;
	}
	e = &x->events[i];
	out->t = e->t;
	out->what = names[e->kind];
	/* A fork is about its child; the others about the process in A. */
	out->pid = e->kind == EV_FORK ? x->procs[e->b].pid : e->a >= 0 ? x->procs[e->a].pid : 0;
	out->text = e->text != NULL ? e->text : "";
	out->kind = e->label != NULL ? e->label : "";
	out->nholders = e->nholders;
	return 0;
}

/* ---------------------------------------------------------------------
 * An event of the recording (read by pl_record.c) into the run
 */

static char *
dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static struct event *
new_event(struct pl_export *x, double t, enum event_kind kind)
{
	struct event *e;

	if (grow((void **)&x->events, &x->events_room, x->nevents + 1, sizeof(*e)) == -1)
		return NULL;
	e = &x->events[x->nevents++];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->kind = kind;
	e->a = e->b = -1;
	e->m = -1;
	return e;
}

/* A new process, born at T. */
static int
new_proc(struct pl_export *x, double t, long pid, long ppid, const char *comm, const char *role)
{
	struct proc *p;
	int index = (int)x->nprocs;

	if (grow((void **)&x->procs, &x->procs_room, x->nprocs + 1, sizeof(*p)) == -1)
		return -1;
	p = &x->procs[x->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	p->parent = pid_lookup(&x->map, ppid);
	if (p->parent != -1 && x->procs[p->parent].exited)
		p->parent = -1; /* that PID's process is gone: not our parent */
	p->comm = dup_or_empty(comm);
	p->role = dup_or_empty(role);
	p->born = t;
	p->first_child = p->next_sibling = -1;
	if (p->comm == NULL || p->role == NULL || pid_store(&x->map, pid, index) == -1) {
		free(p->comm);
		free(p->role);
		return -1;
	}
	x->nprocs++;
	if (p->parent != -1) {
		struct event *e = new_event(x, t, EV_FORK);

		if (e == NULL)
			return -1;
		e->a = p->parent;
		e->b = index;
	}
	return index;
}

/* The process an event is about: the newest with its PID, or a new one
 * named COMM if it was never seen (a recorder that missed its "proc"
 * line). */
static int
proc_of(struct pl_export *x, const struct pl_history_event *e, const char *comm)
{
	int i = pid_lookup(&x->map, e->pid);

	if (i != -1)
		return i;
	return new_proc(x, e->t, e->pid, 0, comm, "");
}

static int
add_thread_state(struct pl_export *x, int pi, const struct pl_history_event *e)
{
	struct proc *p = &x->procs[pi];
	struct thread *th = NULL;

	for (size_t k = 0; k < p->nthreads; k++)
		if (p->threads[k].tid == e->tid)
			th = &p->threads[k];
	if (th == NULL) {
		struct thread *more = realloc(p->threads, (p->nthreads + 1) * sizeof(*more));

		if (more == NULL)
			return -1;
		p->threads = more;
		th = &p->threads[p->nthreads++];
		memset(th, 0, sizeof(*th));
		th->tid = e->tid;
		th->comm = dup_or_empty(e->text);
		if (th->comm == NULL)
			return -1;
	}
	return states_add(&th->states, e->t, e->state);
}

/* Copy N holders into E, each with the process it names. */
static int
copy_holders(struct pl_export *x, struct event *e, const struct holder *h, size_t n)
{
	if (n == 0)
		return 0;
	e->holders = malloc(n * sizeof(*h));
	if (e->holders == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		e->holders[i] = h[i];
		e->holders[i].proc = pid_lookup(&x->map, h[i].pid);
	}
	e->nholders = n;
	return 0;
}

/* The holders of an IPC object: a process, its fd, and a pipe's end. */
static int
ipc_holders(struct pl_export *x, struct event *ev, const struct pl_history_event *e)
{
	size_t n = e->object.nholders;

	if (n == 0)
		return 0;
	if ((ev->holders = malloc(n * sizeof(*ev->holders))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct pl_ipc_holder *h = &e->holders[i];

		ev->holders[i] =
		        (struct holder){ .proc = pid_lookup(&x->map, h->pid),
			                 .pid = h->pid,
			                 .fd = h->fd,
			                 .end = h->end == 'r' || h->end == 'w' ? h->end : 0 };
	}
	ev->nholders = n;
	return 0;
}

/* The processes of a deadlock's cycle, as holders (their fd unused). */
static int
cycle_holders(struct pl_export *x, struct event *ev, const struct pl_waitfor_cycle *c)
{
	struct holder h[PL_WAITFOR_CYCLE_MAX];

	for (size_t i = 0; i < c->length; i++)
		h[i] = (struct holder){ .pid = c->links[i].task, .fd = -1 };
	return copy_holders(x, ev, h, c->length);
}

/* The process that a pipe's "queued" counter goes on: its writer, or its
 * first holder. */
static int
set_owner(struct pl_export *x, const struct pl_history_event *e)
{
	struct owner *o = NULL;
	long pid = e->object.nholders ? e->holders[0].pid : -1;

	for (size_t k = 0; k < e->object.nholders; k++)
		if (e->holders[k].end == 'w')
			pid = e->holders[k].pid;
	for (size_t i = 0; i < x->nowners && o == NULL; i++)
		if (strcmp(x->owners[i].id, e->id) == 0)
			o = &x->owners[i];
	if (o == NULL) {
		if (grow((void **)&x->owners, &x->owners_room, x->nowners + 1, sizeof(*o)) == -1)
			return -1;
		o = &x->owners[x->nowners];
		if ((o->id = strdup(e->id)) == NULL)
			return -1;
		x->nowners++;
	}
	o->pid = pid;
	return 0;
}

/* One event of the recording into the run. Returns 0, or -1 if memory
 * ran out. */
static int
take_event(struct pl_export *x, const struct pl_history_event *e)
{
	struct event *ev;
	int pi;

	switch (e->type) {
	case PL_HISTORY_HEADER:
		x->start = x->last = e->t;
		free(x->command);
		return (x->command = dup_or_empty(e->text)) == NULL ? -1 : 0;
	case PL_HISTORY_PROC:
		return new_proc(x, e->t, e->pid, e->ppid, e->text, e->role) == -1 ? -1 : 0;
	case PL_HISTORY_STATE:
		if ((pi = proc_of(x, e, "?")) == -1)
			return -1;
		return states_add(&x->procs[pi].states, e->t, e->state);
	case PL_HISTORY_THREAD:
		if ((pi = proc_of(x, e, e->text)) == -1)
			return -1;
		/* The main thread's states are the process's own. */
		return e->tid != e->pid ? add_thread_state(x, pi, e) : 0;
	case PL_HISTORY_ROLE:
		if ((pi = proc_of(x, e, "?")) == -1)
			return -1;
		free(x->procs[pi].role);
		return (x->procs[pi].role = dup_or_empty(e->role)) == NULL ? -1 : 0;
	case PL_HISTORY_EXEC:
		if ((pi = proc_of(x, e, e->text)) == -1 ||
		    (ev = new_event(x, e->t, EV_EXEC)) == NULL)
			return -1;
		ev->a = pi;
		if ((ev->text = dup_or_empty(e->text)) == NULL)
			return -1;
		/* A row is named for the program it ran last: the dashboard's
		 * child is "proclab" until it execs the demo. */
		free(x->procs[pi].comm);
		return (x->procs[pi].comm = dup_or_empty(e->text)) == NULL ? -1 : 0;
	case PL_HISTORY_ADOPT:
		if ((pi = proc_of(x, e, "?")) == -1 || (ev = new_event(x, e->t, EV_ADOPT)) == NULL)
			return -1;
		ev->a = pi;
		ev->b = pid_lookup(&x->map, e->ppid);
		ev->n = e->ppid;
		return (ev->text = dup_or_empty(e->text)) == NULL ? -1 : 0;
	case PL_HISTORY_EXIT:
		if ((pi = proc_of(x, e, "?")) == -1 || (ev = new_event(x, e->t, EV_EXIT)) == NULL)
			return -1;
		x->procs[pi].exited = true;
		x->procs[pi].died = e->t;
		ev->a = pi;
		ev->n = e->exit_known && WIFEXITED(e->exit_status) ? WEXITSTATUS(e->exit_status)
		                                                   : -1;
		ev->m = e->exit_known && WIFSIGNALED(e->exit_status) ? WTERMSIG(e->exit_status)
		                                                     : -1;
		if ((ev->text = dup_or_empty(e->text[0] ? e->text : "exited")) == NULL)
			return -1;
		x->procs[pi].status = ev->text;
		return 0;
	case PL_HISTORY_SIGNAL:
		/* A signal is sent to a process that was seen, or to one that
		 * has just gone: no row for it. */
		if ((pi = pid_lookup(&x->map, e->pid)) == -1)
			return 0;
		if ((ev = new_event(x, e->t, EV_SIGNAL)) == NULL)
			return -1;
		ev->a = pi;
		ev->n = e->signal;
		return (ev->text = dup_or_empty(e->text)) == NULL ? -1 : 0;
	case PL_HISTORY_NARRATION:
		if ((ev = new_event(x, e->t, EV_NARRATION)) == NULL)
			return -1;
		ev->a = pid_lookup(&x->map, e->pid);
		ev->n = e->kind == 'c' ? e->held : -1; /* only a check holds or not */
		ev->text = dup_or_empty(e->text);
		ev->label = dup_or_empty(pl_history_kind_name(e->kind));
		return ev->text == NULL || ev->label == NULL ? -1 : 0;
	case PL_HISTORY_IPC_ADD:
	case PL_HISTORY_IPC_DEL: {
		bool add = e->type == PL_HISTORY_IPC_ADD;

		if ((ev = new_event(x, e->t, add ? EV_IPC : EV_IPC_DEL)) == NULL)
			return -1;
		ev->text = dup_or_empty(e->id);
		ev->label = dup_or_empty(add ? pl_ipc_name(e->object.kind) : "ipc");
		ev->extra = dup_or_empty(add && e->object.label[0] ? e->object.label : e->id);
		if (ev->text == NULL || ev->label == NULL || ev->extra == NULL)
			return -1;
		if (!add)
			return 0;
		return set_owner(x, e) == -1 ? -1 : ipc_holders(x, ev, e);
	}
	case PL_HISTORY_QUEUED:
		if ((ev = new_event(x, e->t, EV_QUEUED)) == NULL)
			return -1;
		ev->n = e->bytes;
		ev->m = -1;
		for (size_t i = 0; i < x->nowners; i++)
			if (strcmp(x->owners[i].id, e->id) == 0)
				ev->m = x->owners[i].pid;
		return (ev->text = dup_or_empty(e->id)) == NULL ? -1 : 0;
	case PL_HISTORY_DEADLOCK:
		if (e->cycle.length == 0)
			return 0; /* the deadlock is over */
		if ((ev = new_event(x, e->t, EV_DEADLOCK)) == NULL)
			return -1;
		if ((ev->text = dup_or_empty(e->text)) == NULL)
			return -1;
		return cycle_holders(x, ev, &e->cycle);
	case PL_HISTORY_END:
		if ((ev = new_event(x, e->t, EV_END)) == NULL)
			return -1;
		return (ev->text = dup_or_empty(e->text)) == NULL ? -1 : 0;
	case PL_HISTORY_WCHAN:
	case PL_HISTORY_FORGET:
	case PL_HISTORY_LOCK_ADD:
	case PL_HISTORY_LOCK_DEL:
	case PL_HISTORY_STEP:
	case PL_HISTORY_SUMMARY:
		break; /* nothing a picture shows */
	}
	return 0;
}

/* The reader refused a line: say why, where. */
static int
refused(struct pl_export *x)
{
	unsigned long line;
	int saved = errno;

	if (saved == EINVAL)
		snprintf(x->error, sizeof(x->error), "%s", pl_record_error(&x->reader, &line));
	else
		snprintf(x->error, sizeof(x->error), "%s", strerror(saved));
	x->error_line = saved == EINVAL ? (long)line : 0;
	errno = saved;
	return -1;
}

/* The event just read into the run. */
static int
take(struct pl_export *x)
{
	if (take_event(x, x->event) == -1) {
		snprintf(x->error, sizeof(x->error), "out of memory");
		x->error_line = (long)x->reader.line;
		errno = ENOMEM;
		return -1;
	}
	if (x->event->t > x->last)
		x->last = x->event->t;
	return 0;
}

int
pl_export_add_line(struct pl_export *x, const char *line)
{
	int got;

	x->error[0] = '\0';
	x->error_line = 0;
	if ((got = pl_record_line(&x->reader, line, x->event)) == -1)
		return refused(x);
	return got == 1 ? take(x) : 0;
}

int
pl_export_read(struct pl_export *x, FILE *in)
{
	int got;

	x->error[0] = '\0';
	x->error_line = 0;
	while ((got = pl_record_read(&x->reader, in, x->event)) == 1)
		if (take(x) == -1)
			return -1;
	return got == -1 ? refused(x) : 0;
}

/* ---------------------------------------------------------------------
 * Common to both pictures
 */

/* TEXT made safe: only printable, valid UTF-8 (pl_text.h), and no
 * U+FFFE or U+FFFF, which XML does not allow. */
static void
clean(char *dst, size_t size, const char *text)
{
	char *s;

	pl_text_clean(dst, size, text != NULL ? text : "", true);
	while ((s = strstr(dst, "\xef\xbf\xbe")) != NULL ||
	       (s = strstr(dst, "\xef\xbf\xbf")) != NULL)
		memcpy(s, "???", 3);
}

static const char *
signal_name(long sig, char *buf, size_t size)
{
	static const char *names[] = { NULL,      "SIGHUP",    "SIGINT",  "SIGQUIT", "SIGILL",
		                       "SIGTRAP", "SIGABRT",   "SIGBUS",  "SIGFPE",  "SIGKILL",
		                       "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE", "SIGALRM",
		                       "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
		                       "SIGTSTP", "SIGTTIN",   "SIGTTOU" };

	if (sig > 0 && sig < (long)(sizeof(names) / sizeof(names[0])))
		return names[sig];
	snprintf(buf, size, "signal %ld", sig);
	return buf;
}

/* The end of the run: the latest time seen, and never before the start. */
static double
run_end(const struct pl_export *x)
{
	return x->last > x->start ? x->last : x->start + 1;
}

/* When the process's last state ends: its exit, or the end of the run. */
static double
proc_end(const struct pl_export *x, const struct proc *p)
{
	return p->exited ? p->died : run_end(x);
}

/* ---------------------------------------------------------------------
 * The Chrome trace (the "Trace Event Format" document): one JSON object
 * with a "traceEvents" array. Times are microseconds. Each process is a
 * pid, its main thread tid = pid carries its states; other threads get
 * their own tid. "X" is a slice with a duration, "i" an instant, "C" a
 * counter, "M" metadata (names and sort order).
 */

static void
json_string(FILE *out, const char *text)
{
	char buf[4096];

	clean(buf, sizeof(buf), text);
	putc('"', out);
	for (const char *s = buf; *s; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', out);
		putc(*s, out);
	}
	putc('"', out);
}

static long long
usec(const struct pl_export *x, double t)
{
	return llround((t - x->start) * 1e6);
}

/* Slices for one track's state changes: each from its change to the next
 * (or END), so slices on a track meet but never overlap. */
static void
trace_states(const struct pl_export *x, FILE *out, long pid, long tid, const struct states *s,
             double end, bool *first)
{
	for (size_t i = 0; i < s->count; i++) {
		long long from = usec(x, s->items[i].t);
		long long to = usec(x, i + 1 < s->count ? s->items[i + 1].t : end);

		if (to <= from)
			continue; /* a state that lasted no time at this precision */
		fprintf(out,
		        "%s\n{\"name\":\"%s\",\"cat\":\"state\",\"ph\":\"X\",\"ts\":%lld,"
		        "\"dur\":%lld,\"pid\":%ld,\"tid\":%ld,\"args\":{\"state\":\"%c\"}}",
		        *first ? "" : ",", pl_procfs_state_name(s->items[i].state), from, to - from,
		        pid, tid, s->items[i].state);
		*first = false;
	}
}

static void
trace_instant(const struct pl_export *x, FILE *out, bool *first, const char *name, double t,
              long pid, char scope)
{
	fprintf(out, "%s\n{\"name\":", *first ? "" : ",");
	json_string(out, name);
	fprintf(out,
	        ",\"cat\":\"event\",\"ph\":\"i\",\"s\":\"%c\",\"ts\":%lld,\"pid\":%ld,\"tid\":%ld",
	        scope, usec(x, t), pid, pid);
	*first = false;
}

/* The rows in tree order: parents before children, children by birth. */
static int *tree_order(struct pl_export *x);

/* The main process: the first one seen with no recorded parent. */
static int
main_proc(const struct pl_export *x)
{
	for (size_t i = 0; i < x->nprocs; i++)
		if (x->procs[i].parent == -1)
			return (int)i;
	return -1;
}

int
pl_export_trace(const struct pl_export *x_const, FILE *out)
{
	struct pl_export *x = (struct pl_export *)x_const; /* tree links only */
	int *order = tree_order(x);
	int root = main_proc(x);
	long root_pid = root != -1 ? x->procs[root].pid : 0;
	bool first = true;
	char name[300], sig[32], clean_comm[256];

	if (order == NULL)
		return -1;
	fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"format\":\"proclab-record\",\"command\":",
	      out);
	json_string(out, x->command);
	fputs("},\"traceEvents\":[", out);
	for (size_t r = 0; r < x->nprocs; r++) {
		const struct proc *p = &x->procs[order[r]];

		clean(clean_comm, sizeof(clean_comm), p->comm);
		snprintf(name, sizeof(name), "%s%s%s", clean_comm, p->role[0] ? " - " : "",
		         p->role);
		fprintf(out,
		        "%s\n{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":%ld,\"tid\":%ld,"
		        "\"args\":{\"name\":",
		        first ? "" : ",", p->pid, p->pid);
		json_string(out, name);
		fprintf(out,
		        "}},\n{\"name\":\"process_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":%ld,"
		        "\"tid\":%ld,\"args\":{\"sort_index\":%zu}}",
		        p->pid, p->pid, r);
		fprintf(out,
		        ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":%ld,\"tid\":%ld,"
		        "\"args\":{\"name\":",
		        p->pid, p->pid);
		json_string(out, p->comm);
		fputs("}}", out);
		first = false;
		trace_states(x, out, p->pid, p->pid, &p->states, proc_end(x, p), &first);
		for (size_t k = 0; k < p->nthreads; k++) {
			const struct thread *th = &p->threads[k];

			fprintf(out,
			        ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":%ld,"
			        "\"tid\":%ld,\"args\":{\"name\":",
			        p->pid, th->tid);
			json_string(out, th->comm);
			fputs("}}", out);
			trace_states(x, out, p->pid, th->tid, &th->states, proc_end(x, p), &first);
		}
	}
	for (size_t i = 0; i < x->nevents; i++) {
		const struct event *e = &x->events[i];
		const struct proc *p = e->a >= 0 ? &x->procs[e->a] : NULL;

		switch (e->kind) {
		case EV_FORK:
			trace_instant(x, out, &first, "fork", e->t, p->pid, 't');
			fprintf(out, ",\"args\":{\"child\":%ld}}", x->procs[e->b].pid);
			break;
		case EV_EXEC:
			trace_instant(x, out, &first, "exec", e->t, p->pid, 't');
			fputs(",\"args\":{\"comm\":", out);
			json_string(out, e->text);
			fputs("}}", out);
			break;
		case EV_ADOPT:
			trace_instant(x, out, &first, "adopted", e->t, p->pid, 't');
			fprintf(out, ",\"args\":{\"ppid\":%ld,\"by\":", e->n);
			json_string(out, e->text);
			fputs("}}", out);
			break;
		case EV_EXIT:
			trace_instant(x, out, &first, "exit", e->t, p->pid, 'p');
			fputs(",\"args\":{\"status\":", out);
			json_string(out, e->text);
			if (e->n != -1)
				fprintf(out, ",\"code\":%ld", e->n);
			if (e->m != -1)
				fprintf(out, ",\"signal\":%ld", e->m);
			fputs("}}", out);
			break;
		case EV_SIGNAL:
			snprintf(name, sizeof(name), "%s", signal_name(e->n, sig, sizeof(sig)));
			trace_instant(x, out, &first, name, e->t, p->pid, 't');
			fprintf(out, ",\"args\":{\"signal\":%ld,\"from\":", e->n);
			json_string(out, e->text);
			fputs("}}", out);
			break;
		case EV_NARRATION:
			/* Steps and checks go on the main process's track, where a
			 * reader looks for the story; the speaker is in args. */
			snprintf(name, sizeof(name), "%s", e->text);
			trace_instant(x, out, &first, name, e->t, root_pid, 'p');
			fputs(",\"args\":{\"kind\":", out);
			json_string(out, e->label);
			fputs(",\"text\":", out);
			json_string(out, e->text);
			if (p != NULL)
				fprintf(out, ",\"pid\":%ld", p->pid);
			if (e->n != -1)
				fprintf(out, ",\"held\":%s", e->n ? "true" : "false");
			fputs("}}", out);
			break;
		case EV_IPC:
		case EV_IPC_DEL:
			snprintf(name, sizeof(name), "%s %s",
			         e->kind == EV_IPC ? "ipc" : "ipc gone",
			         e->kind == EV_IPC ? e->label : "");
			trace_instant(x, out, &first, name, e->t,
			              e->nholders ? e->holders[0].pid : root_pid, 't');
			fputs(",\"args\":{\"id\":", out);
			json_string(out, e->text);
			if (e->kind == EV_IPC) {
				fputs(",\"label\":", out);
				json_string(out, e->extra);
				fputs(",\"holders\":[", out);
				for (size_t k = 0; k < e->nholders; k++)
					fprintf(out, "%s%ld", k ? "," : "", e->holders[k].pid);
				fputs("]", out);
			}
			fputs("}}", out);
			break;
		case EV_QUEUED: {
			long owner = e->m;

			fprintf(out, ",\n{\"name\":");
			snprintf(name, sizeof(name), "queued %s", e->text);
			json_string(out, name);
			fprintf(out,
			        ",\"cat\":\"ipc\",\"ph\":\"C\",\"ts\":%lld,\"pid\":%ld,\"tid\":%ld,"
			        "\"args\":{\"bytes\":%ld}}",
			        usec(x, e->t), owner != -1 ? owner : root_pid,
			        owner != -1 ? owner : root_pid, e->n);
			break;
		}
		case EV_DEADLOCK:
			trace_instant(x, out, &first, "DEADLOCK", e->t, e->holders[0].pid, 'g');
			fputs(",\"args\":{\"text\":", out);
			json_string(out, e->text);
			fputs(",\"pids\":[", out);
			for (size_t k = 0; k < e->nholders; k++)
				fprintf(out, "%s%ld", k ? "," : "", e->holders[k].pid);
			fputs("]}}", out);
			break;
		case EV_END:
			trace_instant(x, out, &first, "end", e->t, root_pid, 'g');
			fputs(",\"args\":{\"status\":", out);
			json_string(out, e->text);
			fputs("}}", out);
			break;
		}
	}
	fputs("\n]}\n", out);
	free(order);
	return ferror(out) ? -1 : 0;
}

/* ---------------------------------------------------------------------
 * The SVG
 */

static void
tree_visit(struct pl_export *x, int i, int depth, int *order, size_t *n)
{
	/* An explicit stack would be longer; a chain of 10,000 forks is
	 * unlikely in a teaching run, and depth is capped for the indent. */
	x->procs[i].depth = depth;
	order[(*n)++] = i;
	for (int c = x->procs[i].first_child; c != -1; c = x->procs[c].next_sibling)
		tree_visit(x, c, depth + 1, order, n);
}

static int *
tree_order(struct pl_export *x)
{
	int *order = malloc((x->nprocs + 1) * sizeof(int));
	size_t n = 0;

	if (order == NULL)
		return NULL;
	/* Children in birth order: link each to its parent, newest first, by
	 * walking the processes backwards. */
	for (size_t i = 0; i < x->nprocs; i++)
		x->procs[i].first_child = x->procs[i].next_sibling = -1;
	for (size_t i = x->nprocs; i-- > 0;) {
		struct proc *p = &x->procs[i];

		if (p->parent != -1) {
			p->next_sibling = x->procs[p->parent].first_child;
			x->procs[p->parent].first_child = (int)i;
		}
	}
	for (size_t i = 0; i < x->nprocs; i++)
		if (x->procs[i].parent == -1)
			tree_visit(x, (int)i, 0, order, &n);
	return order;
}

/* The dashboard's colours (dashboard/view.c: R green, S cyan, D yellow,
 * T and t magenta, Z red, I blue, anything else white), as SVG colours
 * dark enough to read on white. */
static const char *
state_colour(char state)
{
	switch (state) {
	case 'R':
		return "#2ca02c";
	case 'S':
		return "#17a2b8";
	case 'D':
		return "#d4a000";
	case 'T':
	case 't':
		return "#b040c0";
	case 'Z':
		return "#d62728";
	case 'I':
		return "#3060d0";
	default:
		return "#c8c8c8";
	}
}

static void
xml_text(FILE *out, const char *text, size_t max_chars)
{
	char buf[4096];
	size_t chars = 0;

	clean(buf, sizeof(buf), text);
	for (const unsigned char *s = (const unsigned char *)buf; *s; s++) {
		if ((*s & 0xc0) != 0x80 && ++chars > max_chars) {
			fputs("\xe2\x80\xa6", out); /* an ellipsis */
			break;
		}
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			putc(*s, out);
		}
	}
}

struct layout {
	double x0, x1; /* the timeline's left and right edges */
	double t0, t1; /* the run's start and end */
	double top;    /* the first row's top */
	double row;    /* a row's height */
	double height; /* the picture's */
	int *row_of;   /* process index -> row */
};

static double
xt(const struct layout *g, double t)
{
	return g->x0 + (t - g->t0) / (g->t1 - g->t0) * (g->x1 - g->x0);
}

static double
ymid(const struct layout *g, int proc)
{
	return g->top + (g->row_of[proc] + 0.5) * g->row;
}

/* A tick step of 1, 2 or 5 times a power of ten, for about 10 ticks. */
static double
tick_step(double span)
{
	double step = pow(10, floor(log10(span / 10)));

	if (span / step > 50)
		step *= 5;
	else if (span / step > 20)
		step *= 2;
	return step;
}

static void
svg_axis(FILE *out, const struct layout *g)
{
	double step = tick_step(g->t1 - g->t0);
	double bottom = g->top + g->row * (g->row_of ? 0 : 0);

	(void)bottom;
	fputs("<g class=\"axis\" font-size=\"11\" fill=\"#555\">\n", out);
	for (double t = 0; g->t0 + t <= g->t1 + 1e-9; t += step) {
		double x = xt(g, g->t0 + t);

		fprintf(out,
		        "<line x1=\"%.1f\" y1=\"48\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
		        "<text x=\"%.1f\" y=\"46\" text-anchor=\"middle\">%g s</text>\n",
		        x, x, g->height - 60, x, t);
	}
	fputs("</g>\n", out);
}

static void
svg_rows(FILE *out, const struct pl_export *x, const struct layout *g, const int *order)
{
	double font = g->row - 4 < 13 ? g->row - 4 : 13;

	font = font < 7 ? 7 : font; /* a tall tree: small, but still legible */

	for (size_t r = 0; r < x->nprocs; r++) {
		const struct proc *p = &x->procs[order[r]];
		double y = g->top + (double)r * g->row;
		double indent = 8 + (p->depth < 12 ? p->depth : 12) * 12;
		double end = proc_end(x, p);

		fprintf(out, "<g class=\"row\" data-pid=\"%ld\">\n", p->pid);
		if (r % 2 == 1)
			fprintf(out,
			        "<rect x=\"0\" y=\"%.1f\" width=\"1280\" height=\"%.1f\" fill=\"#f6f6f6\"/>\n",
			        y, g->row);
		fprintf(out,
		        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\"><tspan font-weight=\"bold\">",
		        indent, y + g->row / 2 + font / 3, font);
		xml_text(out, p->comm, 20);
		fprintf(out, "</tspan> %ld", p->pid);
		if (p->role[0]) {
			fputs(" <tspan fill=\"#666\">", out);
			xml_text(out, p->role, 12);
			fputs("</tspan>", out);
		}
		fputs("</text>\n", out);
		for (size_t i = 0; i < p->states.count; i++) {
			double from = xt(g, p->states.items[i].t);
			double to = xt(g, i + 1 < p->states.count ? p->states.items[i + 1].t : end);

			if (to - from < 0.05)
				continue; /* narrower than anything a screen shows */
			fprintf(out,
			        "<rect class=\"band\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			        "height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>\n",
			        from, y + g->row * 0.28, to - from, g->row * 0.44,
			        state_colour(p->states.items[i].state),
			        pl_procfs_state_name(p->states.items[i].state));
		}
		fputs("</g>\n", out);
	}
}

/* A mark's label, beside it on the row, in small type. */
static void
svg_label(FILE *out, double x, double y, const char *colour, const char *text, size_t max)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\">", x, y, colour);
	xml_text(out, text, max);
	fputs("</text>\n", out);
}

static bool
same_holders(const struct event *a, const struct event *b)
{
	if (a->nholders != b->nholders)
		return false;
	for (size_t k = 0; k < a->nholders; k++)
		if (a->holders[k].pid != b->holders[k].pid)
			return false;
	return true;
}

/* The IPC line before event I with the same id, or NULL. */
static const struct event *
previous_ipc(const struct pl_export *x, size_t i)
{
	for (size_t k = i; k-- > 0;) {
		const struct event *e = &x->events[k];

		if ((e->kind == EV_IPC || e->kind == EV_IPC_DEL) &&
		    strcmp(e->text, x->events[i].text) == 0)
			return e->kind == EV_IPC ? e : NULL;
	}
	return NULL;
}

#define MAX_IPC_DRAWN 200 /* connectors; more would hide the rows */

static int
svg_marks(FILE *out, const struct pl_export *x, const struct layout *g)
{
	double bottom = g->top + (double)x->nprocs * g->row;
	int ipc_drawn = 0;
	size_t steps = 0, nsteps = 0;
	double *step_t = malloc((x->nevents + 1) * sizeof(double));
	char sig[32];

	if (step_t == NULL)
		return -1;
	for (size_t i = 0; i < x->nevents; i++)
		if (x->events[i].kind == EV_NARRATION && strcmp(x->events[i].label, "step") == 0)
			step_t[nsteps++] = x->events[i].t;

	for (size_t i = 0; i < x->nevents; i++) {
		const struct event *e = &x->events[i];
		double cx = xt(g, e->t), y, y2;

		switch (e->kind) {
		case EV_FORK:
			y = ymid(g, e->a);
			y2 = ymid(g, e->b);
			fprintf(out,
			        "<line class=\"fork\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			        "stroke=\"#333\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"/>\n",
			        cx, y, cx, y2 + (y2 > y ? -3 : 3));
			break;
		case EV_ADOPT:
			y2 = ymid(g, e->a);
			if (e->b != -1) {
				y = ymid(g, e->b);
				fprintf(out,
				        "<line class=\"adopt\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				        "y2=\"%.1f\" stroke=\"#e07000\" stroke-width=\"1.5\" "
				        "stroke-dasharray=\"4 3\" marker-end=\"url(#arrow-adopt)\"/>\n",
				        cx, y, cx, y2 + (y2 > y ? -3 : 3));
			} else {
				fprintf(out,
				        "<circle class=\"adopt\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
				        "fill=\"none\" stroke=\"#e07000\" stroke-width=\"2\"/>\n",
				        cx, y2);
			}
			{
				char text[200], by[64];

				clean(by, sizeof(by), e->text);
				snprintf(text, sizeof(text), "adopted by %s %ld",
				         by[0] ? by : "pid", e->n);
				svg_label(out, cx + 5, y2 - g->row * 0.25, "#b05000", text, 40);
			}
			break;
		case EV_EXIT:
			y = ymid(g, e->a);
			fprintf(out,
			        "<g class=\"exit\"><path d=\"M%.1f %.1fl6 6m0 -6l-6 6\" stroke=\"#000\" "
			        "stroke-width=\"2\"/>",
			        cx - 3, y - 3);
			svg_label(out, cx + 5, y + 4, "#000", e->text, 24);
			fputs("</g>\n", out);
			break;
		case EV_SIGNAL:
			y = ymid(g, e->a);
			fprintf(out,
			        "<g class=\"signal\"><path d=\"M%.1f %.1fl-4 8h8z\" fill=\"#c00060\"/>",
			        cx, y + g->row * 0.5 - 8);
			svg_label(out, cx + 5, y + g->row * 0.5 - 1, "#c00060",
			          signal_name(e->n, sig, sizeof(sig)), 12);
			fputs("</g>\n", out);
			break;
		case EV_EXEC:
			y = ymid(g, e->a);
			fprintf(out,
			        "<g class=\"exec\"><path d=\"M%.1f %.1fl4 4l-4 4l-4 -4z\" fill=\"#444\"/>",
			        cx, y - 4);
			svg_label(out, cx + 5, y + g->row * 0.5 - 1, "#444", e->text, 16);
			fputs("</g>\n", out);
			break;
		case EV_NARRATION:
			if (strcmp(e->label, "step") == 0) {
				/* Labels in three lanes above the rows, each cut short
				 * before the next label of its lane (about 6 pixels a
				 * character at this size), so none prints over another. */
				double ly = 62 + (steps % 3) * 12;
				double next = steps + 3 < nsteps ? xt(g, step_t[steps + 3]) : 1280;
				size_t room = next - cx > 12 ? (size_t)((next - cx - 6) / 6) : 0;

				fprintf(out,
				        "<g class=\"step\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				        "y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"2 3\"/>",
				        cx, ly + 2, cx, bottom);
				if (room >= 4)
					svg_label(out, cx + 2, ly, "#333", e->text,
					          room < 40 ? room : 40);
				fputs("</g>\n", out);
				steps++;
			} else if (strcmp(e->label, "check") == 0 && e->a != -1) {
				bool held = e->n != 0;

				y = ymid(g, e->a);
				fprintf(out,
				        "<text class=\"check\" x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
				        "font-weight=\"bold\" fill=\"%s\">%s<title>",
				        cx - 4, y + 4, held ? "#108010" : "#d00000",
				        held ? "\xe2\x9c\x93" : "\xe2\x9c\x97");
				xml_text(out, e->text, 200);
				fputs("</title></text>\n", out);
			}
			break;
		case EV_IPC: {
			const struct event *before = previous_ipc(x, i);
			double lo = 1e18, hi = -1;

			if ((before != NULL && same_holders(before, e)) ||
			    ipc_drawn >= MAX_IPC_DRAWN)
				break;
			for (size_t k = 0; k < e->nholders; k++) {
				if (e->holders[k].proc == -1)
					continue;
				y = ymid(g, e->holders[k].proc);
				lo = y < lo ? y : lo;
				hi = y > hi ? y : hi;
			}
			if (hi < 0)
				break;
			ipc_drawn++;
			fprintf(out,
			        "<g class=\"ipc\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			        "stroke=\"#7a4a00\" stroke-width=\"2\" opacity=\"0.7\"/>",
			        cx, lo, cx, hi);
			for (size_t k = 0; k < e->nholders; k++) {
				char end[2] = { e->holders[k].end, 0 };

				if (e->holders[k].proc == -1)
					continue;
				y = ymid(g, e->holders[k].proc);
				fprintf(out,
				        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#fff\" "
				        "stroke=\"#7a4a00\" stroke-width=\"1.5\"/>",
				        cx, y);
				if (end[0])
					fprintf(out,
					        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#7a4a00\">%s</text>",
					        cx - 10, y + 3, end);
			}
			fputs("<title>", out);
			xml_text(out, e->extra, 80);
			fputs("</title>", out);
			svg_label(out, cx + 4, lo - 4, "#7a4a00", e->label, 12);
			fputs("</g>\n", out);
			break;
		}
		case EV_DEADLOCK: {
			double lo = 1e18, hi = -1;

			fputs("<g class=\"deadlock\">", out);
			for (size_t k = 0; k < e->nholders; k++) {
				const struct holder *h = &e->holders[k];
				const struct holder *next = &e->holders[(k + 1) % e->nholders];

				if (h->proc == -1)
					continue;
				y = ymid(g, h->proc);
				lo = y < lo ? y : lo;
				hi = y > hi ? y : hi;
				fprintf(out,
				        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" "
				        "stroke=\"#d00000\" stroke-width=\"2.5\"/>",
				        cx, y);
				if (next->proc != -1 && next->proc != h->proc) {
					/* "waits for": an arc bulging right, one per edge */
					y2 = ymid(g, next->proc);
					fprintf(out,
					        "<path d=\"M%.1f %.1fQ%.1f %.1f %.1f %.1f\" fill=\"none\" "
					        "stroke=\"#d00000\" stroke-width=\"1.5\" "
					        "marker-end=\"url(#arrow-deadlock)\"/>",
					        cx + 6, y, cx + 30 + 8 * (double)k, (y + y2) / 2,
					        cx + 6, y2);
				}
			}
			if (hi >= 0) {
				fprintf(out,
				        "<rect x=\"%.1f\" y=\"%.1f\" width=\"48\" height=\"%.1f\" "
				        "fill=\"none\" stroke=\"#d00000\" stroke-dasharray=\"5 3\"/>",
				        cx - 12, lo - g->row / 2, hi - lo + g->row);
				fprintf(out,
				        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\" "
				        "fill=\"#fff\" stroke=\"#d00000\" stroke-width=\"3\" "
				        "paint-order=\"stroke\">DEADLOCK</text>",
				        cx + 40, lo - g->row / 2 + 12);
				fputs("<title>", out);
				xml_text(out, e->text, 200);
				fputs("</title>", out);
			}
			fputs("</g>\n", out);
			break;
		}
		case EV_IPC_DEL:
		case EV_QUEUED:
		case EV_END:
			break;
		}
	}
	free(step_t);
	return 0;
}

static void
svg_legend(FILE *out, const struct layout *g)
{
	static const char states[] = "RSDTZI";
	double y = g->height - 44, x = 16;

	fprintf(out, "<g class=\"legend\" font-size=\"12\">\n");
	for (const char *s = states; *s; s++) {
		fprintf(out,
		        "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"%s\"/>"
		        "<text x=\"%.0f\" y=\"%.0f\">%c %s</text>\n",
		        x, y, state_colour(*s), x + 18, y + 9, *s, pl_procfs_state_name(*s));
		x += 112;
	}
	y += 22;
	x = 16;
	fprintf(out,
	        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#333\" "
	        "marker-end=\"url(#arrow)\"/><text x=\"%.0f\" y=\"%.0f\">fork</text>\n",
	        x, y - 4, x + 20, y - 4, x + 26, y);
	x += 80;
	fprintf(out,
	        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#e07000\" "
	        "stroke-dasharray=\"4 3\" marker-end=\"url(#arrow-adopt)\"/>"
	        "<text x=\"%.0f\" y=\"%.0f\">adopted</text>\n",
	        x, y - 4, x + 20, y - 4, x + 26, y);
	x += 100;
	fprintf(out,
	        "<path d=\"M%.0f %.0fl6 6m0 -6l-6 6\" stroke=\"#000\" stroke-width=\"2\"/>"
	        "<text x=\"%.0f\" y=\"%.0f\">exit and status</text>\n",
	        x, y - 7, x + 12, y);
	x += 130;
	fprintf(out,
	        "<path d=\"M%.0f %.0fl-4 -8h8z\" fill=\"#c00060\"/><text x=\"%.0f\" y=\"%.0f\">"
	        "signal</text>\n",
	        x + 4, y, x + 12, y);
	x += 80;
	fprintf(out,
	        "<path d=\"M%.0f %.0fl4 4l-4 4l-4 -4z\" fill=\"#444\"/><text x=\"%.0f\" "
	        "y=\"%.0f\">exec</text>\n",
	        x + 4, y - 8, x + 12, y);
	x += 70;
	fprintf(out,
	        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#555\" "
	        "stroke-dasharray=\"2 3\"/><text x=\"%.0f\" y=\"%.0f\">step</text>\n",
	        x + 4, y - 12, x + 4, y + 2, x + 12, y);
	x += 70;
	fprintf(out,
	        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#7a4a00\" "
	        "stroke-width=\"2\"/><circle cx=\"%.0f\" cy=\"%.0f\" r=\"3\" fill=\"#fff\" "
	        "stroke=\"#7a4a00\"/><text x=\"%.0f\" y=\"%.0f\">IPC (pipe, socket, shm...)</text>\n",
	        x + 4, y - 12, x + 4, y + 2, x + 4, y - 12, x + 12, y);
	x += 200;
	fprintf(out,
	        "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\" fill=\"#108010\">\xe2\x9c\x93</text>"
	        "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\" fill=\"#d00000\">\xe2\x9c\x97</text>"
	        "<text x=\"%.0f\" y=\"%.0f\">check</text>\n",
	        x, y, x + 10, y, x + 24, y);
	x += 80;
	fprintf(out,
	        "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"5\" fill=\"none\" stroke=\"#d00000\" "
	        "stroke-width=\"2\"/><text x=\"%.0f\" y=\"%.0f\">deadlock cycle</text>\n",
	        x + 5, y - 4, x + 14, y);
	fputs("</g>\n", out);
}

int
pl_export_svg(const struct pl_export *x_const, FILE *out)
{
	struct pl_export *x = (struct pl_export *)x_const; /* tree links only */
	struct layout g = { .x0 = 290, .x1 = 1170, .t0 = x->start, .t1 = run_end(x), .top = 92 };
	int *order = tree_order(x);
	size_t n = x->nprocs ? x->nprocs : 1;

	if (order == NULL)
		return -1;
	g.row_of = malloc(n * sizeof(int));
	if (g.row_of == NULL) {
		free(order);
		return -1;
	}
	for (size_t r = 0; r < x->nprocs; r++)
		g.row_of[order[r]] = (int)r;
	/* Rows share a 720-pixel slide, 36 pixels at most: a run of a few
	 * processes gives a short picture. Past 60 rows or so they would be
	 * too thin to read, so the picture grows taller instead. */
	g.row = (720.0 - g.top - 90) / (double)n;
	g.row = g.row > 36 ? 36 : g.row < 9 ? 9 : g.row;
	g.height = g.top + g.row * (double)n + 90;

	fprintf(out,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1280\" height=\"%.0f\" "
	        "viewBox=\"0 0 1280 %.0f\" font-family=\"sans-serif\">\n",
	        g.height, g.height);
	fputs("<defs>"
	      "<marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" "
	      "orient=\"auto\"><path d=\"M0 0L8 4L0 8z\" fill=\"#333\"/></marker>"
	      "<marker id=\"arrow-adopt\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" "
	      "orient=\"auto\"><path d=\"M0 0L8 4L0 8z\" fill=\"#e07000\"/></marker>"
	      "<marker id=\"arrow-deadlock\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" "
	      "orient=\"auto\"><path d=\"M0 0L8 4L0 8z\" fill=\"#d00000\"/></marker>"
	      "</defs>\n",
	      out);
	fprintf(out, "<rect width=\"1280\" height=\"%.0f\" fill=\"#fff\"/>\n", g.height);
	fputs("<text x=\"16\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", out);
	xml_text(out, x->command != NULL && x->command[0] ? x->command : "a proclab run", 90);
	fprintf(out,
	        "</text>\n<text x=\"1264\" y=\"24\" font-size=\"12\" fill=\"#555\" "
	        "text-anchor=\"end\">%zu processes, %.1f s</text>\n",
	        x->nprocs, g.t1 - g.t0);
	svg_axis(out, &g);
	svg_rows(out, x, &g, order);
	if (svg_marks(out, x, &g) == -1) {
		free(g.row_of);
		free(order);
		return -1;
	}
	svg_legend(out, &g);
	fputs("</svg>\n", out);
	free(g.row_of);
	free(order);
	return ferror(out) ? -1 : 0;
}
