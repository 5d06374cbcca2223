/* main.c - proclab: watch a demo's processes live.
 *
 *   proclab [OPTION]... DEMO [DEMO-OPTION]...   run proclab-DEMO and watch it
 *   proclab [OPTION]... -- COMMAND [ARG]...     run any command and watch it
 *   proclab [OPTION]... -p PID                  watch a running tree
 *   proclab --list                              the demos, one line each
 *   proclab [OPTION]... --replay FILE           play a run recorded with --record
 *
 * On a terminal it draws the tree with ncurses (view.c); with --plain, or
 * without a terminal, it prints text snapshots (text.c) whenever something
 * meaningful changes. The model (lib/pl_model.h) is the same for both.
 *
 * It owns what it starts: the command runs in its own process group with
 * PR_SET_PDEATHSIG, so it dies with the dashboard, and `q`, Ctrl-C or the
 * end of the run take every watched process down. The status board
 * (lib/pl_board.h) is unlinked as soon as the demo has attached to it.
 *
 * The whole run is kept (lib/pl_history.h): once the command has ended,
 * the screen shows every process that lived, with its exit status, the
 * timeline from the start, the narration and a summary, until q. With
 * --record the same history goes to a file as JSON Lines, and --replay
 * plays such a file in the same screen (docs/record.md).
 */
#include "config.h"

#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pl_board.h"
#include "pl_child.h"
#include "pl_export.h"
#include "pl_history.h"
#include "pl_model.h"
#include "pl_opts.h"
#include "pl_parse.h"
#include "pl_pidfd.h"
#include "pl_procfs.h"
#include "pl_record.h"
#include "text.h"
#include "view.h"

#define RATE_MIN 1.0
#define RATE_MAX 50.0
#define KILL_GRACE 2.0 /* seconds between k's SIGTERM and SIGKILL */
#define QUIT_GRACE 3.0 /* seconds for a clean end after SIGTERM at q: mpirun needs 1 to 3 */
#define SPEED_MIN 0.1
#define SPEED_MAX 100.0

static const char *program = "proclab";
static volatile sig_atomic_t stop_signal;

/* Everything the run owns, for the way out. */
static struct {
	struct pl_board *board;
	char board_name[PL_NAME_MAX];
	bool board_unlinked;
	pid_t child; /* the command we started, or 0 */
	bool child_reaped;
	bool ended_by_us;        /* q, --once or a signal ended it, not itself */
	int child_status;
	int output; /* its stdout and stderr, or -1 */
	bool curses;
	/* The caller's limit on descriptors, when we raised ours: the
	 * command gets it back, as it would have had it without us. */
	struct rlimit caller_files;
	bool files_raised;
	double started; /* the run's clock starts here (now_seconds) */
} run = { .output = -1 };

/* The whole run, kept from the first refresh to the end (and recorded,
 * with --record). */
static struct pl_history history;
static FILE *record_file;

struct options {
	bool plain, once, threads, no_ipc, no_color, list;
	double rate;
	double speed;       /* --replay: times real time */
	const char *record; /* --record FILE, or NULL */
	const char *replay; /* --replay FILE, or NULL */
	const char *trace, *svg; /* --trace FILE, --svg FILE: pictures at the end */
	double delay; /* --once with a command: snapshot after this */
	pid_t attach;
	char **command;   /* argv to run, or NULL */
	const char *demo; /* the demo's name, or NULL */
};

static void
usage(FILE *out)
{
	fprintf(out,
	        "Usage: %s [OPTION]... DEMO [DEMO-OPTION]...\n"
	        "  or:  %s [OPTION]... -- COMMAND [ARG]...\n"
	        "  or:  %s [OPTION]... -p PID\n"
	        "  or:  %s [OPTION]... --replay FILE\n"
	        "  or:  %s --list\n"
	        "Watch processes live: their tree and states, what they wait in, the pipes,\n"
	        "sockets, shared memory, queues and locks between them, and deadlocks.\n"
	        "\n"
	        "  -p, --pid PID        watch the running tree under PID\n"
	        "      --list           list the demos, one line each\n"
	        "      --plain          print text snapshots instead of drawing (the default\n"
	        "                       when there is no terminal)\n"
	        "      --once           print one snapshot and end (after --delay for a command)\n"
	        "      --delay SECONDS  with --once and a command: wait this long first (0 to 60;\n"
	        "                       default 0.5)\n"
	        "  -r, --rate HZ        refreshes a second (%g to %g; default 10)\n"
	        "      --threads        show threads from the start (key t)\n"
	        "      --no-ipc         do not read fd tables, maps and locks\n"
	        "      --no-color       no colours (also: NO_COLOR set)\n"
	        "      --record FILE    write the run to FILE as JSON Lines (docs/record.md)\n"
	        "      --replay FILE    play a run recorded with --record, paused: n steps one\n"
	        "                       refresh, space plays\n"
	        "      --speed X        with --replay: play X times as fast (%g to %g; default 1)\n"
	        "      --trace FILE     at the end, write the run to FILE as a Chrome trace\n"
	        "      --svg FILE       at the end, draw the run's timeline to FILE as SVG\n"
	        "  -h, --help           show this help and exit\n"
	        "  -V, --version        show the version and exit\n"
	        "\n"
	        "Keys: space pause (or let a --step demo go on), s stop/continue, k kill,\n"
	        "t threads, + and - rate, PgUp and PgDn narration, Left, Right, Home and End\n"
	        "the timeline, ? help, q quit. See docs/dashboard.md.\n"
	        "\n"
	        "Exit status: the command's own when it ended by itself (128+N if a signal\n"
	        "N killed it); 0 when proclab ended it (q, --once) or watched a PID;\n"
	        "1 for an error, 2 for a bad command line.\n",
	        program, program, program, program, program, RATE_MIN, RATE_MAX, SPEED_MIN,
	        SPEED_MAX);
}

