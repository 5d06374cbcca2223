/* proclab-judge - grade what a program's processes do.
 *
 *   proclab-judge LAB                 grade the student's copy in the lab's folder
 *   proclab-judge LAB DIR...          grade each submission DIR, with a table at the end
 *   proclab-judge --spec FILE PROG    a lab of the instructor's own
 *
 * It builds the code with the spec's build line, runs it the spec's number
 * of times under observation (run.c), and holds each check of the spec
 * against what it saw: exit status and output, zombies, orphans, what was
 * left behind, stray descriptors, a stuck or busy run, races over many
 * runs, parallel speedup, the shape of the tree. docs/judge-spec.md is the
 * spec's reference; docs/instructors.md tells how to use it.
 *
 * Exit status: 0 if every check held, 1 if some failed, 2 for bad usage or
 * a bad spec.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pl_child.h"
#include "pl_json.h"
#include "pl_opts.h"
#include "pl_parse.h"
#include "pl_text.h"
#include "run.h"
#include "spec.h"

enum format { FMT_TEXT, FMT_JSON, FMT_TAP };

struct options {
	enum format format;
	const char *gradescope; /* write results.json here */
	bool autolab;
	bool quiet;
	const char *spec; /* --spec FILE */
	const char *user; /* --user NAME */
	long runs;        /* --runs N, or 0 for the spec's */
};

/* One check's outcome over all runs. */
struct verdict {
	const struct judge_check *check;
	int failed_runs;
	double score;
	/* It failed with no verdict on the program: the machine was too busy
	 * to time it (parallel's speedup). Grade again on a quiet machine. */
	bool inconclusive;
	char evidence[JUDGE_NOTE];
};

static const char *program_name = "proclab-judge";

static void
usage(FILE *out)
{
	fprintf(out,
	        "Usage: %s [OPTION]... LAB [DIR]...\n"
	        "  or:  %s [OPTION]... --spec FILE PROGRAM\n"
	        "Grade what a program's processes do: build it, run it under observation,\n"
	        "and check exit and output, zombies, orphans, leaks, stray descriptors,\n"
	        "stuck runs, races, speedup and the shape of the process tree.\n"
	        "\n"
	        "LAB is a lab's folder (with its lab.spec) or a lab's name, e.g. 01-reap.\n"
	        "Without DIR, the student's copy in the lab's folder is graded; with\n"
	        "DIRs, each is a submission, and a table ends the report. PROGRAM is a\n"
	        "folder, or a file: {} in the spec's build and run lines stands for it.\n"
	        "\n"
	        "  -s, --spec FILE       the spec of a lab of your own\n"
	        "      --runs N          run N times instead of the spec's number\n"
	        "      --user NAME       as root, run the student's code as this user\n"
	        "      --json            JSON Lines, one event a check and a score\n"
	        "      --tap             TAP, one line a check\n"
	        "      --gradescope FILE also write Gradescope's results.json to FILE\n"
	        "      --autolab         end with Autolab's JSON score line\n"
	        "  -q, --quiet           only the score (and failures)\n"
	        "  -h, --help            this help\n"
	        "  -V, --version         the version\n"
	        "\n"
	        "Exit status: 0 if every check held, 1 if some failed, 2 for bad usage or a\n"
	        "bad spec. The spec's reference: docs/judge-spec.md.\n",
	        program_name, program_name);
}

/* The options; returns the index of the first operand. */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i], *value = NULL, *eq;
		char name[32];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		/* --name=value */
		eq = strchr(a, '=');
		if (a[1] == '-' && eq != NULL) {
			snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
			value = eq + 1;
			a = name;
		}
#define NEEDS_VALUE()                                                                              \
	do {                                                                                       \
		if (value == NULL) {                                                               \
			if (i + 1 >= argc)                                                         \
				pl_opts_die_usage(program_name, "option '%s' needs a value", a);   \
			value = argv[++i];                                                         \
		}                                                                                  \
		if (*value == '\0')                                                                \
			pl_opts_die_usage(program_name, "option '%s' needs a value", a);           \
	} while (0)
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			if (value != NULL)
				pl_opts_die_usage(program_name, "option '%s' takes no value", a);
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			if (value != NULL)
				pl_opts_die_usage(program_name, "option '%s' takes no value", a);
			printf("proclab-judge (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			if (value != NULL)
				pl_opts_die_usage(program_name, "option '%s' takes no value", a);
			o->quiet = true;
		} else if (strcmp(a, "--json") == 0 || strcmp(a, "--tap") == 0) {
			if (value != NULL)
				pl_opts_die_usage(program_name, "option '%s' takes no value", a);
			if (o->format != FMT_TEXT)
				pl_opts_die_usage(program_name, "--json and --tap exclude each other");
			o->format = a[2] == 'j' ? FMT_JSON : FMT_TAP;
		} else if (strcmp(a, "--autolab") == 0) {
			if (value != NULL)
				pl_opts_die_usage(program_name, "option '%s' takes no value", a);
			o->autolab = true;
		} else if (strcmp(a, "-s") == 0 || strcmp(a, "--spec") == 0) {
			NEEDS_VALUE();
			o->spec = value;
		} else if (strcmp(a, "--gradescope") == 0) {
			NEEDS_VALUE();
			o->gradescope = value;
		} else if (strcmp(a, "--user") == 0) {
			NEEDS_VALUE();
			o->user = value;
		} else if (strcmp(a, "--runs") == 0) {
			NEEDS_VALUE();
			if (pl_parse_long(value, 1, 1000, &o->runs) == -1)
				pl_opts_die_usage(program_name, "--runs '%s': give a whole number from 1 to 1000", value);
		} else {
			pl_opts_die_usage(program_name, "unknown option '%s'", argv[i]);
		}
