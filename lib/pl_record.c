/* pl_record.c - the one reader of a recording: a line of JSON into an
 * event of the history (pl_record.h, man/pl_record.3), for the replay
 * and the exporter alike. The writer is pl_history_record.c.
 *
 * Each line is a flat JSON object. A small parser below takes the keys
 * the format defines into struct fields, skips the rest (a newer
 * recorder's keys), and only the lists "holders", "links", "pids" and
 * "ends" are read inside; then pl_record_parse() checks what the line's
 * type needs and fills the event. pl_record_line() adds the checks of a
 * line's place in the file: the header first, and time that does not go
 * back.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_record.h"

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
/* One line of JSON: a flat object.                                     */

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

/* Code point C as UTF-8 at DST + *LEN, if it fits in SIZE with a NUL. */
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
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (c >> 18));
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*len + n < size) {
		memcpy(dst + *len, b, n);
		*len += n;
	}
}

/* The four hex digits at S as a number, or -1. */
static long
hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char d = s[i];

		v <<= 4;
		if (d >= '0' && d <= '9')
			v |= d - '0';
		else if (d >= 'a' && d <= 'f')
			v |= d - 'a' + 10;
		else if (d >= 'A' && d <= 'F')
			v |= d - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A JSON string into DST (cut to SIZE - 1 bytes; what is cut is lost),
 * or only read past if DST is NULL. A character beyond the first 65536
 * comes as a pair of \u escapes (RFC 8259, section 7). Our strings end at
 * a NUL, so \u0000 becomes '?', and so does half a pair, which is no
 * character. Other control characters are kept here: the screen and the
 * pictures clean every string they show (pl_text.h). */
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
			long u, low;

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
				if ((u = hex4(in->p)) == -1) {
					in->why = "a bad \\u escape";
					return -1;
				}
				in->p += 4;
				if (u >= 0xd800 && u <= 0xdbff && in->p[0] == '\\' &&
				    in->p[1] == 'u' && (low = hex4(in->p + 2)) >= 0xdc00 &&
				    low <= 0xdfff) {
					u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
					in->p += 6;
				} else if (u == 0 || (u >= 0xd800 && u <= 0xdfff)) {
					u = '?';
				}
				if (dst != NULL)
					put_utf8(dst, size, &len, (unsigned long)u);
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

/* A list of process IDs, "pids", into PIDS (at most MAX; the rest are
 * read and dropped), *N of them. */
static int
parse_pids(struct in *in, long *pids, size_t max, size_t *n)
{
	int more = list_open(in);

	while (more == 1) {
		long pid;

		skip_space(in);
		if (parse_whole(in, 1, INT32_MAX, &pid, "a pid in a list out of range") == -1)
			return -1;
		if (*n < max)
			pids[(*n)++] = pid;
		more = list_next(in);
	}
	return more;
}

enum { N_CODE, N_SIGNAL, N_BYTES, N_VERSION, N_HZ, N_INODE, N_DEV, N_INDEX, N_OF, N_TID, N_COUNT };

/* The fields a line may have, as read. */
struct fields {
	/* What says whether a key was there, and how many items a list had:
	 * zeroed for each line. */
	bool has_t, has_pid, has_ppid, has_text, has_holders, has_links, has_pids;
	bool has_num[N_COUNT];
	bool held, waiting, core, listening, connection, outside;
	size_t nholders, nlinks, npids;
	/* The values: a string absent is "", the rest are read only when
	 * their key or count says they are there. */
	double t, pid, ppid, num[N_COUNT];
	char type[16], state[4], text[PL_HISTORY_TEXT], kind[16], op[8], id[96];
	char comm[64], role[PL_BOARD_NAME], by[64], wchan[48], status[64], from[64];
	char label[sizeof(((struct pl_ipc_object *)0)->label)];
	char name[64], mode[8], lock[12], range[64], format[32], command[256];
	char ends[2][sizeof(((struct pl_ipc_object *)0)->ends[0])];
	struct pl_ipc_holder *holders; /* the event's: PL_HISTORY_HOLDERS of them */
	struct link links[PL_WAITFOR_CYCLE_MAX];
	long pids[PL_WAITFOR_CYCLE_MAX];
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
		S("format", format), S("command", command), S("from", from),
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

