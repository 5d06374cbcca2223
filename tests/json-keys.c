/* json-keys.c - is every line a JSON object with no key given twice?
 *
 * Usage: json-keys FILE...   (or standard input)
 *
 * A demo's --json output is one JSON object a line. RFC 8259 says the
 * names in an object SHOULD be unique, and readers differ when they are
 * not: jq keeps the last, others the first, some refuse the line. So a
 * field that repeats an envelope key ("pid", "text") silently changes
 * what a reader sees. jq cannot tell, so this small strict reader checks:
 * each line must be exactly one object, every value valid JSON, and no
 * object at any depth may hold the same name twice, compared after
 * escapes are decoded ("pid" and "p\u0069d" are one name).
 *
 * It prints one line for each fault, FILE:LINE: what, and exits 1 if
 * there was any, 0 if not, 2 if it could not read a file.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct reader {
	const char *p;       /* the next byte */
	const char *start;   /* of the line, for the column */
	const char *file;
	long line;
	bool duplicate;      /* found one on this line */
};

/* A name as decoded, and the names seen so far in one object. */
struct name {
	char *text;
	size_t len;
};

struct names {
	struct name *items;
	size_t count, capacity;
};

static bool value(struct reader *r, int depth);

static void
skip_space(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n')
		r->p++;
}

static bool
fail(struct reader *r, const char *what)
{
	printf("%s:%ld: not valid JSON at column %ld: %s\n", r->file, r->line,
	       (long)(r->p - r->start) + 1, what);
	return false;
}

static void
put_utf8(char *out, size_t *len, unsigned long c)
{
	if (c < 0x80) {
		out[(*len)++] = (char)c;
	} else if (c < 0x800) {
		out[(*len)++] = (char)(0xc0 | c >> 6);
		out[(*len)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		out[(*len)++] = (char)(0xe0 | c >> 12);
		out[(*len)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*len)++] = (char)(0x80 | (c & 0x3f));
	} else {
		out[(*len)++] = (char)(0xf0 | c >> 18);
		out[(*len)++] = (char)(0x80 | (c >> 12 & 0x3f));
		out[(*len)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*len)++] = (char)(0x80 | (c & 0x3f));
	}
}

/* Four hex digits after \u. */
static bool
hex4(struct reader *r, unsigned long *c)
{
	*c = 0;
	for (int i = 0; i < 4; i++, r->p++) {
		char h = *r->p;

		*c <<= 4;
		if (h >= '0' && h <= '9')
			*c |= (unsigned long)(h - '0');
		else if (h >= 'a' && h <= 'f')
			*c |= (unsigned long)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			*c |= (unsigned long)(h - 'A' + 10);
		else
			return fail(r, "\\u needs four hex digits");
	}
	return true;
}

/* A string, at its opening quote. With OUT (room for as many bytes as
 * the rest of the line holds) it is decoded there, its length in *LEN. */
static bool
string(struct reader *r, char *out, size_t *len)
{
	size_t n = 0;

	r->p++; /* the opening quote */
	for (;;) {
		unsigned char c = (unsigned char)*r->p;
		unsigned long code, low;

		if (c == '"') {
			r->p++;
			if (len != NULL)
				*len = n;
			return true;
		}
		if (c == '\0' || c == '\n')
			return fail(r, "a string is not closed");
		if (c < 0x20)
			return fail(r, "a control character in a string");
		r->p++;
		if (c != '\\') {
			if (out != NULL)
				out[n++] = (char)c;
			continue;
		}
		switch (*r->p++) {
		case '"': code = '"'; break;
		case '\\': code = '\\'; break;
		case '/': code = '/'; break;
		case 'b': code = '\b'; break;
		case 'f': code = '\f'; break;
		case 'n': code = '\n'; break;
		case 'r': code = '\r'; break;
		case 't': code = '\t'; break;
		case 'u':
			if (!hex4(r, &code))
				return false;
			/* A surrogate pair is one character. */
			if (code >= 0xd800 && code < 0xdc00 && r->p[0] == '\\' && r->p[1] == 'u') {
				const char *back = r->p;

				r->p += 2;
				if (!hex4(r, &low))
					return false;
				if (low >= 0xdc00 && low < 0xe000)
					code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
				else
					r->p = back;
			}
			break;
		default:
			r->p--;
			return fail(r, "an unknown escape");
		}
		if (out != NULL)
			put_utf8(out, &n, code);
	}
}

