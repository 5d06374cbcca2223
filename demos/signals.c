/* signals.c - signals and the system calls they interrupt.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. a read() that sleeps on an empty pipe is interrupted when a child
 *      exits and its SIGCHLD handler runs: without SA_RESTART, read()
 *      returns -1 with errno EINTR, once for each child. Each child first
 *      sees the parent asleep in the read (/proc/PID/stat and wchan);
 *   2. with SA_RESTART the same read() goes on after each handler: one call,
 *      no EINTR, though the handler ran as often;
 *   3. a handler may call only async-signal-safe functions: a handler that
 *      calls a function with a lock inside, while the code it interrupted
 *      holds that lock, waits for itself for ever (/proc: asleep in a futex
 *      wait, the signal still blocked as it is inside its handler); one
 *      that only sets a volatile sig_atomic_t flag returns, and the
 *      interrupted write() goes on;
 *   4. a flag tested before poll() misses a signal that comes just after
 *      the test: poll() sleeps to its timeout. The self-pipe trick does
 *      not: the handler writes a byte, and poll() sees it. And poll() is
 *      never restarted: a SIGCHLD while it sleeps makes it fail with EINTR,
 *      SA_RESTART or not;
 *   5. signalfd(): SIGCHLD blocked, pending for the process (ShdPnd in
 *      /proc/self/status) until read from a descriptor as a struct
 *      signalfd_siginfo that names the child and its exit status;
 *   6. a process-directed signal (kill) waits while every thread blocks it
 *      and goes to the one thread that unblocks it; a thread-directed one
 *      (pthread_kill) waits for its own thread, even while another thread
 *      would take it (/proc/PID/task/TID/status: SigBlk, SigPnd, ShdPnd).
 *
 * Every handler here saves errno if it makes a call that may change it.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   install()           sigaction(), with the flags each step needs
 *   set_usr1_flag()     right: a handler that only sets a flag
 *   log_from_handler()  wrong: a handler that calls unsafe code
 *   write_a_byte()      the self-pipe trick's handler
 *   reap_exited()       the WNOHANG loop: one signal may stand for several exits
 *   read_records()      signalfd: signals read as records
 *   start_worker()      a thread starts with its creator's signal mask
 *
 * Usage:     proclab-signals [--children N] [--only LIST] [--json] [--step]
 *                            [--speed F]
 * Dashboard: `proclab signals`: the parent asleep in anon_pipe_read while
 *            its children exit one by one (steps 1 and 2); a child asleep in
 *            a futex wait inside its own handler (step 3); the parent in
 *            poll_schedule_timeout (steps 4 and 5); press t for threads in
 *            step 6: worker-1 to worker-3 in a futex wait.
 * Lesson:    lessons/23-signals.md
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_CHILDREN 8
#define TIMEOUT_MS 10000 /* bound on anything we wait for */
#define NWORKERS 3       /* step 6 */

static long nchildren = 3;
static const char *only;

static const struct pl_option options[] = {
	{ "children", 'n', PL_OPT_INT, "N",
	  "children that exit, one at a time, while the parent reads (steps 1 and 2)", 1,
	  MAX_CHILDREN, &nchildren },
	{ "only", 'o', PL_OPT_STRING, "LIST",
	  "run only these steps, e.g. eintr,threads (eintr sa-restart handler-safety self-pipe "
	  "signalfd threads)",
	  0, 0, &only },
};

static const struct pl_demo demo = {
	.name = "signals",
	.summary = "Signals and system calls: EINTR and SA_RESTART, safe handlers, the self-pipe, "
	           "signalfd, threads.",
	.description = "Each claim is checked while the demo runs: what read() and poll() return,\n"
	               "where a process sleeps (/proc/PID/stat and wchan), and the signal masks\n"
	               "of each thread (SigBlk, SigPnd, ShdPnd in /proc/PID/task/TID/status).",
	.lesson = "23-signals.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

static const char *const step_names[] = { "eintr",     "sa-restart", "handler-safety",
	                                  "self-pipe", "signalfd",   "threads" };

/* ------------------------------------------------------------------ */
/* Plumbing.                                                            */

/* A signal mask from /proc/PID/task/TID/status (SigBlk, SigPnd, ShdPnd,
 * SigCgt); 0 if it cannot be read. Bit N-1 stands for signal N. */
static unsigned long long
mask_of(pid_t pid, pid_t tid, const char *key)
{
	unsigned long long mask = 0;
	char file[64];

	snprintf(file, sizeof(file), "task/%ld/status", (long)tid);
	if (pl_procfs_number(pid, file, key, 16, &mask) != 0)
		return 0;
	return mask;
}

static bool
mask_has(pid_t pid, pid_t tid, const char *key, int sig)
{
	return PL_SIGMASK_HAS(mask_of(pid, tid, key), sig);
}

/* Pending for that thread, or for its whole process. */
static bool
is_pending(pid_t pid, pid_t tid, int sig)
{
	return mask_has(pid, tid, "SigPnd", sig) || mask_has(pid, tid, "ShdPnd", sig);
}

static void
install(int sig, void (*handler)(int), int flags, struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, old) == -1)
		pl_die("sigaction");
}

static void
restore(int sig, const struct sigaction *old)
{
	if (sigaction(sig, old, NULL) == -1)
		pl_die("sigaction");
}

/* SECONDS divided by --speed, in ms, at least MIN_MS, at most 10 s. */
static int
scaled_ms(double seconds, int min_ms)
{
	double ms = seconds * 1000.0 / pl_narrate_get_config()->speed;

	return ms < min_ms ? min_ms : ms > TIMEOUT_MS ? TIMEOUT_MS : (int)ms;
}

static void
nap_ms(long ms)
{
	nanosleep(&(struct timespec){ 0, ms * 1000000L }, NULL);
}

