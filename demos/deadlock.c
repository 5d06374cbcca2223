/* deadlock.c - the mask shop: you need a mask to enter the shop that sells
 * masks. Two tasks, two locks, each holding one and waiting for the other.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. two PROCESSES deadlock on two process-shared mutexes, every run: a
 *      line-up makes each take its first lock before either asks for its
 *      second. Both sleep in the kernel (/proc/PID/stat state S, on a
 *      futex) and stay there. The wait-for graph built from the status
 *      board has a cycle, which names both processes and both locks.
 *      Recovery: a victim is killed; its mutex is robust, so the kernel
 *      hands it to the survivor (EOWNERDEAD), which shops.
 *   2. two THREADS deadlock the same way (/proc/PID/task/TID/stat); the
 *      cycle comes from what the locks record. Recovery: the victim's wait
 *      is cancelled; it lets go, and tries again once the other is done.
 *   3. fcntl() record locks: the kernel finds the cycle itself. One process
 *      waits (listed with "->" in /proc/locks); when the other asks for the
 *      first one's byte, fcntl(F_SETLKW) fails at once with EDEADLK.
 * Each Coffman condition can be removed, and the deadlock is then gone:
 *   --order    both take the mask first: no circular wait
 *   --trylock  try the second lock, let go of the first if busy: no hold
 *              and wait
 *   --timeout  wait for the second lock a limited time, then let go of the
 *              first: the lock is taken back (preemption)
 * --bench measures what pl_lock costs without a dashboard.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   go_shopping()    each shopper takes two locks, in its own order
 *   take()           taking one lock, and repairing one whose holder died
 *   line_up()        the line-up that makes the deadlock certain
 *   choose_victim()  breaking the cycle: the youngest task is the victim
 *   fcntl_shopper()  the same deadlock with fcntl() record locks
 *
 * Usage:     proclab-deadlock [--tasks processes|threads|both]
 *                             [--order | --trylock | --timeout] [--bench]
 * Dashboard: `proclab deadlock` shows the two shoppers in state S, each
 *            holding one lock and wanting the other's, and the cycle.
 * Lesson:    lessons/14-deadlock.md
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MASK 0
#define SHOP 1
#define SHOPPERS 2
#define WAIT_MS 10000       /* bound on every wait for a task or a state */
#define TIMEOUT_MS 100      /* --timeout: how long a shopper waits for its second lock */
#define BENCH_PAIRS 1000000

/* The functions whose point is the deadlock. ThreadSanitizer reports the
 * lock-order inversion they make on purpose, so they are PL_RACY. */
#define DELIBERATE_DEADLOCK PL_RACY

static const char *tasks_option = "both";
static bool use_order, use_trylock, use_timeout, bench;

static const struct pl_option options[] = {
	{ "tasks", 't', PL_OPT_STRING, "KIND", "processes, threads or both (default both)", 0, 0,
	  &tasks_option },
	{ "order", 0, PL_OPT_FLAG, NULL, "both take the mask first (no circular wait)", 0, 0,
	  &use_order },
	{ "trylock", 0, PL_OPT_FLAG, NULL, "try the second lock and back off (no hold and wait)",
	  0, 0, &use_trylock },
	{ "timeout", 0, PL_OPT_FLAG, NULL,
	  "wait a limited time for the second lock (preemption)", 0, 0, &use_timeout },
	{ "bench", 0, PL_OPT_FLAG, NULL, "measure the cost of pl_lock without a dashboard", 0, 0,
	  &bench },
};

