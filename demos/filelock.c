/* filelock.c - file locks: records that tear without one, and the kernel's
 * list of who holds a lock and who waits for it.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. the records go to a temp file whose name is removed at once: the file
 *      lives on, open and nameless (0 links, "(deleted)" in /proc/PID/fd),
 *      so no exit, not even SIGKILL, can leave it behind. A process that
 *      reopens it through /proc/self/fd/N gets its own open file
 *      description, with its own offset, as open() by name would give.
 *   2. --writers N processes append --records M records each, with no lock.
 *      Each record is written in several write() calls after
 *      lseek(SEEK_END), so records tear and overwrite each other. The demo
 *      reads the file back and counts whole, torn and lost records by
 *      their checksums.
 *   3. the same writers under an fcntl() write lock (F_SETLKW) break none;
 *   4. and under flock(LOCK_EX) break none.
 *   5. locks are advisory: while one process holds the lock (/proc/locks
 *      says so before and after), a rogue that never asks for it writes
 *      into the file, and the holder's record breaks under its lock.
 *   6. --waiters W processes blocked on the lock are listed in /proc/locks
 *      (the "->" lines) with their PIDs, sleeping (S) in the kernel's lock
 *      code, for fcntl and for flock; each gets the lock only after the
 *      holder lets go.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   lock_file()      fcntl(F_SETLKW) or flock(LOCK_EX) on the whole file
 *   unlock_file()    and the unlock
 *   append_record()  seek to the end and write: the race a lock prevents
 *   writer()         each process appends its records
 *   lock_holder()    holds the lock while others wait for it
 *   lock_waiter()    blocks in the kernel until the lock is free
 *
 * Usage:     proclab-filelock [--writers N] [--records M] [--waiters W]
 * Dashboard: `proclab filelock` shows the writers running (R) in step 2,
 *            then taking turns on the lock, most of them asleep (S); in
 *            step 6 one holder and W waiters, asleep on the lock.
 * Lesson:    lessons/09-filelock.md
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_WRITERS 32
#define MAX_RECORDS 10000
#define MAX_TOTAL 100000L      /* writers x records, so a run stays short */
#define MAX_WAITERS 16
#define RACE_MIN_WRITERS 3     /* below these the race may not show */
#define RACE_MIN_RECORDS 50
#define RECORD_LEN 64          /* bytes, newline included */
#define PIECES 4               /* write() calls per record */
#define PIECE_LEN (RECORD_LEN / PIECES)
#define SUMMED_LEN 54          /* the checksum covers the bytes before it */
#define HEAR_TIMEOUT_MS 10000
#define LOCKS_TIMEOUT_MS 10000
#define MAX_LOCK_LINES 64
#define LOCK_NAME "the records file"

static long writers = 10, records = 200, waiters = 3;

static const struct pl_option options[] = {
	{ "writers", 'n', PL_OPT_INT, "N", "processes that append records at once", 1,
	  MAX_WRITERS, &writers },
	{ "records", 'm', PL_OPT_INT, "M", "records each writer appends", 1, MAX_RECORDS,
	  &records },
	{ "waiters", 'w', PL_OPT_INT, "W", "processes that wait for the lock in step 6", 1,
	  MAX_WAITERS, &waiters },
};

static const struct pl_demo demo = {
	.name = "filelock",
	.summary = "Records that tear in a shared file without a lock, and the kernel's lock list.",
	.description = "Each claim is checked while the demo runs: the records against their\n"
	               "checksums when the file is read back, the locks against /proc/locks, and\n"
	               "the waiters against their state in /proc. --writers times --records may\n"
	               "be at most 100000. The file goes in $TMPDIR, or /tmp.",
	.lesson = "09-filelock.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

enum lock_kind { NO_LOCK, FCNTL_LOCK, FLOCK_LOCK };
static const char *const kind_names[] = { "no lock", "fcntl", "flock" };
static const char *const kind_in_proc_locks[] = { "", "POSIX", "FLOCK" };

static int shared_fd = -1;     /* the parent's descriptor of the temp file */
static char file_path[256];    /* its name while it had one */
static struct stat file_stat;  /* its inode, as /proc/locks names it */

/* ------------------------------------------------------------------ */
/* Records. One is 64 bytes:  "w03 r00042 DDDD...DDDD 1a2b3c4d\n"      */
/* the writer and the record's number, 43 letters that name the writer */
/* (A for writer 0, B for 1, ...), and an FNV-1a checksum of the 54    */
/* bytes before it. A reader can tell a whole record from a torn one   */
/* without knowing what was written.                                   */

static uint32_t
checksum(const char *bytes, size_t len)
{
	uint32_t hash = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		hash ^= (unsigned char)bytes[i];
		hash *= 16777619u;
	}
	return hash;
}

