/* pipe.c - a pipe: a one-way stream of bytes between processes, kept in the kernel.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. a pipe is one-way: the parent holds the write end, the child the read
 *      end, both of the same pipe inode in /proc/PID/fd; writing to the read
 *      end fails; a reader of an empty pipe sleeps in pipe_read.
 *   2. read() returns 0 (end of file) only once EVERY write end is closed:
 *      with one writer gone and one left, the reader still sleeps. With
 *      --forget-close the parent keeps its copy of the write end, the reader
 *      hangs; the demo detects it and ends it by closing that copy.
 *   3. a pipe holds F_GETPIPE_SZ bytes (64 KiB unless --pipe-size changes
 *      it): a non-blocking writer gets EAGAIN exactly there, a blocking one
 *      sleeps in pipe_write with exactly that many bytes written.
 *   4. a write of at most PIPE_BUF bytes is never split: four writers on
 *      one full pipe, records of PIPE_BUF bytes, none torn; records of
 *      64 KiB are torn, other writers' bytes inside them, counted.
 *   5. writing when no reader is left kills the writer with SIGPIPE, or,
 *      with SIGPIPE ignored, fails with EPIPE.
 *   6. two-way talk needs two pipes, or one socketpair.
 *   7. the shell's `ls /usr/bin | wc -l`, built with pipe, dup2 and exec,
 *      counts what readdir() counts.
 *   8. --throughput: MB/s at three write sizes, next to `dd | dd`.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   make_pipe()             pipe(2), with the capacity asked for
 *   child_reads_to_eof()    the reader reads until end of file
 *   child_writes_lines()    each writer writes its lines into the one pipe
 *   child_counts_lines()    the reader counts lines until read() returns 0
 *   child_writes_records()  each record in ONE write(): whole up to PIPE_BUF
 *   child_squares()         two pipes, one each way: a child that answers
 *   pipeline()              `ls | wc -l` built with pipe(), dup2() and exec
 *
 * Usage:     proclab-pipe [--pipe-size BYTES] [--forget-close] [--throughput]
 *                         [--json] [--step] [--speed F]
 * Dashboard: `proclab pipe` shows readers asleep in anon_pipe_read, the
 *            writer of step 3 asleep in anon_pipe_write while the pipe is
 *            full, four writers asleep there at once in step 4, and the
 *            children of step 5 dying of SIGPIPE.
 * Lesson:    lessons/06-pipe.md
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_FDS 256 /* enough for any process of this demo */

#define HEAR_TIMEOUT_MS 10000
#define LINES_PER_WRITER 3
#define EXTRA_PAGES 4          /* step 3: how far past full the writer tries to go */
#define WRITERS 4              /* step 4: writers on one pipe */
#define RECORDS 32             /* step 4: records each; at most 64 (a bit mask) */
#define BIG_RECORD 65536       /* step 4: 16 x PIPE_BUF on Linux */
#define ROUNDS 1000            /* step 6: questions per channel */
#define LISTED_DIR "/usr/bin"  /* step 7 */
#define THROUGHPUT_RUNS 3      /* step 8: the median of this many */
#define DD_BLOCKS 4096         /* step 8: 4096 blocks of 64 KiB, 256 MiB */
#define PIPE_MAX_SIZE_FILE "/proc/sys/fs/pipe-max-size"

static long pipe_size;         /* 0: keep the kernel's default capacity */
static bool forget_close;
static bool measure_throughput;

static const struct pl_option options[] = {
	{ "pipe-size", 's', PL_OPT_INT, "BYTES",
	  "step 3: the pipe's capacity (F_SETPIPE_SZ), at most fs.pipe-max-size", 1, INT_MAX,
	  &pipe_size },
	{ "forget-close", 'f', PL_OPT_FLAG, NULL,
	  "step 2: the parent forgets to close its write end, and the reader hangs", 0, 0,
	  &forget_close },
	{ "throughput", 't', PL_OPT_FLAG, NULL,
	  "add step 8: MB/s at three write sizes, next to dd | dd (a few seconds)", 0, 0,
	  &measure_throughput },
};

