/* pl_history_record.c - the recording: a history's events as JSON Lines,
 * written (pl_history_format, pl_history_record) and read back
 * (pl_history_parse). See pl_history.h and docs/record.md; the history
 * itself is in pl_history.c. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
		put_str(&o, "kind", kind_name(e->kind));
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

/* ------------------------------------------------------------------ */
/* Replay: one line, one event. A flat JSON object; nested values are    */
/* skipped except the lists "holders", "links" and "ends".              */

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

/* The '[' of a list: 1 if an item follows, 0 if it is empty ("[]"),
 * -1 if it is no list. */
static int
list_open(struct in *in)
{
	skip_space(in);
	if (*in->p != '[') {
		in->why = "a list expected";
		return -1;
	}
	in->p++;
	skip_space(in);
	if (*in->p != ']')
		return 1;
	in->p++;
	return 0;
}

/* After an item: 1 if another follows, 0 at the end of the list. */
static int
list_next(struct in *in)
{
	skip_space(in);
	if (*in->p == ',') {
		in->p++;
		return 1;
	}
	if (*in->p == ']') {
		in->p++;
		return 0;
	}
	in->why = "a ',' or ']' expected";
	return -1;
}

/* A whole number in [MIN, MAX] into *OUT, or -1 with WHAT as the reason. */
static int
parse_whole(struct in *in, double min, double max, long *out, const char *what)
{
	double d;

	if (parse_number(in, &d) == -1)
		return -1;
	if (d < min || d > max || d != (double)(long long)d) {
		in->why = what;
		return -1;
	}
	*out = (long)d;
	return 0;
}

/* One of the "holders" of an IPC object: a pid, an fd (-1: a mapping),
 * a pipe's end and a side of a connection. */
static int
holder_field(struct in *in, const char *key, void *item)
{
	struct pl_ipc_holder *h = item;
	char end[4];
	long v;

	if (strcmp(key, "pid") == 0) {
		if (parse_whole(in, 1, INT32_MAX, &v, "a holder's pid out of range") == -1)
			return -1;
		h->pid = (pid_t)v;
	} else if (strcmp(key, "fd") == 0) {
		if (parse_whole(in, -1, INT32_MAX, &v, "a holder's fd out of range") == -1)
			return -1;
		h->fd = (int)v;
	} else if (strcmp(key, "side") == 0) {
		if (parse_whole(in, 0, 1, &v, "a holder's side is neither 0 nor 1") == -1)
			return -1;
		h->side = (int)v;
	} else if (strcmp(key, "end") == 0) {
		if (parse_string(in, end, sizeof(end)) == -1)
			return -1;
		h->end = strlen(end) == 1 && strchr("rwb", end[0]) != NULL ? end[0] : '\0';
	} else {
		return skip_value(in, 2);
	}
	return 0;
}

/* One of the "links" of a deadlock: a pid, its name, the lock it wants. */
struct link {
	long pid;
	char name[PL_WAITFOR_NAME_MAX];
	char lock[PL_WAITFOR_NAME_MAX];
};

static int
link_field(struct in *in, const char *key, void *item)
{
	struct link *l = item;

	if (strcmp(key, "pid") == 0)
		return parse_whole(in, 1, INT32_MAX, &l->pid, "a pid in a list out of range");
	if (strcmp(key, "name") == 0)
		return parse_string(in, l->name, sizeof(l->name));
	if (strcmp(key, "lock") == 0)
		return parse_string(in, l->lock, sizeof(l->lock));
	return skip_value(in, 2);
}

/* A list of objects into ITEMS, each of SIZE bytes, starting as a copy of
 * BLANK, its keys read by FIELD. At most MAX are kept (the rest are read
 * and dropped: a line may be long, what it costs here is not); *N gets
 * how many. */
static int
parse_items(struct in *in, void *items, size_t size, const void *blank, size_t max, size_t *n,
            int (*field)(struct in *, const char *, void *))
{
	union {
		struct pl_ipc_holder holder;
		struct link link;
	} dropped;
	int more = list_open(in);

	while (more == 1) {
		void *it = *n < max ? (void *)((char *)items + *n * size) : (void *)&dropped;

		memcpy(it, blank, size);
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
			if (field(in, key, it) == -1)
				return -1;
			skip_space(in);
			if (*in->p == ',')
				in->p++;
			else if (*in->p != '}') {
				in->why = "a ',' or '}' expected";
				return -1;
			}
		}
		in->p++;
		if (it != (void *)&dropped)
			(*n)++;
		more = list_next(in);
	}
	return more;
}

/* A list of two strings, "ends", into ENDS (what a connection joins). */
static int
parse_ends(struct in *in, char ends[2][sizeof(((struct pl_ipc_object *)0)->ends[0])])
{
	int more = list_open(in);

	for (size_t i = 0; more == 1; i++) {
		skip_space(in);
		if (parse_string(in, i < 2 ? ends[i] : NULL, i < 2 ? sizeof(ends[i]) : 0) == -1)
			return -1;
		more = list_next(in);
	}
	return more;
}

enum { N_CODE, N_SIGNAL, N_BYTES, N_VERSION, N_HZ, N_INODE, N_DEV, N_INDEX, N_OF, N_TID, N_COUNT };

