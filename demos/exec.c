/* exec.c - what exec() does: a new program in the same process.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. exec replaces the program but keeps the process: /proc/PID/exe and
 *      comm change from proclab-exec to cat, while the PID and the start
 *      time in /proc/PID/stat stay the same.
 *   2. the new program keeps its PID, its parent, descriptors opened without
 *      FD_CLOEXEC and ignored signals; it loses the old memory, descriptors
 *      marked FD_CLOEXEC and signal handlers (/proc/PID/maps, /proc/PID/fd,
 *      SigIgn and SigCgt in /proc/PID/status).
 *   3. exec returns only when it fails: a missing program makes the child
 *      exit 127, a file that cannot be run 126, as a shell reports them.
 *   4. fork + exec + wait is how a shell runs COMMAND: the parent learns
 *      whether exec worked from a close-on-exec channel, then waits.
 *   5. redirection is done between fork and exec: the child turns itself
 *      into `cat < pipe > FILE` with dup2(), /proc/PID/fd shows it, and the
 *      parent reads FILE back.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   child_prepares_then_execs()  the child sets up what exec keeps, then calls execvp()
 *   exec_failed()                after execvp() returns: it failed; exit 127 or 126
 *   exec_outcome()               a failed exec, told over a close-on-exec pipe
 *   run_like_a_shell()           fork, exec and wait, as a shell runs a command
 *   redirect()                   `cat < pipe > FILE`: dup2() between fork and exec
 *
 * Usage:     proclab-exec [--json] [--step] [--speed F] [[--] COMMAND [ARG...]]
 *            COMMAND (default: ls -l) is what step 4 runs.
 * Dashboard: `proclab exec` shows a child of the demo change its name from
 *            proclab-exec to cat under the same PID, sleep in pipe_read,
 *            and the command of step 4 appear and go.
 * Lesson:    lessons/02-exec.md
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define HEAR_TIMEOUT_MS 10000
#define MAX_FDS 64
#define MARKER "proclab-exec-memory"   /* a named buffer, to find in /proc/PID/maps */
#define MISSING_PROGRAM "proclab-no-such-program"
#define LINE_SENT "a line sent through the redirection\n"

static char *default_command[] = { "ls", "-l", NULL };
static char *cat_command[] = { "cat", NULL };

static const struct pl_demo demo = {
	.name = "exec",
	.summary = "exec() replaces the program and keeps the process; a shell forks, execs and waits.",
	.description = "Each claim is checked while the demo runs: the PID, program and memory\n"
	               "against /proc/PID/stat, exe and maps, descriptors against /proc/PID/fd,\n"
	               "signal dispositions against /proc/PID/status, and exit statuses against\n"
	               "wait(). Step 4 runs COMMAND (default: ls -l) as a shell does; under\n"
	               "--json its output goes to standard error, so standard output stays JSON.",
	.lesson = "02-exec.md",
	.operands = "[[--] COMMAND [ARG...]]",
};

/* ------------------------------------------------------------------ */
/* What /proc says about a process, beyond pl_procfs_read().             */

/* Everything steps 1 and 2 compare, before and after exec. */
struct snapshot {
	struct pl_proc proc;       /* /proc/PID/stat: pid, comm, ppid, start time */
	char exe[PATH_MAX];        /* /proc/PID/exe */
	struct pl_fd fds[MAX_FDS]; /* /proc/PID/fd */
	int nfds;
	unsigned long long ignored, caught; /* /proc/PID/status: SigIgn, SigCgt */
	int old_program_maps;      /* lines of /proc/PID/maps naming the old program */
	int marker_maps;           /* ... naming the buffer the old program made */
	int new_program_maps;      /* ... naming the program it runs now */
};

