/* prio-inversion.c - priority inversion, and priority inheritance.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. three SCHED_FIFO threads on one CPU - "low" (priority 10) holding a
 *      mutex, "high" (30) waiting for it, and "medium" (20), which wants no
 *      lock at all and spins for --spin ms - invert their priorities: medium
 *      preempts low, low cannot finish its critical section, so high waits
 *      for as long as medium spins. /proc/PID/task/TID/stat shows low at its
 *      own priority (field 18: -11) all the while.
 *   2. the same three threads with a PTHREAD_PRIO_INHERIT mutex: while high
 *      waits, the kernel runs low at high's priority (field 18: -31; field
 *      40, the priority it was given, still 10), so medium cannot preempt
 *      it, and high's wait shrinks to what was left of low's critical
 *      section. Medium runs only after high is done.
 *
 * Real-time threads can take a CPU from everything else, so every loop is
 * bounded: medium spins by the wall clock, low's critical section is
 * --hold ms of its own CPU time with a wall-clock limit too; RLIMIT_RTTIME
 * has the kernel kill the demo if a thread ever ran 2 s without sleeping;
 * the main thread directs each round from a higher priority still (40)
 * and, if a round overruns, puts the threads back to SCHED_OTHER. All
 * are threads of one process: a SIGKILL of the demo ends them all.
 *
 * SCHED_FIFO needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least 40
 * (sched(7)). Without either the demo says so in one line and exits 0.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   low_main()     low takes the lock, then works
 *   high_main()    high wants the lock, and sleeps until low lets go
 *   medium_main()  medium, with no lock, keeps low off the CPU
 *   start_fifo()   a SCHED_FIFO thread of a priority on one CPU
 *
 * Usage:     proclab-prio-inversion [--spin MS] [--hold MS]
 * Dashboard: `proclab prio-inversion`, then t for threads: high asleep on
 *            the mutex, low and medium runnable on one CPU; in step 2 low
 *            runs first, medium after high.
 * Lesson:    lessons/24-prio-inversion.md
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

/* The three threads' priorities, and the main thread's while it directs a
 * round: above them all, so it can always act, and asleep nearly always. */
#define LOW 10
#define MEDIUM 20
#define HIGH 30
#define DIRECTOR 40

#define RTTIME_US 2000000 /* RLIMIT_RTTIME: the kernel's watchdog */
#define ROUND_LIMIT 5.0   /* seconds: the main thread's watchdog */

static long spin_ms = 300, hold_ms = 20;

static const struct pl_option options[] = {
	{ "spin", 's', PL_OPT_INT, "MS", "how long medium spins, by the wall clock", 50, 600,
	  &spin_ms },
	{ "hold", 'H', PL_OPT_INT, "MS", "low's critical section, in its own CPU time", 10, 200,
	  &hold_ms },
};