static double
now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A refresh of the model at T (seconds since the run started), and of
 * the history kept beside it: what changed goes into the history, and
 * into the recording with --record, which is flushed once a refresh so
 * that a dashboard killed with SIGKILL leaves a file that ends cleanly. */
static int
refresh_run(struct pl_model *m, double t)
{
	if (pl_model_refresh(m, t) == -1)
		return -1;
	if (pl_history_update(&history, m) == -1)
		return -1;
	if (record_file != NULL && fflush(record_file) == EOF && history.record_error == 0)
		history.record_error = errno;
	return 0;
}

/* --trace and --svg: the recording, read back and drawn by the library's
 * exporter (lib/pl_export.c, as proclab-export does). Returns 0, or -1
 * after saying what failed. */
static int
draw_pictures(const struct options *o)
{
	struct pl_export *x = pl_export_new();
	const char *paths[2] = { o->trace, o->svg };
	int (*draw[2])(const struct pl_export *, FILE *) = { pl_export_trace, pl_export_svg };
	FILE *in = o->record != NULL ? fopen(o->record, "re") : record_file;
	int r = 0;

	if (fflush(record_file) == EOF || x == NULL || in == NULL ||
	    (in == record_file && fseek(in, 0, SEEK_SET) == -1) || pl_export_read(x, in) == -1) {
		fprintf(stderr, "%s: reading the run back for --trace or --svg: %s\n", program,
		        x != NULL && errno == EINVAL ? pl_export_error(x, NULL) : strerror(errno));
		r = -1;
	}
	for (int i = 0; i < 2 && r == 0; i++) {
		FILE *out;
		char path[256];

		if (paths[i] == NULL)
			continue;
		out = fopen(paths[i], "we");
		if (out == NULL || draw[i](x, out) == -1 || fclose(out) == EOF) {
			snprintf(path, sizeof(path), "%s", paths[i]);
			pl_opts_printable(path);
			fprintf(stderr, "%s: %s: %s: %s\n", program, i ? "--svg" : "--trace", path,
			        strerror(errno));
			r = -1;
		}
	}
	if (in != NULL && in != record_file)
		fclose(in);
	pl_export_free(x);
	return r;
}

/* ------------------------------------------------------------------ */
/* Finding the demos: next to this program (in the build tree, next to the
 * libtool wrapper's .libs/), or in $PROCLAB_DEMO_DIR, else on PATH.       */

static void
demo_dir(char *buf, size_t size)
{
	const char *env = getenv("PROCLAB_DEMO_DIR");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] != '\0') {
		snprintf(buf, size, "%s", env);
		return;
	}
	buf[0] = '\0';
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	n = (ssize_t)strlen(exe);
	if (n >= 6 && strcmp(exe + n - 6, "/.libs") == 0)
		exe[n - 6] = '\0';
	snprintf(buf, size, "%s", exe);
}

static bool
demo_path(const char *name, char *buf, size_t size)
{
	char dir[PATH_MAX];

	demo_dir(dir, sizeof(dir));
	if (dir[0] == '\0')
		return false;
	if (snprintf(buf, size, "%s/proclab-%s", dir, name) >= (int)size)
		return false;
	return access(buf, X_OK) == 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The summary of a demo: the second line of its --help. The program is
 * started directly, with posix_spawn(3), and not through a shell as
 * popen(3) would: its path is data, and a quote or a $( ) in the name of
 * PROCLAB_DEMO_DIR must not become shell code. */
static void
demo_summary(const char *path, char *buf, size_t size)
{
	char *argv[] = { (char *)path, "--help", NULL };
	posix_spawn_file_actions_t actions;
	char line[512];
	int out[2], rc, status;
	pid_t pid;
	FILE *p;

	snprintf(buf, size, "?");
	if (pipe2(out, O_CLOEXEC) == -1)
		return;
	if ((rc = posix_spawn_file_actions_init(&actions)) == 0) {
		/* Its stdout into the pipe, its stderr to /dev/null. */
		if (posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO) != 0 ||
		    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY,
		                                     0) != 0)
			rc = -1;
		else
			rc = posix_spawn(&pid, path, &actions, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&actions);
	}
	close(out[1]);
	if (rc != 0) {
		close(out[0]);
		return;
	}
	if ((p = fdopen(out[0], "r")) == NULL) {
		close(out[0]);
	} else {
		for (int i = 0; i < 2 && fgets(line, sizeof(line), p) != NULL; i++)
			if (i == 1)
				snprintf(buf, size, "%.*s", (int)strcspn(line, "\n"), line);
		fclose(p);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
}

/* The programs beside the demos that are tools, not concepts. */
static bool
is_tool(const char *name)
{
	return strcmp(name, "judge") == 0 || strcmp(name, "export") == 0;
}

