/* zombie.c - a child that has exited and has not been waited for.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. a child that exits while its parent does not wait becomes a zombie:
 *      state Z in /proc/CHILD/stat, its parent still named, its memory gone;
 *   2. it stays a zombie for as long as nobody waits (the demo measures how
 *      long), and SIGKILL does nothing to it: kill() returns 0, the state
 *      stays Z, and wait() then reports the child's own exit status;
 *   3. --children N zombies at once, listed by the kernel as our children,
 *   4. reaped one by one: each is Z before waitpid() and gone after;
 *   5. way one not to make zombies: reap in a SIGCHLD handler, in a WNOHANG
 *      loop, because signals merge: N children that exit together leave ONE
 *      pending SIGCHLD (the demo reads the bit in /proc/self/status);
 *   6. way two: SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT: the kernel reaps,
 *      each child leaves /proc while its parent lives and has not waited,
 *      and the parent's wait() fails with ECHILD;
 *   7. way three: a double fork: the grandchild is adopted by init or by a
 *      subreaper, which reaps it; the demo names that new parent from /proc;
 *   8. zombies whose parent exits are adopted and reaped the same way.
 * Who reaps an adopted zombie, and when, is up to its new parent: some
 * PID 1s reap late or never (a container's first program, a VM's agent).
 * The checks claim what the kernel does, that the zombie is adopted and
 * no longer ours; how soon the adopter reaps it is reported, not checked.
 *
 * Where the concept is (first in the file; the steps after it prove it):
 *   make_zombie()          fork(); the child exits at once; nobody waits
 *   reap()                 waitpid(): the exit status is collected, the zombie goes
 *   on_sigchld()           way 1: a SIGCHLD handler that reaps in a WNOHANG loop,
 *   reap_in_a_handler()    installed with sigaction()
 *   let_the_kernel_reap()  way 2: SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT
 *   double_fork()          way 3: the middle child exits, the grandchild is adopted
 *
 * Usage:     proclab-zombie [--children N] [--json] [--step] [--speed F]
 * Dashboard: `proclab zombie` shows children turn Z and stay Z under a live
 *            parent, vanish one by one as it reaps them, never turn Z when
 *            the kernel reaps, and a grandchild move to a new parent.
 * Lesson:    lessons/04-zombie.md
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "proclab.h"

#define MAX_CHILDREN 32
#define LONE_STATUS 7      /* the exit status of the zombie of steps 1-2 */
#define ZOMBIE_SECONDS 2.0 /* how long step 2 leaves it unreaped */
#define SAMPLES 20         /* reads of /proc during those seconds */
#define TOGETHER 4         /* children that exit together in step 5 */
#define IGNORED 3          /* children of each ignoring parent in step 6 */
#define ORPHANED 3         /* zombies the exiting parent leaves in step 8 */
#define TIMEOUT_MS 10000   /* bound on anything we wait for in the kernel */
#define GRANDCHILD_MAX_MS 60000 /* the grandchild ends by then, whatever happens */
#define ADOPTER_GRACE_MS 3000   /* how long we watch an adopter reap, at most */

static long children_wanted = 5;

static const struct pl_option options[] = {
	{ "children", 'n', PL_OPT_INT, "N", "how many zombies step 3 makes at once",
	  1, MAX_CHILDREN, &children_wanted },
};

