/* pl_history_record.c - the recording: a history's events written as JSON
 * Lines (pl_history_format, pl_history_record). See pl_history.h and
 * docs/record.md; the history itself is in pl_history.c, and the one
 * reader of what this writes, for the replay and the exporter, is
 * pl_record.c. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pl_history.h"
#include "pl_json.h"

/* SRC into a field of SIZE bytes, cut if it is longer: what a line says
 * is kept only as far as the history keeps it. */
static void
copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ------------------------------------------------------------------ */
/* Recording: one event, one line.                                      */

static const char *const type_names[] = {
	[PL_HISTORY_HEADER] = "header",     [PL_HISTORY_PROC] = "proc",
	[PL_HISTORY_STATE] = "state",       [PL_HISTORY_THREAD] = "thread",
	[PL_HISTORY_WCHAN] = "wchan",
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

const char *
pl_history_type_name(enum pl_history_type type)
{
	if ((size_t)type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

const char *
pl_history_kind_name(char kind)
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
put_string(struct out *o, const char *value)
{
	if (!o->full && pl_json_put_string(o->buf, o->size, &o->len, value) == -1)
		o->full = true;
}

static void
put_str(struct out *o, const char *key, const char *value)
{
	put_raw(o, ",\"%s\":", key);
	put_string(o, value);
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
	const struct pl_ipc_object *ob = &e->object;
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
	case PL_HISTORY_THREAD:
		put_raw(&o, ",\"pid\":%ld,\"tid\":%ld", (long)e->pid, (long)e->tid);
		put_str(&o, "comm", e->text);
		put_str(&o, "state", state);
		put_str(&o, "wchan", e->wchan);
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
		put_str(&o, "kind", pl_history_kind_name(e->kind));
		put_str(&o, "text", e->text);
		if (e->kind == 'c')
			put_raw(&o, ",\"held\":%s", e->held ? "true" : "false");
		break;
	case PL_HISTORY_IPC_ADD:
		put_str(&o, "op", "add");
		put_str(&o, "id", e->id);
		put_str(&o, "kind", pl_ipc_name(ob->kind));
		put_str(&o, "label", ob->label);
		put_raw(&o, ",\"dev\":%llu,\"inode\":%llu", ob->dev, ob->inode);
		if (ob->listening)
			put_raw(&o, ",\"listening\":true");
		if (ob->connection)
			put_raw(&o, ",\"connection\":true");
		if (ob->outside)
			put_raw(&o, ",\"outside\":true");
		if (ob->ends[0][0] != '\0' || ob->ends[1][0] != '\0') {
			put_raw(&o, ",\"ends\":[");
			put_string(&o, ob->ends[0]);
			put_raw(&o, ",");
			put_string(&o, ob->ends[1]);
			put_raw(&o, "]");
		}
		/* Every hold on it: an fd (-1: a mapping), a pipe's end, and
		 * which side of a connection. */
		put_raw(&o, ",\"holders\":[");
		for (size_t i = 0; i < ob->nholders && i < PL_HISTORY_HOLDERS; i++) {
			const struct pl_ipc_holder *h = &e->holders[i];

			put_raw(&o, "%s{\"pid\":%ld,\"fd\":%d", i ? "," : "", (long)h->pid, h->fd);
			if (h->end == 'r' || h->end == 'w' || h->end == 'b')
				put_raw(&o, ",\"end\":\"%c\"", h->end);
			if (h->side != 0)
				put_raw(&o, ",\"side\":1");
			put_raw(&o, "}");
		}
		put_raw(&o, "]");
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
