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
 * Where the concept is (first in the file; the steps after it prove it):
 *   fork_child()       fork() as a switch: 0 in the child, its PID in the parent
 *   fill_squares()     the child writes a global array: its own copy
 *   touch_each_page()  reading an inherited page shares it; writing copies it
 *   fork_children()    N forks before any wait: the children run at once
 *   wait_for()         waitpid(): the parent collects each exit status
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

/* ================================================================== */
/* The concept. These functions are the whole mechanism; the steps     */
/* after them run it, and prove from the kernel what it did.           */

/* fork() is called once and returns twice: in the child it returns 0,
 * and the child runs CHILD_PART(0, ARG) and exits with what that returns;
 * in the parent it returns the child's PID, which this returns. */
static pid_t
fork_child(int (*child_part)(pid_t fork_returned, void *arg), void *arg)
{
	pid_t pid;

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: this is the second return of the same call. */
		_exit(child_part(pid, arg));
	default: /* Parent */
		return pid;
	}
}

/* In the seeds' Python, a child appends to a global list and the
 * parent's list stays empty. The same in C: the child fills this. */
static long square_result[4];

static void
fill_squares(void)
{
	for (int i = 0; i < 4; i++)
		square_result[i] = (long)i * i;
}

/* Read, or write, one byte in each page of BUFFER: the child does this
 * to pages it inherited. Reading shares the parent's page; the first
 * write to a page makes the kernel copy it (copy-on-write). */
static unsigned
touch_each_page(volatile unsigned char *buffer, size_t size, size_t page, bool write)
{
	unsigned sum = 0;

	for (size_t i = 0; i < size; i += page) {
		if (write)
			buffer[i] = (unsigned char)i;
		else
			sum += buffer[i];
	}
	return sum;
}

/* Fork N children, all before waiting for any: they run at once. */
static void
fork_children(pid_t *pids, int n, int (*child_part)(pid_t fork_returned, void *arg))
{
	for (int i = 0; i < n; i++) {
		int index = i + 1;

		pids[i] = fork_child(child_part, &index);
	}
}

/* Wait for child PID, and collect its exit status: waitpid(2). */
static void
wait_for(pid_t pid, int *status)
{
	if (pl_child_wait(pid, status, 0) == -1)
		pl_die("waitpid");
}

/* ================================================================== */
/* The proof. What each process saw, and what the kernel says.         */

/* ------------------------------------------------------------------ */
/* Step 1: fork() returns twice.                                        */

struct identity {
	pid_t fork_returned; /* what fork() gave this process */
	pid_t getpid;
	pid_t getppid;
};

static int
say_who_i_am(pid_t fork_returned, void *arg)
{
	struct identity me = { fork_returned, getpid(), getppid() };

	(void)arg;
	pl_say_note("child-identity",
	            PL_FIELDS(PL_INT("fork_returned", me.fork_returned), PL_INT("getpid", me.getpid),
	                      PL_INT("getppid", me.getppid)),
	            "in the child: fork() returned {fork_returned}, getpid() = {getpid}, "
	            "getppid() = {getppid}");
	pl_child_tell(&me, sizeof(me));
	pl_child_hold(); /* stay alive while the parent reads /proc */
	return EXIT_SUCCESS;
}