static int
list_demos(void)
{
	char dir[PATH_MAX], *names[256];
	size_t n = 0;
	int width = 0;
	struct dirent *e;
	DIR *d;

	demo_dir(dir, sizeof(dir));
	if (dir[0] == '\0' || (d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: cannot find the demos (set PROCLAB_DEMO_DIR)\n", program);
		return 1;
	}
	while ((e = readdir(d)) != NULL && n < 256) {
		char path[PATH_MAX + 300];
		const char *name = e->d_name + 8;

		if (strncmp(e->d_name, "proclab-", 8) != 0 || name[0] == '\0' ||
		    strpbrk(name, ".~") != NULL || is_tool(name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (access(path, X_OK) == 0)
			names[n++] = strdup(name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), compare_names);
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(names[i]) > width)
			width = (int)strlen(names[i]);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 300], summary[512], clean[512];

		snprintf(path, sizeof(path), "%s/proclab-%s", dir, names[i]);
		demo_summary(path, summary, sizeof(summary));
		/* A program in PROCLAB_DEMO_DIR may be anyone's: its words
		 * are data, and no escape byte of theirs reaches the terminal. */
		dash_text_clean(clean, sizeof(clean), summary);
		printf("%-*s  %s\n", width, names[i], clean);
		free(names[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The command line.                                                    */

static void
parse_options(int argc, char *argv[], struct options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->rate = 10;
	o->delay = 0.5;
	o->speed = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *value = NULL;
		char *eq;
		char name[64];
		bool used_value = false;

		if (strcmp(a, "--") == 0) {
			if (i + 1 >= argc)
				pl_opts_die_usage(program, "%s", "missing COMMAND after --");
			o->command = &argv[i + 1];
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			o->demo = a;
			o->command = &argv[i];
			break;
		}
		snprintf(name, sizeof(name), "%s", a);
		if ((eq = strchr(name, '=')) != NULL && strncmp(name, "--", 2) == 0) {
			*eq = '\0';
			value = a + (eq - name) + 1;
		}
#define TAKES_VALUE()                                                                              \
	do {                                                                                       \
		used_value = true;                                                                 \
		if (value == NULL) {                                                               \
			if (i + 1 >= argc)                                                         \
				pl_opts_die_usage(program, "option '%s' needs a value", name);     \
			value = argv[++i];                                                         \
		}                                                                                  \
	} while (0)
		if (value != NULL &&
		    (strcmp(name, "--help") == 0 || strcmp(name, "--version") == 0))
			pl_opts_die_usage(program, "option '%s' takes no value", name);
		if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
			printf("%s (%s) %s\n", program, PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		} else if (strcmp(name, "--list") == 0) {
			o->list = true;
		} else if (strcmp(name, "--plain") == 0) {
			o->plain = true;
		} else if (strcmp(name, "--once") == 0) {
			o->once = true;
		} else if (strcmp(name, "--threads") == 0) {
			o->threads = true;
		} else if (strcmp(name, "--no-ipc") == 0) {
			o->no_ipc = true;
		} else if (strcmp(name, "--no-color") == 0) {
			o->no_color = true;
		} else if (strcmp(name, "-r") == 0 || strcmp(name, "--rate") == 0) {
			TAKES_VALUE();
			if (pl_parse_double(value, RATE_MIN, RATE_MAX, &o->rate) == -1)
				pl_opts_die_usage(program, "--rate: '%s' is not a number from 1 to 50", value);
		} else if (strcmp(name, "--record") == 0) {
			TAKES_VALUE();
			if (value[0] == '\0')
				pl_opts_die_usage(program, "%s", "--record: the file name is empty");
			o->record = value;
		} else if (strcmp(name, "--trace") == 0 || strcmp(name, "--svg") == 0) {
			TAKES_VALUE();
			if (value[0] == '\0')
				pl_opts_die_usage(program, "%s: the file name is empty", name);
			*(name[2] == 't' ? &o->trace : &o->svg) = value;
		} else if (strcmp(name, "--replay") == 0) {
			TAKES_VALUE();
			if (value[0] == '\0')
				pl_opts_die_usage(program, "%s", "--replay: the file name is empty");
			o->replay = value;
		} else if (strcmp(name, "--speed") == 0) {
			TAKES_VALUE();
			if (pl_parse_double(value, SPEED_MIN, SPEED_MAX, &o->speed) == -1)
				pl_opts_die_usage(program, "--speed: '%s' is not a number from 0.1 to 100", value);
		} else if (strcmp(name, "--delay") == 0) {
			TAKES_VALUE();
			if (pl_parse_double(value, 0, 60, &o->delay) == -1)
				pl_opts_die_usage(program, "--delay: '%s' is not a number from 0 to 60", value);
		} else if (strcmp(name, "-p") == 0 || strcmp(name, "--pid") == 0) {
			long pid;
			TAKES_VALUE();
			if (pl_parse_long(value, 1, INT_MAX, &pid) == -1)
				pl_opts_die_usage(program, "--pid: '%s' is not a process ID", value);
			o->attach = (pid_t)pid;
		} else {
			pl_opts_die_usage(program, "unknown option '%s'", a);
		}
		if (value != NULL && !used_value)
			pl_opts_die_usage(program, "option '%s' takes no value", name);
	}
	if (o->list && (o->command || o->attach))
		pl_opts_die_usage(program, "%s", "--list takes nothing else");
	if (o->list)
		return;
	if (o->replay != NULL) {
		if (o->command || o->attach || o->record || o->once)
			pl_opts_die_usage(program, "%s", "--replay takes no command, -p, --record or --once");
		if (o->trace || o->svg)
			pl_opts_die_usage(program, "%s", "--replay draws no pictures: use proclab-export");
		return;
	}
	if (o->speed != 1)
		pl_opts_die_usage(program, "%s", "--speed goes with --replay (a demo's own --speed goes after its name)");
	if (o->attach && o->command)
		pl_opts_die_usage(program, "%s", "-p PID and a command exclude each other");
	if (!o->attach && !o->command)
		pl_opts_die_usage(program, "%s", "missing DEMO, -- COMMAND or -p PID");
	if (o->demo != NULL) {
		char path[PATH_MAX];
		if (strchr(o->demo, '/') != NULL || !demo_path(o->demo, path, sizeof(path)))
			pl_opts_die_usage(program, "unknown demo '%s' (proclab --list shows them)", o->demo);
	}
	if (o->attach && kill(o->attach, 0) == -1 && errno == ESRCH) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%ld", (long)o->attach);
		pl_opts_die_usage(program, "--pid: no process %s is running", pid);
	}
}

/* ------------------------------------------------------------------ */
/* Starting the command, and ending everything we started.              */

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
install_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* only sets a flag; the loop does the rest */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
unlink_board(void)
{
	if (run.board != NULL && !run.board_unlinked) {
		shm_unlink(run.board_name);
		run.board_unlinked = true;
	}
}

static pid_t
start_command(char **argv, const char *demo)
{
	char path[PATH_MAX];
	int out[2];
	pid_t pid;

	if (demo != NULL && !demo_path(demo, path, sizeof(path)))
		return -1; /* parse_options checked it */
	if (pipe2(out, O_CLOEXEC) == -1)
		return -1;
	switch (pid = fork()) {
	case -1:
		close(out[0]);
		close(out[1]);
		return -1;
	case 0: {
		int null = open("/dev/null", O_RDONLY);

		/* Its own process group, so the terminal's Ctrl-C reaches only
		 * the dashboard, which then ends the run in order; and death
		 * with the dashboard, even by SIGKILL. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		/* Limits survive fork and execve (getrlimit(2)): give the
		 * command the caller's limit on descriptors, not ours. */
		if (run.files_raised)
			setrlimit(RLIMIT_NOFILE, &run.caller_files);
		/* stdin from /dev/null; the descriptor open() gave goes, or the
		 * command would find it in its /proc/self/fd as one of its own. */
		if (null > STDIN_FILENO) {
			dup2(null, STDIN_FILENO);
			close(null);
		}
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		if (run.board != NULL)
			setenv(PL_BOARD_ENV, run.board_name, 1);
		if (demo != NULL) {
			argv[0] = path;
			execvp(path, argv);
		} else {
			execvp(argv[0], argv);
		}
		dprintf(STDERR_FILENO, "%s: cannot run %s: %s\n", program, argv[0],
		        strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	default:
		setpgid(pid, pid);
		close(out[1]);
		run.output = out[0];
		fcntl(run.output, F_SETFL, O_NONBLOCK);
		return pid;
	}
}

static void
reap_child(struct pl_model *m)
{
	int status;

	if (run.child == 0 || run.child_reaped)
		return;
	if (waitpid(run.child, &status, WNOHANG) == run.child) {
		run.child_reaped = true;
		run.child_status = status;
		pl_model_root_reaped(m, status);
	}
}

/* The command's output: into the narration, unless a demo narrates
 * through the board (then the board has the same lines, better). */
static void
drain_output(struct pl_model *m, bool keep)
{
	static char partial[512];
	static size_t used;
	char buf[4096];
	ssize_t n;

	if (run.output == -1)
		return;
	while ((n = read(run.output, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || used == sizeof(partial) - 1) {
				partial[used] = '\0';
				/* The demo's summary and errors start with its name. */
				if (used > 0 && (keep || strncmp(partial, "proclab-", 8) == 0))
					pl_model_narrate(m, partial);
				used = 0;
			} else if (buf[i] != '\r' && buf[i] != '\033') {
				partial[used++] = buf[i];
			}
		}
	}
	if (n == 0) {
		close(run.output);
		run.output = -1;
	}
}

/* A signal the dashboard sent goes into the history (and the recording):
 * a replay, or a picture of the run, shows who ended what. */
static void
note_signal(pid_t pid, int sig)
{
	struct pl_history_event e = { .t = history.now, .type = PL_HISTORY_SIGNAL, .pid = pid,
		                      .signal = sig };

	pl_history_apply(&history, &e);
}

/* Signal a process on the books, but only while its PID still names it.
 * A process that ended between two refreshes may have been reaped
 * elsewhere (an orphan, by init), and its PID given to another: with
 * pid_max at 32768 that happens within seconds on a busy machine, and the
 * signal would hit a stranger. The start time tells them apart, but
 * checking it and then calling kill() leaves a moment between the two in
 * which the PID can change hands. So the signal goes through a pidfd,
 * opened before the check: it reaches our process, or nobody. See
 * lib/pl_pidfd.h. */
static int
signal_proc(pid_t pid, unsigned long long start, int sig)
{
	int rc = pl_pidfd_signal_checked(pid, start, sig);

	if (rc == 0)
		note_signal(pid, sig);
	return rc;
}

/* Signal the process group of the command we started: kill(2) with -PGID,
 * which no pidfd can stand for (only Linux 6.9 adds a flag for it to
 * pidfd_send_signal). This is safe only while our child, the group's
 * leader, is not reaped. Until we wait() for it, even as a zombie, its
 * PID is in use, and so the number can name no other process and no
 * other group: -run.child is the group we made. Once it is reaped, the
 * group lives on only in the processes still in it; when they are gone
 * too, the number is free, and a stranger's group may get it. Nobody
 * but reap_child() and end_run() reaps our child (SIGCHLD is not ignored,
 * so the kernel does not), so run.child_reaped says when that may be. */
static void
signal_our_group(int sig)
{
	if (run.child != 0 && !run.child_reaped && kill(-run.child, sig) == 0)
		note_signal(run.child, sig); /* the group's leader stands for it */
}

/* End every watched process we started: SIGTERM, a moment, SIGKILL. */
static void
end_run(struct pl_model *m)
{
	double deadline;

	if (run.child == 0)
		return;
	if (!run.child_reaped)
		run.ended_by_us = true;
	signal_our_group(SIGTERM);
	/* Those that left the group (setsid, setpgid), one by one. */
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].gone_at < 0)
			signal_proc(m->procs[i].pid, m->procs[i].start, SIGTERM);
	deadline = now_seconds() + QUIT_GRACE;
	while (now_seconds() < deadline) {
		struct timespec tick = { 0, 10 * 1000000L };

		reap_child(m);
		if (run.child_reaped && refresh_run(m, now_seconds() - run.started) == 0 &&
		    pl_model_alive(m) == 0)
			break;
		nanosleep(&tick, NULL);
	}
	signal_our_group(SIGKILL);
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].gone_at < 0 && m->procs[i].state != 'Z')
			signal_proc(m->procs[i].pid, m->procs[i].start, SIGKILL);
	if (!run.child_reaped && waitpid(run.child, &run.child_status, 0) == run.child)
		run.child_reaped = true;
}

