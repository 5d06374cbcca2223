/* pl_json.c - encoding JSON Lines events (RFC 8259 strings, flat objects). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pl_json.h"

/* Append formatted text; on overflow keep BUF terminated and fail. */
static int
put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size) {
		errno = ENOBUFS;
		return -1;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len) {
		buf[*len] = '\0';
		errno = ENOBUFS;
		return -1;
	}
	*len += (size_t)n;
	return 0;
}

int
pl_json_put_string(char *buf, size_t size, size_t *len, const char *text)
{
	size_t start = *len;

	if (text == NULL)
		return put(buf, size, len, "null");
	if (put(buf, size, len, "\"") == -1)
		goto overflow;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		int rc;

		switch (*p) {
		case '"': rc = put(buf, size, len, "\\\""); break;
		case '\\': rc = put(buf, size, len, "\\\\"); break;
		case '\n': rc = put(buf, size, len, "\\n"); break;
		case '\r': rc = put(buf, size, len, "\\r"); break;
		case '\t': rc = put(buf, size, len, "\\t"); break;
		default:
			/* Other control characters must be escaped; bytes >= 0x80
			 * pass through, so UTF-8 stays UTF-8. */
			if (*p < 0x20 || *p == 0x7f)
				rc = put(buf, size, len, "\\u%04x", *p);
			else
				rc = put(buf, size, len, "%c", *p);
		}
		if (rc == -1)
			goto overflow;
	}
	if (put(buf, size, len, "\"") == -1)
		goto overflow;
	return 0;
overflow:
	*len = start;
	buf[start] = '\0';
	errno = ENOBUFS;
	return -1;
}

static int
put_field(char *buf, size_t size, size_t *len, const struct pl_field *f)
{
	if (put(buf, size, len, ",") == -1 || pl_json_put_string(buf, size, len, f->key) == -1 ||
	    put(buf, size, len, ":") == -1)
		return -1;
	switch (f->type) {
	case PL_FIELD_INT:
		return put(buf, size, len, "%lld", f->v.i);
	case PL_FIELD_DOUBLE:
		/* JSON has no NaN or infinity. */
		if (!isfinite(f->v.d))
			return put(buf, size, len, "null");
		return put(buf, size, len, "%.9g", f->v.d);
	case PL_FIELD_STR:
		return pl_json_put_string(buf, size, len, f->v.s);
	case PL_FIELD_BOOL:
		return put(buf, size, len, f->v.b ? "true" : "false");
	case PL_FIELD_CHAR: {
		char text[2] = { f->v.c, '\0' };
		return pl_json_put_string(buf, size, len, text);
	}
	case PL_FIELD_INTS:
		if (put(buf, size, len, "[") == -1)
			return -1;
		for (size_t i = 0; i < f->v.ints.count; i++)
			if (put(buf, size, len, i ? ",%ld" : "%ld", f->v.ints.items[i]) == -1)
				return -1;
		return put(buf, size, len, "]");
	case PL_FIELD_END:
		break;
	}
	return 0;
}

int
pl_json_format_event(char *buf, size_t size, double t, pid_t pid, const char *event,
                     const char *text, const struct pl_field *fields)
{
	size_t len = 0;

	if (size == 0) {
		errno = ENOBUFS;
		return -1;
	}
	buf[0] = '\0';
	if (put(buf, size, &len, "{\"t\":%.6f,\"pid\":%ld,\"event\":", t, (long)pid) == -1 ||
	    pl_json_put_string(buf, size, &len, event) == -1)
		return -1;
	if (text != NULL && (put(buf, size, &len, ",\"text\":") == -1 ||
	                     pl_json_put_string(buf, size, &len, text) == -1))
		return -1;
	for (const struct pl_field *f = fields; f != NULL && f->key != NULL; f++)
		if (!f->prose && put_field(buf, size, &len, f) == -1)
			return -1;
	if (put(buf, size, &len, "}\n") == -1)
		return -1;
	return (int)len;
}