/* OLD_EXE is the program before exec; NULL when this is "before". */
static void
take_snapshot(pid_t pid, const char *old_exe, struct snapshot *s)
{
	if (pl_procfs_read(pid, &s->proc) != 0 || pl_procfs_exe(pid, s->exe, sizeof(s->exe)) != 0 ||
	    (s->nfds = pl_procfs_fds(pid, s->fds, MAX_FDS)) == -1 ||
	    pl_procfs_number(pid, "status", "SigIgn", 16, &s->ignored) != 0 ||
	    pl_procfs_number(pid, "status", "SigCgt", 16, &s->caught) != 0)
		pl_die("reading /proc/%ld", (long)pid);
	if (s->nfds > MAX_FDS)
		s->nfds = MAX_FDS;
	s->old_program_maps = pl_procfs_count_maps(pid, old_exe != NULL ? old_exe : s->exe);
	s->marker_maps = pl_procfs_count_maps(pid, "memfd:" MARKER);
	s->new_program_maps = pl_procfs_count_maps(pid, s->exe);
}

static bool
has_fd(const struct snapshot *s, long fd)
{
	for (int i = 0; i < s->nfds; i++)
		if (s->fds[i].fd == fd)
			return true;
	return false;
}

static void
fd_list(const struct snapshot *s, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < s->nfds; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, size - len, "%s%d", i ? " " : "", s->fds[i].fd);
	}
}

/* ------------------------------------------------------------------ */
/* exec, and how the parent learns whether it worked.                   */

/* In the child, just after execvp(): a successful exec never returns, so
 * getting here means it failed, and this code still belongs to the old
 * program. Tell the parent why (the channel to the parent is close-on-exec,
 * so a successful exec closes it unread), and exit as a shell does: 127 for
 * "not found", 126 for "found but cannot run". */
static noreturn void
exec_failed(const char *program, bool hold)
{
	int err = errno;

	pl_note("exec-returned",
	        PL_FIELDS(PL_STR("program", program), PL_INT("errno", err),
	                  PL_STR("errno_name", pl_errno_name(err))),
	        "execvp(\"%s\") returned -1: %s (%s)", program, strerror(err), pl_errno_name(err));
	pl_child_tell(&err, sizeof(err));
	if (hold)
		pl_child_hold(); /* stay while the parent looks at /proc */
	_exit(err == ENOENT ? 127 : 126);
}

/* In the parent: 0 if the child's exec worked (the channel closed without
 * a word), or the errno the child sent. Python's subprocess module learns
 * it the same way, from a close-on-exec pipe. */
static int
exec_outcome(pid_t pid)
{
	int err;

	if (pl_child_hear(pid, &err, sizeof(err), HEAR_TIMEOUT_MS) == 0)
		return err;
	if (errno != EPIPE)
		pl_die("hearing from child %ld", (long)pid);
	return 0;
}

/* Wait until PID runs COMM and sleeps: the new program has started and
 * blocks, as cat does reading an empty pipe. */
static void
wait_until_running(pid_t pid, const char *comm, struct pl_proc *proc)
{
	struct timespec tick = { 0, 1000000 };
	double deadline = pl_narrate_elapsed() + HEAR_TIMEOUT_MS / 1000.0;
	int rc;

	while ((rc = pl_procfs_wait_state(pid, "S", HEAR_TIMEOUT_MS, proc)) == 0 &&
	       strcmp(proc->comm, comm) != 0 && pl_narrate_elapsed() < deadline)
		nanosleep(&tick, NULL);
	if (rc == PL_PROCFS_GONE)
		errno = ESRCH;
	else if (rc == 0 && strcmp(proc->comm, comm) != 0)
		errno = ETIMEDOUT;
	else if (rc == 0)
		return;
	pl_die("waiting for child %ld to run %s", (long)pid, comm);
}

static int
reap(pid_t pid, char *how, size_t size)
{
	int status;

	if (pl_child_wait(pid, &status, 0) == -1)
		pl_die("waitpid");
	pl_status_describe(status, how, size);
	return status;
}

/* ------------------------------------------------------------------ */
/* Steps 1 and 2: one child, before and after it calls exec.            */

struct prepared {
	pid_t pid;      /* getpid() in the child, before exec */
	int kept_fd;    /* opened without FD_CLOEXEC */
	int closed_fd;  /* opened with FD_CLOEXEC */
};