static void
cleanup(void)
{
	if (run.curses)
		dash_view_end();
	run.curses = false;
	unlink_board();
	if (run.board != NULL)
		munmap(run.board, sizeof(*run.board));
	run.board = NULL;
}

static int
exit_status(void)
{
	if (run.child == 0 || !run.child_reaped || run.ended_by_us)
		return 0;
	if (WIFEXITED(run.child_status))
		return WEXITSTATUS(run.child_status);
	if (WIFSIGNALED(run.child_status))
		return 128 + WTERMSIG(run.child_status);
	return 1;
}

/* ------------------------------------------------------------------ */
/* The two loops: plain text, and the screen.                          */

static bool
run_over(const struct pl_model *m, const struct options *o)
{
	if (o->attach)
		return pl_model_alive(m) == 0;
	return run.child_reaped && pl_model_alive(m) == 0;
}

/* What --plain has printed: the narration up to a line of the history,
 * and the last snapshot, to print the next only when it differs. */
struct plain {
	size_t printed;
	char *last;
	unsigned long long snapshots;
};

/* Print what is new: the narration first (it says what the snapshot then
 * shows), then the snapshot of M if anything but CPU, memory and seconds
 * changed. The live run and its replay both print through here, so that
 * a replay prints what the run printed. Returns 0, or -1 on a failed write. */