static void
hear(pid_t pid, void *buf, size_t len)
{
	if (pl_child_hear(pid, buf, len, TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
}

static void
reap(pid_t pid, int *status)
{
	if (pl_child_wait(pid, status, 0) == -1)
		pl_die("waitpid %ld", (long)pid);
}

static void
wait_for(sem_t *sem)
{
	while (sem_wait(sem) == -1)
		if (errno != EINTR)
			pl_die("sem_wait");
}

/* ------------------------------------------------------------------ */
/* Steps 1 and 2: a read() interrupted by SIGCHLD, without and with     */
/* SA_RESTART. The children watch the parent through /proc and exit     */
/* one at a time, each only once the parent sleeps in the read and the  */
/* previous SIGCHLD has been handled.                                   */

/* In memory shared with the children, so that they see the count. */
struct shared {
	volatile sig_atomic_t sigchld_handled;
};
static struct shared *shared;

static void
count_sigchld(int sig)
{
	(void)sig;
	/* Only this handler writes the count, and SIGCHLD is blocked while
	 * it runs (sigaction(2)), so the increment never races with itself. */
	shared->sigchld_handled++;
}

/* What a child saw of the parent just before it acted. */
struct sighting {
	int handled; /* the handler's count by then */
	char state;
	char wchan[64];
};

/* In a child: wait until the parent's handler has run HANDLED times and
 * the parent sleeps in a pipe read again. Polls, with a deadline. */
static void
watch_parent(pid_t parent, int handled, struct sighting *seen)
{
	double give_up = pl_measure_now() + TIMEOUT_MS / 1e3;
	struct pl_proc proc = { .state = '?' };

	while (shared->sigchld_handled < handled && pl_measure_now() < give_up)
		nap_ms(1);
	pl_procfs_wait_wchan(parent, "pipe_read", TIMEOUT_MS, &proc);
	seen->handled = shared->sigchld_handled;
	seen->state = proc.state;
	snprintf(seen->wchan, sizeof(seen->wchan), "%s", proc.wchan);
}

static bool
saw_it_reading(const struct sighting *s, int handled)
{
	return s->state == 'S' && strstr(s->wchan, "pipe_read") != NULL && s->handled == handled;
}

static void
tell_sighting(pid_t child, const struct sighting *s, const char *then)
{
	pl_note("child-saw",
	        PL_FIELDS(PL_INT("child", child), PL_CHAR("state", s->state),
	                  PL_STR("wchan", s->wchan), PL_INT("handled", s->handled)),
	        "child %ld saw pid %ld in state %c in %s, then %s", (long)child, (long)getpid(),
	        s->state, s->wchan[0] ? s->wchan : "?", then);
}

static void
read_while_children_exit(bool restart)
{
	pid_t quitters[MAX_CHILDREN], writer, parent = getpid();
	struct sighting seen[MAX_CHILDREN], writer_saw;
	struct sigaction old;
	int p[2], calls = 0, eintrs = 0, heard = 0, handled, asleep = 0;
	char buf[64] = "";
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) == -1)
		pl_die("pipe2");
	shared->sigchld_handled = 0;
	install(SIGCHLD, count_sigchld, SA_NOCLDSTOP | (restart ? SA_RESTART : 0), &old);
	pl_note("handler",
	        PL_FIELDS(PL_BOOL("sa_restart", restart),
	                  PL_BOOL("caught", mask_has(parent, parent, "SigCgt", SIGCHLD))),
	        "sigaction(SIGCHLD): a handler that counts, %s; /proc/%ld/status SigCgt has "
	        "SIGCHLD: %s",
	        restart ? "with SA_RESTART" : "flags 0 (no SA_RESTART)", (long)parent,
	        mask_has(parent, parent, "SigCgt", SIGCHLD) ? "yes" : "no");

	for (long k = 0; k < nchildren; k++) {
		switch (quitters[k] = pl_fork("quitter", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: { /* Child: exit while the parent reads. */
			struct sighting me;

			close(p[0]);
			close(p[1]);
			watch_parent(parent, (int)k, &me);
			pl_child_tell(&me, sizeof(me));
			pl_pause(k == 0 ? 1.0 : 0.2); /* time to see the parent wait */
			_exit(EXIT_SUCCESS);
		}
		default: /* Parent */
			break;
		}
	}
	switch (writer = pl_fork("writer", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child: once every quitter's SIGCHLD is handled, write. */
		struct sighting me;

		close(p[0]);
		watch_parent(parent, (int)nchildren, &me);
		pl_write_all(p[1], "data", 4);
		pl_child_tell(&me, sizeof(me));
		pl_child_hold(); /* exits only once SIGCHLD is back to default */
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent */
		break;
	}
	close(p[1]);

	pl_note("reading", PL_FIELDS(PL_INT("children", nchildren)),
	        "pid %ld calls read() on an empty pipe; %ld children exit, one at a time, while "
	        "it waits",
	        (long)parent, nchildren);
	for (;;) {
		n = read(p[0], buf, sizeof(buf) - 1);
		calls++;
		if (n == -1 && errno == EINTR) {
			eintrs++;
			if (heard < nchildren) {
				hear(quitters[heard], &seen[heard], sizeof(seen[heard]));
				tell_sighting(quitters[heard], &seen[heard], "exited");
				heard++;
			}
			pl_note("read-returned",
			        PL_FIELDS(PL_INT("call", calls), PL_INT("returned", -1),
			                  PL_STR("errno", "EINTR"),
			                  PL_INT("handled", shared->sigchld_handled)),
			        "read() #%d returned -1, errno EINTR; the handler has run %d time(s)",
			        calls, (int)shared->sigchld_handled);
			continue; /* the classic loop: call it again */
		}
		break;
	}
	if (n == -1)
		pl_die("read");
	handled = shared->sigchld_handled;
	buf[n] = '\0';

	for (; heard < nchildren; heard++) { /* with SA_RESTART, all of them now */
		hear(quitters[heard], &seen[heard], sizeof(seen[heard]));
		tell_sighting(quitters[heard], &seen[heard], "exited");
	}
	hear(writer, &writer_saw, sizeof(writer_saw));
	tell_sighting(writer, &writer_saw, "wrote \"data\"");
	pl_note("read-returned",
	        PL_FIELDS(PL_INT("call", calls), PL_INT("returned", n), PL_STR("data", buf),
	                  PL_INT("handled", handled), PL_INT("eintrs", eintrs)),
	        "read() #%d returned %zd: \"%s\"; the handler ran %d time(s) in all", calls, n, buf,
	        handled);

	restore(SIGCHLD, &old);
	pl_child_release(writer);
	for (long k = 0; k < nchildren; k++) {
		reap(quitters[k], NULL);
		asleep += saw_it_reading(&seen[k], (int)k);
	}
	reap(writer, NULL);
	close(p[0]);

	pl_check("asleep-in-read", asleep == nchildren && saw_it_reading(&writer_saw, handled),
	         NULL,
	         "each child saw the parent asleep (S) in the pipe read, the SIGCHLD before it "
	         "handled");
	if (!restart)
		pl_check("eintr-each-time",
		         eintrs == nchildren && calls == nchildren + 1 && handled == nchildren &&
		                 n == 4,
		         NULL,
		         "without SA_RESTART: %d EINTR for %d SIGCHLD, then the data: %d calls",
		         eintrs, handled, calls);
	else
		pl_check("read-restarted",
		         eintrs == 0 && calls == 1 && handled == nchildren && n == 4, NULL,
		         "with SA_RESTART: %d SIGCHLD handled, no EINTR, one read() call returned "
		         "the data",
		         handled);
}

/* ------------------------------------------------------------------ */
/* Step 3: what a handler may call. log_line() stands for printf() or   */
/* malloc(): a function that takes a lock inside. The child is in the   */
/* middle of it, asleep in write() on a full pipe with the lock held,   */
/* when SIGUSR1 comes.                                                   */

static pthread_mutex_t log_lock; /* PTHREAD_MUTEX_NORMAL: relocking it deadlocks */
static int log_fd = -1;
static volatile sig_atomic_t usr1_arrived;

static void
log_line(const char *line)
{
	pthread_mutex_lock(&log_lock);
	pl_write_all(log_fd, line, strlen(line)); /* sleeps while the pipe is full */
	pthread_mutex_unlock(&log_lock);
}

/* Wrong: log_line() is not async-signal-safe. */
static void
log_from_handler(int sig)
{
	(void)sig;
	log_line("handler: SIGUSR1\n");
}

/* Right: note it, and let the main program act on it. */
static void
set_usr1_flag(int sig)
{
	(void)sig;
	usr1_arrived = 1;
}

/* Fill the pipe to the brim without blocking. Returns the bytes it took. */
static long
fill_pipe(int fd)
{
	static const char filler[4096]; /* PIPE_BUF: all or nothing when full */
	int flags = fcntl(fd, F_GETFL);
	long total = 0;
	ssize_t n;

	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		pl_die("fcntl");
	while ((n = write(fd, filler, sizeof(filler))) > 0)
		total += n;
	if (errno != EAGAIN)
		pl_die("filling the pipe");
	if (fcntl(fd, F_SETFL, flags) == -1)
		pl_die("fcntl");
	return total;
}

/* Read FD until end of file, or until nothing comes for TIMEOUT_MS (0:
 * only what is there now). Returns how many bytes it read; those after the
 * first SKIP go to TEXT, unless TEXT is NULL. */
static long
drain(int fd, long skip, char *text, size_t size, int timeout_ms)
{
	size_t used = 0;
	long total = 0;
	char buf[4096];
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ready = poll(&pfd, 1, timeout_ms);

		if (ready == -1 && errno == EINTR)
			continue;
		if (ready == -1)
			pl_die("poll");
		if (ready == 0 || (n = read(fd, buf, sizeof(buf))) == 0)
			return total;
		if (n == -1)
			pl_die("read");
		for (ssize_t i = 0; i < n; i++, total++)
			if (text != NULL && total >= skip && used + 1 < size) {
				text[used++] = buf[i];
				text[used] = '\0';
			}
	}
}

/* Does PID stay asleep in a futex wait, using no CPU and with SIGUSR1
 * blocked (so: still inside its handler), for MS milliseconds? */
static bool
stuck_in_handler(pid_t pid, int ms, struct pl_proc *proc)
{
	double end = pl_measure_now() + ms / 1e3;
	unsigned long long cpu;

	if (pl_procfs_read(pid, proc) != 0)
		return false;
	cpu = proc->utime + proc->stime;
	do {
		if (pl_procfs_read(pid, proc) != 0 || proc->state != 'S' ||
		    strstr(proc->wchan, "futex") == NULL || proc->utime + proc->stime != cpu ||
		    !mask_has(pid, pid, "SigBlk", SIGUSR1))
			return false;
		nap_ms(5);
	} while (pl_measure_now() < end);
	return true;
}

/* Fork a child that sleeps inside log_line(), holding its lock, in a
 * write() to a full pipe, with HANDLER for SIGUSR1; once /proc shows it
 * there, send it SIGUSR1. Returns its PID, the pipe's read end in *FD and
 * the bytes of filler in *FILLED. */
static pid_t
signal_child_in_log_line(void (*handler)(int), const char *name, int *fd, long *filled)
{
	struct pl_proc proc = { .state = '?' };
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		pl_die("pipe2");
	*filled = fill_pipe(p[1]);
	switch (pid = pl_fork(name, 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		close(p[0]);
		log_fd = p[1];
		install(SIGUSR1, handler, SA_RESTART, NULL);
		log_line("child: a line\n"); /* the pipe is full: it sleeps in here */
		if (usr1_arrived)
			log_line("child: SIGUSR1 arrived\n");
		_exit(EXIT_SUCCESS);
	default: /* Parent */
		break;
	}
	close(p[1]);
	*fd = p[0];
	if (pl_procfs_wait_wchan(pid, "pipe_write", TIMEOUT_MS, &proc) != 0)
		pl_die("watching child %ld", (long)pid);
	pl_note("child-writing",
	        PL_FIELDS(PL_INT("child", pid), PL_INT("pipe_bytes", *filled),
	                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan)),
	        "%s child %ld: inside log_line(), holding its lock, asleep in %s (a pipe full "
	        "with %ld bytes)",
	        name, (long)pid, proc.wchan, *filled);
	pl_note("sent", PL_FIELDS(PL_INT("child", pid)), "SIGUSR1 to child %ld; its handler %s",
	        (long)pid,
	        handler == log_from_handler ? "calls log_line()"
	                                    : "only sets a volatile sig_atomic_t flag");
	if (pl_child_signal(pid, SIGUSR1) == -1)
		pl_die("kill");
	return pid;
}

static void
unsafe_handler(void)
{
	struct pl_proc proc = { .state = '?' };
	long filled, emptied = 0, more = 0;
	int fd, status, ms = scaled_ms(1.0, 100);
	bool stuck = false, blocked = false;
	char how[96];
	pid_t pid = signal_child_in_log_line(log_from_handler, "unsafe", &fd, &filled);

	/* The handler wants the lock that the code it interrupted holds. Make
	 * room in the pipe, then watch: nothing moves. */
	if (pl_procfs_wait_wchan(pid, "futex", TIMEOUT_MS, &proc) == 0) {
		emptied = drain(fd, 0, NULL, 0, 0);
		stuck = stuck_in_handler(pid, ms, &proc);
		blocked = mask_has(pid, pid, "SigBlk", SIGUSR1);
		more = drain(fd, 0, NULL, 0, 0);
	}
	pl_note("handler-stuck",
	        PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan), PL_BOOL("sigusr1_blocked", blocked),
	                  PL_INT("watched_ms", ms)),
	        "child %ld: state %c in %s%s; SIGUSR1 %s SigBlk%s", (long)pid, proc.state,
	        proc.wchan[0] ? proc.wchan : "?", stuck ? ", no CPU used" : "",
	        blocked ? "in" : "not in", blocked ? ": it is inside its handler" : "");
	pl_note("pipe-emptied", PL_FIELDS(PL_INT("emptied", emptied), PL_INT("bytes_after", more)),
	        "the parent emptied the pipe (%ld bytes), and watched for %d ms: %s", emptied, ms,
	        more == 0 ? "there was room, and the child's line never came"
	                  : "the child wrote again");
	/* It would wait for ever. An unreaped child's PID cannot be reused, so
	 * the signal surely reaches it. */
	if (pl_child_signal(pid, SIGKILL) == -1)
		pl_die("kill");
	reap(pid, &status);
	close(fd);
	pl_status_describe(status, how, sizeof(how));
	pl_note("unsafe-killed", PL_FIELDS(PL_INT("child", pid), PL_STR("status", how)),
	        "the parent ends it: %s", how);
	pl_check("unsafe-handler-hangs", stuck && blocked, NULL,
	         "the handler waits for a lock its own thread holds: a deadlock in one thread");
	pl_check("unsafe-never-returns",
	         emptied == filled && more == 0 && WIFSIGNALED(status) &&
	                 WTERMSIG(status) == SIGKILL,
	         NULL, "the interrupted write() never went on: the parent had to kill the child");
}

