/* pl_say.h - a line of narration built from its own JSON fields.
 *
 * pl_note() and pl_check() take a printf format for the prose and the
 * fields for --json apart, so a demo writes each value twice:
 *
 *     pl_note("zombie", PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", s)),
 *             "/proc/%ld/stat: state %c", (long)pid, s);
 *
 * The calls here take a template that names the fields instead, so each
 * value is written once, and the prose cannot say something the JSON
 * does not:
 *
 *     pl_say_note("zombie", PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", s)),
 *                 "/proc/{child}/stat: state {state}");
 *
 * In a template:
 *   {name}          the field's value: an integer in decimal, a double as
 *                   %g, a string, a character, true or false, and an array
 *                   of integers as "1, 2, 3";
 *   {name:SPEC}     the value through printf: SPEC is flags, width and
 *                   precision, and may end in a conversion that suits the
 *                   type: d i u x X o for integers, f F e E g G for
 *                   doubles, s for strings ({seconds:.2f}, {mask:016x});
 *   {name?YES|NO}   YES if a bool (or an integer) field is true (non-zero),
 *                   else NO; either may be empty;
 *   {{ and }}       a brace.
 * A field wrapped in PL_PROSE (pl_json.h) is there for the prose alone:
 * the JSON leaves it out. It carries words that say what another field
 * holds as data (PL_PROSE(PL_STR("state_name", "zombie"))), or a number
 * the prose shows and the events never carried. The text is cleaned of
 * control bytes as pl_note()'s is.
 */
#ifndef PL_SAY_H
#define PL_SAY_H

#include <stdbool.h>
#include <stddef.h>
#include "pl_json.h"

/* Fill TEMPLATE from FIELDS into BUF, of SIZE bytes. Returns the length of
 * the text, or -1: errno EINVAL if the template names a field that is not
 * in FIELDS (written as "{?name}") or a SPEC that does not suit its type,
 * ENOBUFS if the text was cut to fit. BUF is NUL-terminated whenever SIZE
 * is not 0. */
int pl_say_fill(char *buf, size_t size, const char *template, const struct pl_field *fields);

/* pl_step(), pl_note() and pl_check() (pl_narrate.h), with the text filled
 * from FIELDS. A template that does not fill is still printed, with its
 * "{?name}" marks, so that the mistake shows in the demo's output. */
void pl_say_step(const char *id, const struct pl_field *fields, const char *template);
void pl_say_note(const char *event, const struct pl_field *fields, const char *template);
bool pl_say_check(const char *id, bool ok, const struct pl_field *fields, const char *template);

#endif /* PL_SAY_H */