static int
plain_print(struct plain *out, const struct pl_model *m, const char *title)
{
	char *stable;

	while (out->printed < history.nnarration) {
		char line[PL_HISTORY_TEXT + 8];

		dash_text_narration(&history.narration[out->printed++], line, sizeof(line));
		dash_text_print_narration(stdout, line);
	}
	stable = dash_text_snapshot(m, title, true);
	if (stable != NULL && (out->last == NULL || strcmp(stable, out->last) != 0)) {
		char *text = dash_text_snapshot(m, title, false);

		out->snapshots++;
		printf("%s--- snapshot %llu\n", out->snapshots > 1 ? "\n" : "", out->snapshots);
		fputs(text ? text : "", stdout);
		free(text);
		free(out->last);
		out->last = stable;
	} else {
		free(stable);
	}
	return fflush(stdout) == EOF || ferror(stdout) ? -1 : 0;
}

/* The end of a --plain run, live or replayed: how the command ended and
 * the summary of the run. */
static void
plain_end(void)
{
	char line[512];

	if (history.ended && history.end_known) {
		char how[96] = "ended";
		pl_status_describe(history.end_status, how, sizeof(how));
		printf("proclab: the command %s\n", how);
	}
	dash_text_summary(&history, line, sizeof(line));
	printf("proclab: %s\n", line);
}

static int
loop_plain(struct pl_model *m, const struct options *o, const char *title)
{
	struct plain out = { 0 };
	double period = 1.0 / o->rate;

	for (;;) {
		struct timespec tick;
		double t = now_seconds() - run.started;
		bool snapshot_due = o->once && (o->attach || t >= o->delay);

		reap_child(m);
		drain_output(m, m->board == NULL || m->board->attached == 0);
		/* --once: the one snapshot reads the fd tables and maps afresh,
		 * not as they were up to a second (five, in a big tree) ago. */
		if (snapshot_due)
			pl_model_read_ipc_next(m);
		if (refresh_run(m, t) == -1) {
			fprintf(stderr, "%s: reading %s: %s\n", program, m->proc, strerror(errno));
			return 1;
		}
		if (m->board != NULL && m->board->attached != 0)
			unlink_board();
		if (o->once) {
			if (snapshot_due || run_over(m, o)) {
				char *text = dash_text_snapshot(m, title, false);
				fputs(text ? text : "", stdout);
				free(text);
				return 0;
			}
		} else {
			if (plain_print(&out, m, title) == -1) {
				free(out.last);
				return 1;
			}
			if (run_over(m, o)) {
				pl_history_end(&history, o->attach == 0, run.child_status);
				break;
			}
		}
		if (stop_signal)
			break;
		tick.tv_sec = 0;
		tick.tv_nsec = (long)(period * 1e9);
		nanosleep(&tick, NULL);
	}
	free(out.last);
	return 0;
}

/* The status line after sending signal NAME to PID (RC: what sending it
 * returned), THEN the rest of the sentence when it was sent. */
static void
say_sent(char *status, size_t size, int rc, const char *name, pid_t pid, const char *then)
{
	if (rc == 0)
		snprintf(status, size, "Sent %s to %ld%s", name, (long)pid, then);
	else if (errno == ESRCH)
		snprintf(status, size, "%s not sent: %ld has ended.", name, (long)pid);
	else
		snprintf(status, size, "%s not sent to %ld: %s.", name, (long)pid, strerror(errno));
}

static pid_t
selected_after(const struct pl_model *m, pid_t selected, int step)
{
	long at = -1;

	if (m->norder == 0)
		return 0;
	for (size_t k = 0; k < m->norder; k++)
		if (m->procs[m->order[k]].pid == selected)
			at = (long)k;
	at = at < 0 ? 0 : at + step;
	if (at < 0)
		at = 0;
	if (at >= (long)m->norder)
		at = (long)m->norder - 1;
	return m->procs[m->order[at]].pid;
}

/* The keys that only move the view, live and in a replay: the
 * selection, the narration and the timeline. M is the model on screen.
 * Returns true if KEY was one of them. */