static void
make_record(char rec[RECORD_LEN], int writer, long number)
{
	char sum[9];
	int len = snprintf(rec, RECORD_LEN, "w%02d r%05ld ", writer, number);

	memset(rec + len, 'A' + writer % 26, (size_t)(SUMMED_LEN - len));
	snprintf(sum, sizeof(sum), "%08x", (unsigned)checksum(rec, SUMMED_LEN));
	rec[SUMMED_LEN] = ' ';
	memcpy(rec + SUMMED_LEN + 1, sum, 8);
	rec[RECORD_LEN - 1] = '\n';
}

/* The number written in the LEN decimal digits at TEXT, or -1. */
static long
digits(const char *text, int len)
{
	long value = 0;

	for (int i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		value = value * 10 + (text[i] - '0');
	}
	return value;
}

/* Is LINE (LEN bytes, without its newline) a whole record? Then say
 * whose, and which. */
static bool
record_whole(const char *line, size_t len, int *writer, long *number)
{
	char sum[9];

	if (len != RECORD_LEN - 1 || line[0] != 'w' || line[SUMMED_LEN] != ' ')
		return false;
	snprintf(sum, sizeof(sum), "%08x", (unsigned)checksum(line, SUMMED_LEN));
	if (memcmp(line + SUMMED_LEN + 1, sum, 8) != 0)
		return false;
	/* Not sscanf(): glibc's measures the whole rest of the buffer first,
	 * which makes a read-back of N lines take N^2 time. */
	*writer = (int)digits(line + 1, 2);
	*number = digits(line + 5, 5);
	return *writer >= 0 && line[3] == ' ' && line[4] == 'r' && *number >= 0 &&
	       line[10] == ' ';
}

/* What the file holds, read back line by line. */
struct tally {
	long written;         /* records the writers wrote */
	long whole;           /* distinct records found whole */
	long torn;            /* lines that are not a whole record */
	long lost;            /* records not found whole: written - whole */
	long duplicates;      /* whole records found twice (never, we hope) */
	long long expected_bytes, file_bytes;
	bool in_order;        /* each writer's records in the order it wrote them */
	char sample[RECORD_LEN + 1]; /* the first torn line, cut to a record's length */
};

static struct tally
read_back(long nwriters, long nrecords)
{
	struct tally t = { .written = nwriters * nrecords, .in_order = true };
	long last[MAX_WRITERS];
	struct stat st;
	char *text;
	bool *seen, sample_full = false;
	size_t size, got = 0;

	t.expected_bytes = (long long)t.written * RECORD_LEN;
	if (fstat(shared_fd, &st) == -1)
		pl_die("fstat");
	size = (size_t)st.st_size;
	t.file_bytes = st.st_size;
	text = malloc(size + 1);
	seen = calloc((size_t)t.written, sizeof(*seen));
	if (text == NULL || seen == NULL)
		pl_die("malloc");
	while (got < size) {
		ssize_t n = pread(shared_fd, text + got, size - got, (off_t)got);
		if (n <= 0)
			pl_die("reading the file back");
		got += (size_t)n;
	}
	text[size] = '\0';
	for (int w = 0; w < nwriters; w++)
		last[w] = -1;

	for (char *line = text; line < text + size;) {
		char *newline = memchr(line, '\n', (size_t)(text + size - line));
		size_t len = newline ? (size_t)(newline - line) : (size_t)(text + size - line);
		int w;
		long r;

		if (record_whole(line, len, &w, &r) && w >= 0 && w < nwriters && r >= 0 &&
		    r < nrecords) {
			if (seen[w * nrecords + r]) {
				t.duplicates++;
			} else {
				seen[w * nrecords + r] = true;
				t.whole++;
			}
			if (r <= last[w])
				t.in_order = false;
			last[w] = r;
		} else {
			/* Show one: best a line of a record's length whose pieces
			 * came from different records. */
			if (t.torn++ == 0 || (len == RECORD_LEN - 1 && !sample_full)) {
				size_t cut = len < RECORD_LEN ? len : RECORD_LEN;
				for (size_t i = 0; i < cut; i++)
					t.sample[i] = line[i] >= ' ' && line[i] <= '~' ? line[i] : '.';
				t.sample[cut] = '\0';
				sample_full = len == RECORD_LEN - 1;
			}
		}
		line += len + 1;
	}
	t.lost = t.written - t.whole;
	free(seen);
	free(text);
	return t;
}

/* ------------------------------------------------------------------ */
/* Locks, and the kernel's list of them.                               */

