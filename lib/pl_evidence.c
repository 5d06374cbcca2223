/* pl_evidence.c - what a demo reads to prove a claim, and how one of its
 * processes hands a report to another. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "pl_evidence.h"
#include "pl_io.h"
#include "pl_procfs.h"

int
pl_evidence_children_in_state(pid_t parent, char state)
{
	pid_t *pids = NULL;
	int count, matching = 0;

	/* Children come and go between two scans: ask until a scan fits. */
	for (size_t room = 64;; room *= 2) {
		pid_t *more = realloc(pids, room * sizeof(*pids));

		if (more == NULL) {
			free(pids);
			return -1;
		}
		pids = more;
		if ((count = pl_procfs_children(parent, pids, room)) == -1) {
			free(pids);
			return -1;
		}
		if ((size_t)count <= room)
			break;
	}
	for (int i = 0; i < count; i++) {
		struct pl_proc proc;

		if (pl_procfs_read(pids[i], &proc) == 0 && proc.state == state)
			matching++;
	}
	free(pids);
	return matching;
}

int
pl_evidence_signal_pending(pid_t pid, int sig, unsigned long long *mask)
{
	unsigned long long pending;
	int rc;

	if (sig < 1 || sig > 64) {
		errno = EINVAL;
		return -1;
	}
	rc = pl_procfs_number(pid, "status", "ShdPnd", 16, &pending);
	if (rc == PL_PROCFS_GONE) {
		errno = ESRCH;
		return -1;
	}
	if (rc != 0)
		return -1;
	if (mask != NULL)
		*mask = pending;
	return (int)((pending >> (sig - 1)) & 1);
}

int
pl_evidence_receive(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t got;
	int ready;

	do
		ready = poll(&pfd, 1, timeout_ms);
	while (ready == -1 && errno == EINTR);
	if (ready <= 0) {
		if (ready == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	got = pl_read_full(fd, buf, len);
	if (got >= 0 && (size_t)got < len)
		errno = EPIPE;
	return got == (ssize_t)len ? 0 : -1;
}
