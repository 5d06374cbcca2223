/* race.c - the lost update: two threads, one counter, no lock.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. --workers threads that each add 1 to a shared counter --increments
 *      times lose updates, in nearly every run: the demo counts how often
 *      (runs that lost), how much (updates lost), and each collision (a
 *      write that erased another thread's update). /proc/self/task/TID
 *      shows each thread, the CPUs it may use and its context switches.
 *   2. processes over a MAP_SHARED mapping lose updates in the same way.
 *   3. a mutex, a semaphore and an atomic add each lose none; the demo
 *      times each (median of --runs runs, pl_measure) against no lock.
 *   4. --single-cpu: pinned to one CPU with sched_setaffinity(2), the race
 *      still happens, through preemption only, and far less often: the
 *      kernel's count of involuntary context switches bounds the collisions.
 *   5. --single-cpu also: a thread that gives up the CPU with sched_yield()
 *      stays runnable, so the kernel counts an involuntary switch; one that
 *      sleeps in usleep() counts a voluntary one. Each thread reads its own
 *      counts in /proc/self/task/TID/status.
 *
 * The window between reading the counter and writing it back is held open
 * on purpose (--window), so the race shows every time, not by luck.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   add_unlocked()   counter++ as read, window, write: the lost update
 *   add_locked()     the fixes: the same steps made indivisible
 *   count_up()       what each worker, thread or process, runs
 *   thread_main()    a worker thread
 *   run_processes()  the same workers as processes, on shared memory
 *
 * Usage:     proclab-race [--workers N] [--increments M] [--runs R]
 *                         [--window W] [--single-cpu]
 * Dashboard: `proclab race` shows the threads of one process (or the
 *            worker processes) running (R), on both CPUs when the scheduler
 *            lets them; with --single-cpu they take turns on one.
 * Lesson:    lessons/12-race.md
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclab.h"

/* The functions whose POINT is a data race are marked PL_RACY (pl_demo.h):
 * ThreadSanitizer must not instrument them, or it would report, correctly,
 * the very race the lesson is about. Only these are exempt. */

#define MAX_WORKERS 16
#define MAX_TOTAL 1000000L   /* workers x increments, so a run stays short */
#define MAX_SPINS 800000000.0 /* workers x increments x window: under a second a run */
#define MAX_RUNS 50
#define CPU_SAMPLE 64        /* ask sched_getcpu() every 64 increments */
#define HEAR_TIMEOUT_MS 10000

/* 100000 increments take some 30 ms: several time slices, so two threads
 * that the scheduler keeps on one CPU still meet, by preemption, in every
 * run. At 20000 (6 ms) one of them often finished before the other began,
 * and a busy machine showed no lost update in most runs. */
static long workers = 2, increments = 100000, runs = 10, window = 1000;
static bool single_cpu;

static const struct pl_option options[] = {
	{ "workers", 'n', PL_OPT_INT, "N", "threads (or processes) sharing the counter", 1,
	  MAX_WORKERS, &workers },
	{ "increments", 'm', PL_OPT_INT, "M", "increments by each worker in a run", 1, 1000000,
	  &increments },
	{ "runs", 'r', PL_OPT_INT, "R", "runs of each experiment (loss rate, median time)", 1,
	  MAX_RUNS, &runs },
	{ "window", 'w', PL_OPT_INT, "W", "spins between read and write: the window held open",
	  0, 5000, &window },
	{ "single-cpu", 0, PL_OPT_FLAG, NULL,
	  "also race pinned to one CPU: preemption alone, less often", 0, 0, &single_cpu },
};

