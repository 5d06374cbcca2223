/* pl_parse.h - strict parsing of numbers given on the command line.
 *
 * strtol() and strtod() accept "12abc", " 12" and values that overflow, and
 * say so only through endptr and errno. These wrappers turn every such case
 * into an error a demo can report in one line.
 */
#ifndef PL_PARSE_H
#define PL_PARSE_H

/* Parse all of TEXT as a base-10 integer in [MIN, MAX] into *OUT.
 * Returns 0, or -1 with errno set: EINVAL if TEXT is empty, has leading
 * blanks or trailing characters; ERANGE if it overflows or is out of range.
 * *OUT is left alone on error. */
int pl_parse_long(const char *text, long min, long max, long *out);

/* The same for a finite floating-point number in [MIN, MAX].
 * "nan" and "inf" are EINVAL. */
int pl_parse_double(const char *text, double min, double max, double *out);

#endif /* PL_PARSE_H */
