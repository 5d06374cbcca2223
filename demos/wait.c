/* wait.c - waiting for children: what waitpid() reports, and the states
 * a process goes through before it is reaped.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. a child that exits becomes a zombie (Z in /proc/PID/stat) until
 *      waitpid() collects its exit code, packed in the status word;
 *   2. a child killed by a signal reports the signal instead, plus a "core
 *      dumped" bit when the kernel wrote a core file; a sleeping child (S)
 *      is shown with the kernel function it waits in (wchan);
 *   3. with WUNTRACED and WCONTINUED, waitpid() also reports a busy child
 *      (R) being stopped by SIGSTOP (T) and continued by SIGCONT;
 *   4. WNOHANG turns waitpid() into a poll: the parent does other work
 *      and asks again until the child is done;
 *   5. a child that runs too long gets SIGTERM after a timeout, and SIGKILL
 *      if it is still there after a grace period (one child obeys SIGTERM,
 *      one ignores it, as /proc/PID/status shows);
 *   6. a new child every second goes running -> sleeping -> zombie -> gone,
 *      so the states change live in the dashboard.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   reap()                waitpid(), and its status decoded
 *   report_status()       the W* macros of wait(2) on a status
 *   child_aborts()        a child killed by SIGABRT, with a core or without
 *   poll_with_wnohang()   waitpid(WNOHANG): the parent works while it polls
 *   wait_with_deadline()  waitpid() with a deadline
 *   time_out()            a child that never ends: SIGTERM, then SIGKILL
 *
 * Usage:     proclab-wait [--children N] [--code N] [--json] [--step] [--speed F]
 * Dashboard: `proclab wait` shows each child's state letter change: R while
 *            it computes, S in a read, T while stopped, Z until reaped.
 * Lesson:    lessons/03-wait.md
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "proclab.h"

#define MAX_CHILDREN 16
#define STATE_TIMEOUT_MS 10000 /* how long the kernel may take to change a state */
#define HEAR_TIMEOUT_MS 10000
#define GRACE_AT_LEAST 0.5     /* seconds: SIGTERM must have time to land */
#define POLL_CHILD_AT_LEAST 0.25

static long children_wanted = 3;
static long exit_code = 42;

static const struct pl_option options[] = {
	{ "children", 'n', PL_OPT_INT, "N", "children started one a second in step 6",
	  1, MAX_CHILDREN, &children_wanted },
	{ "code", 'c', PL_OPT_INT, "N", "the exit code of the child in step 1",
	  0, 255, &exit_code },
};