	/* Not the whole of F: it is read for every line of a recording. */
	memset(f, 0, offsetof(struct fields, t));
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		((char *)f + strings[i].offset)[0] = '\0';
	f->ends[0][0] = f->ends[1][0] = '\0';
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
			if (*in.p == '\0') {
				in.why = "the line ends inside the JSON object";
				goto bad;
			}
			/* The keys of every line first. */
			if (strcmp(key, "t") == 0) {
				if (parse_number(&in, &f->t) == -1)
					goto bad;
				f->has_t = done = true;
			} else if (strcmp(key, "pid") == 0) {
				if (parse_number(&in, &f->pid) == -1)
					goto bad;
				f->has_pid = done = true;
			}
			for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]) && !done; i++)
				if (strcmp(key, strings[i].key) == 0) {
					if (parse_string(&in, (char *)f + strings[i].offset,
					                 strings[i].size) == -1)
						goto bad;
					f->has_text |=
					        strings[i].offset == offsetof(struct fields, text);
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
			} else if (strcmp(key, "ppid") == 0) {
				if (parse_number(&in, &f->ppid) == -1)
					goto bad;
				f->has_ppid = true;
			} else if (strcmp(key, "holders") == 0) {
				if (parse_items(&in, f->holders, sizeof(*f->holders), &blank_holder,
				                PL_HISTORY_HOLDERS, &f->nholders,
				                holder_field) == -1)
					goto bad;
				f->has_holders = true;
			} else if (strcmp(key, "links") == 0) {
				if (parse_items(&in, f->links, sizeof(*f->links), &blank_link,
				                PL_WAITFOR_CYCLE_MAX, &f->nlinks, link_field) == -1)
					goto bad;
				f->has_links = true;
			} else if (strcmp(key, "pids") == 0) {
				if (parse_pids(&in, f->pids, PL_WAITFOR_CYCLE_MAX, &f->npids) == -1)
					goto bad;
				f->has_pids = true;
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
			in.why = *in.p == '\0' ? "the line ends inside the JSON object"
			                       : "a ',' or '}' expected";
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
		*why = f->has_pid ? "\"pid\" is not a process ID (a whole number from 1)"
		                  : "no \"pid\"";
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

/* The processes of a deadlock as an older recorder wrote it, in its text
 * only, as pl_waitfor_describe() words it: each clause after "; " starts
 * with a task, "101 (a) wants fork 2, held by 102 (b); 102 (b) wants ...".
 * Returns how many. */
static size_t
pids_in_text(const char *text, struct pl_waitfor_cycle *cycle)
{
	size_t n = 0;

	for (const char *s = text; s != NULL && n < PL_WAITFOR_CYCLE_MAX;) {
		char *end;
		long pid = strtol(s, &end, 10);

		if (end != s && pid > 0 && pid <= INT32_MAX)
			cycle->links[n++].task = pid;
		s = strstr(s, "; ");
		if (s != NULL)
			s += 2;
	}
	return n;
}

int
pl_record_parse(const char *line, struct pl_history_event *e, char *why_buf, size_t why_size)
{
	struct fields f;
	const char *why = NULL;
	char said[96];
	int type = -1;

	/* All but the holders, which a line has only up to object.nholders
	 * (the array is most of the event, and a recording has many lines). */
	memset(e, 0, offsetof(struct pl_history_event, holders));
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
	for (int i = 0; pl_history_type_name((enum pl_history_type)i) != NULL && type == -1; i++)
		if (strcmp(f.type, pl_history_type_name((enum pl_history_type)i)) == 0)
			type = i;
	if (type == -1)
		return 0; /* a type of a later version: skipped */
	e->type = (enum pl_history_type)type;
	if (f.has_ppid && !good_pid(f.ppid)) {
		why = "\"ppid\" is not a process ID";
		goto bad;
	}
	e->ppid = f.has_ppid ? (pid_t)f.ppid : 0;
	switch (e->type) {
	case PL_HISTORY_HEADER:
		if (strcmp(f.format, PL_HISTORY_FORMAT) != 0) {
			why = "not a proclab recording (no \"format\":\"" PL_HISTORY_FORMAT "\")";
			goto bad;
		}
		if (!f.has_num[N_VERSION]) {
			why = "a header with no \"version\"";
			goto bad;
		}
		if (f.num[N_VERSION] != PL_HISTORY_VERSION) {
			snprintf(said, sizeof(said),
			         "a recording of version %g: this reader knows version %d",
			         f.num[N_VERSION], PL_HISTORY_VERSION);
			why = said;
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
		copy(e->text, sizeof(e->text), f.status); /* the words, for a picture */
		break;
	case PL_HISTORY_NARRATION:
		if (f.has_pid && !good_pid(f.pid)) {
			why = "\"pid\" is not a process ID";
			goto bad;
		}
		e->pid = f.has_pid ? (pid_t)f.pid : 0;
		e->kind = strcmp(f.kind, "step") == 0    ? 's'
		          : strcmp(f.kind, "note") == 0  ? 'n'
		          : strcmp(f.kind, "check") == 0 ? 'c'
		                                         : 'o';
		if (!f.has_text) {
			why = "a narration with no \"text\"";
			goto bad;
		}
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
		if (strcmp(f.op, "add") != 0)
			return 0; /* an operation of a later version: skipped */
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
		if (!f.has_num[N_OF]) {
			/* As an older recorder wrote it, with no count: the
			 * history takes it as none, a picture draws its
			 * processes, from "pids" or else from its text. An
			 * empty text ends the deadlock. */
			for (size_t i = 0; i < f.npids; i++)
				e->cycle.links[i].task = f.pids[i];
			e->cycle.length = f.npids > 0 ? f.npids : pids_in_text(f.text, &e->cycle);
			if (e->cycle.length == 0 && f.text[0] != '\0') {
				why = "a deadlock that names no process";
				goto bad;
			}
			break;
		}
		if (f.num[N_OF] == 0)
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
			copy(e->cycle.links[i].lock, sizeof(e->cycle.links[i].lock),
			     f.links[i].lock);
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
		copy(e->text, sizeof(e->text), f.from); /* who sent it */
		break;
	case PL_HISTORY_END:
		to_status(&f, e);
		copy(e->text, sizeof(e->text), f.status);
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
/* A whole recording: each line in its place.                          */

void
pl_record_init(struct pl_record_reader *r, bool hold_time)
{
	memset(r, 0, sizeof(*r));
	r->hold_time = hold_time;
}

void
pl_record_free(struct pl_record_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->buf_size = 0;
}

const char *
pl_record_error(const struct pl_record_reader *r, unsigned long *line)
{
	if (line != NULL)
		*line = r->line;
	return r->why;
}

static int
refuse(struct pl_record_reader *r, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why);
	errno = EINVAL;
	return -1;
}

static bool
blank(const char *line)
{
	return line[strspn(line, " \t\r")] == '\0';
}

int
pl_record_line(struct pl_record_reader *r, const char *line, struct pl_history_event *e)
{
	char why[sizeof(r->why)];
	int got;

	r->line++;
	r->why[0] = '\0';
	if (blank(line))
		return 0;
	if ((got = pl_record_parse(line, e, why, sizeof(why))) == -1)
		return refuse(r, why);
	if (!r->header) {
		if (got == 0 || e->type != PL_HISTORY_HEADER)
			return refuse(r,
			              "not a proclab recording: the first line must be its header");
		r->header = true;
	} else if (got == 1 && e->type == PL_HISTORY_HEADER) {
		return refuse(r, "a second header");
	}
	if (got == 0)
		return 0;
	if (e->t < r->last_t) {
		if (!r->hold_time) {
			snprintf(why, sizeof(why), "time goes back (%.3f after %.3f)", e->t,
			         r->last_t);
			return refuse(r, why);
		}
		e->t = r->last_t;
	}
	r->last_t = e->t;
	return 1;
}

int
pl_record_read(struct pl_record_reader *r, FILE *in, struct pl_history_event *e)
{
	for (;;) {
		ssize_t n;
		int got;

		errno = 0;
		if ((n = getline(&r->buf, &r->buf_size, in)) == -1)
			break;
		if (n > 0 && r->buf[n - 1] == '\n')
			r->buf[--n] = '\0';
		if ((size_t)n != strlen(r->buf)) {
			r->line++;
			return refuse(r, "a NUL byte in the line");
		}
		if (n >= PL_HISTORY_LINE_MAX) {
			char why[64];

			r->line++;
			snprintf(why, sizeof(why), "a line longer than %d bytes",
			         PL_HISTORY_LINE_MAX);
			return refuse(r, why);
		}
		if ((got = pl_record_line(r, r->buf, e)) != 0)
			return got;
	}
	if (ferror(in) || errno == ENOMEM) {
		if (errno != ENOMEM)
			errno = EIO;
		return -1;
	}
	if (!r->header) {
		if (r->line == 0)
			r->line = 1; /* where the header should have been */
		return refuse(r, "an empty file, not a recording");
	}
	return 0;
}
