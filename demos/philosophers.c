/* philosophers.c - the dining philosophers: N at a round table, one fork
 * between each two, and a philosopher eats only with both of hers.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. the naive dinner deadlocks, every run: each picks up her left fork,
 *      they all line up until every left fork is taken, then each reaches
 *      for her right fork - which her neighbour holds. The wait-for graph
 *      (from the status board for processes, from the forks' records for
 *      threads) has a cycle through all N; /proc shows all N asleep. The
 *      demo ends that dinner: nobody ate.
 *   2. three fixes never deadlock (the graph is sampled all dinner long):
 *      ordered  each picks up her lower-numbered fork first, so the last
 *               philosopher reaches right first: no circular wait;
 *      waiter   a semaphore lets only N-1 sit at once: one always eats;
 *      trylock  take the left fork, TRY the right one, and put the left
 *               one back if it is busy: nobody holds while waiting.
 *   3. meal counts per philosopher show fairness (Jain's index) or its
 *      absence (the hungriest waited longest), and neighbours never eat
 *      at once.
 * Philosophers are processes sharing process-shared semaphores, or threads
 * sharing mutexes (--tasks).
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   pick_up()             the forks taken: naive, ordered, waiter or trylock
 *   put_down()            and put back
 *   dine()                each philosopher thinks, picks up, eats and puts down
 *   philosopher_thread()  a philosopher as a thread
 *
 * Usage:     proclab-philosophers [--philosophers N] [--tasks processes|threads|both]
 *                                 [--strategy naive|ordered|waiter|trylock|all]
 *                                 [--seconds S]
 * Dashboard: `proclab philosophers` shows each philosopher process with its
 *            state in its role (thinking, hungry, eating) and its meals,
 *            the forks it holds and wants, and in the naive dinner the cycle.
 * Lesson:    lessons/15-philosophers.md
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_PHILOSOPHERS 16
#define WAIT_MS 10000         /* bound on every wait for a state or a task */
#define HARD_LIMIT 20.0       /* seconds: a dinner never lasts longer */
#define MIN_DINNER 0.25       /* seconds, whatever --speed says */

static long philosophers = 5;
static const char *tasks_option = "both";
static const char *strategy_option = "all";
static double seconds = 1.5;

static const struct pl_option options[] = {
	{ "philosophers", 'n', PL_OPT_INT, "N", "philosophers (and forks) at the table", 2,
	  MAX_PHILOSOPHERS, &philosophers },
	{ "tasks", 't', PL_OPT_STRING, "KIND", "processes, threads or both (default both)", 0, 0,
	  &tasks_option },
	{ "strategy", 's', PL_OPT_STRING, "NAME",
	  "naive, ordered, waiter, trylock or all (default all)", 0, 0, &strategy_option },
	{ "seconds", 0, PL_OPT_DOUBLE, "S", "how long each dinner lasts (divided by --speed)", 0.1,
	  60, &seconds },
};