static const struct pl_demo demo = {
	.name = "deadlock",
	.summary = "Two tasks, two locks, each waiting for the other: a deadlock, found and undone.",
	.description = "Each claim is checked while the demo runs: the tasks' states in /proc, the\n"
	               "wait-for cycle from the status board and from the locks' own records,\n"
	               "/proc/locks and the kernel's EDEADLK, and how each task ended.\n"
	               "--order, --trylock and --timeout (one at a time) remove one condition.",
	.lesson = "14-deadlock.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

enum strategy { NAIVE, ORDER, TRYLOCK, TIMEOUT };
static const char *const strategy_names[] = { "naive", "order", "trylock", "timeout" };
static enum strategy strategy = NAIVE;

/* Where a shopper is, for the line-up. */
enum phase { STARTING, TRYING_FIRST, HOLDS_FIRST, DONE };

struct shopper {
	pid_t id;           /* its task id: the PID, or the thread's TID */
	int phase;
	int first;          /* MASK or SHOP: which it takes first */
	int cancel;         /* set by the detector: give up the wait */
	int shopped;
	int backoffs;       /* --trylock: the second lock was busy */
	int timeouts;       /* --timeout: waited too long */
	int restarts;       /* its wait was cancelled */
	int owner_died;     /* got a lock whose holder had died */
};

/* Everything the two shoppers share: in a MAP_SHARED mapping, so it is
 * the same memory for two processes and for two threads. */
struct shop {
	struct pl_lock locks[2];
	struct shopper who[SHOPPERS];
};

static const char *const lock_names[] = { "mask", "shop" };

static struct pl_board *board;     /* where process shoppers report */
static bool board_is_ours;         /* made by own_board(), not the dashboard's */

/* ------------------------------------------------------------------ */
/* Helpers.                                                             */

static pid_t
task_id(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct shop *
new_shop(bool processes)
{
	struct shop *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	                      -1, 0);
	unsigned flags = PL_LOCK_TRACK | (processes ? PL_LOCK_SHARED : 0);
	int err;

	if (s == MAP_FAILED)
		pl_die("mmap");
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 2; i++)
		if ((err = pl_lock_init_mutex(&s->locks[i], lock_names[i], flags)) != 0)
			pl_die_en(err, "pl_lock_init_mutex");
	/* Shopper 1 wants the mask first, shopper 2 is already in the shop.
	 * With --order both follow one global order: mask, then shop. */
	s->who[0].first = MASK;
	s->who[1].first = strategy == ORDER ? MASK : SHOP;
	return s;
}

static void
free_shop(struct shop *s)
{
	/* Our own board served the processes; threads report in the locks. */
	if (board_is_ours) {
		pl_lock_private_board_end(board);
		board = NULL;
		board_is_ours = false;
	}
	pl_lock_destroy(&s->locks[0]);
	pl_lock_destroy(&s->locks[1]);
	munmap(s, sizeof(*s));
}

/* The line-up that makes the deadlock certain: each shopper, once it
 * holds its first lock, waits until the other holds its own first lock
 * too - or is queued behind it for the same lock (--order), or is done.
 * Bounded, so a bug cannot hang a class. */
static void
line_up(struct shop *s, int me)
{
	const struct shopper *other = &s->who[1 - me];

	for (int waited = 0; waited < WAIT_MS; waited++) {
		int phase = __atomic_load_n(&other->phase, __ATOMIC_ACQUIRE);

		if (phase == HOLDS_FIRST || phase == DONE ||
		    (phase == TRYING_FIRST && other->first == s->who[me].first))
			return;
		nap_ms(1);
	}
}

/* Wait (bounded) until the other shopper has shopped and let go. */
static void
wait_until_done(const struct shopper *other)
{
	for (int waited = 0; waited < WAIT_MS; waited++) {
		if (__atomic_load_n(&other->phase, __ATOMIC_ACQUIRE) == DONE)
			return;
		nap_ms(1);
	}
}

/* Take L, repairing a mutex whose holder died (only the robust,
 * process-shared ones can say so). */