static const struct pl_demo demo = {
	.name = "prio-inversion",
	.summary = "Priority inversion on one CPU, and priority inheritance as the cure.",
	.description = "Each claim is checked while the demo runs: the threads' policy and\n"
	               "priorities in /proc/PID/task/TID/stat (fields 18, 40 and 41), the\n"
	               "CPU they ran on, and when each thread began, waited and ended.\n"
	               "It needs CAP_SYS_NICE or RLIMIT_RTPRIO of 40 (ulimit -r); without\n"
	               "them it says so and exits 0.",
	.lesson = "24-prio-inversion.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* One round: what the three threads share, and when each did what.    */

struct round {
	pthread_mutex_t lock;
	int cpu;        /* the one CPU all of them run on */
	double give_up; /* pl_measure_now(): no loop runs past this */
	atomic_bool low_holds, low_lets_go, high_asks;
	atomic_int low_tid, high_tid, medium_tid;
	/* pl_measure_now() at each moment; 0 until it happens */
	double low_locked, low_unlocked;
	double high_asked;
	double high_got;
	double medium_began, medium_ended;
	double low_cpu_ms; /* CPU time low spent in its critical section */
};

/* Low: lock, then --hold ms of work. Its own CPU clock measures the work,
 * so a preemption stretches the section in time but not in work done. */
static void *
low_main(void *arg)
{
	struct round *r = arg;
	double start;

	pthread_setname_np(pthread_self(), "low");
	atomic_store(&r->low_tid, gettid());
	pthread_mutex_lock(&r->lock);
	r->low_locked = pl_measure_now();
	atomic_store(&r->low_holds, true);
	/* ============ CRITICAL SECTION =================================== */
	start = pl_measure_thread_cpu();
	while (pl_measure_thread_cpu() - start < hold_ms / 1e3 && pl_measure_now() < r->give_up)
		continue;
	r->low_cpu_ms = (pl_measure_thread_cpu() - start) * 1e3;
	r->low_unlocked = pl_measure_now();
	atomic_store(&r->low_lets_go, true);
	/* ============ END OF CRITICAL SECTION ============================ */
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* High: wants the lock, sleeps until low lets it go. */
static void *
high_main(void *arg)
{
	struct round *r = arg;

	pthread_setname_np(pthread_self(), "high");
	atomic_store(&r->high_tid, gettid());
	r->high_asked = pl_measure_now();
	atomic_store(&r->high_asks, true);
	pthread_mutex_lock(&r->lock);
	r->high_got = pl_measure_now();
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Medium: no lock, just work, for --spin ms of the wall clock. */
static void *
medium_main(void *arg)
{
	struct round *r = arg;
	double end;

	pthread_setname_np(pthread_self(), "medium");
	atomic_store(&r->medium_tid, gettid());
	r->medium_began = pl_measure_now();
	end = r->medium_began + spin_ms / 1e3;
	while (pl_measure_now() < end && pl_measure_now() < r->give_up)
		continue;
	r->medium_ended = pl_measure_now();
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Plumbing: real-time threads on one CPU.                             */

/* A SCHED_FIFO thread of PRIORITY on CPU. It starts with the termination
 * signals blocked, so that Ctrl-C is taken by the main thread, the one
 * that always gets a CPU (it directs from the top priority). Returns 0 or
 * a pthread error: EPERM without the privilege. */
static int
start_fifo(pthread_t *thread, void *(*fn)(void *), struct round *r, int priority)
{
	struct sched_param param = { .sched_priority = priority };
	pthread_attr_t attr;
	cpu_set_t one;
	sigset_t saved;
	int err;

	CPU_ZERO(&one);
	CPU_SET(r->cpu, &one);
	pthread_attr_init(&attr);
	/* Without EXPLICIT_SCHED a new thread takes its creator's policy. */
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &param);
	pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
	pl_cleanup_hold(&saved);
	err = pthread_create(thread, &attr, fn, r);
	pl_cleanup_release(&saved);
	pthread_attr_destroy(&attr);
	return err;
}

static cpu_set_t all_cpus; /* what the demo may use, from sched_getaffinity() */

/* The main thread directs a round from priority DIRECTOR on the round's
 * CPU, then steps down to SCHED_OTHER on every CPU. */
static int
direct(int cpu)
{
	struct sched_param param = { .sched_priority = DIRECTOR };
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == -1)
		return errno;
	return pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
}

static void
step_down(void)
{
	struct sched_param param = { .sched_priority = 0 };
	int err = pthread_setschedparam(pthread_self(), SCHED_OTHER, &param);

	if (err != 0)
		pl_die_en(err, "pthread_setschedparam(SCHED_OTHER)");
	if (sched_setaffinity(0, sizeof(all_cpus), &all_cpus) == -1)
		pl_die("sched_setaffinity");
}

/* Sleep a millisecond at a time until FLAG is set; false at the deadline. */
static bool
nap_until(atomic_bool *flag, double deadline)
{
	while (!atomic_load(flag)) {
		if (pl_measure_now() > deadline)
			return false;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return true;
}

static pid_t
tid_of(atomic_int *tid, double deadline)
{
	while (atomic_load(tid) == 0 && pl_measure_now() < deadline)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	return atomic_load(tid);
}

/* The watchdog's join: by the deadline, or else every thread of the round
 * goes back to SCHED_OTHER, where it can starve nobody, and the demo
 * stops. Its loops are bounded too, so they end soon after. */
static void
join_by(pthread_t thread, const pthread_t *all, int n, double deadline)
{
	struct timespec at = pl_measure_deadline(CLOCK_REALTIME,
	                                         (long long)((deadline - pl_measure_now()) * 1e9));
	struct sched_param other = { .sched_priority = 0 };
	int err = pthread_timedjoin_np(thread, NULL, &at);

	if (err == 0)
		return;
	for (int i = 0; i < n; i++)
		pthread_setschedparam(all[i], SCHED_OTHER, &other);
	step_down();
	pl_die_en(err, "a round ran over %.0f s: its threads were set back to SCHED_OTHER",
	          ROUND_LIMIT);
}

/* ------------------------------------------------------------------ */
/* A round, directed by the main thread.                                */

struct view {
	struct pl_proc low, high, medium; /* /proc/self/task/TID/stat */
	bool high_waiting;                /* low still held the lock, and high
	                                   * waited for it, when they were read */
};

static void
read_task(pid_t tid, struct pl_proc *p)
{
	if (pl_procfs_read(tid, p) != 0)
		*p = (struct pl_proc){ .state = '?', .policy = -1, .processor = -1 };
}

static void
run_round(struct round *r, bool inherit, int cpu, struct view *v)
{
	pthread_mutexattr_t attr;
	pthread_t t[3];
	double deadline;
	int err;

	*r = (struct round){ .cpu = cpu };
	pthread_mutexattr_init(&attr);
	/* The one difference between the rounds (pthread_mutexattr_setprotocol(3p)). */
	pthread_mutexattr_setprotocol(&attr, inherit ? PTHREAD_PRIO_INHERIT : PTHREAD_PRIO_NONE);
	if ((err = pthread_mutex_init(&r->lock, &attr)) != 0)
		pl_die_en(err, "pthread_mutex_init");
	pthread_mutexattr_destroy(&attr);

	if ((err = direct(cpu)) != 0)
		pl_die_en(err, "becoming SCHED_FIFO %d on CPU %d", DIRECTOR, cpu);
	deadline = pl_measure_now() + ROUND_LIMIT;
	r->give_up = deadline - 1.0;

	/* 1. Low starts and takes the lock. */
	if ((err = start_fifo(&t[0], low_main, r, LOW)) != 0)
		pl_die_en(err, "pthread_create(low)");
	if (!nap_until(&r->low_holds, deadline))
		pl_die_en(ETIMEDOUT, "low never took the lock");
	/* 2. High starts, asks for the lock, and sleeps: the kernel says S. */
	if ((err = start_fifo(&t[1], high_main, r, HIGH)) != 0)
		pl_die_en(err, "pthread_create(high)");
	if (!nap_until(&r->high_asks, deadline) ||
	    pl_procfs_wait_state(atomic_load(&r->high_tid), "S", 1000, NULL) != 0)
		pl_die("high never slept on the lock");
	/* 3. What the kernel says about low and high now, while high waits:
	 * with inheritance, low already runs at high's priority. */
	read_task(atomic_load(&r->low_tid), &v->low);
	read_task(atomic_load(&r->high_tid), &v->high);
	v->high_waiting = !atomic_load(&r->low_lets_go);
	/* 4. Medium starts. Without inheritance it preempts low, and spins;
	 * with it, medium runs only once high is done. */
	if ((err = start_fifo(&t[2], medium_main, r, MEDIUM)) != 0)
		pl_die_en(err, "pthread_create(medium)");
	read_task(tid_of(&r->medium_tid, deadline), &v->medium);

	for (int i = 0; i < 3; i++)
		join_by(t[i], t, 3, deadline);
	step_down();
	pthread_mutex_destroy(&r->lock);
}

/* ------------------------------------------------------------------ */
/* What a round showed.                                                  */

static double
ms(double from, double to)
{
	return (to - from) * 1e3;
}

static void
show_tasks(const char *mode, const struct round *r, const struct view *v)
{
	const struct pl_proc *p[] = { &v->low, &v->medium, &v->high };
	const char *name[] = { "low", "medium", "high" };
	int tid[] = { atomic_load(&r->low_tid), atomic_load(&r->medium_tid),
		      atomic_load(&r->high_tid) };

	for (int i = 0; i < 3; i++)
		pl_note("task",
		        PL_FIELDS(PL_STR("mode", mode), PL_STR("thread", name[i]),
		                  PL_INT("tid", tid[i]), PL_CHAR("state", p[i]->state),
		                  PL_INT("policy", p[i]->policy),
		                  PL_INT("rt_priority", p[i]->rt_priority),
		                  PL_INT("priority", p[i]->priority),
		                  PL_INT("cpu", p[i]->processor), PL_STR("wchan", p[i]->wchan)),
		        "/proc/%d/task/%d/stat: %-6s state %c, policy %d, rt_priority %2d, "
		        "priority %ld, CPU %d",
		        (int)getpid(), tid[i], name[i], p[i]->state, p[i]->policy,
		        p[i]->rt_priority, p[i]->priority, p[i]->processor);
	/* Where high sleeps names the kind of lock: a plain futex wait, or
	 * the kernel's rt_mutex, which a PI futex is made of
	 * (Documentation/locking/pi-futex.rst). The name changes between
	 * kernel versions. */
	pl_note("waiter", PL_FIELDS(PL_STR("mode", mode), PL_STR("wchan", v->high.wchan)),
	        "high sleeps in the kernel's %s", v->high.wchan[0] ? v->high.wchan : "?");
}

/* Each thread is SCHED_FIFO (policy 1) at the priority it was given. */
static bool
as_given(const struct view *v, int cpu)
{
	return v->low.policy == SCHED_FIFO && v->low.rt_priority == LOW &&
	       v->medium.policy == SCHED_FIFO && v->medium.rt_priority == MEDIUM &&
	       v->high.policy == SCHED_FIFO && v->high.rt_priority == HIGH &&
	       v->low.processor == cpu && v->high.processor == cpu;
}

static void
show_timeline(const char *mode, const struct round *r)
{
	double got = r->high_got;

	pl_note("timeline",
	        PL_FIELDS(PL_STR("mode", mode), PL_DOUBLE("high_wait_ms", ms(r->high_asked, got)),
	                  PL_DOUBLE("low_section_ms", ms(r->low_locked, r->low_unlocked)),
	                  PL_DOUBLE("low_cpu_ms", r->low_cpu_ms),
	                  PL_DOUBLE("medium_began_ms", ms(r->high_asked, r->medium_began)),
	                  PL_DOUBLE("medium_ended_ms", ms(r->high_asked, r->medium_ended)),
	                  PL_DOUBLE("low_unlocked_ms", ms(r->high_asked, r->low_unlocked)),
	                  PL_DOUBLE("high_got_ms", ms(r->high_asked, got))),
	        "from high's request: medium spun from %.1f to %.1f ms; low unlocked at %.1f ms "
	        "(its section: %.1f ms of CPU in %.1f ms); high got the lock at %.1f ms",
	        ms(r->high_asked, r->medium_began), ms(r->high_asked, r->medium_ended),
	        ms(r->high_asked, r->low_unlocked), r->low_cpu_ms,
	        ms(r->low_locked, r->low_unlocked), ms(r->high_asked, got));
}

static int cpu_used;

static long
proc_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long value = 0;

	if (f == NULL || fscanf(f, "%ld", &value) != 1)
		value = 0;
	if (f != NULL)
		fclose(f);
	return value;
}

/* The bounds on real-time work, as the kernel has them. */
static void
show_setup(void)
{
	long runtime = proc_long("/proc/sys/kernel/sched_rt_runtime_us");
	long period = proc_long("/proc/sys/kernel/sched_rt_period_us");
	struct rlimit rttime;

	getrlimit(RLIMIT_RTTIME, &rttime);
	pl_note("setup",
	        PL_FIELDS(PL_INT("cpu", cpu_used), PL_INT("rttime_us", (long long)rttime.rlim_cur),
	                  PL_INT("rt_runtime_us", runtime), PL_INT("rt_period_us", period)),
	        "all on CPU %d; RLIMIT_RTTIME %llu us; sched_rt_runtime_us %ld of "
	        "sched_rt_period_us %ld",
	        cpu_used, (unsigned long long)rttime.rlim_cur, runtime, period);
}

static double
inversion(void)
{
	static struct round r;
	struct view v;
	double wait;

	pl_step("inversion", PL_FIELDS(PL_INT("cpu", cpu_used), PL_INT("spin_ms", spin_ms)),
	        "an ordinary mutex: low (10) holds it, high (30) waits, medium (20) spins "
	        "%ld ms",
	        spin_ms);
	show_setup();
	run_round(&r, false, cpu_used, &v);
	show_tasks("inversion", &r, &v);
	show_timeline("inversion", &r);
	wait = ms(r.high_asked, r.high_got);
	pl_check("fifo-on-one-cpu", as_given(&v, cpu_used), NULL,
	         "the kernel ran the three as SCHED_FIFO at 10, 20 and 30, on CPU %d", cpu_used);
	pl_check("low-not-boosted", v.high_waiting && v.low.priority == -1 - LOW, NULL,
	         "while high waited, low kept its own priority (field 18: %ld): medium, at 20, "
	         "preempted it",
	         v.low.priority);
	pl_check("high-waits-for-medium", r.high_got >= r.medium_ended && wait >= 0.9 * spin_ms,
	         NULL, "high waited %.0f ms: until medium, which holds no lock, stopped spinning",
	         wait);
	return wait;
}

static void
inheritance(double inverted_wait)
{
	static struct round r;
	struct view v;
	double wait, got;

	pl_step("inheritance", PL_FIELDS(PL_INT("cpu", cpu_used), PL_INT("spin_ms", spin_ms)),
	        "the same with PTHREAD_PRIO_INHERIT: the holder runs at its waiter's priority");
	run_round(&r, true, cpu_used, &v);
	show_tasks("inheritance", &r, &v);
	show_timeline("inheritance", &r);
	got = r.high_got;
	wait = ms(r.high_asked, got);
	pl_check("fifo-on-one-cpu", as_given(&v, cpu_used), NULL,
	         "the kernel ran the three as SCHED_FIFO at 10, 20 and 30, on CPU %d", cpu_used);
	pl_check("low-boosted",
	         v.high_waiting && v.low.priority == -1 - HIGH && v.low.rt_priority == LOW, NULL,
	         "while high waited, the kernel ran low at high's priority (field 18: %ld), "
	         "though it was given %d",
	         v.low.priority, v.low.rt_priority);
	pl_check("medium-after-high", r.medium_began >= got, NULL,
	         "medium could not preempt low: it began only after high had the lock");
	/* The wait is what was left of low's section: high got the lock the
	 * moment low let it go, and nothing ran in between. */
	pl_check("wait-shrinks", ms(r.low_unlocked, got) < 5.0 && wait < inverted_wait, NULL,
	         "high waited %.1f ms, the rest of low's critical section (%ld ms of CPU), "
	         "not %.0f ms",
	         wait, hold_ms, inverted_wait);
}

/* ------------------------------------------------------------------ */

/* Can this process make SCHED_FIFO threads? Returns 0 or an error. */
static int
may_use_fifo(void)
{
	int err = direct(cpu_used);

	step_down();
	return err;
}

int
main(int argc, char *argv[])
{
	struct rlimit rttime, rtprio;
	int err;

	pl_demo_init(argc, argv, &demo);
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) == -1)
		pl_die("sched_getaffinity");
	for (cpu_used = 0; !CPU_ISSET(cpu_used, &all_cpus); cpu_used++)
		continue;

	if ((err = may_use_fifo()) != 0) {
		getrlimit(RLIMIT_RTPRIO, &rtprio);
		pl_note("rt-skipped",
		        PL_FIELDS(PL_STR("error", pl_errno_name(err)),
		                  PL_INT("rlimit_rtprio", (long long)rtprio.rlim_cur)),
		        "SCHED_FIFO refused (%s): it needs CAP_SYS_NICE or RLIMIT_RTPRIO >= %d "
		        "(ulimit -r says %llu): skipped, not a failure",
		        pl_errno_name(err), DIRECTOR, (unsigned long long)rtprio.rlim_cur);
		return pl_demo_finish();
	}
	/* The kernel's watchdog: a thread of this process that runs 2 s under
	 * a real-time policy without blocking gets SIGKILL (getrlimit(2)). A
	 * lower hard limit, set by whoever started us, stays. */
	if (getrlimit(RLIMIT_RTTIME, &rttime) == -1)
		pl_die("getrlimit(RLIMIT_RTTIME)");
	if (rttime.rlim_max == RLIM_INFINITY || rttime.rlim_max > RTTIME_US)
		rttime.rlim_max = RTTIME_US;
	rttime.rlim_cur = rttime.rlim_max;
	if (setrlimit(RLIMIT_RTTIME, &rttime) == -1)
		pl_die("setrlimit(RLIMIT_RTTIME)");
	inheritance(inversion());
	return pl_demo_finish();
}