static const struct pl_demo demo = {
	.name = "race",
	.summary = "The lost update: threads and processes racing on one counter, and the fixes.",
	.description = "Each claim is checked while the demo runs: the counts of each run,\n"
	               "the threads' CPUs and context switches in /proc/self/task, and the\n"
	               "counts and median times of a mutex, a semaphore and an atomic.\n"
	               "--workers times --increments may be at most 1000000, and times\n"
	               "--window at most 800000000.",
	.lesson = "12-race.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

enum method { NO_LOCK, MUTEX, SEMAPHORE, ATOMIC };
static const char *const method_names[] = { "no lock", "mutex", "semaphore", "atomic" };

/* What the workers share: the counter, and the locks of the fixes. For
 * processes it lives in a MAP_SHARED mapping. */
struct shared {
	volatile long counter; /* volatile: each read and write really goes to
	                        * memory, as counter++ compiled without
	                        * optimisation would; the race is the point */
	atomic_long atomic_counter;
	atomic_int ready, go;  /* the spinning start line */
	pthread_mutex_t mutex;
	sem_t semaphore;
};

/* What one worker saw in one run. */
struct stats {
	long collisions;     /* writes that erased another worker's update */
	unsigned long cpus;  /* bit k: sched_getcpu() said CPU k */
	double start, end;   /* pl_measure_now() */
};

/* ------------------------------------------------------------------ */
/* The race.                                                            */

/* Hold the window open: spin W times between the read and the write.
 * counter++ alone has a window of a few instructions, and two threads
 * meet in it only now and then. With the window W spins wide, nearly all
 * of each increment is spent between read and write, so two workers on
 * two CPUs are in it together nearly all the time, and on one CPU nearly
 * every preemption lands in it. The race is the same; only its odds
 * change. The empty asm keeps the compiler from deleting the loop. */
static inline void
hold_window(long spins)
{
	for (long k = 0; k < spins; k++)
		__asm__ __volatile__("");
}

static inline void
sample_cpu(struct stats *me)
{
	int cpu = sched_getcpu();

	if (cpu >= 0 && cpu < (int)(8 * sizeof(me->cpus)))
		me->cpus |= 1UL << cpu;
}

static PL_RACY void
add_unlocked(volatile long *counter, struct stats *me)
{
	long collisions = 0;

	for (long i = 0; i < increments; i++) {
		/* ============ CRITICAL SECTION, UNPROTECTED ===================
		 * counter++ spelled out as its three steps. Between the read and
		 * the write another worker may write: its update is then lost. */
		long seen = *counter;      /* 1. read                          */
		hold_window(window);       /* 2. add 1, slowly: the window     */
		if (*counter != seen)      /*    someone wrote meanwhile, and  */
			collisions++;      /*    our write will erase it:      */
		*counter = seen + 1;       /* 3. write back                    */
		/* ============ END OF CRITICAL SECTION ======================== */
		if (i % CPU_SAMPLE == 0)
			sample_cpu(me);
	}
	me->collisions = collisions;
}

/* The fixes: the same read, window and write, made indivisible. */
static void
add_locked(struct shared *s, enum method how, struct stats *me)
{
	int err;

	for (long i = 0; i < increments; i++) {
		switch (how) {
		case MUTEX:
			if ((err = pthread_mutex_lock(&s->mutex)) != 0)
				pl_die_en(err, "pthread_mutex_lock");
			{ /* == critical section: one thread at a time == */
				long seen = s->counter;
				hold_window(window);
				s->counter = seen + 1;
			} /* == end of critical section == */
			pthread_mutex_unlock(&s->mutex);
			break;
		case SEMAPHORE:
			while (sem_wait(&s->semaphore) == -1)
				if (errno != EINTR)
					pl_die("sem_wait");
			{ /* == critical section: the semaphore's one token == */
				long seen = s->counter;
				hold_window(window);
				s->counter = seen + 1;
			} /* == end of critical section == */
			sem_post(&s->semaphore);
			break;
		case ATOMIC:
			/* No section at all: one indivisible read-modify-write (lock
			 * xadd on x86). There is no window to hold open, so the
			 * work runs first, outside. */
			hold_window(window);
			atomic_fetch_add(&s->atomic_counter, 1);
			break;
		case NO_LOCK:
			break;
		}
		if (i % CPU_SAMPLE == 0)
			sample_cpu(me);
	}
}

/* The start line, spinning: every worker is on a CPU, running, when the
 * race starts. A sleeping start line would let the first worker woken run
 * alone while the others are still waking up, and the kernel often wakes
 * them all on the waker's CPU: for a short run they might never meet. */
static void
start_line(struct shared *s)
{
	atomic_fetch_add(&s->ready, 1);
	while (atomic_load(&s->go) == 0)
		continue;
}

static void
count_up(struct shared *s, enum method how, struct stats *me)
{
	start_line(s);
	me->collisions = 0;
	me->cpus = 0;
	me->start = pl_measure_now();
	if (how == NO_LOCK)
		add_unlocked(&s->counter, me);
	else
		add_locked(s, how, me);
	me->end = pl_measure_now();
}

/* ------------------------------------------------------------------ */
/* One run with threads, and what the kernel says about each thread.   */

struct thread_worker {
	pthread_t thread;
	pid_t tid;
	int index;             /* 1, 2, ... */
	int cpu;               /* the one CPU it may run on, or -1: any */
	struct shared *shared;
	enum method how;
	struct stats stats;
	pthread_barrier_t *start, *done, *leave;
};

static void
barrier_wait(pthread_barrier_t *b)
{
	int err = pthread_barrier_wait(b);

	if (err != 0 && err != PTHREAD_BARRIER_SERIAL_THREAD)
		pl_die_en(err, "pthread_barrier_wait");
}

static void *
thread_main(void *arg)
{
	struct thread_worker *w = arg;

	char name[16];

	w->tid = gettid();
	/* A name for ps -L, top -H and /proc/PID/task/TID/comm. */
	snprintf(name, sizeof(name), "worker-%d", w->index);
	pthread_setname_np(pthread_self(), name);
	if (w->cpu >= 0) { /* --single-cpu */
		cpu_set_t one;

		/* Pid 0: this thread only (sched_setaffinity(2), NOTES). */
		CPU_ZERO(&one);
		CPU_SET(w->cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) == -1)
			pl_die("sched_setaffinity(CPU %d)", w->cpu);
	}
	barrier_wait(w->start); /* everyone exists */
	count_up(w->shared, w->how, &w->stats);
	barrier_wait(w->done);  /* stay alive while main reads /proc */
	barrier_wait(w->leave);
	return NULL;
}