#undef NEEDS_VALUE
	}
	return i;
}

/* ---- output ------------------------------------------------------------- */

/* Replace each PID of the run by "PID" and each time ("1.5s", "20 ms") by
 * "TIME", so that outputs compare across runs. A malloc'ed copy. */
static char *
mask(const char *text, const struct judge_obs *obs)
{
	size_t n = strlen(text);
	char *out = malloc(n * 2 + 16), *o = out;
	const char *p = text;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		if (*p >= '0' && *p <= '9' && (p == text || !(p[-1] >= '0' && p[-1] <= '9'))) {
			const char *q = p;
			long v = 0;

			while (*q >= '0' && *q <= '9') {
				if (v < 100000000)
					v = v * 10 + (*q - '0');
				q++;
			}
			const char *unit = q;
			if (*unit == '.')
				for (unit++; *unit >= '0' && *unit <= '9'; unit++)
					;
			const char *u = unit + (*unit == ' ');
			if (strncmp(u, "ms", 2) == 0 || strncmp(u, "us", 2) == 0 ||
			    strncmp(u, "ns", 2) == 0 || (*u == 's' && !(u[1] >= 'a' && u[1] <= 'z'))) {
				o += sprintf(o, "TIME");
				p = u + (*u == 's' ? 1 : 2);
				continue;
			}
			bool pid = false;
			for (size_t i = 0; i < obs->npids && !pid; i++)
				pid = obs->pids[i] == (pid_t)v;
			if (pid) {
				o += sprintf(o, "PID");
				p = q;
				continue;
			}
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	if (f == NULL)
		return NULL;
	text = malloc(1 << 20);
	if (text != NULL) {
		len = fread(text, 1, (1 << 20) - 1, f);
		text[len] = '\0';
	}
	fclose(f);
	return text;
}

static int
compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* TEXT with its lines sorted, and one newline at the end. */
static char *
sorted_lines(const char *text)
{
	char *copy = strdup(text), **lines = NULL, *save = NULL, *out;
	size_t n = 0, len = 0;

	if (copy == NULL)
		return NULL;
	for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char **more = realloc(lines, (n + 1) * sizeof(*lines));
		if (more == NULL)
			break;
		lines = more;
		lines[n++] = l;
		len += strlen(l) + 1;
	}
	qsort(lines, n, sizeof(*lines), compare_lines);
	out = malloc(len + 1);
	if (out != NULL) {
		out[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			strcat(out, lines[i]);
			strcat(out, "\n");
		}
	}
	free(lines);
	free(copy);
	return out;
}

/* Without its trailing newlines. */
static void
chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
}

/* Does the output hold for check C? Evidence into WHY when not. */
static bool
output_holds(const struct judge_spec *spec, const struct judge_check *c, const char *raw,
             const struct judge_obs *obs, char *why, size_t size)
{
	char *got = c->mask ? mask(raw, obs) : strdup(raw);
	bool ok = false;

	if (got == NULL)
		return false;
	if (c->match[0] != '\0') {
		char pattern[JUDGE_TEXT];
		regex_t re;
		size_t j = 0;

		/* "\n" in the spec's one-line value is a newline. */
		for (size_t i = 0; c->match[i] != '\0' && j + 1 < sizeof(pattern); i++) {
			if (c->match[i] == '\\' && c->match[i + 1] == 'n') {
				pattern[j++] = '\n';
				i++;
			} else {
				pattern[j++] = c->match[i];
			}
		}
		pattern[j] = '\0';
		if (regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0) {
			snprintf(why, size, "the spec's pattern '%s' is not a regular expression",
			         c->match);
		} else {
			ok = regexec(&re, got, 0, NULL, 0) == 0;
			regfree(&re);
			if (!ok)
				snprintf(why, size, "no match for /%s/ in: %.300s", c->match, got);
			else
				snprintf(why, size, "it matched /%s/", c->match);
		}
	} else {
		const char *files[1 + JUDGE_MAX_ALSO] = { c->file, c->also[0], c->also[1], c->also[2] };
		char *mine = c->any_order ? sorted_lines(got) : strdup(got);

		chomp(mine);
		for (size_t f = 0; f < 1 + JUDGE_MAX_ALSO && !ok && files[f][0] != '\0'; f++) {
			char path[PATH_MAX * 2];
			char *want, *theirs;

			snprintf(path, sizeof(path), "%s/%s", spec->dir, files[f]);
			if ((want = read_text(path)) == NULL) {
				snprintf(why, size, "the spec's file %s: %s", files[f], strerror(errno));
				break;
			}
			theirs = c->any_order ? sorted_lines(want) : strdup(want);
			chomp(theirs);
			ok = strcmp(mine, theirs) == 0;
			if (ok)
				snprintf(why, size, "it is the text of %s%s", files[f],
				         c->any_order ? ", in any order" : "");
			else
				snprintf(why, size, "it differs from %s; it was: %.300s", files[f], got);
			free(theirs);
			free(want);
		}
		free(mine);
	}
	free(got);
	return ok;
}

