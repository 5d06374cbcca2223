/* pl_pidfd.c - signal a process only while it surely is the one meant.
 * See pl_pidfd.h, pidfd_open(2) and pidfd_send_signal(2).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* glibc 2.36 and later declare pidfd_open() and pidfd_send_signal() in
 * <sys/pidfd.h>; with an older C library we make the system calls. */
#if defined(__has_include)
#if __has_include(<sys/pidfd.h>)
#include <sys/pidfd.h>
#define PL_HAVE_SYS_PIDFD_H 1
#endif
#endif

#include "pl_pidfd.h"
#include "pl_procfs.h"

#ifndef PL_HAVE_SYS_PIDFD_H
/* Since Linux 5.1 a new system call has one number on every architecture
 * but alpha and ia64, which add an offset (the syscall.tbl files under
 * arch/ in the kernel source). */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int
pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int
pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags);
}
#endif

/* Is PID the process that started at START? 1 yes, 0 no (or no process
 * at all), -1 with errno if /proc could not tell. */
static int
started_at(pid_t pid, unsigned long long start)
{
	struct pl_proc now;
	int rc = pl_procfs_read(pid, &now);

	if (rc == PL_PROCFS_GONE)
		return 0;
	if (rc != 0)
		return -1;
	return now.start == start;
}

int
pl_pidfd_open_checked(pid_t pid, unsigned long long start)
{
	int fd, same, saved;

	if (pid <= 0) {
		errno = EINVAL; /* 0 and negative numbers name groups for kill(2) */
		return -1;
	}
	fd = pidfd_open(pid, 0);
	if (fd == -1)
		return -1;
	/* The check comes after the open. The pidfd holds whatever process
	 * had PID at the open; if PID shows START now, that process was ours
	 * already then: a PID names only one process at a time, and a
	 * process that started later shows a later start time. */
	same = started_at(pid, start);
	if (same == 1)
		return fd;
	saved = same == 0 ? ESRCH : errno;
	close(fd);
	errno = saved;
	return -1;
}

/* waitid(2)'s idtype for a pidfd (<linux/wait.h>), which C libraries
 * before glibc 2.36 do not name. */
#define PIDFD_IDTYPE 3

int
pl_pidfd_open_child(pid_t pid)
{
	siginfo_t info;
	int fd, saved;

	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = pidfd_open(pid, 0)) == -1)
		return -1;
	memset(&info, 0, sizeof(info));
	/* WEXITED | WNOHANG | WNOWAIT: look, whether it has ended or not,
	 * and leave it for its parent to reap. */
	if (syscall(SYS_waitid, PIDFD_IDTYPE, fd, &info, WEXITED | WNOHANG | WNOWAIT, NULL) == 0 ||
	    errno == EINVAL)
		return fd;
	saved = errno == ECHILD ? ESRCH : errno;
	close(fd);
	errno = saved;
	return -1;
}

int
pl_pidfd_send(int pidfd, int sig)
{
	return pidfd_send_signal(pidfd, sig, NULL, 0);
}

int
pl_pidfd_signal_checked(pid_t pid, unsigned long long start, int sig)
{
	int fd = pl_pidfd_open_checked(pid, start), rc, saved;

	if (fd == -1 && errno == ENOSYS) {
		/* No pidfds in this kernel (before 5.3): check, then kill.
		 * The PID could still change hands between the two calls. */
		int same = started_at(pid, start);
		if (same == 1)
			return kill(pid, sig);
		if (same == 0)
			errno = ESRCH;
		return -1;
	}
	if (fd == -1)
		return -1;
	rc = pl_pidfd_send(fd, sig);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