/* What /proc/self/task/TID says about a thread. */
struct thread_view {
	unsigned long long involuntary; /* nonvoluntary_ctxt_switches */
	char allowed[64];               /* Cpus_allowed_list */
	int last_cpu;                   /* stat field 39, "processor" */
};

/* The CPU the thread last ran on: field 39 of its stat. /proc/TID works
 * for a thread's ID too, though ls /proc does not list it. */
static int
last_cpu(pid_t tid)
{
	struct pl_proc p;

	return pl_procfs_read(tid, &p) == 0 ? p.processor : -1;
}

static void
read_thread_view(pid_t tid, struct thread_view *v)
{
	char file[64];

	snprintf(file, sizeof(file), "task/%ld/status", (long)tid);
	if (pl_procfs_number(getpid(), file, "nonvoluntary_ctxt_switches", 10,
	                     &v->involuntary) != 0)
		v->involuntary = 0;
	if (pl_procfs_field(getpid(), file, "Cpus_allowed_list", v->allowed,
	                    sizeof(v->allowed)) != 0)
		snprintf(v->allowed, sizeof(v->allowed), "?");
	v->last_cpu = last_cpu(tid);
}

/* "0,1" for the bits of MASK. */
static void
cpu_list(unsigned long mask, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int cpu = 0; cpu < (int)(8 * sizeof(mask)) && len < size; cpu++)
		if (mask & (1UL << cpu))
			len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? "," : "", cpu);
}

struct outcome {
	long expected, got;
	long collisions;
	long involuntary;     /* the workers' involuntary context switches */
	unsigned long cpus;   /* every CPU a worker was seen on */
	bool all_on_one;      /* each worker allowed on one CPU only */
	double seconds;       /* first start to last end */
};

static void
add_stats(struct outcome *o, const struct stats *st, double *first, double *last)
{
	o->collisions += st->collisions;
	o->cpus |= st->cpus;
	if (st->start < *first)
		*first = st->start;
	if (st->end > *last)
		*last = st->end;
}

static void
reset(struct shared *s)
{
	s->counter = 0;
	atomic_store(&s->atomic_counter, 0);
	atomic_store(&s->ready, 0);
	atomic_store(&s->go, 0);
}

/* Wait until every worker spins at the start line, then let them go. */
static void
go(struct shared *s)
{
	while (atomic_load(&s->ready) < workers)
		sched_yield();
	atomic_store(&s->go, 1);
}

/* The CPUs this process may use, from sched_getaffinity(2). */
static int allowed_cpus[CPU_SETSIZE];
static int nallowed;

/* Every thread runs on CPU PIN, or with PIN -1 wherever the scheduler
 * puts it. SHOW: the first run of a step narrates each thread, and pauses
 * at the start line so the class (or a test, or the dashboard) can look. */