static bool
digits(struct reader *r)
{
	if (*r->p < '0' || *r->p > '9')
		return false;
	while (*r->p >= '0' && *r->p <= '9')
		r->p++;
	return true;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
number(struct reader *r)
{
	if (*r->p == '-')
		r->p++;
	if (*r->p == '0')
		r->p++;
	else if (!digits(r))
		return fail(r, "a number needs a digit");
	if (*r->p == '.') {
		r->p++;
		if (!digits(r))
			return fail(r, "a fraction needs a digit");
	}
	if (*r->p == 'e' || *r->p == 'E') {
		r->p++;
		if (*r->p == '+' || *r->p == '-')
			r->p++;
		if (!digits(r))
			return fail(r, "an exponent needs a digit");
	}
	return true;
}

static bool
literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(r->p, word, n) != 0)
		return fail(r, "not a value");
	r->p += n;
	return true;
}

/* Remember NAME in SEEN; say so if it was there already. */
static bool
remember(struct reader *r, struct names *seen, char *text, size_t len)
{
	for (size_t i = 0; i < seen->count; i++)
		if (seen->items[i].len == len && memcmp(seen->items[i].text, text, len) == 0) {
			printf("%s:%ld: the name \"%.*s\" twice in one object (column %ld)\n", r->file,
			       r->line, (int)len, text, (long)(r->p - r->start));
			r->duplicate = true;
			free(text);
			return true;
		}
	if (seen->count == seen->capacity) {
		size_t capacity = seen->capacity ? seen->capacity * 2 : 16;
		struct name *items = realloc(seen->items, capacity * sizeof(*items));

		if (items == NULL) {
			perror("json-keys");
			exit(2);
		}
		seen->items = items;
		seen->capacity = capacity;
	}
	seen->items[seen->count++] = (struct name){ text, len };
	return true;
}

static bool
object(struct reader *r, int depth)
{
	struct names seen = { NULL, 0, 0 };
	bool ok = true;

	r->p++; /* { */
	skip_space(r);
	if (*r->p == '}') {
		r->p++;
		return true;
	}
	for (;;) {
		char *text;
		size_t len;

		skip_space(r);
		if (*r->p != '"') {
			ok = fail(r, "a name must be a string");
			break;
		}
		if ((text = malloc(strlen(r->p) + 1)) == NULL) {
			perror("json-keys");
			exit(2);
		}
		if (!string(r, text, &len)) {
			free(text);
			ok = false;
			break;
		}
		remember(r, &seen, text, len);
		skip_space(r);
		if (*r->p != ':') {
			ok = fail(r, "a name needs a colon and a value");
			break;
		}
		r->p++;
		if (!value(r, depth + 1)) {
			ok = false;
			break;
		}
		skip_space(r);
		if (*r->p == '}') {
			r->p++;
			break;
		}
		if (*r->p != ',') {
			ok = fail(r, "a comma or } after a value");
			break;
		}
		r->p++;
	}
	for (size_t i = 0; i < seen.count; i++)
		free(seen.items[i].text);
	free(seen.items);
	return ok;
}

static bool
array(struct reader *r, int depth)
{
	r->p++; /* [ */
	skip_space(r);
	if (*r->p == ']') {
		r->p++;
		return true;
	}
	for (;;) {
		if (!value(r, depth + 1))
			return false;
		skip_space(r);
		if (*r->p == ']') {
			r->p++;
			return true;
		}
		if (*r->p != ',')
			return fail(r, "a comma or ] after a value");
		r->p++;
	}
}

static bool
value(struct reader *r, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(r, "nested too deep");
	skip_space(r);
	switch (*r->p) {
	case '{': return object(r, depth);
	case '[': return array(r, depth);
	case '"': return string(r, NULL, NULL);
	case 't': return literal(r, "true");
	case 'f': return literal(r, "false");
	case 'n': return literal(r, "null");
	default: return number(r);
	}
}

/* One line: exactly one object. Returns true if it is clean. */
static bool
check_line(const char *file, long number_of_line, const char *text)
{
	struct reader r = { text, text, file, number_of_line, false };

	skip_space(&r);
	if (*r.p != '{')
		return fail(&r, "a line must be one object");
	if (!object(&r, 0))
		return false;
	skip_space(&r);
	if (*r.p != '\0')
		return fail(&r, "something after the object");
	return !r.duplicate;
}

static int
check_stream(FILE *f, const char *file)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;
	long number_of_line = 0;
	int faults = 0;

	while ((n = getline(&line, &size, f)) != -1) {
		number_of_line++;
		if (strlen(line) != (size_t)n) {
			printf("%s:%ld: a NUL byte in the line\n", file, number_of_line);
			faults++;
		} else if (!check_line(file, number_of_line, line)) {
			faults++;
		}
	}
	free(line);
	return faults;
}

int
main(int argc, char *argv[])
{
	int faults = 0;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: %s [FILE]...\nCheck that every line is one JSON object and "
		       "that no object gives a name twice.\n",
		       argv[0]);
		return 0;
	}
	if (argc == 1)
		return check_stream(stdin, "-") ? 1 : 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (f == NULL) {
			perror(argv[i]);
			return 2;
		}
		faults += check_stream(f, argv[i]);
		fclose(f);
	}
	return faults ? 1 : 0;
}
