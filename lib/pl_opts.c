/* pl_opts.c - the command line every proclab demo shares.
 *
 * A small parser of our own rather than getopt_long(3): it keeps no global
 * state (so Check can call it again and again), it reports errors in our
 * words, and it validates numbers strictly through pl_parse.h.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_opts.h"
#include "pl_parse.h"

enum common_id { C_HELP, C_VERSION, C_QUIET, C_JSON, C_STEP, C_SPEED, C_NO_COLOR };

static const struct {
	const char *name;
	int short_name;
	bool takes_value;
	enum common_id id;
} common_options[] = {
	{ "help", 'h', false, C_HELP },
	{ "version", 'V', false, C_VERSION },
	{ "quiet", 'q', false, C_QUIET },
	{ "json", 0, false, C_JSON },
	{ "step", 0, false, C_STEP },
	{ "speed", 0, true, C_SPEED },
	{ "no-color", 0, false, C_NO_COLOR },
};
#define NCOMMON (sizeof(common_options) / sizeof(common_options[0]))

/* A message quotes what was typed, which may hold a newline or an escape
 * sequence: show those as '?', so that the error stays one line and cannot
 * drive the terminal (fuzz/fuzz_opts found "-\t..." echoed as typed). */
void
pl_opts_printable(char *text)
{
	for (char *c = text; *c != '\0'; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
}

static int
fail(struct pl_opts_result *result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(result->error, sizeof(result->error), fmt, ap);
	va_end(ap);
	pl_opts_printable(result->error);
	errno = EINVAL;
	return -1;
}

/* What the option looked like on the command line, for error messages. */
static void
spell(char *buf, size_t size, const char *long_name, int short_name, bool as_short)
{
	if (as_short)
		snprintf(buf, size, "-%c", short_name);
	else
		snprintf(buf, size, "--%s", long_name);
}

static int
store_value(const struct pl_option *opt, const char *spelled, const char *value,
            struct pl_opts_result *result)
{
	long l;
	double d;

	switch (opt->type) {
	case PL_OPT_INT:
		if (pl_parse_long(value, (long)opt->min, (long)opt->max, &l) == -1) {
			if (errno == ERANGE)
				return fail(result, "%s: '%s' is out of range (%ld to %ld)",
				            spelled, value, (long)opt->min, (long)opt->max);
			return fail(result, "%s: '%s' is not a whole number", spelled, value);
		}
		*(long *)opt->value = l;
		return 0;
	case PL_OPT_DOUBLE:
		if (pl_parse_double(value, opt->min, opt->max, &d) == -1) {
			if (errno == ERANGE)
				return fail(result, "%s: '%s' is out of range (%g to %g)",
				            spelled, value, opt->min, opt->max);
			return fail(result, "%s: '%s' is not a number", spelled, value);
		}
		*(double *)opt->value = d;
		return 0;
	case PL_OPT_STRING:
		if (value[0] == '\0')
			return fail(result, "%s: the value is empty", spelled);
		*(const char **)opt->value = value;
		return 0;
	case PL_OPT_FLAG:
		*(bool *)opt->value = true;
		return 0;
	}
	return fail(result, "%s: unknown option type", spelled);
}

static void
set_common(enum common_id id, struct pl_common_opts *c)
{
	switch (id) {
	case C_HELP: c->help = true; break;
	case C_VERSION: c->version = true; break;
	case C_QUIET: c->quiet = true; break;
	case C_JSON: c->json = true; break;
	case C_STEP: c->step = true; break;
	case C_NO_COLOR: c->no_color = true; break;
	case C_SPEED: break; /* has a value; handled by the caller */
	}
}

/* Find the option named by ARG (after its dashes). For a long option NAME
 * is the text up to '=' of length NAMELEN; for a short one it is one char.
 * Returns the common index (>= 0), -(1 + demo index), or NOT_FOUND. */
#define NOT_FOUND (-100000)
static int
lookup(const char *name, size_t namelen, int short_name,
       const struct pl_option *options, size_t noptions)
{
	for (size_t i = 0; i < NCOMMON; i++) {
		if (short_name ? common_options[i].short_name == short_name
		               : strlen(common_options[i].name) == namelen &&
		                 strncmp(common_options[i].name, name, namelen) == 0)
			return (int)i;
	}
	for (size_t i = 0; i < noptions; i++) {
		if (short_name ? options[i].short_name == short_name
		               : strlen(options[i].name) == namelen &&
		                 strncmp(options[i].name, name, namelen) == 0)
			return -1 - (int)i;
	}
	return NOT_FOUND;
}

/* Apply one option. VALUE is its attached value ("--x=V", "-xV") or NULL;
 * if it needs one and has none, it takes the next argument. */
static int
apply(int found, bool as_short, const char *value, int argc, char *const argv[],
      int *index, const struct pl_option *options, struct pl_opts_result *result)
{
	char spelled[80];
	bool takes_value;
	const char *long_name;
	int short_name;

	if (found >= 0) {
		takes_value = common_options[found].takes_value;
		long_name = common_options[found].name;
		short_name = common_options[found].short_name;
	} else {
		const struct pl_option *opt = &options[-1 - found];
		takes_value = opt->type != PL_OPT_FLAG;
		long_name = opt->name;
		short_name = opt->short_name;
	}
	spell(spelled, sizeof(spelled), long_name, short_name, as_short);

	if (!takes_value && value != NULL)
		return fail(result, "%s takes no value", spelled);
	if (takes_value && value == NULL) {
		if (*index + 1 >= argc)
			return fail(result, "%s needs a value", spelled);
		value = argv[++*index];
	}

	if (found >= 0) {
		if (common_options[found].id == C_SPEED) {
			if (pl_parse_double(value, PL_SPEED_MIN, PL_SPEED_MAX,
			                    &result->common.speed) == -1) {
				if (errno == ERANGE)
					return fail(result, "--speed: '%s' is out of range (%g to %g)",
					            value, PL_SPEED_MIN, PL_SPEED_MAX);
				return fail(result, "--speed: '%s' is not a number", value);
			}
		} else {
			set_common(common_options[found].id, &result->common);
		}
		return 0;
	}
	return store_value(&options[-1 - found], spelled, value, result);
}

int
pl_opts_parse(int argc, char *const argv[], const struct pl_option *options,
              size_t noptions, bool allow_operands, struct pl_opts_result *result)
{
	int i;

	memset(result, 0, sizeof(*result));
	result->common.speed = 1.0;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int found;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break; /* the first operand ends the options */

		if (arg[1] == '-') {
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			size_t namelen = eq ? (size_t)(eq - name) : strlen(name);

			found = lookup(name, namelen, 0, options, noptions);
			if (found == NOT_FOUND)
				return fail(result, "unknown option '--%.*s'", (int)namelen, name);
			if (apply(found, false, eq ? eq + 1 : NULL, argc, argv, &i,
			          options, result) == -1)
				return -1;
			continue;
		}

		/* Short options, possibly grouped: -qV, or -n4. */
		for (const char *p = arg + 1; *p != '\0'; p++) {
			found = lookup(NULL, 0, (unsigned char)*p, options, noptions);
			if (found == NOT_FOUND)
				return fail(result, "unknown option '-%c'", *p);
			bool takes_value = found >= 0 ? common_options[found].takes_value
			                              : options[-1 - found].type != PL_OPT_FLAG;
			if (takes_value) {
				if (apply(found, true, p[1] != '\0' ? p + 1 : NULL, argc, argv,
				          &i, options, result) == -1)
					return -1;
				break;
			}
			if (apply(found, true, NULL, argc, argv, &i, options, result) == -1)
				return -1;
		}
	}

	result->first_operand = i;
	if (!allow_operands && i < argc && !result->common.help && !result->common.version)
		return fail(result, "unexpected argument '%s'", argv[i]);
	return 0;
}

void
pl_opts_die_usage(const char *program, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	pl_opts_printable(message); /* it quotes what was typed: keep it one line */
	fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", program, message,
	        program);
	exit(2);
}