static struct outcome
run_threads(struct shared *s, enum method how, int pin, bool show)
{
	struct thread_worker w[MAX_WORKERS];
	pthread_barrier_t start, done, leave;
	struct outcome o = { .expected = workers * increments, .all_on_one = true };
	double first = 1e300, last = 0;
	int err;

	reset(s);
	if ((err = pthread_barrier_init(&start, NULL, (unsigned)workers + 1)) != 0 ||
	    (err = pthread_barrier_init(&done, NULL, (unsigned)workers + 1)) != 0 ||
	    (err = pthread_barrier_init(&leave, NULL, (unsigned)workers + 1)) != 0)
		pl_die_en(err, "pthread_barrier_init");
	for (int i = 0; i < workers; i++) {
		w[i] = (struct thread_worker){ .shared = s, .how = how, .start = &start,
			                       .done = &done, .leave = &leave };
		w[i].index = i + 1;
		w[i].cpu = pin;
		if ((err = pthread_create(&w[i].thread, NULL, thread_main, &w[i])) != 0)
			pl_die_en(err, "pthread_create");
	}
	if (show) {
		/* Every thread is blocked at the start line, or about to be. */
		pl_note("threads-ready", PL_FIELDS(PL_INT("workers", workers)),
		        "%ld threads of process %ld wait at the start line", workers,
		        (long)getpid());
		pl_pause(1.0);
	}
	barrier_wait(&start); /* every worker exists: to the spinning start line */
	go(s);
	barrier_wait(&done);  /* every worker has finished, and is still alive */

	for (int i = 0; i < workers; i++) {
		struct thread_view v;
		char seen[64];

		read_thread_view(w[i].tid, &v);
		add_stats(&o, &w[i].stats, &first, &last);
		o.involuntary += (long)v.involuntary;
		if (strchr(v.allowed, ',') != NULL || strchr(v.allowed, '-') != NULL)
			o.all_on_one = false;
		if (!show)
			continue;
		cpu_list(w[i].stats.cpus, seen, sizeof(seen));
		pl_note("thread-view",
		        PL_FIELDS(PL_INT("index", i + 1), PL_INT("tid", w[i].tid),
		                  PL_STR("cpus_seen", seen), PL_STR("cpus_allowed", v.allowed),
		                  PL_INT("last_cpu", v.last_cpu),
		                  PL_INT("involuntary", (long long)v.involuntary),
		                  PL_INT("collisions", w[i].stats.collisions)),
		        "thread %d (tid %ld): ran on CPU %s, may use %s, last on %d; %llu "
		        "involuntary switches; %ld collisions",
		        i + 1, (long)w[i].tid, seen, v.allowed, v.last_cpu, v.involuntary,
		        w[i].stats.collisions);
	}
	barrier_wait(&leave);
	for (int i = 0; i < workers; i++)
		if ((err = pthread_join(w[i].thread, NULL)) != 0)
			pl_die_en(err, "pthread_join");
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
	pthread_barrier_destroy(&leave);
	o.got = how == ATOMIC ? atomic_load(&s->atomic_counter) : s->counter;
	o.seconds = last - first;
	return o;
}

/* ------------------------------------------------------------------ */
/* One run with processes, over a MAP_SHARED mapping.                  */

struct proc_area {
	struct shared shared;
	struct stats stats[MAX_WORKERS];
};

