/* pl_evidence.h - what a demo reads to prove a claim, and how one of its
 * processes hands a report to another.
 *
 * A demo shows a mechanism in a few lines and proves it in many: it
 * counts what /proc lists, reads a pending-signal mask, and hears what a
 * child saw from inside. Those readings are here, behind names that say
 * what they find, so that the demo's own lines are the mechanism.
 */
#ifndef PL_EVIDENCE_H
#define PL_EVIDENCE_H

#include <stddef.h>
#include <sys/types.h>

/* How many children of PARENT /proc lists in STATE ('Z': zombies, 'S',
 * ...). A child that leaves /proc while it is counted is not counted.
 * Returns the count, or -1 with errno. */
int pl_evidence_children_in_state(pid_t parent, char state);

/* Whether signal SIG is pending for the whole of process PID: the ShdPnd
 * line of /proc/PID/status, a mask with bit SIG-1 set for signal SIG
 * (proc(5)). The mask is stored in *MASK when MASK is not NULL; it holds
 * one bit a signal, not a count, which is why signals of one kind merge.
 * Returns 1 or 0, or -1 with errno (ESRCH: PID is gone). */
int pl_evidence_signal_pending(pid_t pid, int sig, unsigned long long *mask);

/* Receive a report of exactly LEN bytes on FD within TIMEOUT_MS: for two
 * processes joined by a pipe or socket of their own, where pl_child.h's
 * channel, which joins a parent to its child, does not reach (an orphan
 * that reports to its grandparent). A report is sent in one write, so
 * once its first byte is there, all are. Returns 0, or -1 with errno:
 * ETIMEDOUT if nothing came in time, EPIPE at end-of-file (the sender is
 * gone), or what poll(2) or read(2) said. */
int pl_evidence_receive(int fd, void *buf, size_t len, int timeout_ms);

#endif /* PL_EVIDENCE_H */