static const struct pl_demo demo = {
	.name = "pipe",
	.summary = "A pipe: one-way bytes between processes, end of file, capacity, SIGPIPE.",
	.description = "Each claim is checked while the demo runs: descriptors and their modes in\n"
	               "/proc/PID/fd and fdinfo, sleeping readers and writers in /proc/PID/stat\n"
	               "and wchan, byte counts from FIONREAD and /proc/PID/io, wait statuses,\n"
	               "and a shell pipeline's count against readdir().",
	.lesson = "06-pipe.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* Plumbing: whole reads and writes, a checksum, clocks.                */

/* read(2), tried again after EINTR; any other error ends the process.
 * Returns the bytes read, 0 at end of file. */
static ssize_t
read_or_die(int fd, void *buf, size_t size)
{
	ssize_t n;

	while ((n = read(fd, buf, size)) == -1)
		if (errno != EINTR)
			pl_die("read");
	return n;
}

/* Read exactly LEN bytes. Returns 0, or -1 with errno EPIPE at end of file. */
static int
read_all(int fd, void *buf, size_t len)
{
	ssize_t n = pl_read_full(fd, buf, len);

	if (n == -1)
		pl_die("read");
	if ((size_t)n < len) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

/* FNV-1a, so the reader can prove it got the very bytes that were sent. */
static uint32_t
checksum(uint32_t hash, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		hash = (hash ^ p[i]) * 16777619u;
	return hash;
}
#define CHECKSUM_START 2166136261u

/* How long to keep watching something the class should see: SECONDS
 * divided by --speed, but never less than MIN_MS nor more than 10 s. */
static int
watch_ms(double seconds, int min_ms)
{
	double ms = seconds * 1000.0 / pl_narrate_get_config()->speed;

	return ms < min_ms ? min_ms : ms > 10000 ? 10000 : (int)ms;
}

/* ------------------------------------------------------------------ */
/* Evidence: what /proc says about descriptors and sleepers.            */

/* How many of PID's descriptors are an end (MODE) of the pipe INODE. */
static int
count_pipe_ends(pid_t pid, unsigned long inode, int mode)
{
	struct pl_fd fds[MAX_FDS];
	int n = pl_procfs_fds(pid, fds, MAX_FDS), count = 0;

	/* A process that is gone holds nothing. */
	for (int i = 0; i < n && i < MAX_FDS; i++)
		if (strcmp(fds[i].kind, "pipe") == 0 && fds[i].inode == inode &&
		    fds[i].access == mode)
			count++;
	return count;
}

/* Is PID asleep (state S) in a kernel function whose name holds WHERE?
 * Pipes sleep in pipe_read and pipe_write of fs/pipe.c, which kernels
 * since 2025 name anon_pipe_read and anon_pipe_write: match a substring. */
static bool
wait_blocked_in(pid_t pid, const char *where, int timeout_ms, struct pl_proc *proc)
{
	return pl_procfs_wait_wchan(pid, where, timeout_ms, proc) == 0;
}

/* Does PID STAY asleep in WHERE for MS milliseconds? Looks every 5 ms. */
static bool
stays_blocked_in(pid_t pid, const char *where, int ms, struct pl_proc *proc)
{
	double end = pl_measure_now() + ms / 1000.0;
	struct timespec tick = { 0, 5000000 };

	do {
		if (pl_procfs_read(pid, proc) != 0 || proc->state != 'S' ||
		    strstr(proc->wchan, where) == NULL)
			return false;
		nanosleep(&tick, NULL);
	} while (pl_measure_now() < end);
	return true;
}

/* The bytes PID's write() calls have returned so far ("wchar" in
 * /proc/PID/io, proc(5)), or -1 if the kernel will not say. */
static long long
bytes_written_by(pid_t pid)
{
	unsigned long long wchar;

	return pl_procfs_number(pid, "io", "wchar", 10, &wchar) == 0 ? (long long)wchar : -1;
}

static void
reap(pid_t pid, int *status)
{
	if (pl_child_wait(pid, status, 0) == -1)
		pl_die("waitpid %ld", (long)pid);
}

static void
hear(pid_t pid, void *buf, size_t len)
{
	if (pl_child_hear(pid, buf, len, HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from %s %ld", pl_child_role(pid), (long)pid);
}

/* ------------------------------------------------------------------ */
/* Step 1: a pipe is one-way. The seeds' multiprocessing Pipe example   */
/* sends ['hello world'] to the parent; here the parent sends it down.  */

struct read_report {
	long bytes;
	long reads;
	uint32_t checksum;
	int write_errno;        /* what write() on the read end failed with */
	bool eof;
};

static void
child_reads_to_eof(int read_end)
{
	struct read_report me = { .checksum = CHECKSUM_START };
	char buf[256];
	ssize_t n;

	/* The read end is opened O_RDONLY: the kernel refuses to write to it. */
	me.write_errno = write(read_end, "x", 1) == -1 ? errno : 0;
	while ((n = read_or_die(read_end, buf, sizeof(buf))) > 0) {
		me.bytes += n;
		me.reads++;
		me.checksum = checksum(me.checksum, buf, (size_t)n);
	}
	me.eof = true;
	pl_note("child-read",
	        PL_FIELDS(PL_INT("bytes", me.bytes), PL_INT("reads", me.reads),
	                  PL_INT("checksum", me.checksum), PL_BOOL("eof", me.eof)),
	        "in the child: read %ld bytes in %ld read(s), then read() returned 0: end of file",
	        me.bytes, me.reads);
	pl_child_tell(&me, sizeof(me));
}

static void
one_way(void)
{
	static const char message[] = "['hello world']\n";
	struct pl_fd parent_end, child_end;
	struct read_report got;
	struct pl_proc proc = { 0 };
	int fds[2], child_write_ends;
	bool waiting;
	pid_t pid;

	pl_step("one-way", NULL, "a pipe carries bytes one way: the parent writes, the child reads");

	/* fds[0] is the read end, fds[1] the write end (pipe(2)). */
	if (pipe(fds) == -1)
		pl_die("pipe");
	switch (pid = pl_fork("reader", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: it only reads, so it closes its copy of the write end. */
		close(fds[1]);
		child_reads_to_eof(fds[0]);
		_exit(EXIT_SUCCESS);
	default: /* Parent: it only writes. */
		close(fds[0]);
	}

	/* Nothing has been written yet: the child sleeps in read(). */
	waiting = wait_blocked_in(pid, "pipe_read", HEAR_TIMEOUT_MS, &proc);
	pl_note("kernel-view",
	        PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan)),
	        "/proc/%ld/stat: state %c (%s) in %s: reading an empty pipe", (long)pid,
	        proc.state, pl_procfs_state_name(proc.state), proc.wchan);
	pl_procfs_fd(getpid(), fds[1], &parent_end);
	pl_procfs_fd(pid, fds[0], &child_end);
	child_write_ends = count_pipe_ends(pid, child_end.inode, O_WRONLY);
	pl_note("ends",
	        PL_FIELDS(PL_INT("parent_fd", fds[1]), PL_STR("parent_kind", parent_end.kind),
	                  PL_INT("parent_inode", (long long)parent_end.inode),
	                  PL_STR("parent_mode", pl_procfs_access_name(parent_end.access)),
	                  PL_INT("child_fd", fds[0]), PL_STR("child_kind", child_end.kind),
	                  PL_INT("child_inode", (long long)child_end.inode),
	                  PL_STR("child_mode", pl_procfs_access_name(child_end.access)),
	                  PL_INT("child_write_ends", child_write_ends)),
	        "/proc/PID/fd: the parent's fd %d is %s:[%lu], %s; the child's fd %d is "
	        "%s:[%lu], %s",
	        fds[1], parent_end.kind, parent_end.inode, pl_procfs_access_name(parent_end.access), fds[0],
	        child_end.kind, child_end.inode, pl_procfs_access_name(child_end.access));

	pl_pause(1.0); /* time to see the reader asleep in the dashboard */
	uint32_t sent = checksum(CHECKSUM_START, message, sizeof(message) - 1);
	pl_note("wrote",
	        PL_FIELDS(PL_INT("bytes", (long)sizeof(message) - 1), PL_INT("checksum", sent)),
	        "in the parent: write %zu bytes, ['hello world'], then close the write end",
	        sizeof(message) - 1);
	if (pl_write_all(fds[1], message, sizeof(message) - 1) == -1)
		pl_die("write");
	close(fds[1]); /* the last write end: the child's next read() returns 0 */
	hear(pid, &got, sizeof(got));
	reap(pid, NULL);

	pl_check("reader-sleeps-on-empty-pipe", waiting,
	         PL_FIELDS(PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan)),
	         "before any write, the kernel shows the reader asleep in read()");
	pl_check("one-pipe-two-ends",
	         strcmp(parent_end.kind, "pipe") == 0 && parent_end.inode == child_end.inode &&
	                 parent_end.access == O_WRONLY && child_end.access == O_RDONLY &&
	                 child_write_ends == 0,
	         NULL, "one pipe, two ends: the parent's is write-only, the child's read-only");
	pl_check("read-end-refuses-writes", got.write_errno == EBADF,
	         PL_FIELDS(PL_STR("errno", pl_errno_name(got.write_errno))),
	         "write() on the read end failed with %s", pl_errno_name(got.write_errno));
	pl_check("bytes-arrive-intact",
	         got.bytes == (long)sizeof(message) - 1 && got.checksum == sent && got.eof,
	         PL_FIELDS(PL_INT("sent", (long)sizeof(message) - 1), PL_INT("received", got.bytes)),
	         "the child got the %ld bytes sent, same checksum, then end of file", got.bytes);
}

/* ------------------------------------------------------------------ */
/* Step 2: end of file means "no write end is open anywhere". Two        */
/* writers, one reader: the reader sees EOF only after the LAST write    */
/* end is closed - including the parent's copy, if it forgot it.         */

struct line_report {
	long lines;
	long bytes;
	double eof_at;          /* pl_narrate_elapsed() when read() returned 0 */
};

static void
child_writes_lines(int write_end, int index)
{
	char line[64];

	pl_child_hold(); /* the parent says when */
	for (int i = 1; i <= LINES_PER_WRITER; i++) {
		int len = snprintf(line, sizeof(line), "writer %d, line %d\n", index, i);
		if (pl_write_all(write_end, line, (size_t)len) == -1)
			pl_die("write");
	}
	/* _exit closes write_end: one write end fewer. */
}

static void
child_counts_lines(int read_end)
{
	struct line_report me = { 0 };
	char buf[256];
	ssize_t n;

	while ((n = read_or_die(read_end, buf, sizeof(buf))) > 0) {
		me.bytes += n;
		for (ssize_t i = 0; i < n; i++)
			me.lines += buf[i] == '\n';
	}
	me.eof_at = pl_narrate_elapsed();
	pl_child_tell(&me, sizeof(me));
}

/* Which of these processes hold the write end of pipe INODE, per /proc. */
static void
note_write_ends(const char *when, unsigned long inode, const pid_t *pids, const char *const *names,
                int n)
{
	long holders[8];
	char list[256] = "";
	int count = 0;

	for (int i = 0; i < n && count < (int)PL_COUNT(holders); i++) {
		if (count_pipe_ends(pids[i], inode, O_WRONLY) == 0)
			continue;
		holders[count++] = pids[i];
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", names[i]);
	}
	pl_note("write-ends",
	        PL_FIELDS(PL_STR("when", when), PL_INTS("holders", holders, (size_t)count),
	                  PL_INT("count", count)),
	        "%s: the write end is open in %d process(es): %s", when, count,
	        count ? list : "none");
}

static void
end_of_file(void)
{
	static const char *const names[] = { "main", "writer 1", "writer 2", "reader" };
	pid_t pids[4] = { getpid() }, reader;
	struct line_report got;
	struct pl_proc proc = { 0 };
	struct pl_fd end;
	double last_close_at;
	bool blocked, hung = false;
	int fds[2];

	pl_step("eof", PL_FIELDS(PL_BOOL("forget_close", forget_close)),
	        "read() returns 0 only when every write end is closed%s",
	        forget_close ? " (--forget-close: the parent keeps its copy)" : "");

	if (pipe(fds) == -1)
		pl_die("pipe");
	pl_procfs_fd(getpid(), fds[0], &end);
	for (int i = 1; i <= 2; i++) {
		switch (pids[i] = pl_fork(i == 1 ? "writer-1" : "writer-2", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child: a writer closes the end it does not use. */
			close(fds[0]);
			child_writes_lines(fds[1], i);
			_exit(EXIT_SUCCESS);
		default:
			break;
		}
	}
	switch (reader = pids[3] = pl_fork("reader", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: the reader closes ITS copy of the write end. */
		close(fds[1]);
		child_counts_lines(fds[0]);
		_exit(EXIT_SUCCESS);
	default: /* Parent: it neither reads nor writes, so it should close both. */
		close(fds[0]);
		if (!forget_close)
			close(fds[1]);
	}
	/* Once the reader sleeps in read(), it has closed its write end. */
	wait_blocked_in(reader, "pipe_read", HEAR_TIMEOUT_MS, &proc);
	note_write_ends("after fork", end.inode, pids, names, 4);

	/* Writer 1 writes its lines and exits. Writer 2 still holds its end. */
	pl_child_release(pids[1]);
	reap(pids[1], NULL);
	blocked = wait_blocked_in(reader, "pipe_read", HEAR_TIMEOUT_MS, &proc) &&
	          stays_blocked_in(reader, "pipe_read", watch_ms(0.5, 50), &proc);
	note_write_ends("writer 1 has exited", end.inode, pids, names, 4);
	pl_note("reader-blocked",
	        PL_FIELDS(PL_INT("reader", reader), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan)),
	        "/proc/%ld/stat: the reader is still in state %c in %s, waiting for more",
	        (long)reader, proc.state, proc.wchan);
	pl_check("no-eof-while-a-write-end-is-open", blocked, NULL,
	         "writer 1 is gone, but the reader gets no end of file while a write end is open");
	pl_pause(1.0);

	/* Writer 2 writes and exits: now only a forgotten copy could be left. */
	last_close_at = pl_narrate_elapsed();
	pl_child_release(pids[2]);
	reap(pids[2], NULL);
	note_write_ends("writer 2 has exited", end.inode, pids, names, 4);

	if (forget_close) {
		int ms = watch_ms(2.0, 100);

		pl_note("watching", PL_FIELDS(PL_INT("reader", reader), PL_INT("timeout_ms", ms)),
		        "both writers have exited; watching the reader for up to %d ms", ms);
		hung = wait_blocked_in(reader, "pipe_read", HEAR_TIMEOUT_MS, &proc) &&
		       stays_blocked_in(reader, "pipe_read", ms, &proc);
		pl_note("hang-detected",
		        PL_FIELDS(PL_INT("reader", reader), PL_CHAR("state", proc.state),
		                  PL_STR("wchan", proc.wchan), PL_INT("watched_ms", ms),
		                  PL_INT("held_by", getpid()), PL_INT("fd", fds[1])),
		        "hang: after %d ms the reader is still in state %c in %s; the parent's "
		        "forgotten fd %d keeps the pipe open",
		        ms, proc.state, proc.wchan, fds[1]);
		pl_check("forgotten-copy-hangs-the-reader", hung, NULL,
		         "with the parent's copy open, the reader would wait forever");
		pl_pause(1.0);
		/* Ending the hang: close the forgotten copy, the last write end. */
		pl_note("closed-forgotten-end", PL_FIELDS(PL_INT("fd", fds[1])),
		        "the parent closes its forgotten fd %d: no write end is left", fds[1]);
		last_close_at = pl_narrate_elapsed();
		close(fds[1]);
	}

	hear(reader, &got, sizeof(got));
	reap(reader, NULL);
	pl_note("reader-eof",
	        PL_FIELDS(PL_INT("reader", reader), PL_INT("lines", got.lines),
	                  PL_INT("bytes", got.bytes)),
	        "the reader got %ld lines, then read() returned 0: end of file", got.lines);
	pl_check("eof-after-last-close",
	         got.lines == 2 * LINES_PER_WRITER && got.eof_at >= last_close_at,
	         PL_FIELDS(PL_INT("lines", got.lines),
	                   PL_DOUBLE("ms_after_last_close", (got.eof_at - last_close_at) * 1e3)),
	         "the reader got all %ld lines, and end of file only after the last write end "
	         "closed",
	         got.lines);
}

/* ------------------------------------------------------------------ */
/* Step 3: a pipe is a bounded buffer in the kernel. Since Linux 2.6.11  */
/* it holds 16 pages, 65536 bytes (pipe(7)); F_SETPIPE_SZ rounds a       */
/* request up to a power of two pages (round_pipe_size() in fs/pipe.c).  */

static long
page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static long
kernel_rounding(long asked)
{
	long size = page_size();

	while (size < asked)
		size *= 2;
	return size;
}

/* A new pipe, with the capacity asked for with --pipe-size. */
static long
make_pipe(int fds[2])
{
	long capacity;

	if (pipe(fds) == -1)
		pl_die("pipe");
	if (pipe_size > 0 && fcntl(fds[1], F_SETPIPE_SZ, (int)pipe_size) == -1)
		pl_die("fcntl(F_SETPIPE_SZ, %ld)", pipe_size);
	if ((capacity = fcntl(fds[1], F_GETPIPE_SZ)) == -1)
		pl_die("fcntl(F_GETPIPE_SZ)");
	return capacity;
}

static void
capacity(void)
{
	long page = page_size(), cap, filled = 0, total, drained = 0;
	long long wchar;
	char chunk[65536];
	int fds[2], queued = -1, err = 0, status;
	struct pl_proc proc = { 0 };
	bool blocked;
	pid_t pid;
	ssize_t n;

	pl_step("capacity", PL_FIELDS(PL_INT("requested", pipe_size)),
	        "a pipe holds a fixed number of bytes; a writer that fills it blocks");
	memset(chunk, 'p', sizeof(chunk));

	/* 1. Fill a pipe without blocking: write() says EAGAIN when it is full. */
	cap = make_pipe(fds);
	pl_note("pipe-size",
	        PL_FIELDS(PL_INT("requested", pipe_size), PL_INT("capacity", cap),
	                  PL_INT("pages", cap / page), PL_INT("page_size", page)),
	        "F_GETPIPE_SZ: %ld bytes, %ld page(s) of %ld bytes%s", cap, cap / page, page,
	        pipe_size ? " (after F_SETPIPE_SZ)" : " (the default)");
	if (pipe_size > 0)
		pl_check("kernel-rounds-the-size", cap == kernel_rounding(pipe_size),
		         PL_FIELDS(PL_INT("asked", pipe_size), PL_INT("got", cap)),
		         "--pipe-size %ld: the kernel gave %ld, rounded up to a power of two pages", pipe_size,
		         cap);
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1)
		pl_die("fcntl(O_NONBLOCK)");
	while ((n = write(fds[1], chunk, (size_t)page)) > 0)
		filled += n;
	err = errno;
	if (n == -1 && err == EAGAIN && write(fds[1], chunk, 1) == -1)
		err = errno; /* not even one more byte fits */
	if (ioctl(fds[0], FIONREAD, &queued) == -1)
		pl_die("ioctl(FIONREAD)");
	close(fds[0]);
	close(fds[1]);
	pl_note("nonblocking-fill",
	        PL_FIELDS(PL_INT("bytes", filled), PL_INT("queued", queued),
	                  PL_STR("error", pl_errno_name(err)), PL_INT("capacity", cap)),
	        "O_NONBLOCK writes: %ld bytes went in, then write() failed with %s; FIONREAD: "
	        "%d bytes waiting",
	        filled, pl_errno_name(err), queued);
	pl_check("full-at-capacity", filled == cap && queued == cap && err == EAGAIN, NULL,
	         "the pipe took exactly the %ld bytes F_GETPIPE_SZ reports, then refused", cap);

	/* 2. The same with a blocking writer: it sleeps until there is room. */
	cap = make_pipe(fds);
	total = cap + EXTRA_PAGES * page;
	switch (pid = pl_fork("writer", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: one page per write(), more than fits. */
		close(fds[0]);
		for (long sent = 0; sent < total; sent += page) {
			if (pl_write_all(fds[1], chunk, (size_t)page) == -1)
				pl_die("write");
			pl_board_count("written", sent + page); /* for the dashboard */
		}
		_exit(EXIT_SUCCESS);
	default: /* Parent: do not read yet. */
		close(fds[1]);
	}
	blocked = wait_blocked_in(pid, "pipe_write", HEAR_TIMEOUT_MS, &proc);
	if (ioctl(fds[0], FIONREAD, &queued) == -1)
		pl_die("ioctl(FIONREAD)");
	wchar = bytes_written_by(pid);
	pl_note("blocked-writer",
	        PL_FIELDS(PL_INT("writer", pid), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan), PL_INT("queued", queued),
	                  PL_INT("wchar", wchar), PL_INT("capacity", cap)),
	        "/proc/%ld: state %c (%s) in %s; FIONREAD: %d bytes in the pipe; /proc/%ld/io: "
	        "wchar %lld",
	        (long)pid, proc.state, pl_procfs_state_name(proc.state), proc.wchan, queued,
	        (long)pid, wchar);
	pl_check("writer-blocks-when-full", blocked && queued == cap, NULL,
	         "the writer sleeps in write() with the pipe full: %d of %ld bytes", queued, cap);
	pl_check("blocked-at-capacity", wchar == cap,
	         PL_FIELDS(PL_INT("wchar", wchar), PL_INT("capacity", cap)),
	         "the kernel counts %lld bytes written by the sleeping writer: the capacity",
	         wchar);

	pl_pause(2.0); /* time to see it asleep in the dashboard */
	while ((n = read_or_die(fds[0], chunk, sizeof(chunk))) > 0)
		drained += n;
	close(fds[0]);
	reap(pid, &status);
	pl_note("drained", PL_FIELDS(PL_INT("bytes", drained), PL_INT("expected", total)),
	        "the parent read: %ld bytes; the writer woke up, finished and exited", drained);
	pl_check("reading-makes-room", drained == total && WIFEXITED(status) &&
	                 WEXITSTATUS(status) == 0,
	         NULL, "as the parent read, the writer went on: all %ld bytes arrived", total);
}

/* ------------------------------------------------------------------ */
/* Step 4: PIPE_BUF. pipe(7): a write of at most PIPE_BUF bytes (4096 on  */
/* Linux) goes into the pipe in one piece, whatever other writers do. A   */
/* bigger write may be split: pipe_write() in fs/pipe.c copies a page at  */
/* a time, and when the pipe is full it sleeps with the pipe unlocked,    */
/* so other writers' bytes can land before the rest of it.                */

struct record_tally {
	long bytes;
	long runs;            /* stretches of one writer's bytes */
	long torn;            /* records that arrived in more than one piece */
	long foreign;         /* bytes no writer wrote: must be 0 */
	int asleep;           /* writers asleep in write() before any read */
	int queued;           /* FIONREAD then */
	long capacity;        /* F_GETPIPE_SZ */
	int exited_ok;        /* writers that exited 0 */
};

/* Writer INDEX fills every record with its own letter, 'a' + INDEX, and
 * writes each record with ONE write() call. */
static void
child_writes_records(int write_end, int index, size_t size)
{
	static char record[BIG_RECORD];

	memset(record, 'a' + index, size);
	pl_child_hold(); /* all start together */
	for (int r = 0; r < RECORDS; r++)
		if (write(write_end, record, size) != (ssize_t)size)
			_exit(EXIT_FAILURE);
}

/* Wait until the pipe holds WANT bytes (FIONREAD), for at most a second. */
static void
wait_until_queued(int read_end, long want)
{
	struct timespec nap = { 0, 50000 };
	double end = pl_measure_now() + 1.0;
	int queued;

	do {
		if (ioctl(read_end, FIONREAD, &queued) == -1)
			pl_die("ioctl(FIONREAD)");
		if (queued >= want)
			return;
		nanosleep(&nap, NULL);
	} while (pl_measure_now() < end);
}

/* Read the pipe to its end, one page at a time. Before each read, wait
 * until the writers have filled the pipe again (or put in all the rest):
 * so every write goes into a full pipe, with all the other writers
 * waiting, and the kernel picks who writes next.
 *
 * Writer W's bytes are all the letter 'a' + W. A change of letter is a
 * seam between two writers' bytes; a seam that falls inside a record (not
 * at a multiple of SIZE in that writer's own bytes) tore that record. */
static void
tally_records(int read_end, size_t size, long capacity, long total, struct record_tally *t)
{
	static char buf[PIPE_BUF];
	long seen[WRITERS] = { 0 };
	uint64_t torn[WRITERS] = { 0 }; /* bit R: record R was torn */
	int current = -1;
	ssize_t n;

	for (;;) {
		long left = total - t->bytes - t->foreign;

		wait_until_queued(read_end, left < capacity ? left : capacity);
		if ((n = read_or_die(read_end, buf, sizeof(buf))) == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			int w = buf[i] - 'a';

			if (w < 0 || w >= WRITERS) {
				t->foreign++;
				continue;
			}
			if (w != current) {
				t->runs++;
				if (current >= 0 && seen[current] % (long)size != 0)
					torn[current] |= 1ULL << (seen[current] / (long)size);
				if (seen[w] % (long)size != 0)
					torn[w] |= 1ULL << (seen[w] / (long)size);
				current = w;
			}
			seen[w]++;
			t->bytes++;
		}
	}
	for (int w = 0; w < WRITERS; w++)
		for (int r = 0; r < RECORDS; r++)
			t->torn += (torn[w] >> r) & 1;
}

/* WRITERS writers, RECORDS records of SIZE bytes each, one pipe. */
static void
writers_share_a_pipe(size_t size, struct record_tally *t)
{
	pid_t pids[WRITERS];
	int fds[2];

	memset(t, 0, sizeof(*t));
	if (pipe(fds) == -1)
		pl_die("pipe");
	if ((t->capacity = fcntl(fds[0], F_GETPIPE_SZ)) == -1)
		pl_die("fcntl(F_GETPIPE_SZ)");
	for (int i = 0; i < WRITERS; i++) {
		switch (pids[i] = pl_fork("writer", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child */
			close(fds[0]);
			child_writes_records(fds[1], i, size);
			_exit(EXIT_SUCCESS);
		default:
			break;
		}
	}
	close(fds[1]);
	/* Let them go, and wait until the pipe is full and all of them sleep
	 * in write(): from here on, the kernel decides who writes next. */
	for (int i = 0; i < WRITERS; i++)
		pl_child_release(pids[i]);
	for (int i = 0; i < WRITERS; i++)
		t->asleep += wait_blocked_in(pids[i], "pipe_write", HEAR_TIMEOUT_MS,
		                             &(struct pl_proc){ 0 });
	if (ioctl(fds[0], FIONREAD, &t->queued) == -1)
		pl_die("ioctl(FIONREAD)");
	pl_note("writers-asleep",
	        PL_FIELDS(PL_INT("record_size", (long long)size), PL_INT("asleep", t->asleep),
	                  PL_INT("queued", t->queued), PL_INT("capacity", t->capacity)),
	        "records of %zu bytes: %d of %d writers asleep in write(); FIONREAD: %d of %ld "
	        "bytes, the pipe is full",
	        size, t->asleep, WRITERS, t->queued, t->capacity);
	pl_pause(1.0); /* time to see them all asleep in the dashboard */

	tally_records(fds[0], size, t->capacity, (long)WRITERS * RECORDS * (long)size, t);
	close(fds[0]);
	for (int i = 0; i < WRITERS; i++) {
		int status;

		reap(pids[i], &status);
		t->exited_ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	pl_note("records",
	        PL_FIELDS(PL_INT("record_size", (long long)size), PL_INT("bytes", t->bytes),
	                  PL_INT("records", WRITERS * RECORDS), PL_INT("runs", t->runs),
	                  PL_INT("torn", t->torn), PL_INT("foreign", t->foreign)),
	        "records of %zu bytes: %ld bytes read in %ld stretches of one writer, %ld of "
	        "%d records torn",
	        size, t->bytes, t->runs, t->torn, WRITERS * RECORDS);
}

static void
atomic_writes(void)
{
	struct record_tally small, big;
	long expected_small = (long)WRITERS * RECORDS * PIPE_BUF;
	long expected_big = (long)WRITERS * RECORDS * BIG_RECORD;

	pl_step("atomic-writes",
	        PL_FIELDS(PL_INT("pipe_buf", PIPE_BUF), PL_INT("writers", WRITERS),
	                  PL_INT("records", RECORDS)),
	        "writes of at most PIPE_BUF bytes never interleave; bigger ones can");
	pl_note("pipe-buf",
	        PL_FIELDS(PL_INT("pipe_buf", PIPE_BUF), PL_INT("writers", WRITERS),
	                  PL_INT("records", RECORDS)),
	        "PIPE_BUF is %d bytes; %d writers, %d records each, one write() per record, "
	        "each writer's records filled with its own letter",
	        PIPE_BUF, WRITERS, RECORDS);

	writers_share_a_pipe(PIPE_BUF, &small);
	pl_check("small-writes-whole",
	         small.torn == 0 && small.bytes == expected_small && small.foreign == 0 &&
	                 small.asleep == WRITERS && small.queued == small.capacity &&
	                 small.exited_ok == WRITERS && small.runs > WRITERS,
	         PL_FIELDS(PL_INT("torn", small.torn), PL_INT("runs", small.runs)),
	         "no record of PIPE_BUF bytes was torn, though the writers took %ld turns",
	         small.runs);

	writers_share_a_pipe(BIG_RECORD, &big);
	pl_check("big-writes-torn",
	         big.torn > 0 && big.bytes == expected_big && big.foreign == 0 &&
	                 big.asleep == WRITERS && big.queued == big.capacity &&
	                 big.exited_ok == WRITERS,
	         PL_FIELDS(PL_INT("torn", big.torn)),
	         "records of %d bytes were torn: other writers' bytes inside %ld of them",
	         BIG_RECORD, big.torn);
}

/* ------------------------------------------------------------------ */
/* Step 5: a writer with no reader left. The kernel sends it SIGPIPE,    */
/* whose default action kills it; ignored, write() fails with EPIPE      */
/* (pipe(7), and pipe_write() in fs/pipe.c).                             */

static void
writer_without_reader(bool ignore)
{
	static const char first[] = "first\n", second[] = "second\n";
	pid_t reader, writer, pids[2];
	struct pl_fd end;
	int fds[2], status, readers = 0, write_errno = 0;
	char how[96], buf[64];

	if (pipe(fds) == -1)
		pl_die("pipe");
	pl_procfs_fd(getpid(), fds[0], &end);
	switch (reader = pl_fork("reader", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: read the first message, then exit: the read end closes. */
		close(fds[1]);
		read_or_die(fds[0], buf, sizeof(buf));
		_exit(EXIT_SUCCESS);
	default:
		break;
	}
	switch (writer = pl_fork("writer", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		close(fds[0]);
		signal(SIGPIPE, ignore ? SIG_IGN : SIG_DFL);
		if (pl_write_all(fds[1], first, sizeof(first) - 1) == -1)
			pl_die("write");
		pl_child_hold(); /* until the reader is gone */
		write_errno = write(fds[1], second, sizeof(second) - 1) == -1 ? errno : 0;
		pl_child_tell(&write_errno, sizeof(write_errno));
		_exit(EXIT_SUCCESS);
	default: /* Parent */
		close(fds[0]);
		close(fds[1]);
	}

	reap(reader, NULL);
	pids[0] = getpid();
	pids[1] = writer;
	for (int i = 0; i < 2; i++)
		readers += count_pipe_ends(pids[i], end.inode, O_RDONLY);
	pl_note("no-reader",
	        PL_FIELDS(PL_INT("read_ends", readers), PL_BOOL("sigpipe_ignored", ignore)),
	        "the reader read one line and exited; /proc: %d read end(s) left", readers);
	pl_child_release(writer);
	if (ignore)
		hear(writer, &write_errno, sizeof(write_errno));
	reap(writer, &status);
	pl_status_describe(status, how, sizeof(how));

	if (!ignore) {
		pl_note("writer-status",
		        PL_FIELDS(PL_INT("writer", writer), PL_STR("status", how),
		                  PL_INT("signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0)),
		        "the writer wrote again: waitpid() says it was %s", how);
		pl_check("sigpipe-kills-the-writer",
		         readers == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE, NULL,
		         "writing to a pipe with no reader killed the writer with SIGPIPE");
	} else {
		pl_note("epipe",
		        PL_FIELDS(PL_INT("writer", writer), PL_INT("errno", write_errno),
		                  PL_STR("error", pl_errno_name(write_errno)), PL_STR("status", how)),
		        "with SIGPIPE ignored, the write failed with %s, and the writer %s",
		        pl_errno_name(write_errno), how);
		pl_check("ignored-sigpipe-gives-epipe",
		         readers == 0 && write_errno == EPIPE && WIFEXITED(status) &&
		                 WEXITSTATUS(status) == 0,
		         NULL, "with SIGPIPE ignored, write() returned -1 with EPIPE instead");
	}
}

static void
reader_gone(void)
{
	pl_step("reader-gone", NULL, "writing when no reader is left: SIGPIPE, or EPIPE");
	writer_without_reader(false);
	writer_without_reader(true);
}

/* ------------------------------------------------------------------ */
/* Step 6: two-way talk. The child squares numbers (the seeds'          */
/* calc_square); questions go one way, answers the other.                */

static void
child_squares(int in, int out)
{
	long n, square;

	while (read_all(in, &n, sizeof(n)) == 0) {
		square = n * n;
		if (pl_write_all(out, &square, sizeof(square)) == -1)
			pl_die("write");
	}
}

/* Ask ROUNDS questions; returns the right answers, and the median round trip. */
static int
ask_squares(int out, int in, double *median_us)
{
	static double trips[ROUNDS];
	int right = 0;

	for (long n = 1; n <= ROUNDS; n++) {
		double start = pl_measure_now();
		long answer;

		if (pl_write_all(out, &n, sizeof(n)) == -1 || read_all(in, &answer, sizeof(answer)) == -1)
			pl_die("asking the child");
		trips[n - 1] = (pl_measure_now() - start) * 1e6;
		right += answer == n * n;
	}
	*median_us = pl_measure_median(trips, ROUNDS);
	return right;
}

static void
note_round_trips(const char *kind, int right, double median_us)
{
	pl_note("round-trips",
	        PL_FIELDS(PL_STR("kind", kind), PL_INT("rounds", ROUNDS), PL_INT("right", right),
	                  PL_DOUBLE("median_us", median_us)),
	        "over %s: %d of %d squares right, median round trip %.1f us", kind, right, ROUNDS,
	        median_us);
}

static void
two_way(void)
{
	struct pl_fd in_view, out_view, sock_view;
	int down[2], up[2], sv[2], right;
	double median_us;
	pid_t pid;

	pl_step("two-way", NULL, "two-way talk: two pipes, or one socketpair");

	/* Two pipes: down (parent -> child) and up (child -> parent). */
	if (pipe(down) == -1 || pipe(up) == -1)
		pl_die("pipe");
	switch (pid = pl_fork("squarer", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: reads down, writes up; closes the other two ends. */
		close(down[1]);
		close(up[0]);
		child_squares(down[0], up[1]);
		_exit(EXIT_SUCCESS);
	default:
		close(down[0]);
		close(up[1]);
	}
	pl_procfs_fd(pid, down[0], &in_view);
	pl_procfs_fd(pid, up[1], &out_view);
	pl_note("pipe-ends",
	        PL_FIELDS(PL_INT("child", pid), PL_INT("in_inode", (long long)in_view.inode),
	                  PL_STR("in_mode", pl_procfs_access_name(in_view.access)),
	                  PL_INT("out_inode", (long long)out_view.inode),
	                  PL_STR("out_mode", pl_procfs_access_name(out_view.access))),
	        "/proc/%ld/fd: %d is %s:[%lu], %s; %d is %s:[%lu], %s", (long)pid, down[0],
	        in_view.kind, in_view.inode, pl_procfs_access_name(in_view.access), up[1], out_view.kind,
	        out_view.inode, pl_procfs_access_name(out_view.access));
	right = ask_squares(down[1], up[0], &median_us);
	close(down[1]); /* the child's read() returns 0, and it exits */
	close(up[0]);
	reap(pid, NULL);
	note_round_trips("two pipes", right, median_us);
	pl_check("two-pipes-two-ways",
	         right == ROUNDS && in_view.inode != out_view.inode && in_view.access == O_RDONLY &&
	                 out_view.access == O_WRONLY,
	         NULL, "two pipes, one for each direction: all %d answers right", ROUNDS);

	/* A socketpair: one descriptor each, and each goes both ways. The
	 * seeds' multiprocessing.Pipe() is this (duplex=True); Pipe(False)
	 * is a pipe. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		pl_die("socketpair");
	switch (pid = pl_fork("squarer", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		close(sv[0]);
		child_squares(sv[1], sv[1]);
		_exit(EXIT_SUCCESS);
	default:
		close(sv[1]);
	}
	pl_procfs_fd(pid, sv[1], &sock_view);
	pl_note("socket-end",
	        PL_FIELDS(PL_INT("child", pid), PL_STR("kind", sock_view.kind),
	                  PL_INT("inode", (long long)sock_view.inode),
	                  PL_STR("mode", pl_procfs_access_name(sock_view.access))),
	        "/proc/%ld/fd: %d is %s:[%lu], %s", (long)pid, sv[1], sock_view.kind,
	        sock_view.inode, pl_procfs_access_name(sock_view.access));
	right = ask_squares(sv[0], sv[0], &median_us);
	close(sv[0]);
	reap(pid, NULL);
	note_round_trips("a socketpair", right, median_us);
	pl_check("socketpair-both-ways",
	         right == ROUNDS && strcmp(sock_view.kind, "socket") == 0 &&
	                 sock_view.access == O_RDWR,
	         NULL, "one socket, read-write, both directions: all %d answers right", ROUNDS);
}

/* ------------------------------------------------------------------ */
/* Step 7: what the shell does for `ls /usr/bin | wc -l`: a pipe, two   */
/* children, dup2() onto stdin and stdout, exec. wc's own output comes  */
/* back to the demo through a second pipe.                              */

/* What `ls DIR` lists: the entries whose names do not start with '.'. */
static long
count_entries(const char *path)
{
	struct dirent *entry;
	long count = 0;
	DIR *dir;

	if ((dir = opendir(path)) == NULL)
		pl_die("opendir %s", path);
	while ((entry = readdir(dir)) != NULL)
		count += entry->d_name[0] != '.';
	closedir(dir);
	return count;
}

static noreturn void
exec_or_die(const char *file, char *const argv[])
{
	execvp(file, argv);
	/* Only reached if exec failed: 127 "not found", 126 otherwise (sh). */
	_exit(errno == ENOENT ? 127 : 126);
}

static void
pipeline(void)
{
	static char *const ls_argv[] = { "ls", LISTED_DIR, NULL };
	static char *const wc_argv[] = { "wc", "-l", NULL };
	int link[2], result[2], ls_status, wc_status;
	long printed = -1, before, after, direct;
	struct pl_proc proc = { 0 };
	struct pl_fd wc_in, link_view;
	char exe[256] = "", text[64], *number;
	size_t got = 0;
	bool waiting = false;
	pid_t wc, ls;
	ssize_t n;

	pl_step("pipeline", PL_FIELDS(PL_STR("command", "ls " LISTED_DIR " | wc -l")),
	        "ls %s | wc -l, built with pipe(), dup2() and exec", LISTED_DIR);

	if (pipe(link) == -1 || pipe(result) == -1)
		pl_die("pipe");
	switch (wc = pl_fork("wc", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: stdin from the link, stdout into result. */
		if (dup2(link[0], STDIN_FILENO) == -1 || dup2(result[1], STDOUT_FILENO) == -1)
			_exit(126);
		/* Every other end must go, or wc never sees end of file (step 2). */
		close(link[0]);
		close(link[1]);
		close(result[0]);
		close(result[1]);
		exec_or_die("wc", wc_argv);
	default:
		close(result[1]);
	}

	/* wc starts before ls, so the class can see it wait on an empty pipe. */
	for (double end = pl_measure_now() + HEAR_TIMEOUT_MS / 1000.0; pl_measure_now() < end;) {
		if (pl_procfs_exe(wc, exe, sizeof(exe)) != 0)
			break;
		const char *base = strrchr(exe, '/');
		if (strcmp(base ? base + 1 : exe, "wc") == 0) {
			waiting = wait_blocked_in(wc, "pipe_read", HEAR_TIMEOUT_MS, &proc);
			break;
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	pl_procfs_fd(wc, STDIN_FILENO, &wc_in);
	pl_procfs_fd(getpid(), link[0], &link_view);
	pl_note("wc-waiting",
	        PL_FIELDS(PL_INT("wc", wc), PL_STR("exe", exe), PL_STR("stdin_kind", wc_in.kind),
	                  PL_INT("stdin_inode", (long long)wc_in.inode),
	                  PL_INT("link_inode", (long long)link_view.inode),
	                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan)),
	        "/proc/%ld/exe is %s; its fd 0 is %s:[%lu]; state %c in %s", (long)wc, exe,
	        wc_in.kind, wc_in.inode, proc.state, proc.wchan);
	pl_check("wc-reads-the-pipe",
	         waiting && wc_in.inode == link_view.inode && wc_in.access == O_RDONLY, NULL,
	         "wc's standard input is the pipe's read end, and it waits there for ls");
	pl_pause(1.0);

	switch (ls = pl_fork("ls", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: stdout into the link. */
		if (dup2(link[1], STDOUT_FILENO) == -1)
			_exit(126);
		close(link[0]);
		close(link[1]);
		close(result[0]);
		exec_or_die("ls", ls_argv);
	default: /* Parent: its copies of the link would keep wc waiting. */
		close(link[0]);
		close(link[1]);
	}

	before = count_entries(LISTED_DIR);
	while (got < sizeof(text) - 1 &&
	       (n = read_or_die(result[0], text + got, sizeof(text) - 1 - got)) > 0)
		got += (size_t)n;
	text[got] = '\0';
	close(result[0]);
	reap(ls, &ls_status);
	reap(wc, &wc_status);
	after = count_entries(LISTED_DIR);
	number = strtok(text, " \n");
	if (number == NULL || pl_parse_long(number, 0, LONG_MAX, &printed) == -1)
		printed = -1;
	/* A package may be installed meanwhile: a count from before or after
	 * ls ran may be the one. */
	direct = printed == after ? after : before;

	pl_note("pipeline",
	        PL_FIELDS(PL_INT("printed", printed), PL_INT("direct", direct),
	                  PL_INT("ls_status", ls_status), PL_INT("wc_status", wc_status)),
	        "ls %s | wc -l printed %ld; readdir() counts %ld names", LISTED_DIR, printed,
	        direct);
	pl_check("pipeline-counts-right",
	         printed == direct && WIFEXITED(ls_status) &&
	                 WEXITSTATUS(ls_status) == 0 && WIFEXITED(wc_status) &&
	                 WEXITSTATUS(wc_status) == 0,
	         NULL, "both programs exited 0, and the pipeline counted what readdir() counts");
}

/* ------------------------------------------------------------------ */
/* Step 8 (--throughput): how fast a pipe moves bytes, at three write    */
/* sizes, and a plain dd | dd on the same machine for comparison.        */

static const struct {
	size_t write_size;
	long long total;        /* bytes per run: small writes are slow */
} sizes[] = {
	{ 64, 8LL << 20 },
	{ 4096, 128LL << 20 },
	{ 65536, (long long)DD_BLOCKS << 16 },
};

/* One run: a child writes TOTAL bytes in WRITE_SIZE writes, the parent
 * reads 64 KiB at a time. Returns MB/s, fork to reap; *RECEIVED counts. */
static double
pipe_run(size_t write_size, long long total, long long *received)
{
	static char buf[65536];
	double start = pl_measure_now();
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	*received = 0;
	if (pipe(fds) == -1)
		pl_die("pipe");
	switch (pid = pl_fork("writer", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		close(fds[0]);
		for (long long sent = 0; sent < total; sent += (long long)write_size)
			if (pl_write_all(fds[1], buf, write_size) == -1)
				pl_die("write");
		_exit(EXIT_SUCCESS);
	default:
		close(fds[1]);
	}
	while ((n = read_or_die(fds[0], buf, sizeof(buf))) > 0)
		*received += n;
	close(fds[0]);
	reap(pid, &status);
	return (double)*received / 1e6 / (pl_measure_now() - start);
}

/* One dd of the pipeline: END 1 writes into the pipe, END 0 reads it.
 * dd's report on stderr goes to /dev/null; the demo times the run. */
static pid_t
fork_dd(int fds[2], int end, char *const argv[])
{
	int null;
	pid_t pid;

	switch (pid = pl_fork("dd", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		null = open("/dev/null", O_WRONLY);
		if (null == -1 || dup2(fds[end], end) == -1 || dup2(null, STDERR_FILENO) == -1)
			_exit(126);
		close(null);
		close(fds[0]);
		close(fds[1]);
		exec_or_die("dd", argv);
	default:
		return pid;
	}
}

/* `dd if=/dev/zero bs=64K count=N | dd of=/dev/null [SINK_BS]`: MB/s. */
static double
dd_run(char *sink_bs, bool *ok)
{
	static char count[32];
	char *const source[] = { "dd", "if=/dev/zero", "bs=64K", count, NULL };
	char *const sink[] = { "dd", "of=/dev/null", sink_bs, NULL };
	double start = pl_measure_now();
	int fds[2], s1, s2;
	pid_t p1, p2;

	snprintf(count, sizeof(count), "count=%d", DD_BLOCKS);
	if (pipe(fds) == -1)
		pl_die("pipe");
	p1 = fork_dd(fds, 1, source);
	p2 = fork_dd(fds, 0, sink);
	close(fds[0]);
	close(fds[1]);
	reap(p1, &s1);
	reap(p2, &s2);
	*ok = WIFEXITED(s1) && WEXITSTATUS(s1) == 0 && WIFEXITED(s2) && WEXITSTATUS(s2) == 0;
	return (double)DD_BLOCKS * 65536 / 1e6 / (pl_measure_now() - start);
}

static double
dd_median(char *sink_bs, bool *all_ok)
{
	double runs[THROUGHPUT_RUNS];

	for (int r = 0; r < THROUGHPUT_RUNS; r++) {
		bool ok;

		runs[r] = dd_run(sink_bs, &ok);
		*all_ok = *all_ok && ok;
	}
	return pl_measure_median(runs, THROUGHPUT_RUNS);
}

static void
throughput(void)
{
	double rates[PL_COUNT(sizes)], runs[THROUGHPUT_RUNS], dd_plain, dd_big;
	size_t last = PL_COUNT(sizes) - 1;
	bool all_arrived = true, dd_ok = true;

	pl_step("throughput", PL_FIELDS(PL_INT("runs", THROUGHPUT_RUNS)),
	        "throughput: MB/s by write size, next to dd | dd (median of %d runs)",
	        THROUGHPUT_RUNS);
	for (size_t i = 0; i < PL_COUNT(sizes); i++) {
		for (int r = 0; r < THROUGHPUT_RUNS; r++) {
			long long received;

			runs[r] = pipe_run(sizes[i].write_size, sizes[i].total, &received);
			all_arrived = all_arrived && received == sizes[i].total;
		}
		rates[i] = pl_measure_median(runs, THROUGHPUT_RUNS);
		pl_note("throughput",
		        PL_FIELDS(PL_INT("write_size", (long long)sizes[i].write_size),
		                  PL_INT("bytes", sizes[i].total), PL_DOUBLE("mb_s", rates[i])),
		        "this demo, writes of %zu bytes: %.1f MB/s (%lld MiB a run)",
		        sizes[i].write_size, rates[i], sizes[i].total >> 20);
	}

	/* The plain pipeline: the second dd reads with its default block size,
	 * 512 bytes (dd(1)), so the same again with bs=64K on both sides. */
	dd_plain = dd_median(NULL, &dd_ok);
	dd_big = dd_median("bs=64K", &dd_ok);
	pl_note("side-by-side",
	        PL_FIELDS(PL_DOUBLE("pipe_mb_s", rates[last]), PL_DOUBLE("dd_mb_s", dd_plain),
	                  PL_DOUBLE("dd_64k_mb_s", dd_big), PL_INT("dd_blocks", DD_BLOCKS)),
	        "this demo, 64 KiB writes: %.1f MB/s | dd if=/dev/zero bs=64K count=%d | dd "
	        "of=/dev/null: %.1f MB/s (with bs=64K on both: %.1f MB/s)",
	        rates[last], DD_BLOCKS, dd_plain, dd_big);
	pl_check("every-byte-arrived", all_arrived, NULL,
	         "every run delivered every byte it wrote");
	pl_check("dd-pipeline-ran", dd_ok, NULL, "both dd processes exited 0 in every run");
	pl_check("bigger-writes-go-faster", rates[last] > rates[0], NULL,
	         "64 KiB writes beat 64-byte writes: fewer system calls per byte");
}

/* --pipe-size is checked against the system's limit, which only the
 * running kernel knows; F_SETPIPE_SZ would fail with EPERM above it. */
static void
check_pipe_size_option(void)
{
	long max = 1048576; /* the kernel's default, if the file cannot be read */
	char text[32];
	FILE *file = fopen(PIPE_MAX_SIZE_FILE, "re");

	if (file != NULL && fgets(text, sizeof(text), file) != NULL) {
		text[strcspn(text, "\n")] = '\0';
		pl_parse_long(text, 1, LONG_MAX, &max);
	}
	if (file != NULL)
		fclose(file);
	if (pipe_size > max)
		pl_die_usage("--pipe-size %ld is above %s (%ld)", pipe_size, PIPE_MAX_SIZE_FILE,
		             max);
}

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);
	check_pipe_size_option();

	one_way();
	end_of_file();
	capacity();
	atomic_writes();
	reader_gone();
	two_way();
	pipeline();
	if (measure_throughput)
		throughput();

	return pl_demo_finish();
}
