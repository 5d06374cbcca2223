/* pl_child.c - children a demo forks, tracked so none outlives the demo. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "pl_board.h"
#include "pl_child.h"
#include "pl_cleanup.h"
#include "pl_io.h"
#include "pl_measure.h"
#include "pl_pidfd.h"

#define HARD_MAX 4096

struct tracked {
	pid_t pid;
	int fd;          /* the parent's end of the channel, or -1 */
	char role[32];
};

/* A plain array, so the signal handler can walk it without locks. */
static struct tracked children[HARD_MAX];
static volatile int nchildren;
static int max_children = PL_CHILDREN_MAX_DEFAULT;

static bool in_child;
static char my_role[32] = "main";
static int channel_fd = -1;      /* in a child: its end of the channel */

static const int termination_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

int
pl_children_set_max(int max)
{
	if (max < 1 || max > HARD_MAX) {
		errno = EINVAL;
		return -1;
	}
	max_children = max;
	return 0;
}

int
pl_children_get_max(void)
{
	return max_children;
}

bool
pl_is_child(void)
{
	return in_child;
}

const char *
pl_role(void)
{
	return my_role;
}

static void
copy_role(char *dst, const char *role)
{
	snprintf(dst, sizeof(children[0].role), "%s", role ? role : "child");
}

static struct tracked *
find(pid_t pid)
{
	for (int i = 0; i < nchildren; i++)
		if (children[i].pid == pid)
			return &children[i];
	return NULL;
}

static void
forget(pid_t pid)
{
	struct tracked *t = find(pid);

	if (t == NULL)
		return;
	if (t->fd != -1)
		close(t->fd);
	/* Move the last entry into the hole. The handler may run between
	 * these stores; at worst it signals a PID twice. */
	*t = children[nchildren - 1];
	nchildren--;
}

/* The child's first moments: make sure it dies with its parent. */
static void
become_child(pid_t parent, const char *role, int fd)
{
	struct sigaction dfl;

#ifdef HAVE_SYS_PRCTL_H
	/* Linux: SIGKILL this process when the thread that forked it ends.
	 * If the parent already died before this call, nothing would ever
	 * fire, so check that the parent is still ours. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	if (getppid() != parent)
		_exit(1);

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (size_t i = 0; i < sizeof(termination_signals) / sizeof(int); i++)
		sigaction(termination_signals[i], &dfl, NULL);

	/* The parent's children are not ours: drop them and their channels. */
	for (int i = 0; i < nchildren; i++)
		if (children[i].fd != -1)
			close(children[i].fd);
	nchildren = 0;
	pl_cleanup_forget_all();

	in_child = true;
	copy_role(my_role, role);
	/* Under the dashboard, say who this child is (a no-op without it). */
	pl_board_set_role(my_role);
	if (channel_fd != -1)
		close(channel_fd);
	channel_fd = fd;
}

