/* proclab-export - pictures of a recorded run.
 *
 *   proclab --record run.jsonl proclab-zombie        record a run
 *   proclab-export --svg zombie.svg run.jsonl        a picture for a slide
 *   proclab-export --trace zombie.json run.jsonl     open in ui.perfetto.dev
 *
 * It reads the recording (JSON Lines, man/pl_export.3) with the library's
 * reader, lib/pl_export.c, which also draws both pictures: the dashboard
 * calls the same code for its own --trace and --svg.
 *
 * Exit status: 0 when every picture was written, 1 if writing one failed,
 * 2 for bad usage or a bad recording.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_export.h"
#include "pl_opts.h"

static const char *program_name = "proclab-export";

static void
usage(FILE *out)
{
	fprintf(out,
	        "Usage: %s [OPTION]... RECORDING\n"
	        "Draw a run recorded by 'proclab --record FILE': as a Chrome trace, which\n"
	        "Perfetto (ui.perfetto.dev) and chrome://tracing open, and as an SVG\n"
	        "picture of its timeline for a slide. RECORDING '-' is standard input;\n"
	        "FILE '-' is standard output.\n"
	        "\n"
	        "  -t, --trace FILE      write the Chrome trace (JSON) to FILE\n"
	        "  -s, --svg FILE        write the SVG picture to FILE\n"
	        "  -h, --help            this help\n"
	        "  -V, --version         the version\n"
	        "\n"
	        "Exit status: 0 if all went well, 1 if a file could not be written,\n"
	        "2 for bad usage or a bad recording.\n",
	        program_name);
}

/* Write one picture with DRAW to PATH; 0, or -1 after saying why. */
static int
write_picture(const char *path, const struct pl_export *x,
              int (*draw)(const struct pl_export *, FILE *))
{
	FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int failed;

	if (out == NULL) {
		fprintf(stderr, "%s: %s: %s\n", program_name, path, strerror(errno));
		return -1;
	}
	failed = draw(x, out) == -1;
	if (fflush(out) == EOF || ferror(out))
		failed = 1;
	if (out != stdout && fclose(out) == EOF)
		failed = 1;
	if (failed) {
		fprintf(stderr, "%s: %s: %s\n", program_name, path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "trace", required_argument, NULL, 't' },
		{ "svg", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trace = NULL, *svg = NULL, *path;
	struct pl_export *x;
	FILE *in;
	long line;
	int c, status = 0;

	opterr = 0; /* our own message, in our own words */
	while ((c = getopt_long(argc, argv, "+t:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			trace = optarg;
			break;
		case 's':
			svg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s (%s) %s\n", program_name, PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		case ':':
			pl_opts_die_usage(program_name, "option '%s' needs a value", argv[optind - 1]);
		default:
			pl_opts_die_usage(program_name, "unknown option '%s'", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		pl_opts_die_usage(program_name, argc == 0 ? "no recording given" : "one recording at a time");
	if (trace == NULL && svg == NULL)
		pl_opts_die_usage(program_name, "nothing to write: give --trace FILE, --svg FILE or both");
	if ((trace != NULL && trace[0] == '\0') || (svg != NULL && svg[0] == '\0'))
		pl_opts_die_usage(program_name, "an empty file name");

	path = argv[0];
	in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (in == NULL) {
		fprintf(stderr, "%s: %s: %s\n", program_name, path, strerror(errno));
		return 2;
	}
	if ((x = pl_export_new()) == NULL) {
		fprintf(stderr, "%s: %s\n", program_name, strerror(errno));
		return 1;
	}
	if (pl_export_read(x, in) == -1) {
		const char *why = pl_export_error(x, &line);

		if (errno == EINVAL)
			fprintf(stderr, "%s: %s:%ld: %s\n", program_name, path, line, why);
		else
			fprintf(stderr, "%s: %s: %s\n", program_name, path, strerror(errno));
		pl_export_free(x);
		return 2;
	}
	if (in != stdin)
		fclose(in);
	if (trace != NULL && write_picture(trace, x, pl_export_trace) == -1)
		status = 1;
	if (svg != NULL && write_picture(svg, x, pl_export_svg) == -1)
		status = 1;
	pl_export_free(x);
	return status;
}
