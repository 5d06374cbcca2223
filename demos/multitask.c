/* multitask.c - multitasking (time-slicing one CPU) against multiprocessing
 * (running in parallel on several CPUs), with the same CPU-bound work.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. N CPU-bound processes pinned to ONE CPU (sched_setaffinity; the
 *      kernel's Cpus_allowed_list says so) all make progress at once, but
 *      only by taking turns: the wall-clock time is the SUM of their CPU
 *      times, each one's run spans the whole time, and the scheduler
 *      preempts them again and again (involuntary context switches, from
 *      getrusage and from /proc/PID/status).
 *   2. the same processes allowed on every CPU run in parallel: the wall
 *      time is about the CPU time of ONE, and the speedup is about the
 *      number of cores.
 *   3. for work that waits (I/O-bound: here, naps) one CPU is enough: N
 *      waiting processes time-sliced on one CPU finish in the time of one,
 *      and switch voluntarily, each time they wait.
 * Each figure is the median of several runs after a warm-up run. The
 * speedup is a benchmark result, printed with "held: yes" or "no", never
 * checked; the checks are what holds on any machine under any load.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   worker()        the work each process does
 *   one_core()      multitasking: processes take turns on one CPU
 *   all_cores()     multiprocessing: the same processes on every CPU
 *   waiting_work()  work that waits: more processes than CPUs pays
 *
 * Usage:     proclab-multitask [--workers N] [--full] [--runs R] [--work SECONDS]
 *                [--naps K]
 * Dashboard: `proclab multitask`: in step 1 N workers, all on one CPU, in
 *            state R but taking turns; in step 2 the same on every CPU.
 * Lesson:    lessons/19-multitask.md
 */
#include "config.h"

#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_WORKERS 16
#define MAX_RUNS 15
#define HEAR_TIMEOUT_MS 30000
#define MIN_WORK 0.03     /* seconds of CPU a worker: the floor under --speed */
#define MIN_NAPS 5
#define NAP_SECONDS 0.01  /* one wait of an I/O-bound worker */

static long workers, runs, naps = 20;
static double work;
static bool full;

static const struct pl_option options[] = {
	{ "workers", 'n', PL_OPT_INT, "N", "worker processes (default: one per CPU, at least 2)", 1,
	  MAX_WORKERS, &workers },
	{ "full", 0, PL_OPT_FLAG, NULL, "the full measurement: 2 s of CPU a worker, 5 runs", 0, 0,
	  &full },
	{ "runs", 'r', PL_OPT_INT, "R", "measured runs of each figure (default 3, full 5)", 1,
	  MAX_RUNS, &runs },
	{ "work", 'w', PL_OPT_DOUBLE, "SECONDS",
	  "CPU seconds of work for each worker (default 0.3, full 2)", MIN_WORK, 60, &work },
	{ "naps", 'k', PL_OPT_INT, "K", "waits of 10 ms for each I/O-bound worker (default 20)",
	  MIN_NAPS, 1000, &naps },
};

