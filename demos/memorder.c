/* memorder.c - memory ordering on a real CPU, and false sharing.
 *
 * It shows, and checks while it runs, that
 *   1. store buffering: two threads on two CPUs, x = y = 0;
 *          thread 1: x = 1; r1 = y;        thread 2: y = 1; r2 = x;
 *      can end with r1 == r2 == 0, which no interleaving of the four
 *      lines allows: each CPU parks its store in its store buffer and
 *      lets the load after it go first. x86 allows exactly this
 *      reordering. The demo counts the four outcomes over --tries tries,
 *      then again with atomic_thread_fence(memory_order_seq_cst) between
 *      the store and the load (a full barrier on x86: mfence, or the
 *      locked no-op that gcc 12 emits): 0, every time.
 *   2. a relaxed flag does not publish data. Writer: data = k, then the
 *      flag = k; reader: wait for the flag, then read data. With relaxed
 *      atomics C11 orders nothing between the two, and a reader that
 *      looked at data before waiting may keep what it saw: the compiler
 *      is allowed to read data once (gcc and clang -O2 do). x86 itself
 *      keeps stores in order and loads in order, so the hardware alone
 *      shows nothing here. With a release store and an acquire load
 *      the reader always sees data = k.
 *   3. false sharing: two threads each add to their own counter. With
 *      both counters in one 64-byte cache line, the line travels between
 *      the CPUs at every write; with each counter on a line of its own
 *      (alignas(64)), it does not. The demo times both, round after
 *      round, and compares the medians.
 *
 * The kernel's part: each thread's CPU and allowed CPUs from
 * /proc/self/task/TID, which CPUs are hyperthreads of one core and the
 * cache line size from /sys/devices/system/cpu.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   store_then_load()  store buffering: each thread stores, then loads
 *   write_relaxed()    a flag published with relaxed order
 *   read_relaxed()     and read so
 *   write_release()    the fix: a release store
 *   read_acquire()     and an acquire load
 *   add_up()           false sharing: counters on one cache line, or apart
 *
 * Usage:     proclab-memorder [--tries N] [--rounds R]
 * Dashboard: `proclab memorder`, then t for threads: two threads of one
 *            process, both running (R) on their own CPUs: sb-1 and
 *            sb-2, then writer and reader, then count-1 and count-2.
 * Lesson:    lessons/25-memorder.md
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_TRIES 5000000
#define MIN_CLAIM_TRIES 20000 /* fewer tries make no claim about a rare outcome */
#define STEP_SECONDS 5.0      /* a busy machine stops a test's tries here */
#define CHECK_EVERY 4096      /* tries between looks at the clock */
#define INCREMENTS 2000       /* step 3: additions by each thread in a round */

static long tries = 200000, rounds = 200;

static const struct pl_option options[] = {
	{ "tries", 'n', PL_OPT_INT, "N", "tries of the store-buffering test (a tenth for step 2)",
	  10000, MAX_TRIES, &tries },
	{ "rounds", 'r', PL_OPT_INT, "R", "timed rounds of each kind of counting in step 3", 20,
	  5000, &rounds },
};

