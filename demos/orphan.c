/* orphan.c - a child outlives its parent: who adopts it, and how it ends.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. three generations: this process forks a parent, which forks a child;
 *      the child's getppid() and /proc/CHILD/stat name the parent.
 *   2. the parent exits first and the child keeps running. Its ppid changes
 *      at once: in getppid() and /proc/self/stat read by the child, and in
 *      /proc/CHILD/stat read from outside.
 *   3. the new parent is not the grandparent. The kernel walks up from the
 *      dead parent to the nearest ancestor marked as a child subreaper, or
 *      else to init, PID 1 of the PID namespace (kernel/exit.c,
 *      find_new_reaper()). The demo names the new parent from /proc. With
 *      --subreaper this process marks itself (PR_SET_CHILD_SUBREAPER) and
 *      adopts its own grandchild instead.
 *   4. the orphan ends on its own: alarm(2) ends it --lifetime seconds after
 *      it was orphaned, and its new parent reaps it.
 * With --thread the parent forks the child from a second thread, which then
 * ends while the parent process lives on. The kernel records a thread, not
 * a process, as a child's parent: it gives the child to another live
 * thread of the same process first (kernel/exit.c, find_alive_thread() in
 * find_new_reaper()), so getppid() does not change; and it sends the
 * child its parent-death signal all the same, because PR_SET_PDEATHSIG
 * fires when the THREAD that forked it ends (prctl(2)).
 * With --stopped the parent plays a login shell (a session leader) and the
 * child a job stopped with Ctrl-Z. When the parent exits, the job's process
 * group is orphaned with a stopped member, so the kernel sends it SIGHUP and
 * SIGCONT (kernel/exit.c, kill_orphaned_pgrp()); the child catches both.
 *
 * pl_fork() asks the kernel to kill a child when its parent dies
 * (PR_SET_PDEATHSIG). Surviving its parent is this child's whole point, so
 * it clears that, and bounds its own life instead: its alarm, and
 * end-of-file on its line to this process, so that Ctrl-C or SIGKILL of
 * the demo still ends it at once.
 *
 * Where the concept is (first in the file; the steps after it prove it):
 *   parent_part()          the parent forks the child, then exits first
 *   fork_the_child()       fork() as a switch; the child runs child_part()
 *   child_part()           the child undoes its death signal, waits to be
 *                          orphaned, then bounds its own life with alarm(2)
 *   wait_for_new_parent()  nothing tells an orphan: it sees getppid() change
 *   clear_death_signal()   PR_SET_PDEATHSIG 0: it may outlive its parent
 *   become_subreaper()     PR_SET_CHILD_SUBREAPER: orphans below come here
 *   set_death_signal()     --thread: a signal when the forking thread ends
 *   forking_thread()       --thread: a second thread of the parent forks
 *
 * Usage:     proclab-orphan [--subreaper] [--stopped] [--thread] [--lifetime S] [--json]
 *                [--step] [--speed F]
 * Dashboard: `proclab orphan` shows three generations; then the parent
 *            vanishes and the child moves under its new parent (--stopped:
 *            the child is T, stopped, until its parent exits).
 * Lesson:    lessons/05-orphan.md
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "proclab.h"

#define HEAR_TIMEOUT_MS 10000
#define MAX_ANCESTORS 32
#define END_SLACK 1.0 /* seconds a busy machine may take to end a process */
#define MAX_CAUGHT 4
#define ADOPTER_GRACE_MS 3000 /* how long we watch the new parent reap, at most */

static bool want_subreaper, want_stopped, want_thread;
static long lifetime = 3;

static const struct pl_option options[] = {
	{ "subreaper", 0, PL_OPT_FLAG, NULL,
	  "this process becomes a child subreaper, and adopts its grandchild", 0, 0,
	  &want_subreaper },
	{ "stopped", 0, PL_OPT_FLAG, NULL,
	  "the child is a stopped job when its parent exits: see SIGHUP and SIGCONT", 0, 0,
	  &want_stopped },
	{ "thread", 0, PL_OPT_FLAG, NULL,
	  "a second thread of the parent forks the child, then ends: see the death signal fire", 0,
	  0, &want_thread },
	{ "lifetime", 'l', PL_OPT_INT, "SECONDS",
	  "the orphan's alarm: how long it lives on once orphaned", 1, 60, &lifetime },
};

