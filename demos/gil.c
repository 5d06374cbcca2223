/* gil.c - a global interpreter lock, modelled in C: why CPython threads do
 * not run Python code in parallel, and what the lock costs.
 *
 * N threads run CPU-bound "bytecode" (a loop of small work units, ticks)
 * and must hold one global lock to run it, as CPython's threads must hold
 * the GIL. Two policies decide when the holder lets go:
 *   old  every --check-interval ticks (100) the holder releases the lock and
 *        at once takes it again, with no handoff (CPython 2's
 *        sys.setcheckinterval);
 *   new  the holder keeps the lock until a waiter, after waiting a
 *        --switch-interval (5 ms), sets a drop request; the holder drops
 *        the lock at its next tick, the waiter gets it, and the old holder
 *        must wait (CPython 3.2 and later, sys.setswitchinterval).
 *
 * It shows, and proves while it runs, that
 *   1. under the lock N CPU-bound threads are no faster than one thread,
 *      and with the old policy on several CPUs they can be slower: the
 *      kernel's per-thread CPU times (/proc/self/task/TID/stat) show how
 *      many CPUs were busy, the lock's own counts how often it changed hands;
 *   2. pinned to one CPU (sched_setaffinity) the lock costs little;
 *   3. the same work in N processes, each with its own lock, scales, and so
 *      do N threads without the lock (a free-threaded build);
 *   4. the convoy effect: a thread that wakes every millisecond and needs
 *      the lock briefly waits for it behind a CPU-bound thread, up to a
 *      whole switch interval, where without the lock it runs at once.
 * In every run: never two holders at once, every tick counted, the same
 * checksum as the sequential run. The speed figures are measurements: the
 * demo reports whether the issue's expectations held, and never fails on
 * them.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   gil_take()     take the one lock: the old policy, or the new hand-off
 *   gil_drop()     let it go, handing it to a waiter that asked
 *   interpret()    the interpreter's loop, under the lock
 *   worker_main()  each worker thread
 *
 * Usage:     proclab-gil [--threads N] [--policy old|new|both]
 *                        [--switch-interval MS] [--check-interval TICKS]
 *                        [--work S] [--repeats R] [--full] [--json]
 * Dashboard: `proclab gil` shows the demo holding the lock "gil", and its
 *            counters: the TID of the holder, the waiters, the switches and
 *            the handoffs, changing as the threads take turns.
 * Lesson:    lessons/17-gil.md
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_THREADS 16
#define MAX_REPEATS 15
#define TICK_ROUNDS 16        /* xorshift rounds per tick: tens of ns */
#define IO_PERIOD_NS 1000000L /* the I/O thread wakes every millisecond */
#define IO_TICKS 10           /* and runs this much bytecode */
#define STOP_EVERY 1024       /* the convoy's CPU thread looks at stop */
#define MIN_JOB_SECONDS 0.002 /* the floor of --work / --speed */
#define MIN_CONVOY_SECONDS 0.06
#define HEAR_TIMEOUT_MS 120000

static long threads_wanted = 2;
static const char *policy_choice = "both";
static double switch_interval_ms = 5.0;
static long check_interval = 100;
static double work_seconds; /* 0: the default, 0.2 (2 with --full) */
static long repeats;        /* 0: the default, 3 (5 with --full) */
static bool full;

static const struct pl_option options[] = {
	{ "threads", 'n', PL_OPT_INT, "N", "CPU-bound threads that share the lock (default 2)", 2,
	  MAX_THREADS, &threads_wanted },
	{ "policy", 'p', PL_OPT_STRING, "P", "old, new or both (the default)", 0, 0,
	  &policy_choice },
	{ "switch-interval", 'i', PL_OPT_DOUBLE, "MS",
	  "new policy: how long a waiter waits before it asks for the lock (default 5)", 0.05, 1000,
	  &switch_interval_ms },
	{ "check-interval", 'c', PL_OPT_INT, "TICKS",
	  "old policy: ticks between a release and the next (default 100)", 1, 1000000,
	  &check_interval },
	{ "work", 'w', PL_OPT_DOUBLE, "S", "CPU seconds of one job (default 0.2; 2 with --full)",
	  0.01, 60, &work_seconds },
	{ "repeats", 'r', PL_OPT_INT, "R",
	  "measured runs of each case, after a warm-up (default 3)", 1, MAX_REPEATS, &repeats },
	{ "full", 'f', PL_OPT_FLAG, NULL, "the full measurement: --work 2 --repeats 5 (minutes)", 0,
	  0, &full },
};

