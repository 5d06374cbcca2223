/* pl_demo.c - start-up and fatal errors, for a demo's main() only. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pl_board.h"
#include "pl_child.h"
#include "pl_cleanup.h"
#include "pl_demo.h"

static char program[64] = "proclab";
static struct pl_common_opts common;

static void
print_help(const struct pl_demo *demo)
{
	printf("Usage: %s [OPTION]...%s%s\n", program, demo->operands ? " " : "",
	       demo->operands ? demo->operands : "");
	printf("%s\n", demo->summary);
	if (demo->description)
		printf("\n%s\n", demo->description);
	if (demo->noptions > 0)
		printf("\nOptions of this demo:\n");
	for (size_t i = 0; i < demo->noptions; i++) {
		const struct pl_option *o = &demo->options[i];
		char left[64];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
		         o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
		         o->name, o->type == PL_OPT_FLAG ? "" : " ",
		         o->type == PL_OPT_FLAG ? "" : o->arg_name);
		printf("  %-24s %s", left, o->help);
		if (o->type == PL_OPT_INT)
			printf(" (%ld to %ld)", (long)o->min, (long)o->max);
		else if (o->type == PL_OPT_DOUBLE)
			printf(" (%g to %g)", o->min, o->max);
		printf("\n");
	}
	printf("\nCommon options:\n"
	       "  -h, --help               show this help and exit\n"
	       "  -V, --version            show the version and exit\n"
	       "  -q, --quiet              print only failed checks and the summary\n"
	       "      --json               print JSON Lines events instead of prose\n"
	       "      --step               wait for Enter at each step (for teaching)\n"
	       "      --speed FACTOR       divide every pause by FACTOR (%g to %g; default 1)\n"
	       "      --no-color           no colours (also: NO_COLOR set, or output not a terminal)\n",
	       PL_SPEED_MIN, PL_SPEED_MAX);
	printf("\nExit status: 0 if every check held, 1 if one failed or an error\n"
	       "occurred, 2 for a bad command line.\n");
	if (demo->lesson)
		printf("\nLesson: lessons/%s\n", demo->lesson);
}

/* GNU hello's lesson: an output error must not pass in silence. */
static void
check_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || pl_narrate_write_failed()) {
		fprintf(stderr, "%s: write error on standard output\n", program);
		_exit(EXIT_FAILURE);
	}
}

int
pl_demo_init(int argc, char *argv[], const struct pl_demo *demo)
{
	struct pl_opts_result result;
	struct pl_narrate_config config;
	const char *no_color = getenv("NO_COLOR");

	snprintf(program, sizeof(program), "proclab-%s", demo->name);
	atexit(check_stdout);

	if (pl_opts_parse(argc, argv, demo->options, demo->noptions, demo->operands != NULL,
	                  &result) == -1)
		pl_die_usage("%s", result.error);
	common = result.common;
	if (common.help) {
		print_help(demo);
		exit(EXIT_SUCCESS);
	}
	if (common.version) {
		printf("%s (%s) %s\n", program, PACKAGE_NAME, PACKAGE_VERSION);
		exit(EXIT_SUCCESS);
	}
	/* Operands written "[...]" in the usage are optional. */
	if (demo->operands != NULL && demo->operands[0] != '[' && result.first_operand >= argc)
		pl_die_usage("missing %s", demo->operands);

	config.json = common.json;
	config.quiet = common.quiet;
	config.step = common.step;
	config.speed = common.speed;
	/* https://no-color.org: any non-empty NO_COLOR turns colour off. */
	config.color = !common.no_color && !common.json && isatty(STDOUT_FILENO) &&
	               (no_color == NULL || no_color[0] == '\0');
	pl_narrate_configure(&config);

	if (pl_cleanup_install() == -1)
		pl_die("installing signal handlers");
	/* Under the dashboard ($PROCLAB_BOARD set): report to its board. A
	 * board we cannot use is not an error; the demo runs the same. */
	if (pl_board_attach() == 1)
		pl_board_set_role(pl_role());
	return result.first_operand;
}

const struct pl_common_opts *
pl_demo_common(void)
{
	return &common;
}

int
pl_demo_finish(void)
{
	int leftover = pl_children_kill_and_reap();
	int made, failed;

	/* A demo reaps what it forks; one that did not has a bug to show. */
	if (leftover > 0)
		pl_check("no-leftover-children", false, PL_FIELDS(PL_INT("leftover", leftover)),
		         "%d child(ren) were still running at the end and had to be killed",
		         leftover);
	made = pl_checks_made();
	failed = pl_checks_failed();
	if (pl_narrate_get_config()->json)
		pl_note("summary", PL_FIELDS(PL_INT("checks", made), PL_INT("failed", failed)),
		        "%d of %d checks held", made - failed, made);
	else
		printf("\n%s: %d of %d checks held%s\n", program, made - failed, made,
		       failed ? " -- see [FAIL] above" : "");
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static noreturn void
die_with(int errnum, int status, const char *fmt, va_list ap)
{
	char message[512];
	size_t len;

	vsnprintf(message, sizeof(message), fmt, ap);
	len = strlen(message);
	if (errnum != 0)
		snprintf(message + len, sizeof(message) - len, ": %s", strerror(errnum));
	/* A bad command line: one printable line and the hint, on stderr
	 * only, even with --json. No run started, so there is no event stream
	 * on stdout for an "error" event to join. */
	if (status == 2 && !pl_is_child())
		pl_opts_die_usage(program, "%s", message);
	pl_narrate_error(program, message);
	/* A child must not run its parent's exit handlers. */
	if (pl_is_child())
		_exit(status);
	exit(status);
}

noreturn void
pl_die(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	die_with(errnum, EXIT_FAILURE, fmt, ap);
}

noreturn void
pl_die_en(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die_with(errnum, EXIT_FAILURE, fmt, ap);
}

noreturn void
pl_die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	die_with(0, 2, fmt, ap);
}