static void
on_usr1(int sig)
{
	(void)sig;
}

/* The child gives exec something to keep and something to throw away. */
static noreturn void
child_prepares_then_execs(int stdin_pipe[2])
{
	struct sigaction handler = { .sa_handler = on_usr1 };
	struct prepared me;
	char *buffer;
	int memory;

	/* stdin from a pipe the parent holds, so cat will wait on it. */
	if (dup2(stdin_pipe[0], STDIN_FILENO) == -1)
		pl_die("dup2");
	close(stdin_pipe[0]);
	close(stdin_pipe[1]);
	me.pid = getpid();
	me.kept_fd = open("/dev/null", O_RDONLY);
	me.closed_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (me.kept_fd == -1 || me.closed_fd == -1)
		pl_die("open /dev/null");
	sigemptyset(&handler.sa_mask);
	if (sigaction(SIGUSR1, &handler, NULL) == -1 || signal(SIGHUP, SIG_IGN) == SIG_ERR)
		pl_die("sigaction");
	/* A page of memory with a name that /proc/PID/maps will show. */
	memory = memfd_create(MARKER, MFD_CLOEXEC);
	if (memory == -1 || ftruncate(memory, 4096) == -1)
		pl_die("memfd_create");
	buffer = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0);
	if (buffer == MAP_FAILED)
		pl_die("mmap");
	close(memory);
	snprintf(buffer, 4096, "the old program's data");

	pl_note("child-prepared",
	        PL_FIELDS(PL_INT("kept_fd", me.kept_fd), PL_INT("closed_fd", me.closed_fd)),
	        "ready to exec: fd %d plain, fd %d close-on-exec, a handler for SIGUSR1, "
	        "SIGHUP ignored, a buffer named " MARKER,
	        me.kept_fd, me.closed_fd);
	pl_child_tell(&me, sizeof(me));
	pl_child_hold(); /* until the parent has looked */
	execvp(cat_command[0], cat_command); /* cat, found through PATH */
	exec_failed(cat_command[0], false);
}

struct exec_run {
	pid_t pid;
	int to_stdin;               /* the parent's end of cat's stdin */
	struct prepared prepared;   /* what the child told */
	struct snapshot before, after;
};

static void
describe(const char *event, const char *when, const struct snapshot *s)
{
	pl_note(event,
	        PL_FIELDS(PL_INT("child", s->proc.pid), PL_STR("comm", s->proc.comm),
	                  PL_STR("exe", s->exe), PL_INT("ppid", s->proc.ppid),
	                  PL_INT("start", (long long)s->proc.start), PL_CHAR("state", s->proc.state),
	                  PL_STR("wchan", s->proc.wchan)),
	        "%-12s /proc/%ld/stat: comm %s, ppid %ld, started %llu ticks after boot",
	        when, (long)s->proc.pid, s->proc.comm, (long)s->proc.ppid, s->proc.start);
	pl_note("exe", PL_FIELDS(PL_INT("child", s->proc.pid), PL_STR("exe", s->exe)),
	        "%-12s /proc/%ld/exe -> %s, state %c%s%s", when, (long)s->proc.pid, s->exe,
	        s->proc.state, s->proc.wchan[0] ? " in " : "", s->proc.wchan);
}