static const struct pl_demo demo = {
	.name = "philosophers",
	.summary = "The dining philosophers: a deadlock every time, then three ways out.",
	.description = "Each claim is checked while the demo runs: the philosophers' states in\n"
	               "/proc, the wait-for cycle from the status board or the forks' records,\n"
	               "and the meals each philosopher ate.",
	.lesson = "15-philosophers.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

enum strategy { NAIVE, ORDERED, WAITER, TRYLOCK, NSTRATEGIES };
static const char *const strategy_names[] = { "naive", "ordered", "waiter", "trylock" };
static const char *const strategy_text[] = {
	"left fork, then right fork",
	"lower-numbered fork first",
	"a waiter lets N-1 sit",
	"left fork, try the right, else put the left back",
};

enum state { THINKING, HUNGRY, EATING, LEFT };
static const char *const state_names[] = { "thinking", "hungry", "eating", "left" };

struct seat {
	pid_t id;              /* PID or TID */
	int state;
	long meals;
	long backoffs;         /* trylock: the right fork was busy */
	double longest_wait;   /* hungry to eating, seconds */
	int cancelled;
};

/* The table, in a MAP_SHARED mapping: the same memory for processes and
 * for threads. */
struct table {
	int n;
	enum strategy strategy;
	struct pl_lock forks[MAX_PHILOSOPHERS];
	struct pl_lock waiter;        /* WAITER: a semaphore of N-1 seats */
	int holding_left;             /* NAIVE: the line-up */
	int stop;                     /* the dinner is over */
	int cancel;                   /* the detector ends a deadlocked dinner */
	int seated, max_seated;       /* WAITER: how many sat at once */
	int neighbours_ate;           /* times two neighbours ate together */
	long eat_us, think_us;        /* the pace */
	struct seat seats[MAX_PHILOSOPHERS];
};

static pid_t
task_id(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void
nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* One philosopher.                                                     */

static void
set_state(struct table *t, int me, enum state state, bool process)
{
	char role[64];

	__atomic_store_n(&t->seats[me].state, state, __ATOMIC_RELEASE);
	if (!process)
		return; /* the board has one slot a process */
	snprintf(role, sizeof(role), "philosopher %d: %s", me + 1, state_names[state]);
	pl_board_set_role(role);
	pl_board_count("meals", t->seats[me].meals);
}

/* Every philosopher holds her left fork: now each reaches right. */
static void
line_up(struct table *t)
{
	__atomic_add_fetch(&t->holding_left, 1, __ATOMIC_ACQ_REL);
	for (int waited = 0; waited < WAIT_MS; waited++) {
		if (__atomic_load_n(&t->holding_left, __ATOMIC_ACQUIRE) >= t->n)
			return;
		nap_us(1000);
	}
}

/* Pick up the forks. Returns 0, or ECANCELED when the dinner was ended
 * (then she holds nothing). */
static int
pick_up(struct table *t, int me, unsigned *seed, bool *lined_up)
{
	struct pl_lock *left = &t->forks[me], *right = &t->forks[(me + 1) % t->n];
	struct pl_lock *first = left, *second = right;
	int err;

	switch (t->strategy) {
	case ORDERED:
		if ((me + 1) % t->n < me) { /* the last one: her right fork is fork 1 */
			first = right;
			second = left;
		}
		break;
	case WAITER: { /* ask the waiter for a seat first */
		if ((err = pl_lock_lock_cancellable(&t->waiter, &t->cancel)) != 0)
			return err;
		int now = __atomic_add_fetch(&t->seated, 1, __ATOMIC_ACQ_REL);
		int max = __atomic_load_n(&t->max_seated, __ATOMIC_ACQUIRE);
		while (now > max && !__atomic_compare_exchange_n(&t->max_seated, &max, now, false,
		                                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			;
		break;
	}
	default:
		break;
	}
	for (;;) {
		if ((err = pl_lock_lock_cancellable(first, &t->cancel)) != 0)
			break;
		if (t->strategy == NAIVE && !*lined_up) {
			line_up(t);
			*lined_up = true;
		}
		if (t->strategy == TRYLOCK) {
			if ((err = pl_lock_trylock(second)) == 0)
				return 0;
			/* Busy: put the left fork back, wait a moment, try again. */
			pl_lock_unlock(first);
			t->seats[me].backoffs++;
			nap_us(rand_r(seed) % (t->think_us + 1));
			if (__atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE))
				return ECANCELED;
			continue;
		}
		if ((err = pl_lock_lock_cancellable(second, &t->cancel)) == 0)
			return 0;
		pl_lock_unlock(first);
		break;
	}
	if (t->strategy == WAITER) {
		__atomic_sub_fetch(&t->seated, 1, __ATOMIC_ACQ_REL);
		pl_lock_unlock(&t->waiter);
	}
	return err;
}

static void
put_down(struct table *t, int me)
{
	pl_lock_unlock(&t->forks[(me + 1) % t->n]);
	pl_lock_unlock(&t->forks[me]);
	if (t->strategy == WAITER) {
		__atomic_sub_fetch(&t->seated, 1, __ATOMIC_ACQ_REL);
		pl_lock_unlock(&t->waiter);
	}
}

static void
dine(struct table *t, int me, bool process)
{
	struct seat *seat = &t->seats[me];
	unsigned seed = (unsigned)task_id();
	bool lined_up = false;

	seat->id = task_id();
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		set_state(t, me, THINKING, process);
		if (t->strategy != NAIVE)
			nap_us(rand_r(&seed) % (t->think_us + 1));
		set_state(t, me, HUNGRY, process);
		double hungry = pl_narrate_elapsed();
		if (pick_up(t, me, &seed, &lined_up) != 0) {
			seat->cancelled = 1;
			break;
		}
		if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
			put_down(t, me); /* the dinner is over: no more meals */
			break;
		}
		double waited = pl_narrate_elapsed() - hungry;
		if (waited > seat->longest_wait)
			seat->longest_wait = waited;
		int left = (me + t->n - 1) % t->n, right = (me + 1) % t->n;
		if (__atomic_load_n(&t->seats[left].state, __ATOMIC_ACQUIRE) == EATING ||
		    __atomic_load_n(&t->seats[right].state, __ATOMIC_ACQUIRE) == EATING)
			__atomic_add_fetch(&t->neighbours_ate, 1, __ATOMIC_ACQ_REL);
		__atomic_add_fetch(&seat->meals, 1, __ATOMIC_RELEASE);
		set_state(t, me, EATING, process);
		nap_us(t->eat_us);
		/* Thinking again before the forks go down, so a neighbour who
		 * gets one never sees this philosopher still eating. */
		set_state(t, me, THINKING, process);
		put_down(t, me);
	}
	set_state(t, me, LEFT, process);
}

/* ------------------------------------------------------------------ */
/* The table: set, seated, watched.                                     */

static struct table *
lay_table(enum strategy strategy, bool process)
{
	struct table *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned flags = PL_LOCK_TRACK | (process ? PL_LOCK_SHARED : 0);
	double speed = pl_narrate_get_config()->speed;
	char name[PL_LOCK_NAME];
	int err;

	if (t == MAP_FAILED)
		pl_die("mmap");
	memset(t, 0, sizeof(*t));
	t->n = (int)philosophers;
	t->strategy = strategy;
	/* 50 ms meals at --speed 1 (watchable), never below 1 ms. */
	t->eat_us = (long)(50000 / speed) > 1000 ? (long)(50000 / speed) : 1000;
	t->think_us = t->eat_us;
	for (int i = 0; i < t->n; i++) {
		snprintf(name, sizeof(name), "fork %d", i + 1);
		/* Processes share semaphores, threads share mutexes. */
		err = process ? pl_lock_init_semaphore(&t->forks[i], name, 1, flags)
		              : pl_lock_init_mutex(&t->forks[i], name, flags);
		if (err != 0)
			pl_die_en(err, "making %s", name);
	}
	if ((err = pl_lock_init_semaphore(&t->waiter, "seat", (unsigned)t->n - 1, flags)) != 0)
		pl_die_en(err, "making the waiter's semaphore");
	return t;
}

static void
clear_table(struct table *t)
{
	for (int i = 0; i < t->n; i++)
		pl_lock_destroy(&t->forks[i]);
	pl_lock_destroy(&t->waiter);
	munmap(t, sizeof(*t));
}

struct guest {
	struct table *table;
	int me;
};

static void *
philosopher_thread(void *arg)
{
	struct guest *g = arg;
	char name[32];

	snprintf(name, sizeof(name), "philosopher-%d", g->me + 1);
	name[15] = '\0'; /* a thread's name has at most 15 characters */
	pthread_setname_np(pthread_self(), name);
	dine(g->table, g->me, false);
	return NULL;
}

struct party {
	bool process;
	pid_t pids[MAX_PHILOSOPHERS];
	pthread_t threads[MAX_PHILOSOPHERS];
	struct guest guests[MAX_PHILOSOPHERS];
};

static void
seat_everyone(struct table *t, struct party *p)
{
	for (int i = 0; i < t->n; i++) {
		char role[32];
		int err;

		if (!p->process) {
			p->guests[i] = (struct guest){ t, i };
			if ((err = pthread_create(&p->threads[i], NULL, philosopher_thread,
			                          &p->guests[i])) != 0)
				pl_die_en(err, "pthread_create");
			continue;
		}
		snprintf(role, sizeof(role), "philosopher %d", i + 1);
		switch (p->pids[i] = pl_fork(role, 0)) {
		case -1:
			pl_die("fork");
		case 0: /* Child: one philosopher */
			snprintf(role, sizeof(role), "philosopher-%d", i + 1);
			prctl(PR_SET_NAME, role);
			dine(t, i, true);
			_exit(EXIT_SUCCESS);
		default:
			break;
		}
	}
}

static void
everyone_leaves(struct table *t, struct party *p)
{
	for (int i = 0; i < t->n; i++) {
		if (!p->process)
			pthread_join(p->threads[i], NULL);
		else if (pl_child_wait(p->pids[i], NULL, 0) == -1)
			pl_die("waitpid");
	}
}

static struct pl_board *board; /* where philosopher processes report */

static int
cycle_now(const struct table *t, bool process, struct pl_waitfor_cycle *c)
{
	return pl_lock_find_cycle(t->forks, (size_t)t->n, process ? board : NULL, c);
}

/* ------------------------------------------------------------------ */
/* The naive dinner: deadlock, found and ended.                        */

static void
naive_dinner(bool process)
{
	struct table *t = lay_table(NAIVE, process);
	struct pl_waitfor_cycle c;
	struct party p = { .process = process };
	bool found = false;
	int asleep = 0;

	pl_step("naive", PL_FIELDS(PL_STR("tasks", process ? "processes" : "threads"),
	                           PL_INT("philosophers", t->n)),
	        "%d philosopher %s, naive: %s", t->n, process ? "processes" : "threads",
	        strategy_text[NAIVE]);
	seat_everyone(t, &p);

	for (int waited = 0; !found && waited < WAIT_MS; waited++) {
		found = cycle_now(t, process, &c) == 1 && (int)c.length == t->n;
		if (!found)
			nap_us(1000);
	}
	if (found) {
		char text[1024];

		pl_waitfor_describe(&c, text, sizeof(text));
		long ids[PL_WAITFOR_CYCLE_MAX];
		for (size_t i = 0; i < c.length; i++)
			ids[i] = c.links[i].task;
		pl_note("cycle",
		        PL_FIELDS(PL_STR("source", process ? "the status board" : "the forks' records"),
		                  PL_INT("length", (long long)c.length),
		                  PL_INTS("tasks", ids, c.length), PL_STR("cycle", text)),
		        "wait-for cycle through all %zu: %s", c.length, text);
		for (size_t i = 0; i < c.length; i++) {
			struct pl_proc proc;

			if (pl_procfs_wait_state((pid_t)c.links[i].task, "S", WAIT_MS, &proc) == 0)
				asleep++;
		}
		pl_note("asleep", PL_FIELDS(PL_INT("asleep", asleep), PL_INT("of", t->n)),
		        "/proc: %d of %d philosophers asleep in the kernel, each holding one fork",
		        asleep, t->n);
	}
	pl_check("naive-deadlock", found && asleep == t->n, NULL,
	         "every philosopher holds her left fork and waits for her right: a cycle of %d",
	         t->n);
	pl_pause(1.0); /* time to look: nobody eats */

	/* Nobody will ever eat: end the dinner. A cancelled wait puts the
	 * left fork back; a neighbour who gets it then leaves without eating. */
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&t->cancel, 1, __ATOMIC_RELEASE);
	everyone_leaves(t, &p);
	long meals = 0;
	int cancelled = 0, left = 0;
	for (int i = 0; i < t->n; i++) {
		meals += t->seats[i].meals;
		cancelled += t->seats[i].cancelled;
		left += t->seats[i].state == LEFT;
	}
	pl_note("ended",
	        PL_FIELDS(PL_INT("meals", meals), PL_INT("cancelled", cancelled),
	                  PL_INT("left", left)),
	        "the demo ended the dinner: %ld meals eaten; %d wait(s) cancelled, and all %d left",
	        meals, cancelled, left);
	pl_check("naive-ended", meals == 0 && cancelled >= 1 && left == t->n, NULL,
	         "nobody ate, and the demo ended the deadlock from outside");
	clear_table(t);
}