static void
describe_status(int status, char *buf, size_t size)
{
	pl_status_describe(status, buf, size);
}

/* Hold check C against one run's observations. */
static bool
holds(const struct judge_spec *spec, const struct judge_check *c, const struct judge_obs *obs,
      char *why, size_t size)
{
	char status[128];

	why[0] = '\0';
	if (!obs->started) {
		snprintf(why, size, "%s", obs->start_error);
		return false;
	}
	describe_status(obs->status, status, sizeof(status));
	switch (c->kind) {
	case JUDGE_EXIT:
		if (!obs->ended) {
			snprintf(why, size, "it was stopped: %s",
			         obs->forkbomb ? "too many processes (a fork bomb)"
			         : obs->stuck  ? "stuck, every task blocked (see stuck)"
			         : obs->out_over || obs->err_over ? "too much output"
			                                          : "still running at the end of its time");
			return false;
		}
		if (c->has_status ? WIFEXITED(obs->status) && WEXITSTATUS(obs->status) == c->status
		                  : c->signal == 0 ? !WIFSIGNALED(obs->status)
		                                   : WIFSIGNALED(obs->status) &&
		                                             WTERMSIG(obs->status) == c->signal) {
			snprintf(why, size, "it ended: %s", status);
			return true;
		}
		snprintf(why, size, "it ended: %s; the spec wants %s %d", status,
		         c->has_status ? "exit status" : "signal",
		         c->has_status ? c->status : c->signal);
		return false;
	case JUDGE_STDOUT:
	case JUDGE_STDERR: {
		bool over = c->kind == JUDGE_STDOUT ? obs->out_over : obs->err_over;
		if (over) {
			snprintf(why, size, "it wrote more than %llu bytes to %s: stopped",
			         spec->limits.output, judge_kind_name(c->kind));
			return false;
		}
		return output_holds(spec, c, c->kind == JUDGE_STDOUT ? (obs->out ? obs->out : "")
		                                                    : (obs->err ? obs->err : ""),
		                    obs, why, size);
	}
	case JUDGE_ZOMBIES:
		if (obs->zombies_at_end > 0) {
			snprintf(why, size, "%s", obs->left_note);
			return false;
		}
		if (obs->zombie_worst * 1000 > (double)c->max_ms) {
			snprintf(why, size, "%s", obs->zombie_note);
			return false;
		}
		snprintf(why, size, "no child was left a zombie longer than %ld ms", c->max_ms);
		return true;
	case JUDGE_ORPHANS:
		if (obs->orphans > 0) {
			snprintf(why, size, "%s", obs->orphan_note);
			return false;
		}
		snprintf(why, size, "nothing ran on after the main process");
		return true;
	case JUDGE_LEAKS: {
		long n = (c->shm ? obs->leaked_shm : 0) + (c->mqueue ? obs->leaked_mqueue : 0) +
		         (c->sysv ? obs->leaked_sysv : 0) + (c->tmp ? obs->leaked_tmp : 0);
		if (n > 0) {
			snprintf(why, size, "%s", obs->leak_note);
			return false;
		}
		snprintf(why, size, "nothing left in /dev/shm, /dev/mqueue, System V or TMPDIR%s",
		         obs->isolated ? "" : " (compared before and after)");
		return true;
	}
	case JUDGE_FDS:
		if (obs->bad_fds > 0) {
			snprintf(why, size, "%s", obs->fd_note);
			return false;
		}
		snprintf(why, size, "every process held only the descriptors allowed");
		return true;
	case JUDGE_STUCK:
		if (obs->stuck) {
			/* A cut note is still the evidence: the first tasks. */
			if (snprintf(why, size, "every task blocked with no progress for %.1f s:\n%s",
			             c->after, obs->stuck_note) >= (int)size)
				why[size - 2] = '\n';
			return false;
		}
		snprintf(why, size, "it never stopped making progress");
		return true;
	case JUDGE_BUSY:
		if (obs->forkbomb) {
			snprintf(why, size, "more than %ld processes at once: stopped as a fork bomb",
			         spec->limits.processes);
			return false;
		}
		/* Why it was stopped: the judge stops a run before its wall
		 * time for too much output, or once every task is stuck. */
		if (!obs->ended && (obs->out_over || obs->err_over)) {
			snprintf(why, size, "it was stopped after %.2f s: it wrote more than %llu bytes",
			         obs->wall, spec->limits.output);
			return false;
		}
		if (!obs->ended && obs->stuck) {
			snprintf(why, size, "it was stopped after %.2f s: stuck, every task blocked (see stuck)",
			         obs->wall);
			return false;
		}
		if (!obs->ended) {
			snprintf(why, size, "it ran out its %.0f s busy, still running", spec->limits.wall);
			return false;
		}
		snprintf(why, size, "it ended in %.2f s", obs->wall);
		return true;
	case JUDGE_SHAPE:
		if (c->max_processes > 0 && obs->max_processes > c->max_processes) {
			snprintf(why, size, "%ld processes at once, more than %ld", obs->max_processes,
			         c->max_processes);
			return false;
		}
		if (c->min_processes > 0 && obs->max_processes < c->min_processes) {
			snprintf(why, size, "at most %ld processes at once, fewer than %ld",
			         obs->max_processes, c->min_processes);
			return false;
		}
		if (c->max_threads > 0 && obs->max_threads > c->max_threads) {
			snprintf(why, size, "%ld threads at once, more than %ld", obs->max_threads,
			         c->max_threads);
			return false;
		}
		if (c->max_depth > 0 && obs->max_depth > c->max_depth) {
			snprintf(why, size, "a tree %ld deep, more than %ld", obs->max_depth,
			         c->max_depth);
			return false;
		}
		snprintf(why, size, "%ld processes, %ld threads at most, %ld deep", obs->max_processes,
		         obs->max_threads, obs->max_depth);
		return true;
	case JUDGE_RACES:
	case JUDGE_PARALLEL:
	case JUDGE_NKINDS:
		break; /* over all runs: see grade() */
	}
	return true;
}