static void
safe_handler(void)
{
	struct pl_proc proc = { .state = '?' };
	char text[256] = "", first[64] = "", second[64] = "", how[96];
	double give_up = pl_measure_now() + TIMEOUT_MS / 1e3;
	long filled;
	int fd, status;
	bool resumed;
	pid_t pid = signal_child_in_log_line(set_usr1_flag, "safe", &fd, &filled);

	/* Once the signal is no longer pending and the child sleeps in the
	 * pipe write again, the handler has run and returned, and write() was
	 * restarted (SA_RESTART). */
	while (is_pending(pid, pid, SIGUSR1) && pl_measure_now() < give_up)
		nap_ms(1);
	resumed = !is_pending(pid, pid, SIGUSR1) &&
	          pl_procfs_wait_wchan(pid, "pipe_write", TIMEOUT_MS, &proc) == 0 &&
	          !mask_has(pid, pid, "SigBlk", SIGUSR1);
	pl_note("handler-returned",
	        PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan), PL_BOOL("resumed", resumed)),
	        "child %ld: %s, and it sleeps in %s again: write() was restarted", (long)pid,
	        resumed ? "SIGUSR1 no longer pending nor blocked" : "SIGUSR1 still there",
	        proc.wchan[0] ? proc.wchan : "?");
	drain(fd, filled, text, sizeof(text), TIMEOUT_MS); /* to end of file */
	reap(pid, &status);
	close(fd);
	pl_status_describe(status, how, sizeof(how));
	sscanf(text, "%63[^\n]\n%63[^\n]", first, second);
	pl_note("safe-done",
	        PL_FIELDS(PL_INT("child", pid), PL_STR("lines", text), PL_STR("status", how)),
	        "the parent empties the pipe; after the filler come \"%s\" and \"%s\"; the "
	        "child %s",
	        first, second, how);
	pl_check("safe-handler-returns", resumed, NULL,
	         "the handler returned at once, and the interrupted write() went on");
	pl_check("safe-logged-after",
	         strcmp(text, "child: a line\nchild: SIGUSR1 arrived\n") == 0 &&
	                 WIFEXITED(status) && WEXITSTATUS(status) == 0,
	         NULL, "the main program saw the flag and logged it, safely, after its line");
}