/* Open the file again, as open() by name would: a new open file
 * description, with its own offset and its own flock() lock. Then close
 * the descriptor inherited from the parent, before taking any lock:
 * closing ANY descriptor of a file drops the process's fcntl() locks. */
static int
reopen_own(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", shared_fd);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		pl_die("reopening %s", path);
	close(shared_fd);
	return fd;
}

static void
lock_file(int fd, enum lock_kind kind)
{
	/* l_len 0: the whole file, however far it grows. */
	struct flock whole = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (kind == NO_LOCK)
		return;
	pl_board_lock_wants(LOCK_NAME); /* for the dashboard; a no-op without it */
	if (kind == FCNTL_LOCK) {
		while (fcntl(fd, F_SETLKW, &whole) == -1) /* W: wait until it is free */
			if (errno != EINTR)
				pl_die("fcntl(F_SETLKW)");
	} else {
		while (flock(fd, LOCK_EX) == -1)
			if (errno != EINTR)
				pl_die("flock(LOCK_EX)");
	}
	pl_board_lock_holds(LOCK_NAME);
}

static void
unlock_file(int fd, enum lock_kind kind)
{
	struct flock whole = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (kind == NO_LOCK)
		return;
	if (kind == FCNTL_LOCK ? fcntl(fd, F_SETLK, &whole) : flock(fd, LOCK_UN))
		pl_die("unlocking");
	pl_board_lock_releases(LOCK_NAME);
}

/* One line of /proc/locks, see proc(5):
 *     1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF
 *     1: -> POSIX  ADVISORY  WRITE 24653 fe:00:10952850 0 EOF
 * ID, then "->" for a request that is blocked, waiting; the kind (POSIX
 * for fcntl, FLOCK for flock); ADVISORY; WRITE or READ; the owner's PID;
 * the file as MAJOR:MINOR:INODE (device numbers in hex); the byte range.
 * A waiter is listed under the lock it waits for, indented one more space
 * for each waiter it queues behind (fs/locks.c, lock_get_status).
 * pl_procfs_parse_lock() takes it apart; we keep the text to show it. */
struct lock_line {
	struct pl_lock_line lock; /* lock.depth: 1 waits on the holder itself */
	char text[160];
};

/* The lines about our file. Returns how many (at most MAX), or -1 if
 * /proc/locks cannot be read. */
static int
proc_locks(struct lock_line *out, int max)
{
	FILE *locks = fopen("/proc/locks", "r");
	char line[256];
	int n = 0;

	if (locks == NULL)
		return -1;
	while (fgets(line, sizeof(line), locks) != NULL) {
		struct lock_line l = { 0 };

		/* Match by inode only: on btrfs, the device that stat() reports
		 * is not the one /proc/locks prints. */
		if (pl_procfs_parse_lock(line, &l.lock) == -1 ||
		    l.lock.inode != (unsigned long long)file_stat.st_ino)
			continue;
		line[strcspn(line, "\n")] = '\0';
		memcpy(l.text, line, sizeof(l.text) - 1); /* cut a line too long to show */
		if (n < max)
			out[n] = l;
		n++;
	}
	fclose(locks);
	return n < max ? n : max;
}