static const struct pl_demo demo = {
	.name = "orphan",
	.summary = "A child outlives its parent, and the kernel gives it a new parent.",
	.description = "Each claim is checked while the demo runs: the child's ppid before and\n"
	               "after, from getppid() and /proc; the new parent, named from /proc; and\n"
	               "the orphan's end, watched in /proc, when its own alarm goes off.",
	.lesson = "05-orphan.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* What this process, the grandparent, knows about its family. */
struct family {
	pid_t parent, child, new_parent;
	int line;                       /* our end of the line to the child */
	unsigned long long child_start; /* /proc start time: tells a reused PID */
	long ancestors[MAX_ANCESTORS];  /* this process, its parent, ... PID 1 */
	char names[MAX_ANCESTORS][64];
	int nancestors;
	bool subreaper;   /* this process, per the kernel */
	int death_signal; /* the child's, once it got ready */
	double armed_at;  /* when the child set its alarm */
	double alive_at;  /* when we last saw it alive */
};

/* What the child reports, at birth and once it has a new parent. */
struct birth_report {
	pid_t getpid, getppid, proc_ppid;
};

struct ready_report {
	int death_signal;
};

/* --thread: what the child saw when the thread that forked it ended. */
struct thread_report {
	int signal, code; /* the signal caught, and its si_code */
	pid_t sender;     /* its si_pid */
	pid_t getppid, proc_ppid;
};

struct adoption_report {
	pid_t getppid, proc_ppid;
	double armed_at;
	int caught, signals[MAX_CAUGHT], codes[MAX_CAUGHT];
};

/* ================================================================== */
/* The concept. These functions are the whole mechanism; the steps     */
/* after them run it, and prove from the kernel what it did.           */

static void set_signal(int sig, bool record);
static void report_birth(int line);
static void report_armed(int armed);
static void thread_ended(int line, pid_t parent);
static void report_ready(int line, int death_signal);
static void report_stopping(void);
static void report_adoption(int line, pid_t parent, double armed_at);
static noreturn void live_until_alarm(int line);

/* prctl(2) is Linux's. Without it nothing sets a death signal, and
 * there are no subreapers: orphans go to init. */

/* Mark this process a child subreaper: an orphan below it is given to
 * it, not to init (kernel/exit.c, find_new_reaper()). */
static int
become_subreaper(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
	return prctl(PR_SET_CHILD_SUBREAPER, 1);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static bool
is_subreaper(void)
{
	int flag = 0;
#ifdef PR_GET_CHILD_SUBREAPER
	prctl(PR_GET_CHILD_SUBREAPER, &flag);
#endif
	return flag != 0;
}

/* Ask for SIG when the thread that forked us ends; what the kernel holds. */
static int
set_death_signal(int sig)
{
	int now = 0;
#ifdef PR_SET_PDEATHSIG
	prctl(PR_SET_PDEATHSIG, sig);
	prctl(PR_GET_PDEATHSIG, &now);
#else
	(void)sig;
#endif
	return now;
}

static int
clear_death_signal(void)
{
	int sig = 0;
#ifdef PR_SET_PDEATHSIG
	prctl(PR_SET_PDEATHSIG, 0);
	prctl(PR_GET_PDEATHSIG, &sig);
#endif
	return sig; /* what the kernel now holds: 0 */
}

/* Poll getppid() every millisecond until the kernel gives us another
 * parent. Nothing tells a process that it was orphaned: no signal, no
 * event. The nap is a poll() on the line, so we stop if the demo dies. */
static void
wait_for_new_parent(int line, pid_t parent)
{
	while (getppid() == parent) {
		struct pollfd pfd = { .fd = line, .events = POLLIN };

		if (poll(&pfd, 1, 1) > 0)
			_exit(EXIT_FAILURE); /* end-of-file: the demo is gone */
	}
}

/* The child: it waits to be orphaned, then lives on alone. LINE joins
 * it to this demo's first process, its grandparent; each report_*()
 * tells that process what the child saw (defined with the proof). */
static noreturn void
child_part(int line, pid_t parent)
{
	char byte;

	if (want_stopped && setpgid(0, 0) == -1) /* a job: its own process group */
		pl_die("setpgid");
	if (want_thread) { /* before the birth report: armed before anyone ends */
		set_signal(SIGUSR1, true);
		report_armed(set_death_signal(SIGUSR1));
	}
	report_birth(line);
	if (want_thread)
		thread_ended(line, parent);

	/* Wait for the word that the parent is about to exit. */
	if (read(line, &byte, 1) != 1)
		_exit(EXIT_FAILURE); /* end-of-file: the demo is gone */

	/* pl_fork() asked the kernel to SIGKILL this child when its parent
	 * dies. Outliving the parent is the point here: undo that. */
	int death_signal = clear_death_signal();
	if (want_stopped) {
		set_signal(SIGHUP, true);
		set_signal(SIGCONT, true);
		set_signal(SIGTSTP, false);
	}
	report_ready(line, death_signal);
	if (want_stopped)
		raise(SIGTSTP); /* stopped here until someone sends SIGCONT */

	wait_for_new_parent(line, parent);

	/* An orphan: nobody will wait for it to finish. It bounds its own
	 * life: when the alarm goes off, SIGALRM's default action ends it. */
	set_signal(SIGALRM, false);
	double armed_at = pl_narrate_elapsed();
	alarm((unsigned)lifetime);

	report_adoption(line, parent, armed_at);
	live_until_alarm(line);
}

/* The parent forks the child... */
static void
fork_the_child(int line)
{
	switch (pl_fork("orphan", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		child_part(line, getppid());
	default: /* Parent */
		break;
	}
	close(line);
}

/* --thread: a second thread of the parent forks the child, and ends when
 * the demo says so. */
static void *
forking_thread(void *arg)
{
	pl_say_note("parent-forks", PL_FIELDS(PL_INT("forking_tid", gettid())),
	            "I am a second thread of the parent (TID {forking_tid}): I fork the child");
	fork_the_child(*(int *)arg);
	pl_child_hold(); /* until the demo says: this thread ends now */
	return NULL;
}

/* ...and exits first, when the demo says so. */
static noreturn void
parent_part(int line)
{
	if (want_stopped) {
		if (setsid() == -1)
			pl_die("setsid");
		pl_say_note("parent-session", PL_FIELDS(PL_INT("sid", getsid(0))),
		            "I lead a new session, {sid}, as a login shell does");
	}
	if (want_thread) {
		pthread_t thread;
		int err;

		if ((err = pthread_create(&thread, NULL, forking_thread, &line)) != 0)
			pl_die_en(err, "pthread_create");
		if ((err = pthread_join(thread, NULL)) != 0)
			pl_die_en(err, "pthread_join");
		pl_note("thread-ended", NULL,
		        "my thread that forked the child has ended; I, the main thread, live on");
	} else {
		pl_note("parent-forks", NULL, "I am the parent: I fork my child");
		fork_the_child(line);
	}
	pl_child_hold(); /* until the demo says: exit now */
	pl_note("parent-exits", NULL, "I exit now, before my child");
	_exit(EXIT_SUCCESS);
}

/* ================================================================== */
/* The proof. What the child saw, reported to its grandparent, and     */
/* what the kernel says.                                               */

/* ------------------------------------------------------------------ */
/* The child's reports. pl_fork()'s channel joins a parent to its own   */
/* child; the orphan must report to its grandparent, so the demo opens  */
/* a socketpair before the parent is forked (the line). End-of-file on  */
/* it tells the child that this process is gone.                        */

static void
report(int line, const void *what, size_t len)
{
	if (pl_write_all(line, what, len) == -1)
		_exit(EXIT_FAILURE);
}

static volatile sig_atomic_t caught;
static volatile sig_atomic_t caught_signals[MAX_CAUGHT], caught_codes[MAX_CAUGHT];
static volatile sig_atomic_t caught_senders[MAX_CAUGHT];

static void
record_signal(int sig, siginfo_t *info, void *context)
{
	int i = caught;

	(void)context;
	if (i < MAX_CAUGHT) {
		caught_signals[i] = sig;
		caught_codes[i] = info->si_code; /* SI_KERNEL: sent by the kernel */
		caught_senders[i] = info->si_pid;
		caught = i + 1;
	}
}

/* Record SIG, or take its default action, and unblock it: a process
 * started from a shell may inherit a signal ignored or blocked. */
static void
set_signal(int sig, bool record)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	if (record) {
		sa.sa_sigaction = record_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
	} else {
		sa.sa_handler = SIG_DFL;
	}
	sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static pid_t
ppid_from_proc(void)
{
	struct pl_proc me;

	return pl_procfs_read(getpid(), &me) == 0 ? me.ppid : -1;
}

static void
report_armed(int armed)
{
	pl_say_note("armed",
	            PL_FIELDS(PL_INT("death_signal", armed),
	                      PL_PROSE(PL_STR("name", pl_signal_name(armed)))),
	            "my death signal is now {name} (PR_GET_PDEATHSIG = {death_signal}), caught, "
	            "instead of SIGKILL");
}

static void
report_birth(int line)
{
	struct birth_report birth = { getpid(), getppid(), ppid_from_proc() };

	pl_say_note("child-identity",
	            PL_FIELDS(PL_INT("getpid", birth.getpid), PL_INT("getppid", birth.getppid),
	                      PL_INT("proc_ppid", birth.proc_ppid)),
	            "in the child: getppid() = {getppid}, /proc/self/stat ppid = {proc_ppid}");
	report(line, &birth, sizeof(birth));
}

/* --thread: wait (bounded) for the death signal, then say what came. It
 * is SIGUSR1 here, caught, so that the child can tell the tale; with
 * pl_fork()'s own SIGKILL it would simply have died now. */
static void
thread_ended(int line, pid_t parent)
{
	struct thread_report seen = { 0 };
	/* Half the demo's patience: a signal that never comes is a [FAIL]. */
	double deadline = pl_narrate_elapsed() + HEAR_TIMEOUT_MS / 2000.0;

	while (caught == 0 && pl_narrate_elapsed() < deadline) {
		struct pollfd pfd = { .fd = line, .events = POLLIN };

		if (poll(&pfd, 1, 1) > 0)
			_exit(EXIT_FAILURE); /* end-of-file: the demo is gone */
	}
	if (caught > 0) {
		seen.signal = caught_signals[0];
		seen.code = caught_codes[0];
		seen.sender = caught_senders[0];
	}
	caught = 0; /* --stopped counts its own signals afresh */
	seen.getppid = getppid();
	seen.proc_ppid = ppid_from_proc();
	pl_say_note("death-signal",
	            PL_FIELDS(PL_INT("signal", seen.signal), PL_INT("si_pid", seen.sender),
	                      PL_INT("getppid", seen.getppid), PL_INT("proc_ppid", seen.proc_ppid),
	                      PL_PROSE(PL_STR("name", seen.signal ? pl_signal_name(seen.signal)
	                                                          : "no signal")),
	                      PL_PROSE(PL_INT("parent", parent))),
	            "the thread that forked me ended: {name} came (si_pid {si_pid}); my parent is "
	            "still {parent} (getppid() = {getppid}, /proc/self/stat ppid = {proc_ppid})");
	report(line, &seen, sizeof(seen));
}

static void
report_ready(int line, int death_signal)
{
	struct ready_report ready = { death_signal };

	pl_say_note("no-death-signal", PL_FIELDS(PL_INT("death_signal", death_signal)),
	            "I will outlive my parent: no death signal any more (PR_GET_PDEATHSIG = "
	            "{death_signal})");
	if (want_stopped)
		report_stopping();
	report(line, &ready, sizeof(ready));
}

static void
report_stopping(void)
{
	pl_say_note("stopping", PL_FIELDS(PL_INT("pgid", getpgrp()), PL_INT("sid", getsid(0))),
	            "in my own process group {pgid}, in my parent's session {sid}: I stop myself "
	            "with SIGTSTP, as Ctrl-Z does");
}

static void
report_adoption(int line, pid_t parent, double armed_at)
{
	struct adoption_report adopted = { .armed_at = armed_at };

	adopted.getppid = getppid();
	adopted.proc_ppid = ppid_from_proc();
	pl_say_note("reparented",
	            PL_FIELDS(PL_INT("before", parent), PL_INT("getppid", adopted.getppid),
	                      PL_INT("proc_ppid", adopted.proc_ppid), PL_INT("alarm", lifetime)),
	            "my parent {before} is gone: getppid() = {getppid}, /proc/self/stat ppid = "
	            "{proc_ppid}; my alarm ends me in {alarm} s");
	if (want_stopped) {
		long signals[MAX_CAUGHT];
		bool from_kernel = caught > 0;

		adopted.caught = caught;
		for (int i = 0; i < adopted.caught; i++) {
			adopted.signals[i] = caught_signals[i];
			adopted.codes[i] = caught_codes[i];
			signals[i] = caught_signals[i];
			from_kernel = from_kernel && caught_codes[i] == SI_KERNEL;
		}
		char names[64];
		snprintf(names, sizeof(names), "%s%s%s",
		         adopted.caught > 0 ? pl_signal_name(adopted.signals[0]) : "none",
		         adopted.caught > 1 ? " and " : "",
		         adopted.caught > 1 ? pl_signal_name(adopted.signals[1]) : "");
		pl_say_note("caught-signals",
		            PL_FIELDS(PL_INTS("signals", signals, (size_t)adopted.caught),
		                      PL_BOOL("from_kernel", from_kernel),
		                      PL_PROSE(PL_INT("count", adopted.caught)),
		                      PL_PROSE(PL_STR("names", names))),
		            "while I was stopped, {count} signal(s) came, {from_kernel?all from the "
		            "kernel (si_code SI_KERNEL)|not all from the kernel}: {names}; I run again");
	}
	report(line, &adopted, sizeof(adopted));
}

/* Live on until the alarm. End-of-file on the line means the demo was
 * stopped (Ctrl-C, SIGKILL): nobody is watching, so end now. */
static noreturn void
live_until_alarm(int line)
{
	char byte;

	for (;;) {
		ssize_t n = read(line, &byte, 1);

		if (n == 0 || (n == -1 && errno != EINTR))
			_exit(EXIT_SUCCESS);
	}
}

/* What /proc/CHILD/stat says, read from outside, by this process. */
static void
child_seen(const char *event, pid_t child, const struct pl_proc *proc)
{
	pl_say_note(event,
	            PL_FIELDS(PL_INT("child", child), PL_INT("ppid", proc->ppid),
	                      PL_CHAR("state", proc->state),
	                      PL_PROSE(PL_STR("state_name", pl_procfs_state_name(proc->state)))),
	            "/proc/{child}/stat, read by this process: ppid {ppid}, state {state} "
	            "({state_name})");
}

/* ------------------------------------------------------------------ */
/* Step 1: three generations.                                           */

/* This process and its ancestors, up to the one whose ppid is 0. */
static void
read_ancestry(struct family *f, char *text, size_t size)
{
	pid_t pid = getpid();
	size_t len = 0;

	text[0] = '\0';
	for (f->nancestors = 0; pid > 0 && f->nancestors < MAX_ANCESTORS; f->nancestors++) {
		struct pl_proc proc;

		if (pl_procfs_read(pid, &proc) != 0)
			break;
		f->ancestors[f->nancestors] = pid;
		snprintf(f->names[f->nancestors], sizeof(f->names[0]), "%s", proc.comm);
		if (len < size)
			len += (size_t)snprintf(text + len, size - len, "%s%ld %s",
			                        len ? " <- " : "", (long)pid, proc.comm);
		pid = proc.ppid;
	}
}

static void
three_generations(struct family *f)
{
	struct birth_report birth;
	struct pl_proc proc;
	char ancestry[1024];
	int sv[2];

	pl_step("three-generations", NULL,
	        "this process forks a parent, and the parent forks a child");

	if (want_subreaper && become_subreaper() == -1)
		pl_die("prctl(PR_SET_CHILD_SUBREAPER)");
	f->subreaper = is_subreaper();
	read_ancestry(f, ancestry, sizeof(ancestry));
	pl_note("ancestry", PL_FIELDS(PL_INTS("pids", f->ancestors, (size_t)f->nancestors)),
	        "this process and its ancestors, from /proc: %s", ancestry);
	pl_say_note("subreaper",
	            PL_FIELDS(PL_BOOL("subreaper", f->subreaper),
	                      PL_PROSE(PL_INT("flag", f->subreaper))),
	            "this process {subreaper?is|is not} a child subreaper (PR_GET_CHILD_SUBREAPER "
	            "= {flag})");

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		pl_die("socketpair");
	switch (f->parent = pl_fork("parent", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Parent */
		close(sv[0]);
		parent_part(sv[1]);
	default: /* This process: the grandparent */
		break;
	}
	close(sv[1]);
	f->line = sv[0];

	if (pl_evidence_receive(f->line, &birth, sizeof(birth), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from the child");
	f->child = birth.getpid;
	/* The child now waits on the line: the kernel shows it sleeping. */
	if (pl_procfs_wait_state(f->child, "S", HEAR_TIMEOUT_MS, &proc) != 0)
		pl_die("reading /proc/%ld/stat", (long)f->child);
	f->child_start = proc.start;
	f->alive_at = pl_narrate_elapsed();

	child_seen("kernel-view", f->child, &proc);
	pl_say_check("child-names-parent",
	             birth.getppid == f->parent && birth.proc_ppid == f->parent &&
	                     proc.ppid == f->parent,
	             PL_FIELDS(PL_INT("parent", f->parent)),
	             "the child, and the kernel seen from outside, name {parent}, the parent, as "
	             "its parent");
	pl_pause(1.0); /* time to see three generations in the dashboard */
}

/* ------------------------------------------------------------------ */
/* --thread: the thread that forked the child ends; the process lives.  */

static void
forking_thread_ends(struct family *f)
{
	struct thread_report seen;
	struct pl_proc parent, child;
	bool one_thread = false;

	pl_step("thread-exits", NULL,
	        "the thread that forked the child ends; the parent process lives on");
	if (pl_child_release(f->parent) == -1)
		pl_die("telling the parent's thread to end");
	if (pl_evidence_receive(f->line, &seen, sizeof(seen), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from the child");
	/* The thread's task leaves /proc a moment after its join returns. */
	for (double end = pl_narrate_elapsed() + HEAR_TIMEOUT_MS / 1000.0;
	     pl_narrate_elapsed() < end;) {
		const struct timespec one_ms = { 0, 1000000 };

		if (pl_procfs_read(f->parent, &parent) != 0)
			pl_die("reading /proc/%ld/stat", (long)f->parent);
		if ((one_thread = parent.threads == 1))
			break;
		nanosleep(&one_ms, NULL);
	}
	/* The parent's main thread goes back to its wait: read it there, not
	 * in the moment it runs (a busy machine showed it R). */
	if (one_thread && pl_procfs_wait_state(f->parent, "S", HEAR_TIMEOUT_MS, &parent) == -1 &&
	    errno != ETIMEDOUT)
		pl_die("reading /proc/%ld/stat", (long)f->parent);
	if (pl_procfs_wait_state(f->child, "S", HEAR_TIMEOUT_MS, &child) != 0)
		pl_die("reading /proc/%ld/stat", (long)f->child);
	f->alive_at = pl_narrate_elapsed();

	pl_say_note("thread-view",
	            PL_FIELDS(PL_INT("parent", f->parent), PL_CHAR("parent_state", parent.state),
	                      PL_INT("parent_threads", parent.threads), PL_INT("child", f->child),
	                      PL_INT("ppid", child.ppid), PL_CHAR("state", child.state),
	                      PL_PROSE(PL_STR("parent_state_name",
	                                      pl_procfs_state_name(parent.state)))),
	            "/proc: the parent {parent} is {parent_state} ({parent_state_name}) with "
	            "{parent_threads} thread(s); the child {child} is {state}, ppid {ppid}");
	pl_check("death-signal-on-thread-exit",
	         seen.signal == SIGUSR1 && seen.sender == f->parent && one_thread &&
	                 parent.state != 'Z' && parent.start > 0,
	         PL_FIELDS(PL_INT("signal", seen.signal)),
	         "the child got its death signal when the thread that forked it ended, though its "
	         "parent process lives on");
	pl_check("ppid-kept-by-a-thread",
	         seen.getppid == f->parent && seen.proc_ppid == f->parent &&
	                 child.ppid == f->parent,
	         NULL,
	         "its parent is still %ld: the kernel gave it to another live thread of that "
	         "process, before any subreaper or init",
	         (long)f->parent);
	pl_pause(1.0);
}

/* ------------------------------------------------------------------ */
/* --stopped: the child becomes a stopped job before its parent exits.  */

static void
get_ready(struct family *f)
{
	struct ready_report ready;

	/* MSG_NOSIGNAL: if the child is gone, an error here, not SIGPIPE. */
	if (send(f->line, "o", 1, MSG_NOSIGNAL) != 1 ||
	    pl_evidence_receive(f->line, &ready, sizeof(ready), HEAR_TIMEOUT_MS) == -1)
		pl_die("telling the child to get ready");
	f->death_signal = ready.death_signal;
}

static void
stopped_job(struct family *f)
{
	struct pl_proc child, parent;

	pl_step("stopped-job", NULL, "the child becomes a stopped job, as Ctrl-Z makes one");
	get_ready(f);
	if (pl_procfs_wait_state(f->child, "T", HEAR_TIMEOUT_MS, &child) != 0 ||
	    pl_procfs_read(f->parent, &parent) != 0)
		pl_die("watching the child stop");
	f->alive_at = pl_narrate_elapsed();

	pl_say_note("stopped-view",
	            PL_FIELDS(PL_INT("child", f->child), PL_CHAR("state", child.state),
	                      PL_INT("pgid", child.pgid), PL_INT("sid", child.sid),
	                      PL_INT("parent_pgid", parent.pgid), PL_INT("parent_sid", parent.sid),
	                      PL_PROSE(PL_STR("state_name", pl_procfs_state_name(child.state)))),
	            "/proc: the child is {state} ({state_name}) in process group {pgid}; its parent "
	            "leads group {parent_pgid} and session {parent_sid}");
	pl_check(
	        "stopped-job",
	        child.state == 'T' && child.pgid == f->child && parent.pgid == f->parent &&
	                child.sid == parent.sid && parent.sid == f->parent,
	        NULL,
	        "the child is stopped, alone in its process group, in the session its parent leads");
	pl_pause(1.0); /* time to see the T in the dashboard */
}

/* ------------------------------------------------------------------ */
/* Step 2: the parent exits first.                                      */

static void
parent_exits(struct family *f)
{
	struct adoption_report adopted;
	struct pl_proc proc;
	char how[96];
	int status;
	bool gone;

	pl_step("parent-exits", NULL, "the parent exits first; the child keeps running");
	if (!want_stopped)
		get_ready(f);
	if (pl_child_release(f->parent) == -1 || pl_child_wait(f->parent, &status, 0) == -1)
		pl_die("letting the parent exit");
	gone = pl_procfs_read(f->parent, &proc) == PL_PROCFS_GONE;
	if (pl_evidence_receive(f->line, &adopted, sizeof(adopted), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from the orphan");
	f->armed_at = adopted.armed_at;
	f->new_parent = adopted.getppid;
	/* The child waits on the line again; read its ppid from outside. */
	if (pl_procfs_wait_state(f->child, "S", HEAR_TIMEOUT_MS, &proc) != 0)
		pl_die("reading /proc/%ld/stat", (long)f->child);
	f->alive_at = pl_narrate_elapsed();

	pl_status_describe(status, how, sizeof(how));
	pl_say_note("parent-reaped",
	            PL_FIELDS(PL_INT("parent", f->parent),
	                      PL_INT("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1),
	                      PL_BOOL("gone_from_proc", gone), PL_PROSE(PL_STR("how", how))),
	            "the parent {parent} {how}; this process reaped it, and /proc/{parent} "
	            "{gone_from_proc?is gone|is still there}");
	child_seen("adopted-view", f->child, &proc);

	pl_check("parent-exited-first",
	         WIFEXITED(status) && WEXITSTATUS(status) == 0 && gone && f->death_signal == 0 &&
	                 proc.state != 'Z',
	         NULL, "the parent exited and is gone; its child, with no death signal, runs on");
	pl_say_check("ppid-changed",
	             adopted.getppid != f->parent && adopted.proc_ppid == adopted.getppid,
	             PL_FIELDS(PL_INT("before", f->parent), PL_INT("after", adopted.getppid)),
	             "the child's parent changed from {before} to {after}, in getppid() and in "
	             "/proc");
	pl_say_check("kernel-agrees", proc.ppid == adopted.getppid,
	             PL_FIELDS(PL_INT("kernel_ppid", proc.ppid)),
	             "seen from outside, the kernel agrees: the child's ppid is {kernel_ppid}");
	if (want_stopped) {
		bool hup = false, cont = false, from_kernel = adopted.caught > 0;

		for (int i = 0; i < adopted.caught && i < MAX_CAUGHT; i++) {
			hup = hup || adopted.signals[i] == SIGHUP;
			cont = cont || adopted.signals[i] == SIGCONT;
			from_kernel = from_kernel && adopted.codes[i] == SI_KERNEL;
		}
		pl_check("hangup-and-continue", hup && cont && from_kernel && proc.state != 'T',
		         NULL,
		         "its group orphaned with a stopped member, the kernel sent SIGHUP and "
		         "SIGCONT: the job runs again");
	}
	pl_pause(1.0); /* time to see the child under its new parent */
}

/* ------------------------------------------------------------------ */
/* Step 3: who adopted the orphan, and why.                             */

static void
who_adopted(struct family *f)
{
	pid_t reaper = f->new_parent;
	struct pl_proc proc;
	char passed[512] = "";
	siginfo_t info;
	int level = -1, err;
	bool ours;

	pl_step("who-adopted", NULL, "who adopted the orphan, and why");
	for (int i = 0; i < f->nancestors; i++)
		if (f->ancestors[i] == reaper)
			level = i;
	if (pl_procfs_read(reaper, &proc) != 0)
		snprintf(proc.comm, sizeof(proc.comm), "?");
	pl_say_note("new-parent",
	            PL_FIELDS(PL_INT("reaper", reaper), PL_STR("comm", proc.comm),
	                      PL_INT("level", level),
	                      PL_PROSE(PL_STR("who", level == 0  ? "this process"
	                                             : level > 0 ? "an ancestor of this process"
	                                                         : "not one of our ancestors"))),
	            "the new parent, from /proc/{reaper}/stat: PID {reaper} ({comm}), {who}");

	/* The kernel walked up from the dead parent and passed over these:
	 * none is a child subreaper (kernel/exit.c, find_new_reaper()). */
	for (int i = 0; i < level; i++) {
		size_t len = strlen(passed);
		snprintf(passed + len, sizeof(passed) - len, "%s%ld %s", i ? ", " : "",
		         f->ancestors[i], f->names[i]);
	}
	if (level > 0)
		pl_note("passed-over", PL_FIELDS(PL_INTS("pids", f->ancestors, (size_t)level)),
		        "on its way up, the kernel passed over %s: none is a child subreaper",
		        passed);
	pl_note("why",
	        PL_FIELDS(PL_STR("reason", level == 0    ? "we are a subreaper"
	                                   : reaper == 1 ? "init"
	                                                 : "nearest subreaper")),
	        "why %ld: %s", (long)reaper,
	        level == 0
	                ? "this process marked itself a child subreaper, so the kernel stopped here"
	        : reaper == 1 ? "no ancestor is a child subreaper, so init, PID 1, takes it"
	                      : "it is the nearest ancestor marked as a child subreaper");

	/* Only a parent may wait for a child. WNOWAIT: look, do not reap. */
	memset(&info, 0, sizeof(info));
	ours = waitid(P_PID, (id_t)f->child, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
	err = errno;
	pl_note("waitid", PL_FIELDS(PL_BOOL("ours", ours)), "waitid() for %ld, by this process: %s",
	        (long)f->child,
	        ours            ? "allowed: it is our child now"
	        : err == ECHILD ? "ECHILD: it is not our child, though we are its grandparent"
	                        : strerror(err));

	if (f->subreaper)
		pl_check("adopted-by-subreaper", reaper == getpid() && ours, NULL,
		         "this process, a child subreaper, adopted its own grandchild");
	else
		pl_check("adopted-above", level > 0 && !ours, NULL,
		         "not its grandparent: %ld, %d level(s) further up, adopted the orphan",
		         (long)reaper, level);
}

/* ------------------------------------------------------------------ */
/* Step 4: the orphan ends on its own.                                  */

static void
orphan_ends(struct family *f)
{
	double deadline = f->armed_at + (double)lifetime, ended_at;
	const struct timespec one_ms = { 0, 1000000 };
	struct pl_proc proc;
	char how[96] = "";
	bool ended = false, reaped = false, gone;
	int status = 0;
	char byte;

	pl_say_step("ends-on-its-own", PL_FIELDS(PL_INT("lifetime", lifetime)),
	            "the orphan ends on its own, {lifetime} s after it was orphaned");

	/* Watch /proc every millisecond until the child has ended (a zombie,
	 * or gone: reaped), or it is overdue. */
	for (;;) {
		int r = pl_procfs_read(f->child, &proc);

		ended_at = pl_narrate_elapsed();
		if (r == -1)
			pl_die("reading /proc/%ld/stat", (long)f->child);
		ended = r == PL_PROCFS_GONE || proc.start != f->child_start || proc.state == 'Z';
		if (ended || ended_at > deadline + END_SLACK)
			break;
		f->alive_at = ended_at;
		nanosleep(&one_ms, NULL);
	}
	/* Overdue: end it, so nothing is left. It is not our child (unless
	 * we are its subreaper), and its new parent may reap it at any
	 * moment, after which its PID can go to a stranger: signal it
	 * through a pidfd, checked against the start time we saw. */
	if (!ended)
		pl_pidfd_signal_checked(f->child, f->child_start, SIGKILL);

	if (f->subreaper) { /* it is our child: we reap it */
		reaped = pl_child_wait(f->child, &status, 0) == f->child;
		pl_status_describe(status, how, sizeof(how));
	} else { /* its new parent reaps it, when that one does its job */
		pl_procfs_wait_gone(f->child, ADOPTER_GRACE_MS);
	}
	gone = pl_procfs_read(f->child, &proc) == PL_PROCFS_GONE || proc.start != f->child_start;
	double waited = pl_narrate_elapsed() - ended_at;

	pl_say_note("orphan-ended",
	            PL_FIELDS(PL_INT("child", f->child),
	                      PL_DOUBLE("alive_after", f->alive_at - f->armed_at),
	                      PL_DOUBLE("ended_after", ended_at - f->armed_at),
	                      PL_BOOL("gone_from_proc", gone), PL_PROSE(PL_INT("alarm", lifetime))),
	            "its alarm was set for {alarm} s: /proc showed it alive {alive_after:.3f} s after "
	            "that, and ended {ended_after:.3f} s after");
	if (f->subreaper)
		pl_note("reaped-orphan",
		        PL_FIELDS(PL_INT("signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0)),
		        "this process reaped it: %s", how);
	else
		pl_say_note("reaped-orphan",
		            PL_FIELDS(PL_INT("by", f->new_parent), PL_BOOL("gone", gone),
		                      PL_DOUBLE("seconds", waited), PL_PROSE(PL_INT("child", f->child))),
		            gone ? "its new parent, {by}, reaped it: /proc/{child} is gone"
		                 : "it is a zombie until its new parent, {by}, reaps it (/proc/{child}): "
		                   "not done after {seconds:.2f} s");

	pl_check(
	        "ended-on-its-own", ended && ended_at >= deadline,
	        PL_FIELDS(PL_DOUBLE("deadline", deadline)),
	        "the orphan ended on its own, when its alarm went off, %ld s after its parent exited",
	        lifetime);
	if (f->subreaper)
		pl_check("killed-by-its-alarm",
		         reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM, NULL,
		         "the status says how: SIGALRM, from its own alarm(%ld)", lifetime);

	/* Nothing left: no children of ours in /proc, and nobody holds the
	 * other end of the line (reading it gives end-of-file). */
	bool line_closed = pl_evidence_receive(f->line, &byte, 1, 1000) == -1 && errno == EPIPE;
	int children = pl_procfs_children(getpid(), NULL, 0);
	close(f->line);
	pl_check("nothing-left", line_closed && children == 0 && (gone || proc.state == 'Z'),
	         PL_FIELDS(PL_INT("children", children), PL_BOOL("line_closed", line_closed)),
	         "nothing is left running: no child of this process, and no end of the line held");
}

int
main(int argc, char *argv[])
{
	struct family family = { .line = -1 };

	pl_demo_init(argc, argv, &demo);

	three_generations(&family);
	if (want_thread)
		forking_thread_ends(&family);
	if (want_stopped)
		stopped_job(&family);
	parent_exits(&family);
	who_adopted(&family);
	orphan_ends(&family);

	return pl_demo_finish();
}