/* ------------------------------------------------------------------ */
/* Steps 4 and 5: a poll() loop that must also learn of SIGCHLD. It     */
/* waits on a pipe (its real work; nothing comes on it here) and reaps  */
/* each child that exits. Child "early" exits between the loop's check  */
/* and its poll(); child "late" exits while poll() sleeps.              */

enum waker { BY_FLAG, BY_SELF_PIPE, BY_SIGNALFD };

static volatile sig_atomic_t child_exited; /* BY_FLAG */
static int self_pipe[2] = { -1, -1 };      /* BY_SELF_PIPE */

static void
set_exit_flag(int sig)
{
	(void)sig;
	child_exited = 1;
}

static void
write_a_byte(int sig)
{
	int saved = errno; /* the interrupted code may be about to read errno */

	(void)sig;
	if (write(self_pipe[1], "x", 1) == -1) {
		/* EAGAIN: the pipe is full of bytes that say the same */
	}
	errno = saved;
}

static pid_t
fork_exiting_child(const char *name, int code, bool while_parent_polls)
{
	pid_t parent = getpid(), pid;

	switch (pid = pl_fork(name, PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0:                  /* Child */
		pl_child_hold(); /* until the parent lets go */
		if (while_parent_polls)
			pl_procfs_wait_wchan(parent, "poll", TIMEOUT_MS, NULL);
		_exit(code);
	default: /* Parent */
		return pid;
	}
}

/* Has the parent heard of the child's exit yet? For a flag or the
 * self-pipe, the handler has run; for signalfd, SIGCHLD is pending. */
static bool
signal_seen(enum waker how)
{
	int queued = 0;

	switch (how) {
	case BY_FLAG:
		return child_exited;
	case BY_SELF_PIPE:
		return ioctl(self_pipe[0], FIONREAD, &queued) == 0 && queued > 0;
	case BY_SIGNALFD:
		return mask_has(getpid(), getpid(), "ShdPnd", SIGCHLD);
	}
	return false;
}

/* Child EARLY exits in the window between the loop's check and its
 * poll(), and the parent waits until it has heard of it. In a real program
 * that window is a matter of luck; here it is held open. */
static void
exit_in_the_window(pid_t early, enum waker how)
{
	double give_up = pl_measure_now() + TIMEOUT_MS / 1e3;

	pl_child_release(early);
	while (!signal_seen(how) && pl_measure_now() < give_up)
		nap_ms(1);
	pl_note("window", PL_FIELDS(PL_INT("child", early), PL_BOOL("seen", signal_seen(how))),
	        "child %ld exits just before poll() is called%s", (long)early,
	        !signal_seen(how)     ? ", and nothing says so after 10 s"
	        : how == BY_FLAG      ? ", after the check: the handler sets child_exited = 1"
	        : how == BY_SELF_PIPE ? "; the handler writes a byte to the self-pipe"
	                              : "; SIGCHLD is blocked, so it stays pending");
}

struct loop_result {
	int polls, eintrs, timeouts, wakeups, reaped, records;
	bool flag_before_poll; /* BY_FLAG: child_exited was 1 when poll() was called */
	bool first_at_once;    /* the first poll() returned at once, event fd readable */
	bool pending_before;   /* signalfd: SIGCHLD in ShdPnd at each wakeup */
	bool cleared_after;    /* signalfd: not after each read() */
	bool records_match;    /* signalfd: each record names a child we reaped */
	int codes[2];          /* the exit statuses, in the order reaped */
};

/* The WNOHANG loop: one byte or one record may stand for several exits
 * (standard signals do not queue: lesson 4). */
static void
reap_exited(struct loop_result *r)
{
	int status;
	pid_t pid;
	char how[96];

	while ((pid = pl_child_wait(-1, &status, WNOHANG)) > 0) {
		pl_status_describe(status, how, sizeof(how));
		pl_note("reaped", PL_FIELDS(PL_INT("child", pid), PL_STR("status", how)),
		        "waitpid(-1, WNOHANG): child %ld %s", (long)pid, how);
		if (r->reaped < 2)
			r->codes[r->reaped] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		r->reaped++;
	}
}

/* signalfd: read the records, each a struct signalfd_siginfo. */
static void
read_records(int sfd, struct loop_result *r, pid_t early, pid_t late)
{
	struct signalfd_siginfo si;
	bool before = mask_has(getpid(), getpid(), "ShdPnd", SIGCHLD), after;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		pid_t who = (pid_t)si.ssi_pid;

		r->records++;
		pl_note("record",
		        PL_FIELDS(PL_STR("signal", pl_signal_name((int)si.ssi_signo)),
		                  PL_STR("code",
		                         si.ssi_code == CLD_EXITED ? "CLD_EXITED" : "other"),
		                  PL_INT("ssi_pid", who), PL_INT("ssi_status", si.ssi_status)),
		        "read(signalfd): ssi_signo %s, ssi_code %s, ssi_pid %ld, ssi_status %d",
		        pl_signal_name((int)si.ssi_signo),
		        si.ssi_code == CLD_EXITED ? "CLD_EXITED" : "other", (long)who,
		        (int)si.ssi_status);
		if (si.ssi_signo != SIGCHLD || si.ssi_code != CLD_EXITED ||
		    !((who == early && si.ssi_status == 1) || (who == late && si.ssi_status == 2)))
			r->records_match = false;
	}
	after = mask_has(getpid(), getpid(), "ShdPnd", SIGCHLD);
	r->pending_before = r->pending_before && before;
	r->cleared_after = r->cleared_after && !after;
	pl_note("consumed",
	        PL_FIELDS(PL_BOOL("pending_before", before), PL_BOOL("pending_after", after)),
	        "ShdPnd in /proc/self/status had SIGCHLD before the read(): %s; after it: %s",
	        before ? "yes" : "no", after ? "yes" : "no");
}