static const struct pl_demo demo = {
	.name = "memorder",
	.summary = "Store buffering, publishing with a flag, and false sharing, on real CPUs.",
	.description = "Each claim is checked while the demo runs: the outcomes of every\n"
	               "try, the threads' CPUs in /proc/self/task, the cache line and the\n"
	               "hyperthreads in /sys/devices/system/cpu, and the median time of an\n"
	               "addition with the counters in one cache line and in two. A test\n"
	               "stops its tries after 5 s on a busy machine, and says so.",
	.lesson = "25-memorder.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* Plumbing: two threads on two CPUs, meeting at a spinning barrier.     */

static int cpu_of[2] = { -1, -1 }; /* the two CPUs, chosen in main() */

/* Each thread's count of meetings, on a cache line of its own. A thread
 * that arrives at its Nth meeting spins until the other has arrived there
 * too, so both leave at nearly the same moment, each running on its CPU.
 * Both threads call meet() the same number of times, in the same order. */
static struct {
	alignas(64) atomic_long count;
} arrived[2];

static void
meet(int me, long *n)
{
	++*n;
	atomic_store_explicit(&arrived[me].count, *n, memory_order_release);
	while (atomic_load_explicit(&arrived[!me].count, memory_order_acquire) < *n)
		continue;
}

/* A busy machine can keep one of the two off its CPU for a while, and the
 * other spins meanwhile. Every CHECK_EVERY tries thread 0 looks at the
 * clock before a meeting; after it both read the verdict, which the
 * meeting carried to thread 1, and stop together. */
static double stop_time;
static atomic_long stop_at;

static bool
stop_here(int me, long i, long *n)
{
	if (i % CHECK_EVERY != 0)
		return false;
	if (me == 0 && pl_measure_now() > stop_time)
		atomic_store_explicit(&stop_at, i, memory_order_relaxed);
	meet(me, n);
	return atomic_load_explicit(&stop_at, memory_order_relaxed) == i;
}

struct side {
	pthread_t thread;
	int me;           /* 0 or 1 */
	const char *name; /* for ps -L, top -H and the dashboard */
	pid_t tid;
	int last_cpu;     /* /proc/self/task/TID/stat field 39, at the end */
	char allowed[32]; /* Cpus_allowed_list in its status */
	long done;        /* what the work returned: the tries it made */
	long (*work)(int me);
};

static void *
side_main(void *arg)
{
	struct side *s = arg;
	struct pl_proc p;
	char file[64];
	cpu_set_t one;

	s->tid = gettid();
	pthread_setname_np(pthread_self(), s->name);
	CPU_ZERO(&one);
	CPU_SET(cpu_of[s->me], &one);
	/* Pid 0: this thread only (sched_setaffinity(2), NOTES). */
	if (sched_setaffinity(0, sizeof(one), &one) == -1)
		pl_die("sched_setaffinity(CPU %d)", cpu_of[s->me]);
	s->done = s->work(s->me);
	snprintf(file, sizeof(file), "task/%ld/status", (long)s->tid);
	if (pl_procfs_field(getpid(), file, "Cpus_allowed_list", s->allowed, sizeof(s->allowed)) !=
	    0)
		snprintf(s->allowed, sizeof(s->allowed), "?");
	s->last_cpu = pl_procfs_read(s->tid, &p) == 0 ? p.processor : -1;
	return NULL;
}

/* Run WORK on two threads named NAME1 and NAME2, one on each CPU, for at
 * most STEP_SECONDS (the work looks with stop_here()). Returns the tries
 * made. */
static long
run_pair(long (*work)(int me), const char *name1, const char *name2, struct side sides[2])
{
	sigset_t saved;
	int err;

	atomic_store(&arrived[0].count, 0);
	atomic_store(&arrived[1].count, 0);
	atomic_store(&stop_at, -1);
	stop_time = pl_measure_now() + STEP_SECONDS;
	for (int me = 0; me < 2; me++) {
		sides[me] =
		        (struct side){ .me = me, .name = me == 0 ? name1 : name2, .work = work };
		/* Started with Ctrl-C held, so that the main thread takes it
		 * (signal(7)) and the library's cleanup runs there. */
		pl_cleanup_hold(&saved);
		err = pthread_create(&sides[me].thread, NULL, side_main, &sides[me]);
		pl_cleanup_release(&saved);
		if (err != 0)
			pl_die_en(err, "pthread_create");
	}
	for (int me = 0; me < 2; me++)
		if ((err = pthread_join(sides[me].thread, NULL)) != 0)
			pl_die_en(err, "pthread_join");
	return sides[0].done;
}

/* Each thread was allowed its one CPU, and last ran there: the kernel's
 * word that the two really ran on two CPUs. */
static bool
pinned_apart(const char *what, const struct side sides[2])
{
	bool ok = true;

	for (int me = 0; me < 2; me++) {
		char want[16];

		snprintf(want, sizeof(want), "%d", cpu_of[me]);
		pl_note("thread",
		        PL_FIELDS(PL_STR("test", what), PL_INT("index", me + 1),
		                  PL_INT("tid", sides[me].tid),
		                  PL_STR("cpus_allowed", sides[me].allowed),
		                  PL_INT("last_cpu", sides[me].last_cpu)),
		        "thread %d (tid %ld): /proc/self/task/%ld: Cpus_allowed_list %s, last ran on "
		        "CPU %d",
		        me + 1, (long)sides[me].tid, (long)sides[me].tid, sides[me].allowed,
		        sides[me].last_cpu);
		ok = ok && strcmp(sides[me].allowed, want) == 0 && sides[me].last_cpu == cpu_of[me];
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Step 1: store buffering.                                              */

/* x and y on lines of their own, so that each try is about ordering and
 * not about two variables that share a line. */
static struct {
	alignas(64) atomic_int x;
	alignas(64) atomic_int y;
} sb;
static unsigned char *seen[2]; /* per try: r1 (thread 1) and r2 (thread 2) */
static bool fenced;

/* The two leave a meeting tens of nanoseconds apart, the last to arrive
 * first, and a store takes about as long to leave the store buffer. A
 * pause of 0 to 255 spins, drawn anew each try, lets the two tests
 * overlap in a good share of the tries (2% rather than 0.03% here). */
static void
pause_a_little(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u; /* the C standard's example rand() */
	for (volatile unsigned spin = (*seed >> 16) % 256; spin > 0; spin--)
		continue;
}

static long
store_then_load(int me)
{
	atomic_int *mine = me == 0 ? &sb.x : &sb.y;
	atomic_int *other = me == 0 ? &sb.y : &sb.x;
	unsigned seed = 12345u * (1u + (unsigned)me);
	long n = 0, i;

	for (i = 0; i < tries; i++) {
		if (stop_here(me, i, &n))
			break;
		meet(me, &n); /* start together */
		pause_a_little(&seed);
		/* ============ THE TEST ======================================== */
		atomic_store_explicit(mine, 1, memory_order_relaxed); /* x = 1; */
		if (fenced)
			/* The CPU too: on x86 an mfence, which waits until the
			 * store has left the store buffer for the cache. */
			atomic_thread_fence(memory_order_seq_cst);
		else
			/* The compiler keeps the two in order; the CPU need not. */
			atomic_signal_fence(memory_order_seq_cst);
		seen[me][i] = (unsigned char)atomic_load_explicit(other, memory_order_relaxed);
		/* ============ END OF THE TEST ================================= */
		meet(me, &n);                                         /* both have read */
		atomic_store_explicit(mine, 0, memory_order_relaxed); /* for the next try */
	}
	return i;
}

struct outcomes {
	long done;
	long count[2][2]; /* [r1][r2] */
};

static struct outcomes
store_buffering(bool with_fence)
{
	struct outcomes o = { 0, { { 0, 0 }, { 0, 0 } } };
	struct side sides[2];

	fenced = with_fence;
	o.done = run_pair(store_then_load, "sb-1", "sb-2", sides);
	for (long i = 0; i < o.done; i++)
		o.count[seen[0][i]][seen[1][i]]++;
	pl_check("sb-pinned", pinned_apart(with_fence ? "fenced" : "no fence", sides), NULL,
	         "each thread ran on its own CPU, %d and %d", cpu_of[0], cpu_of[1]);
	pl_note("outcomes",
	        PL_FIELDS(PL_STR("test", with_fence ? "fenced" : "no fence"),
	                  PL_INT("tries", o.done), PL_INT("r00", o.count[0][0]),
	                  PL_INT("r01", o.count[0][1]), PL_INT("r10", o.count[1][0]),
	                  PL_INT("r11", o.count[1][1])),
	        "%s, %ld tries: r1=0 r2=1 %ld, r1=1 r2=0 %ld, r1=1 r2=1 %ld, r1=0 r2=0 %ld",
	        with_fence ? "seq_cst fence" : "no fence", o.done, o.count[0][1], o.count[1][0],
	        o.count[1][1], o.count[0][0]);
	if (o.done < tries)
		pl_note("stopped-early", PL_FIELDS(PL_INT("tries", o.done), PL_INT("asked", tries)),
		        "the machine is busy: stopped after %.0f s, at %ld of %ld tries",
		        STEP_SECONDS, o.done, tries);
	return o;
}

static void
store_buffering_step(void)
{
	struct outcomes plain, fence;

	pl_step("store-buffering", PL_FIELDS(PL_INT("tries", tries)),
	        "x = 1; r1 = y  against  y = 1; r2 = x, on CPUs %d and %d: can both read 0?",
	        cpu_of[0], cpu_of[1]);
	seen[0] = malloc((size_t)tries);
	seen[1] = malloc((size_t)tries);
	if (seen[0] == NULL || seen[1] == NULL)
		pl_die("malloc");
	plain = store_buffering(false);
	fence = store_buffering(true);
	free(seen[0]);
	free(seen[1]);

	if (plain.done >= MIN_CLAIM_TRIES)
		pl_check(
		        "both-read-zero", plain.count[0][0] > 0,
		        PL_FIELDS(PL_INT("r00", plain.count[0][0]), PL_INT("tries", plain.done)),
		        "without a fence both threads read 0 in %ld of %ld tries (%.0f per million): "
		        "each load passed its own thread's store",
		        plain.count[0][0], plain.done,
		        1e6 * (double)plain.count[0][0] / (double)plain.done);
	else
		pl_note("too-few", PL_FIELDS(PL_INT("tries", plain.done)),
		        "only %ld tries: too few to expect the rare outcome (no claim)",
		        plain.done);
	pl_check("fence-forbids-it", fence.count[0][0] == 0,
	         PL_FIELDS(PL_INT("r00", fence.count[0][0]), PL_INT("tries", fence.done)),
	         "with atomic_thread_fence(memory_order_seq_cst) between store and load: %ld of "
	         "%ld",
	         fence.count[0][0], fence.done);
}

/* ------------------------------------------------------------------ */
/* Step 2: publishing data with a flag.                                  */

static int data;         /* plain memory: what the flag announces */
static atomic_long flag; /* the try's number, once data holds it */
enum publish { RELAXED, GLANCE, RELEASE_ACQUIRE };
static const char *const publish_names[] = { "relaxed", "relaxed, glanced first",
	                                     "release/acquire" };
static enum publish how;
static long stale; /* the reader saw the flag, then an old data */
static long publish_tries;

/* The point of RELAXED and GLANCE is a data race on data: ThreadSanitizer
 * is kept out of these (PL_RACY, pl_demo.h). RELEASE_ACQUIRE has none. */
static PL_RACY void
write_relaxed(long k)
{
	data = (int)k;
	atomic_store_explicit(&flag, k, memory_order_relaxed);
}

static PL_RACY long
read_relaxed(long k)
{
	while (atomic_load_explicit(&flag, memory_order_relaxed) != k)
		continue;
	return data;
}

/* A reader that looks at data before it waits, then again after. No
 * store lies between its two reads, and the relaxed load between them
 * orders nothing: the compiler may read data once, before the loop, and
 * hand back the old value twice (gcc and clang do, at -O2). noinline, so
 * that this function's code is what `objdump -d` shows. */
struct glance {
	long before, after;
};

static PL_RACY __attribute__((noinline)) struct glance
reader_glances(long k)
{
	struct glance g;

	g.before = data;
	while (atomic_load_explicit(&flag, memory_order_relaxed) != k)
		continue;
	g.after = data;
	return g;
}

static void
write_release(long k)
{
	data = (int)k;
	/* Everything written before it is visible to whoever reads k with
	 * an acquire load. */
	atomic_store_explicit(&flag, k, memory_order_release);
}

static long
read_acquire(long k)
{
	while (atomic_load_explicit(&flag, memory_order_acquire) != k)
		continue;
	return data; /* happens after data = k: never old */
}

/* Let the reader take its first look before the write, on the other CPU:
 * a few microseconds of spinning. */
static void
let_reader_look(void)
{
	for (volatile int spin = 0; spin < 1000; spin++)
		continue;
}

static long
publish(int me)
{
	long n = 0, k;

	for (k = 1; k <= publish_tries; k++) {
		if (stop_here(me, k, &n))
			break;
		meet(me, &n);
		if (me == 0) { /* the writer */
			if (how == GLANCE)
				let_reader_look();
			if (how == RELEASE_ACQUIRE)
				write_release(k);
			else
				write_relaxed(k);
		} else if (how == GLANCE) {
			struct glance g = reader_glances(k);

			stale += g.after != k && g.before != k;
		} else {
			stale += (how == RELEASE_ACQUIRE ? read_acquire(k) : read_relaxed(k)) != k;
		}
	}
	return k - 1;
}

static void
publish_step(void)
{
	struct side sides[2];

	publish_tries = tries / 10;
	pl_step("publish", PL_FIELDS(PL_INT("tries", publish_tries)),
	        "data = k, then flag = k; the reader waits for the flag, then reads data");
	for (how = RELAXED; how <= RELEASE_ACQUIRE; how++) {
		long done;

		stale = 0;
		atomic_store(&flag, 0);
		data = 0;
		done = run_pair(publish, "writer", "reader", sides);
		pl_note("published",
		        PL_FIELDS(PL_STR("order", publish_names[how]), PL_INT("tries", done),
		                  PL_INT("stale", stale)),
		        "%s: the reader saw the flag, then old data, in %ld of %ld tries",
		        publish_names[how], stale, done);
		if (how == RELEASE_ACQUIRE)
			pl_check(
			        "acquire-sees-data", stale == 0 && done > 0, NULL,
			        "release/acquire: the reader that saw the flag saw data, every time");
	}
}

/* ------------------------------------------------------------------ */
/* Step 3: false sharing.                                                */

static struct {
	atomic_long a, b; /* 16 bytes, side by side: one cache line */
} alignas(64) together;
static struct {
	alignas(64) atomic_long a; /* each at the start of a 64-byte line */
	alignas(64) atomic_long b;
} apart;

enum kind { PLAIN, ATOMIC_ADD };
static const char *const kind_names[] = { "c = c + 1", "atomic_fetch_add" };
static double *ns[2][2][2]; /* per round: [kind][apart?][thread] */

/* Thread ME's counter in each layout. */
static atomic_long *
counter(int me, bool padded)
{
	if (padded)
		return me == 0 ? &apart.a : &apart.b;
	return me == 0 ? &together.a : &together.b;
}

/* One round of additions to counter C, timed: ns an addition. */
static double
add_up(atomic_long *c, enum kind kind)
{
	double start = pl_measure_now();

	if (kind == PLAIN) {
		/* The counter is this thread's alone: a load and a store
		 * will do, with no lock. */
		for (int i = 0; i < INCREMENTS; i++) {
			long value = atomic_load_explicit(c, memory_order_relaxed);

			atomic_store_explicit(c, value + 1, memory_order_relaxed);
		}
	} else {
		/* lock add on x86: the line must be ours for each one. */
		for (int i = 0; i < INCREMENTS; i++)
			atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	}
	return (pl_measure_now() - start) * 1e9 / INCREMENTS;
}

static long
count_rounds(int me)
{
	long n = 0, r;

	for (r = 0; r < rounds; r++) {
		if (stop_here(me, r, &n))
			break;
		for (enum kind kind = PLAIN; kind <= ATOMIC_ADD; kind++)
			for (int padded = 0; padded <= 1; padded++) {
				meet(me, &n); /* both count at once */
				ns[kind][padded][me][r] = add_up(counter(me, padded), kind);
			}
	}
	return r;
}

/* The cache line size, as the kernel reports it for CPU's L1 data cache. */
static long
line_size(int cpu)
{
	char path[96];
	long size = 0;
	FILE *f;

	snprintf(path, sizeof(path),
	         "/sys/devices/system/cpu/cpu%d/cache/index0/coherency_line_size", cpu);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &size) != 1)
			size = 0;
		fclose(f);
	}
	return size > 0 ? size : sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
}

