/* pl_pidfd.h - signal a process only while it surely is the one meant.
 *
 * A PID is a number, not a process. Once a process has been reaped, the
 * kernel may give its PID to a new one at any time (pid_max is 32768 by
 * default, so that happens within seconds on a busy machine), and kill(2)
 * on the old number then hits a stranger. Checking first and killing
 * after does not help: the PID can change hands between the two calls.
 *
 * A pidfd (pidfd_open(2), Linux 5.3) is a file descriptor that refers to
 * one process, not to a number. pidfd_send_signal(2) on it reaches that
 * process or, once it has been reaped, nobody (ESRCH), whoever has its
 * PID by then. Opening the pidfd still goes by the number, so the open is
 * checked: AFTER it, the process at PID must have the start time (field 22
 * of /proc/PID/stat, clock ticks after boot) that the caller saw when it
 * chose the process. Two processes with one PID and one start time would
 * need the PIDs to wrap around within one clock tick.
 *
 *     struct pl_proc p;              // read earlier, e.g. by pl_procfs_read
 *     ...
 *     if (pl_pidfd_signal_checked(p.pid, p.start, SIGTERM) == -1 && errno == ESRCH)
 *         ...                        // it has ended: nothing was sent
 *
 * A caller that signals one process twice (SIGTERM, then SIGKILL after a
 * grace) keeps the descriptor of pl_pidfd_open_checked() in between, and
 * needs no second check.
 *
 * Where the kernel has no pidfds (ENOSYS), pl_pidfd_signal_checked()
 * falls back to checking the start time and then calling kill(2): the
 * race above, one system call wide, is all it can do there.
 */
#ifndef PL_PIDFD_H
#define PL_PIDFD_H

#include <sys/types.h>

/* A pidfd (close-on-exec) for the process PID that started at clock tick
 * START. Returns the descriptor, or -1 with errno: ESRCH when there is no
 * such process, or PID names another one now; ENOSYS when the kernel has
 * no pidfd_open(2); EINVAL for a PID that is not a process (a thread). */
int pl_pidfd_open_checked(pid_t pid, unsigned long long start);

/* A pidfd (close-on-exec) for PID, a child of ours not yet reaped (a
 * zombie counts), with no start time to check: a child keeps its PID
 * until its parent reaps it (wait(2)), so the number names no one else
 * meanwhile. After the open, waitid(2) on the pidfd, which fails with
 * ECHILD unless it refers to a child of ours, checks that it was not
 * reaped behind the caller's back, and leaves it unreaped (WNOWAIT).
 * Linux 5.3 has pidfds but waitid() takes them only from 5.4: there the
 * caller's word is all there is. Returns the descriptor, or -1 with
 * errno: ESRCH when PID is no child of ours (any more); ENOSYS when the
 * kernel has no pidfd_open(2); EINVAL for 0 and negative numbers. */
int pl_pidfd_open_child(pid_t pid);

/* Send SIG to the process PIDFD refers to. Returns 0, or -1 with errno
 * (ESRCH: it has been reaped; EPERM: not ours to signal). */
int pl_pidfd_send(int pidfd, int sig);

/* Open, send SIG, close: for a single signal. Returns like pl_pidfd_send(),
 * or -1 with errno ESRCH when PID is not the process that started at
 * START (any more). */
int pl_pidfd_signal_checked(pid_t pid, unsigned long long start, int sig);

#endif /* PL_PIDFD_H */