/* ------------------------------------------------------------------ */
/* A dinner with a fix: watched for cycles, meals counted.              */

static void
fixed_dinner(enum strategy strategy, bool process)
{
	struct table *t = lay_table(strategy, process);
	struct party p = { .process = process };
	struct pl_waitfor_cycle c;
	double length = seconds / pl_narrate_get_config()->speed;
	double start = pl_measure_now();
	int samples = 0, cycles = 0;
	bool all_ate = false;

	if (length < MIN_DINNER)
		length = MIN_DINNER;
	pl_step(strategy_names[strategy],
	        PL_FIELDS(PL_STR("tasks", process ? "processes" : "threads"),
	                  PL_INT("philosophers", t->n)),
	        "%d philosopher %s, %s: %s", t->n, process ? "processes" : "threads",
	        strategy_names[strategy], strategy_text[strategy]);
	seat_everyone(t, &p);

	/* Until the dinner's time is up and everyone has eaten (bounded). */
	for (double now = 0; now < HARD_LIMIT; now = pl_measure_now() - start) {
		all_ate = true;
		for (int i = 0; i < t->n; i++)
			all_ate = all_ate && __atomic_load_n(&t->seats[i].meals, __ATOMIC_RELAXED) > 0;
		if (now >= length && all_ate)
			break;
		samples++;
		if (cycle_now(t, process, &c) == 1)
			cycles++;
		nap_us(2000);
	}
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	everyone_leaves(t, &p);

	long meals[MAX_PHILOSOPHERS], total = 0, least = -1, most = 0, backoffs = 0;
	double sum_sq = 0, longest = 0;
	int hungriest = 0;
	char counts[MAX_PHILOSOPHERS * 8] = "";
	for (int i = 0; i < t->n; i++) {
		const struct seat *s = &t->seats[i];

		meals[i] = s->meals;
		total += s->meals;
		sum_sq += (double)s->meals * (double)s->meals;
		least = least < 0 || s->meals < least ? s->meals : least;
		most = s->meals > most ? s->meals : most;
		backoffs += s->backoffs;
		if (s->longest_wait > longest) {
			longest = s->longest_wait;
			hungriest = i;
		}
		snprintf(counts + strlen(counts), sizeof(counts) - strlen(counts), "%s%ld",
		         i ? " " : "", s->meals);
	}
	/* Jain's fairness index: 1 when all ate the same, 1/N when one ate all. */
	double fairness = sum_sq > 0 ? (double)total * (double)total / (t->n * sum_sq) : 0;
	pl_note("meals",
	        PL_FIELDS(PL_INTS("meals", meals, (size_t)t->n), PL_INT("total", total),
	                  PL_INT("least", least), PL_INT("most", most),
	                  PL_DOUBLE("fairness", fairness), PL_INT("backoffs", backoffs),
	                  PL_INT("hungriest", hungriest + 1),
	                  PL_DOUBLE("longest_wait", longest)),
	        "meals per philosopher: %s (fewest %ld, most %ld, fairness %.2f)", counts, least,
	        most, fairness);
	pl_note("hungriest", NULL, "the longest anyone went hungry: philosopher %d, %.1f ms",
	        hungriest + 1, longest * 1e3);
	if (strategy == TRYLOCK)
		pl_note("backoffs", PL_FIELDS(PL_INT("backoffs", backoffs)),
		        "a right fork was busy %ld time(s): the left one went back each time",
		        backoffs);
	if (strategy == WAITER)
		pl_check("waiter-seats", t->max_seated <= t->n - 1,
		         PL_FIELDS(PL_INT("max_seated", t->max_seated)),
		         "never more than %d at the table (at most %d sat at once)", t->n - 1,
		         t->max_seated);
	pl_note("watched", PL_FIELDS(PL_INT("samples", samples), PL_INT("cycles", cycles)),
	        "the detector looked %d time(s) during the dinner: a cycle %d time(s)", samples,
	        cycles);
	pl_check("no-deadlock", cycles == 0 && all_ate, NULL,
	         "no cycle, ever; every philosopher ate at least once");
	pl_check("forks-exclusive", t->neighbours_ate == 0, NULL,
	         "no two neighbours ever ate at the same time: a fork is held by one");
	clear_table(t);
}

