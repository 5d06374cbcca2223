/* fork.c - what fork() does: one call, two returns, two memories.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. fork() returns twice: the child's PID in the parent, 0 in the child;
 *      /proc/CHILD/stat names the parent as the child's ppid.
 *   2. the child gets its own copy of memory: a global array the child fills
 *      stays empty in the parent (the C twin of the seeds' Python example
 *      with square_result).
 *   3. the copy is lazy, copy-on-write: the kernel counts a page fault when
 *      the child first WRITES an inherited page, none when it only reads.
 *   4. --children N run at the same time: /proc lists all N as children of
 *      the parent at once, and their lines interleave differently each run.
 *   5. the parent waits for every child and decodes each exit status.
 *
 * Usage:     proclab-fork [--children N] [--json] [--step] [--speed F]
 * Dashboard: `proclab fork` shows the tree grow to N children that sleep,
 *            turn into zombies (Z) as they exit, and vanish when reaped.
 * Lesson:    lessons/01-fork.md
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_CHILDREN 32
#define LINES_PER_CHILD 3
#define COW_PAGES 1024
#define HEAR_TIMEOUT_MS 10000

static long children_wanted = 3;

static const struct pl_option options[] = {
	{ "children", 'n', PL_OPT_INT, "N", "how many children run at once in step 4",
	  1, MAX_CHILDREN, &children_wanted },
};

static const struct pl_demo demo = {
	.name = "fork",
	.summary = "fork() returns twice, and parent and child have separate memory.",
	.description = "Each claim is checked while the demo runs: PIDs against /proc, memory\n"
	               "against what each process reads, copy-on-write against the kernel's\n"
	               "page-fault counts, and exit statuses against wait().",
	.lesson = "01-fork.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* Step 1: fork() returns twice.                                        */

struct identity {
	pid_t fork_returned; /* what fork() gave this process */
	pid_t getpid;
	pid_t getppid;
};

static void
fork_returns_twice(void)
{
	struct identity child;
	struct pl_proc proc;
	pid_t pid;

	pl_step("fork-returns-twice", NULL, "fork() is called once and returns twice");

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child: this is the second return of the same call. */
		struct identity me = { pid, getpid(), getppid() };

		pl_note("child-identity",
		        PL_FIELDS(PL_INT("fork_returned", me.fork_returned),
		                  PL_INT("getpid", me.getpid), PL_INT("getppid", me.getppid)),
		        "in the child: fork() returned %ld, getpid() = %ld, getppid() = %ld",
		        (long)me.fork_returned, (long)me.getpid, (long)me.getppid);
		pl_child_tell(&me, sizeof(me));
		pl_child_hold(); /* stay alive while the parent reads /proc */
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent */
		pl_note("parent-identity",
		        PL_FIELDS(PL_INT("fork_returned", pid), PL_INT("getpid", getpid())),
		        "in the parent: fork() returned %ld, getpid() = %ld", (long)pid,
		        (long)getpid());
	}

	if (pl_child_hear(pid, &child, sizeof(child), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
	/* The child now blocks until released: the kernel shows it sleeping. */
	if (pl_procfs_wait_state(pid, "S", HEAR_TIMEOUT_MS, &proc) != 0)
		pl_die("reading /proc/%ld/stat", (long)pid);

	pl_note("kernel-view",
	        PL_FIELDS(PL_INT("child", pid), PL_INT("ppid", proc.ppid),
	                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan)),
	        "/proc/%ld/stat: ppid %ld, state %c (%s)%s%s", (long)pid, (long)proc.ppid,
	        proc.state, pl_procfs_state_name(proc.state), proc.wchan[0] ? " in " : "",
	        proc.wchan);
	pl_check("parent-got-child-pid", pid == child.getpid,
	         PL_FIELDS(PL_INT("in_parent", pid), PL_INT("child_getpid", child.getpid)),
	         "the parent's fork() returned %ld, which is the child's getpid()", (long)pid);
	pl_check("child-got-zero", child.fork_returned == 0,
	         PL_FIELDS(PL_INT("in_child", child.fork_returned)),
	         "the child's fork() returned %ld", (long)child.fork_returned);
	pl_check("kernel-names-parent", proc.ppid == getpid() && child.getppid == getpid(),
	         PL_FIELDS(PL_INT("kernel_ppid", proc.ppid), PL_INT("child_getppid", child.getppid),
	                   PL_INT("parent", getpid())),
	         "the kernel and the child both name %ld as the parent", (long)getpid());

	pl_pause(1.0); /* time to look at the pair in the dashboard */
	pl_child_release(pid);
	if (pl_child_wait(pid, NULL, 0) == -1)
		pl_die("waitpid");
}