static void
replace_the_program(struct exec_run *run)
{
	int in[2];

	pl_step("replace-program", NULL, "exec replaces the program, but the process stays");

	if (pipe2(in, O_CLOEXEC) == -1)
		pl_die("pipe");
	switch (run->pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		child_prepares_then_execs(in);
	default: /* Parent */
		close(in[0]);
		run->to_stdin = in[1];
	}

	if (pl_child_hear(run->pid, &run->prepared, sizeof(run->prepared), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)run->pid);
	if (pl_procfs_wait_state(run->pid, "S", HEAR_TIMEOUT_MS, &run->before.proc) != 0)
		pl_die("reading /proc/%ld/stat", (long)run->pid);
	take_snapshot(run->pid, NULL, &run->before);
	describe("before-exec", "before exec:", &run->before);
	pl_pause(1.0); /* time to see proclab-exec in the dashboard */

	pl_child_release(run->pid);
	if (exec_outcome(run->pid) != 0)
		pl_die("the child could not exec cat");
	pl_note("exec-called", PL_FIELDS(PL_STR("program", "cat")),
	        "the child called execvp(\"cat\"): its close-on-exec channel closed unread");
	wait_until_running(run->pid, "cat", &run->after.proc);
	take_snapshot(run->pid, run->before.exe, &run->after);
	describe("after-exec", "after exec:", &run->after);

	pl_check("same-pid", run->prepared.pid == run->pid && run->after.proc.pid == run->pid,
	         PL_FIELDS(PL_INT("before", run->prepared.pid),
	                   PL_INT("after", run->after.proc.pid)),
	         "the PID is still %ld: cat runs in the process that fork() made",
	         (long)run->prepared.pid);
	pl_check("same-start-time", run->after.proc.start == run->before.proc.start,
	         PL_FIELDS(PL_INT("before", (long long)run->before.proc.start),
	                   PL_INT("after", (long long)run->after.proc.start)),
	         "its start time is unchanged: exec made no new process");
	pl_check("program-replaced",
	         strcmp(run->before.exe, run->after.exe) != 0 &&
	                 strcmp(run->before.proc.comm, run->after.proc.comm) != 0,
	         PL_FIELDS(PL_STR("before", run->before.proc.comm),
	                   PL_STR("after", run->after.proc.comm)),
	         "the program changed: %s became %s", run->before.proc.comm, run->after.proc.comm);
	pl_pause(1.0); /* time to see cat, same PID, in the dashboard */
}