static bool
view_key(struct dash_view_state *vs, const struct pl_model *m, int key)
{
	double period = PL_MODEL_TIMELINE_PERIOD, cells = dash_view_timeline_cells();
	double end = vs->timeline_end >= 0 ? vs->timeline_end : history.now;
	double first = (cells - 1) * period; /* the right edge when the left is 0 */
	int page = LINES / 4 > 2 ? LINES / 4 - 1 : 1;

	switch (key) {
	case KEY_UP:
		vs->selected = selected_after(m, vs->selected, -1);
		return true;
	case KEY_DOWN:
		vs->selected = selected_after(m, vs->selected, +1);
		return true;
	case KEY_PPAGE:
		vs->narration_back += (size_t)page; /* the view stops it at the top */
		return true;
	case KEY_NPAGE:
		vs->narration_back = vs->narration_back > (size_t)page
		                             ? vs->narration_back - (size_t)page
		                             : 0;
		return true;
	case KEY_LEFT:
	case KEY_RIGHT:
	case KEY_HOME:
		if (key == KEY_HOME)
			end = first;
		else
			end += (key == KEY_LEFT ? -1 : 1) * (double)(int)(cells / 2) * period;
		if (end < first)
			end = first;
		/* Back at the present: follow it again. */
		vs->timeline_end = end >= history.now ? -1 : end;
		return true;
	case KEY_END:
		vs->timeline_end = -1;
		return true;
	default:
		return false;
	}
}

static int
loop_screen(struct pl_model *m, const struct options *o, const char *title)
{
	struct dash_view_state vs = { .title = title, .color = !o->no_color, .rate = o->rate,
		                      .history = &history, .timeline_end = -1 };
	struct pl_model ended; /* the whole run, once it is over */
	double next = 0, status_until = 0;
	pid_t killing = 0;
	unsigned long long killing_start = 0;
	double kill_at = 0;
	char status[256] = "";
	bool announced_end = false, draw = true;
	const struct pl_model *shown = m;
	int result = 0;

	if (pl_model_init(&ended, m->proc, m->root) == -1)
		return 1;
	for (;;) {
		double t = now_seconds() - run.started;
		const char *status_was = vs.status;
		int key, wait_ms;

		reap_child(m);
		drain_output(m, m->board == NULL || m->board->attached == 0);
		if (!vs.paused && t >= next) {
			if (refresh_run(m, t) == -1) {
				result = 1;
				break;
			}
			next = t + 1.0 / vs.rate;
			if (m->board != NULL && m->board->attached != 0)
				unlink_board();
			draw = true;
		}
		if (killing && t >= kill_at) {
			struct pl_model_proc *p = pl_model_find(m, killing);
			if (p != NULL && p->gone_at < 0 && p->state != 'Z')
				signal_proc(killing, killing_start, SIGKILL);
			killing = 0;
		}
		if (!announced_end && run_over(m, o)) {
			char how[96] = "ended";
			pl_status_describe(run.child_status, how, sizeof(how));
			if (o->attach)
				snprintf(status, sizeof(status), "Every watched process has ended. q quits.");
			else
				snprintf(status, sizeof(status), "The command %s. q quits.", how);
			status_until = 1e18;
			announced_end = vs.ended = true;
			pl_history_end(&history, o->attach == 0, run.child_status);
			draw = true;
		}
		vs.status = t < status_until ? status : NULL;
		/* The screen changes with a refresh, a key or the status line,
		 * and is drawn only then: a tree of 1,000 processes costs as
		 * much to draw as to read. */
		if (draw || vs.status != status_was) {
			/* Once the run is over, the screen shows all of it:
			 * every process that lived, not only those that have
			 * not faded. */
			shown = m;
			if (vs.ended && pl_history_model(&history, &ended, true) == 0)
				shown = &ended;
			if (vs.selected == 0 ||
			    pl_model_find((struct pl_model *)shown, vs.selected) == NULL)
				vs.selected = selected_after(shown, 0, 0);
			dash_view_draw(shown, &vs);
			draw = false;
		}

		/* Wait for a key until the next refresh is due. */
		wait_ms = 100;
		if (!vs.paused) {
			double left = next - (now_seconds() - run.started);
			wait_ms = left <= 0 ? 1 : (int)(left * 1000) + 1;
			if (wait_ms > (int)(1000.0 / vs.rate) + 1)
				wait_ms = (int)(1000.0 / vs.rate) + 1;
		}
		key = dash_view_key(wait_ms);
		if (stop_signal)
			break;
		if (key == ERR)
			continue;
		draw = true;
		if (key == KEY_RESIZE)
			continue;
		if (vs.help) {
			vs.help = false;
			continue;
		}
		if (view_key(&vs, shown, key))
			continue;
		switch (key) {
		case 'q':
		case 'Q':
			pl_model_free(&ended);
			return 0;
		case '?':
		case 'h':
			vs.help = true;
			break;
		case ' ':
			if (m->step_waiting && run.board != NULL) {
				pl_board_step_release(run.board);
				snprintf(status, sizeof(status), "Next step.");
			} else {
				vs.paused = !vs.paused;
				snprintf(status, sizeof(status),
				         vs.paused ? "Paused." : "Running.");
			}
			status_until = t + 2;
			break;
		case 's': {
			struct pl_model_proc *p = pl_model_find(m, vs.selected);
			if (p != NULL && p->gone_at < 0) {
				int sig = p->state == 'T' ? SIGCONT : SIGSTOP;
				int rc = signal_proc(p->pid, p->start, sig);
				say_sent(status, sizeof(status), rc,
				         sig == SIGCONT ? "SIGCONT" : "SIGSTOP", p->pid, ".");
				status_until = t + 3;
			}
			break;
		}
		case 'k': {
			struct pl_model_proc *p = pl_model_find(m, vs.selected);
			if (p != NULL && p->gone_at < 0) {
				char then[96];
				int rc;

				snprintf(then, sizeof(then),
				         "; SIGKILL in %.0f s if it is still there.", KILL_GRACE);
				/* A stopped process cannot act on TERM. */
				rc = signal_proc(p->pid, p->start, SIGCONT);
				if (rc == 0)
					rc = signal_proc(p->pid, p->start, SIGTERM);
				if (rc == 0) {
					killing = p->pid;
					killing_start = p->start;
					kill_at = t + KILL_GRACE;
				}
				say_sent(status, sizeof(status), rc, "SIGTERM", p->pid, then);
				status_until = t + 3;
			}
			break;
		}
		case 't':
			m->threads = !m->threads;
			next = 0;
			break;
		case '+':
		case '=':
			vs.rate = vs.rate * 2 > RATE_MAX ? RATE_MAX : vs.rate * 2;
			break;
		case '-':
			vs.rate = vs.rate / 2 < RATE_MIN ? RATE_MIN : vs.rate / 2;
			break;
		default:
			break;
		}
	}
	pl_model_free(&ended);
	return result;
}