/* ------------------------------------------------------------------ */
/* Step 2: separate memory. In the seeds' Python, a child appends to a  */
/* global list and the parent's list stays empty. The same in C:        */

static long square_result[4];

struct memory_view {
	long squares[4];
	uintptr_t address;
};

static void
separate_memory(void)
{
	struct memory_view child, parent;
	pid_t pid;

	pl_step("separate-memory", NULL,
	        "the child fills a global array; the parent's copy stays empty");

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child */
		struct memory_view me = { .address = (uintptr_t)square_result };

		for (int i = 0; i < 4; i++)
			square_result[i] = (long)i * i;
		memcpy(me.squares, square_result, sizeof(me.squares));
		pl_note("child-array", PL_FIELDS(PL_INTS("squares", square_result, 4)),
		        "in the child: square_result = [%ld, %ld, %ld, %ld] at %p",
		        square_result[0], square_result[1], square_result[2], square_result[3],
		        (void *)square_result);
		pl_child_tell(&me, sizeof(me));
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent: wait until the child has written, then look. */
		if (pl_child_hear(pid, &child, sizeof(child), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from child %ld", (long)pid);
		if (pl_child_wait(pid, NULL, 0) == -1)
			pl_die("waitpid");
	}

	memcpy(parent.squares, square_result, sizeof(parent.squares));
	parent.address = (uintptr_t)square_result;
	pl_note("parent-array", PL_FIELDS(PL_INTS("squares", parent.squares, 4)),
	        "in the parent: square_result = [%ld, %ld, %ld, %ld] at %p", parent.squares[0],
	        parent.squares[1], parent.squares[2], parent.squares[3], (void *)square_result);

	pl_check("child-saw-its-writes",
	         child.squares[0] == 0 && child.squares[1] == 1 && child.squares[2] == 4 &&
	                 child.squares[3] == 9,
	         NULL, "the child read back the squares it wrote");
	pl_check("parent-array-untouched",
	         parent.squares[0] == 0 && parent.squares[1] == 0 && parent.squares[2] == 0 &&
	                 parent.squares[3] == 0,
	         NULL, "the parent's array is still all zeros");
	pl_check("same-address-different-memory", child.address == parent.address,
	         PL_FIELDS(PL_INT("address", (long long)parent.address)),
	         "same virtual address %p in both: each process has its own memory behind it",
	         (void *)parent.address);
}

/* ------------------------------------------------------------------ */
/* Step 3: copy-on-write. fork() does not copy memory up front; parent  */
/* and child share each page read-only until one of them writes it.     */
/* The kernel counts the fault of each such first write (getrusage(2),   */
/* ru_minflt), so the child can measure it.                               */

struct cow_counts {
	long read_faults;
	long write_faults;
};

static long
minor_faults(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_minflt;
}

static void
copy_on_write(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = COW_PAGES * page;
	struct cow_counts counts;
	volatile unsigned char *buffer;
	pid_t pid;

	pl_step("copy-on-write", PL_FIELDS(PL_INT("pages", COW_PAGES)),
	        "the copy is lazy: pages are copied when the child first writes them");

	buffer = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buffer == MAP_FAILED)
		pl_die("mmap");
#ifdef MADV_NOHUGEPAGE
	/* One 2 MiB huge page would fault once, not 512 times. */
	madvise((void *)buffer, size, MADV_NOHUGEPAGE);
#endif
	memset((void *)buffer, 1, size); /* the parent touches every page first */

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child */
		struct cow_counts me;
		unsigned sum = 0;
		long before = minor_faults();

		for (size_t i = 0; i < size; i += page)
			sum += buffer[i];
		me.read_faults = minor_faults() - before;

		before = minor_faults();
		for (size_t i = 0; i < size; i += page)
			buffer[i] = (unsigned char)sum;
		me.write_faults = minor_faults() - before;
		pl_child_tell(&me, sizeof(me));
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent */
		if (pl_child_hear(pid, &counts, sizeof(counts), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from child %ld", (long)pid);
		if (pl_child_wait(pid, NULL, 0) == -1)
			pl_die("waitpid");
	}

	pl_note("page-faults",
	        PL_FIELDS(PL_INT("pages", COW_PAGES), PL_INT("read_faults", counts.read_faults),
	                  PL_INT("write_faults", counts.write_faults)),
	        "the child read %d inherited pages: %ld page faults; then wrote them: %ld faults",
	        COW_PAGES, counts.read_faults, counts.write_faults);
	pl_check("reads-share-pages", counts.read_faults < COW_PAGES / 4, NULL,
	         "reading shared the parent's pages: almost no faults");
	pl_check("writes-copy-pages", counts.write_faults >= COW_PAGES * 9 / 10, NULL,
	         "each first write faulted, and the kernel copied that page for the child");
	munmap((void *)buffer, size);
}

/* ------------------------------------------------------------------ */
/* Step 4: several children at once. Each child reports when it wrote    */
/* each line, so the parent can show the order of this run.               */

struct line_record {
	int child;
	int line;
	double t;
};

static void
child_writes_lines(int index)
{
	unsigned seed = (unsigned)getpid() ^ (unsigned)(pl_narrate_elapsed() * 1e6);

	for (int line = 1; line <= LINES_PER_CHILD; line++) {
		struct line_record rec = { index, line, pl_narrate_elapsed() };

		pl_note("child-line", PL_FIELDS(PL_INT("child", index), PL_INT("line", line)),
		        "child %d, line %d", index, line);
		/* A random pause, so the scheduler's choices show in the order. */
		pl_pause(0.05 + (double)(rand_r(&seed) % 250) / 1000.0);
		pl_child_tell(&rec, sizeof(rec));
	}
	pl_child_hold(); /* stay until the parent has looked at /proc */
}

static int
by_time(const void *a, const void *b)
{
	const struct line_record *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

static void
children_at_once(pid_t *pids, int n)
{
	struct line_record records[MAX_CHILDREN * LINES_PER_CHILD];
	pid_t listed[MAX_CHILDREN + 8];
	char order[MAX_CHILDREN * LINES_PER_CHILD * 4] = "";
	int count, matched = 0, nrec = 0;

	pl_step("children-at-once", PL_FIELDS(PL_INT("children", n)),
	        "%d children run at the same time", n);

	for (int i = 0; i < n; i++) {
		switch (pids[i] = pl_fork("child", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child: exits with its own number, for step 5 */
			child_writes_lines(i + 1);
			_exit(i + 1);
		default: /* Parent: go on forking */
			break;
		}
	}

	for (int i = 0; i < n; i++)
		for (int line = 0; line < LINES_PER_CHILD; line++)
			if (pl_child_hear(pids[i], &records[nrec++], sizeof(records[0]),
			                  HEAR_TIMEOUT_MS) == -1)
				pl_die("hearing from child %ld", (long)pids[i]);

	/* Every child has written its lines and is now held, alive. Ask the
	 * kernel who our children are. */
	count = pl_procfs_children(getpid(), listed, PL_COUNT(listed));
	if (count == -1)
		pl_die("scanning /proc");
	for (int i = 0; i < count && i < (int)PL_COUNT(listed); i++) {
		struct pl_proc proc;

		/* Each child is about to block, held until step 5. */
		if (pl_procfs_wait_state(listed[i], "S", HEAR_TIMEOUT_MS, &proc) != 0)
			continue;
		for (int j = 0; j < n; j++)
			if (pids[j] == listed[i])
				matched++;
		pl_note("kernel-child",
		        PL_FIELDS(PL_INT("child", proc.pid), PL_INT("ppid", proc.ppid),
		                  PL_CHAR("state", proc.state),
		                  PL_STR("wchan", proc.wchan)),
		        "/proc/%ld: ppid %ld, state %c (%s)%s%s", (long)proc.pid, (long)proc.ppid,
		        proc.state, pl_procfs_state_name(proc.state), proc.wchan[0] ? " in " : "",
		        proc.wchan);
	}
	pl_check("kernel-lists-all-children", count == n && matched == n,
	         PL_FIELDS(PL_INT("expected", n), PL_INT("listed", count), PL_INT("matched", matched)),
	         "the kernel lists %d children of this process alive at once, the %d fork() returned",
	         count, n);

	qsort(records, (size_t)nrec, sizeof(records[0]), by_time);
	long sequence[MAX_CHILDREN * LINES_PER_CHILD];
	for (int i = 0; i < nrec; i++) {
		size_t len = strlen(order);
		snprintf(order + len, sizeof(order) - len, "%s%d", i ? " " : "", records[i].child);
		sequence[i] = records[i].child;
	}
	pl_note("interleaving", PL_FIELDS(PL_INTS("order", sequence, (size_t)nrec)),
	        "which child wrote each line, in time order: %s (run it again: it changes)",
	        order);
}

/* ------------------------------------------------------------------ */
/* Step 5: the parent waits for every child.                            */

static void
wait_for_all(const pid_t *pids, int n)
{
	int right_status = 0;

	pl_pause(1.0); /* time to see all of them in the dashboard */
	pl_step("wait-for-all", NULL, "the parent waits for each child and reads its exit status");

	for (int i = 0; i < n; i++)
		pl_child_release(pids[i]);
	pl_pause(1.0); /* they exit now, and stay zombies until waited for */

	for (int i = 0; i < n; i++) {
		struct pl_proc proc;
		char how[96];
		int status;

		/* An exited child stays a zombie until it is waited for. */
		if (pl_procfs_wait_state(pids[i], "Z", HEAR_TIMEOUT_MS, &proc) != 0)
			pl_die("watching child %ld exit", (long)pids[i]);
		if (pl_child_wait(pids[i], &status, 0) == -1)
			pl_die("waitpid");
		pl_status_describe(status, how, sizeof(how));
		bool gone = pl_procfs_read(pids[i], &proc) == PL_PROCFS_GONE;
		if (WIFEXITED(status) && WEXITSTATUS(status) == i + 1 && gone)
			right_status++;
		pl_note("reaped",
		        PL_FIELDS(PL_INT("child", pids[i]), PL_INT("index", i + 1),
		                  PL_INT("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1),
		                  PL_BOOL("gone_from_proc", gone)),
		        "child %d (pid %ld) was a zombie until waitpid(): %s; /proc/%ld %s", i + 1,
		        (long)pids[i], how, (long)pids[i], gone ? "is gone" : "is still there");
	}
	pl_check("all-reaped", right_status == n && pl_children_live() == 0,
	         PL_FIELDS(PL_INT("reaped", right_status), PL_INT("expected", n)),
	         "all %d children reaped, each with its own exit status, none left in /proc", n);
}

int
main(int argc, char *argv[])
{
	pid_t pids[MAX_CHILDREN];

	pl_demo_init(argc, argv, &demo);

	fork_returns_twice();
	separate_memory();
	copy_on_write();
	children_at_once(pids, (int)children_wanted);
	wait_for_all(pids, (int)children_wanted);

	return pl_demo_finish();
}