/* The line for PID, holding (WAITING false) or blocked, of kind KIND. */
static const struct lock_line *
find_lock(const struct lock_line *lines, int n, pid_t pid, bool waiting, const char *kind)
{
	for (int i = 0; i < n; i++)
		if (lines[i].lock.pid == pid && lines[i].lock.waiting == waiting &&
		    strcmp(lines[i].lock.kind, kind) == 0)
			return &lines[i];
	return NULL;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Is PID asleep in the kernel's lock code? wchan names the function it
 * sleeps in: fcntl_setlk, locks_lock_inode_wait... The names change with
 * the kernel, so match loosely. Poll a moment, since a waiter is listed
 * in /proc/locks just before it goes to sleep. WCHAN_SHOWN is false when
 * this kernel hides wchan: then only the state can tell. */
static bool
asleep_on_lock(pid_t pid, bool wchan_shown, struct pl_proc *proc)
{
	for (int waited = 0; waited < HEAR_TIMEOUT_MS; waited++) {
		if (pl_procfs_read(pid, proc) != 0 || proc->state == 'Z')
			return false;
		if (proc->state == 'S' &&
		    (!wchan_shown || strstr(proc->wchan, "lock") || strstr(proc->wchan, "setlk")))
			return true;
		sleep_ms(1);
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Step 1: the file.                                                    */

struct reopen_report {
	dev_t dev;
	ino_t ino;
	off_t offset;    /* where the child left its own offset */
};

static void
temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	struct reopen_report child;
	char link[512] = "", proc_fd[64];
	sigset_t old;
	struct stat st;
	pid_t pid;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if (snprintf(file_path, sizeof(file_path), "%s/proclab-filelock-%ld-XXXXXX", dir,
	             (long)getpid()) >= (int)sizeof(file_path))
		pl_die_usage("TMPDIR is too long: %s", dir);
	pl_step("temp-file", NULL, "the records go to a temp file whose name is removed at once");

	/* A Ctrl-C between creating the name and registering it would leave
	 * it behind: hold the termination signals until both are done. */
	pl_cleanup_hold(&old);
	if ((shared_fd = mkstemp(file_path)) == -1)
		pl_die("creating a temp file %s", file_path);
	if (pl_cleanup_add(PL_CLEANUP_PATH, file_path) == -1)
		pl_die("registering %s for cleanup", file_path);
	pl_cleanup_release(&old);
	if (fstat(shared_fd, &file_stat) == -1)
		pl_die("fstat");

	/* Every process of the demo reaches the file through an open
	 * descriptor, so the name has done its job: remove it now. From here
	 * even a SIGKILL, which no handler sees, leaves nothing behind. */
	if (unlink(file_path) == -1)
		pl_die("unlink(%s)", file_path);
	pl_cleanup_forget(PL_CLEANUP_PATH, file_path);

	snprintf(proc_fd, sizeof(proc_fd), "/proc/%ld/fd/%d", (long)getpid(), shared_fd);
	ssize_t len = readlink(proc_fd, link, sizeof(link) - 1);
	link[len > 0 ? len : 0] = '\0';
	bool name_gone = stat(file_path, &st) == -1 && errno == ENOENT;
	if (fstat(shared_fd, &st) == -1)
		pl_die("fstat");
	char device[32];
	snprintf(device, sizeof(device), "%02x:%02x", major(file_stat.st_dev),
	         minor(file_stat.st_dev));
	pl_note("file",
	        PL_FIELDS(PL_STR("path", file_path), PL_INT("inode", (long long)file_stat.st_ino),
	                  PL_STR("device", device), PL_INT("fd", shared_fd),
	                  PL_STR("link", link), PL_INT("links", (long long)st.st_nlink),
	                  PL_BOOL("name_gone", name_gone)),
	        "created %s (inode %llu, device %s), then unlinked it", file_path,
	        (unsigned long long)file_stat.st_ino, device);
	pl_note("fd-link", NULL, "%s -> %s, %ld links", proc_fd, link, (long)st.st_nlink);
	pl_check("name-gone-file-open",
	         name_gone && st.st_nlink == 0 && strstr(link, " (deleted)") != NULL, NULL,
	         "the name is gone, the file lives on while it is open: nothing can be left behind");

	/* A child reopens it through /proc/self/fd and moves its offset. */
	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child */
		int fd = reopen_own();
		struct stat mine;

		if (fstat(fd, &mine) == -1)
			pl_die("fstat");
		child = (struct reopen_report){ mine.st_dev, mine.st_ino,
			                        lseek(fd, 1000, SEEK_SET) };
		pl_child_tell(&child, sizeof(child));
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent */
		if (pl_child_hear(pid, &child, sizeof(child), HEAR_TIMEOUT_MS) == -1 ||
		    pl_child_wait(pid, NULL, 0) == -1)
			pl_die("hearing from child %ld", (long)pid);
	}
	off_t mine = lseek(shared_fd, 0, SEEK_CUR);
	pl_note("reopened",
	        PL_FIELDS(PL_INT("child", pid), PL_INT("inode", (long long)child.ino),
	                  PL_INT("child_offset", (long long)child.offset),
	                  PL_INT("parent_offset", (long long)mine)),
	        "a child reopened /proc/self/fd/%d: inode %llu; it moved its offset to %lld, "
	        "the parent's is still %lld", shared_fd, (unsigned long long)child.ino,
	        (long long)child.offset, (long long)mine);
	pl_check("own-open-file",
	         child.dev == file_stat.st_dev && child.ino == file_stat.st_ino &&
	                 child.offset == 1000 && mine == 0,
	         NULL, "same file, but an open file description of its own, with its own offset");
	pl_pause(1.0); /* time to look at /proc/PID/fd */
}

/* ------------------------------------------------------------------ */
/* Steps 2-4: writers append records, with no lock, fcntl or flock.     */

/* Find the end of the file, then write the record a piece at a time.
 * Without a lock, another writer can find the same end (and one record
 * overwrites the other), or write between two pieces (and both tear). */
static void
append_record(int fd, const char rec[RECORD_LEN], unsigned *seed)
{
	if (lseek(fd, 0, SEEK_END) == -1)
		pl_die("lseek");
	for (int i = 0; i < PIECES; i++) {
		/* The window, held open, as a preemption would: give the CPU to
		 * another writer up to twice, a random number of times, so the
		 * writers drift out of step with each other. */
		for (int yields = rand_r(seed) % 3; yields > 0; yields--)
			sched_yield();
		ssize_t n = write(fd, rec + i * PIECE_LEN, PIECE_LEN);
		if (n != PIECE_LEN)
			pl_die("write (%zd of %d bytes)", n, PIECE_LEN);
	}
}

static noreturn void
writer(int index, enum lock_kind kind)
{
	int fd = reopen_own();
	char rec[RECORD_LEN];
	unsigned seed = (unsigned)getpid();

	pl_child_hold(); /* the start line: wait until every writer exists */
	for (long number = 0; number < records; number++) {
		make_record(rec, index, number);
		lock_file(fd, kind);
		append_record(fd, rec, &seed); /* the critical section */
		unlock_file(fd, kind);
	}
	close(fd);
	_exit(EXIT_SUCCESS);
}

static void
reap(pid_t pid, const char *who)
{
	char how[96];
	int status;

	if (pl_child_wait(pid, &status, 0) == -1)
		pl_die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		pl_status_describe(status, how, sizeof(how));
		pl_die("%s %ld %s", who, (long)pid, how);
	}
}