/* ---- grading ------------------------------------------------------------ */

/* LINE with each {} replaced by PROGRAM. */
static void
expand(const char *line, const char *program, char *out, size_t size)
{
	size_t j = 0;

	for (size_t i = 0; line[i] != '\0' && j + 1 < size; i++) {
		if (program != NULL && line[i] == '{' && line[i + 1] == '}') {
			j += (size_t)snprintf(out + j, size - j, "%s", program);
			if (j >= size)
				j = size - 1;
			i++;
		} else {
			out[j++] = line[i];
		}
	}
	out[j] = '\0';
}

static const struct judge_check *
find_check(const struct judge_spec *spec, enum judge_kind kind)
{
	for (size_t i = 0; i < spec->nchecks; i++)
		if (spec->checks[i].kind == kind)
			return &spec->checks[i];
	return NULL;
}

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The speedup of the run line over C's one-worker line, timed where the
 * rest of the machine leaves the CPUs alone. A wall time on a shared
 * machine measures the others' load as much as the program, so each run
 * also measures what the others used meanwhile (struct judge_obs,
 * others), and a pair (one run of each, taken in turns so that both meet
 * the same conditions) counts only when both runs were quiet: others
 * used at most max_other_load CPUs. The speedup is the median over the
 * quiet pairs, up to C->pairs of them in C->tries. With no quiet pair it
 * says so, and V is inconclusive: no verdict on the program. The
 * evidence goes to E. */