static bool siblings; /* the two CPUs are hyperthreads of one core */

static void
false_sharing_step(void)
{
	long line = line_size(cpu_of[0]);
	uintptr_t ta = (uintptr_t)&together.a, tb = (uintptr_t)&together.b;
	uintptr_t pa = (uintptr_t)&apart.a, pb = (uintptr_t)&apart.b;
	struct side sides[2];
	double median[2][2];
	long done;

	pl_step("false-sharing", PL_FIELDS(PL_INT("rounds", rounds), PL_INT("line", line)),
	        "two threads, each adding %d to its own counter, %ld rounds: counters in one "
	        "cache line, then in two",
	        INCREMENTS, rounds);
	pl_check("layout",
	         line > 0 && ta / (uintptr_t)line == tb / (uintptr_t)line &&
	                 pa / (uintptr_t)line != pb / (uintptr_t)line,
	         PL_FIELDS(PL_INT("line", line), PL_INT("together_gap", (long long)(tb - ta)),
	                   PL_INT("apart_gap", (long long)(pb - pa))),
	         "the cache line is %ld bytes (/sys/devices/system/cpu): counters %ld bytes apart "
	         "share one, %ld bytes apart do not",
	         line, (long)(tb - ta), (long)(pb - pa));

	for (int kind = 0; kind < 2; kind++)
		for (int padded = 0; padded < 2; padded++)
			for (int me = 0; me < 2; me++)
				if ((ns[kind][padded][me] =
				             calloc((size_t)rounds, sizeof(double))) == NULL)
					pl_die("calloc");
	done = run_pair(count_rounds, "count-1", "count-2", sides);
	pl_check("fs-pinned", pinned_apart("false sharing", sides), NULL,
	         "each thread ran on its own CPU, %d and %d", cpu_of[0], cpu_of[1]);

	for (int kind = 0; kind < 2; kind++) {
		for (int padded = 0; padded < 2; padded++) {
			/* Both threads' rounds together: the median of 2 x done. */
			double *all = malloc(2 * (size_t)done * sizeof(double));

			if (all == NULL)
				pl_die("malloc");
			memcpy(all, ns[kind][padded][0], (size_t)done * sizeof(double));
			memcpy(all + done, ns[kind][padded][1], (size_t)done * sizeof(double));
			median[kind][padded] =
			        done > 0 ? pl_measure_median(all, 2 * (size_t)done) : 0;
			free(all);
		}
		pl_note("counting",
		        PL_FIELDS(PL_STR("kind", kind_names[kind]), PL_INT("rounds", done),
		                  PL_DOUBLE("together_ns", median[kind][0]),
		                  PL_DOUBLE("apart_ns", median[kind][1]),
		                  PL_DOUBLE("slowdown", median[kind][0] / median[kind][1])),
		        "%-16s one line %6.2f ns an addition, own lines %5.2f ns: %.1f times slower "
		        "sharing a line",
		        kind_names[kind], median[kind][0], median[kind][1],
		        median[kind][0] / median[kind][1]);
	}
	for (int kind = 0; kind < 2; kind++)
		for (int padded = 0; padded < 2; padded++)
			for (int me = 0; me < 2; me++)
				free(ns[kind][padded][me]);

	if (siblings)
		pl_note("siblings", NULL,
		        "CPUs %d and %d are hyperthreads of one core: they share its L1 cache, so "
		        "there is no line to fight over (no claim)",
		        cpu_of[0], cpu_of[1]);
	else
		/* Measured 8 to 9 times on a 2-core VM under a load of 20; 2 is
		 * the margin a busy machine keeps. */
		pl_check(
		        "padding-pays", median[ATOMIC_ADD][0] >= 2 * median[ATOMIC_ADD][1], NULL,
		        "atomic additions on a shared line were at least twice as slow (%.1f times)",
		        median[ATOMIC_ADD][0] / median[ATOMIC_ADD][1]);
}