int
main(int argc, char *argv[])
{
	bool processes, threads;
	int wanted = -1;

	pl_demo_init(argc, argv, &demo);
	processes = strcmp(tasks_option, "processes") == 0 || strcmp(tasks_option, "both") == 0;
	threads = strcmp(tasks_option, "threads") == 0 || strcmp(tasks_option, "both") == 0;
	if (!processes && !threads)
		pl_die_usage("--tasks must be processes, threads or both, not '%s'", tasks_option);
	for (int s = 0; s < NSTRATEGIES; s++)
		if (strcmp(strategy_option, strategy_names[s]) == 0)
			wanted = s;
	if (wanted < 0 && strcmp(strategy_option, "all") != 0)
		pl_die_usage("--strategy must be naive, ordered, waiter, trylock or all, not '%s'",
		             strategy_option);

	for (int pass = 0; pass < 2; pass++) {
		bool process = pass == 0;

		if (!(process ? processes : threads))
			continue;
		/* Processes report on the dashboard's board, or on one of our
		 * own; threads in the forks' records. */
		bool own = process && pl_board_current() == NULL;
		if (own && pl_lock_private_board() == NULL)
			pl_die("creating a status board");
		board = process ? pl_board_current() : NULL;
		for (int s = 0; s < NSTRATEGIES; s++) {
			if (wanted >= 0 && s != wanted)
				continue;
			if (s == NAIVE)
				naive_dinner(process);
			else
				fixed_dinner((enum strategy)s, process);
		}
		if (own)
			pl_lock_private_board_end(board);
	}
	return pl_demo_finish();
}