static void
speedup(const struct judge_spec *spec, const struct judge_check *c, struct judge_run_opts *ro,
        const char *program, struct verdict *v, char *e, size_t size)
{
	char one_line[JUDGE_TEXT], run_line[JUDGE_TEXT];
	double ratios[100], quiet_walls[2][100], others_sum = 0, others_max = 0, quiet_max = 0;
	long tries = 0, quiet = 0, unknown = 0;
	size_t n;

	snprintf(run_line, sizeof(run_line), "%s", ro->run);
	expand(c->one, program, one_line, sizeof(one_line));
	ro->pin = false;
	while (tries < c->tries && quiet < c->pairs) {
		struct judge_obs obs[2]; /* [0] the run line, [1] one worker */
		bool ran[2], ended = true, calm = true;
		int run_errno[2] = { 0, 0 };
		double busiest = 0;

		/* One first, then the run line, then the other way round:
		 * a load that grows or fades weighs on both alike. */
		for (int k = 0; k < 2; k++) {
			int which = tries % 2 == 0 ? 1 - k : k;

			ro->run = which == 0 ? run_line : one_line;
			ran[which] = judge_run(spec, ro, &obs[which]) == 0;
			run_errno[which] = errno;
		}
		tries++;
		for (int w = 0; w < 2; w++) {
			if (!ran[w] || !obs[w].ended || obs[w].wall <= 0) {
				if (ended)
					snprintf(e, size, "; the %s (%s) did not end well: %s",
					         w == 0 ? "timed run" : "one-worker run",
					         w == 0 ? run_line : one_line,
					         !ran[w]             ? strerror(run_errno[w])
					         : !obs[w].started   ? obs[w].start_error
					         : obs[w].forkbomb   ? "stopped: too many processes"
					         : obs[w].stuck      ? "stopped: stuck, every task blocked"
					                             : "stopped at the end of its time");
				ended = false;
				continue;
			}
			if (!obs[w].others_known)
				unknown++;
			else if (obs[w].others > c->max_other_load)
				calm = false;
			if (obs[w].others > busiest)
				busiest = obs[w].others;
		}
		if (ended) {
			others_sum += busiest;
			if (busiest > others_max)
				others_max = busiest;
			if (calm) {
				if (busiest > quiet_max)
					quiet_max = busiest;
				ratios[quiet] = obs[1].wall / obs[0].wall;
				quiet_walls[0][quiet] = obs[0].wall;
				quiet_walls[1][quiet] = obs[1].wall;
				quiet++;
			}
		}
		for (int w = 0; w < 2; w++)
			if (ran[w])
				judge_obs_free(&obs[w]);
		if (!ended) {
			v->failed_runs = 1;
			return;
		}
	}
	if (unknown > 0) {
		/* No /proc/stat: time it as it comes, and say so. */
		n = strlen(e);
		snprintf(e + n, size - n, "; the others' load could not be read (/proc/stat)");
	}
	if (quiet == 0) {
		/* A verdict already given (min_runnable) stands. */
		v->inconclusive = v->failed_runs == 0;
		v->failed_runs = 1;
		n = strlen(e);
		snprintf(e + n, size - n,
		         "; no verdict on the speedup: the machine was busy, others used %.2f CPUs on "
		         "average (%.2f at most) in each of %ld tries, more than the %.2f allowed; "
		         "grade again on a quiet machine",
		         others_sum / (double)tries, others_max, tries, c->max_other_load);
		return;
	}
	qsort(ratios, (size_t)quiet, sizeof(double), compare_doubles);
	qsort(quiet_walls[0], (size_t)quiet, sizeof(double), compare_doubles);
	qsort(quiet_walls[1], (size_t)quiet, sizeof(double), compare_doubles);
	if (ratios[quiet / 2] < c->min_speedup)
		v->failed_runs = 1;
	n = strlen(e);
	snprintf(e + n, size - n,
	         "; speedup %.2fx over one worker (%s%ld quiet pair%s of %ld tried: %.2f s against "
	         "%.2f s), wanted %.2fx; others used at most %.2f CPUs then",
	         ratios[quiet / 2], quiet > 1 ? "the median of " : "", quiet, quiet > 1 ? "s" : "",
	         tries, quiet_walls[0][quiet / 2], quiet_walls[1][quiet / 2], c->min_speedup,
	         quiet_max);
}