static struct outcome
run_processes(struct proc_area *area, bool show)
{
	struct outcome o = { .expected = workers * increments, .all_on_one = false };
	pid_t pids[MAX_WORKERS];
	double first = 1e300, last = 0;
	char done;

	reset(&area->shared);
	for (int i = 0; i < workers; i++) {
		switch (pids[i] = pl_fork("worker", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child: the same loop, on the shared page */
			pl_child_hold(); /* the start line */
			count_up(&area->shared, NO_LOCK, &area->stats[i]);
			pl_child_tell("x", 1);
			pl_child_hold(); /* stay while the parent reads /proc */
			_exit(EXIT_SUCCESS);
		default: /* Parent: go on forking */
			break;
		}
	}
	if (show) {
		for (int i = 0; i < workers; i++)
			pl_procfs_wait_state(pids[i], "S", HEAR_TIMEOUT_MS, NULL);
		pl_note("processes-ready", PL_FIELDS(PL_INT("workers", workers)),
		        "%ld worker processes wait at the start line", workers);
		pl_pause(1.0);
	}
	for (int i = 0; i < workers; i++)
		pl_child_release(pids[i]);
	go(&area->shared);
	for (int i = 0; i < workers; i++) {
		unsigned long long involuntary = 0;

		if (pl_child_hear(pids[i], &done, 1, HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from worker %ld", (long)pids[i]);
		if (pl_procfs_number(pids[i], "status", "nonvoluntary_ctxt_switches", 10,
		                     &involuntary) == 0)
			o.involuntary += (long)involuntary;
		add_stats(&o, &area->stats[i], &first, &last);
		pl_child_release(pids[i]);
		if (pl_child_wait(pids[i], NULL, 0) == -1)
			pl_die("waitpid");
	}
	o.got = area->shared.counter;
	o.seconds = last - first;
	return o;
}

/* ------------------------------------------------------------------ */
/* Steps 1, 2 and 4: the race, run after run, and how often it loses. */

struct rate {
	int runs_lost;
	double median_lost_percent;
	double median_collisions;
	long total_collisions;
	long max_collisions_over_switches; /* > 0: a collision with no preemption */
	double median_seconds;             /* of a run, first start to last end */
};

static struct rate
race_runs(const char *mode, struct shared *s, int pin, struct proc_area *area)
{
	double lost_percent[MAX_RUNS], collisions[MAX_RUNS], seconds[MAX_RUNS];
	struct rate r = { 0, 0, 0, 0, 0, 0 };
	bool pinned = pin >= 0;
	bool pinned_ok = true;

	for (int run = 1; run <= runs; run++) {
		struct outcome o = area ? run_processes(area, run == 1)
		                        : run_threads(s, NO_LOCK, pin, run == 1);
		long lost = o.expected - o.got;
		char cpus[64];

		cpu_list(o.cpus, cpus, sizeof(cpus));
		if (lost > 0)
			r.runs_lost++;
		lost_percent[run - 1] = 100.0 * (double)lost / (double)o.expected;
		collisions[run - 1] = (double)o.collisions;
		seconds[run - 1] = o.seconds;
		r.total_collisions += o.collisions;
		if (o.collisions - o.involuntary > r.max_collisions_over_switches)
			r.max_collisions_over_switches = o.collisions - o.involuntary;
		if (pinned && (!o.all_on_one || (o.cpus & (o.cpus - 1)) != 0))
			pinned_ok = false;
		pl_note("run",
		        PL_FIELDS(PL_STR("mode", mode), PL_INT("run", run),
		                  PL_INT("expected", o.expected), PL_INT("got", o.got),
		                  PL_INT("lost", lost), PL_INT("collisions", o.collisions),
		                  PL_INT("involuntary", o.involuntary), PL_STR("cpus", cpus)),
		        "run %d: lost %ld of %ld (%.1f%%), %ld collisions, %ld involuntary "
		        "switches, CPUs %s",
		        run, lost, o.expected, lost_percent[run - 1], o.collisions, o.involuntary,
		        cpus);
	}
	r.median_lost_percent = pl_measure_median(lost_percent, (size_t)runs);
	r.median_collisions = pl_measure_median(collisions, (size_t)runs);
	r.median_seconds = pl_measure_median(seconds, (size_t)runs);
	pl_note("loss-rate",
	        PL_FIELDS(PL_STR("mode", mode), PL_INT("runs", runs),
	                  PL_INT("runs_lost", r.runs_lost),
	                  PL_DOUBLE("median_lost_percent", r.median_lost_percent),
	                  PL_DOUBLE("median_collisions", r.median_collisions),
	                  PL_INT("total_collisions", r.total_collisions)),
	        "%s: updates lost in %d of %ld runs; median %.1f%% lost, %.0f collisions a run, "
	        "%ld in all",
	        mode, r.runs_lost, runs, r.median_lost_percent, r.median_collisions,
	        r.total_collisions);
	if (pinned)
		pl_check("pinned", pinned_ok, NULL,
		         "every thread was allowed on one CPU only, and ran on that one");
	return r;
}

/* The claim needs a race with room to show: two workers, a window, and
 * enough increments. */
static bool
race_has_room(void)
{
	return workers >= 2 && window >= 10 && increments >= 1000;
}

static void
claim_lost(const char *id, const struct rate *r, const char *who)
{
	if (race_has_room())
		pl_check(id, r->runs_lost * 2 > runs,
		         PL_FIELDS(PL_INT("runs_lost", r->runs_lost), PL_INT("runs", runs)),
		         "without a lock, %s lost updates in %d of %ld runs", who, r->runs_lost,
		         runs);
	else
		pl_note("too-small", NULL,
		        "with %ld worker(s), a window of %ld and %ld increments the race has "
		        "little room: no claim (try the defaults)",
		        workers, window, increments);
}

static struct rate
threads_race(struct shared *s)
{
	struct rate r;

	pl_step("threads-race",
	        PL_FIELDS(PL_INT("workers", workers), PL_INT("increments", increments),
	                  PL_INT("window", window), PL_INT("runs", runs),
	                  PL_INT("cpus", nallowed)),
	        "%ld threads add 1 to one counter %ld times each, with no lock (%ld runs)",
	        workers, increments, runs);
	r = race_runs("threads", s, -1, NULL);
	claim_lost("threads-lose-updates", &r, "threads");
	return r;
}

/* On one CPU the threads meet only when the scheduler preempts one of them
 * inside its window, once in each time slice of a few milliseconds. A run
 * as short as step 1's may span only a handful of slices, and on a busy
 * CPU one thread may then get through all its increments before the other
 * starts. So here each thread adds for at least PINNED_WORK seconds of CPU,
 * judged from step 1's runs, and every run spans dozens of slices. */
#define PINNED_WORK 0.05

static long
pinned_increments(const struct rate *free)
{
	double per_increment = free->median_seconds / (double)increments;
	double most = (double)(MAX_TOTAL / workers);
	double want;

	if (!race_has_room() || per_increment <= 0)
		return increments;
	if (most > MAX_SPINS / ((double)workers * (double)window))
		most = MAX_SPINS / ((double)workers * (double)window);
	want = PINNED_WORK / per_increment;
	if (want > most)
		want = most;
	return want > (double)increments ? (long)want : increments;
}

static void
single_cpu_race(const struct rate *free)
{
	static struct shared s;
	int cpu = allowed_cpus[0];
	long asked = increments;
	struct rate r;

	increments = pinned_increments(free);
	pl_step("single-cpu", PL_FIELDS(PL_INT("cpu", cpu), PL_INT("increments", increments)),
	        "the same race with every thread pinned to CPU %d: only preemption can "
	        "interleave them",
	        cpu);
	/* Said every time, stretched or not (a slow build, such as one
	 * with sanitizers, may need no stretch), so the lesson's line holds. */
	pl_note("stretched", PL_FIELDS(PL_INT("increments", increments), PL_INT("asked", asked)),
	        "each thread adds %ld times here (%ld asked), so that a run spans many time "
	        "slices",
	        increments, asked);
	r = race_runs("single-cpu", &s, cpu, NULL);
	if (race_has_room()) {
		pl_check("still-races", r.runs_lost > 0,
		         PL_FIELDS(PL_INT("runs_lost", r.runs_lost)),
		         "on one CPU updates were still lost, in %d of %ld runs", r.runs_lost, runs);
		/* In all, not the median: in some runs the scheduler keeps both
		 * threads of step 1 on one CPU too, and then they meet only by
		 * preemption there as well. On a machine busy with other work the
		 * free threads may get one CPU between them, so this comparison is
		 * an observation, not a claim the demo can check. */
		if (nallowed >= 2) {
			bool fewer = r.total_collisions < free->total_collisions;

			pl_note("less-often",
			        PL_FIELDS(PL_INT("pinned", r.total_collisions),
			                  PL_INT("free", free->total_collisions),
			                  PL_BOOL("held", fewer)),
			        "%s: %ld collisions in %ld runs, against %ld when the threads could "
			        "use %d CPUs",
			        fewer ? "and less often" : "not less often this time (is the machine busy?)",
			        r.total_collisions, runs, free->total_collisions, nallowed);
		}
	}
	pl_check("collisions-need-preemption", r.max_collisions_over_switches <= 0, NULL,
	         "in every run, collisions <= involuntary context switches: each one was a "
	         "thread preempted inside its window");
	increments = asked;
}

/* ------------------------------------------------------------------ */
/* Step 5 (--single-cpu): a thread that gives up the CPU itself. Which  */
/* of the kernel's two counters counts that switch?                    */

#define GIVE_UPS 1000 /* sched_yield() or usleep(1) calls by each thread */

enum give_up { YIELD, SLEEP };
static const char *const give_up_names[] = { "sched_yield()", "usleep(1)" };

struct giver {
	pthread_t thread;
	pid_t tid;
	int cpu;
	enum give_up how;
	pthread_barrier_t *start;
	bool counted;                   /* both /proc reads worked */
	unsigned long long voluntary;   /* how much each counter rose */
	unsigned long long involuntary; /* during the GIVE_UPS calls */
};

/* The calling thread's two counters, from /proc/self/task/TID/status. */
static bool
own_switches(pid_t tid, unsigned long long *voluntary, unsigned long long *involuntary)
{
	char file[64];

	snprintf(file, sizeof(file), "task/%ld/status", (long)tid);
	return pl_procfs_number(getpid(), file, "voluntary_ctxt_switches", 10, voluntary) == 0 &&
	       pl_procfs_number(getpid(), file, "nonvoluntary_ctxt_switches", 10, involuntary) == 0;
}

static void *
giver_main(void *arg)
{
	struct giver *g = arg;
	unsigned long long v0, i0, v1, i1;
	cpu_set_t one;

	g->tid = gettid();
	CPU_ZERO(&one);
	CPU_SET(g->cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == -1)
		pl_die("sched_setaffinity(CPU %d)", g->cpu);
	barrier_wait(g->start);
	g->counted = own_switches(g->tid, &v0, &i0);
	for (int k = 0; k < GIVE_UPS; k++)
		if (g->how == YIELD)
			sched_yield(); /* stays runnable: back in the run queue */
		else
			usleep(1); /* sleeps: off the run queue until the timer */
	g->counted = own_switches(g->tid, &v1, &i1) && g->counted;
	g->voluntary = v1 - v0;
	g->involuntary = i1 - i0;
	return NULL;
}

/* Two threads on CPU, each giving up the CPU GIVE_UPS times in the way
 * HOW. Two, so that a yield always has another thread to yield to: a
 * thread alone on its CPU yields back to itself, and no switch happens. */
static bool
give_up_round(enum give_up how, int cpu)
{
	struct giver g[2];
	pthread_barrier_t start;
	bool right = true;
	int err;

	if ((err = pthread_barrier_init(&start, NULL, 2)) != 0)
		pl_die_en(err, "pthread_barrier_init");
	for (int i = 0; i < 2; i++) {
		g[i] = (struct giver){ .cpu = cpu, .how = how, .start = &start };
		if ((err = pthread_create(&g[i].thread, NULL, giver_main, &g[i])) != 0)
			pl_die_en(err, "pthread_create");
	}
	for (int i = 0; i < 2; i++) {
		if ((err = pthread_join(g[i].thread, NULL)) != 0)
			pl_die_en(err, "pthread_join");
		pl_note("gave-up",
		        PL_FIELDS(PL_STR("call", give_up_names[how]), PL_INT("index", i + 1),
		                  PL_INT("tid", g[i].tid), PL_INT("calls", GIVE_UPS),
		                  PL_BOOL("counted", g[i].counted),
		                  PL_INT("voluntary", (long long)g[i].voluntary),
		                  PL_INT("involuntary", (long long)g[i].involuntary)),
		        "%s %d times, thread %d (tid %ld): voluntary_ctxt_switches +%llu, "
		        "nonvoluntary_ctxt_switches +%llu",
		        give_up_names[how], GIVE_UPS, i + 1, (long)g[i].tid, g[i].voluntary,
		        g[i].involuntary);
		/* At least half the calls switched, and in the one counter. */
		unsigned long long most = how == YIELD ? g[i].involuntary : g[i].voluntary;
		unsigned long long other = how == YIELD ? g[i].voluntary : g[i].involuntary;
		right = right && g[i].counted && most >= GIVE_UPS / 2 && other < most;
	}
	pthread_barrier_destroy(&start);
	return right;
}

static void
give_up_cpu(void)
{
	int cpu = allowed_cpus[0];

	pl_step("give-up-cpu", PL_FIELDS(PL_INT("cpu", cpu), PL_INT("calls", GIVE_UPS)),
	        "two threads on CPU %d give it up themselves: which counter counts that?", cpu);
	/* The kernel counts a switch as voluntary only if the task left
	 * TASK_RUNNING to sleep before it called schedule(); any other
	 * switch is involuntary (__schedule() in kernel/sched/core.c, the
	 * nvcsw and nivcsw counts). A yielding thread stays runnable. */
	pl_check("yield-is-involuntary", give_up_round(YIELD, cpu), NULL,
	         "sched_yield() on a busy CPU is an involuntary switch: the thread stays "
	         "runnable, so nonvoluntary_ctxt_switches counts it");
	pl_check("sleep-is-voluntary", give_up_round(SLEEP, cpu), NULL,
	         "usleep() is a voluntary switch: the thread sleeps, so "
	         "voluntary_ctxt_switches counts it");
}

static void
processes_race(void)
{
	struct proc_area *area;
	struct rate r;

	area = mmap(NULL, sizeof(*area), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	            0);
	if (area == MAP_FAILED)
		pl_die("mmap(MAP_SHARED | MAP_ANONYMOUS)");
	pl_step("processes-race",
	        PL_FIELDS(PL_INT("workers", workers), PL_INT("increments", increments)),
	        "%ld processes do the same on a counter in a MAP_SHARED mapping", workers);
	r = race_runs("processes", NULL, -1, area);
	claim_lost("processes-lose-updates", &r, "processes");
	munmap(area, sizeof(*area));
}

/* ------------------------------------------------------------------ */
/* Step 3: the fixes, and what each costs.                              */

static double
median_run(struct shared *s, enum method how, long *lost)
{
	double seconds[MAX_RUNS];

	*lost = 0;
	for (int run = 0; run < runs; run++) {
		struct outcome o = run_threads(s, how, -1, false);

		seconds[run] = o.seconds;
		*lost += o.expected - o.got;
	}
	return pl_measure_median(seconds, (size_t)runs);
}

static void
fixes(struct shared *s)
{
	static const enum method methods[] = { NO_LOCK, MUTEX, SEMAPHORE, ATOMIC };
	long with_window = window;
	int err;

	pl_step("fixes", PL_FIELDS(PL_INT("runs", runs)),
	        "the same threads and window with a mutex, a semaphore and an atomic add");
	if ((err = pthread_mutex_init(&s->mutex, NULL)) != 0)
		pl_die_en(err, "pthread_mutex_init");
	if (sem_init(&s->semaphore, 0, 1) == -1) /* not shared between processes; value 1 */
		pl_die("sem_init");

	for (size_t k = 0; k < PL_COUNT(methods); k++) {
		enum method how = methods[k];
		long lost, bare_lost;
		double median = median_run(s, how, &lost), bare;

		/* The cost of the lock itself: the same runs with no window, so
		 * that the increment is all there is to do. */
		window = 0;
		bare = median_run(s, how, &bare_lost) * 1e9 / (double)(workers * increments);
		window = with_window;
		pl_note("fix",
		        PL_FIELDS(PL_STR("method", method_names[how]), PL_INT("runs", runs),
		                  PL_INT("expected", workers * increments * runs),
		                  PL_INT("lost", lost), PL_DOUBLE("median_seconds", median),
		                  PL_INT("bare_lost", bare_lost), PL_DOUBLE("bare_ns", bare)),
		        "%-9s lost %ld; median %.1f ms a run; with no window %.1f ns an "
		        "increment",
		        method_names[how], lost, median * 1e3, bare);
		if (how != NO_LOCK)
			pl_check(method_names[how], lost == 0 && bare_lost == 0,
			         PL_FIELDS(PL_INT("lost", lost + bare_lost)),
			         "%s: no update lost in %ld runs", method_names[how], 2 * runs);
	}
	sem_destroy(&s->semaphore);
	pthread_mutex_destroy(&s->mutex);
}

int
main(int argc, char *argv[])
{
	static struct shared s; /* the threads' counter: a global, as usual */
	struct rate both;
	cpu_set_t mask;

	pl_demo_init(argc, argv, &demo);
	if (workers * increments > MAX_TOTAL)
		pl_die_usage("--workers times --increments must be at most %ld, not %ld",
		             MAX_TOTAL, workers * increments);
	if ((double)workers * (double)increments * (double)window > MAX_SPINS)
		pl_die_usage("--workers times --increments times --window must be at most %.0f",
		             MAX_SPINS);

	if (sched_getaffinity(0, sizeof(mask), &mask) == -1)
		pl_die("sched_getaffinity");
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &mask))
			allowed_cpus[nallowed++] = cpu;

	both = threads_race(&s);
	processes_race();
	fixes(&s);
	if (single_cpu) {
		single_cpu_race(&both);
		give_up_cpu();
	}

	return pl_demo_finish();
}