static const struct pl_demo demo = {
	.name = "zombie",
	.summary = "An exited child stays a zombie until its parent waits; three ways to avoid it.",
	.description = "Each claim is checked while the demo runs: states against /proc/PID/stat,\n"
	               "exit statuses against wait(), pending signals against /proc/self/status,\n"
	               "and who adopts an orphan against /proc.",
	.lesson = "04-zombie.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ================================================================== */
/* The concept. These functions are the whole mechanism; the steps     */
/* after them run it, and prove from the kernel what it did.           */

static void middle_reports(pid_t grandchild);
static noreturn void grandchild(int hold_fd);

/* Fork a child that exits at once with STATUS, and do not wait for it.
 * From the moment it exits until someone waits, it is a zombie: the
 * kernel keeps its PID and exit status for its parent to collect.
 * LAST_WORDS, when not NULL, runs in the child just before it exits. */
static pid_t
make_zombie(int status, void (*last_words)(int status))
{
	pid_t pid;

	/* A channel to the parent only for a child that has words to send. */
	switch (pid = pl_fork("child", last_words != NULL ? PL_FORK_CHANNEL : 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: exit at once. */
		if (last_words != NULL)
			last_words(status);
		_exit(status);
	default: /* Parent: no wait() here, on purpose. */
		return pid;
	}
}

/* Collect PID's exit status, and with it the zombie: waitpid(2).
 * (pl_child_wait() is waitpid() that also forgets PID in pl_child's
 * table of children to clean up.) */
static void
reap(pid_t pid, int *status)
{
	if (pl_child_wait(pid, status, 0) == -1)
		pl_die("waitpid");
}

/* Way 1: reap in a SIGCHLD handler. */

static volatile sig_atomic_t deliveries, reaped;
static long reaped_pids[TOGETHER];

/* Only async-signal-safe work: waitpid(2) (pl_child_wait() is waitpid
 * plus forgetting the PID in pl_child's table, which main() does not
 * touch while this handler can run), and stores into static memory. */
static void
on_sigchld(int sig)
{
	int saved = errno;
	pid_t pid;

	(void)sig;
	deliveries++;
	/* One SIGCHLD can stand for many exited children: reap until
	 * waitpid() says none is left to reap now. */
	while ((pid = pl_child_wait(-1, NULL, WNOHANG)) > 0)
		if (reaped < TOGETHER)
			reaped_pids[reaped++] = pid;
	errno = saved;
}

/* Run on_sigchld() when a child exits (SA_NOCLDSTOP: not when it stops).
 * The action it replaces is stored in *OLD. */
static void
reap_in_a_handler(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, old) == -1)
		pl_die("sigaction");
}

/* Way 2: tell the kernel that this process will never wait. */

static volatile sig_atomic_t ignorer_deliveries;

static void
count_sigchld(int sig)
{
	(void)sig;
	ignorer_deliveries++;
}

/* SIGCHLD set to SIG_IGN, or (NOCLDWAIT) a handler with SA_NOCLDWAIT:
 * either way this process's children do not become zombies when they
 * exit, and its wait() fails with ECHILD (sigaction(2)). */
static void
let_the_kernel_reap(bool nocldwait)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	if (nocldwait) { /* a handler, but no zombies (sigaction(2)) */
		sa.sa_handler = count_sigchld;
		sa.sa_flags = SA_NOCLDWAIT | SA_RESTART;
	} else {
		sa.sa_handler = SIG_IGN;
	}
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		pl_die("sigaction");
}

/* Way 3: a double fork. The middle child forks the grandchild, which
 * does the work, and exits at once; its parent reaps it at once. The
 * grandchild, an orphan now, is adopted by init or by a subreaper, which
 * reaps it when it ends: it never becomes a zombie of ours. HOLD is a
 * pipe: the grandchild lives until its write end, ours, is closed.
 * Returns the middle child's PID. */
