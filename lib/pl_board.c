/* pl_board.c - the status board a demo shares with the dashboard.
 *
 * Writers and readers share no lock. Each slot has a sequence counter that
 * is odd while its owner writes it (a "seqlock", as the kernel uses for
 * jiffies): a reader copies the slot and keeps the copy only if the counter
 * was even and unchanged across the copy.
 *
 * The orders, in C11 terms (H.-J. Boehm, "Can seqlocks get along with
 * programming language memory models?", MSPC 2012; the kernel's
 * write_seqcount_begin() and read_seqcount_retry() do the same with
 * smp_wmb() and smp_rmb()):
 *   writer: seq = odd; release fence; write the text; seq = even (release)
 *   reader: s = seq (acquire); copy the text; acquire fence; keep the copy
 *           only if seq is still s
 * The writer's fence is the one that is easy to forget: a release store or
 * fetch-add orders what comes BEFORE it, so without the fence the CPU may
 * let the new text be seen before the odd counter (ARM and POWER do), and
 * a reader would copy half an update under an unchanged even counter. The
 * two fences pair up (C11 7.17.4): a reader that saw any of the new text
 * sees the odd counter, or a later one, when it looks again.
 * The counters are plain fields of memory shared between processes, so
 * they are read and written with the compiler's __atomic built-ins, the
 * same operations as C11's atomic_load_explicit() and friends.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pl_board.h"
#include "pl_measure.h"
#include "pl_name.h"
#include "pl_procfs.h"

#define READ_TRIES 100

static struct pl_board *attached_board;
/* Each thread has its own slot, found by its thread ID (the PID, in a
 * process's first thread), so threads can report the locks they hold. */
static _Thread_local pid_t slot_pid; /* the thread that found my_slot */
static _Thread_local struct pl_board_slot *my_slot;