static const struct pl_demo demo = {
	.name = "gil",
	.summary = "A global interpreter lock in C: threads take turns, processes scale.",
	.description = "N threads run CPU-bound ticks under one lock, with CPython 2's policy\n"
	               "(release every N ticks) and CPython 3's (drop on request after a switch\n"
	               "interval), unpinned and pinned to one CPU, against the same work in\n"
	               "processes and in threads without the lock; then the convoy effect on a\n"
	               "thread that wakes every millisecond. Each run is checked: one holder at a\n"
	               "time, every tick counted. Speed is measured and reported, never checked.",
	.lesson = "17-gil.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

enum policy { OLD, NEW };
static const char *const policy_names[] = { "old", "new" };
static bool policy_on[2];

/* ------------------------------------------------------------------ */
/* The bytecode: a tick is a few dependent integer operations, about as */
/* long as one simple Python bytecode. A thread's result is the value   */
/* its chain of ticks ends on, so the run's checksum proves every tick  */
/* ran, whoever ran it.                                                  */

static inline uint64_t
tick(uint64_t x)
{
	for (int i = 0; i < TICK_ROUNDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

static uint64_t
seed(int share)
{
	return 0x9e3779b97f4a7c15u * (uint64_t)(share + 1);
}

/* ------------------------------------------------------------------ */
/* The lock, in two versions, each as CPython built it on Linux:         */
/*  - old: a POSIX semaphore (Python/thread_pthread.h in CPython 2):      */
/*    release is sem_post(), take is sem_wait(); nothing stops the thread */
/*    that just released it from taking it straight back;                 */
/*  - new: a flag guarded by a mutex, and a condition variable that       */
/*    waiters sleep on, with a timeout (Python/ceval_gil.h, 3.2 and on).  */
/* Both sleep on a futex in the kernel. The mutex also guards the counts. */

struct gil {
	sem_t sem; /* old policy: 1 when free */
	pthread_mutex_t mutex;
	pthread_cond_t released; /* the lock was let go */
	pthread_cond_t switched; /* new policy: another thread took it */
	enum policy policy;
	bool locked;
	int holder, last_holder; /* thread numbers, -1: none */
	pid_t holder_tid;
	int waiting;
	unsigned long switch_number; /* times the lock changed hands */
	atomic_int drop_request;     /* new policy: a waiter asks the holder to go */
	atomic_int inside;           /* threads that believe they hold it */
	atomic_long violations;      /* times a taker found someone inside */
	long acquisitions, handoffs, drop_requests;
	bool board_holds;
};

struct lock_counts {
	long acquisitions, switches, handoffs, drop_requests, violations;
};

static void
gil_init(struct gil *g, enum policy policy)
{
	pthread_condattr_t attr;
	int rc;

	memset(g, 0, sizeof(*g));
	g->policy = policy;
	g->holder = g->last_holder = -1;
	atomic_init(&g->drop_request, 0);
	atomic_init(&g->inside, 0);
	atomic_init(&g->violations, 0);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* timed waits */
	if ((rc = pthread_mutex_init(&g->mutex, NULL)) != 0 ||
	    (rc = pthread_cond_init(&g->released, &attr)) != 0 ||
	    (rc = pthread_cond_init(&g->switched, &attr)) != 0)
		pl_die_en(rc, "initialising the lock");
	pthread_condattr_destroy(&attr);
	if (sem_init(&g->sem, 0, 1) == -1)
		pl_die("sem_init");
}

static struct lock_counts
gil_destroy(struct gil *g)
{
	struct lock_counts c = { g->acquisitions, (long)g->switch_number, g->handoffs,
		                 g->drop_requests, atomic_load(&g->violations) };

	pthread_mutex_destroy(&g->mutex);
	pthread_cond_destroy(&g->released);
	pthread_cond_destroy(&g->switched);
	sem_destroy(&g->sem);
	if (g->board_holds)
		pl_board_lock_releases("gil");
	return c;
}

/* The dashboard: the lock, its holder's TID, the waiters, the switches and
 * the handoffs. Called with the mutex held, so one thread at a time writes
 * the process's slot on the board. (A slot belongs to a process, not a
 * thread, so "wants" is left out: the process holds the lock, and wanting
 * it too would read as a deadlock.) Without a dashboard: one test. */
static void
board_publish(struct gil *g)
{
	if (pl_board_current() == NULL)
		return;
	if (g->locked != g->board_holds) {
		if (g->locked)
			pl_board_lock_holds("gil");
		else
			pl_board_lock_releases("gil");
		g->board_holds = g->locked;
	}
	pl_board_count("gil holder tid", g->locked ? g->holder_tid : 0);
	pl_board_count("gil waiters", g->waiting);
	pl_board_count("gil switches", (long long)g->switch_number);
	pl_board_count("gil handoffs", g->handoffs);
}

static long switch_interval_ns;

/* The taker's bookkeeping, with the mutex held. */
static void
became_holder(struct gil *g, int me, pid_t tid)
{
	g->locked = true;
	g->holder = me;
	g->holder_tid = tid;
	g->acquisitions++;
	if (g->last_holder != me) {
		g->last_holder = me;
		g->switch_number++;
		/* New policy: the thread that dropped the lock for us may go on. */
		pthread_cond_signal(&g->switched);
	}
	atomic_store(&g->drop_request, 0);
	board_publish(g);
}

/* Take the lock. Under the new policy a waiter waits one switch interval;
 * if in that time nobody else got the lock, it sets the drop request, as
 * take_gil() in CPython's Python/ceval_gil.h does. */
static void
gil_take(struct gil *g, int me, pid_t tid)
{
	if (g->policy == OLD) {
		if (sem_trywait(&g->sem) == -1) { /* busy: sleep until a sem_post() */
			pthread_mutex_lock(&g->mutex);
			g->waiting++;
			board_publish(g);
			pthread_mutex_unlock(&g->mutex);
			while (sem_wait(&g->sem) == -1)
				if (errno != EINTR)
					pl_die("sem_wait");
			pthread_mutex_lock(&g->mutex);
			g->waiting--;
			pthread_mutex_unlock(&g->mutex);
		}
		pthread_mutex_lock(&g->mutex);
		became_holder(g, me, tid);
		pthread_mutex_unlock(&g->mutex);
	} else {
		pthread_mutex_lock(&g->mutex);
		if (g->locked) {
			g->waiting++;
			board_publish(g);
			while (g->locked) {
				unsigned long seen = g->switch_number;
				struct timespec deadline =
				        pl_measure_deadline(CLOCK_MONOTONIC, switch_interval_ns);

				if (pthread_cond_timedwait(&g->released, &g->mutex, &deadline) ==
				            ETIMEDOUT &&
				    g->locked && g->switch_number == seen &&
				    !atomic_load(&g->drop_request)) {
					atomic_store(&g->drop_request, 1);
					g->drop_requests++;
				}
			}
			g->waiting--;
		}
		became_holder(g, me, tid);
		pthread_mutex_unlock(&g->mutex);
	}

	/* The invariant, counted apart from the lock's own state. */
	if (atomic_fetch_add(&g->inside, 1) != 0)
		atomic_fetch_add(&g->violations, 1);
}

/* Let the lock go. If a waiter asked for it (new policy), hand it off:
 * wait until another thread has taken it, so this one cannot take it
 * straight back (FORCE_SWITCHING in CPython). */
static void
gil_drop(struct gil *g, int me)
{
	atomic_fetch_sub(&g->inside, 1);
	pthread_mutex_lock(&g->mutex);
	g->locked = false;
	g->holder = -1;
	if (g->policy == OLD) {
		board_publish(g);
		pthread_mutex_unlock(&g->mutex);
		sem_post(&g->sem); /* wakes a waiter, if any; no handoff */
		return;
	}
	pthread_cond_signal(&g->released);
	if (atomic_load(&g->drop_request)) {
		while (g->last_holder == me && g->waiting > 0)
			pthread_cond_wait(&g->switched, &g->mutex);
		if (g->last_holder != me)
			g->handoffs++;
	}
	board_publish(g);
	pthread_mutex_unlock(&g->mutex);
}

/* ------------------------------------------------------------------ */
/* A thread's share of a job: TICKS ticks of bytecode, under the lock G  */
/* (or with no lock when G is NULL).                                      */

struct worker {
	struct gil *gil;
	int index;
	uint64_t ticks;
	uint64_t result;
	pid_t tid;
	double cpu_seconds; /* utime + stime of /proc/self/task/TID/stat */
	long long voluntary, involuntary;
	int last_cpu;     /* field 39: the CPU it last ran on */
	char allowed[32]; /* Cpus_allowed_list of its status */
	pthread_t thread;
};

static long check_every; /* old policy: ticks between releases */

/* The interpreter's loop: TICKS ticks from X under the lock G (none when G
 * is NULL), or, when STOP is given, ticks until it is set, counted in *RAN.
 * The old policy lets go after every check interval; the new one looks at
 * the drop request after every tick (CPython's "eval breaker"). */
static uint64_t
interpret(struct gil *g, int me, pid_t tid, uint64_t x, uint64_t ticks, atomic_bool *stop,
          uint64_t *ran)
{
	uint64_t done = 0;

	if (g != NULL)
		gil_take(g, me, tid);
	while (stop ? !atomic_load_explicit(stop, memory_order_relaxed) : done < ticks) {
		uint64_t burst = stop ? STOP_EVERY : ticks - done;
		bool old = g != NULL && g->policy == OLD;

		if (old && burst > (uint64_t)check_every)
			burst = (uint64_t)check_every;
		if (g == NULL || old) {
			for (uint64_t k = 0; k < burst; k++)
				x = tick(x);
		} else {
			for (uint64_t k = 0; k < burst; k++) {
				x = tick(x);
				if (atomic_load_explicit(&g->drop_request, memory_order_relaxed)) {
					gil_drop(g, me);
					gil_take(g, me, tid);
				}
			}
		}
		done += burst;
		if (old && (stop || done < ticks)) { /* the check interval is up */
			gil_drop(g, me);
			gil_take(g, me, tid);
		}
	}
	if (g != NULL)
		gil_drop(g, me);
	if (ran != NULL)
		*ran = done;
	return x;
}

static pid_t
my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* The kernel's account of thread TID of this process: CPU time, context
 * switches, where it ran and where it may run (proc(5)). */
static void
thread_evidence(struct worker *w)
{
	char path[64], file[64], text[1024];
	unsigned long long voluntary = 0, involuntary = 0;
	struct pl_proc proc;
	ssize_t n;
	int fd;

	w->cpu_seconds = 0;
	w->last_cpu = -1;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", (long)w->tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n > 0) {
			text[n] = '\0';
			if (pl_procfs_parse_stat(text, &proc) == 0) {
				w->cpu_seconds = (double)(proc.utime + proc.stime) /
				                 (double)sysconf(_SC_CLK_TCK);
				w->last_cpu = proc.processor;
			}
		}
	}
	snprintf(file, sizeof(file), "task/%ld/status", (long)w->tid);
	pl_procfs_number(getpid(), file, "voluntary_ctxt_switches", 10, &voluntary);
	pl_procfs_number(getpid(), file, "nonvoluntary_ctxt_switches", 10, &involuntary);
	w->voluntary = (long long)voluntary;
	w->involuntary = (long long)involuntary;
	if (pl_procfs_field(getpid(), file, "Cpus_allowed_list", w->allowed, sizeof(w->allowed)) !=
	    0)
		snprintf(w->allowed, sizeof(w->allowed), "?");
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	w->tid = my_tid();
	pthread_setname_np(pthread_self(), "gil-worker");
	w->result = interpret(w->gil, w->index, w->tid, seed(w->index), w->ticks, NULL, NULL);
	thread_evidence(w);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* One job, run in one of five ways. The job is always the same: N       */
/* shares of ticks, each a chain from its own seed.                       */

enum mode { SEQUENTIAL, THREADS, PROCESSES, FREE_THREADS };

struct config {
	const char *name;
	enum mode mode;
	enum policy policy;
	bool pinned;
};

struct run {
	double wall;
	uint64_t checksum;
	uint64_t ticks;
	double cpu; /* all workers, from /proc */
	long long voluntary, involuntary;
	struct lock_counts counts;
	int nworkers, on_cpu; /* pinned: workers that ran on the pinned CPU */
	bool children_ok;     /* processes: each one's ppid was us */
	struct worker workers[MAX_THREADS];
};

static int nthreads;
static uint64_t job_ticks; /* the whole job */
static cpu_set_t original_cpus;
static int pinned_cpu = -1;
static char pinned_cpu_text[16];

static uint64_t
share_of(int i)
{
	return job_ticks / (uint64_t)nthreads + (i == 0 ? job_ticks % (uint64_t)nthreads : 0);
}

static void
set_affinity(const cpu_set_t *set)
{
	if (sched_setaffinity(0, sizeof(*set), set) == -1)
		pl_die("sched_setaffinity");
}

static void
pin(bool pinned)
{
	cpu_set_t one;

	if (!pinned) {
		set_affinity(&original_cpus);
		return;
	}
	CPU_ZERO(&one);
	CPU_SET(pinned_cpu, &one);
	set_affinity(&one); /* threads created from now on inherit it */
}

static void
add_worker(struct run *r, const struct worker *w)
{
	r->checksum += w->result;
	r->cpu += w->cpu_seconds;
	r->voluntary += w->voluntary;
	r->involuntary += w->involuntary;
	r->on_cpu += w->last_cpu == pinned_cpu && strcmp(w->allowed, pinned_cpu_text) == 0;
	r->workers[r->nworkers++] = *w;
}

/* What a process of the processes case tells its parent. */
struct process_report {
	struct worker worker;
	pid_t ppid;
	struct lock_counts counts;
};

static void
run_processes(struct run *r)
{
	pid_t pids[MAX_THREADS];

	for (int i = 0; i < nthreads; i++) {
		switch (pids[i] = pl_fork("interpreter", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: { /* Child: an interpreter of its own, with its own lock. */
			struct process_report rep = { .worker = { .index = i,
				                                  .ticks = share_of(i) } };
			struct gil g;

			gil_init(&g, NEW);
			rep.worker.tid = my_tid();
			rep.worker.result = interpret(&g, i, rep.worker.tid, seed(i),
			                              rep.worker.ticks, NULL, NULL);
			rep.counts = gil_destroy(&g);
			thread_evidence(&rep.worker);
			rep.ppid = getppid();
			pl_child_tell(&rep, sizeof(rep));
			_exit(EXIT_SUCCESS);
		}
		default: /* Parent: go on forking */
			break;
		}
	}
	r->children_ok = true;
	for (int i = 0; i < nthreads; i++) {
		struct process_report rep;
		int status;

		if (pl_child_hear(pids[i], &rep, sizeof(rep), HEAR_TIMEOUT_MS) == -1)
			pl_die("hearing from process %ld", (long)pids[i]);
		if (pl_child_wait(pids[i], &status, 0) == -1)
			pl_die("waitpid");
		r->children_ok = r->children_ok && rep.ppid == getpid() &&
		                 rep.worker.tid == pids[i] && WIFEXITED(status) &&
		                 WEXITSTATUS(status) == 0;
		r->counts.violations += rep.counts.violations;
		r->counts.acquisitions += rep.counts.acquisitions;
		add_worker(r, &rep.worker);
	}
}

static struct run
run_job(const struct config *c)
{
	struct worker workers[MAX_THREADS];
	struct run r;
	struct gil g;
	double start;
	int rc;

	memset(&r, 0, sizeof(r));
	pin(c->pinned);
	start = pl_measure_now();
	switch (c->mode) {
	case SEQUENTIAL: { /* one thread runs every share, one after the other */
		struct worker before = { .tid = my_tid() }, w = before;

		thread_evidence(&before);
		gil_init(&g, c->policy);
		for (int i = 0; i < nthreads; i++)
			w.result += interpret(&g, 0, w.tid, seed(i), share_of(i), NULL, NULL);
		r.wall = pl_measure_now() - start;
		r.counts = gil_destroy(&g);
		thread_evidence(&w);
		w.cpu_seconds -= before.cpu_seconds;
		w.voluntary -= before.voluntary;
		w.involuntary -= before.involuntary;
		add_worker(&r, &w);
		break;
	}
	case THREADS:
	case FREE_THREADS:
		if (c->mode == THREADS)
			gil_init(&g, c->policy);
		for (int i = 0; i < nthreads; i++) {
			workers[i] = (struct worker){ .gil = c->mode == THREADS ? &g : NULL,
				                      .index = i,
				                      .ticks = share_of(i) };
			if ((rc = pthread_create(&workers[i].thread, NULL, worker_main,
			                         &workers[i])) != 0)
				pl_die_en(rc, "pthread_create");
		}
		for (int i = 0; i < nthreads; i++)
			if ((rc = pthread_join(workers[i].thread, NULL)) != 0)
				pl_die_en(rc, "pthread_join");
		r.wall = pl_measure_now() - start;
		if (c->mode == THREADS)
			r.counts = gil_destroy(&g);
		for (int i = 0; i < nthreads; i++)
			add_worker(&r, &workers[i]);
		break;
	case PROCESSES:
		run_processes(&r);
		r.wall = pl_measure_now() - start;
		break;
	}
	pin(false);
	r.ticks = job_ticks;
	return r;
}

/* ------------------------------------------------------------------ */
/* Measuring: REPEATS runs of each case, interleaved so that a change in */
/* the machine's load touches every case alike; the median and spread.   */

struct summary {
	const struct config *config;
	double median, spread; /* seconds; (max - min) / median in % */
	double speedup;        /* against the baseline's median */
	double busy_cpus;      /* workers' CPU time / wall time, median run */
	int runs, right, one_holder;
	struct run last;
	struct lock_counts total;
};

static uint64_t reference_checksum;

static void
summarise(struct summary *s, const struct run *runs, int n)
{
	double walls[MAX_REPEATS], busy[MAX_REPEATS];

	s->runs = n;
	for (int i = 0; i < n; i++) {
		walls[i] = runs[i].wall;
		busy[i] = runs[i].wall > 0 ? runs[i].cpu / runs[i].wall : 0;
		s->right += runs[i].checksum == reference_checksum &&
		            (s->config->mode != PROCESSES || runs[i].children_ok);
		s->one_holder += runs[i].counts.violations == 0;
		s->total.acquisitions += runs[i].counts.acquisitions;
		s->total.switches += runs[i].counts.switches;
		s->total.handoffs += runs[i].counts.handoffs;
		s->total.drop_requests += runs[i].counts.drop_requests;
		s->total.violations += runs[i].counts.violations;
	}
	s->median = pl_measure_median(walls, (size_t)n); /* sorts */
	s->spread = s->median > 0 ? (walls[n - 1] - walls[0]) / s->median * 100.0 : 0;
	s->busy_cpus = pl_measure_median(busy, (size_t)n);
	s->last = runs[n - 1];
}

static void
measure(const struct config *configs, int n, struct summary *out)
{
	static struct run runs[8][MAX_REPEATS];

	for (long r = 0; r < repeats; r++)
		for (int i = 0; i < n; i++)
			runs[i][r] = run_job(&configs[i]);
	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].config = &configs[i];
		summarise(&out[i], runs[i], (int)repeats);
	}
}

static void
note_case(struct summary *s, const struct summary *baseline)
{
	const struct config *c = s->config;

	s->speedup = s->median > 0 ? baseline->median / s->median : 0;
	pl_note("case",
	        PL_FIELDS(PL_STR("case", c->name),
	                  PL_STR("policy", c->mode == FREE_THREADS ? "none"
	                                   : c->mode == PROCESSES  ? "own"
	                                                           : policy_names[c->policy]),
	                  PL_BOOL("pinned", c->pinned), PL_INT("runs", s->runs),
	                  PL_DOUBLE("median_s", s->median), PL_DOUBLE("spread_pct", s->spread),
	                  PL_DOUBLE("speedup", s->speedup), PL_DOUBLE("busy_cpus", s->busy_cpus),
	                  PL_INT("acquisitions", s->total.acquisitions),
	                  PL_INT("switches", s->total.switches),
	                  PL_INT("handoffs", s->total.handoffs),
	                  PL_INT("drop_requests", s->total.drop_requests),
	                  PL_INT("violations", s->total.violations), PL_INT("right", s->right)),
	        "%-22s median %.3f s (spread %.0f%%), speedup %.2fx, %.1f CPUs busy", c->name,
	        s->median, s->spread, s->speedup, s->busy_cpus);
	if (c->mode == THREADS)
		pl_note("lock-counts",
		        PL_FIELDS(PL_STR("case", c->name), PL_INT("runs", s->runs),
		                  PL_INT("acquisitions", s->total.acquisitions),
		                  PL_INT("switches", s->total.switches),
		                  PL_INT("handoffs", s->total.handoffs),
		                  PL_INT("drop_requests", s->total.drop_requests)),
		        "  the lock, in %d runs: %ld acquisitions, %ld switches of holder, %ld drop "
		        "requests, %ld handoffs",
		        s->runs, s->total.acquisitions, s->total.switches, s->total.drop_requests,
		        s->total.handoffs);
	if (c->mode != SEQUENTIAL)
		for (int i = 0; i < s->last.nworkers; i++) {
			const struct worker *w = &s->last.workers[i];

			pl_note("worker",
			        PL_FIELDS(PL_STR("case", c->name), PL_BOOL("pinned", c->pinned),
			                  PL_INT("tid", w->tid), PL_DOUBLE("cpu_s", w->cpu_seconds),
			                  PL_INT("voluntary", w->voluntary),
			                  PL_INT("involuntary", w->involuntary),
			                  PL_INT("cpu", w->last_cpu),
			                  PL_STR("cpus_allowed", w->allowed)),
			        "  %s %ld: %.2f s of CPU, %lld voluntary and %lld involuntary context "
			        "switches, CPUs %s",
			        c->mode == PROCESSES ? "process" : "thread", (long)w->tid,
			        w->cpu_seconds, w->voluntary, w->involuntary, w->allowed);
		}
}

static void
check_cases(const char *what, const struct summary *s, int n)
{
	int runs = 0, right = 0, one = 0;
	long acquisitions = 0, violations = 0;

	for (int i = 0; i < n; i++) {
		runs += s[i].runs;
		right += s[i].right;
		one += s[i].one_holder;
		acquisitions += s[i].total.acquisitions;
		violations += s[i].total.violations;
	}
	pl_check("results-right", right == runs,
	         PL_FIELDS(PL_STR("what", what), PL_INT("runs", runs), PL_INT("right", right)),
	         "%s: all %d runs ran every tick and ended on the sequential checksum", what, runs);
	pl_check("one-holder", one == runs && violations == 0,
	         PL_FIELDS(PL_STR("what", what), PL_INT("acquisitions", acquisitions),
	                   PL_INT("violations", violations)),
	         "%s: never two holders at once, in %ld acquisitions of the lock", what,
	         acquisitions);
}

/* ------------------------------------------------------------------ */
/* Step 1: the model, and how big a job is.                              */

static double tick_ns;

static void
calibrate(void)
{
	double speed = pl_narrate_get_config()->speed, spent, seconds;
	uint64_t n = 1024, x = 1;
	char allowed[64] = "?";

	pl_step("the-model", PL_FIELDS(PL_INT("threads", nthreads)),
	        "the model: %d threads run ticks of bytecode, and must hold one lock to run them",
	        nthreads);
	/* Time ever longer runs of ticks until one takes 20 ms of CPU (less at
	 * --speed), on this thread's CPU clock: a busy machine stretches
	 * wall-clock time but not CPU time. */
	do {
		double start = pl_measure_thread_cpu();

		n *= 2;
		for (uint64_t i = 0; i < n; i++)
			x = tick(x);
		spent = pl_measure_thread_cpu() - start;
	} while (spent < 0.02 / (speed > 10 ? 10 : speed) && n < (1ULL << 40));
	tick_ns = spent / (double)n * 1e9 + (double)(x == 0); /* x: keep the loop */

	seconds = work_seconds / speed;
	if (seconds < MIN_JOB_SECONDS)
		seconds = MIN_JOB_SECONDS;
	job_ticks = (uint64_t)(seconds * 1e9 / tick_ns);
	if (job_ticks < (uint64_t)nthreads * 1000)
		job_ticks = (uint64_t)nthreads * 1000;
	pl_procfs_field(getpid(), "status", "Cpus_allowed_list", allowed, sizeof(allowed));
	pl_note("sizing",
	        PL_FIELDS(PL_DOUBLE("tick_ns", tick_ns), PL_INT("job_ticks", (long long)job_ticks),
	                  PL_DOUBLE("job_s", (double)job_ticks * tick_ns / 1e9),
	                  PL_INT("repeats", repeats), PL_INT("cpus", CPU_COUNT(&original_cpus)),
	                  PL_STR("cpus_allowed", allowed),
	                  PL_DOUBLE("switch_interval_ms", switch_interval_ms),
	                  PL_INT("check_interval", check_interval)),
	        "a tick costs %.0f ns; a job is %llu ticks (%.3f s of CPU) in %d shares; CPUs %s",
	        tick_ns, (unsigned long long)job_ticks, (double)job_ticks * tick_ns / 1e9, nthreads,
	        allowed);
	pl_note("policies",
	        PL_FIELDS(PL_DOUBLE("switch_interval_ms", switch_interval_ms),
	                  PL_INT("check_interval", check_interval)),
	        "old policy: release and take again every %ld ticks; new policy: drop on request "
	        "after %.1f ms",
	        check_interval, switch_interval_ms);

	/* The warm-up: one sequential job, not counted. It also computes the
	 * checksum every later run must end on. */
	struct config warm = { "warm-up", SEQUENTIAL, policy_on[OLD] ? OLD : NEW, false };
	struct run r = run_job(&warm);

	reference_checksum = r.checksum;
	pl_note("warm-up",
	        PL_FIELDS(PL_DOUBLE("wall_s", r.wall),
	                  PL_INT("checksum", (long long)(reference_checksum >> 1))),
	        "warm-up: one sequential job in %.3f s (not counted); its checksum is the reference",
	        r.wall);
}

/* ------------------------------------------------------------------ */
/* Steps 2 and 3: threads under the lock, unpinned and pinned.           */

static struct summary unpinned[2][2], pinned_cases[2][2]; /* [policy][sequential, threads] */

static void
threads_under_lock(bool pinned)
{
	struct config configs[4];
	struct summary out[4];
	char seq_name[2][32], thr_name[2][32];
	int n = 0;

	if (pinned) {
		pin(true);
		pl_step("pinned", PL_FIELDS(PL_INT("cpu", pinned_cpu)),
		        "the same, pinned to CPU %d: only one thread can run at a time anyway",
		        pinned_cpu);
		pin(false);
	} else {
		pl_step("threads", PL_FIELDS(PL_INT("threads", nthreads)),
		        "%d threads under the lock, free to run on every CPU, against one thread",
		        nthreads);
	}
	for (int p = OLD; p <= NEW; p++) {
		if (!policy_on[p])
			continue;
		snprintf(seq_name[p], sizeof(seq_name[p]), "%s, 1 thread", policy_names[p]);
		snprintf(thr_name[p], sizeof(thr_name[p]), "%s, %d threads", policy_names[p],
		         nthreads);
		configs[n++] = (struct config){ seq_name[p], SEQUENTIAL, (enum policy)p, pinned };
		configs[n++] = (struct config){ thr_name[p], THREADS, (enum policy)p, pinned };
	}
	measure(configs, n, out);
	for (int i = 0; i < n; i += 2) {
		enum policy p = configs[i].policy;
		struct summary *dst = pinned ? pinned_cases[p] : unpinned[p];

		note_case(&out[i], &out[i]);
		note_case(&out[i + 1], &out[i]);
		dst[0] = out[i];
		dst[1] = out[i + 1];
		dst[0].config = dst[1].config = NULL; /* the configs are on this stack */
	}
	check_cases(pinned ? "pinned" : "unpinned", out, n);
	if (pinned) {
		int on = 0, workers = 0;

		for (int i = 0; i < n; i++)
			if (out[i].config->mode == THREADS) {
				on += out[i].last.on_cpu;
				workers += out[i].last.nworkers;
			}
		pl_check("threads-pinned", on == workers,
		         PL_FIELDS(PL_INT("cpu", pinned_cpu), PL_INT("threads", workers),
		                   PL_INT("on_cpu", on)),
		         "the kernel shows every thread allowed on CPU %d only, and running there",
		         pinned_cpu);
	}
}

/* ------------------------------------------------------------------ */
/* Step 4: the same job in processes, and in threads with no lock.       */

static struct summary processes_case, free_case;

static void
processes_and_free_threads(void)
{
	char proc_name[32], free_name[32];
	struct config configs[3];
	struct summary out[3];

	pl_step("processes", PL_FIELDS(PL_INT("processes", nthreads)),
	        "the same job in %d processes, each with a lock of its own, and in %d threads "
	        "with no lock",
	        nthreads, nthreads);
	snprintf(proc_name, sizeof(proc_name), "%d processes", nthreads);
	snprintf(free_name, sizeof(free_name), "%d threads, no lock", nthreads);
	configs[0] = (struct config){ "1 thread", SEQUENTIAL, policy_on[NEW] ? NEW : OLD, false };
	configs[1] = (struct config){ proc_name, PROCESSES, NEW, false };
	configs[2] = (struct config){ free_name, FREE_THREADS, NEW, false };
	measure(configs, 3, out);
	for (int i = 0; i < 3; i++)
		note_case(&out[i], &out[0]);
	pl_check("processes-right", out[1].right == out[1].runs,
	         PL_FIELDS(PL_INT("runs", out[1].runs), PL_INT("right", out[1].right)),
	         "in every run each process was a child of this one (ppid in /proc), exited 0, "
	         "and the checksum was right");
	check_cases("processes and free threads", out, 3);
	processes_case = out[1];
	free_case = out[2];
	processes_case.config = free_case.config = NULL;
}

/* ------------------------------------------------------------------ */
/* Step 5: the convoy. An I/O-bound thread wakes every millisecond (its  */
/* "I/O" is a timer), needs the lock for a few ticks, and measures how   */
/* long from the moment it was due to the moment it held the lock.       */

struct convoy {
	struct gil *gil; /* NULL: no lock */
	atomic_bool stop;
	double *response, *lock_wait; /* seconds, per wake-up */
	size_t n, cap;
	uint64_t io_ticks, cpu_ticks;
	uint64_t io_result, cpu_result;
};

static void *
convoy_cpu(void *arg)
{
	struct convoy *c = arg;

	pthread_setname_np(pthread_self(), "gil-cpu");
	c->cpu_result = interpret(c->gil, 0, my_tid(), seed(0), 0, &c->stop, &c->cpu_ticks);
	return NULL;
}

static double
timespec_seconds(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static void *
convoy_io(void *arg)
{
	struct convoy *c = arg;
	pid_t tid = my_tid();
	struct timespec due;
	uint64_t x = seed(1);

	pthread_setname_np(pthread_self(), "gil-io");
	while (!atomic_load(&c->stop) && c->n < c->cap) {
		double woke, held;

		/* The next "I/O" completes 1 ms after this one was handled. */
		due = pl_measure_deadline(CLOCK_MONOTONIC, IO_PERIOD_NS);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
			;
		woke = pl_measure_now();
		if (c->gil)
			gil_take(c->gil, 1, tid);
		held = pl_measure_now();
		for (int k = 0; k < IO_TICKS; k++)
			x = tick(x);
		c->io_ticks += IO_TICKS;
		if (c->gil)
			gil_drop(c->gil, 1);
		c->response[c->n] = held - timespec_seconds(&due);
		c->lock_wait[c->n] = held - woke;
		c->n++;
	}
	c->io_result = x;
	return NULL;
}

struct convoy_result {
	const char *name;
	size_t samples;
	double median_us, p99_us, wait_us;
	bool right;
	struct lock_counts counts;
};

static struct convoy_result convoy_results[3];
static int nconvoys;

static void
run_convoy(const char *name, bool locked, enum policy policy, double seconds)
{
	struct convoy_result *res = &convoy_results[nconvoys++];
	pthread_t cpu, io;
	struct convoy c;
	struct gil g;
	uint64_t x = seed(1);
	int rc;

	memset(&c, 0, sizeof(c));
	atomic_init(&c.stop, false);
	c.cap = (size_t)(seconds * 1e9 / IO_PERIOD_NS) + 16;
	c.response = calloc(c.cap, sizeof(double));
	c.lock_wait = calloc(c.cap, sizeof(double));
	if (c.response == NULL || c.lock_wait == NULL)
		pl_die("calloc");
	if (locked) {
		gil_init(&g, policy);
		c.gil = &g;
	}
	if ((rc = pthread_create(&cpu, NULL, convoy_cpu, &c)) != 0 ||
	    (rc = pthread_create(&io, NULL, convoy_io, &c)) != 0)
		pl_die_en(rc, "pthread_create");
	{
		struct timespec t = { (time_t)seconds,
			              (long)((seconds - (double)(time_t)seconds) * 1e9) };

		while (nanosleep(&t, &t) == -1 && errno == EINTR)
			;
	}
	atomic_store(&c.stop, true);
	if ((rc = pthread_join(io, NULL)) != 0 || (rc = pthread_join(cpu, NULL)) != 0)
		pl_die_en(rc, "pthread_join");
	if (locked)
		res->counts = gil_destroy(&g);

	for (uint64_t k = 0; k < c.io_ticks; k++)
		x = tick(x);
	res->name = name;
	res->samples = c.n;
	res->right = c.n > 0 && x == c.io_result && c.io_ticks == c.n * IO_TICKS &&
	             res->counts.violations == 0;
	if (c.n > 0) {
		res->p99_us = pl_measure_percentile(c.response, c.n, 99) * 1e6;
		res->median_us = pl_measure_median(c.response, c.n) * 1e6;
		res->wait_us = pl_measure_median(c.lock_wait, c.n) * 1e6;
	}
	pl_note("convoy",
	        PL_FIELDS(PL_STR("case", name), PL_BOOL("locked", locked),
	                  PL_STR("policy", locked ? policy_names[policy] : "none"),
	                  PL_INT("samples", (long long)c.n), PL_DOUBLE("median_us", res->median_us),
	                  PL_DOUBLE("p99_us", res->p99_us), PL_DOUBLE("lock_wait_us", res->wait_us),
	                  PL_INT("cpu_ticks", (long long)c.cpu_ticks),
	                  PL_INT("switches", res->counts.switches),
	                  PL_INT("handoffs", res->counts.handoffs),
	                  PL_INT("violations", res->counts.violations)),
	        "%-16s %zu wake-ups: response median %.0f us, p99 %.0f us (waiting for the lock: "
	        "median %.0f us)",
	        name, c.n, res->median_us, res->p99_us, res->wait_us);
	free(c.response);
	free(c.lock_wait);
}

static void
convoy(void)
{
	double seconds = (full ? 2.0 : 0.5) / pl_narrate_get_config()->speed;
	int right = 0;

	if (seconds < MIN_CONVOY_SECONDS)
		seconds = MIN_CONVOY_SECONDS;
	pl_step("convoy", PL_FIELDS(PL_DOUBLE("seconds", seconds)),
	        "the convoy: a thread that wakes every 1 ms and needs the lock briefly, next to "
	        "a CPU-bound thread");
	nconvoys = 0;
	run_convoy("no lock", false, NEW, seconds);
	for (int p = OLD; p <= NEW; p++)
		if (policy_on[p])
			run_convoy(p == OLD ? "old policy" : "new policy", true, (enum policy)p,
			           seconds);
	for (int i = 0; i < nconvoys; i++)
		right += convoy_results[i].right;
	pl_check("convoy-ran", right == nconvoys, PL_FIELDS(PL_INT("cases", nconvoys)),
	         "in all %d cases the I/O thread woke, got the lock, ran its ticks right, and "
	         "never shared the lock",
	         nconvoys);
}

/* ------------------------------------------------------------------ */
/* Step 6: what the figures say. They depend on the machine and its load, */
/* so they are reported with "held: yes/no", never checked.               */

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void
verdict(void)
{
	int cpus = CPU_COUNT(&original_cpus);

	pl_step("verdict", NULL,
	        "what the figures say (a benchmark result, not a check: it depends on the load)");
	for (int p = OLD; p <= NEW; p++) {
		double s;

		if (!policy_on[p])
			continue;
		s = unpinned[p][1].speedup;
		pl_note("held",
		        PL_FIELDS(PL_STR("claim", "gil-no-speedup"),
		                  PL_STR("policy", policy_names[p]), PL_DOUBLE("speedup", s),
		                  PL_BOOL("held", s <= 1.1)),
		        "%s policy: %d threads under the lock reach at most 1.1x: %.2fx, held: %s",
		        policy_names[p], nthreads, s, yes_no(s <= 1.1));
		s = pinned_cases[p][1].speedup;
		pl_note("held",
		        PL_FIELDS(PL_STR("claim", "pinned-costs-little"),
		                  PL_STR("policy", policy_names[p]), PL_DOUBLE("speedup", s),
		                  PL_BOOL("held", s >= 0.9)),
		        "%s policy, pinned to one CPU: the lock costs at most 10%%: %.2fx, held: %s",
		        policy_names[p], s, yes_no(s >= 0.9));
	}
	if (policy_on[OLD] && cpus >= 2) {
		double s = unpinned[OLD][1].speedup;

		pl_note("held",
		        PL_FIELDS(PL_STR("claim", "old-slower-than-sequential"),
		                  PL_INT("cpus", cpus), PL_DOUBLE("speedup", s),
		                  PL_BOOL("held", s < 1.0)),
		        "old policy, unpinned on %d CPUs: slower than one thread: %.2fx, held: %s",
		        cpus, s, yes_no(s < 1.0));
	}
	pl_note("held",
	        PL_FIELDS(PL_STR("claim", "processes-scale"), PL_INT("processes", nthreads),
	                  PL_DOUBLE("speedup", processes_case.speedup),
	                  PL_BOOL("held", processes_case.speedup >= 1.8)),
	        "%d processes reach at least 1.8x: %.2fx, held: %s (threads with no lock: %.2fx)",
	        nthreads, processes_case.speedup, yes_no(processes_case.speedup >= 1.8),
	        free_case.speedup);
	for (int i = 1; i < nconvoys; i++) {
		double ratio = convoy_results[0].median_us > 0
		                       ? convoy_results[i].median_us / convoy_results[0].median_us
		                       : 0;

		pl_note("held",
		        PL_FIELDS(PL_STR("claim", "convoy"), PL_STR("case", convoy_results[i].name),
		                  PL_DOUBLE("ratio", ratio), PL_BOOL("held", ratio >= 10)),
		        "%s: the I/O thread's response is at least 10x worse under the lock: %.0fx "
		        "(%.0f against %.0f us), held: %s",
		        convoy_results[i].name, ratio, convoy_results[i].median_us,
		        convoy_results[0].median_us, yes_no(ratio >= 10));
	}
}

/* ------------------------------------------------------------------ */

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);

	if (strcmp(policy_choice, "both") == 0)
		policy_on[OLD] = policy_on[NEW] = true;
	else if (strcmp(policy_choice, "old") == 0)
		policy_on[OLD] = true;
	else if (strcmp(policy_choice, "new") == 0)
		policy_on[NEW] = true;
	else
		pl_die_usage("--policy must be old, new or both, not '%s'", policy_choice);
	if (full && (work_seconds != 0 || repeats != 0))
		pl_die_usage("--full sets --work and --repeats: give one or the other");
	if (work_seconds == 0)
		work_seconds = full ? 2.0 : 0.2;
	if (repeats == 0)
		repeats = full ? 5 : 3;
	nthreads = (int)threads_wanted;
	switch_interval_ns = (long)(switch_interval_ms * 1e6);
	check_every = check_interval;

	if (sched_getaffinity(0, sizeof(original_cpus), &original_cpus) == -1)
		pl_die("sched_getaffinity");
	for (int cpu = 0; cpu < CPU_SETSIZE && pinned_cpu == -1; cpu++)
		if (CPU_ISSET(cpu, &original_cpus))
			pinned_cpu = cpu;
	snprintf(pinned_cpu_text, sizeof(pinned_cpu_text), "%d", pinned_cpu);

	calibrate();
	threads_under_lock(false);
	threads_under_lock(true);
	processes_and_free_threads();
	convoy();
	verdict();

	return pl_demo_finish();
}