/* Grade the submission in DIR. Fills V (one per check); returns the score. */
static double
grade(const struct judge_spec *spec, const struct options *o, const char *dir,
      const char *program, struct verdict *v)
{
	const struct judge_check *stuck = find_check(spec, JUDGE_STUCK);
	const struct judge_check *fds = find_check(spec, JUDGE_FDS);
	struct judge_run_opts ro = { .dir = dir };
	long runs = o->runs > 0 ? o->runs : spec->runs, pinned_failed = 0;
	double *walls = calloc((size_t)runs, sizeof(double)), cpu_first = 0, wall_first = 0, score = 0;
	double *runnable = calloc((size_t)runs, sizeof(double));
	char run_line[JUDGE_TEXT], why[JUDGE_NOTE];

	for (size_t i = 0; i < spec->nchecks; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].check = &spec->checks[i];
	}
	if (o->user != NULL) {
		struct passwd *pw = getpwnam(o->user);
		ro.as_user = true;
		ro.uid = pw->pw_uid;
		ro.gid = pw->pw_gid;
	}
	ro.stuck_after = stuck != NULL ? stuck->after : spec->limits.wall + 1;
	/* A stuck verdict names each thread's wait channel and the wait-for
	 * cycle; parallel counts the threads that run. Other checks need
	 * neither, and each look is cheaper without them. */
	ro.threads = stuck != NULL || find_check(spec, JUDGE_PARALLEL) != NULL;
	ro.locks = stuck != NULL;
	if (fds != NULL) {
		ro.check_fds = true;
		ro.allow_fds = fds->allow;
		ro.nallow = fds->nallow;
	}

	/* Build, bounded in time; its messages are the verdict if it fails. */
	if (spec->build[0] != '\0') {
		char line[JUDGE_TEXT], *output = NULL;
		bool timed_out;
		int st;

		expand(spec->build, program, line, sizeof(line));
		st = judge_shell(line, dir, spec->build_timeout, &ro, &output, &timed_out);
		if (st != 0) {
			for (size_t i = 0; i < spec->nchecks; i++) {
				v[i].failed_runs = 1;
				snprintf(v[i].evidence, sizeof(v[i].evidence), "the build %s: %s\n%s",
				         timed_out ? "took too long" : "failed", line,
				         output ? output : "");
			}
			free(output);
			free(walls);
			free(runnable);
			return 0;
		}
		free(output);
	}

	expand(spec->run, program, run_line, sizeof(run_line));
	ro.run = run_line;
	for (long r = 0; r < runs; r++) {
		struct judge_obs obs;
		bool run_failed = false;

		ro.pin = r < spec->pin;
		if (judge_run(spec, &ro, &obs) == -1) {
			snprintf(why, sizeof(why), "the judge could not run it: %s", strerror(errno));
			for (size_t i = 0; i < spec->nchecks; i++) {
				v[i].failed_runs++;
				snprintf(v[i].evidence, sizeof(v[i].evidence), "%s", why);
			}
			continue;
		}
		walls[r] = obs.wall;
		runnable[r] = obs.runnable;
		if (r == 0) {
			cpu_first = obs.cpu;
			wall_first = obs.wall;
		}
		for (size_t i = 0; i < spec->nchecks; i++) {
			const struct judge_check *c = &spec->checks[i];
			bool ok;

			if (c->kind == JUDGE_RACES || c->kind == JUDGE_PARALLEL)
				continue;
			ok = holds(spec, c, &obs, why, sizeof(why));
			if (!ok && (c->kind == JUDGE_EXIT || c->kind == JUDGE_STDOUT ||
			            c->kind == JUDGE_STDERR))
				run_failed = true;
			/* Evidence longer than its buffer is cut: the first lines
			 * say the most. */
			if (!ok && v[i].failed_runs++ == 0 &&
			    snprintf(v[i].evidence, sizeof(v[i].evidence), "run %ld: %s", r + 1, why) >=
			            (int)sizeof(v[i].evidence))
				v[i].evidence[sizeof(v[i].evidence) - 2] = '\n';
			else if (ok && v[i].failed_runs == 0)
				snprintf(v[i].evidence, sizeof(v[i].evidence), "%s", why);
		}
		for (size_t i = 0; i < spec->nchecks; i++)
			if (spec->checks[i].kind == JUDGE_RACES && run_failed) {
				if (v[i].failed_runs++ == 0)
					snprintf(v[i].evidence, sizeof(v[i].evidence),
					         "first failing run: %ld%s", r + 1,
					         ro.pin ? " (pinned to one CPU)" : "");
			}
		/* Once a run, however many races checks count it. */
		if (run_failed && ro.pin)
			pinned_failed++;
		judge_obs_free(&obs);
	}
	for (size_t i = 0; i < spec->nchecks; i++) {
		const struct judge_check *c = &spec->checks[i];

		if (c->kind == JUDGE_RACES) {
			char first[JUDGE_NOTE];
			snprintf(first, sizeof(first), "%s", v[i].evidence);
			if (snprintf(v[i].evidence, sizeof(v[i].evidence),
			             "%d of %ld runs failed (%ld of the %ld pinned to one CPU)%s%s",
			             v[i].failed_runs, runs, pinned_failed, spec->pin,
			             first[0] ? "; " : "", first) >= (int)sizeof(v[i].evidence))
				v[i].evidence[sizeof(v[i].evidence) - 2] = '\n';
			v[i].score = v[i].failed_runs <= c->fail_max ? c->points : 0;
			/* Within fail_max, the check holds. */
			if (v[i].failed_runs <= c->fail_max)
				v[i].failed_runs = 0;
		} else if (c->kind == JUDGE_PARALLEL) {
			char *e = v[i].evidence;
			size_t size = sizeof(v[i].evidence), n;
			double at_once;

			/* Tasks running or waiting for a CPU at once: what the
			 * program offers the CPUs. Unlike its speedup, other load
			 * on the machine does not lower it. */
			qsort(runnable, (size_t)runs, sizeof(double), compare_doubles);
			at_once = runnable[runs / 2];
			snprintf(e, size,
			         "on average %.2f of its tasks were running or waiting for a CPU at once "
			         "(%s%ld run%s)",
			         at_once, runs > 1 ? "the median of " : "", runs, runs > 1 ? "s" : "");
			if (c->min_runnable > 0) {
				n = strlen(e);
				snprintf(e + n, size - n, ", wanted %.2f", c->min_runnable);
				if (at_once < c->min_runnable)
					v[i].failed_runs = 1;
			}
			n = strlen(e);
			snprintf(e + n, size - n, "; CPU %.2f s in %.2f s of wall time (run 1)", cpu_first,
			         wall_first);
			if (c->min_speedup > 0) {
				n = strlen(e);
				speedup(spec, c, &ro, program, &v[i], e + n, size - n);
				ro.run = run_line;
			}
		}
		if (c->kind != JUDGE_RACES)
			v[i].score = v[i].failed_runs == 0 ? c->points : 0;
		score += v[i].score;
	}
	free(walls);
	free(runnable);
	return score;
}

/* ---- reports ------------------------------------------------------------ */

static void
json_string(FILE *f, const char *s)
{
	char buf[JUDGE_NOTE * 7];
	size_t len = 0;

	if (pl_json_put_string(buf, sizeof(buf), &len, s) == 0)
		fwrite(buf, 1, len, f);
	else
		fputs("\"\"", f);
}

/* Print EVIDENCE a line at a time, the first after FIRST and the others
 * after REST. Evidence quotes the student's output and the compiler's
 * messages: each line is cleaned (pl_text.h) before it reaches a
 * terminal, so that no escape sequence of a submission drives it. */
static void
print_evidence(const char *evidence, const char *first, const char *rest)
{
	char line[JUDGE_NOTE], clean[JUDGE_NOTE];
	const char *p = evidence, *prefix = first;

	do {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		pl_text_clean(clean, sizeof(clean), line, true);
		printf("%s%s\n", prefix, clean);
		prefix = rest;
		p = nl ? nl + 1 : NULL;
	} while (p != NULL && *p != '\0');
}