static int
take(struct shopper *me, struct pl_lock *l, int err)
{
	if (err == EOWNERDEAD) {
		me->owner_died++;
		pl_lock_consistent(l); /* nothing to repair: the mask is a token */
		err = 0;
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* One shopper: take the first lock, line up, take the second, shop.    */

DELIBERATE_DEADLOCK static void
go_shopping(struct shop *s, int me, bool thread)
{
	struct shopper *self = &s->who[me];
	struct pl_lock *first = &s->locks[self->first], *second = &s->locks[1 - self->first];
	unsigned seed = (unsigned)task_id();
	bool lined_up = false;
	int err;

	self->id = task_id();
	for (;;) {
		__atomic_store_n(&self->phase, TRYING_FIRST, __ATOMIC_RELEASE);
		if ((err = take(self, first, pl_lock_lock(first))) != 0)
			pl_die_en(err, "locking %s", first->name);
		__atomic_store_n(&self->phase, HOLDS_FIRST, __ATOMIC_RELEASE);
		if (!lined_up)
			line_up(s, me);
		lined_up = true;

		switch (strategy) {
		case NAIVE: /* wait as long as it takes: forever */
			err = thread ? pl_lock_lock_cancellable(second, &self->cancel)
			             : pl_lock_lock(second);
			break;
		case ORDER:
			err = pl_lock_lock(second);
			break;
		case TRYLOCK: /* never wait while holding */
			err = pl_lock_trylock(second);
			break;
		case TIMEOUT: /* wait, but not for ever */
			err = pl_lock_timedlock(second, TIMEOUT_MS);
			break;
		}
		if ((err = take(self, second, err)) == 0)
			break;
		/* Gave up the second lock: let go of the first, so the other
		 * can have it, and try again a little later. */
		if (err == EBUSY)
			self->backoffs++;
		else if (err == ETIMEDOUT)
			self->timeouts++;
		else if (err == ECANCELED)
			self->restarts++;
		else
			pl_die_en(err, "locking %s", second->name);
		pl_lock_unlock(first);
		if (err == ECANCELED) {
			/* The victim steps aside until the other is through;
			 * retrying at once could close the same cycle again. */
			wait_until_done(&s->who[1 - me]);
			__atomic_store_n(&self->cancel, 0, __ATOMIC_RELEASE);
		}
		nap_ms(1 + rand_r(&seed) % 5);
	}
	self->shopped = 1; /* with the mask on, inside the shop: buy */
	pl_lock_unlock(second);
	pl_lock_unlock(first);
	__atomic_store_n(&self->phase, DONE, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* The detector: the wait-for graph, from the board or the locks.      */


/* Poll for a cycle for at most MS milliseconds. */
static bool
find_cycle(const struct shop *s, bool processes, int ms, struct pl_waitfor_cycle *c)
{
	for (int waited = 0; waited <= ms; waited++) {
		if (pl_lock_find_cycle(s->locks, 2, processes ? board : NULL, c) == 1)
			return true;
		if (waited < ms)
			nap_ms(1);
	}
	return false;
}

static void
show_cycle(const struct pl_waitfor_cycle *c, const char *source)
{
	char text[512], locks[128] = "";
	long ids[PL_WAITFOR_CYCLE_MAX];

	pl_waitfor_describe(c, text, sizeof(text));
	for (size_t i = 0; i < c->length; i++) {
		ids[i] = c->links[i].task;
		snprintf(locks + strlen(locks), sizeof(locks) - strlen(locks), "%s%s", i ? "," : "",
		         c->links[i].lock);
	}
	pl_note("cycle",
	        PL_FIELDS(PL_STR("source", source), PL_INT("length", (long long)c->length),
	                  PL_INTS("tasks", ids, c->length), PL_STR("locks", locks),
	                  PL_STR("cycle", text)),
	        "wait-for cycle (from %s): %s", source, text);
}

/* Is task ID a thread of this process? Then /proc/self/task lists it. */
static bool
thread_of_mine(pid_t id)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld", (long)id);
	return access(path, F_OK) == 0;
}

/* Is every task of the cycle asleep in the kernel? */
static bool
cycle_asleep(const struct pl_waitfor_cycle *c)
{
	int asleep = 0;

	for (size_t i = 0; i < c->length; i++) {
		struct pl_proc proc;
		pid_t id = (pid_t)c->links[i].task;

		if (pl_procfs_wait_state(id, "S", WAIT_MS, &proc) != 0)
			continue;
		asleep++;
		bool thread = thread_of_mine(id);
		pl_note("blocked",
		        PL_FIELDS(PL_INT("task", id), PL_STR("name", c->links[i].task_name),
		                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan),
		                  PL_BOOL("thread_of_demo", thread)),
		        "/proc/%s%ld/stat: %s, state %c (%s)%s%s", thread ? "self/task/" : "", (long)id,
		        c->links[i].task_name, proc.state, pl_procfs_state_name(proc.state),
		        proc.wchan[0] ? " in " : "", proc.wchan);
	}
	return asleep == (int)c->length;
}

/* The victim: the youngest task of the cycle (the highest id), as a
 * database aborts the youngest transaction. */
static const struct pl_waitfor_link *
choose_victim(const struct pl_waitfor_cycle *c)
{
	const struct pl_waitfor_link *victim = &c->links[0];

	for (size_t i = 1; i < c->length; i++)
		if (c->links[i].task > victim->task)
			victim = &c->links[i];
	return victim;
}

static int
shopper_of(const struct shop *s, long id)
{
	return s->who[0].id == id ? 0 : s->who[1].id == id ? 1 : -1;
}

static void
report_shoppers(const struct shop *s)
{
	for (int i = 0; i < SHOPPERS; i++) {
		const struct shopper *w = &s->who[i];

		pl_note("shopper",
		        PL_FIELDS(PL_INT("shopper", i + 1), PL_INT("task", w->id),
		                  PL_STR("first", lock_names[w->first]), PL_BOOL("shopped", w->shopped),
		                  PL_INT("backoffs", w->backoffs), PL_INT("timeouts", w->timeouts),
		                  PL_INT("restarts", w->restarts), PL_INT("owner_died", w->owner_died)),
		        "shopper %d (%ld), %s first: %s; %d back-off(s), %d timeout(s), %d restart(s)%s",
		        i + 1, (long)w->id, lock_names[w->first], w->shopped ? "shopped" : "did not shop",
		        w->backoffs, w->timeouts, w->restarts,
		        w->owner_died ? ", took a lock from a dead holder" : "");
	}
}

/* With a fix, watch both run to the end: the graph never has a lasting
 * cycle. Returns how many of the samples held a cycle. */
static int
watch_fixed_run(const struct shop *s, bool processes, int *samples)
{
	struct pl_waitfor_cycle c;
	int cycles = 0;

	*samples = 0;
	for (int waited = 0; waited < WAIT_MS; waited++) {
		bool done = __atomic_load_n(&s->who[0].phase, __ATOMIC_ACQUIRE) == DONE &&
		            __atomic_load_n(&s->who[1].phase, __ATOMIC_ACQUIRE) == DONE;

		if (done)
			break;
		(*samples)++;
		if (pl_lock_find_cycle(s->locks, 2, processes ? board : NULL, &c) == 1)
			cycles++;
		nap_ms(1);
	}
	return cycles;
}

static void
check_fixed(const struct shop *s, int cycles, int samples)
{
	int backoffs = s->who[0].backoffs + s->who[1].backoffs;
	int timeouts = s->who[0].timeouts + s->who[1].timeouts;
	bool both = s->who[0].shopped && s->who[1].shopped;

	pl_note("watched", PL_FIELDS(PL_INT("samples", samples), PL_INT("cycles", cycles)),
	        "the detector looked %d time(s) while they ran: a cycle %d time(s)", samples, cycles);
	switch (strategy) {
	case ORDER:
		pl_check("order-no-cycle", both && cycles == 0, NULL,
		         "one global order (mask, then shop): no cycle can form, both shopped");
		break;
	case TRYLOCK:
		pl_check("trylock-backed-off", both && backoffs >= 1 && cycles == 0,
		         PL_FIELDS(PL_INT("backoffs", backoffs)),
		         "the second lock was busy %d time(s); letting go of the first each time, "
		         "nobody waited while holding: no cycle, both shopped", backoffs);
		break;
	case TIMEOUT:
		pl_check("timeout-preempted", both && timeouts >= 1,
		         PL_FIELDS(PL_INT("timeouts", timeouts)),
		         "the cycle formed, and %d timeout(s) of %d ms broke it: a lock was taken "
		         "back, both shopped", timeouts, TIMEOUT_MS);
		break;
	case NAIVE:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Step 1: two processes.                                               */

/* With no dashboard, a board of our own: the shoppers report on it as
 * they would for the dashboard. */
static struct pl_board *
own_board(void)
{
	struct pl_board *b = pl_board_current();

	if (b != NULL)
		return b;
	if ((b = pl_lock_private_board()) == NULL)
		pl_die("creating a status board");
	board_is_ours = true;
	return b;
}

DELIBERATE_DEADLOCK static void
processes_deadlock(void)
{
	struct shop *s = new_shop(true);
	struct pl_waitfor_cycle c;
	pid_t pids[SHOPPERS];
	int status[SHOPPERS];
	char role[32];

	pl_step("processes", PL_FIELDS(PL_STR("strategy", strategy_names[strategy])),
	        "two processes, two process-shared mutexes: the mask and the shop%s%s",
	        strategy == NAIVE ? "" : ", with --", strategy == NAIVE ? "" : strategy_names[strategy]);
	board = own_board();

	for (int i = 0; i < SHOPPERS; i++) {
		snprintf(role, sizeof(role), "shopper %d", i + 1);
		switch (pids[i] = pl_fork(role, 0)) {
		case -1:
			pl_die("fork");
		case 0: /* Child: a shopper */
			snprintf(role, sizeof(role), "shopper-%d", i + 1);
			prctl(PR_SET_NAME, role); /* its name in ps and /proc/PID/comm */
			go_shopping(s, i, false);
			_exit(EXIT_SUCCESS);
		default:
			break;
		}
	}

	if (strategy != NAIVE) {
		int samples, cycles = watch_fixed_run(s, true, &samples);

		for (int i = 0; i < SHOPPERS; i++)
			if (pl_child_wait(pids[i], &status[i], 0) == -1)
				pl_die("waitpid");
		report_shoppers(s);
		check_fixed(s, cycles, samples);
		free_shop(s);
		return;
	}

	bool found = find_cycle(s, true, WAIT_MS, &c);
	if (found)
		show_cycle(&c, "the status board");
	pl_check("processes-cycle", found && c.length == 2, NULL,
	         "the board shows a cycle: each process holds one lock and wants the other's");
	bool asleep = found && cycle_asleep(&c);
	pl_pause(1.0); /* time to look: nothing moves */
	struct pl_waitfor_cycle again;
	bool stuck = !s->who[0].shopped && !s->who[1].shopped && find_cycle(s, true, 0, &again);
	pl_check("processes-stuck", asleep && stuck, NULL,
	         "both sleep in the kernel, and neither has shopped: a deadlock");

	/* Recovery: kill the victim. Its mutex is robust: the kernel sees it
	 * die holding it and hands it to the next locker with EOWNERDEAD. */
	const struct pl_waitfor_link *victim = found ? choose_victim(&c) : NULL;
	pid_t victim_pid = victim ? (pid_t)victim->task : pids[1];
	pl_note("victim", PL_FIELDS(PL_INT("task", victim_pid), PL_STR("how", "SIGKILL")),
	        "victim: %ld (%s), the youngest in the cycle: SIGKILL, through a pidfd",
	        (long)victim_pid,
	        victim ? victim->task_name : "shopper 2");
	/* The victim's PID comes from the board: shared memory that a bug, or
	 * any process that can open it, could have written. Signal it only if
	 * it is one of the two shoppers we forked and have not reaped, and
	 * through a pidfd (pl_child_signal). */
	if (victim_pid != pids[0] && victim_pid != pids[1])
		pl_die_en(0, "the board names %ld as the victim, not one of our shoppers (%ld, %ld): "
		          "not signalling it", (long)victim_pid, (long)pids[0], (long)pids[1]);
	if (pl_child_signal(victim_pid, SIGKILL) == -1)
		pl_die("kill %ld", (long)victim_pid);
	for (int i = 0; i < SHOPPERS; i++) {
		char how[96];

		if (pl_child_wait(pids[i], &status[i], 0) == -1)
			pl_die("waitpid");
		pl_status_describe(status[i], how, sizeof(how));
		pl_note("ended", PL_FIELDS(PL_INT("task", pids[i]), PL_INT("status", status[i])),
		        "shopper %d (%ld) %s", i + 1, (long)pids[i], how);
		pl_lock_forget(&s->locks[0], pids[i]);
		pl_lock_forget(&s->locks[1], pids[i]);
	}
	report_shoppers(s);
	int v = pids[0] == victim_pid ? 0 : 1, survivor = 1 - v;
	pl_check("victim-killed", WIFSIGNALED(status[v]) && WTERMSIG(status[v]) == SIGKILL, NULL,
	         "the victim was killed");
	pl_check("survivor-shopped",
	         WIFEXITED(status[survivor]) && WEXITSTATUS(status[survivor]) == 0 &&
	                 s->who[survivor].shopped && s->who[survivor].owner_died == 1,
	         NULL, "the survivor got the victim's lock (EOWNERDEAD: its holder died) and shopped");
	free_shop(s);
}

/* ------------------------------------------------------------------ */
/* Step 2: two threads.                                                 */

struct thread_arg {
	struct shop *shop;
	int me;
};

static void *
shopper_thread(void *arg)
{
	struct thread_arg *a = arg;
	char name[16]; /* a thread's name has at most 15 characters */

	snprintf(name, sizeof(name), "shopper-%d", a->me % 10 + 1);
	pthread_setname_np(pthread_self(), name); /* /proc/PID/task/TID/comm */
	go_shopping(a->shop, a->me, true);
	return NULL;
}

DELIBERATE_DEADLOCK static void
threads_deadlock(void)
{
	struct shop *s = new_shop(false);
	struct thread_arg args[SHOPPERS];
	struct pl_waitfor_cycle c;
	pthread_t threads[SHOPPERS];
	int err;

	pl_step("threads", PL_FIELDS(PL_STR("strategy", strategy_names[strategy])),
	        "two threads of one process, two mutexes%s%s", strategy == NAIVE ? "" : ", with --",
	        strategy == NAIVE ? "" : strategy_names[strategy]);
	for (int i = 0; i < SHOPPERS; i++) {
		args[i] = (struct thread_arg){ s, i };
		if ((err = pthread_create(&threads[i], NULL, shopper_thread, &args[i])) != 0)
			pl_die_en(err, "pthread_create");
	}

	if (strategy != NAIVE) {
		int samples, cycles = watch_fixed_run(s, false, &samples);

		for (int i = 0; i < SHOPPERS; i++)
			pthread_join(threads[i], NULL);
		report_shoppers(s);
		check_fixed(s, cycles, samples);
		free_shop(s);
		return;
	}

	bool found = find_cycle(s, false, WAIT_MS, &c);
	if (found)
		show_cycle(&c, "the locks' records");
	pl_check("threads-cycle", found && c.length == 2, NULL,
	         "the locks record a cycle: each thread holds one and wants the other's");
	bool asleep = found && cycle_asleep(&c);
	pl_pause(1.0);
	struct pl_waitfor_cycle again;
	bool stuck = !s->who[0].shopped && !s->who[1].shopped && find_cycle(s, false, 0, &again);
	pl_check("threads-stuck", asleep && stuck, NULL,
	         "both threads sleep in the kernel, and neither has shopped: a deadlock");

	/* Recovery: a thread cannot be killed alone, and a blocked
	 * pthread_mutex_lock() cannot be interrupted. The shoppers wait with
	 * pl_lock_lock_cancellable(): cancel the victim's wait. */
	const struct pl_waitfor_link *victim = found ? choose_victim(&c) : NULL;
	int v = victim ? shopper_of(s, victim->task) : 1;
	if (v < 0)
		v = 1;
	pl_note("victim", PL_FIELDS(PL_INT("task", s->who[v].id), PL_STR("how", "cancelled")),
	        "victim: thread %ld (shopper-%d), the youngest in the cycle: its wait is cancelled",
	        (long)s->who[v].id, v + 1);
	__atomic_store_n(&s->who[v].cancel, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < SHOPPERS; i++)
		pthread_join(threads[i], NULL);
	report_shoppers(s);
	pl_check("victim-restarted",
	         s->who[v].restarts == 1 && s->who[0].shopped && s->who[1].shopped, NULL,
	         "the victim let go and started again; then both shopped");
	free_shop(s);
}

/* ------------------------------------------------------------------ */
/* Step 3: fcntl() record locks: the kernel's own detector.            */

static ino_t file_inode;

/* One line of /proc/locks about our file (proc(5)):
 *     1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 0
 *     1: -> POSIX  ADVISORY  WRITE 24653 fe:00:10952850 1 1
 * "->" marks a blocked request, listed under the lock it waits for; the
 * last two fields are the byte range. pl_procfs.h explains every field. */
struct lock_line {
	struct pl_lock_line lock;
	char text[160];
};

static int
read_proc_locks(struct lock_line *out, int max)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	int n = 0;

	if (f == NULL)
		return -1;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		struct lock_line l = { 0 };

		/* Match the inode only: stat() and /proc/locks may name the
		 * device differently (btrfs). */
		if (pl_procfs_parse_lock(line, &l.lock) == -1 ||
		    l.lock.inode != (unsigned long long)file_inode)
			continue;
		line[strcspn(line, "\n")] = '\0';
		memcpy(l.text, line, sizeof(l.text) - 1); /* cut a line too long to show */
		out[n++] = l;
	}
	fclose(f);
	return n;
}

static const char *
byte_name(long long start)
{
	return start == MASK ? "mask (byte 0)" : "shop (byte 1)";
}

struct fcntl_report {
	int error;          /* errno of the F_SETLKW, or 0 */
	double seconds;     /* how long it took */
};

static int
set_lock(int fd, int cmd, short type, off_t byte)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };

	return fcntl(fd, cmd, &fl);
}

