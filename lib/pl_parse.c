/* pl_parse.c - strict parsing of numbers given on the command line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "pl_parse.h"

/* strtol and strtod skip leading blanks; a command line value should not
 * start with one, and an empty string is no number at all. */
static int
starts_like_a_number(const char *text)
{
	return text != NULL && text[0] != '\0' && !isspace((unsigned char)text[0]);
}

int
pl_parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long value;

	if (!starts_like_a_number(text)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	value = strtol(text, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || value < min || value > max) {
		errno = ERANGE;
		return -1;
	}
	*out = value;
	return 0;
}

int
pl_parse_double(const char *text, double min, double max, double *out)
{
	char *end;
	double value;

	if (!starts_like_a_number(text)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	value = strtod(text, &end);
	if (*end != '\0' || isnan(value)) {
		errno = EINVAL;
		return -1;
	}
	/* strtod sets ERANGE for overflow (HUGE_VAL) and for underflow; both
	 * are outside any range a demo asks for. "inf" parses without ERANGE. */
	if (errno == ERANGE || isinf(value) || value < min || value > max) {
		errno = ERANGE;
		return -1;
	}
	*out = value;
	return 0;
}