/* ------------------------------------------------------------------ */
/* --replay: a recorded run, played in the same screen.                */


/* The recording, read line by line by the library's reader (pl_record.h,
 * which proclab-export uses too): a time that goes back is refused. The
 * whole file is read once before anything is shown (replay_open), so
 * that a bad line stops the replay with one error that names it, and then
 * again as it plays. */
struct replay {
	const char *path;
	FILE *in;
	struct pl_record_reader reader;
	struct pl_history_event next;
	bool have_next; /* NEXT is read but not applied */
	bool done;      /* no more events */
	double end_t; /* the time of the last event */
};

/* The next event, or 0 at the end. A bad line ends the program: the
 * file was checked, so that can only be a file changed under us. */
static int
replay_read(struct replay *r, struct pl_history_event *e, char *why, size_t why_size)
{
	int got = pl_record_read(&r->reader, r->in, e);

	if (got == -1)
		snprintf(why, why_size, "%s",
		         errno == EINVAL ? pl_record_error(&r->reader, NULL) : strerror(errno));
	return got;
}

static _Noreturn void
replay_die(const struct replay *r, const char *why)
{
	char path[256], reason[256];

	/* The path was typed, the reason may quote the file: one clean line. */
	snprintf(path, sizeof(path), "%s", r->path);
	snprintf(reason, sizeof(reason), "%s", why);
	pl_opts_printable(path);
	pl_opts_printable(reason);
	cleanup();
	if (r->reader.line > 0)
		fprintf(stderr, "%s: %s, line %lu: %s\n", program, path, r->reader.line, reason);
	else
		fprintf(stderr, "%s: %s: %s\n", program, path, reason);
	exit(2);
}

static void
replay_open(struct replay *r, const char *path)
{
	struct pl_history_event e;
	char why[256];
	int got;

	memset(r, 0, sizeof(*r));
	r->path = path;
	pl_record_init(&r->reader, false);
	if ((r->in = fopen(path, "re")) == NULL) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		replay_die(r, why);
	}
	while ((got = replay_read(r, &e, why, sizeof(why))) == 1)
		continue;
	if (got == -1)
		replay_die(r, why);
	rewind(r->in);
	r->end_t = r->reader.last_t;
	pl_record_free(&r->reader);
	pl_record_init(&r->reader, false);
}

/* Apply every event up to time UNTIL, or (UNTIL < 0) the events of the
 * next refresh: those that share its time. Returns false at the end. */
static bool
replay_step(struct replay *r, double until)
{
	char why[256];
	double t = -1;

	for (;;) {
		if (!r->have_next) {
			int got = replay_read(r, &r->next, why, sizeof(why));
			if (got == -1)
				replay_die(r, why);
			if (got == 0) {
				r->done = true;
				return false;
			}
			r->have_next = true;
		}
		if (until >= 0 ? r->next.t > until : (t >= 0 && r->next.t != t))
			return true;
		t = r->next.t;
		if (pl_history_apply(&history, &r->next) == -1) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			replay_die(r, why);
		}
		r->have_next = false;
		if (r->next.type == PL_HISTORY_HEADER && until < 0)
			return true; /* a step of its own, before the first refresh */
	}
}

static int
replay_plain(struct replay *r, struct pl_model *m)
{
	struct plain out = { 0 };
	int rc = 0;

	/* The header, then a refresh at a time, as the live run printed them. */
	replay_step(r, -1);
	for (;;) {
		bool more = replay_step(r, -1);

		if (pl_history_model(&history, m, false) == -1 ||
		    plain_print(&out, m, history.command) == -1) {
			rc = 1;
			break;
		}
		if (!more)
			break;
	}
	if (rc == 0)
		plain_end();
	free(out.last);
	return rc;
}