static void
fork_returns_twice(void)
{
	struct identity child;
	struct pl_proc proc;
	pid_t pid;

	pl_step("fork-returns-twice", NULL, "fork() is called once and returns twice");

	pid = fork_child(say_who_i_am, NULL);
	pl_say_note("parent-identity",
	            PL_FIELDS(PL_INT("fork_returned", pid), PL_INT("getpid", getpid())),
	            "in the parent: fork() returned {fork_returned}, getpid() = {getpid}");

	if (pl_child_hear(pid, &child, sizeof(child), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
	/* The child now blocks until released: the kernel shows it sleeping. */
	if (pl_procfs_wait_state(pid, "S", HEAR_TIMEOUT_MS, &proc) != 0)
		pl_die("reading /proc/%ld/stat", (long)pid);

	pl_say_note("kernel-view",
	            PL_FIELDS(PL_INT("child", pid), PL_INT("ppid", proc.ppid),
	                      PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan),
	                      PL_PROSE(PL_STR("state_name", pl_procfs_state_name(proc.state)))),
	            proc.wchan[0] ? "/proc/{child}/stat: ppid {ppid}, state {state} ({state_name}) "
	                            "in {wchan}"
	                          : "/proc/{child}/stat: ppid {ppid}, state {state} ({state_name})");
	pl_say_check("parent-got-child-pid", pid == child.getpid,
	             PL_FIELDS(PL_INT("in_parent", pid), PL_INT("child_getpid", child.getpid)),
	             "the parent's fork() returned {in_parent}, which is the child's getpid()");
	pl_say_check("child-got-zero", child.fork_returned == 0,
	             PL_FIELDS(PL_INT("in_child", child.fork_returned)),
	             "the child's fork() returned {in_child}");
	pl_say_check("kernel-names-parent", proc.ppid == getpid() && child.getppid == getpid(),
	             PL_FIELDS(PL_INT("kernel_ppid", proc.ppid),
	                       PL_INT("child_getppid", child.getppid), PL_INT("parent", getpid())),
	             "the kernel and the child both name {parent} as the parent");

	pl_pause(1.0); /* time to look at the pair in the dashboard */
	pl_child_release(pid);
	wait_for(pid, NULL);
}

/* ------------------------------------------------------------------ */
/* Step 2: separate memory.                                             */

struct memory_view {
	long squares[4];
	uintptr_t address;
};

static int
fill_and_show(pid_t fork_returned, void *arg)
{
	struct memory_view me = { .address = (uintptr_t)square_result };

	(void)fork_returned, (void)arg;
	fill_squares();
	memcpy(me.squares, square_result, sizeof(me.squares));
	pl_say_note("child-array",
	            PL_FIELDS(PL_INTS("squares", square_result, 4),
	                      PL_PROSE(PL_INT("address", (long long)me.address))),
	            "in the child: square_result = [{squares}] at {address:#x}");
	pl_child_tell(&me, sizeof(me));
	return EXIT_SUCCESS;
}

static void
separate_memory(void)
{
	struct memory_view child, parent;
	pid_t pid;

	pl_step("separate-memory", NULL,
	        "the child fills a global array; the parent's copy stays empty");

	/* Wait until the child has written, then look. */
	pid = fork_child(fill_and_show, NULL);
	if (pl_child_hear(pid, &child, sizeof(child), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
	wait_for(pid, NULL);

	memcpy(parent.squares, square_result, sizeof(parent.squares));
	parent.address = (uintptr_t)square_result;
	pl_say_note("parent-array",
	            PL_FIELDS(PL_INTS("squares", parent.squares, 4),
	                      PL_PROSE(PL_INT("address", (long long)parent.address))),
	            "in the parent: square_result = [{squares}] at {address:#x}");

	pl_check("child-saw-its-writes",
	         child.squares[0] == 0 && child.squares[1] == 1 && child.squares[2] == 4 &&
	                 child.squares[3] == 9,
	         NULL, "the child read back the squares it wrote");
	pl_check("parent-array-untouched",
	         parent.squares[0] == 0 && parent.squares[1] == 0 && parent.squares[2] == 0 &&
	                 parent.squares[3] == 0,
	         NULL, "the parent's array is still all zeros");
	pl_say_check("same-address-different-memory", child.address == parent.address,
	             PL_FIELDS(PL_INT("address", (long long)parent.address)),
	             "same virtual address {address:#x} in both: each process has its own memory "
	             "behind it");
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

struct cow_pages {
	volatile unsigned char *buffer;
	size_t size, page;
};

static long
minor_faults(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_minflt;
}

/* In the child: count the faults of reading the inherited pages, then
 * of writing them. */
static int
count_faults(pid_t fork_returned, void *arg)
{
	const struct cow_pages *cow = arg;
	struct cow_counts me;
	long before = minor_faults();

	(void)fork_returned;
	touch_each_page(cow->buffer, cow->size, cow->page, false);
	me.read_faults = minor_faults() - before;

	before = minor_faults();
	touch_each_page(cow->buffer, cow->size, cow->page, true);
	me.write_faults = minor_faults() - before;
	pl_child_tell(&me, sizeof(me));
	return EXIT_SUCCESS;
}

static void
copy_on_write(void)
{
	struct cow_pages cow = { .page = (size_t)sysconf(_SC_PAGESIZE) };
	struct cow_counts counts;
	pid_t pid;

	pl_step("copy-on-write", PL_FIELDS(PL_INT("pages", COW_PAGES)),
	        "the copy is lazy: pages are copied when the child first writes them");

	cow.size = COW_PAGES * cow.page;
	cow.buffer = mmap(NULL, cow.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                  -1, 0);
	if (cow.buffer == MAP_FAILED)
		pl_die("mmap");
#ifdef MADV_NOHUGEPAGE
	/* One 2 MiB huge page would fault once, not 512 times. */
	madvise((void *)cow.buffer, cow.size, MADV_NOHUGEPAGE);
#endif
	memset((void *)cow.buffer, 1, cow.size); /* the parent touches every page first */

	pid = fork_child(count_faults, &cow);
	if (pl_child_hear(pid, &counts, sizeof(counts), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
	wait_for(pid, NULL);

	pl_say_note("page-faults",
	            PL_FIELDS(PL_INT("pages", COW_PAGES), PL_INT("read_faults", counts.read_faults),
	                      PL_INT("write_faults", counts.write_faults)),
	            "the child read {pages} inherited pages: {read_faults} page faults; then wrote "
	            "them: {write_faults} faults");
	pl_check("reads-share-pages", counts.read_faults < COW_PAGES / 4, NULL,
	         "reading shared the parent's pages: almost no faults");
	pl_check("writes-copy-pages", counts.write_faults >= COW_PAGES * 9 / 10, NULL,
	         "each first write faulted, and the kernel copied that page for the child");
	munmap((void *)cow.buffer, cow.size);
}

/* ------------------------------------------------------------------ */
/* Step 4: several children at once. Each child reports when it wrote    */
/* each line, so the parent can show the order of this run.               */

struct line_record {
	int child;
	int line;
	double t;
};

/* In child INDEX: write a few lines, then stay until step 5. Exits
 * with its own number, for step 5. */
static int
write_lines(pid_t fork_returned, void *arg)
{
	int index = *(const int *)arg;
	unsigned seed = (unsigned)getpid() ^ (unsigned)(pl_narrate_elapsed() * 1e6);

	(void)fork_returned;
	for (int line = 1; line <= LINES_PER_CHILD; line++) {
		struct line_record rec = { index, line, pl_narrate_elapsed() };

		pl_say_note("child-line", PL_FIELDS(PL_INT("child", index), PL_INT("line", line)),
		            "child {child}, line {line}");
		/* A random pause, so the scheduler's choices show in the order. */
		pl_pause(0.05 + (double)(rand_r(&seed) % 250) / 1000.0);
		pl_child_tell(&rec, sizeof(rec));
	}
	pl_child_hold(); /* stay until the parent has looked at /proc */
	return index;
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

	pl_say_step("children-at-once", PL_FIELDS(PL_INT("children", n)),
	            "{children} children run at the same time");

	fork_children(pids, n, write_lines);

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
		pl_say_note("kernel-child",
		            PL_FIELDS(PL_INT("child", proc.pid), PL_INT("ppid", proc.ppid),
		                      PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan),
		                      PL_PROSE(PL_STR("state_name",
		                                      pl_procfs_state_name(proc.state)))),
		            proc.wchan[0] ? "/proc/{child}: ppid {ppid}, state {state} ({state_name}) "
		                            "in {wchan}"
		                          : "/proc/{child}: ppid {ppid}, state {state} ({state_name})");
	}
	pl_say_check("kernel-lists-all-children", count == n && matched == n,
	             PL_FIELDS(PL_INT("expected", n), PL_INT("listed", count),
	                       PL_INT("matched", matched)),
	             "the kernel lists {listed} children of this process alive at once, the "
	             "{expected} fork() returned");

	qsort(records, (size_t)nrec, sizeof(records[0]), by_time);
	long sequence[MAX_CHILDREN * LINES_PER_CHILD];
	for (int i = 0; i < nrec; i++) {
		size_t len = strlen(order);
		snprintf(order + len, sizeof(order) - len, "%s%d", i ? " " : "", records[i].child);
		sequence[i] = records[i].child;
	}
	pl_say_note("interleaving",
	            PL_FIELDS(PL_INTS("order", sequence, (size_t)nrec),
	                      PL_PROSE(PL_STR("in_order", order))),
	            "which child wrote each line, in time order: {in_order} (run it again: it "
	            "changes)");
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
		wait_for(pids[i], &status);
		pl_status_describe(status, how, sizeof(how));
		bool gone = pl_procfs_read(pids[i], &proc) == PL_PROCFS_GONE;
		if (WIFEXITED(status) && WEXITSTATUS(status) == i + 1 && gone)
			right_status++;
		pl_say_note("reaped",
		            PL_FIELDS(PL_INT("child", pids[i]), PL_INT("index", i + 1),
		                      PL_INT("exit_status",
		                             WIFEXITED(status) ? WEXITSTATUS(status) : -1),
		                      PL_BOOL("gone_from_proc", gone), PL_PROSE(PL_STR("how", how))),
		            "child {index} (pid {child}) was a zombie until waitpid(): {how}; "
		            "/proc/{child} {gone_from_proc?is gone|is still there}");
	}
	pl_say_check("all-reaped", right_status == n && pl_children_live() == 0,
	             PL_FIELDS(PL_INT("reaped", right_status), PL_INT("expected", n)),
	             "all {expected} children reaped, each with its own exit status, none left in "
	             "/proc");
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