static void
fcntl_shopper(int fd, int me)
{
	struct fcntl_report r = { 0, 0 };
	off_t first = me == 0 ? MASK : SHOP, second = 1 - first;
	char name[32];

	snprintf(name, sizeof(name), "shopper-%d", me + 1);
	prctl(PR_SET_NAME, name);
	if (set_lock(fd, F_SETLK, F_WRLCK, first) == -1)
		r.error = errno;
	pl_child_tell(&r, sizeof(r)); /* holds its first byte */
	pl_child_hold();
	double start = pl_narrate_elapsed();
	if (set_lock(fd, F_SETLKW, F_WRLCK, second) == -1)
		r.error = errno; /* EDEADLK: the kernel refused to close the cycle */
	r.seconds = pl_narrate_elapsed() - start;
	if (r.error == EDEADLK)
		set_lock(fd, F_SETLK, F_UNLCK, first); /* back off: let the other have it */
	pl_child_tell(&r, sizeof(r));
	_exit(EXIT_SUCCESS);
}

static int
temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[256];
	sigset_t old;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/proclab-deadlock-XXXXXX", dir && dir[0] ? dir : "/tmp");
	pl_cleanup_hold(&old);
	if ((fd = mkstemp(path)) == -1)
		pl_die("mkstemp(%s)", path);
	/* Record locks need a file, not a name: unlink it at once. */
	unlink(path);
	pl_cleanup_release(&old);
	if (ftruncate(fd, 2) == -1 || fstat(fd, &st) == -1)
		pl_die("preparing the lock file");
	file_inode = st.st_ino;
	return fd;
}