/* The fields a line may have, as read. */
struct fields {
	bool has_t, has_pid, has_ppid, has_state;
	double t, pid, ppid, num[N_COUNT];
	bool has_num[N_COUNT];
	char type[16], state[4], text[PL_HISTORY_TEXT], kind[16], op[8], id[96];
	char comm[64], role[PL_BOARD_NAME], by[64], wchan[48], status[64];
	char label[sizeof(((struct pl_ipc_object *)0)->label)];
	char name[64], mode[8], lock[12], range[64], format[32], command[256];
	bool held, waiting, core, listening, connection, outside;
	char ends[2][sizeof(((struct pl_ipc_object *)0)->ends[0])];
	bool has_holders;
	struct pl_ipc_holder *holders; /* the event's: PL_HISTORY_HOLDERS of them */
	struct link links[PL_WAITFOR_CYCLE_MAX];
	size_t nholders, nlinks;
};


/* The line's keys into F, and its holders into HOLDERS. */
static int
parse_fields(const char *line, struct fields *f, struct pl_ipc_holder *holders, const char **why)
{
	static const struct pl_ipc_holder blank_holder = { .fd = -1 };
	static const struct link blank_link;
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
		                               "inode", "dev",    "index", "of",      "tid" };
	static const struct {
		const char *key;
		size_t offset;
	} flags[] = {
#define B(k) { #k, offsetof(struct fields, k) }
		B(held), B(waiting), B(core), B(listening), B(connection), B(outside),
#undef B
	};

	memset(f, 0, sizeof(*f));
	f->holders = holders;
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
			for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && !done; i++)
				if (strcmp(key, flags[i].key) == 0) {
					bool *flag = (bool *)((char *)f + flags[i].offset);

					if (strncmp(in.p, "true", 4) == 0) {
						*flag = true;
						in.p += 4;
					} else if (strncmp(in.p, "false", 5) == 0) {
						*flag = false;
						in.p += 5;
					} else {
						in.why = "true or false expected";
						goto bad;
					}
					done = true;
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
				if (parse_items(&in, f->holders, sizeof(*f->holders), &blank_holder,
				                PL_HISTORY_HOLDERS, &f->nholders, holder_field) == -1)
					goto bad;
				f->has_holders = true;
			} else if (strcmp(key, "links") == 0) {
				if (parse_items(&in, f->links, sizeof(*f->links), &blank_link,
				                PL_WAITFOR_CYCLE_MAX, &f->nlinks, link_field) == -1)
					goto bad;
			} else if (strcmp(key, "ends") == 0) {
				if (parse_ends(&in, f->ends) == -1)
					goto bad;
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

/* A kind by its name; one this proclab does not know is another anon. */
static enum pl_ipc_kind
ipc_kind(const char *name)
{
	for (int k = PL_IPC_PIPE; k <= PL_IPC_ANON; k++)
		if (strcmp(name, pl_ipc_name((enum pl_ipc_kind)k)) == 0)
			return (enum pl_ipc_kind)k;
	return PL_IPC_ANON;
}

int
pl_history_parse(const char *line, struct pl_history_event *e, char *why_buf, size_t why_size)
{
	struct fields f;
	const char *why = NULL;
	int type = -1;

	memset(e, 0, sizeof(*e));
	if (parse_fields(line, &f, e->holders, &why) == -1)
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
	case PL_HISTORY_THREAD:
		if (need_pid(&f, e, &why) == -1)
			goto bad;
		if (!f.has_num[N_TID] || !good_pid(f.num[N_TID]) || f.num[N_TID] == 0) {
			why = "a thread needs a \"tid\"";
			goto bad;
		}
		if (strlen(f.state) != 1 || strchr("RSDTtZXxIKWPi", f.state[0]) == NULL) {
			why = "\"state\" is not a state letter";
			goto bad;
		}
		e->tid = (pid_t)f.num[N_TID];
		e->state = f.state[0];
		copy(e->text, sizeof(e->text), f.comm);
		copy(e->wchan, sizeof(e->wchan), f.wchan);
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
		copy(e->id, sizeof(e->object.id), f.id); /* as long as the model's */
		if (strcmp(f.op, "del") == 0) {
			e->type = PL_HISTORY_IPC_DEL;
			break;
		}
		if (strcmp(f.op, "add") != 0) {
			why = "\"op\" is neither \"add\" nor \"del\"";
			goto bad;
		}
		e->type = PL_HISTORY_IPC_ADD;
		if (f.nholders == 0) {
			why = "an \"ipc\" \"add\" with no \"holders\"";
			goto bad;
		}
		for (size_t i = 0; i < f.nholders; i++)
			if (e->holders[i].pid == 0) {
				why = "a holder with no \"pid\"";
				goto bad;
			}
		e->object.nholders = f.nholders; /* parse_fields put them in e->holders */
		copy(e->object.id, sizeof(e->object.id), e->id);
		e->object.kind = ipc_kind(f.kind);
		copy(e->object.label, sizeof(e->object.label), f.label);
		copy(e->object.ends[0], sizeof(e->object.ends[0]), f.ends[0]);
		copy(e->object.ends[1], sizeof(e->object.ends[1]), f.ends[1]);
		e->object.listening = f.listening;
		e->object.connection = f.connection;
		e->object.outside = f.outside;
		e->object.queued = -1;
		if (f.has_num[N_DEV] && f.num[N_DEV] >= 0 && f.num[N_DEV] < 1e19)
			e->object.dev = (unsigned long long)f.num[N_DEV];
		if (f.has_num[N_INODE] && f.num[N_INODE] >= 0 && f.num[N_INODE] < 1e19)
			e->object.inode = (unsigned long long)f.num[N_INODE];
		break;
	case PL_HISTORY_QUEUED:
		if (f.id[0] == '\0' || !f.has_num[N_BYTES] || f.num[N_BYTES] < -1 ||
		    f.num[N_BYTES] > 1e15) {
			why = "a \"queued\" line needs an \"id\" and \"bytes\"";
			goto bad;
		}
		copy(e->id, sizeof(e->object.id), f.id);
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