/* ------------------------------------------------------------------ */

/* Two CPUs this process may use, not hyperthreads of one core if it has
 * a choice (/sys/devices/system/cpu/cpuN/topology/thread_siblings_list). */
static int
choose_cpus(void)
{
	cpu_set_t mask;
	int n = 0, list[CPU_SETSIZE];

	if (sched_getaffinity(0, sizeof(mask), &mask) == -1)
		pl_die("sched_getaffinity");
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &mask))
			list[n++] = cpu;
	if (n < 2)
		return n;
	cpu_of[0] = list[0];
	cpu_of[1] = list[1];
	siblings = true;
	for (int i = 1; i < n && siblings; i++) {
		char path[96], text[128] = "", *end;
		FILE *f;
		bool sibling = false;

		snprintf(path, sizeof(path),
		         "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", list[0]);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(text, sizeof(text), f) == NULL)
				text[0] = '\0';
			fclose(f);
		}
		/* "0,4" or "0-1": does it name list[i]? */
		for (char *p = text; *p != '\0';) {
			long lo = strtol(p, &end, 10), hi = lo;

			if (end == p)
				break;
			if (*end == '-')
				hi = strtol(end + 1, &end, 10);
			sibling = sibling || (list[i] >= lo && list[i] <= hi);
			p = *end == ',' ? end + 1 : end;
			if (*end != ',')
				break;
		}
		if (!sibling) {
			cpu_of[1] = list[i];
			siblings = false;
		}
	}
	return n;
}

int
main(int argc, char *argv[])
{
	int ncpus;

	pl_demo_init(argc, argv, &demo);
	ncpus = choose_cpus();
	if (ncpus < 2) {
		pl_note("one-cpu", PL_FIELDS(PL_INT("cpus", ncpus)),
		        "one CPU only: two threads cannot run at once, so there is nothing to "
		        "show here: skipped, not a failure (run it without taskset)");
		return pl_demo_finish();
	}

	store_buffering_step();
	publish_step();
	false_sharing_step();
	return pl_demo_finish();
}