/* The report of one submission. In TAP, its checks are numbered from
 * TAP_FIRST; with MANY submissions, main() gave one plan for them all (a
 * TAP stream has one), and each check is named after its submission. */
static void
report(const struct judge_spec *spec, const struct options *o, const char *dir,
       const struct verdict *v, double score, size_t tap_first, bool many)
{
	bool all = true;

	for (size_t i = 0; i < spec->nchecks; i++)
		all &= v[i].failed_runs == 0;
	if (o->format == FMT_TAP && !many)
		printf("1..%zu\n", spec->nchecks);
	else if (o->format == FMT_TEXT && !o->quiet)
		printf("== %s: %s\n", spec->name, dir);
	for (size_t i = 0; i < spec->nchecks; i++) {
		const struct verdict *x = &v[i];
		bool ok = x->failed_runs == 0;

		switch (o->format) {
		case FMT_TEXT:
			if (o->quiet && ok)
				break;
			/* BUSY is a failure too, but not the program's. */
			printf("[%s] %s (%g/%g): ", ok ? "ok" : x->inconclusive ? "BUSY" : "FAIL",
			       x->check->label, x->score, x->check->points);
			/* Evidence over several lines is indented under the check. */
			print_evidence(x->evidence, "", "       ");
			break;
		case FMT_TAP:
			printf("%s %zu - %s%s%s%s\n", ok ? "ok" : "not ok", tap_first + i,
			       many ? dir : "", many ? ": " : "", x->check->label,
			       x->inconclusive ? " (no verdict: the machine was busy)" : "");
			if (x->evidence[0] != '\0')
				print_evidence(x->evidence, "# ", "# ");
			break;
		case FMT_JSON:
			printf("{\"event\":\"check\",\"lab\":");
			json_string(stdout, spec->name);
			printf(",\"dir\":");
			json_string(stdout, dir);
			printf(",\"check\":");
			json_string(stdout, x->check->label);
			printf(",\"kind\":\"%s\",\"ok\":%s,\"inconclusive\":%s,\"score\":%g,"
			       "\"max_score\":%g,\"failed_runs\":%d,\"evidence\":",
			       judge_kind_name(x->check->kind), ok ? "true" : "false",
			       x->inconclusive ? "true" : "false", x->score, x->check->points,
			       x->failed_runs);
			json_string(stdout, x->evidence);
			printf("}\n");
			break;
		}
	}
	if (o->format == FMT_TEXT)
		printf("score: %g / %g%s\n", score, spec->points, all ? "" : "  (some checks failed)");
	else if (o->format == FMT_JSON) {
		printf("{\"event\":\"score\",\"lab\":");
		json_string(stdout, spec->name);
		printf(",\"dir\":");
		json_string(stdout, dir);
		printf(",\"score\":%g,\"max_score\":%g,\"ok\":%s}\n", score, spec->points,
		       all ? "true" : "false");
	}
	if (o->gradescope != NULL) {
		FILE *f = fopen(o->gradescope, "we");
		if (f == NULL) {
			fprintf(stderr, "%s: %s: %s\n", program_name, o->gradescope, strerror(errno));
		} else {
			fprintf(f, "{\"score\": %g, \"tests\": [", score);
			for (size_t i = 0; i < spec->nchecks; i++) {
				fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
				json_string(f, v[i].check->label);
				fprintf(f, ", \"score\": %g, \"max_score\": %g, \"output\": ", v[i].score,
				        v[i].check->points);
				json_string(f, v[i].evidence);
				fprintf(f, "}");
			}
			fprintf(f, "\n]}\n");
			if (fclose(f) != 0)
				fprintf(stderr, "%s: %s: %s\n", program_name, o->gradescope,
				        strerror(errno));
		}
	}
	if (o->autolab) {
		/* Autolab reads the last line: {"scores": {"problem": points, ...}} */
		printf("{\"scores\": {");
		for (size_t i = 0; i < spec->nchecks; i++) {
			printf("%s", i ? ", " : "");
			json_string(stdout, v[i].check->label);
			printf(": %g", v[i].score);
		}
		printf("}}\n");
	}
	fflush(stdout);
}

/* LAB is a folder with a lab.spec, or the name of one under the labs
 * folder (PROCLAB_LABS_DIR, or the source tree's labs/). */
static int
find_lab(const char *lab, char *spec, size_t size)
{
	struct stat sb;
	const char *labs = getenv("PROCLAB_LABS_DIR");

	snprintf(spec, size, "%s/lab.spec", lab);
	if (stat(spec, &sb) == 0)
		return 0;
	if (labs == NULL || *labs == '\0')
		labs = PROCLAB_LABS_DIR;
	snprintf(spec, size, "%s/%s/lab.spec", labs, lab);
	if (stat(spec, &sb) == 0)
		return 0;
	snprintf(spec, size, "labs/%s/lab.spec", lab); /* in the source tree */
	return stat(spec, &sb);
}

