/* pl_say.c - a line of narration built from its own JSON fields. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pl_narrate.h"
#include "pl_say.h"

#define TEXT_MAX 2048 /* pl_narrate.c's text buffer: no line is longer */

struct out {
	char *buf;
	size_t size, len;
	bool cut;
};

static void put(struct out *o, const char *fmt, ...) PL_PRINTF(2, 3);

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size) {
		o->cut = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= o->size - o->len) {
		o->cut = true;
		o->len = o->size - 1;
	} else {
		o->len += (size_t)n;
	}
}

static void
put_bytes(struct out *o, const char *text, size_t n)
{
	put(o, "%.*s", (int)n, text);
}

static const struct pl_field *
find(const struct pl_field *fields, const char *key, size_t keylen)
{
	for (const struct pl_field *f = fields; f != NULL && f->key != NULL; f++)
		if (strlen(f->key) == keylen && memcmp(f->key, key, keylen) == 0)
			return f;
	return NULL;
}

/* printf's flags, width and precision, then at most one conversion,
 * which must be one of ALLOWED. Makes "%" SPEC LENGTH CONVERSION in FMT,
 * with DEFAULT_CONV when SPEC names none. */
static bool
make_format(char *fmt, size_t size, const char *spec, size_t n, const char *length,
            const char *allowed, char default_conv)
{
	char conv = default_conv;

	if (n > 0 && strchr("-+ #0123456789.", spec[n - 1]) == NULL) {
		conv = spec[n - 1];
		if (strchr(allowed, conv) == NULL)
			return false;
		n--;
	}
	for (size_t i = 0; i < n; i++)
		if (strchr("-+ #0123456789.", spec[i]) == NULL)
			return false;
	if (n > 16)
		return false;
	snprintf(fmt, size, "%%%.*s%s%c", (int)n, spec, length, conv);
	return true;
}

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
/* One {name...} whose field is F: SPEC (N bytes, maybe 0) after a ':'. */
static bool
put_value(struct out *o, const struct pl_field *f, const char *spec, size_t n)
{
	char fmt[32];

	switch (f->type) {
	case PL_FIELD_INT:
		if (!make_format(fmt, sizeof(fmt), spec, n, "ll", "diuxXo", 'd'))
			return false;
		if (strpbrk(fmt, "uxXo") != NULL)
			put(o, fmt, (unsigned long long)f->v.i);
		else
			put(o, fmt, f->v.i);
		return true;
	case PL_FIELD_DOUBLE:
		if (!make_format(fmt, sizeof(fmt), spec, n, "", "fFeEgG", 'g'))
			return false;
		put(o, fmt, f->v.d);
		return true;
	case PL_FIELD_STR:
		if (!make_format(fmt, sizeof(fmt), spec, n, "", "s", 's'))
			return false;
		put(o, fmt, f->v.s != NULL ? f->v.s : "(null)");
		return true;
	case PL_FIELD_CHAR:
		if (!make_format(fmt, sizeof(fmt), spec, n, "", "c", 'c'))
			return false;
		put(o, fmt, f->v.c);
		return true;
	case PL_FIELD_BOOL:
		if (n > 0)
			return false;
		put(o, "%s", f->v.b ? "true" : "false");
		return true;
	case PL_FIELD_INTS:
		if (n > 0)
			return false;
		for (size_t i = 0; i < f->v.ints.count; i++)
			put(o, i ? ", %ld" : "%ld", f->v.ints.items[i]);
		return true;
	case PL_FIELD_END:
		break;
	}
	return false;
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* {name?YES|NO}: CHOICE (N bytes) is "YES|NO". */
static bool
put_choice(struct out *o, const struct pl_field *f, const char *choice, size_t n)
{
	const char *bar = memchr(choice, '|', n);
	size_t yes = bar != NULL ? (size_t)(bar - choice) : n;
	bool truth;

	if (f->type == PL_FIELD_BOOL)
		truth = f->v.b;
	else if (f->type == PL_FIELD_INT)
		truth = f->v.i != 0;
	else
		return false;
	if (truth)
		put_bytes(o, choice, yes);
	else if (bar != NULL)
		put_bytes(o, bar + 1, n - yes - 1);
	return true;
}

int
pl_say_fill(char *buf, size_t size, const char *template, const struct pl_field *fields)
{
	struct out o = { buf, size, 0, false };
	bool bad = false;

	if (size == 0) {
		errno = ENOBUFS;
		return -1;
	}
	buf[0] = '\0';
	for (const char *p = template; *p != '\0';) {
		const char *end, *key, *rest;
		const struct pl_field *f;
		size_t keylen;

		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			put_bytes(&o, p, 1);
			p += 2;
			continue;
		}
		if (p[0] != '{' || (end = strchr(p, '}')) == NULL) {
			bad = bad || p[0] == '{'; /* a '{' that is never closed */
			put_bytes(&o, p, 1);
			p++;
			continue;
		}
		key = p + 1;
		keylen = strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		rest = key + keylen;
		f = keylen > 0 ? find(fields, key, keylen) : NULL;
		bool done = false;
		if (f != NULL && rest == end)
			done = put_value(&o, f, rest, 0);
		else if (f != NULL && *rest == ':')
			done = put_value(&o, f, rest + 1, (size_t)(end - rest - 1));
		else if (f != NULL && *rest == '?')
			done = put_choice(&o, f, rest + 1, (size_t)(end - rest - 1));
		if (!done) {
			bad = true;
			put(&o, "{?%.*s}", (int)keylen, key);
		}
		p = end + 1;
	}
	if (bad || o.cut) {
		errno = bad ? EINVAL : ENOBUFS;
		return -1;
	}
	return (int)o.len;
}

void
pl_say_step(const char *id, const struct pl_field *fields, const char *template)
{
	char text[TEXT_MAX];

	pl_say_fill(text, sizeof(text), template, fields);
	pl_step(id, fields, "%s", text);
}

void
pl_say_note(const char *event, const struct pl_field *fields, const char *template)
{
	char text[TEXT_MAX];

	pl_say_fill(text, sizeof(text), template, fields);
	pl_note(event, fields, "%s", text);
}

bool
pl_say_check(const char *id, bool ok, const struct pl_field *fields, const char *template)
{
	char text[TEXT_MAX];

	pl_say_fill(text, sizeof(text), template, fields);
	return pl_check(id, ok, fields, "%s", text);
}
