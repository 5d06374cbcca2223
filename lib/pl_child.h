/* pl_child.h - children a demo forks, tracked so none outlives the demo.
 *
 * pl_fork() returns exactly what fork(2) returns, so a demo keeps the
 * classic shape:
 *
 *     switch (pid = pl_fork("worker", 0)) {
 *     case -1: pl_die("fork");
 *     case 0:  ... child ...; _exit(EXIT_SUCCESS);
 *     default: ... parent ...
 *     }
 *
 * Around the fork it also
 *  - refuses to go past a cap on live children (errno EAGAIN), so a bug
 *    cannot become a fork bomb;
 *  - in the child: asks the kernel to SIGKILL it when its parent dies
 *    (PR_SET_PDEATHSIG, on Linux), restores the default action for
 *    SIGINT, SIGTERM, SIGHUP and SIGQUIT, and forgets its parent's children;
 *  - in the parent: records the PID and ROLE until the child is reaped.
 *
 * With PL_FORK_CHANNEL the child also gets a private line to its parent,
 * for reporting what it saw (pl_child_tell / pl_child_hear) and for being
 * held in place while the parent looks at it (pl_child_hold / release).
 */
#ifndef PL_CHILD_H
#define PL_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PL_CHILDREN_MAX_DEFAULT 64
#define PL_FORK_CHANNEL 0x1

/* The cap on live children of this process (1 to 4096). */
int pl_children_set_max(int max);
int pl_children_get_max(void);

pid_t pl_fork(const char *role, unsigned flags);

/* In a process made by pl_fork(): true, and the role it was given.
 * In the demo's first process: false and "main". */
bool pl_is_child(void);
const char *pl_role(void);

/* The child's side of the channel. */
int pl_child_tell(const void *buf, size_t len);
int pl_child_hold(void);

/* The parent's side. hear reads exactly LEN bytes or fails with ETIMEDOUT
 * after TIMEOUT_MS, or EPIPE if the child closed its end first. */
int pl_child_hear(pid_t pid, void *buf, size_t len, int timeout_ms);
int pl_child_release(pid_t pid);

/* waitpid(2) for a tracked child, retried on EINTR; when the child has
 * ended it is forgotten, and so is one that fails with ECHILD (reaped by
 * the kernel or by someone else). Returns the PID, 0 (WNOHANG, still
 * running) or -1. */
pid_t pl_child_wait(pid_t pid, int *status, int options);

/* How many tracked children are not yet reaped, and their role. */
int pl_children_live(void);
const char *pl_child_role(pid_t pid);

/* Send SIG to PID only if it is a tracked child, not yet reaped, and
 * send it through a pidfd where the kernel has them (Linux 5.3). Returns
 * 0, or -1 with errno: ESRCH for any other PID, such as one read from
 * shared data that something else could have written. */
int pl_child_signal(pid_t pid, int sig);

/* Send SIG to every tracked child. Async-signal-safe. */
void pl_children_signal_all(int sig);

/* SIGKILL and reap every tracked child. Returns how many there were. */
int pl_children_kill_and_reap(void);

/* Reap PID, a child of ours, once it has ended, waiting for that at most
 * MS milliseconds (waitpid(2) with WNOHANG, every millisecond). For a
 * signal handler, which must not wait for ever: async-signal-safe, and it
 * leaves the table of tracked children alone. Returns PID with *STATUS
 * (if STATUS is not NULL), 0 if it is still running at the deadline, or
 * -1 with errno (ECHILD: not a child of ours, or reaped already). */
pid_t pl_child_reap_within(pid_t pid, int *status, int ms);

/* The same for every tracked child, within MS milliseconds in all: for
 * the termination handler, after pl_children_signal_all(SIGKILL), so that
 * no child is left a zombie for init to reap. Returns how many were still
 * running at the deadline. */
int pl_children_reap_within(int ms);

/* Describe a wait status in words: "exited with status 3", "killed by
 * SIGKILL (signal 9)", "killed by SIGSEGV (signal 11), core dumped",
 * "stopped by SIGSTOP (signal 19)", "continued". */
int pl_status_describe(int status, char *buf, size_t size);

/* "SIGKILL" for 9, or "signal 42" for what it does not know. */
const char *pl_signal_name(int sig);

#endif /* PL_CHILD_H */