static pid_t
thread_id(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static struct pl_board *
map_board(int fd)
{
	void *p = mmap(NULL, sizeof(struct pl_board), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct pl_board *
pl_board_create(char *name, size_t size)
{
	unsigned long long start;
	struct pl_board *board;
	int fd, saved;

	if (pl_procfs_start(getpid(), &start) != 0)
		return NULL;
	/* O_EXCL, 0600, and a name nobody can take first (pl_name.h). */
	fd = pl_name_shm_create("board", name, size);
	if (fd == -1)
		return NULL;
	if (ftruncate(fd, sizeof(struct pl_board)) == -1 || (board = map_board(fd)) == NULL) {
		saved = errno;
		close(fd);
		shm_unlink(name);
		errno = saved;
		return NULL;
	}
	close(fd);
	/* ftruncate gave zeroes; only the header needs values. */
	board->size = sizeof(struct pl_board);
	board->owner = (int32_t)getpid();
	board->owner_start = start;
	__atomic_store_n(&board->magic, PL_BOARD_MAGIC, __ATOMIC_RELEASE);
	return board;
}

int
pl_board_remove(struct pl_board *board, const char *name)
{
	int rc = 0;

	if (name != NULL && name[0] != '\0' && shm_unlink(name) == -1 && errno != ENOENT)
		rc = -1;
	if (board != NULL)
		munmap(board, sizeof(*board));
	if (board == attached_board) {
		attached_board = NULL;
		my_slot = NULL;
	}
	return rc;
}

int
pl_board_clean_stale(const char *dir)
{
	return pl_name_clean_stale(dir, "board");
}

int
pl_board_read_slot(const struct pl_board *board, size_t i, struct pl_board_slot *out)
{
	const struct pl_board_slot *s;

	if (board == NULL || i >= PL_BOARD_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	s = &board->slots[i];
	for (int tries = 0; tries < READ_TRIES; tries++) {
		uint32_t before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

		if (before & 1)
			continue;
		memcpy(out, (const void *)s, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == before) {
			out->role[PL_BOARD_NAME - 1] = out->narration[PL_BOARD_TEXT - 1] = '\0';
			out->wants[PL_BOARD_NAME - 1] = '\0';
			for (int k = 0; k < PL_BOARD_LOCKS; k++)
				out->holds[k][PL_BOARD_NAME - 1] = '\0';
			for (int k = 0; k < PL_BOARD_COUNTERS; k++)
				out->counters[k].name[PL_BOARD_NAME - 1] = '\0';
			return out->pid != 0;
		}
	}
	errno = EAGAIN;
	return -1;
}

int
pl_board_read_event(const struct pl_board *board, uint32_t seq, struct pl_board_event *out)
{
	const struct pl_board_event *e;

	if (board == NULL || seq == 0)
		return 0;
	e = &board->events[(seq - 1) % PL_BOARD_EVENTS];
	if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) != seq)
		return 0;
	memcpy(out, (const void *)e, sizeof(*out));
	atomic_thread_fence(memory_order_acquire);
	if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq)
		return 0;
	out->text[PL_BOARD_TEXT - 1] = '\0';
	return 1;
}

int
pl_board_free_slot(struct pl_board *board, size_t i, pid_t pid)
{
	int32_t expected = (int32_t)pid;

	if (board == NULL || i >= PL_BOARD_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	return __atomic_compare_exchange_n(&board->slots[i].pid, &expected, 0, false,
	                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
	               ? 1
	               : 0;
}

void
pl_board_step_release(struct pl_board *board)
{
	uint32_t waiting = __atomic_load_n(&board->step_waiting, __ATOMIC_ACQUIRE);

	__atomic_store_n(&board->step_go, waiting, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* The demo's side.                                                     */

void
pl_board_use(struct pl_board *board)
{
	attached_board = board;
	my_slot = NULL;
	slot_pid = 0;
}

struct pl_board *
pl_board_current(void)
{
	return attached_board;
}

int
pl_board_attach(void)
{
	const char *name = getenv(PL_BOARD_ENV);
	struct pl_board *board;
	struct stat st;
	int fd;

	if (name == NULL || name[0] == '\0')
		return 0;
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Only a board of our own user, big enough, and really a board. */
	if (fstat(fd, &st) == -1 || st.st_uid != getuid() ||
	    (size_t)st.st_size < sizeof(struct pl_board) || (board = map_board(fd)) == NULL) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	close(fd);
	if (__atomic_load_n(&board->magic, __ATOMIC_ACQUIRE) != PL_BOARD_MAGIC ||
	    board->size != sizeof(struct pl_board)) {
		munmap(board, sizeof(*board));
		errno = EINVAL;
		return -1;
	}
	pl_board_use(board);
	__atomic_store_n(&board->attached, (int32_t)getpid(), __ATOMIC_RELEASE);
	return 1;
}

/* The writer's half of the seqlock (see the top of this file). Only the
 * slot's owner writes it, so the counter needs no read-modify-write of
 * its own; the fence is what keeps the text behind the odd value. */
static void
seq_begin(uint32_t *seq)
{
	__atomic_store_n(seq, __atomic_load_n(seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_release);
}

static void
seq_end(uint32_t *seq)
{
	__atomic_store_n(seq, __atomic_load_n(seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

/* This process's slot: found or claimed by PID. After fork() the child
 * has a new PID, so it looks again. */
static struct pl_board_slot *
slot(void)
{
	pid_t me = thread_id();

	if (my_slot != NULL && slot_pid == me)
		return my_slot;
	my_slot = NULL;
	for (size_t i = 0; i < PL_BOARD_SLOTS; i++)
		if (__atomic_load_n(&attached_board->slots[i].pid, __ATOMIC_ACQUIRE) == me)
			my_slot = &attached_board->slots[i];
	for (size_t i = 0; my_slot == NULL && i < PL_BOARD_SLOTS; i++) {
		int32_t expected = 0;
		struct pl_board_slot *s = &attached_board->slots[i];

		if (__atomic_compare_exchange_n(&s->pid, &expected, (int32_t)me, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			seq_begin(&s->seq);
			memset(s->role, 0, sizeof(*s) - offsetof(struct pl_board_slot, role));
			seq_end(&s->seq);
			my_slot = s;
		}
	}
	slot_pid = me;
	return my_slot;
}

static struct pl_board_slot *
begin_write(void)
{
	struct pl_board_slot *s = slot();

	if (s == NULL)
		return NULL;
	seq_begin(&s->seq);
	return s;
}

static void
end_write(struct pl_board_slot *s)
{
	seq_end(&s->seq);
}

static void
copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Every publishing call: nothing to do without a board (return 0 at once),
 * else the slot opened for writing. */
#define OPEN_SLOT(s)                                                                               \
	do {                                                                                       \
		if (attached_board == NULL)                                                        \
			return 0;                                                                  \
		if (((s) = begin_write()) == NULL) {                                               \
			errno = ENOSPC;                                                            \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

int
pl_board_set_role(const char *role)
{
	struct pl_board_slot *s;

	OPEN_SLOT(s);
	copy_text(s->role, sizeof(s->role), role);
	end_write(s);
	return 0;
}

int
pl_board_narrate(char kind, double t, const char *text)
{
	struct pl_board_slot *s;
	struct pl_board_event *e;
	uint32_t seq;

	OPEN_SLOT(s);
	copy_text(s->narration, sizeof(s->narration), text);
	end_write(s);
	seq = __atomic_add_fetch(&attached_board->nevents, 1, __ATOMIC_ACQ_REL);
	e = &attached_board->events[(seq - 1) % PL_BOARD_EVENTS];
	/* The same protocol with 0 for "being written": the fence keeps the
	 * new text from being seen under the old event's number. */
	__atomic_store_n(&e->seq, 0, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_release);
	e->pid = (int32_t)thread_id();
	e->t = t;
	e->kind = kind;
	copy_text(e->text, sizeof(e->text), text);
	__atomic_store_n(&e->seq, seq, __ATOMIC_RELEASE);
	return 0;
}

int
pl_board_lock_wants(const char *lock)
{
	struct pl_board_slot *s;

	OPEN_SLOT(s);
	copy_text(s->wants, sizeof(s->wants), lock);
	end_write(s);
	return 0;
}

static bool
same_name(const char *a, const char *b)
{
	return strncmp(a, b, PL_BOARD_NAME - 1) == 0;
}

int
pl_board_lock_holds(const char *lock)
{
	struct pl_board_slot *s;
	int at = -1;

	if (lock == NULL || lock[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	OPEN_SLOT(s);
	for (int i = 0; i < PL_BOARD_LOCKS && at < 0; i++)
		if (s->holds[i][0] == '\0')
			at = i;
	if (at >= 0)
		copy_text(s->holds[at], sizeof(s->holds[0]), lock);
	/* Holding a lock ends wanting it. */
	if (same_name(s->wants, lock))
		s->wants[0] = '\0';
	end_write(s);
	if (at < 0) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
pl_board_lock_releases(const char *lock)
{
	struct pl_board_slot *s;

	OPEN_SLOT(s);
	for (int i = 0; i < PL_BOARD_LOCKS; i++)
		if (lock != NULL && same_name(s->holds[i], lock))
			s->holds[i][0] = '\0';
	end_write(s);
	return 0;
}

int
pl_board_count(const char *counter, long long value)
{
	struct pl_board_slot *s;
	int at = -1;

	if (counter == NULL || counter[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	OPEN_SLOT(s);
	for (int i = 0; i < PL_BOARD_COUNTERS && at < 0; i++)
		if (same_name(s->counters[i].name, counter))
			at = i;
	for (int i = 0; i < PL_BOARD_COUNTERS && at < 0; i++)
		if (s->counters[i].name[0] == '\0')
			at = i;
	if (at >= 0) {
		copy_text(s->counters[at].name, PL_BOARD_NAME, counter);
		s->counters[at].value = value;
	}
	end_write(s);
	if (at < 0) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
pl_board_leave(void)
{
	struct pl_board_slot *s;

	if (attached_board == NULL)
		return 0;
	s = slot();
	if (s != NULL)
		__atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
	my_slot = NULL;
	return 0;
}

/* The board's owner, the dashboard: is it still the process that made the
 * board? Its PID alone does not say: once the dashboard is reaped the PID
 * may name anyone, and kill(pid, 0) then says "alive" (or EPERM, for
 * another user's process) for ever. */
static bool
owner_runs(const struct pl_board *board)
{
	return pl_procfs_same_process(board->owner, board->owner_start) == 1;
}

int
pl_board_checkpoint_within(double seconds)
{
	struct pl_board *board = attached_board;
	struct timespec tick = { 0, 10 * 1000000L };
	double deadline = pl_measure_now() + seconds;
	int owner = -1, rc = 0;
	uint32_t mine;

	if (board == NULL || board->owner == (int32_t)getpid())
		return 1;
	/* Hold the owner by a pidfd (pidfd_open(2), Linux 5.3), opened BEFORE
	 * we check that the PID is still the owner: if it is, the pidfd is
	 * the owner's for as long as we hold it, whatever becomes of the PID,
	 * and poll() reports it readable the moment the owner ends. Without
	 * pidfds, look at the owner's start time every tick instead. */
#ifdef SYS_pidfd_open
	owner = (int)syscall(SYS_pidfd_open, (pid_t)board->owner, 0);
#endif
	if (!owner_runs(board)) {
		if (owner != -1)
			close(owner);
		errno = ESRCH;
		return -1;
	}
	mine = __atomic_add_fetch(&board->step_waiting, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&board->step_go, __ATOMIC_ACQUIRE) < mine) {
		bool gone;

		if (owner != -1) {
			struct pollfd ended = { .fd = owner, .events = POLLIN };

			gone = poll(&ended, 1, 10) == 1;
		} else {
			gone = !owner_runs(board);
			if (!gone)
				nanosleep(&tick, NULL);
		}
		if (gone || pl_measure_now() >= deadline) {
			errno = gone ? ESRCH : ETIMEDOUT;
			rc = -1;
			break;
		}
	}
	if (owner != -1)
		close(owner);
	return rc;
}

int
pl_board_checkpoint(void)
{
	/* A dashboard that is gone can never let us go, and one that has not
	 * for an hour is not going to: go on either way. */
	return pl_board_checkpoint_within(PL_BOARD_STEP_MAX) == 1 ? 1 : 0;
}