static pid_t
double_fork(const int hold[2])
{
	pid_t middle, worker;

	switch (middle = pl_fork("middle", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Middle child: fork the grandchild, and exit at once. */
		close(hold[1]); /* only the demo holds the write end */
		switch (worker = pl_fork("grandchild", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0:
			grandchild(hold[0]);
		default:
			break;
		}
		middle_reports(worker);
		_exit(EXIT_SUCCESS);
	default: /* Parent: the caller reaps the middle one. */
		close(hold[0]);
		return middle;
	}
}

/* ================================================================== */
/* The proof. What the kernel says, read and checked at each step.     */

/* Wait (bounded) until /proc says CHILD is a zombie, and print what it
 * says. GROUP names the step's set of zombies for the --json events. */
static bool
seen_as_zombie(pid_t child, const char *group, struct pl_proc *proc)
{
	if (pl_procfs_wait_state(child, "Z", TIMEOUT_MS, proc) != 0)
		return false;
	pl_say_note("zombie",
	            PL_FIELDS(PL_STR("group", group), PL_INT("child", child),
	                      PL_INT("ppid", proc->ppid), PL_CHAR("state", proc->state),
	                      PL_INT("rss_pages", proc->rss_pages),
	                      PL_PROSE(PL_STR("state_name", pl_procfs_state_name(proc->state)))),
	            "/proc/{child}/stat: state {state} ({state_name}), ppid {ppid}");
	return true;
}

/* Wait (bounded) until PID has left /proc. */
static bool
gone_from_proc(pid_t pid, int timeout_ms)
{
	return pl_procfs_wait_gone(pid, timeout_ms) == 0;
}

/* How many children of PARENT the kernel lists in state Z. */
static int
zombies_of(pid_t parent)
{
	int zombies = pl_evidence_children_in_state(parent, 'Z');

	if (zombies == -1)
		pl_die("scanning /proc");
	return zombies;
}

/* N zombies at once, child i with status i + 1, so that each one's
 * status says which it was. */
static void
fork_exiting_children(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		pids[i] = make_zombie(i + 1, NULL);
}

/* ------------------------------------------------------------------ */
/* Steps 1 and 2: one zombie, left alone, then sent SIGKILL, then reaped. */

struct last_words {
	double exited_at; /* pl_narrate_elapsed() just before _exit() */
	long rss_pages;   /* its resident memory while it still ran */
};

/* In the child, just before it exits: what it was, for the parent. */
static void
report_last_words(int status)
{
	struct last_words me = { 0, 0 };
	struct pl_proc proc;

	if (pl_procfs_read(getpid(), &proc) == 0)
		me.rss_pages = proc.rss_pages;
	pl_say_note("child-exits", PL_FIELDS(PL_INT("status", status)),
	            "in the child: _exit({status})");
	me.exited_at = pl_narrate_elapsed();
	pl_child_tell(&me, sizeof(me));
}

static pid_t
a_zombie(struct last_words *child)
{
	struct pl_proc proc = { 0 };
	pid_t pid;
	bool zombie;

	pl_step("a-zombie", NULL, "a child exits, and its parent does not wait for it");

	pid = make_zombie(LONE_STATUS, report_last_words);

	if (pl_child_hear(pid, child, sizeof(*child), TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
	zombie = seen_as_zombie(pid, "lone", &proc);
	pl_say_check("exited-child-is-zombie", zombie && proc.ppid == getpid(),
	             PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", proc.state),
	                       PL_INT("ppid", proc.ppid), PL_PROSE(PL_INT("parent", getpid()))),
	             "the child has exited, yet the kernel still lists it, as a zombie of pid "
	             "{parent}");
	pl_say_check("zombie-has-no-memory",
	             zombie && child->rss_pages > 0 && proc.rss_pages == 0,
	             PL_FIELDS(PL_INT("rss_alive", child->rss_pages),
	                       PL_INT("rss_zombie", proc.rss_pages)),
	             "its memory is already freed: {rss_alive} resident pages while it ran, "
	             "{rss_zombie} now");
	pl_say_note("see-it", PL_FIELDS(PL_INT("child", pid)),
	            "see it from outside: ps -o pid,ppid,stat,comm -p {child}");
	return pid;
}

static void
stays_a_zombie(pid_t pid, const struct last_words *child)
{
	struct pl_proc proc;
	siginfo_t info;
	int zombie_reads = 0, killed, status;
	bool gone;

	pl_step("stays-a-zombie", NULL,
	        "it stays a zombie until it is waited for, and SIGKILL cannot end it");

	for (int i = 0; i < SAMPLES; i++) {
		pl_pause(ZOMBIE_SECONDS / SAMPLES);
		if (pl_procfs_read(pid, &proc) == 0 && proc.state == 'Z')
			zombie_reads++;
	}
	pl_say_note("still-zombie",
	            PL_FIELDS(PL_INT("child", pid), PL_INT("samples", SAMPLES),
	                      PL_INT("zombie_samples", zombie_reads),
	                      PL_DOUBLE("seconds", pl_narrate_elapsed() - child->exited_at)),
	            "{seconds:.2f} s after it exited: {zombie_samples} of {samples} reads of "
	            "/proc/{child}/stat said Z");
	pl_check("stays-zombie", zombie_reads == SAMPLES, NULL,
	         "a zombie does not go away by itself");

	/* A zombie has already exited: there is nothing left to kill. The
	 * PID still exists, so kill() succeeds; the signal is dropped. */
	killed = kill(pid, SIGKILL);
	pl_pause(0.5);
	if (pl_procfs_read(pid, &proc) != 0)
		proc.state = '?';
	pl_say_note("sigkill",
	            PL_FIELDS(PL_INT("child", pid), PL_INT("kill_returned", killed),
	                      PL_CHAR("state_after", proc.state)),
	            "kill({child}, SIGKILL) returned {kill_returned}; /proc/{child}/stat still "
	            "says {state_after}");
	pl_check("sigkill-does-nothing", killed == 0 && proc.state == 'Z', NULL,
	         "SIGKILL was accepted and changed nothing: the zombie is still there");

	/* What the zombie keeps is its exit status. WNOWAIT reads it and
	 * leaves the zombie in place (waitid(2)). */
	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR)
			pl_die("waitid");
	pl_say_note("peek",
	            PL_FIELDS(PL_INT("child", pid), PL_BOOL("exited", info.si_code == CLD_EXITED),
	                      PL_INT("status", info.si_status)),
	            "waitid(WNOWAIT) reads what the zombie holds: {exited?exit status|signal} "
	            "{status}, and leaves it in place");

	reap(pid, &status);
	double unreaped = pl_narrate_elapsed() - child->exited_at;
	gone = pl_procfs_read(pid, &proc) == PL_PROCFS_GONE;
	char how[96];
	pl_status_describe(status, how, sizeof(how));
	pl_say_note("lone-reaped",
	            PL_FIELDS(PL_INT("child", pid),
	                      PL_INT("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1),
	                      PL_BOOL("killed", WIFSIGNALED(status)),
	                      PL_DOUBLE("unreaped_seconds", unreaped),
	                      PL_BOOL("gone_from_proc", gone), PL_PROSE(PL_STR("how", how))),
	            "waitpid() reaped it {unreaped_seconds:.2f} s after it exited: {how}; "
	            "/proc/{child} {gone_from_proc?is gone|is still there}");
	pl_check("status-is-original",
	         WIFEXITED(status) && WEXITSTATUS(status) == LONE_STATUS && gone, NULL,
	         "wait() reports the child's own exit status %d, not SIGKILL, and the zombie is gone",
	         LONE_STATUS);
}

/* ------------------------------------------------------------------ */
/* Steps 3 and 4: many zombies, reaped one by one.                     */

static void
many_zombies(pid_t *pids, int n)
{
	struct pl_proc proc;
	int seen = 0, listed;

	pl_say_step("many-zombies", PL_FIELDS(PL_INT("children", n)),
	            "{children} children exit, and none is waited for");

	fork_exiting_children(pids, n);
	for (int i = 0; i < n; i++)
		if (seen_as_zombie(pids[i], "many", &proc) && proc.ppid == getpid())
			seen++;
	listed = zombies_of(getpid());
	pl_say_check("all-zombies", seen == n && listed == n,
	             PL_FIELDS(PL_INT("expected", n), PL_INT("seen", seen), PL_INT("listed", listed)),
	             "the kernel lists {listed} zombie children of this process");
	pl_pause(1.0); /* time to see them all in the dashboard or with ps */
}

static void
reap_one_by_one(const pid_t *pids, int n)
{
	int right = 0;

	pl_step("reap-one-by-one", NULL, "the parent reaps them one by one");

	for (int i = 0; i < n; i++) {
		struct pl_proc proc;
		char how[96];
		char before;
		int status;

		before = pl_procfs_read(pids[i], &proc) == 0 ? proc.state : '?';
		reap(pids[i], &status);
		bool gone = pl_procfs_read(pids[i], &proc) == PL_PROCFS_GONE;
		int left = zombies_of(getpid());

		pl_status_describe(status, how, sizeof(how));
		if (before == 'Z' && gone && WIFEXITED(status) && WEXITSTATUS(status) == i + 1)
			right++;
		pl_say_note("reaped",
		            PL_FIELDS(PL_INT("child", pids[i]), PL_INT("index", i + 1),
		                      PL_CHAR("state_before", before),
		                      PL_INT("exit_status",
		                             WIFEXITED(status) ? WEXITSTATUS(status) : -1),
		                      PL_BOOL("gone_from_proc", gone), PL_INT("zombies_left", left),
		                      PL_PROSE(PL_STR("how", how))),
		            "child {index} (pid {child}) was {state_before}; waitpid(): {how}; "
		            "/proc/{child} {gone_from_proc?is gone|is still there}; zombies left: "
		            "{zombies_left}");
		pl_pause(0.2);
	}
	pl_check("reaped-one-by-one", right == n && zombies_of(getpid()) == 0,
	         PL_FIELDS(PL_INT("reaped", right), PL_INT("expected", n)),
	         "each was Z until its waitpid(), then gone; no zombie is left");
}

/* ------------------------------------------------------------------ */
/* Step 5: reaping in a SIGCHLD handler.                               */

static void
reap_in_handler(void)
{
	struct sigaction old_action;
	sigset_t sigchld, old_mask, during;
	unsigned long long pending = 0;
	struct pl_proc proc;
	pid_t pids[TOGETHER];
	int seen = 0, one_bit;

	pl_step("reap-in-handler", PL_FIELDS(PL_INT("children", TOGETHER)),
	        "way 1: reap in a SIGCHLD handler, in a loop, because signals merge");

	reap_in_a_handler(&old_action);

	/* Keep SIGCHLD blocked while they exit, as it is while the parent is
	 * busy in a handler or not running: their exits pile up. */
	sigemptyset(&sigchld);
	sigaddset(&sigchld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigchld, &old_mask);
	fork_exiting_children(pids, TOGETHER);
	for (int i = 0; i < TOGETHER; i++)
		if (seen_as_zombie(pids[i], "together", &proc))
			seen++;
	if ((one_bit = pl_evidence_signal_pending(getpid(), SIGCHLD, &pending)) == -1)
		pl_die("reading /proc/self/status");
	char mask[32];
	snprintf(mask, sizeof(mask), "%016llx", pending);
	pl_say_note("pending",
	            PL_FIELDS(PL_INT("exited", seen), PL_STR("shdpnd", mask),
	                      PL_BOOL("sigchld_pending", one_bit)),
	            "{exited} children have exited; /proc/self/status ShdPnd {shdpnd}: SIGCHLD "
	            "pending {sigchld_pending?(one bit, not a count)|? no}");
	pl_pause(1.0); /* the zombies wait in the dashboard */

	/* Unblock and wait for the handler, atomically (sigsuspend(2)). */
	during = old_mask;
	sigdelset(&during, SIGCHLD);
	sigsuspend(&during);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGCHLD, &old_action, NULL);

	long handled = deliveries, count = reaped;
	pl_say_note("handler",
	            PL_FIELDS(PL_INT("children", TOGETHER), PL_INT("deliveries", handled),
	                      PL_INT("reaped", count),
	                      PL_INTS("pids", reaped_pids, (size_t)count)),
	            "the handler ran {deliveries} time(s) for {children} children, and its loop "
	            "reaped {reaped} of them");
	pl_check("signals-merge", one_bit && handled >= 1 && handled < TOGETHER, NULL,
	         "fewer SIGCHLD deliveries (%ld) than children that exited (%d)", handled, TOGETHER);
	pl_check("handler-reaped-all", count == TOGETHER && zombies_of(getpid()) == 0, NULL,
	         "the WNOHANG loop reaped all %d: no zombie is left in /proc", TOGETHER);
}

/* ------------------------------------------------------------------ */
/* Step 6: SIGCHLD ignored, or SA_NOCLDWAIT: the kernel reaps.          */
/* The parent that sets this is a child of ours, so that the children  */
/* the kernel reaps are never on our own books.                        */

struct ignorer_result {
	pid_t wait_returned;
	int wait_errno;
	int deliveries;
};

static noreturn void
ignoring_parent(bool nocldwait)
{
	struct ignorer_result result;
	pid_t kids[IGNORED];
	int status;

	let_the_kernel_reap(nocldwait);

	for (int i = 0; i < IGNORED; i++) {
		switch (kids[i] = pl_fork("child", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* live until released, then exit */
			pl_child_hold();
			_exit(i + 1);
		default:
			break;
		}
	}
	pl_child_tell(kids, sizeof(kids));
	pl_child_hold(); /* the demo looks at them alive */
	for (int i = 0; i < IGNORED; i++)
		pl_child_release(kids[i]);
	pl_child_hold(); /* the demo watches them go; we do not wait */

	do
		result.wait_returned = waitpid(-1, &status, 0);
	while (result.wait_returned == -1 && errno == EINTR);
	result.wait_errno = result.wait_returned == -1 ? errno : 0;
	result.deliveries = ignorer_deliveries;
	pl_child_tell(&result, sizeof(result));
	_exit(EXIT_SUCCESS);
}

static void
kernel_reaps(bool nocldwait)
{
	const char *how = nocldwait ? "SA_NOCLDWAIT" : "SIG_IGN";
	struct ignorer_result result;
	struct pl_proc proc;
	pid_t kids[IGNORED], listed[8], parent;
	int alive = 0, gone = 0, children_left;

	switch (parent = pl_fork("parent", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0:
		ignoring_parent(nocldwait);
	default:
		break;
	}
	if (pl_child_hear(parent, kids, sizeof(kids), TIMEOUT_MS) == -1)
		pl_die("hearing from %ld", (long)parent);
	for (int i = 0; i < IGNORED; i++)
		if (pl_procfs_wait_state(kids[i], "S", TIMEOUT_MS, &proc) == 0 &&
		    proc.ppid == parent)
			alive++;

	pl_say_note("ignoring-parent",
	            PL_FIELDS(PL_STR("how", how), PL_INT("parent", parent), PL_INT("alive", alive),
	                      PL_PROSE(PL_INT("forked", IGNORED)),
	                      PL_PROSE(PL_STR("did", nocldwait
	                                                     ? "gave its SIGCHLD handler SA_NOCLDWAIT"
	                                                     : "set SIGCHLD to SIG_IGN"))),
	            "{how}: pid {parent} {did} and forked {forked} children; /proc shows {alive} of "
	            "them alive");
	pl_child_release(parent); /* it lets its children exit */
	for (int i = 0; i < IGNORED; i++) {
		/* Linux marks every child that exits a zombie, and then, in the
		 * same breath, dead if its parent ignores SIGCHLD (exit_notify()
		 * in kernel/exit.c). A reader of /proc may catch that instant,
		 * rarely, on a busy machine; a zombie that stays is another
		 * matter. So: Z or gone, and if Z, gone after all, with no wait(). */
		int rc = pl_procfs_wait_state(kids[i], "Z", TIMEOUT_MS, &proc);
		bool left = rc == PL_PROCFS_GONE || (rc == 0 && gone_from_proc(kids[i], TIMEOUT_MS));

		gone += left;
		pl_say_note("kernel-reaped",
		            PL_FIELDS(PL_STR("how", how), PL_INT("child", kids[i]),
		                      PL_INT("parent", parent), PL_BOOL("seen_as_zombie", rc == 0),
		                      PL_BOOL("gone_from_proc", left)),
		            "{how}: child {child} of pid {parent} exited and "
		            "{gone_from_proc?left /proc, with no wait()|is still in /proc}");
		if (rc == 0 && left)
			pl_note("zombie-glimpse",
			        PL_FIELDS(PL_STR("how", how), PL_INT("child", kids[i])),
			        "(caught in state Z for an instant on its way out: the kernel makes "
			        "every exiting child a zombie, then at once dead)");
	}
	/* The parent is alive, blocked on its channel: it has not waited. */
	children_left = pl_procfs_children(parent, listed, PL_COUNT(listed));
	pl_child_release(parent); /* now it calls wait() */
	if (pl_child_hear(parent, &result, sizeof(result), TIMEOUT_MS) == -1)
		pl_die("hearing from %ld", (long)parent);
	reap(parent, NULL);

	pl_say_note("wait-fails",
	            PL_FIELDS(PL_STR("how", how), PL_INT("children_left", children_left),
	                      PL_INT("wait_returned", result.wait_returned),
	                      PL_STR("errno", result.wait_errno == ECHILD ? "ECHILD" : "other"),
	                      PL_INT("deliveries", result.deliveries),
	                      PL_PROSE(PL_INT("parent", parent)),
	                      PL_PROSE(PL_STR("error", strerror(result.wait_errno)))),
	            "{how}: before it waited, /proc listed {children_left} children of pid "
	            "{parent}; then its wait() returned {wait_returned}: {error}");
	if (nocldwait) /* Linux still sends SIGCHLD here (sigaction(2)) */
		pl_say_note("sigchld-still-sent",
		            PL_FIELDS(PL_INT("deliveries", result.deliveries),
		                      PL_PROSE(PL_STR("how", how))),
		            "{how}: its SIGCHLD handler ran {deliveries} time(s) all the same");
	pl_say_check(nocldwait ? "nocldwait-kernel-reaps" : "sig-ign-kernel-reaps",
	             alive == IGNORED && gone == IGNORED && children_left == 0 &&
	                     result.wait_returned == -1 && result.wait_errno == ECHILD,
	             PL_FIELDS(PL_STR("how", how), PL_PROSE(PL_INT("children", IGNORED))),
	             "{how}: the kernel reaped all {children} children; there was nothing left to "
	             "wait for");
}

/* ------------------------------------------------------------------ */
/* Step 7: the double fork.                                            */

/* pl_fork() asked the kernel to kill us when our parent (the middle
 * process) dies. Here that is the one thing that must not happen, so we
 * undo it, and end instead when the demo closes the pipe, or dies. */
static noreturn void
grandchild(int hold_fd)
{
	struct pollfd pfd = { .fd = hold_fd, .events = POLLIN };
	char ready = 1;

#ifdef HAVE_SYS_PRCTL_H
	prctl(PR_SET_PDEATHSIG, 0);
#endif
	pl_child_tell(&ready, 1);
	while (poll(&pfd, 1, GRANDCHILD_MAX_MS) == -1 && errno == EINTR)
		continue;
	_exit(EXIT_SUCCESS);
}

/* In the middle child: wait until the grandchild has undone its death
 * signal (else the middle one's exit would kill it), then tell the demo
 * the grandchild's PID. */
static void
middle_reports(pid_t orphan)
{
	char ready;

	if (pl_child_hear(orphan, &ready, 1, TIMEOUT_MS) == -1)
		pl_die("hearing from the grandchild");
	pl_child_tell(&orphan, sizeof(orphan));
}

static void
double_fork_adopted(void)
{
	struct pl_proc proc, adopter;
	pid_t middle, orphan = 0;
	int hold[2], status;

	pl_step("double-fork", NULL,
	        "way 3: a double fork: the grandchild is adopted, and someone else reaps it");

	if (pipe2(hold, O_CLOEXEC) == -1)
		pl_die("pipe");
	middle = double_fork(hold);
	if (pl_child_hear(middle, &orphan, sizeof(orphan), TIMEOUT_MS) == -1)
		pl_die("hearing from %ld", (long)middle);
	reap(middle, &status);
	pl_say_note("middle-reaped",
	            PL_FIELDS(PL_INT("middle", middle), PL_INT("grandchild", orphan)),
	            "the middle child (pid {middle}) forked pid {grandchild} and exited; we reaped "
	            "it at once");

	/* The middle one has exited, so its child has a new parent already.
	 * Let the grandchild settle into its wait on the pipe, then look. */
	if (pl_procfs_wait_state(orphan, "S", TIMEOUT_MS, &proc) != 0)
		pl_die("reading /proc/%ld/stat", (long)orphan);
	if (pl_procfs_read(proc.ppid, &adopter) != 0)
		snprintf(adopter.comm, sizeof(adopter.comm), "?");
	bool not_ours = waitpid(orphan, NULL, WNOHANG) == -1 && errno == ECHILD;
	pl_say_note("adopted",
	            PL_FIELDS(PL_INT("grandchild", orphan), PL_CHAR("state", proc.state),
	                      PL_INT("ppid", proc.ppid), PL_STR("comm", adopter.comm),
	                      PL_BOOL("init", proc.ppid == 1)),
	            "/proc/{grandchild}/stat: state {state}, ppid {ppid}: its new parent is {comm} "
	            "(pid {ppid})");
	pl_say_note("who-adopts",
	            PL_FIELDS(PL_INT("ppid", proc.ppid),
	                      PL_PROSE(PL_STR("who",
	                                      proc.ppid == 1
	                                              ? "is init: orphans go to it when no "
	                                                "subreaper is above them"
	                                              : "is not init: it is a child subreaper "
	                                                "(PR_SET_CHILD_SUBREAPER), the nearest "
	                                                "one above us"))),
	            "pid {ppid} {who}");
	pl_check("grandchild-adopted",
	         proc.ppid != getpid() && proc.ppid != middle && proc.state != 'Z' && not_ours,
	         NULL, "the grandchild lives on under a new parent; waitpid() on it here says ECHILD");
	pl_pause(1.0); /* time to find it in the dashboard */

	close(hold[1]); /* the grandchild ends; its new parent must reap it */
	double closed_at = pl_narrate_elapsed();
	struct pl_proc end;
	int ended = pl_procfs_wait_state(orphan, "Z", TIMEOUT_MS, &end);
	/* Ended: reaped already (gone), or a zombie that is its new parent's. */
	bool theirs = ended == PL_PROCFS_GONE || (ended == 0 && end.ppid == proc.ppid);
	bool gone =
	        ended == PL_PROCFS_GONE || (ended == 0 && gone_from_proc(orphan, ADOPTER_GRACE_MS));
	pl_say_note("adopter-reaped",
	            PL_FIELDS(PL_INT("grandchild", orphan), PL_INT("adopter", proc.ppid),
	                      PL_BOOL("gone", gone),
	                      PL_DOUBLE("seconds", pl_narrate_elapsed() - closed_at),
	                      PL_PROSE(PL_STR("comm", adopter.comm))),
	            gone ? "the grandchild exited; {comm} (pid {adopter}) reaped it within "
	                   "{seconds:.2f} s, though we never waited for it"
	                 : "the grandchild exited; {comm} (pid {adopter}) has not reaped it after "
	                   "{seconds:.2f} s: it stays a zombie until that parent waits");
	int ours = zombies_of(getpid());
	pl_check("no-zombie-left", theirs && ours == 0,
	         PL_FIELDS(PL_BOOL("theirs", theirs), PL_INT("ended", ended),
	                   PL_INT("our_zombies", ours)),
	         "it ended as the child of %s (pid %ld), not ours: we have no zombie to reap",
	         adopter.comm, (long)proc.ppid);
}

/* ------------------------------------------------------------------ */
/* Step 8: a parent exits and leaves zombies behind.                   */

static void
parent_exits(void)
{
	pid_t parent, kids[ORPHANED];
	unsigned long long started[ORPHANED] = { 0 };
	bool left_proc[ORPHANED];
	struct pl_proc proc;
	int seen = 0, gone = 0, adopted = 0, status;

	pl_say_step("parent-exits", PL_FIELDS(PL_INT("children", ORPHANED)),
	            "a parent exits with {children} zombies: they are adopted, and reaped");

	switch (parent = pl_fork("parent", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: make zombies, never wait for them, exit when told. */
		fork_exiting_children(kids, ORPHANED);
		for (int i = 0; i < ORPHANED; i++)
			pl_procfs_wait_state(kids[i], "Z", TIMEOUT_MS, &proc);
		pl_child_tell(kids, sizeof(kids));
		pl_child_hold();
		_exit(EXIT_SUCCESS);
	default:
		break;
	}

	if (pl_child_hear(parent, kids, sizeof(kids), TIMEOUT_MS) == -1)
		pl_die("hearing from %ld", (long)parent);
	for (int i = 0; i < ORPHANED; i++)
		if (seen_as_zombie(kids[i], "orphaned", &proc) && proc.ppid == parent) {
			started[i] = proc.start;
			seen++;
		}
	pl_check("parent-has-zombies", seen == ORPHANED, NULL,
	         "pid %ld has %d zombie children", (long)parent, seen);
	pl_pause(1.0);

	pl_child_release(parent);
	reap(parent, &status);
	/* The parent is reaped, so its exit has given each zombie a new parent
	 * (or the new parent has reaped it already). */
	double exited_at = pl_narrate_elapsed();
	pid_t adopter = 0;
	for (int i = 0; i < ORPHANED; i++) {
		int r = pl_procfs_read(kids[i], &proc);

		/* Being reaped by its new parent right now, it shows state X
		 * (EXIT_DEAD) for a moment before it leaves /proc; reaped, its
		 * PID may even be someone else's (another start time). Either
		 * way ours is gone. */
		if (r == 0 && (proc.state == 'X' || proc.start != started[i]))
			r = PL_PROCFS_GONE;
		left_proc[i] = r == PL_PROCFS_GONE;
		if (r == PL_PROCFS_GONE ||
		    (r == 0 && proc.state == 'Z' && proc.ppid != parent && proc.ppid != getpid()))
			adopted++;
		if (r == 0 && proc.state == 'Z')
			adopter = proc.ppid;
	}
	for (int i = 0; i < ORPHANED; i++) { /* one grace period for all */
		int left = (int)(ADOPTER_GRACE_MS - 1000 * (pl_narrate_elapsed() - exited_at));

		if (left_proc[i] || gone_from_proc(kids[i], left > 0 ? left : 0))
			gone++;
	}
	pl_say_note("orphans-reaped",
	            PL_FIELDS(PL_INT("parent", parent), PL_INT("zombies", ORPHANED),
	                      PL_INT("adopted", adopted), PL_INT("adopter", adopter),
	                      PL_INT("gone", gone),
	                      PL_DOUBLE("seconds", pl_narrate_elapsed() - exited_at)),
	            gone == ORPHANED ? "pid {parent} exited; within {seconds:.2f} s, {gone} of its "
	                               "{zombies} zombies were gone from /proc: their new parent "
	                               "reaped them"
	                             : "pid {parent} exited; after {seconds:.2f} s, {gone} of its "
	                               "{zombies} zombies were gone from /proc: their new parent "
	                               "reaps late, or never");
	pl_check("orphaned-zombies-adopted", adopted == ORPHANED, NULL,
	         "zombies outlive their parent only as someone else's: each was adopted at once, "
	         "and none is ours");
}

int
main(int argc, char *argv[])
{
	pid_t pids[MAX_CHILDREN], lone;
	struct last_words last;

	pl_demo_init(argc, argv, &demo);

	lone = a_zombie(&last);
	stays_a_zombie(lone, &last);
	many_zombies(pids, (int)children_wanted);
	reap_one_by_one(pids, (int)children_wanted);
	reap_in_handler();
	pl_step("kernel-reaps", PL_FIELDS(PL_INT("children", IGNORED)),
	        "way 2: SIGCHLD ignored, or SA_NOCLDWAIT: the kernel reaps");
	kernel_reaps(false);
	kernel_reaps(true);
	double_fork_adopted();
	parent_exits();

	return pl_demo_finish();
}