static int
replay_screen(struct replay *r, struct pl_model *m, const struct options *o)
{
	struct dash_view_state vs = { .color = !o->no_color, .rate = 10, .history = &history,
		                      .timeline_end = -1 };
	double speed = o->speed, clock = 0, last = now_seconds(), end = r->end_t;
	bool playing = false;
	char title[300], where[128];

	/* The header: the command's name for the title. */
	replay_step(r, -1);
	snprintf(title, sizeof(title), "replay of %s", history.command);
	vs.title = title;
	for (;;) {
		double now = now_seconds();
		int key;

		if (playing) {
			clock += (now - last) * speed;
			if (!replay_step(r, clock))
				playing = false;
		}
		last = now;
		vs.ended = r->done && history.ended;
		if (pl_history_model(&history, m, vs.ended) == -1)
			return 1;
		snprintf(where, sizeof(where), "REPLAY %.1f s of %.1f s | x%g | %s",
		         history.now, end, speed,
		         r->done ? "the end" : playing ? "playing" : "paused: n steps");
		vs.replay = where;
		if (vs.selected == 0 || pl_model_find(m, vs.selected) == NULL)
			vs.selected = selected_after(m, 0, 0);
		dash_view_draw(m, &vs);
		key = dash_view_key(playing ? 50 : 500);
		if (stop_signal)
			break;
		if (key == ERR || key == KEY_RESIZE)
			continue;
		if (vs.help) {
			vs.help = false;
			continue;
		}
		if (view_key(&vs, m, key))
			continue;
		switch (key) {
		case 'q':
		case 'Q':
			return 0;
		case '?':
		case 'h':
			vs.help = true;
			break;
		case ' ':
			playing = !playing && !r->done;
			clock = history.now;
			break;
		case 'n':
		case '.':
			playing = false;
			replay_step(r, -1);
			clock = history.now;
			break;
		case '+':
		case '=':
			speed = speed * 2 > SPEED_MAX ? SPEED_MAX : speed * 2;
			break;
		case '-':
			speed = speed / 2 < SPEED_MIN ? SPEED_MIN : speed / 2;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int
replay(const struct options *o)
{
	struct replay r;
	struct pl_model m;
	bool plain = o->plain || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO);
	int rc;

	replay_open(&r, o->replay);
	if (pl_model_init(&m, "/proc", 0) == -1) {
		fprintf(stderr, "%s: %s\n", program, strerror(errno));
		return 1;
	}
	if (!plain) {
		if (dash_view_start(!o->no_color) == 0)
			run.curses = true;
		else
			plain = true;
	}
	rc = plain ? replay_plain(&r, &m) : replay_screen(&r, &m, o);
	cleanup();
	pl_model_free(&m);
	pl_history_free(&history);
	fclose(r.in);
	pl_record_free(&r.reader);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct pl_model m;
	char title[256];
	const char *no_color = getenv("NO_COLOR");
	bool plain;
	int rc;

	/* The user's character set, so that ncurses draws UTF-8 names and
	 * wcwidth knows their widths (text.h). LC_CTYPE only: LC_NUMERIC
	 * would make "--rate 2.5" and the snapshots' "t=1.5s" use a comma. */
	setlocale(LC_CTYPE, "");
	parse_options(argc, argv, &o);
	if (o.list)
		return list_demos();
	if (no_color != NULL && no_color[0] != '\0')
		o.no_color = true;
	pl_history_init(&history);
	if (o.replay != NULL) {
		install_signals();
		atexit(cleanup);
		return replay(&o);
	}
	plain = o.plain || o.once || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO);
	install_signals();
	atexit(cleanup);
	/* The model keeps two /proc files open per watched process: allow as
	 * many descriptors as we may (it reopens files when it runs out). */
	struct rlimit files;
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
		run.caller_files = files;
		files.rlim_cur = files.rlim_max;
		run.files_raised = setrlimit(RLIMIT_NOFILE, &files) == 0;
	}

	if (o.record == NULL && (o.trace != NULL || o.svg != NULL)) {
		/* Pictures without --record: the run is recorded to a file of
		 * our own with no name (tmpfile: unlinked at once), drawn from
		 * at the end, and gone when closed. */
		record_file = tmpfile();
		if (record_file == NULL) {
			fprintf(stderr, "%s: a file for the pictures: %s\n", program, strerror(errno));
			return 1;
		}
	}
	if (o.record != NULL) {
		/* The user's file, made as any file the user makes (umask). */
		record_file = fopen(o.record, "we");
		if (record_file == NULL) {
			char path[256];
			snprintf(path, sizeof(path), "%s", o.record);
			pl_opts_printable(path);
			fprintf(stderr, "%s: --record: %s: %s\n", program, path, strerror(errno));
			return 1;
		}
	}
	run.started = now_seconds();
	if (o.command != NULL) {
		/* A board for the demo; old ones whose dashboard died go first. */
		pl_board_clean_stale("/dev/shm");
		run.board = pl_board_create(run.board_name, sizeof(run.board_name));
		if ((run.child = start_command(o.command, o.demo)) == -1) {
			fprintf(stderr, "%s: fork: %s\n", program, strerror(errno));
			return 1;
		}
		snprintf(title, sizeof(title), "%s%s (pid %ld)", o.demo ? "proclab-" : "",
		         o.demo ? o.demo : o.command[0], (long)run.child);
	} else {
		snprintf(title, sizeof(title), "pid %ld", (long)o.attach);
	}
	if (pl_model_init(&m, "/proc", o.command ? run.child : o.attach) == -1) {
		fprintf(stderr, "%s: %s\n", program, strerror(errno));
		return 1;
	}
	m.threads = o.threads;
	m.ipc = !o.no_ipc;
	m.board = run.board;
	if (record_file != NULL) {
		char started[64] = "";
		time_t wall = time(NULL);
		struct tm utc;

		if (gmtime_r(&wall, &utc) != NULL)
			strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &utc);
		if (pl_history_record(&history, record_file, title, o.rate, started) == -1) {
			fprintf(stderr, "%s: --record: %s\n", program, strerror(errno));
			return 1;
		}
	}
	if (o.command != NULL) {
		/* Our child is not reaped yet, so its PID is surely its own:
		 * its start time tells the model the root from a stranger. */
		struct pl_proc child;
		if (pl_procfs_read(run.child, &child) == 0)
			m.root_start = child.start;
	}

	if (!plain) {
		if (dash_view_start(!o.no_color) == 0)
			run.curses = true;
		else
			plain = true; /* TERM=dumb or unknown: text it is */
	}
	rc = plain ? loop_plain(&m, &o, title) : loop_screen(&m, &o, title);
	if (run.curses) {
		dash_view_end();
		run.curses = false;
	}
	end_run(&m);
	pl_history_end(&history, o.command != NULL && run.child_reaped, run.child_status);
	if (plain && !o.once)
		plain_end();
	if (record_file != NULL && (o.trace != NULL || o.svg != NULL) &&
	    draw_pictures(&o) == -1 && rc == 0)
		rc = 1;
	if (record_file != NULL) {
		if (fclose(record_file) == EOF && history.record_error == 0)
			history.record_error = errno;
		record_file = NULL;
		if (history.record_error != 0) {
			fprintf(stderr, "%s: --record: writing: %s\n", program,
			        strerror(history.record_error));
			if (rc == 0)
				rc = 1;
		}
	}
	pl_model_free(&m);
	pl_history_free(&history);
	cleanup();
	if (stop_signal) {
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return rc != 0 ? rc : exit_status();
}
