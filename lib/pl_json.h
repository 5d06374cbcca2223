/* pl_json.h - JSON Lines events.
 *
 * Under --json a demo writes one JSON object a line. Every object has
 *
 *     {"t": seconds since the demo started, "pid": the writer's PID,
 *      "event": a name, ... the event's own fields ... }
 *
 * Fields are given as a list of struct pl_field made with the PL_INT,
 * PL_DOUBLE, PL_STR, PL_BOOL, PL_CHAR and PL_INTS macros and wrapped in PL_FIELDS
 * (a field wrapped in PL_PROSE is for pl_say.h's printed line alone):
 *
 *     PL_FIELDS(PL_INT("child", pid), PL_STR("role", "worker"))
 */
#ifndef PL_JSON_H
#define PL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum pl_field_type {
	PL_FIELD_END,
	PL_FIELD_INT,
	PL_FIELD_DOUBLE,
	PL_FIELD_STR,
	PL_FIELD_BOOL,
	PL_FIELD_CHAR,     /* one character, written as a string: "Z" */
	PL_FIELD_INTS      /* an array of long */
};

struct pl_field {
	const char *key;
	enum pl_field_type type;
	union {
		long long i;
		double d;
		const char *s;
		bool b;
		char c;
		struct {
			const long *items;
			size_t count;
		} ints;
	} v;
	bool prose; /* for the printed line only: the JSON leaves it out */
};

#define PL_INT(k, x)    ((struct pl_field){ .key = (k), .type = PL_FIELD_INT, .v.i = (x) })
#define PL_DOUBLE(k, x) ((struct pl_field){ .key = (k), .type = PL_FIELD_DOUBLE, .v.d = (x) })
#define PL_STR(k, x)    ((struct pl_field){ .key = (k), .type = PL_FIELD_STR, .v.s = (x) })
#define PL_BOOL(k, x)   ((struct pl_field){ .key = (k), .type = PL_FIELD_BOOL, .v.b = (x) })
#define PL_CHAR(k, x)   ((struct pl_field){ .key = (k), .type = PL_FIELD_CHAR, .v.c = (x) })
#define PL_INTS(k, a, n) \
	((struct pl_field){ .key = (k), .type = PL_FIELD_INTS, .v.ints = { (a), (n) } })
/* The same field, for the printed line alone (pl_say.h): words or numbers
 * that the prose shows and the JSON does not carry, such as "zombie" for
 * a state "Z" that is already a field. */
#define PL_PROSE(f) \
	((struct pl_field){ .key = (f).key, .type = (f).type, .v = (f).v, .prose = true })
#define PL_END          ((struct pl_field){ .key = NULL, .type = PL_FIELD_END })
#define PL_FIELDS(...)  ((const struct pl_field[]){ __VA_ARGS__, PL_END })

/* Append TEXT to BUF (of SIZE bytes, holding *LEN bytes) as a JSON string,
 * quotes included. Returns 0, or -1 with errno ENOBUFS if it does not fit;
 * BUF stays NUL-terminated either way. */
int pl_json_put_string(char *buf, size_t size, size_t *len, const char *text);

/* Format one event line, newline included, into BUF.
 * TEXT (may be NULL) becomes the "text" field; FIELDS (may be NULL) follow.
 * Returns the length, or -1 with errno ENOBUFS if BUF is too small. */
int pl_json_format_event(char *buf, size_t size, double t, pid_t pid,
                         const char *event, const char *text,
                         const struct pl_field *fields);

#endif /* PL_JSON_H */