static struct tally
run_writers(enum lock_kind kind)
{
	pid_t pids[MAX_WRITERS];
	double start;

	if (ftruncate(shared_fd, 0) == -1)
		pl_die("ftruncate");
	for (int i = 0; i < writers; i++) {
		switch (pids[i] = pl_fork("writer", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child */
			writer(i, kind);
		default: /* Parent: go on forking */
			break;
		}
	}
	start = pl_narrate_elapsed();
	for (int i = 0; i < writers; i++) /* ready, steady, go */
		pl_child_release(pids[i]);
	for (int i = 0; i < writers; i++)
		reap(pids[i], "writer");

	double seconds = pl_narrate_elapsed() - start;
	struct tally t = read_back(writers, records);
	pl_note("read-back",
	        PL_FIELDS(PL_STR("lock", kind_names[kind]), PL_INT("written", t.written),
	                  PL_INT("whole", t.whole), PL_INT("torn", t.torn), PL_INT("lost", t.lost),
	                  PL_INT("duplicates", t.duplicates),
	                  PL_INT("expected_bytes", t.expected_bytes),
	                  PL_INT("file_bytes", t.file_bytes), PL_BOOL("in_order", t.in_order),
	                  PL_DOUBLE("seconds", seconds)),
	        "the file holds %lld of %lld bytes: %ld of %ld records whole, %ld lines torn, "
	        "%ld records lost (%.0f ms)", t.file_bytes, t.expected_bytes, t.whole, t.written,
	        t.torn, t.lost, seconds * 1e3);
	return t;
}

static void
no_lock(void)
{
	pl_step("no-lock", PL_FIELDS(PL_INT("writers", writers), PL_INT("records", records)),
	        "%ld processes append %ld records each to the file, with no lock", writers,
	        records);
	pl_note("record", PL_FIELDS(PL_INT("bytes", RECORD_LEN), PL_INT("writes", PIECES)),
	        "each record: %d bytes with a checksum, written in %d write() calls after "
	        "lseek(SEEK_END)", RECORD_LEN, PIECES);

	struct tally t = run_writers(NO_LOCK);
	if (t.torn > 0)
		pl_note("torn-sample", PL_FIELDS(PL_STR("line", t.sample)), "a torn line: %s",
		        t.sample);
	if (writers >= RACE_MIN_WRITERS && records >= RACE_MIN_RECORDS)
		pl_check("records-broke", t.lost > 0 && t.torn > 0,
		         PL_FIELDS(PL_INT("lost", t.lost), PL_INT("torn", t.torn)),
		         "without a lock, records broke: %ld of %ld lost, %ld lines torn", t.lost,
		         t.written, t.torn);
	else
		pl_note("too-small", NULL, "with %ld writer(s) of %ld records the race does not show "
		                           "in every run, so it is not checked: try the defaults",
		        writers, records);
}

static void
locked(enum lock_kind kind)
{
	static const char *const how[] = {
		[FCNTL_LOCK] = "an fcntl() write lock on the whole file (F_SETLKW)",
		[FLOCK_LOCK] = "flock(LOCK_EX)",
	};

	pl_step(kind == FCNTL_LOCK ? "fcntl-lock" : "flock-lock",
	        PL_FIELDS(PL_INT("writers", writers), PL_INT("records", records)),
	        "the same writers, each record under %s", how[kind]);
	struct tally t = run_writers(kind);
	pl_check(kind == FCNTL_LOCK ? "fcntl-no-record-broke" : "flock-no-record-broke",
	         t.whole == t.written && t.torn == 0 && t.duplicates == 0 &&
	                 t.file_bytes == t.expected_bytes && t.in_order,
	         NULL, "%s: all %ld records whole, none torn, none lost, each writer's in order",
	         kind_names[kind], t.written);
}

/* ------------------------------------------------------------------ */
/* Step 5: the lock stops only those who ask for it.                    */

struct holder_report {
	bool whole;          /* its record reads back whole */
};

struct rogue_report {
	short getlk_type;    /* what F_GETLK says about the lock: F_WRLCK */
	pid_t getlk_pid;     /* and who holds it */
	ssize_t written;     /* what its own write() returned */
	int error;
	double seconds;      /* how long the write took */
};

static const char rogue_text[PIECE_LEN + 1] = "rogue was here! ";

static noreturn void
holder_of_record(void)
{
	struct holder_report me;
	char rec[RECORD_LEN + 1];
	int fd = reopen_own(), w;
	long r;

	lock_file(fd, FCNTL_LOCK);
	make_record(rec, 0, 0);
	if (pwrite(fd, rec, RECORD_LEN, 0) != RECORD_LEN)
		pl_die("pwrite");
	me.whole = true;
	pl_child_tell(&me, sizeof(me));
	pl_child_hold(); /* holding the lock while the rogue comes */

	rec[RECORD_LEN] = '\0';
	me.whole = pread(fd, rec, RECORD_LEN, 0) == RECORD_LEN &&
	           record_whole(rec, RECORD_LEN - 1, &w, &r);
	pl_child_tell(&me, sizeof(me));
	unlock_file(fd, FCNTL_LOCK);
	_exit(EXIT_SUCCESS);
}

static noreturn void
rogue(void)
{
	struct flock probe = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	struct rogue_report me = { 0 };
	int fd = reopen_own();

	/* It could know: F_GETLK describes the lock that would block it. */
	if (fcntl(fd, F_GETLK, &probe) == 0) {
		me.getlk_type = probe.l_type;
		me.getlk_pid = probe.l_pid;
	}
	/* But it does not ask, and nothing stops it. */
	double start = pl_narrate_elapsed();
	me.written = pwrite(fd, rogue_text, PIECE_LEN, PIECE_LEN);
	me.error = me.written == -1 ? errno : 0;
	me.seconds = pl_narrate_elapsed() - start;
	pl_child_tell(&me, sizeof(me));
	_exit(EXIT_SUCCESS);
}

static void
advisory(void)
{
	struct lock_line lines[MAX_LOCK_LINES];
	struct holder_report held;
	struct rogue_report r;
	char contents[RECORD_LEN + 1];
	pid_t holder, intruder;
	int n;

	pl_step("advisory", NULL, "locks are advisory: a process that does not ask is not stopped");
	if (ftruncate(shared_fd, 0) == -1)
		pl_die("ftruncate");

	switch (holder = pl_fork("holder", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		holder_of_record();
	default: /* Parent */
		if (pl_child_hear(holder, &held, sizeof(held), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from the holder");
	}
	n = proc_locks(lines, MAX_LOCK_LINES);
	const struct lock_line *before = find_lock(lines, n, holder, false, "POSIX");
	pl_note("held", PL_FIELDS(PL_INT("holder", holder), PL_STR("line", before ? before->text : "")),
	        "/proc/locks: %s", before ? before->text : "(no lock of the holder)");
	pl_check("holder-holds", before != NULL && strcmp(before->lock.access, "WRITE") == 0,
	         PL_FIELDS(PL_INT("holder", holder)),
	         "the holder (pid %ld) wrote a record, and holds a write lock on the file",
	         (long)holder);
	pl_pause(1.0); /* time to look at /proc/locks */

	switch (intruder = pl_fork("rogue", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		rogue();
	default: /* Parent */
		if (pl_child_hear(intruder, &r, sizeof(r), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from the rogue");
		reap(intruder, "rogue");
	}
	pl_note("rogue",
	        PL_FIELDS(PL_INT("rogue", intruder), PL_BOOL("getlk_write", r.getlk_type == F_WRLCK),
	                  PL_INT("getlk_pid", r.getlk_pid), PL_INT("written", r.written),
	                  PL_INT("error", r.error), PL_DOUBLE("seconds", r.seconds)),
	        "the rogue (pid %ld): F_GETLK says pid %ld holds a %s lock; it wrote anyway: "
	        "pwrite() returned %zd in %.2f ms", (long)intruder, (long)r.getlk_pid,
	        r.getlk_type == F_WRLCK ? "write" : "no", r.written, r.seconds * 1e3);

	contents[RECORD_LEN] = '\0';
	if (pread(shared_fd, contents, RECORD_LEN, 0) != RECORD_LEN)
		pl_die("pread");
	contents[RECORD_LEN - 1] = '\0'; /* the newline */
	n = proc_locks(lines, MAX_LOCK_LINES);
	const struct lock_line *after = find_lock(lines, n, holder, false, "POSIX");
	pl_note("file-now", PL_FIELDS(PL_STR("record", contents), PL_BOOL("still_held", after != NULL)),
	        "the holder's record now reads: %s", contents);
	pl_check("rogue-not-stopped",
	         r.getlk_type == F_WRLCK && r.getlk_pid == holder && r.written == PIECE_LEN &&
	                 strstr(contents, rogue_text) != NULL,
	         NULL, "the rogue saw the lock with F_GETLK, but its write went through");
	pl_check("holder-still-holds", after != NULL && strcmp(after->lock.access, "WRITE") == 0,
	         NULL,
	         "/proc/locks still lists the holder's write lock: it held the lock all along");

	pl_child_release(holder);
	if (pl_child_hear(holder, &held, sizeof(held), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from the holder");
	reap(holder, "holder");
	pl_note("holder-reads", PL_FIELDS(PL_BOOL("whole", held.whole)),
	        "the holder reads its record back, under its lock: %s",
	        held.whole ? "whole" : "its checksum fails");
	pl_check("holder-record-broke", !held.whole, NULL,
	         "the record broke under the holder's lock: the lock protects only from those "
	         "who ask for it");
}

/* ------------------------------------------------------------------ */
/* Step 6: who waits for the lock, as the kernel lists them.            */

struct waiter_report {
	double got;      /* when it got the lock, pl_narrate_elapsed() */
};

static noreturn void
lock_holder(enum lock_kind kind)
{
	int fd = reopen_own(), ok = 1;

	lock_file(fd, kind);
	pl_child_tell(&ok, sizeof(ok));
	pl_child_hold(); /* hold the lock until the parent says */
	unlock_file(fd, kind);
	_exit(EXIT_SUCCESS);
}

static noreturn void
lock_waiter(enum lock_kind kind)
{
	struct waiter_report me;
	int fd = reopen_own();

	lock_file(fd, kind); /* blocks: the holder has it */
	me.got = pl_narrate_elapsed();
	unlock_file(fd, kind);
	pl_child_tell(&me, sizeof(me));
	_exit(EXIT_SUCCESS);
}

/* Poll /proc/locks until it lists WANT blocked requests of KIND. */
static int
wait_for_waiters(const char *kind, int want, struct lock_line *lines, int max)
{
	for (int waited = 0;; waited += 2) {
		int n = proc_locks(lines, max), blocked = 0;

		for (int i = 0; i < n; i++)
			blocked += lines[i].lock.waiting && strcmp(lines[i].lock.kind, kind) == 0;
		if (blocked >= want || waited >= LOCKS_TIMEOUT_MS)
			return n;
		sleep_ms(2);
	}
}

static void
show_waiters(enum lock_kind kind)
{
	const char *kind_name = kind_in_proc_locks[kind];
	struct lock_line lines[MAX_LOCK_LINES];
	pid_t holder, pids[MAX_WAITERS];
	int ok, n, listed = 0, asleep = 0, after_release = 0;
	struct pl_proc proc = { 0 };

	switch (holder = pl_fork("holder", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		lock_holder(kind);
	default: /* Parent: once it holds the lock, the waiters come */
		if (pl_child_hear(holder, &ok, sizeof(ok), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from the holder");
	}
	for (int i = 0; i < waiters; i++) {
		switch (pids[i] = pl_fork("waiter", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child */
			lock_waiter(kind);
		default: /* Parent: go on forking */
			break;
		}
	}

	n = wait_for_waiters(kind_name, (int)waiters, lines, MAX_LOCK_LINES);
	pl_note("proc-locks", PL_FIELDS(PL_STR("kind", kind_name), PL_INT("lines", n)),
	        "%s locks in /proc/locks for inode %llu:", kind_name,
	        (unsigned long long)file_stat.st_ino);
	for (int i = 0; i < n; i++)
		pl_note("proc-locks-line",
		        PL_FIELDS(PL_STR("kind", lines[i].lock.kind),
		                  PL_INT("lock_pid", lines[i].lock.pid),
		                  PL_BOOL("waiting", lines[i].lock.waiting),
		                  PL_INT("depth", lines[i].lock.depth),
		                  PL_STR("line", lines[i].text)),
		        "   %s", lines[i].text);

	bool holder_listed = find_lock(lines, n, holder, false, kind_name) != NULL;
	pl_procfs_wait_state(holder, "S", HEAR_TIMEOUT_MS, &proc); /* held by the parent */
	bool wchan_shown = proc.wchan[0] != '\0';
	pl_note("lock-holder",
	        PL_FIELDS(PL_STR("kind", kind_name), PL_INT("holder", holder),
	                  PL_BOOL("listed", holder_listed), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan)),
	        "holder %ld: %s; state %c (%s)%s%s", (long)holder,
	        holder_listed ? "holds the lock" : "NOT listed", proc.state,
	        pl_procfs_state_name(proc.state), proc.wchan[0] ? " in " : "", proc.wchan);
	for (int i = 0; i < waiters; i++) {
		const struct lock_line *l = find_lock(lines, n, pids[i], true, kind_name);
		bool in_lock_code = asleep_on_lock(pids[i], wchan_shown, &proc);

		listed += l != NULL;
		asleep += in_lock_code;
		pl_note("lock-waiter",
		        PL_FIELDS(PL_STR("kind", kind_name), PL_INT("waiter", pids[i]),
		                  PL_BOOL("listed", l != NULL),
		                  PL_INT("depth", l ? l->lock.depth : 0),
		                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan)),
		        "waiter %ld: %s; state %c (%s)%s%s", (long)pids[i],
		        l ? "blocked, listed with ->" : "NOT listed", proc.state,
		        pl_procfs_state_name(proc.state), proc.wchan[0] ? " in " : "", proc.wchan);
	}
	pl_check(kind == FCNTL_LOCK ? "fcntl-waiters-listed" : "flock-waiters-listed",
	         holder_listed && listed == waiters,
	         PL_FIELDS(PL_INT("listed", listed), PL_INT("waiters", waiters)),
	         "/proc/locks lists the holder and all %ld waiters, by PID", waiters);
	pl_check(kind == FCNTL_LOCK ? "fcntl-waiters-asleep" : "flock-waiters-asleep",
	         asleep == waiters, PL_FIELDS(PL_INT("asleep", asleep)),
	         "every waiter sleeps (S) in the kernel's lock code");
	pl_pause(1.0); /* time to read /proc/locks from outside */

	double released = pl_narrate_elapsed();
	pl_child_release(holder);
	for (int i = 0; i < waiters; i++) {
		struct waiter_report w;

		if (pl_child_hear(pids[i], &w, sizeof(w), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from waiter %ld", (long)pids[i]);
		after_release += w.got > released;
		reap(pids[i], "waiter");
	}
	reap(holder, "holder");
	pl_check(kind == FCNTL_LOCK ? "fcntl-after-release" : "flock-after-release",
	         after_release == waiters, NULL,
	         "each waiter got the lock only after the holder let it go");
}

static void
lock_waiters(void)
{
	pl_step("lock-waiters", PL_FIELDS(PL_INT("waiters", waiters)),
	        "processes that wait for a lock are listed in /proc/locks while they wait");
	show_waiters(FCNTL_LOCK);
	show_waiters(FLOCK_LOCK);
}

/* ------------------------------------------------------------------ */
/* Step 7: nothing left.                                                */

static void
nothing_left(void)
{
	struct lock_line lines[MAX_LOCK_LINES];
	struct stat st;

	pl_step("nothing-left", NULL, "nothing is left: no lock on the file, and no name");
	int n = proc_locks(lines, MAX_LOCK_LINES);
	close(shared_fd);
	shared_fd = -1;
	bool name_gone = stat(file_path, &st) == -1 && errno == ENOENT;
	pl_note("after", PL_FIELDS(PL_INT("lock_lines", n), PL_BOOL("name_gone", name_gone)),
	        "/proc/locks: %d lines for inode %llu; %s: %s", n,
	        (unsigned long long)file_stat.st_ino, file_path, name_gone ? "no such file" : "there");
	pl_check("nothing-left", n == 0 && name_gone, NULL,
	         "no lock is left on the file, and no name: the last close frees it");
}

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);
	if (writers * records > MAX_TOTAL)
		pl_die_usage("--writers times --records must be at most %ld, not %ld", MAX_TOTAL,
		             writers * records);

	temp_file();
	no_lock();
	locked(FCNTL_LOCK);
	locked(FLOCK_LOCK);
	advisory();
	lock_waiters();
	nothing_left();

	return pl_demo_finish();
}