int
main(int argc, char *argv[])
{
	struct options o = { 0 };
	struct judge_spec spec;
	char spec_path[PATH_MAX * 2], err[512];
	int first;
	bool all = true;

	first = parse_options(argc, argv, &o);
	argc -= first;
	argv += first;
	if (o.spec != NULL) {
		if (argc != 1)
			pl_opts_die_usage(program_name, argc == 0 ? "--spec needs the PROGRAM to grade"
			                    : "--spec takes one PROGRAM, not %d", argc);
		snprintf(spec_path, sizeof(spec_path), "%s", o.spec);
	} else {
		if (argc == 0)
			pl_opts_die_usage(program_name, "no LAB to grade");
		if (find_lab(argv[0], spec_path, sizeof(spec_path)) == -1)
			pl_opts_die_usage(program_name, "no lab '%s': give a lab's folder (with lab.spec) or its name", argv[0]);
	}
	if (o.user != NULL) {
		if (geteuid() != 0)
			pl_opts_die_usage(program_name, "--user needs root: only root can run code as another user");
		if (getpwnam(o.user) == NULL)
			pl_opts_die_usage(program_name, "--user '%s': no such user", o.user);
	}
	if (judge_spec_load(spec_path, &spec, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", program_name, err);
		return 2;
	}
	if (o.gradescope != NULL && argc > 2)
		pl_opts_die_usage(program_name, "--gradescope writes one submission's results: give one DIR");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (judge_become_subreaper() == -1)
		fprintf(stderr, "%s: cannot be a child subreaper: orphans will go to init\n",
		        program_name);

	struct verdict *v = calloc(spec.nchecks, sizeof(*v));
	if (v == NULL) {
		fprintf(stderr, "%s: out of memory\n", program_name);
		return 2;
	}
	if (o.spec != NULL) {
		/* PROGRAM: a folder, or a file in one. */
		struct stat sb;
		char dir[PATH_MAX], name[PATH_MAX];
		const char *slash;

		if (stat(argv[0], &sb) == -1)
			pl_opts_die_usage(program_name, "'%s': %s", argv[0], strerror(errno));
		if (S_ISDIR(sb.st_mode)) {
			snprintf(dir, sizeof(dir), "%s", argv[0]);
			name[0] = '\0';
		} else {
			slash = strrchr(argv[0], '/');
			snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - argv[0]) : 1,
			         slash ? argv[0] : ".");
			snprintf(name, sizeof(name), "./%s", slash ? slash + 1 : argv[0]);
		}
		double score = grade(&spec, &o, dir, name[0] ? name : NULL, v);
		report(&spec, &o, argv[0], v, score, 1, false);
		for (size_t i = 0; i < spec.nchecks; i++)
			all &= v[i].failed_runs == 0;
	} else if (argc == 1) {
		double score = grade(&spec, &o, spec.dir, NULL, v);
		report(&spec, &o, spec.dir, v, score, 1, false);
		for (size_t i = 0; i < spec.nchecks; i++)
			all &= v[i].failed_runs == 0;
	} else {
		/* Many submissions, then a table: each one's score and what failed. */
		double *scores = calloc((size_t)argc, sizeof(double));
		char **failed = calloc((size_t)argc, sizeof(char *));

		if (o.format == FMT_TAP)
			printf("1..%zu\n", spec.nchecks * (size_t)(argc - 1));
		for (int d = 1; d < argc; d++) {
			size_t tap_first = 1 + spec.nchecks * (size_t)(d - 1);
			char list[512] = "";
			struct stat sb;

			if (stat(argv[d], &sb) == -1 || !S_ISDIR(sb.st_mode)) {
				fprintf(stderr, "%s: '%s' is not a folder: skipped\n", program_name, argv[d]);
				all = false;
				failed[d] = strdup("(not a folder)");
				/* Its checks are in the plan: each fails. */
				for (size_t i = 0; o.format == FMT_TAP && i < spec.nchecks; i++)
					printf("not ok %zu - %s: %s\n# not a folder\n", tap_first + i,
					       argv[d], spec.checks[i].label);
				continue;
			}
			scores[d] = grade(&spec, &o, argv[d], NULL, v);
			report(&spec, &o, argv[d], v, scores[d], tap_first, true);
			for (size_t i = 0; i < spec.nchecks; i++)
				if (v[i].failed_runs > 0) {
					all = false;
					snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s%s",
					         list[0] ? ", " : "", v[i].check->label,
					         v[i].inconclusive ? " (machine busy)" : "");
				}
			failed[d] = strdup(list[0] ? list : "-");
		}
		/* Not with --autolab: Autolab takes the last line for the score. */
		if (o.format == FMT_TEXT && !o.autolab) {
			printf("\n%-32s %9s  %s\n", "submission", "score", "failed");
			for (int d = 1; d < argc; d++)
				printf("%-32s %4g/%-4g  %s\n", argv[d], scores[d], spec.points,
				       failed[d] ? failed[d] : "?");
		}
		for (int d = 1; d < argc; d++)
			free(failed[d]);
		free(failed);
		free(scores);
	}
	free(v);
	judge_spec_free(&spec);
	return all ? 0 : 1;
}