pid_t
pl_fork(const char *role, unsigned flags)
{
	int sv[2] = { -1, -1 };
	sigset_t old;
	pid_t parent = getpid(), pid;
	int saved;

	if (nchildren >= max_children || nchildren >= HARD_MAX) {
		errno = EAGAIN;
		return -1;
	}
	if ((flags & PL_FORK_CHANNEL) &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;

	/* Anything still in a stdio buffer would be printed twice. */
	fflush(NULL);
	/* A child of ours about to have children: it reaps them on Ctrl-C. */
	if (in_child)
		pl_cleanup_become_parent();

	/* Hold termination signals until the child is on the books, so the
	 * cleanup handler never misses it. */
	pl_cleanup_hold(&old);

	pid = fork();
	switch (pid) {
	case -1:
		saved = errno;
		if (sv[0] != -1) {
			close(sv[0]);
			close(sv[1]);
		}
		pl_cleanup_release(&old);
		errno = saved;
		return -1;
	case 0:
		if (sv[0] != -1)
			close(sv[0]);
		become_child(parent, role, sv[1]);
		pl_cleanup_release(&old);
		return 0;
	default:
		if (sv[1] != -1)
			close(sv[1]);
		children[nchildren].pid = pid;
		children[nchildren].fd = sv[0];
		copy_role(children[nchildren].role, role);
		nchildren++;
		pl_cleanup_release(&old);
		return pid;
	}
}

int
pl_child_tell(const void *buf, size_t len)
{
	if (channel_fd == -1) {
		errno = EBADF;
		return -1;
	}
	return pl_write_all(channel_fd, buf, len);
}

int
pl_child_hold(void)
{
	char byte;
	ssize_t n;

	if (channel_fd == -1) {
		errno = EBADF;
		return -1;
	}
	do
		n = read(channel_fd, &byte, 1);
	while (n == -1 && errno == EINTR);
	return n == -1 ? -1 : 0; /* a byte, or end of file: either lets go */
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

int
pl_child_hear(pid_t pid, void *buf, size_t len, int timeout_ms)
{
	struct tracked *t = find(pid);
	struct timespec deadline;
	char *p = buf;

	if (t == NULL || t->fd == -1) {
		errno = t == NULL ? ESRCH : EBADF;
		return -1;
	}
	deadline = pl_measure_deadline(CLOCK_MONOTONIC, timeout_ms * 1000000LL);
	while (len > 0) {
		struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
		long left = ms_left(&deadline);
		ssize_t n;

		if (left < 0)
			left = 0;
		int ready = poll(&pfd, 1, (int)left);
		if (ready == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (ready == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = read(t->fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pl_child_release(pid_t pid)
{
	struct tracked *t = find(pid);

	if (t == NULL || t->fd == -1) {
		errno = t == NULL ? ESRCH : EBADF;
		return -1;
	}
	return pl_write_all(t->fd, "", 1);
}

pid_t
pl_child_wait(pid_t pid, int *status, int options)
{
	int st = 0;
	pid_t got;

	do
		got = waitpid(pid, &st, options);
	while (got == -1 && errno == EINTR);
	if (got > 0 && (WIFEXITED(st) || WIFSIGNALED(st)))
		forget(got);
	/* Not ours to wait for any more: the kernel reaped it (SIGCHLD set to
	 * SIG_IGN, SA_NOCLDWAIT) or someone else did. Stop tracking it. */
	if (got == -1 && errno == ECHILD && pid > 0)
		forget(pid);
	if (status != NULL)
		*status = st;
	return got;
}

int
pl_children_live(void)
{
	return nchildren;
}

const char *
pl_child_role(pid_t pid)
{
	struct tracked *t = find(pid);

	return t ? t->role : NULL;
}

int
pl_child_signal(pid_t pid, int sig)
{
	int fd, rc, saved;

	if (pid <= 0 || find(pid) == NULL) {
		errno = ESRCH;
		return -1;
	}
	/* The table lists PID until we reap it, and a child keeps its PID
	 * until then, zombie or not (wait(2)). A child reaped behind the
	 * table's back (a plain waitpid() elsewhere) has given it up: the
	 * pidfd's check refuses it (pl_pidfd.h). */
	fd = pl_pidfd_open_child(pid);
	if (fd == -1 && errno == ENOSYS)
		return kill(pid, sig); /* no pidfds (Linux before 5.3): the table's word */
	if (fd == -1)
		return -1;
	rc = pl_pidfd_send(fd, sig);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

void
pl_children_signal_all(int sig)
{
	for (int i = 0; i < nchildren; i++)
		if (children[i].pid > 0)
			kill(children[i].pid, sig);
}

int
pl_children_kill_and_reap(void)
{
	int count = nchildren;

	pl_children_signal_all(SIGKILL);
	while (nchildren > 0) {
		pid_t pid = children[nchildren - 1].pid;
		if (pl_child_wait(pid, NULL, 0) == -1 && find(pid) != NULL)
			forget(pid); /* any other error: do not spin on it */
	}
	return count;
}

static void
nap_a_millisecond(void)
{
	static const struct timespec ms = { 0, 1000000L };

	nanosleep(&ms, NULL);
}

pid_t
pl_child_reap_within(pid_t pid, int *status, int ms)
{
	/* pl_measure_deadline() and ms_left() only call clock_gettime(2),
	 * which is async-signal-safe. */
	struct timespec deadline = pl_measure_deadline(CLOCK_MONOTONIC, ms * 1000000LL);
	int st = 0;
	pid_t got;

	for (;;) {
		got = waitpid(pid, &st, WNOHANG);
		if (got == -1 && errno == EINTR)
			continue;
		if (got != 0 || ms_left(&deadline) < 0)
			break;
		nap_a_millisecond();
	}
	if (got > 0 && status != NULL)
		*status = st;
	return got;
}

int
pl_children_reap_within(int ms)
{
	struct timespec deadline = pl_measure_deadline(CLOCK_MONOTONIC, ms * 1000000LL);
	int saved = errno, running;

	/* The table is left as it is, for the handler may have interrupted a
	 * change to it: a child reaped in an earlier round now gives ECHILD,
	 * and counts as done. */
	for (;;) {
		running = 0;
		for (int i = 0; i < nchildren; i++)
			if (children[i].pid > 0 && waitpid(children[i].pid, NULL, WNOHANG) == 0)
				running++;
		if (running == 0 || ms_left(&deadline) < 0)
			break;
		nap_a_millisecond();
	}
	errno = saved;
	return running;
}

static const char *const signal_names[] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
	[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
	[SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
	[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
	[SIGSYS] = "SIGSYS",
};

const char *
pl_signal_name(int sig)
{
	static _Thread_local char unknown[32];

	if (sig > 0 && (size_t)sig < sizeof(signal_names) / sizeof(signal_names[0]) &&
	    signal_names[sig] != NULL)
		return signal_names[sig];
	snprintf(unknown, sizeof(unknown), "signal %d", sig);
	return unknown;
}

int
pl_status_describe(int status, char *buf, size_t size)
{
	int n;

	if (WIFEXITED(status))
		n = snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		n = snprintf(buf, size, "killed by %s (signal %d)%s",
		             pl_signal_name(WTERMSIG(status)), WTERMSIG(status),
#ifdef WCOREDUMP
		             WCOREDUMP(status) ? ", core dumped" :
#endif
		             "");
	else if (WIFSTOPPED(status))
		n = snprintf(buf, size, "stopped by %s (signal %d)",
		             pl_signal_name(WSTOPSIG(status)), WSTOPSIG(status));
#ifdef WIFCONTINUED
	else if (WIFCONTINUED(status))
		n = snprintf(buf, size, "continued");
#endif
	else
		n = snprintf(buf, size, "unknown status 0x%x", (unsigned)status);
	if (n < 0 || (size_t)n >= size) {
		errno = ENOBUFS;
		return -1;
	}
	return 0;
}