/* Poll /proc/locks until PID is listed as waiting. */
static int
wait_listed(pid_t pid, struct lock_line *lines, int max)
{
	for (int waited = 0; waited < WAIT_MS; waited++) {
		int n = read_proc_locks(lines, max);

		for (int i = 0; i < n; i++)
			if (lines[i].lock.waiting && lines[i].lock.pid == pid)
				return n;
		nap_ms(1);
	}
	return -1;
}

static void
fcntl_deadlock(void)
{
	struct fcntl_report r[SHOPPERS];
	struct lock_line lines[16];
	struct pl_waitfor_cycle c;
	pid_t pids[SHOPPERS];
	char role[32];
	int fd = temp_file(), n;

	pl_step("fcntl", NULL, "fcntl() record locks: the kernel finds the cycle and refuses it");
	for (int i = 0; i < SHOPPERS; i++) {
		snprintf(role, sizeof(role), "shopper %d", i + 1);
		switch (pids[i] = pl_fork(role, PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0:
			fcntl_shopper(fd, i);
		default:
			break;
		}
	}
	for (int i = 0; i < SHOPPERS; i++)
		if (pl_child_hear(pids[i], &r[i], sizeof(r[i]), WAIT_MS) == -1 || r[i].error)
			pl_die("shopper %d locking its first byte", i + 1);

	/* Shopper 1 asks for the shop's byte and sleeps: /proc/locks lists it. */
	pl_child_release(pids[0]);
	if ((n = wait_listed(pids[0], lines, PL_COUNT(lines))) == -1)
		pl_die("shopper 1 never showed up waiting in /proc/locks");
	struct pl_waitfor *g = pl_waitfor_new();
	if (g == NULL)
		pl_die("pl_waitfor_new");
	for (int i = 0; i < n; i++) {
		const struct pl_lock_line *l = &lines[i].lock;
		const char *who = l->pid == pids[0] ? "shopper 1" : "shopper 2";

		pl_note("proc-locks",
		        PL_FIELDS(PL_STR("line", lines[i].text), PL_BOOL("waiting", l->waiting),
		                  PL_INT("lock_pid", l->pid)),
		        "/proc/locks: %s", lines[i].text);
		if (l->waiting)
			pl_waitfor_wants(g, l->pid, who, byte_name(l->start));
		else
			pl_waitfor_holds(g, l->pid, who, byte_name(l->start));
	}
	/* Shopper 2 is about to ask for the mask's byte: with that request,
	 * the graph from /proc/locks closes into a cycle. */
	pl_waitfor_wants(g, pids[1], "shopper 2", byte_name(MASK));
	bool predicted = pl_waitfor_find_cycle(g, &c) == 1;
	pl_waitfor_free(g);
	if (predicted)
		show_cycle(&c, "/proc/locks and shopper 2's next request");
	pl_check("fcntl-cycle", predicted && c.length == 2, NULL,
	         "/proc/locks plus shopper 2's request for the mask make a cycle");
	pl_pause(1.0); /* time to read /proc/locks from outside */

	pl_child_release(pids[1]);
	for (int i = 1; i >= 0; i--)
		if (pl_child_hear(pids[i], &r[i], sizeof(r[i]), WAIT_MS) == -1)
			pl_die("hearing from shopper %d", i + 1);
	pl_note("edeadlk",
	        PL_FIELDS(PL_INT("task", pids[1]), PL_STR("error", pl_errno_name(r[1].error)),
	                  PL_DOUBLE("seconds", r[1].seconds)),
	        "shopper 2: fcntl(F_SETLKW) on the mask's byte: %s after %.1f ms",
	        r[1].error ? pl_errno_name(r[1].error) : "granted", r[1].seconds * 1e3);
	pl_check("kernel-edeadlk", r[1].error == EDEADLK && r[1].seconds < 1.0, NULL,
	         "the kernel found the cycle itself and refused the request at once: EDEADLK");
	pl_check("fcntl-recovered", r[0].error == 0, NULL,
	         "shopper 2 backed off, and shopper 1's waiting request was granted");
	for (int i = 0; i < SHOPPERS; i++)
		if (pl_child_wait(pids[i], NULL, 0) == -1)
			pl_die("waitpid");
	close(fd);
}

/* ------------------------------------------------------------------ */
/* --bench: the cost of a lock that could report, when nobody listens. */

static double
pairs_per_ns(struct pl_lock *l, bool wrapped)
{
	double start = pl_measure_now();

	for (long i = 0; i < BENCH_PAIRS; i++) {
		if (wrapped) {
			pl_lock_lock(l);
			pl_lock_unlock(l);
		} else {
			pthread_mutex_lock(&l->u.mutex);
			pthread_mutex_unlock(&l->u.mutex);
		}
	}
	return (pl_measure_now() - start) * 1e9 / BENCH_PAIRS;
}

static void
cost(void)
{
	struct pl_board *saved = pl_board_current();
	double bare[5], wrapped[5], tracked[5];
	struct pl_lock plain, track;

	pl_step("bench", PL_FIELDS(PL_INT("pairs", BENCH_PAIRS)),
	        "what a lock that can report costs when nobody listens");
	pl_board_use(NULL);
	pl_lock_init_mutex(&plain, "bench", 0);
	pl_lock_init_mutex(&track, "bench", PL_LOCK_TRACK);
	for (int round = 0; round < 5; round++) {
		bare[round] = pairs_per_ns(&plain, false);
		wrapped[round] = pairs_per_ns(&plain, true);
		tracked[round] = pairs_per_ns(&track, true);
	}
	pl_board_use(saved);
	double b = pl_measure_median(bare, 5), w = pl_measure_median(wrapped, 5),
	       t = pl_measure_median(tracked, 5);
	pl_note("cost",
	        PL_FIELDS(PL_DOUBLE("bare_ns", b), PL_DOUBLE("pl_lock_ns", w),
	                  PL_DOUBLE("tracked_ns", t)),
	        "lock + unlock: pthread %.1f ns, pl_lock without a board %.1f ns, "
	        "with PL_LOCK_TRACK %.1f ns (medians of 5)", b, w, t);
	pl_lock_destroy(&plain);
	pl_lock_destroy(&track);
}

/* ------------------------------------------------------------------ */

static void
coffman(void)
{
	pl_note("coffman", NULL,
	        "all four Coffman conditions held: mutual exclusion, hold and wait, "
	        "no preemption, circular wait");
	pl_note("coffman-fixes", NULL,
	        "remove one and the deadlock is gone: --order, --trylock, --timeout");
}

int
main(int argc, char *argv[])
{
	bool processes, threads;

	pl_demo_init(argc, argv, &demo);
	processes = strcmp(tasks_option, "processes") == 0 || strcmp(tasks_option, "both") == 0;
	threads = strcmp(tasks_option, "threads") == 0 || strcmp(tasks_option, "both") == 0;
	if (!processes && !threads)
		pl_die_usage("--tasks must be processes, threads or both, not '%s'", tasks_option);
	if (use_order + use_trylock + use_timeout > 1)
		pl_die_usage("--order, --trylock and --timeout remove one condition each: "
		             "give at most one");
	strategy = use_order ? ORDER : use_trylock ? TRYLOCK : use_timeout ? TIMEOUT : NAIVE;

	if (processes)
		processes_deadlock();
	if (threads)
		threads_deadlock();
	if (strategy == NAIVE && processes)
		fcntl_deadlock();
	if (strategy == NAIVE)
		coffman();
	if (bench)
		cost();

	return pl_demo_finish();
}
