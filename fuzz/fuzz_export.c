/* fuzz_export.c - a recording read with pl_export_add_line(), line by
 * line as pl_export_read() does, then drawn as a trace and an SVG.
 *
 * A recording can come from anyone (a student shares a run; names and
 * narration are the watched processes' own), so beyond "no crash" the
 * harness holds the pictures to what they promise: no control character
 * but the newline in either, and no element in the SVG but ours, so that
 * no text of the recording became markup.
 * Seeds: fuzz/corpus/export/, the hand-written recordings of the tests.
 */
#include "config.h"

#include "fuzz.h"
#include "pl_export.h"

static char *
draw(const struct pl_export *x, int (*how)(const struct pl_export *, FILE *))
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		abort();
	FUZZ_ASSERT(how(x, out) == 0);
	fclose(out);
	return text;
}

static void
no_controls(const char *text)
{
	for (const unsigned char *s = (const unsigned char *)text; *s; s++)
		FUZZ_ASSERT(*s >= 0x20 || *s == '\n');
}

/* Every '<' opens (or closes) an element the exporter writes. */
static void
only_our_elements(const char *svg)
{
	static const char *ours[] = { "?xml ",   "svg ",  "defs>", "marker ", "path ",
		                      "rect ",   "text ", "text>", "tspan ",  "line ",
		                      "circle ", "g ",    "g>",    "title>" };

	for (const char *s = strchr(svg, '<'); s != NULL; s = strchr(s + 1, '<')) {
		const char *name = s[1] == '/' ? s + 2 : s + 1;
		int known = 0;

		for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
			if (strncmp(name, ours[i], strlen(ours[i])) == 0 ||
			    (s[1] == '/' && strncmp(name, ours[i], strlen(ours[i]) - 1) == 0))
				known = 1;
		FUZZ_ASSERT(known);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *line, *next;
	struct pl_export *x = pl_export_new();
	char *trace, *svg;

	if (x == NULL)
		abort();
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] != '\0' && pl_export_add_line(x, line) == -1) {
			long at;

			FUZZ_ASSERT(pl_export_error(x, &at)[0] != '\0' && at > 0);
			break;
		}
	}
	trace = draw(x, pl_export_trace);
	svg = draw(x, pl_export_svg);
	no_controls(trace);
	no_controls(svg);
	only_our_elements(svg);
	free(trace);
	free(svg);
	pl_export_free(x);
	free(text);
	return 0;
}
