/* pl_maps.c - one line of /proc/PID/maps (see pl_maps.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pl_maps.h"

/* Read an unsigned number in BASE (10 or 16) at *P, which must be
 * followed by STOP, or with STOP '\0' by a blank or the end of the line;
 * leave *P on what follows it. -1 if there is no such number. */
static int
number(const char **p, int base, char stop, unsigned long long *out)
{
	const char *s = *p;
	char *end;

	/* strtoull would take a sign or blanks: the file never has them. */
	if (base == 16 ? !isxdigit((unsigned char)s[0]) : !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno != 0)
		return -1;
	if (stop != '\0' ? *end != stop : strchr(" \t\n", *end) == NULL)
		return -1;
	*p = end;
	return 0;
}

static void
skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

int
pl_maps_parse_line(const char *line, struct pl_maps_line *out)
{
	const char *p = line;
	unsigned long long major, minor;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (number(&p, 16, '-', &out->start) == -1)
		goto bad;
	p++;
	if (number(&p, 16, '\0', &out->end) == -1 || *p != ' ')
		goto bad;
	p++;
	/* perms: exactly four characters, the last 's' or 'p' */
	if (strnlen(p, 5) < 5 || p[4] != ' ' || (p[3] != 's' && p[3] != 'p'))
		goto bad;
	memcpy(out->perms, p, 4);
	p += 5;
	if (number(&p, 16, ' ', &out->offset) == -1)
		goto bad;
	p++;
	if (number(&p, 16, ':', &major) == -1 || major > 0xfffff)
		goto bad;
	p++;
	if (number(&p, 16, ' ', &minor) == -1 || minor > 0xfffff)
		goto bad;
	p++;
	out->major = (unsigned)major;
	out->minor = (unsigned)minor;
	if (number(&p, 10, '\0', &out->inode) == -1)
		goto bad;
	skip_blanks(&p);
	n = strcspn(p, "\n");
	if (n >= sizeof(out->path))
		n = sizeof(out->path) - 1;
	memcpy(out->path, p, n);
	out->path[n] = '\0';
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

bool
pl_maps_shared(const struct pl_maps_line *l)
{
	return l->perms[3] == 's';
}