static void
poll_loop(enum waker how, struct loop_result *r)
{
	struct pollfd fds[2];
	struct sigaction old;
	sigset_t sigchld, old_mask;
	int work[2], sfd = -1, nfds = how == BY_FLAG ? 1 : 2;
	int timeout_ms = how == BY_FLAG ? scaled_ms(1.0, 50) : TIMEOUT_MS;
	pid_t early, late = 0;

	memset(r, 0, sizeof(*r));
	r->pending_before = r->cleared_after = r->records_match = true;
	child_exited = 0;
	if (how == BY_SIGNALFD) {
		/* Blocked, so that no handler and no default action takes it:
		 * it stays pending until read from the descriptor. Blocked
		 * before fork(), to show that the children inherit the mask. */
		sigemptyset(&sigchld);
		sigaddset(&sigchld, SIGCHLD);
		if (sigprocmask(SIG_BLOCK, &sigchld, &old_mask) == -1)
			pl_die("sigprocmask");
	}
	/* The children first, so that they hold none of the descriptors. */
	early = fork_exiting_child("early", 1, false);
	if (how != BY_FLAG)
		late = fork_exiting_child("late", 2, true);

	if (pipe2(work, O_CLOEXEC) == -1) /* the loop's work: nothing comes */
		pl_die("pipe2");
	switch (how) {
	case BY_FLAG:
		install(SIGCHLD, set_exit_flag, SA_RESTART | SA_NOCLDSTOP, &old);
		break;
	case BY_SELF_PIPE:
		/* Non-blocking: a handler must never sleep on a full pipe. */
		if (pipe2(self_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
			pl_die("pipe2");
		install(SIGCHLD, write_a_byte, SA_RESTART | SA_NOCLDSTOP, &old);
		break;
	case BY_SIGNALFD:
		if ((sfd = signalfd(-1, &sigchld, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
			pl_die("signalfd");
		break;
	}

	if (how == BY_SIGNALFD) {
		struct pl_fd seen = { .fd = sfd };
		char file[32], mask[32] = "?";

		pl_procfs_fd(getpid(), sfd, &seen);
		snprintf(file, sizeof(file), "fdinfo/%d", sfd);
		pl_procfs_field(getpid(), file, "sigmask", mask, sizeof(mask));
		pl_note("signalfd",
		        PL_FIELDS(PL_INT("fd", sfd), PL_STR("target", seen.target),
		                  PL_STR("sigmask", mask),
		                  PL_BOOL("blocked",
		                          mask_has(getpid(), getpid(), "SigBlk", SIGCHLD)),
		                  PL_BOOL("late_blocks", mask_has(late, late, "SigBlk", SIGCHLD))),
		        "SIGCHLD blocked (SigBlk: %s); signalfd() = fd %d, %s, fdinfo sigmask %s "
		        "(SIGCHLD); child %ld inherited the blocked mask: %s",
		        mask_has(getpid(), getpid(), "SigBlk", SIGCHLD) ? "yes" : "no", sfd,
		        seen.target, mask, (long)late,
		        mask_has(late, late, "SigBlk", SIGCHLD) ? "yes" : "no");
		pl_pause(1.0); /* time to look: /proc/PID/fdinfo/FD */
	}

	fds[0] = (struct pollfd){ .fd = work[0], .events = POLLIN };
	fds[1] =
	        (struct pollfd){ .fd = how == BY_SELF_PIPE ? self_pipe[0] : sfd, .events = POLLIN };
	for (int turn = 0; r->reaped < (late ? 2 : 1); turn++) {
		double start, ms;
		int ready, err;
		bool readable;

		if (turn == 10) /* two children need five turns at most */
			pl_die_en(ETIMEDOUT, "waiting for the children");
		if (how == BY_FLAG) { /* the check */
			if (child_exited) {
				pl_note("checked", PL_FIELDS(PL_INT("turn", turn)),
				        "the loop's next check finds child_exited = 1");
				child_exited = 0;
				reap_exited(r);
				continue;
			}
		}
		if (turn == 0) {
			exit_in_the_window(early, how);
			r->flag_before_poll = child_exited;
		} else if (late != 0 && turn == 1)
			pl_child_release(late); /* it exits once we sleep in poll() */

		start = pl_measure_now();
		ready = poll(fds, (nfds_t)nfds, timeout_ms);
		err = errno;
		ms = (pl_measure_now() - start) * 1e3;
		r->polls++;
		if (ready == -1 && err != EINTR)
			pl_die_en(err, "poll");
		readable = ready > 0 && nfds == 2 && (fds[1].revents & POLLIN) != 0;
		pl_note("poll-returned",
		        PL_FIELDS(PL_INT("turn", turn), PL_INT("returned", ready),
		                  PL_STR("errno", ready == -1 ? "EINTR" : ""), PL_DOUBLE("ms", ms),
		                  PL_BOOL("readable", readable)),
		        "poll() returned %d%s after %.1f ms%s", ready,
		        ready == -1 ? ", errno EINTR" : "", ms,
		        ready == 0 && child_exited
		                ? ": it slept to its timeout with child_exited = 1"
		        : ready == -1         ? ": SIGCHLD came while it slept, and no restart"
		        : !readable           ? ""
		        : how == BY_SELF_PIPE ? ": the self-pipe is readable"
		                              : ": the signalfd is readable");
		if (ready == -1) {
			r->eintrs++;
			continue;
		}
		if (ready == 0) {
			r->timeouts++;
			if (how != BY_FLAG)
				pl_die_en(ETIMEDOUT, "poll");
			continue;
		}
		if (fds[0].revents != 0)
			pl_die_en(EPROTO, "the work pipe woke poll()");
		if (turn == 0)
			r->first_at_once = (fds[1].revents & POLLIN) != 0;
		r->wakeups++;
		if (how == BY_SELF_PIPE) {
			char bytes[16];
			ssize_t n = read(self_pipe[0], bytes, sizeof(bytes));

			pl_note("drained", PL_FIELDS(PL_INT("bytes", n)),
			        "read(self-pipe): %zd byte(s); now reap", n);
		} else {
			read_records(sfd, r, early, late);
		}
		reap_exited(r);
	}

	switch (how) {
	case BY_FLAG:
		restore(SIGCHLD, &old);
		break;
	case BY_SELF_PIPE:
		restore(SIGCHLD, &old);
		close(self_pipe[0]);
		close(self_pipe[1]);
		self_pipe[0] = self_pipe[1] = -1;
		break;
	case BY_SIGNALFD:
		close(sfd);
		if (sigprocmask(SIG_SETMASK, &old_mask, NULL) == -1)
			pl_die("sigprocmask");
		break;
	}
	close(work[0]);
	close(work[1]);
}

static bool
reaped_both(const struct loop_result *r)
{
	return r->reaped == 2 && r->codes[0] == 1 && r->codes[1] == 2;
}

static void
self_pipe_trick(void)
{
	struct loop_result flag, piped;
	int timeout_ms = scaled_ms(1.0, 50);

	pl_note("flag-loop", NULL, "first a loop with a flag: if (child_exited) reap; poll(%d ms)",
	        timeout_ms);
	poll_loop(BY_FLAG, &flag);
	pl_check("lost-wakeup",
	         flag.flag_before_poll && flag.timeouts == 1 && flag.polls == 1 && flag.reaped == 1,
	         NULL,
	         "with a flag, poll() slept %d ms to its timeout though the child had exited: a "
	         "lost wakeup",
	         timeout_ms);

	pl_note("self-pipe-loop", NULL,
	        "now the handler writes a byte to a pipe, and poll() waits on it too");
	poll_loop(BY_SELF_PIPE, &piped);
	pl_check("self-pipe-wakes", piped.first_at_once && piped.timeouts == 0, NULL,
	         "with the self-pipe, poll() returned at once: the byte was waiting for it");
	pl_check("poll-not-restarted", piped.eintrs == 1, NULL,
	         "a SIGCHLD while poll() slept made it fail with EINTR, SA_RESTART or not");
	pl_check("self-pipe-reaped", reaped_both(&piped), NULL,
	         "the loop reaped both children, with their exit statuses 1 and 2");
}

static void
signalfd_loop(void)
{
	struct loop_result r;

	poll_loop(BY_SIGNALFD, &r);
	pl_check("pending-until-read", r.pending_before && r.cleared_after && r.wakeups == 2, NULL,
	         "SIGCHLD stayed pending (ShdPnd) until read() from the signalfd consumed it");
	pl_check("record-names-child", r.records == 2 && r.records_match && reaped_both(&r), NULL,
	         "each record named the child and its exit status; waitpid() still reaped it");
	pl_check("no-eintr", r.eintrs == 0 && r.polls == 2, NULL,
	         "no handler, so no EINTR: two poll() calls, two wakeups");
}

/* ------------------------------------------------------------------ */
/* Step 6: process-directed and thread-directed signals. Each thread    */
/* chooses what it blocks with pthread_sigmask(); the handler reports   */
/* the thread it ran in by writing its TID to a pipe.                   */

static int report[2] = { -1, -1 };

static void
say_which_thread(int sig)
{
	int saved = errno;
	pid_t tid = gettid(); /* a bare system call: no lock, no buffer */

	(void)sig;
	if (write(report[1], &tid, sizeof(tid)) == -1) {
		/* nothing a handler could do about it */
	}
	errno = saved;
}

enum order { ORDER_UNBLOCK, ORDER_QUIT };

struct worker {
	pthread_t thread;
	const char *name; /* at most 15 characters: pthread_setname_np(3) */
	pid_t tid;
	enum order order;
	sem_t ordered, done;
};

static struct worker workers[NWORKERS];
static const char *const worker_names[NWORKERS] = { "worker-1", "worker-2", "worker-3" };

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t usr1;

	pthread_setname_np(pthread_self(), w->name); /* /proc/PID/task/TID/comm */
	w->tid = gettid();
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sem_post(&w->done);
	for (;;) {
		wait_for(&w->ordered); /* asleep in a futex wait; a handler may run here */
		if (w->order == ORDER_QUIT)
			return NULL;
		pthread_sigmask(SIG_UNBLOCK, &usr1, NULL); /* a pending SIGUSR1 comes now */
		sem_post(&w->done);
	}
}

static void
give_order(struct worker *w, enum order order)
{
	w->order = order;
	sem_post(&w->ordered);
	if (order != ORDER_QUIT)
		wait_for(&w->done);
}

/* A new thread starts with its creator's signal mask (pthread_sigmask(3)).
 * Started while Ctrl-C and the other termination signals are held, it
 * keeps them blocked, and the main thread takes them all. */
static void
start_worker(struct worker *w, const char *name)
{
	sigset_t saved;
	int err;

	w->name = name;
	if (sem_init(&w->ordered, 0, 0) == -1 || sem_init(&w->done, 0, 0) == -1)
		pl_die("sem_init");
	pl_cleanup_hold(&saved);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pl_cleanup_release(&saved);
	if (err != 0)
		pl_die_en(err, "pthread_create");
	wait_for(&w->done); /* its TID is known */
}

/* The TID the handler reported, or 0 if none came within MS. Then wait
 * until that thread is out of the handler: while it runs, the kernel
 * adds SIGUSR1 to the thread's mask (sigaction(2)), and SigBlk shows it. */
static pid_t
handled_by(int ms)
{
	struct pollfd pfd = { .fd = report[0], .events = POLLIN };
	double give_up = pl_measure_now() + TIMEOUT_MS / 1e3;
	pid_t tid = 0;
	int ready;

	while ((ready = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		;
	if (ready == 1 && read(report[0], &tid, sizeof(tid)) != (ssize_t)sizeof(tid))
		pl_die("read");
	while (tid != 0 && mask_has(getpid(), tid, "SigBlk", SIGUSR1) && pl_measure_now() < give_up)
		nap_ms(1);
	return tid;
}

static const char *
thread_name(pid_t tid)
{
	if (tid == getpid())
		return "main";
	for (int i = 0; i < NWORKERS; i++)
		if (workers[i].tid == tid)
			return workers[i].name;
	return tid == 0 ? "no thread" : "?";
}

/* Which threads block SIGUSR1, and where it is pending, from
 * /proc/PID/task/TID/status; in JSON, one field per thread. */
static void
show_masks(const char *event, const char *when)
{
	pid_t me = getpid(), tids[NWORKERS + 1] = { me };
	long ids[NWORKERS + 1], blocked[NWORKERS + 1], pending[NWORKERS + 1];
	char line[256];
	size_t used = 0;

	for (int i = 0; i < NWORKERS; i++)
		tids[i + 1] = workers[i].tid;
	for (int i = 0; i <= NWORKERS; i++) {
		ids[i] = tids[i];
		blocked[i] = mask_has(me, tids[i], "SigBlk", SIGUSR1);
		pending[i] = mask_has(me, tids[i], "SigPnd", SIGUSR1);
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s %s%s",
		                         i == 0 ? "" : ", ", thread_name(tids[i]),
		                         blocked[i] ? "blocks" : "takes",
		                         pending[i] ? " (pending for it)" : "");
		if (used >= sizeof(line))
			used = sizeof(line) - 1;
	}
	pl_note(event,
	        PL_FIELDS(PL_INTS("tids", ids, NWORKERS + 1),
	                  PL_INTS("blocked", blocked, NWORKERS + 1),
	                  PL_INTS("pending_for_thread", pending, NWORKERS + 1),
	                  PL_BOOL("pending_for_process", mask_has(me, me, "ShdPnd", SIGUSR1))),
	        "%s: %s; pending for the process (ShdPnd): %s", when, line,
	        mask_has(me, me, "ShdPnd", SIGUSR1) ? "yes" : "no");
}

static void
threads_and_masks(void)
{
	struct worker *taker = &workers[1], *other = &workers[2];
	struct sigaction old;
	sigset_t usr1, old_mask;
	bool all_block = true, shared_pending, thread_pending, none_ran;
	int went_to_taker = 0, err, times = 3;
	pid_t me = getpid(), got;

	if (pipe2(report, O_CLOEXEC | O_NONBLOCK) == -1)
		pl_die("pipe2");
	install(SIGUSR1, say_which_thread, SA_RESTART, &old);
	/* Blocked in the main thread before the workers start: they inherit it. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if ((err = pthread_sigmask(SIG_BLOCK, &usr1, &old_mask)) != 0)
		pl_die_en(err, "pthread_sigmask");
	for (int i = 0; i < NWORKERS; i++)
		start_worker(&workers[i], worker_names[i]);
	all_block = mask_has(me, me, "SigBlk", SIGUSR1);
	for (int i = 0; i < NWORKERS; i++)
		all_block = all_block && mask_has(me, workers[i].tid, "SigBlk", SIGUSR1);
	show_masks("masks", "main blocked SIGUSR1, then started 3 workers");
	pl_check("mask-inherited", all_block, NULL,
	         "every thread blocks SIGUSR1: a new thread starts with its creator's mask");

	/* A process-directed signal while every thread blocks it. */
	if (kill(me, SIGUSR1) == -1)
		pl_die("kill");
	shared_pending = mask_has(me, me, "ShdPnd", SIGUSR1);
	none_ran = handled_by(0) == 0;
	show_masks("process-pending", "kill(getpid(), SIGUSR1)");
	pl_pause(1.0); /* time to look: grep Sig /proc/PID/task/ANY/status */
	pl_check("pending-for-process", shared_pending && none_ran, NULL,
	         "with every thread blocking it, it waits, pending for the whole process");

	give_order(taker, ORDER_UNBLOCK);
	got = handled_by(TIMEOUT_MS);
	pl_note("handled", PL_FIELDS(PL_INT("tid", got), PL_STR("thread", thread_name(got))),
	        "%s unblocks SIGUSR1: the handler runs at once, in TID %ld (%s)", taker->name,
	        (long)got, thread_name(got));
	pl_check("goes-to-unblocker", got == taker->tid && !mask_has(me, me, "ShdPnd", SIGUSR1),
	         NULL, "the pending signal went to the thread that unblocked it");

	for (int i = 0; i < times; i++) {
		if (kill(me, SIGUSR1) == -1)
			pl_die("kill");
		went_to_taker += handled_by(TIMEOUT_MS) == taker->tid;
	}
	pl_note("kills", PL_FIELDS(PL_INT("sent", times), PL_INT("to_taker", went_to_taker)),
	        "kill(getpid(), SIGUSR1) %d more times: the handler ran in %s %d time(s)", times,
	        taker->name, went_to_taker);
	pl_check("only-taker", went_to_taker == times, NULL,
	         "a process-directed signal goes to a thread that does not block it: here, "
	         "only %s",
	         taker->name);

	/* A thread-directed signal, to a thread that blocks it. */
	if ((err = pthread_kill(other->thread, SIGUSR1)) != 0)
		pl_die_en(err, "pthread_kill");
	thread_pending = mask_has(me, other->tid, "SigPnd", SIGUSR1) &&
	                 !mask_has(me, me, "ShdPnd", SIGUSR1) &&
	                 !mask_has(me, taker->tid, "SigBlk", SIGUSR1);
	none_ran = handled_by(0) == 0;
	show_masks("thread-pending", "pthread_kill(worker-3, SIGUSR1)");
	pl_pause(1.0); /* time to look: SigPnd of worker-3 only */
	pl_check("waits-for-its-thread", thread_pending && none_ran, NULL,
	         "it waits for %s alone (its SigPnd), though %s takes SIGUSR1", other->name,
	         taker->name);

	give_order(other, ORDER_UNBLOCK);
	got = handled_by(TIMEOUT_MS);
	pl_note("handled", PL_FIELDS(PL_INT("tid", got), PL_STR("thread", thread_name(got))),
	        "%s unblocks SIGUSR1: the handler runs in TID %ld (%s)", other->name, (long)got,
	        thread_name(got));
	pl_check("thread-directed", got == other->tid, NULL,
	         "a thread-directed signal runs its handler in that thread");

	for (int i = 0; i < NWORKERS; i++) {
		give_order(&workers[i], ORDER_QUIT);
		if ((err = pthread_join(workers[i].thread, NULL)) != 0)
			pl_die_en(err, "pthread_join");
		sem_destroy(&workers[i].ordered);
		sem_destroy(&workers[i].done);
	}
	if ((err = pthread_sigmask(SIG_SETMASK, &old_mask, NULL)) != 0)
		pl_die_en(err, "pthread_sigmask");
	restore(SIGUSR1, &old);
	close(report[0]);
	close(report[1]);
}

/* ------------------------------------------------------------------ */

/* Is step NAME in --only, or is there no --only? */
static bool
wanted(const char *name)
{
	char list[256], *save = NULL;

	if (only == NULL)
		return true;
	snprintf(list, sizeof(list), "%s", only);
	for (char *s = strtok_r(list, ",", &save); s != NULL; s = strtok_r(NULL, ",", &save))
		if (strcmp(s, name) == 0)
			return true;
	return false;
}

static void
check_only(void)
{
	char list[256], *save = NULL;
	size_t len;

	if (only == NULL)
		return;
	len = strlen(only);
	if (len >= sizeof(list) || only[0] == ',' || only[len - 1] == ',' ||
	    strstr(only, ",,") != NULL)
		pl_die_usage("--only takes step names separated by commas, not '%s'", only);
	snprintf(list, sizeof(list), "%s", only);
	for (char *s = strtok_r(list, ",", &save); s != NULL; s = strtok_r(NULL, ",", &save)) {
		size_t i = 0;

		while (i < PL_COUNT(step_names) && strcmp(s, step_names[i]) != 0)
			i++;
		if (i == PL_COUNT(step_names))
			pl_die_usage("--only: no step '%s' (eintr sa-restart handler-safety "
			             "self-pipe signalfd threads)",
			             s);
	}
}

int
main(int argc, char *argv[])
{
	pthread_mutexattr_t attr;

	pl_demo_init(argc, argv, &demo);
	check_only();

	/* One page shared with the children of steps 1 and 2. */
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	              0);
	if (shared == MAP_FAILED)
		pl_die("mmap");
	/* Step 3's lock: a NORMAL mutex deadlocks when its holder locks it
	 * again (pthread_mutex_lock(3p)); the default type leaves that
	 * undefined. */
	if (pthread_mutexattr_init(&attr) != 0 ||
	    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL) != 0 ||
	    pthread_mutex_init(&log_lock, &attr) != 0)
		pl_die("pthread_mutex_init");

	if (wanted("eintr")) {
		pl_step("eintr", PL_FIELDS(PL_INT("children", nchildren)),
		        "a read() interrupted by SIGCHLD fails with EINTR");
		read_while_children_exit(false);
	}
	if (wanted("sa-restart")) {
		pl_step("sa-restart", PL_FIELDS(PL_INT("children", nchildren)),
		        "with SA_RESTART, the same read() goes on after the handler");
		read_while_children_exit(true);
	}
	if (wanted("handler-safety")) {
		pl_step("handler-safety", NULL,
		        "a handler may call only async-signal-safe functions");
		unsafe_handler();
		safe_handler();
	}
	if (wanted("self-pipe")) {
		pl_step("self-pipe", NULL,
		        "the self-pipe trick: a poll() loop that learns of SIGCHLD from a pipe");
		self_pipe_trick();
	}
	if (wanted("signalfd")) {
		pl_step("signalfd", NULL,
		        "signalfd(): SIGCHLD blocked, then read from a descriptor");
		signalfd_loop();
	}
	if (wanted("threads")) {
		pl_step("threads", NULL,
		        "process-directed and thread-directed signals, and pthread_sigmask()");
		threads_and_masks();
	}
	return pl_demo_finish();
}