static const struct pl_demo demo = {
	.name = "wait",
	.summary = "waitpid() reports how each child ended; /proc shows its state until then.",
	.description = "Each claim is checked while the demo runs: exit codes, signals, core\n"
	               "dumps, stops and continues against the status waitpid() returns, and\n"
	               "the states R, S, T and Z against the letter in /proc/PID/stat.",
	.lesson = "03-wait.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* What every step uses: the status word decoded, and a state observed.  */

/* Decode a wait status with the W* macros of wait(2), and print it with
 * its raw value, so the class sees where each part of it lives. */
static void
report_status(const char *event, const char *who, pid_t pid, int status)
{
	char how[96];
	bool core = WIFSIGNALED(status) && WCOREDUMP(status);

	pl_status_describe(status, how, sizeof(how));
	pl_note(event,
	        PL_FIELDS(PL_INT("child", pid), PL_STR("who", who), PL_INT("status", status),
	                  PL_BOOL("exited", WIFEXITED(status)),
	                  PL_INT("exit_code", WIFEXITED(status) ? WEXITSTATUS(status) : -1),
	                  PL_BOOL("signaled", WIFSIGNALED(status)),
	                  PL_INT("signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0),
	                  PL_BOOL("core_dumped", core), PL_BOOL("stopped", WIFSTOPPED(status)),
	                  PL_INT("stop_signal", WIFSTOPPED(status) ? WSTOPSIG(status) : 0),
	                  PL_BOOL("continued", WIFCONTINUED(status)), PL_STR("meaning", how)),
	        "waitpid(%ld) (%s): status 0x%04x: %s", (long)pid, who,
	        (unsigned)status, how);
}

/* Wait until the kernel shows PID in one of STATES, then print the letter
 * it read. Dies if the state does not come in time: the demo is wrong. */
static struct pl_proc
observe_state(pid_t pid, const char *who, const char *states)
{
	struct pl_proc proc;
	int rc = pl_procfs_wait_state(pid, states, STATE_TIMEOUT_MS, &proc);

	if (rc == PL_PROCFS_GONE)
		pl_die("%s (pid %ld) vanished before state %s", who, (long)pid, states);
	if (rc != 0)
		pl_die("waiting for %s (pid %ld) to be in state %s", who, (long)pid, states);
	pl_note("state",
	        PL_FIELDS(PL_INT("child", pid), PL_STR("who", who), PL_CHAR("state", proc.state),
	                  PL_STR("name", pl_procfs_state_name(proc.state)),
	                  PL_STR("wchan", proc.wchan)),
	        "/proc/%ld/stat (%s): %c (%s)%s%s", (long)pid, who, proc.state,
	        pl_procfs_state_name(proc.state), proc.wchan[0] ? ", wchan " : "", proc.wchan);
	return proc;
}

/* Reap a child, die if waitpid() fails, and report the status. */
static int
reap(pid_t pid, const char *who, int wait_options)
{
	int status;

	if (pl_child_wait(pid, &status, wait_options) != pid)
		pl_die("waitpid for %s", who);
	report_status("status", who, pid, status);
	return status;
}

static bool
gone_from_proc(pid_t pid)
{
	struct pl_proc proc;

	return pl_procfs_read(pid, &proc) == PL_PROCFS_GONE;
}

/* What to give pl_pause() for a pause of SECONDS (divided by --speed) that
 * lasts at least AT_LEAST_REAL seconds all the same. For pauses that are
 * also deadlines for the kernel, so a fast --speed on a busy machine does
 * not make the demo fail. */
static double
at_least(double seconds, double at_least_real)
{
	double speed = pl_narrate_get_config()->speed;

	return seconds / speed > at_least_real ? seconds : at_least_real * speed;
}

/* ------------------------------------------------------------------ */
/* The children's parts.                                                 */

static volatile sig_atomic_t told_to_move_on;

static void
on_sigusr1(int sig)
{
	(void)sig;
	told_to_move_on = 1;
}

/* Compute until the parent sends SIGUSR1: the kernel shows R. The
 * handler is set before the child says it is ready. */
static void
compute_until_told(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	volatile unsigned long spins = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pl_child_tell("r", 1);
	while (!told_to_move_on)
		spins++;
}

static void
hear_ready(pid_t pid, const char *who)
{
	char ready;

	if (pl_child_hear(pid, &ready, 1, HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from %s (pid %ld)", who, (long)pid);
}

/* ------------------------------------------------------------------ */
/* Step 1: a normal exit. Until the parent waits, the child is a zombie. */

static void
normal_exit(void)
{
	int status;
	pid_t pid;

	pl_step("exit-code", PL_FIELDS(PL_INT("code", exit_code)),
	        "a child exits with code %ld; waitpid() collects it", exit_code);

	switch (pid = pl_fork("exits", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		pl_note("child-exits", PL_FIELDS(PL_INT("code", exit_code)),
		        "calling _exit(%ld)", exit_code);
		_exit((int)exit_code);
	default: /* Parent */
		break;
	}
	/* The child has exited, but nobody has waited for it yet. */
	observe_state(pid, "exited child", "Z");
	pl_pause(1.0);
	status = reap(pid, "exited child", 0);
	pl_check("exit-code-decoded", WIFEXITED(status) && WEXITSTATUS(status) == exit_code,
	         PL_FIELDS(PL_INT("status", status), PL_INT("expected", exit_code)),
	         "WIFEXITED is true and WEXITSTATUS is %ld: the code sits in bits 8 to 15 "
	         "(0x%04x)", exit_code, (unsigned)status);
	pl_check("zombie-gone-after-wait", gone_from_proc(pid), NULL,
	         "after waitpid() the zombie is gone from /proc");
}

/* ------------------------------------------------------------------ */
/* Step 2: killed by a signal, with and without a core dump.             */

/* Where would a core file go? core(5): a pattern starting with '|' pipes
 * it to a program; one with a '/' names a fixed place; anything else is a
 * file name in the dumping process's working directory. Only the last
 * lets the demo find the core and remove it. */
static bool
core_goes_to_cwd(char *pattern, size_t size)
{
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd == -1 ? -1 : read(fd, pattern, size - 1);

	if (fd != -1)
		close(fd);
	if (n <= 0) {
		snprintf(pattern, size, "unknown");
		return false;
	}
	pattern[n] = '\0';
	pattern[strcspn(pattern, "\n")] = '\0';
	return pattern[0] != '|' && strchr(pattern, '/') == NULL;
}

/* The child that aborts. It runs in DIR; with a core allowed, it raises
 * its soft RLIMIT_CORE (up to the hard limit: no privilege needed) and
 * asks for a small core (coredump_filter 0: no memory contents, see
 * core(5)). Otherwise it makes itself not dumpable, so nothing is written
 * or piped anywhere. */
static noreturn void
child_aborts(const char *dir, bool allow_core)
{
	struct rlimit limit = { 0, 0 };
	bool raised = false;

	if (chdir(dir) == -1)
		_exit(EXIT_FAILURE);
	if (allow_core && getrlimit(RLIMIT_CORE, &limit) == 0 && limit.rlim_max > 0) {
		int fd = open("/proc/self/coredump_filter", O_WRONLY | O_CLOEXEC);

		if (fd != -1) {
			raised = write(fd, "0", 1) == 1;
			close(fd);
		}
		limit.rlim_cur = limit.rlim_max;
		raised = raised && setrlimit(RLIMIT_CORE, &limit) == 0;
	}
	if (!raised) { /* no core anywhere: neither a file nor a pipe */
		limit.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &limit);
#ifdef HAVE_SYS_PRCTL_H
		prctl(PR_SET_DUMPABLE, 0);
#endif
	}
	pl_note("child-aborts", PL_FIELDS(PL_BOOL("core_allowed", raised)),
	        "calling abort(): SIGABRT, whose default action is to dump core (%s)",
	        raised                      ? "RLIMIT_CORE raised"
	        : allow_core && limit.rlim_max == 0 ? "hard RLIMIT_CORE is 0: dumping turned off"
	                                    : "dumping turned off");
	abort();
}

/* Remove what the kernel wrote in DIR, then DIR. Returns the bytes of
 * the core file found there, or -1 if there was none. */
static long long
remove_core_dir(const char *dir, char *core_name, size_t size)
{
	long long bytes = -1;
	DIR *d = opendir(dir);
	struct dirent *entry;

	core_name[0] = '\0';
	while (d != NULL && (entry = readdir(d)) != NULL) {
		char path[512];
		struct stat st;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		if (stat(path, &st) == 0 && bytes < 0) {
			bytes = (long long)st.st_size;
			snprintf(core_name, size, "%s", entry->d_name);
		}
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	if (rmdir(dir) == -1)
		pl_die("removing %s", dir);
	return bytes;
}

static void
core_dump(void)
{
	char pattern[256], dir[256], core_name[256];
	const char *tmp = getenv("TMPDIR");
	bool allow = core_goes_to_cwd(pattern, sizeof(pattern));
	sigset_t old;
	long long core_bytes;
	int status;
	pid_t pid;

	pl_note("core-pattern", PL_FIELDS(PL_STR("core_pattern", pattern), PL_BOOL("allow", allow)),
	        "/proc/sys/kernel/core_pattern is \"%s\": %s", pattern,
	        allow ? "a core goes to the child's directory, a private temp dir here"
	        : pattern[0] == '|' ? "cores are piped to that program, so this child "
	                              "will not dump one"
	                            : "cores go to a fixed place, so this child will not dump one");

	/* The directory is registered for removal, with the core in it, with
	 * no Ctrl-C between making it and registering it. A SIGKILL runs no
	 * code of ours: the guardian, another process started first, removes
	 * it then (pl_cleanup.h). */
	if (pl_cleanup_guardian() == -1)
		pl_die("starting the guardian");
	pl_cleanup_hold(&old);
	snprintf(dir, sizeof(dir), "%s/proclab-wait-core.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		pl_die("mkdtemp %s", dir);
	if (pl_cleanup_add(PL_CLEANUP_DIR, dir) == -1) {
		rmdir(dir);
		pl_die("registering %s for removal", dir);
	}
	pl_cleanup_release(&old);
	switch (pid = pl_fork("aborts", 0)) {
	case -1:
		rmdir(dir);
		pl_die("fork");
	case 0: /* Child */
		child_aborts(dir, allow);
	default: /* Parent */
		break;
	}
	status = reap(pid, "aborting child", 0);
	core_bytes = remove_core_dir(dir, core_name, sizeof(core_name));
	pl_cleanup_forget(PL_CLEANUP_DIR, dir);

	bool dumped = WIFSIGNALED(status) && WCOREDUMP(status);
	char found[320] = "the kernel wrote no core file";
	if (core_bytes >= 0)
		snprintf(found, sizeof(found),
		         "the kernel wrote \"%s\", %lld bytes, which the demo has removed",
		         core_name, core_bytes);
	pl_note("core-file",
	        PL_FIELDS(PL_BOOL("core_dumped", dumped), PL_INT("core_bytes", core_bytes),
	                  PL_STR("core_name", core_name)),
	        "WCOREDUMP is %s; %s", dumped ? "true" : "false", found);
	pl_check("killed-by-sigabrt", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	         PL_FIELDS(PL_INT("status", status)),
	         "WIFSIGNALED is true and WTERMSIG is %d (SIGABRT)", SIGABRT);
	pl_check("core-bit-matches-file", dumped == (core_bytes >= 0),
	         PL_FIELDS(PL_BOOL("core_dumped", dumped), PL_BOOL("core_file", core_bytes >= 0)),
	         "the core-dumped bit (0x80) is %s, and a core file was %s", dumped ? "set" : "clear",
	         core_bytes >= 0 ? "there" : "not there");
}

static void
killed_by_signal(void)
{
	int status;
	pid_t pid;

	pl_step("killed-by-signal", NULL,
	        "a child killed by a signal: waitpid() reports the signal, and any core dump");

	switch (pid = pl_fork("reader", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: block in a read */
		pl_child_tell("r", 1);
		pl_child_hold();
		_exit(EXIT_SUCCESS);
	default: /* Parent */
		break;
	}
	hear_ready(pid, "reading child");
	observe_state(pid, "reading child", "S"); /* blocked in read(2) */
	pl_pause(1.0);
	if (kill(pid, SIGKILL) == -1)
		pl_die("kill");
	status = reap(pid, "reading child", 0);
	pl_check("killed-by-sigkill",
	         WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !WCOREDUMP(status),
	         PL_FIELDS(PL_INT("status", status)),
	         "WIFSIGNALED is true and WTERMSIG is %d (SIGKILL), in the low 7 bits; no core",
	         SIGKILL);

	core_dump();
}

/* ------------------------------------------------------------------ */
/* Step 3: stopped and continued, with WUNTRACED and WCONTINUED.          */

static void
stop_and_continue(void)
{
	int stopped, continued;
	pid_t pid;

	pl_step("stop-continue", NULL,
	        "a busy child is stopped and continued; WUNTRACED and WCONTINUED report it");

	switch (pid = pl_fork("busy", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		compute_until_told();
		_exit(EXIT_SUCCESS);
	default: /* Parent */
		break;
	}
	hear_ready(pid, "busy child");
	observe_state(pid, "busy child", "R");
	pl_pause(1.0);

	kill(pid, SIGSTOP);
	stopped = reap(pid, "busy child", WUNTRACED);
	observe_state(pid, "busy child", "T");
	pl_check("stopped-reported", WIFSTOPPED(stopped) && WSTOPSIG(stopped) == SIGSTOP,
	         PL_FIELDS(PL_INT("status", stopped)),
	         "with WUNTRACED, WIFSTOPPED is true and WSTOPSIG is %d (SIGSTOP); "
	         "the child is still there", SIGSTOP);
	pl_pause(1.0);

	kill(pid, SIGCONT);
	continued = reap(pid, "busy child", WCONTINUED);
	if (WIFEXITED(continued) || WIFSIGNALED(continued)) { /* killed while stopped? */
		pl_check("continued-reported", false, PL_FIELDS(PL_INT("status", continued)),
		         "waitpid() reported an end, not a continue: someone killed the child");
		return;
	}
	observe_state(pid, "busy child", "R");
	pl_check("continued-reported", WIFCONTINUED(continued),
	         PL_FIELDS(PL_INT("status", continued)),
	         "with WCONTINUED, WIFCONTINUED is true (status 0xffff), and it runs again");
	pl_pause(1.0);

	kill(pid, SIGUSR1); /* done: let it exit */
	reap(pid, "busy child", 0);
}

/* ------------------------------------------------------------------ */
/* Step 4: WNOHANG. waitpid() returns 0 at once while the child runs,    */
/* so the parent can do something useful between the questions.         */

/* One unit of "other work": count the primes in [from, from + 2000). */
static long
count_primes(long from)
{
	long found = 0;

	for (long n = from < 2 ? 2 : from; n < from + 2000; n++) {
		bool prime = true;
		for (long d = 2; d * d <= n && prime; d++)
			prime = n % d != 0;
		found += prime;
	}
	return found;
}

static void
poll_with_wnohang(void)
{
	long polls = 0, units = 0, primes = 0;
	char first_state = '?';
	int status;
	pid_t pid, got;

	pl_step("wnohang", NULL, "waitpid(WNOHANG) polls: the parent works while the child runs");

	switch (pid = pl_fork("sleeper", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: a job that takes a while */
		pl_pause(at_least(1.0, POLL_CHILD_AT_LEAST));
		_exit(EXIT_SUCCESS);
	default: /* Parent */
		break;
	}
	while ((got = pl_child_wait(pid, &status, WNOHANG)) == 0) {
		polls++;
		if (polls == 1) { /* waitpid said "not yet": does the kernel agree? */
			struct pl_proc proc;
			if (pl_procfs_read(pid, &proc) == 0)
				first_state = proc.state;
		}
		primes += count_primes(units * 2000);
		units++;
		pl_board_count("polls", polls); /* live in the dashboard */
	}
	if (got == -1)
		pl_die("waitpid");
	polls++; /* the last one, which returned the child */
	pl_note("polled",
	        PL_FIELDS(PL_INT("polls", polls), PL_INT("units", units), PL_INT("primes", primes),
	                  PL_CHAR("first_state", first_state)),
	        "%ld polls; between them the parent counted %ld primes below %ld", polls, primes,
	        units * 2000);
	report_status("status", "sleeping child", pid, status);
	pl_check("wnohang-returned-zero", units > 0 && strchr("RSD", first_state) != NULL,
	         PL_FIELDS(PL_INT("zero_returns", units)),
	         "waitpid(WNOHANG) returned 0 %ld times while /proc showed the child alive (%c)",
	         units, first_state);
	pl_check("wnohang-then-status", WIFEXITED(status) && WEXITSTATUS(status) == 0, NULL,
	         "then it returned the child's PID and its exit status");
}

/* ------------------------------------------------------------------ */
/* Step 5: a child that runs too long.                                    */

/* Does /proc/PID/status say PID ignores SIG? (The SigIgn mask, in hex.) */
static bool
ignores_signal(pid_t pid, int sig)
{
	unsigned long long mask;

	return pl_procfs_number(pid, "status", "SigIgn", 16, &mask) == 0 &&
	       PL_SIGMASK_HAS(mask, sig);
}

/* waitpid() with a deadline: poll with WNOHANG, as in step 4. Returns the
 * PID, or 0 if the child is still running after SECONDS (real time). */
static pid_t
wait_with_deadline(pid_t pid, double seconds, int *status)
{
	struct timespec nap = { 0, 5000000 }, start, now;
	pid_t got;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if ((got = pl_child_wait(pid, status, WNOHANG)) != 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >=
		    seconds)
			break;
		nanosleep(&nap, NULL);
	}
	if (got == -1)
		pl_die("waitpid");
	return got;
}

/* Run one child that never finishes: TERM, then KILL. Returns the signal
 * that ended it. */
static int
time_out(const char *who, bool ignore_term)
{
	double speed = pl_narrate_get_config()->speed;
	double timeout = 1.0 / speed, grace = at_least(1.0, GRACE_AT_LEAST) / speed;
	int status;
	pid_t pid;

	switch (pid = pl_fork(who, PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: a job that never ends */
		if (ignore_term)
			signal(SIGTERM, SIG_IGN);
		pl_child_tell("r", 1);
		for (;;)
			pause();
	default: /* Parent */
		break;
	}
	hear_ready(pid, who);
	bool ignoring = ignores_signal(pid, SIGTERM);
	pl_note("sigign", PL_FIELDS(PL_INT("child", pid), PL_STR("who", who),
	                            PL_BOOL("ignores_sigterm", ignoring)),
	        "/proc/%ld/status: SIGTERM is %sin its SigIgn mask", (long)pid,
	        ignoring ? "" : "not ");

	if (wait_with_deadline(pid, timeout, &status) != 0)
		pl_die("%s ended on its own", who);
	struct pl_proc proc = observe_state(pid, who, "RSD");
	pl_note("timeout", PL_FIELDS(PL_INT("child", pid), PL_STR("who", who),
	                             PL_DOUBLE("seconds", timeout), PL_CHAR("state", proc.state)),
	        "still running after the %.2f s timeout: send SIGTERM, allow %.2f s", timeout,
	        grace);
	kill(pid, SIGTERM);
	if (wait_with_deadline(pid, grace, &status) == 0) {
		proc = observe_state(pid, who, "RSD");
		pl_note("grace-over", PL_FIELDS(PL_INT("child", pid), PL_STR("who", who),
		                                PL_CHAR("state", proc.state)),
		        "still running after the %.2f s grace period: send SIGKILL", grace);
		kill(pid, SIGKILL);
		pl_child_wait(pid, &status, 0);
	}
	report_status("status", who, pid, status);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void
too_long(void)
{
	int polite, stubborn;

	pl_step("timeout", NULL,
	        "children that run too long: SIGTERM after a timeout, SIGKILL after a grace period");

	polite = time_out("polite child", false);
	pl_check("sigterm-was-enough", polite == SIGTERM, PL_FIELDS(PL_INT("signal", polite)),
	         "the polite child ended on SIGTERM, within the grace period");
	stubborn = time_out("stubborn child", true);
	pl_check("sigkill-was-needed", stubborn == SIGKILL, PL_FIELDS(PL_INT("signal", stubborn)),
	         "the stubborn child ignored SIGTERM and ended only on SIGKILL");
}

/* ------------------------------------------------------------------ */
/* Step 6: one child a second. Each spends a second running (R), one     */
/* blocked in a read (S), one exited but not waited for (Z), and then    */
/* it is reaped; so at any moment the dashboard shows all three states.  */

static void
one_a_second(int n)
{
	pid_t pids[MAX_CHILDREN];
	char letters[MAX_CHILDREN][4] = { { 0 } };
	int right = 0;

	pl_step("one-a-second", PL_FIELDS(PL_INT("children", n)),
	        "a new child every second: running, sleeping, zombie, reaped");

	for (int second = 0; second < n + 3; second++) {
		int young = second, middle = second - 1, old = second - 2, done = second - 3;
		char who[32];

		pl_note("second", PL_FIELDS(PL_INT("second", second)), "second %d:", second);
		if (young < n) {
			switch (pids[young] = pl_fork("lifecycle", PL_FORK_CHANNEL)) {
			case -1:
				pl_die("fork");
			case 0: /* Child: runs, then reads, then exits */
				compute_until_told();
				pl_child_hold();
				_exit(young + 1);
			default: /* Parent */
				break;
			}
			snprintf(who, sizeof(who), "child %d", young + 1);
			hear_ready(pids[young], who);
			letters[young][0] = observe_state(pids[young], who, "R").state;
		}
		if (middle >= 0 && middle < n) {
			snprintf(who, sizeof(who), "child %d", middle + 1);
			kill(pids[middle], SIGUSR1); /* stop computing: go and read */
			letters[middle][1] = observe_state(pids[middle], who, "S").state;
		}
		if (old >= 0 && old < n) {
			snprintf(who, sizeof(who), "child %d", old + 1);
			pl_child_release(pids[old]); /* the read returns; it exits */
			letters[old][2] = observe_state(pids[old], who, "Z").state;
		}
		if (done >= 0 && done < n) {
			snprintf(who, sizeof(who), "child %d", done + 1);
			int status = reap(pids[done], who, 0);
			if (WIFEXITED(status) && WEXITSTATUS(status) == done + 1 &&
			    strcmp(letters[done], "RSZ") == 0 && gone_from_proc(pids[done]))
				right++;
		}
		if (second < n + 2)
			pl_pause(1.0);
	}
	pl_check("each-went-r-s-z", right == n, PL_FIELDS(PL_INT("children", n), PL_INT("right", right)),
	         "each of the %d children was seen R, then S, then Z, then reaped with its number", n);
}

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);

	normal_exit();
	killed_by_signal();
	stop_and_continue();
	poll_with_wnohang();
	too_long();
	one_a_second((int)children_wanted);

	return pl_demo_finish();
}