static const struct pl_demo demo = {
	.name = "multitask",
	.summary = "The same work time-sliced on one CPU, then in parallel on every CPU.",
	.description = "Each claim is checked while the demo runs: affinity against\n"
	               "/proc/PID/status, CPU time against the wall clock, context switches\n"
	               "from getrusage() and from /proc. The speedup is measured (medians\n"
	               "after a warm-up) and compared with issue 7's target, never checked.",
	.lesson = "19-multitask.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

static int nworkers, ncpus;
static int one_cpu;                 /* the CPU of step 1 and 3 */
static char all_cpus_list[256];     /* this process's Cpus_allowed_list */
static uint64_t iterations;         /* WORK seconds of CPU on this machine */
static double job;                  /* WORK after --speed */
static long nap_count;

/* ------------------------------------------------------------------ */
/* One worker process: CPU-bound (pl_measure_crunch) or waiting.        */

enum kind { CPU_BOUND, IO_BOUND };

/* What a worker tells its parent when it is done. */
struct report {
	double start, end;        /* CLOCK_MONOTONIC, shared by all processes */
	double cpu;               /* CPU seconds it used meanwhile */
	long voluntary;           /* context switches meanwhile: it waited */
	long involuntary;         /* ... it was preempted */
	int cpu_at_end;           /* sched_getcpu() */
	uint64_t sum;
};

static void
worker(enum kind kind, int pin)
{
	struct timespec nap = { 0, (long)(NAP_SECONDS * 1e9) };
	struct rusage before, after;
	struct report me;
	char ready = 1;

	if (pin >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(pin, &set);
		if (sched_setaffinity(0, sizeof(set), &set) == -1)
			pl_die("sched_setaffinity");
	}
	pl_child_tell(&ready, 1);
	pl_child_hold(); /* the start line */

	/* This thread's CPU time and switches. A worker is one thread;
	 * counting that thread alone keeps out any thread a sanitizer's runtime
	 * adds, and matches what /proc/PID/status counts: the main task. */
	getrusage(RUSAGE_THREAD, &before);
	me.start = pl_measure_now();
	double cpu0 = pl_measure_thread_cpu();
	if (kind == CPU_BOUND)
		me.sum = pl_measure_crunch(0, iterations);
	else
		for (long i = 0; i < nap_count; i++)
			nanosleep(&nap, NULL); /* stands for waiting on a disk or a network */
	me.cpu = pl_measure_thread_cpu() - cpu0;
	me.end = pl_measure_now();
	getrusage(RUSAGE_THREAD, &after);
	me.voluntary = after.ru_nvcsw - before.ru_nvcsw;
	me.involuntary = after.ru_nivcsw - before.ru_nivcsw;
	me.cpu_at_end = sched_getcpu();
	pl_child_tell(&me, sizeof(me));
	pl_child_hold(); /* while the parent reads our counts in /proc */
	_exit(EXIT_SUCCESS);
}

/* ------------------------------------------------------------------ */
/* One run: N workers, pinned to one CPU or not, released together.     */

struct run {
	double wall;              /* release to the last report */
	double cpu_sum, cpu_max;  /* CPU seconds of the workers */
	long voluntary, involuntary;
	int allowed_right;        /* workers whose Cpus_allowed_list was right */
	int counted_right;        /* /proc's count >= the worker's own */
	int on_cpu;               /* pinned: workers that ended on that CPU */
	int sums_right;
	bool overlapped;          /* every worker started before any ended */
	char allowed[256];        /* the first worker's Cpus_allowed_list */
};

static struct run
run_once(enum kind kind, bool pinned, uint64_t expected)
{
	struct report reports[MAX_WORKERS];
	pid_t pids[MAX_WORKERS];
	struct run r;
	char want[16], got[256];
	double last_start = 0, first_end = 1e300;
	int timeout = (int)(job * nworkers * 20000) + HEAR_TIMEOUT_MS;

	memset(&r, 0, sizeof(r));
	snprintf(want, sizeof(want), "%d", one_cpu);
	for (int i = 0; i < nworkers; i++) {
		switch (pids[i] = pl_fork("worker", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child */
			worker(kind, pinned ? one_cpu : -1);
			break;
		default: /* Parent: go on forking */
			break;
		}
	}
	/* Each worker is at the start line: ask the kernel where it may run. */
	for (int i = 0; i < nworkers; i++) {
		char ready;

		if (pl_child_hear(pids[i], &ready, 1, timeout) == -1)
			pl_die("hearing from worker %ld", (long)pids[i]);
		if (pl_procfs_field(pids[i], "status", "Cpus_allowed_list", got, sizeof(got)) != 0)
			got[0] = '\0';
		if (i == 0)
			snprintf(r.allowed, sizeof(r.allowed), "%s", got);
		r.allowed_right += strcmp(got, pinned ? want : all_cpus_list) == 0;
	}

	double start = pl_measure_now();
	for (int i = 0; i < nworkers; i++)
		pl_child_release(pids[i]);
	for (int i = 0; i < nworkers; i++)
		if (pl_child_hear(pids[i], &reports[i], sizeof(reports[i]), timeout) == -1)
			pl_die("hearing from worker %ld", (long)pids[i]);
	r.wall = pl_measure_now() - start;

	for (int i = 0; i < nworkers; i++) {
		const struct report *w = &reports[i];
		unsigned long long outside_v = 0, outside_i = 0;

		/* The same counters, read from outside the worker. They count its
		 * whole life, so they can only be larger than its own. */
		pl_procfs_number(pids[i], "status", "voluntary_ctxt_switches", 10, &outside_v);
		pl_procfs_number(pids[i], "status", "nonvoluntary_ctxt_switches", 10, &outside_i);
		r.counted_right += (long long)outside_v >= w->voluntary &&
		                   (long long)outside_i >= w->involuntary;
		r.cpu_sum += w->cpu;
		r.cpu_max = w->cpu > r.cpu_max ? w->cpu : r.cpu_max;
		r.voluntary += w->voluntary;
		r.involuntary += w->involuntary;
		r.on_cpu += w->cpu_at_end == one_cpu;
		r.sums_right += kind == IO_BOUND || w->sum == expected;
		last_start = w->start > last_start ? w->start : last_start;
		first_end = w->end < first_end ? w->end : first_end;
		pl_child_release(pids[i]);
	}
	r.overlapped = last_start < first_end;
	for (int i = 0; i < nworkers; i++)
		if (pl_child_wait(pids[i], NULL, 0) == -1)
			pl_die("waitpid");
	return r;
}

/* ------------------------------------------------------------------ */
/* Repeated runs, medians, and the claims every run must keep.          */

struct figure {
	double wall, cpu_sum, cpu_max, spread;
	double voluntary, involuntary;  /* medians, summed over the workers */
	bool allowed, counted, on_cpu, sums, overlapped;
	char allowed_list[256];
};

static struct figure
measure(enum kind kind, bool pinned, uint64_t expected)
{
	double wall[MAX_RUNS], sum[MAX_RUNS], max[MAX_RUNS], vol[MAX_RUNS], invol[MAX_RUNS];
	struct figure f;

	memset(&f, 0, sizeof(f));
	f.allowed = f.counted = f.on_cpu = f.sums = f.overlapped = true;
	run_once(kind, pinned, expected); /* warm-up: caches, CPU frequency */
	for (int i = 0; i < runs; i++) {
		struct run r = run_once(kind, pinned, expected);

		wall[i] = r.wall;
		sum[i] = r.cpu_sum;
		max[i] = r.cpu_max;
		vol[i] = (double)r.voluntary;
		invol[i] = (double)r.involuntary;
		f.allowed = f.allowed && r.allowed_right == nworkers;
		f.counted = f.counted && r.counted_right == nworkers;
		f.on_cpu = f.on_cpu && r.on_cpu == nworkers;
		f.sums = f.sums && r.sums_right == nworkers;
		f.overlapped = f.overlapped && r.overlapped;
		snprintf(f.allowed_list, sizeof(f.allowed_list), "%s", r.allowed);
	}
	f.wall = pl_measure_median_spread(wall, (size_t)runs, &f.spread);
	f.cpu_sum = pl_measure_median_spread(sum, (size_t)runs, NULL);
	f.cpu_max = pl_measure_median_spread(max, (size_t)runs, NULL);
	f.voluntary = pl_measure_median_spread(vol, (size_t)runs, NULL);
	f.involuntary = pl_measure_median_spread(invol, (size_t)runs, NULL);
	return f;
}

static void
report_figure(const char *mode, const struct figure *f)
{
	pl_note("figure",
	        PL_FIELDS(PL_STR("mode", mode), PL_INT("workers", nworkers), PL_INT("runs", runs),
	                  PL_STR("cpus_allowed", f->allowed_list),
	                  PL_DOUBLE("wall_seconds", f->wall), PL_DOUBLE("spread_pct", f->spread),
	                  PL_DOUBLE("cpu_sum_seconds", f->cpu_sum),
	                  PL_DOUBLE("cpu_max_seconds", f->cpu_max),
	                  PL_DOUBLE("voluntary", f->voluntary),
	                  PL_DOUBLE("involuntary", f->involuntary)),
	        "%s: median %.3f s wall (spread %.0f%%); CPU %.3f s in all, %.3f s the most of one; "
	        "%.0f voluntary and %.0f involuntary switches",
	        mode, f->wall, f->spread, f->cpu_sum, f->cpu_max, f->voluntary, f->involuntary);
	pl_check("counts-agree", f->counted, NULL,
	         "%s: /proc/PID/status counts at least the switches each worker counted itself",
	         mode);
}

/* Step 1: multitasking. */
static struct figure
one_core(uint64_t expected)
{
	struct figure f;

	pl_step("one-cpu",
	        PL_FIELDS(PL_INT("workers", nworkers), PL_INT("cpu", one_cpu),
	                  PL_DOUBLE("work_seconds", job)),
	        "multitasking: %d CPU-bound processes, %.2f s of CPU each, time-sliced on CPU %d",
	        nworkers, job, one_cpu);
	f = measure(CPU_BOUND, true, expected);
	report_figure("one CPU", &f);
	pl_check("pinned", f.allowed && f.on_cpu && f.sums,
	         PL_FIELDS(PL_STR("cpus_allowed", f.allowed_list)),
	         "the kernel lets every worker run on CPU %d only (Cpus_allowed_list: %s), and each "
	         "computed the right sum",
	         one_cpu, f.allowed_list);
	pl_check("wall-is-sum-of-cpu", f.wall >= 0.95 * f.cpu_sum,
	         PL_FIELDS(PL_DOUBLE("ratio", f.wall / f.cpu_sum)),
	         "one CPU gives at most one CPU-second a second: the wall time (%.3f s) is at least "
	         "the sum of the CPU times (%.3f s)",
	         f.wall, f.cpu_sum);
	if (nworkers > 1) {
		pl_check("taking-turns", f.overlapped && f.involuntary > 0,
		         PL_FIELDS(PL_DOUBLE("involuntary", f.involuntary)),
		         "all ran at once by taking turns: every worker started before any finished, "
		         "and the scheduler preempted them %.0f times",
		         f.involuntary);
	}
	return f;
}

/* Step 2: multiprocessing. */
static struct figure
all_cores(uint64_t expected)
{
	struct figure f;

	pl_step("all-cpus", PL_FIELDS(PL_INT("workers", nworkers), PL_INT("cpus", ncpus)),
	        "multiprocessing: the same %d processes, free to run on all %d CPUs (%s)", nworkers,
	        ncpus, all_cpus_list);
	f = measure(CPU_BOUND, false, expected);
	report_figure("all CPUs", &f);
	pl_check("unpinned", f.allowed && f.sums,
	         PL_FIELDS(PL_STR("cpus_allowed", f.allowed_list)),
	         "the kernel lets every worker run on CPUs %s, and each computed the right sum",
	         f.allowed_list);
	return f;
}

/* Step 3: work that waits. */
static struct figure
waiting_work(void)
{
	struct figure f;

	pl_step("io-bound-one-cpu",
	        PL_FIELDS(PL_INT("workers", nworkers), PL_INT("naps", nap_count)),
	        "work that waits: %d processes, each waiting %ld times for 10 ms, on CPU %d only",
	        nworkers, nap_count, one_cpu);
	f = measure(IO_BOUND, true, 0);
	report_figure("waiting, one CPU", &f);
	pl_check("waits-are-voluntary", f.allowed && f.voluntary >= (double)(nworkers * nap_count),
	         NULL,
	         "every wait was a voluntary switch: at least %ld, counted by the kernel",
	         nworkers * nap_count);
	return f;
}

/* Step 4: the figures against issue 7's targets. Reported, never checked. */
static void
verdict(const struct figure *one, const struct figure *all, const struct figure *io)
{
	int parallel = nworkers < ncpus ? nworkers : ncpus;
	double speedup = one->wall / all->wall, target = 0.9 * parallel;
	double waiting = io->wall / ((double)nap_count * NAP_SECONDS);

	pl_step("verdict", NULL,
	        "what the figures say (a benchmark result, not a check: it depends on the load)");
	pl_note("one-cpu-held",
	        PL_FIELDS(PL_DOUBLE("wall_over_cpu_sum", one->wall / one->cpu_sum),
	                  PL_DOUBLE("involuntary_per_worker", one->involuntary / nworkers)),
	        "one CPU: wall / sum of CPU = %.2f (1 when it did nothing else); %.0f preemptions "
	        "a worker",
	        one->wall / one->cpu_sum, one->involuntary / nworkers);
	pl_note("all-cpus-held",
	        PL_FIELDS(PL_DOUBLE("wall_over_cpu_max", all->wall / all->cpu_max),
	                  PL_DOUBLE("involuntary_per_worker", all->involuntary / nworkers)),
	        "all CPUs: wall / CPU of one = %.2f (1 when each had a CPU to itself); %.0f "
	        "preemptions a worker",
	        all->wall / all->cpu_max, all->involuntary / nworkers);
	pl_note("speedup-held",
	        PL_FIELDS(PL_DOUBLE("speedup", speedup), PL_DOUBLE("target", target),
	                  PL_INT("workers", nworkers), PL_INT("cpus", ncpus),
	                  PL_BOOL("held", speedup >= target)),
	        "parallel against time-sliced: speedup %.2fx, with %d workers on %d CPUs; at least "
	        "%.1fx held: %s",
	        speedup, nworkers, ncpus, target, speedup >= target ? "yes" : "no");
	pl_note("waiting-held",
	        PL_FIELDS(PL_DOUBLE("wall_over_one", waiting), PL_BOOL("held", waiting < 1.5)),
	        "waiting work on one CPU took %.2fx the time of one worker alone (%d would take "
	        "%dx in turn); under 1.5x held: %s",
	        waiting, nworkers, nworkers, waiting < 1.5 ? "yes" : "no");
}

/* ------------------------------------------------------------------ */

static void
settle_options(void)
{
	cpu_set_t set;
	double speed = pl_narrate_get_config()->speed;

	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		pl_die("sched_getaffinity");
	ncpus = CPU_COUNT(&set);
	for (one_cpu = 0; !CPU_ISSET(one_cpu, &set); one_cpu++)
		continue;
	if (pl_procfs_field(getpid(), "status", "Cpus_allowed_list", all_cpus_list,
	                    sizeof(all_cpus_list)) != 0)
		pl_die("reading /proc/%ld/status", (long)getpid());
	if (workers == 0)
		workers = ncpus < 2 ? 2 : ncpus > MAX_WORKERS ? MAX_WORKERS : ncpus;
	nworkers = (int)workers;
	if (runs == 0)
		runs = full ? 5 : 3;
	if (work == 0)
		work = full ? 2.0 : 0.3;
	job = work / speed < MIN_WORK ? MIN_WORK : work / speed;
	nap_count = (long)((double)naps / speed);
	nap_count = nap_count < MIN_NAPS ? MIN_NAPS : nap_count;
}

int
main(int argc, char *argv[])
{
	struct figure one, all, io;

	pl_demo_init(argc, argv, &demo);
	settle_options();
	/* A probe of 50 ms of CPU for a steady rate, shorter at --speed. */
	iterations = pl_measure_calibrate(job, 0.05 / pl_narrate_get_config()->speed + 0.005);

	uint64_t expected = pl_measure_crunch(0, iterations);
	one = one_core(expected);
	all = all_cores(expected);
	io = waiting_work();
	verdict(&one, &all, &io);

	return pl_demo_finish();
}