static void
kept_and_lost(struct exec_run *run)
{
	const struct snapshot *b = &run->before, *a = &run->after;
	int kept = run->prepared.kept_fd, closed = run->prepared.closed_fd;
	char before_fds[MAX_FDS * 4], after_fds[MAX_FDS * 4], target[PATH_MAX] = "";
	long before_numbers[MAX_FDS], after_numbers[MAX_FDS];
	struct pl_fd kept_fd;
	char how[96];
	int status;

	pl_step("kept-and-lost", NULL, "what the new program keeps, and what it loses");

	fd_list(b, before_fds, sizeof(before_fds));
	fd_list(a, after_fds, sizeof(after_fds));
	for (int i = 0; i < b->nfds; i++)
		before_numbers[i] = b->fds[i].fd;
	for (int i = 0; i < a->nfds; i++)
		after_numbers[i] = a->fds[i].fd;
	pl_note("fds", PL_FIELDS(PL_INTS("before", before_numbers, (size_t)b->nfds),
	                         PL_INTS("after", after_numbers, (size_t)a->nfds)),
	        "/proc/%ld/fd before exec: %s; after: %s", (long)run->pid, before_fds, after_fds);
	if (has_fd(a, kept) && pl_procfs_fd(run->pid, kept, &kept_fd) == 0)
		snprintf(target, sizeof(target), "%s", kept_fd.target);
	pl_check("keeps-open-fd", has_fd(b, kept) && has_fd(a, kept),
	         PL_FIELDS(PL_INT("fd", kept), PL_STR("target", target)),
	         "fd %d, opened without FD_CLOEXEC, is still open in cat: %s", kept, target);
	pl_check("closes-cloexec-fd", has_fd(b, closed) && !has_fd(a, closed),
	         PL_FIELDS(PL_INT("fd", closed)),
	         "fd %d, opened with FD_CLOEXEC, was closed by exec", closed);
	pl_check("keeps-pid-and-parent",
	         a->proc.pid == b->proc.pid && a->proc.ppid == b->proc.ppid && a->proc.ppid == getpid(),
	         PL_FIELDS(PL_INT("child", a->proc.pid), PL_INT("ppid", a->proc.ppid)),
	         "same PID %ld and same parent %ld before and after", (long)a->proc.pid,
	         (long)a->proc.ppid);

	pl_note("signals",
	        PL_FIELDS(PL_INT("caught_before", (long long)b->caught),
	                  PL_INT("caught_after", (long long)a->caught),
	                  PL_INT("ignored_before", (long long)b->ignored),
	                  PL_INT("ignored_after", (long long)a->ignored)),
	        "/proc/%ld/status: SigCgt 0x%016llx -> 0x%016llx, SigIgn 0x%016llx -> 0x%016llx",
	        (long)run->pid, b->caught, a->caught, b->ignored, a->ignored);
	pl_check("handler-reset", PL_SIGMASK_HAS(b->caught, SIGUSR1) && !PL_SIGMASK_HAS(a->caught, SIGUSR1),
	         NULL, "SIGUSR1 had a handler; after exec it has the default action again");
	pl_check("ignored-stays-ignored",
	         PL_SIGMASK_HAS(b->ignored, SIGHUP) && PL_SIGMASK_HAS(a->ignored, SIGHUP), NULL,
	         "SIGHUP was ignored, and is still ignored after exec (nohup relies on it)");

	pl_note("memory",
	        PL_FIELDS(PL_INT("old_program_before", b->old_program_maps),
	                  PL_INT("old_program_after", a->old_program_maps),
	                  PL_INT("marker_before", b->marker_maps),
	                  PL_INT("marker_after", a->marker_maps),
	                  PL_INT("new_program_after", a->new_program_maps)),
	        "/proc/%ld/maps: %d mappings of the old program and %d of its buffer before; "
	        "%d and %d after, and %d of %s",
	        (long)run->pid, b->old_program_maps, b->marker_maps, a->old_program_maps,
	        a->marker_maps, a->new_program_maps, a->proc.comm);
	pl_check("memory-replaced",
	         b->old_program_maps > 0 && b->marker_maps > 0 && a->old_program_maps == 0 &&
	                 a->marker_maps == 0 && a->new_program_maps > 0,
	         NULL, "none of the old program's memory is left: its code, data and buffer are gone");

	/* End of file on its stdin ends cat. */
	close(run->to_stdin);
	status = reap(run->pid, how, sizeof(how));
	pl_note("reaped", PL_FIELDS(PL_INT("child", run->pid),
	                            PL_INT("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1)),
	        "the parent closed cat's stdin; cat read end-of-file and %s", how);
	pl_check("new-program-ran", WIFEXITED(status) && WEXITSTATUS(status) == 0, NULL,
	         "the status is cat's own: the old program's code never ran again");
}

/* ------------------------------------------------------------------ */
/* Step 3: exec returns only when it fails.                             */

static void
exec_that_fails(char *program, int expected, const char *meaning, const char *own_exe)
{
	char *argv[] = { program, NULL };
	char exe[PATH_MAX] = "", how[96];
	struct pl_proc proc;
	int err, status;
	pid_t pid;

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		execvp(program, argv);
		exec_failed(program, true);
	default: /* Parent */
		break;
	}

	err = exec_outcome(pid);
	/* The child is held after its failed exec: what does it run now? */
	if (pl_procfs_wait_state(pid, "S", HEAR_TIMEOUT_MS, &proc) != 0 ||
	    pl_procfs_exe(pid, exe, sizeof(exe)) != 0)
		pl_die("reading /proc/%ld", (long)pid);
	pl_note("still-old-program", PL_FIELDS(PL_INT("child", pid), PL_STR("comm", proc.comm),
	                                       PL_STR("exe", exe)),
	        "after the failed exec, /proc/%ld still runs comm %s", (long)pid, proc.comm);
	pl_child_release(pid);
	status = reap(pid, how, sizeof(how));
	pl_note("reaped",
	        PL_FIELDS(PL_INT("child", pid), PL_STR("program", program),
	                  PL_INT("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1)),
	        "child %ld %s: a shell says \"%s\"", (long)pid, how, meaning);
	pl_check(expected == 127 ? "missing-program-127" : "not-executable-126",
	         err != 0 && strcmp(exe, own_exe) == 0 && WIFEXITED(status) &&
	                 WEXITSTATUS(status) == expected,
	         PL_FIELDS(PL_INT("errno", err), PL_INT("exit_status", WEXITSTATUS(status))),
	         "exec returned %s, the program stayed proclab-exec, and the child exited %d",
	         pl_errno_name(err), expected);
}

static void
exec_fails(void)
{
	char own_exe[PATH_MAX];

	pl_step("exec-fails", NULL, "exec returns only when it fails");
	if (pl_procfs_exe(getpid(), own_exe, sizeof(own_exe)) != 0)
		pl_die("reading /proc/self/exe");
	exec_that_fails(MISSING_PROGRAM, 127, "command not found", own_exe);
	exec_that_fails("/dev/null", 126, "permission denied", own_exe);
}

/* ------------------------------------------------------------------ */
/* Step 4: fork + exec + wait, as a shell runs a command.               */

static void
run_like_a_shell(char *const command[])
{
	char line[512] = "", how[96];
	int err, status, shell_status;
	pid_t pid;

	for (int i = 0; command[i] != NULL; i++) {
		size_t len = strlen(line);
		bool quote = command[i][0] == '\0' || strpbrk(command[i], " \t\"$") != NULL;

		snprintf(line + len, sizeof(line) - len, "%s%s%s%s", i ? " " : "", quote ? "'" : "",
		         command[i], quote ? "'" : "");
	}
	pl_step("shell-runs-command", PL_FIELDS(PL_STR("command", line)),
	        "fork + exec + wait, as a shell runs `%s`", line);

	switch (pid = pl_fork("command", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child: becomes the command. */
		int events = -1, saved;

		if (pl_narrate_get_config()->json) {
			/* The command writes to stderr, so stdout stays JSON Lines;
			 * a close-on-exec copy of stdout keeps our events going. */
			events = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
			if (events == -1 || dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
				pl_die("dup2");
		}
		execvp(command[0], command);
		saved = errno;
		if (events != -1)
			dup2(events, STDOUT_FILENO);
		errno = saved;
		exec_failed(command[0], false);
	}
	default: /* Parent: like a shell, wait for the command to end. */
		break;
	}

	err = exec_outcome(pid);
	status = reap(pid, how, sizeof(how));
	shell_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (err == 0)
		pl_note("exec-worked", PL_FIELDS(PL_INT("child", pid)),
		        "exec worked: the close-on-exec channel closed unread");
	pl_note("command-status",
	        PL_FIELDS(PL_INT("child", pid), PL_BOOL("exec_worked", err == 0),
	                  PL_INT("errno", err), PL_INT("shell_status", shell_status)),
	        "waitpid(%ld): %s; a shell sets $? to %d", (long)pid, how, shell_status);
	pl_check("shell-status", err == 0 || shell_status == (err == ENOENT ? 127 : 126),
	         PL_FIELDS(PL_INT("shell_status", shell_status)),
	         "the parent learned from exec and from wait what $? would say: %d", shell_status);
	pl_check("command-reaped", pl_procfs_read(pid, &(struct pl_proc){ 0 }) == PL_PROCFS_GONE,
	         NULL, "the command was reaped: /proc/%ld is gone", (long)pid);
}

/* ------------------------------------------------------------------ */
/* Step 5: redirection between fork and exec.                           */

static void
redirect(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[PATH_MAX], how[96];
	struct pl_fd cat_in, cat_out;
	char contents[256] = "", fd_path[64];
	struct stat cat_stdout, ours;
	struct pl_proc proc;
	bool same_file;
	sigset_t held;
	int file, in[2], status;
	ssize_t got;
	pid_t pid;

	pl_step("redirect", NULL, "redirection: between fork and exec the child sets up "
	                          "`cat < pipe > FILE` with dup2()");

	snprintf(path, sizeof(path), "%s/proclab-exec.XXXXXX",
	         tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir : "/tmp");
	/* The file needs its name until cat has opened it, as a shell's
	 * `> FILE` would. Until then a Ctrl-C is held off between making the
	 * name and registering it, and a SIGKILL, which no handler sees, is
	 * left to the guardian, another process, which removes the name if
	 * we die first (pl_cleanup.h). */
	if (pl_cleanup_guardian() == -1)
		pl_die("starting the guardian");
	pl_cleanup_hold(&held);
	if ((file = mkostemp(path, O_CLOEXEC)) == -1)
		pl_die("mkostemp %s", path);
	if (pl_cleanup_add(PL_CLEANUP_PATH, path) == -1) {
		unlink(path);
		pl_die("registering %s for removal", path);
	}
	pl_cleanup_release(&held);
	if (pipe2(in, O_CLOEXEC) == -1)
		pl_die("pipe");

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child: what the shell does for `cat < pipe > FILE`. */
		int out = open(path, O_WRONLY | O_TRUNC);

		if (out == -1 || dup2(in[0], STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1)
			pl_die("redirecting");
		close(out); /* dup2() cleared FD_CLOEXEC on 0 and 1 */
		execvp(cat_command[0], cat_command);
		exec_failed(cat_command[0], false);
	}
	default: /* Parent */
		close(in[0]);
	}

	if (exec_outcome(pid) != 0)
		pl_die("the child could not exec cat");
	wait_until_running(pid, "cat", &proc);
	if (pl_procfs_fd(pid, STDIN_FILENO, &cat_in) != 0 ||
	    pl_procfs_fd(pid, STDOUT_FILENO, &cat_out) != 0)
		pl_die("reading /proc/%ld/fd", (long)pid);
	/* The names may differ (a symlink in $TMPDIR): compare the files. */
	snprintf(fd_path, sizeof(fd_path), "/proc/%ld/fd/1", (long)pid);
	if (stat(fd_path, &cat_stdout) == -1 || fstat(file, &ours) == -1)
		pl_die("stat %s", fd_path);
	same_file = cat_stdout.st_dev == ours.st_dev && cat_stdout.st_ino == ours.st_ino;
	/* cat has the file open: the name is no longer needed. */
	unlink(path);
	pl_cleanup_forget(PL_CLEANUP_PATH, path);
	pl_note("redirected", PL_FIELDS(PL_INT("child", pid), PL_STR("stdin", cat_in.target),
	                                PL_STR("stdout", cat_out.target), PL_STR("file", path)),
	        "/proc/%ld/fd: 0 -> %s, 1 -> %s", (long)pid, cat_in.target, cat_out.target);
	pl_pause(1.0);

	if (write(in[1], LINE_SENT, strlen(LINE_SENT)) == -1)
		pl_die("writing to cat");
	close(in[1]);
	status = reap(pid, how, sizeof(how));
	got = pread(file, contents, sizeof(contents) - 1, 0);
	contents[got > 0 ? got : 0] = '\0';
	close(file);
	pl_note("file-contents",
	        PL_FIELDS(PL_INT("child", pid), PL_INT("bytes", (long long)got),
	                  PL_STR("contents", contents),
	                  PL_INT("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1)),
	        "the parent sent a line and closed the pipe; cat %s, and the file holds %zd bytes: %.*s",
	        how, got, (int)strcspn(contents, "\n"), contents);

	pl_check("stdout-is-the-file", same_file,
	         PL_FIELDS(PL_STR("stdout", cat_out.target), PL_INT("inode", (long long)ours.st_ino)),
	         "cat's fd 1 is the file: dup2() put it there and exec kept it");
	pl_check("file-holds-output", strcmp(contents, LINE_SENT) == 0 && WIFEXITED(status) &&
	                                      WEXITSTATUS(status) == 0,
	         NULL, "the file holds exactly the line sent: cat wrote there, not to the terminal");
}

/* ------------------------------------------------------------------ */

int
main(int argc, char *argv[])
{
	struct exec_run run;
	int first = pl_demo_init(argc, argv, &demo); /* COMMAND is optional */
	char **command = first < argc ? argv + first : default_command;

	replace_the_program(&run);
	kept_and_lost(&run);
	exec_fails();
	run_like_a_shell(command);
	redirect();

	return pl_demo_finish();
}
