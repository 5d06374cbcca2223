/* prodcons.c - producers, consumers, a bounded buffer, condition variables.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. consumers of an empty buffer sleep in pthread_cond_wait(): each
 *      thread's /proc/TID/stat says S, sleeping in a futex wait.
 *   2. the broken consumer, which tests "is the buffer empty?" with `if`
 *      instead of `while`, fails: one item and a broadcast wake every
 *      consumer, the first takes the item, and the others go on to take
 *      from an empty buffer. The demo catches each such take before it
 *      reads a slot (an underflow), and stops that run safely.
 *   3. a producer of a full buffer sleeps in the same way, and wakes when
 *      a slot is free.
 *   4. the fix, `while`: the consumers that find the buffer empty again go
 *      back to sleep (the kernel shows them asleep again), and each gets
 *      its item later.
 *   5. --producers and --consumers threads moving --items items each
 *      through a --size slot buffer: with `if` the run breaks; with `while`
 *      every item arrives exactly once (counts, a checksum, and a tally of
 *      each item).
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   take_broken()  BROKEN: the condition tested once, with if
 *   take()         FIXED: tested again after every wakeup, with while
 *   put()          a producer waits while the buffer is full
 *   wait_on()      pthread_cond_wait(): unlock, sleep, lock again
 *   remove_item()  the take itself, with the mutex held
 *
 * Usage:     proclab-prodcons [--producers P] [--consumers C] [--items N]
 *                             [--size S]
 * Dashboard: `proclab prodcons` shows one process whose threads (ps -L,
 *            top -H) are named producer-N and consumer-N, asleep (S) while
 *            the buffer is empty or full.
 * Lesson:    lessons/13-prodcons.md
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_THREADS 16
#define MAX_SLOTS 64
#define MAX_ITEMS 1000000L  /* producers x items */
#define WAIT_TIMEOUT_MS 10000

static long producers = 2, consumers = 3, items = 20000, slots = 4;

static const struct pl_option options[] = {
	{ "producers", 'p', PL_OPT_INT, "P", "producer threads in step 5", 1, MAX_THREADS,
	  &producers },
	{ "consumers", 'c', PL_OPT_INT, "C", "consumer threads", 1, MAX_THREADS, &consumers },
	{ "items", 'n', PL_OPT_INT, "N", "items each producer makes in step 5", 1, MAX_ITEMS,
	  &items },
	{ "size", 's', PL_OPT_INT, "S", "slots in the buffer", 1, MAX_SLOTS, &slots },
};

static const struct pl_demo demo = {
	.name = "prodcons",
	.summary = "Producers and consumers on a bounded buffer: condition variables, if vs while.",
	.description = "Each claim is checked while the demo runs: the threads' states in\n"
	               "/proc/TID/stat while they wait, what each consumer took, and the\n"
	               "counts, checksum and per-item tally of a long run.\n"
	               "--producers times --items may be at most 1000000.",
	.lesson = "13-prodcons.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* The bounded buffer: a ring of slots, one mutex, two conditions.     */

struct buffer {
	pthread_mutex_t mutex;
	pthread_cond_t not_empty;   /* consumers wait here */
	pthread_cond_t not_full;    /* producers wait here */
	long slot[MAX_SLOTS];
	int head, count;            /* take at head; count items in the ring */
	bool closed;                /* no more items will come */
	bool failed;                /* an underflow or overflow stopped the run */
	bool stop_on_failure;       /* step 5: stop at the first one */
	/* Evidence, all under the mutex: */
	int waiting_consumers, waiting_producers;
	long empty_wakeups;         /* woke up, and the buffer was empty again */
	long full_wakeups;          /* woke up, and the buffer was full again */
	long underflows, overflows; /* takes from empty, puts into full: caught */
};

static void
lock(struct buffer *b)
{
	int err = pthread_mutex_lock(&b->mutex);

	if (err != 0)
		pl_die_en(err, "pthread_mutex_lock");
}

static void
unlock(struct buffer *b)
{
	pthread_mutex_unlock(&b->mutex);
}

static void
buffer_init(struct buffer *b)
{
	int err;

	memset(b, 0, sizeof(*b));
	if ((err = pthread_mutex_init(&b->mutex, NULL)) != 0 ||
	    (err = pthread_cond_init(&b->not_empty, NULL)) != 0 ||
	    (err = pthread_cond_init(&b->not_full, NULL)) != 0)
		pl_die_en(err, "initialising the buffer");
}

static void
buffer_destroy(struct buffer *b)
{
	pthread_cond_destroy(&b->not_empty);
	pthread_cond_destroy(&b->not_full);
	pthread_mutex_destroy(&b->mutex);
}

/* pthread_cond_wait() unlocks the mutex, sleeps, and locks it again
 * before it returns. WAITING counts the sleepers, for the demo to see. */
static void
wait_on(struct buffer *b, pthread_cond_t *cond, int *waiting)
{
	int err;

	(*waiting)++;
	if ((err = pthread_cond_wait(cond, &b->mutex)) != 0)
		pl_die_en(err, "pthread_cond_wait");
	(*waiting)--;
}

/* Stop the run: wake every thread, so that each sees FAILED and leaves. */
static void
fail(struct buffer *b)
{
	b->failed = true;
	pthread_cond_broadcast(&b->not_empty);
	pthread_cond_broadcast(&b->not_full);
}

enum take_result { TOOK, NO_MORE, UNDERFLOW };

static bool
ended(const struct buffer *b)
{
	return b->closed || b->failed;
}

/* The take itself, once the buffer holds an item. Called with the mutex. */
static long
remove_item(struct buffer *b)
{
	long item = b->slot[b->head];

	b->head = (b->head + 1) % (int)slots;
	b->count--;
	pthread_cond_signal(&b->not_full); /* a slot is free */
	return item;
}

/* BROKEN: the test is made once, with `if`. When pthread_cond_wait()
 * returns, the code assumes the buffer holds an item. It need not: a
 * broadcast woke every consumer for one item, or another consumer took it
 * first (a stolen wakeup), or the wakeup was spurious, which POSIX allows. */
static enum take_result
take_broken(struct buffer *b, long *item)
{
	lock(b);
	if (b->count == 0 && !ended(b))                     /* WRONG: if */
		wait_on(b, &b->not_empty, &b->waiting_consumers);
	if (b->count == 0 && !ended(b)) {
		/* The demo's guard, not part of the broken code: taking now
		 * would read a slot that holds no item and make count -1. */
		b->underflows++;
		if (b->stop_on_failure)
			fail(b);
		unlock(b);
		return UNDERFLOW;
	}
	if (b->count == 0) { /* closed (or stopped) and drained: the end */
		unlock(b);
		return NO_MORE;
	}
	*item = remove_item(b);
	unlock(b);
	return TOOK;
}

/* FIXED: `while`. After every wakeup the condition is tested again, and a
 * consumer that finds the buffer empty goes back to sleep. */
static enum take_result
take(struct buffer *b, long *item)
{
	lock(b);
	while (b->count == 0 && !ended(b)) {                /* RIGHT: while */
		wait_on(b, &b->not_empty, &b->waiting_consumers);
		if (b->count == 0 && !ended(b))
			b->empty_wakeups++; /* what `if` would have taken from */
	}
	if (b->count == 0) { /* closed (or stopped) and drained: the end */
		unlock(b);
		return NO_MORE;
	}
	*item = remove_item(b);
	unlock(b);
	return TOOK;
}

/* Put an item: wait while the buffer is full, with `if` or `while`.
 * Returns false when the run has failed. */
static bool
put(struct buffer *b, long item, bool broken, bool broadcast)
{
	lock(b);
	if (broken) {
		if (b->count == (int)slots && !b->failed)       /* WRONG: if */
			wait_on(b, &b->not_full, &b->waiting_producers);
		if (b->count == (int)slots && !b->failed) {
			b->overflows++; /* the guard: this put would overwrite an item */
			if (b->stop_on_failure)
				fail(b);
			unlock(b);
			return false;
		}
	} else {
		while (b->count == (int)slots && !b->failed) {  /* RIGHT: while */
			wait_on(b, &b->not_full, &b->waiting_producers);
			if (b->count == (int)slots && !b->failed)
				b->full_wakeups++;
		}
	}
	if (b->failed) {
		unlock(b);
		return false;
	}
	b->slot[(b->head + b->count) % (int)slots] = item;
	b->count++;
	if (broadcast)
		pthread_cond_broadcast(&b->not_empty); /* wake every consumer */
	else
		pthread_cond_signal(&b->not_empty);    /* wake one */
	unlock(b);
	return true;
}

static void
close_buffer(struct buffer *b)
{
	lock(b);
	b->closed = true;
	pthread_cond_broadcast(&b->not_empty);
	unlock(b);
}

/* ------------------------------------------------------------------ */
/* Threads, and what the kernel says about them.                        */

struct worker {
	pthread_t thread;
	pid_t tid;
	int index;
	bool broken;
	struct buffer *buffer;
	/* What it did: */
	long taken, underflows;
	long long sum;
	atomic_bool finished;  /* step 4: it has its item */
	atomic_int *tally;  /* step 5: how often each item was taken */
};

static void
start_thread(struct worker *w, void *(*fn)(void *))
{
	int err = pthread_create(&w->thread, NULL, fn, w);

	if (err != 0)
		pl_die_en(err, "pthread_create");
}

static void
join_thread(struct worker *w)
{
	int err = pthread_join(w->thread, NULL);

	if (err != 0)
		pl_die_en(err, "pthread_join");
}

/* A name for ps -L, top -H and /proc/TID/comm (15 characters at most). */
static void
name_thread(struct worker *w, const char *role)
{
	char name[16];

	snprintf(name, sizeof(name), "%s-%d", role, w->index);
	pthread_setname_np(pthread_self(), name);
	w->tid = gettid();
}

/* Wait until, as read under the mutex, CONSUMERS consumers and PRODUCERS
 * producers sleep in pthread_cond_wait(), and EMPTY_WAKEUPS wakeups found
 * the buffer empty again. */
static void
wait_for_sleepers(struct buffer *b, int consumers_asleep, int producers_asleep,
                  long empty_wakeups)
{
	double deadline = pl_measure_now() + WAIT_TIMEOUT_MS / 1e3;
	struct timespec nap = { 0, 1000000 };

	for (;;) {
		lock(b);
		bool there = b->waiting_consumers == consumers_asleep &&
		             b->waiting_producers == producers_asleep &&
		             b->empty_wakeups == empty_wakeups;
		unlock(b);
		if (there)
			return;
		if (pl_measure_now() > deadline)
			pl_die("waiting for %d consumer(s) and %d producer(s) to sleep",
			       consumers_asleep, producers_asleep);
		nanosleep(&nap, NULL);
	}
}

/* The kernel's view: is thread TID asleep in a futex wait? That is where
 * pthread_cond_wait() sleeps (futex(2)). */
static bool
asleep_in_futex(pid_t tid, const char *who)
{
	struct pl_proc proc = { .state = '?' };
	bool ok = pl_procfs_wait_wchan(tid, "futex", WAIT_TIMEOUT_MS, &proc) == 0;

	pl_note("thread-state",
	        PL_FIELDS(PL_STR("thread", who), PL_INT("tid", tid), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan)),
	        "/proc/%ld/stat: %s is %c (%s) in %s", (long)tid, who, proc.state,
	        pl_procfs_state_name(proc.state), proc.wchan[0] ? proc.wchan : "?");
	return ok;
}

static int
all_asleep(struct worker *w, int n, const char *role)
{
	int asleep = 0;

	for (int i = 0; i < n; i++) {
		char who[32];

		snprintf(who, sizeof(who), "%s-%d", role, w[i].index);
		asleep += asleep_in_futex(w[i].tid, who);
	}
	return asleep;
}

/* ------------------------------------------------------------------ */
/* Steps 1, 2 and 4: C consumers, one item, one broadcast.             */

static void *
consume_one(void *arg)
{
	struct worker *w = arg;
	long item;

	name_thread(w, "consumer");
	enum take_result r = w->broken ? take_broken(w->buffer, &item) : take(w->buffer, &item);
	if (r == TOOK) {
		w->taken = 1;
		w->sum = item;
	} else if (r == UNDERFLOW) {
		w->underflows = 1;
	}
	atomic_store(&w->finished, true);
	return NULL;
}

static void
start_consumers(struct buffer *b, struct worker *w, bool broken)
{
	for (int i = 0; i < consumers; i++) {
		w[i] = (struct worker){ .index = i + 1, .broken = broken, .buffer = b };
		start_thread(&w[i], consume_one);
	}
	wait_for_sleepers(b, (int)consumers, 0, 0);
}

/* Steps 1 and 2: the broken consumer. */
static void
stolen_wakeup(void)
{
	struct worker w[MAX_THREADS];
	struct buffer b;
	long took = 0, caught = 0;

	buffer_init(&b);
	pl_step("wait-on-empty", PL_FIELDS(PL_INT("consumers", consumers)),
	        "%ld consumers find the buffer empty and wait on the condition", consumers);
	start_consumers(&b, w, true);
	int asleep = all_asleep(w, (int)consumers, "consumer");
	pl_check("consumers-asleep", asleep == consumers,
	         PL_FIELDS(PL_INT("asleep", asleep), PL_INT("consumers", consumers)),
	         "the kernel shows all %ld consumers asleep in a futex wait: no CPU used",
	         consumers);
	pl_pause(1.0); /* time to look: ps -L, top -H, the dashboard */

	pl_step("stolen-wakeup", NULL,
	        "with `if`: one item, one broadcast, and every consumer goes to take it");
	put(&b, 42, false, true);
	for (int i = 0; i < consumers; i++)
		join_thread(&w[i]);
	for (int i = 0; i < consumers; i++) {
		took += w[i].taken;
		caught += w[i].underflows;
		pl_note("consumer",
		        PL_FIELDS(PL_INT("index", w[i].index), PL_INT("tid", w[i].tid),
		                  PL_BOOL("took", w[i].taken), PL_BOOL("underflow", w[i].underflows)),
		        "consumer-%d: %s", w[i].index,
		        w[i].taken ? "took item 42"
		                   : "woke to an EMPTY buffer and went on to take: underflow caught");
	}
	pl_note("outcome",
	        PL_FIELDS(PL_INT("took", took), PL_INT("underflows", b.underflows),
	                  PL_INT("count", b.count)),
	        "1 item, %ld consumers woken: %ld took it, %ld took from an empty buffer "
	        "(the run stopped there)",
	        consumers, took, b.underflows);
	pl_check("one-took-it", took == 1, NULL, "exactly one consumer got the item");
	if (consumers >= 2)
		pl_check("underflows-caught", caught == consumers - 1 && b.underflows == caught,
		         PL_FIELDS(PL_INT("underflows", caught)),
		         "the other %ld woke to an empty buffer and, with `if`, went on to take",
		         consumers - 1);
	else
		pl_note("one-consumer", NULL,
		        "with one consumer nobody can steal its item: try --consumers 3");
	buffer_destroy(&b);
}

/* Step 3: a full buffer puts its producer to sleep. */
static void *
fill_and_one_more(void *arg)
{
	struct worker *w = arg;

	name_thread(w, "producer");
	for (long i = 0; i <= slots; i++) /* one more than fits */
		put(w->buffer, i, false, false);
	return NULL;
}

static void
wait_on_full(void)
{
	struct worker producer = { .index = 1 };
	struct buffer b;
	long item = -1;

	buffer_init(&b);
	producer.buffer = &b;
	pl_step("wait-on-full", PL_FIELDS(PL_INT("size", slots)),
	        "a producer puts %ld items into %ld slots, and waits on the last", slots + 1,
	        slots);
	start_thread(&producer, fill_and_one_more);
	wait_for_sleepers(&b, 0, 1, 0);
	bool asleep = asleep_in_futex(producer.tid, "producer-1");
	lock(&b);
	int full = b.count;
	unlock(&b);
	pl_check("producer-asleep-when-full", asleep && full == slots,
	         PL_FIELDS(PL_INT("count", full)),
	         "the buffer holds %d of %ld, and the producer sleeps until a slot is free",
	         full, slots);
	pl_pause(1.0);

	take(&b, &item); /* free one slot: the producer wakes and puts */
	join_thread(&producer);
	pl_check("producer-woke", b.count == slots && item == 0,
	         PL_FIELDS(PL_INT("count", b.count), PL_INT("took", item)),
	         "main took item %ld; the producer woke, put its last item, and finished", item);
	buffer_destroy(&b);
}

/* Step 4: the fix. */

static int
count_finished(struct worker *w, int n)
{
	int finished = 0;

	for (int i = 0; i < n; i++)
		finished += atomic_load(&w[i].finished);
	return finished;
}

static void
while_fix(void)
{
	struct worker w[MAX_THREADS];
	struct buffer b;
	long took = 0, underflows = 0;
	int asleep_again = 0;

	buffer_init(&b);
	pl_step("while-fix", NULL,
	        "with `while`: the consumers that find the buffer empty go back to sleep");
	start_consumers(&b, w, false);
	put(&b, 0, false, true);
	/* The item went to one; the others woke, found the buffer empty, and
	 * went back to sleep. */
	wait_for_sleepers(&b, (int)consumers - 1, 0, consumers - 1);
	/* The one that took the item is on its way out: wait until it is. */
	for (double deadline = pl_measure_now() + WAIT_TIMEOUT_MS / 1e3;
	     count_finished(w, (int)consumers) != 1;)
		if (pl_measure_now() > deadline)
			pl_die("waiting for the consumer that took the item");
	for (int i = 0; i < consumers; i++) {
		char who[32];

		snprintf(who, sizeof(who), "consumer-%d", w[i].index);
		if (!atomic_load(&w[i].finished))
			asleep_again += asleep_in_futex(w[i].tid, who);
	}
	lock(&b);
	long wakeups = b.empty_wakeups;
	unlock(&b);
	pl_check("back-to-sleep", asleep_again == consumers - 1 && wakeups == consumers - 1,
	         PL_FIELDS(PL_INT("asleep", asleep_again), PL_INT("empty_wakeups", wakeups)),
	         "%ld woke to an empty buffer, tested again, and the kernel shows them asleep "
	         "again",
	         wakeups);
	pl_pause(1.0);
	for (long i = 1; i < consumers; i++)
		put(&b, i, false, true);
	for (int i = 0; i < consumers; i++) {
		join_thread(&w[i]);
		took += w[i].taken;
		underflows += w[i].underflows;
	}
	pl_check("each-got-one", took == consumers && underflows == 0 && b.count == 0,
	         PL_FIELDS(PL_INT("took", took), PL_INT("underflows", underflows)),
	         "then %ld items for %ld consumers: each got one, none took from an empty buffer",
	         consumers, consumers);
	buffer_destroy(&b);
}

/* ------------------------------------------------------------------ */
/* Step 5: a long run, broken then fixed.                               */

static void *
producer_main(void *arg)
{
	struct worker *w = arg;

	name_thread(w, "producer");
	for (long i = 0; i < items; i++) {
		long item = (w->index - 1) * items + i; /* every item is distinct */

		if (!put(w->buffer, item, w->broken, false))
			break;
		w->taken++; /* here: how many it put */
	}
	return NULL;
}

static void *
consumer_main(void *arg)
{
	struct worker *w = arg;
	long item;
	enum take_result r;

	name_thread(w, "consumer");
	while ((r = w->broken ? take_broken(w->buffer, &item) : take(w->buffer, &item)) == TOOK) {
		w->taken++;
		w->sum += item;
		atomic_fetch_add(&w->tally[item], 1);
	}
	return NULL;
}

struct long_run {
	long produced, consumed, underflows, overflows, empty_wakeups, full_wakeups;
	long long expected_sum, sum;
	long missing, duplicated;
	double seconds;
};

static struct long_run
run_long(bool broken, atomic_int *tally)
{
	struct worker prod[MAX_THREADS], cons[MAX_THREADS];
	long total = producers * items;
	struct long_run r = { 0 };
	struct buffer b;
	double start;

	buffer_init(&b);
	b.stop_on_failure = true;
	for (long i = 0; i < total; i++)
		atomic_store(&tally[i], 0);
	start = pl_measure_now();
	for (int i = 0; i < consumers; i++) {
		cons[i] = (struct worker){ .index = i + 1, .broken = broken, .buffer = &b,
			                   .tally = tally };
		start_thread(&cons[i], consumer_main);
	}
	for (int i = 0; i < producers; i++) {
		prod[i] = (struct worker){ .index = i + 1, .broken = broken, .buffer = &b };
		start_thread(&prod[i], producer_main);
	}
	for (int i = 0; i < producers; i++) {
		join_thread(&prod[i]);
		r.produced += prod[i].taken;
	}
	close_buffer(&b); /* no more items: consumers drain the buffer and end */
	for (int i = 0; i < consumers; i++) {
		join_thread(&cons[i]);
		r.consumed += cons[i].taken;
		r.sum += cons[i].sum;
	}
	r.seconds = pl_measure_now() - start;
	r.underflows = b.underflows;
	r.overflows = b.overflows;
	r.empty_wakeups = b.empty_wakeups;
	r.full_wakeups = b.full_wakeups;
	r.expected_sum = (long long)total * (total - 1) / 2; /* 0 + 1 + ... + total-1 */
	for (long i = 0; i < total; i++) {
		int n = atomic_load(&tally[i]);

		r.missing += n == 0;
		r.duplicated += n > 1;
	}
	buffer_destroy(&b);
	return r;
}

static void
long_runs(void)
{
	long total = producers * items;
	atomic_int *tally = calloc((size_t)total, sizeof(*tally));
	struct long_run r;

	if (tally == NULL)
		pl_die("calloc");
	pl_step("long-run",
	        PL_FIELDS(PL_INT("producers", producers), PL_INT("consumers", consumers),
	                  PL_INT("items", total), PL_INT("size", slots)),
	        "%ld producers, %ld consumers, %ld items through %ld slots: `if`, then `while`",
	        producers, consumers, total, slots);

	r = run_long(true, tally);
	pl_note("broken-run",
	        PL_FIELDS(PL_STR("variant", "if"), PL_INT("produced", r.produced),
	                  PL_INT("consumed", r.consumed), PL_INT("underflows", r.underflows),
	                  PL_INT("overflows", r.overflows)),
	        "if:    %s after %ld of %ld items; caught %ld take(s) from an empty buffer, "
	        "%ld put(s) into a full one",
	        r.underflows + r.overflows ? "broke" : "got through", r.consumed, total,
	        r.underflows, r.overflows);
	/* One consumer has nobody to steal its items; a short run, few chances. */
	if (consumers >= 2 && total >= 1000)
		pl_check("if-breaks", r.underflows + r.overflows > 0,
		         PL_FIELDS(PL_INT("underflows", r.underflows),
		                   PL_INT("overflows", r.overflows)),
		         "with `if`, a woken thread went on when it should have waited: the run "
		         "was stopped there");
	else
		pl_note("too-small", NULL,
		        "with %ld consumer(s) and %ld items `if` may get through: try the defaults",
		        consumers, total);

	r = run_long(false, tally);
	pl_note("fixed-run",
	        PL_FIELDS(PL_STR("variant", "while"), PL_INT("produced", r.produced),
	                  PL_INT("consumed", r.consumed), PL_INT("expected", total),
	                  PL_INT("sum", r.sum), PL_INT("expected_sum", r.expected_sum),
	                  PL_INT("missing", r.missing), PL_INT("duplicated", r.duplicated),
	                  PL_INT("empty_wakeups", r.empty_wakeups),
	                  PL_INT("full_wakeups", r.full_wakeups),
	                  PL_DOUBLE("seconds", r.seconds)),
	        "while: %ld produced, %ld consumed, checksum %lld of %lld, %ld missing, %ld "
	        "twice, in %.0f ms",
	        r.produced, r.consumed, r.sum, r.expected_sum, r.missing, r.duplicated,
	        r.seconds * 1e3);
	pl_note("rewaits", NULL,
	        "while: %ld wakeups found the buffer empty, %ld found it full, and waited again",
	        r.empty_wakeups, r.full_wakeups);
	pl_check("nothing-lost", r.produced == total && r.consumed == total,
	         PL_FIELDS(PL_INT("consumed", r.consumed)),
	         "with `while` all %ld items were produced and consumed", total);
	pl_check("checksum", r.sum == r.expected_sum && r.missing == 0 && r.duplicated == 0,
	         NULL, "the checksum matches, and the tally shows each item taken exactly once");
	free(tally);
}

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);
	if (producers * items > MAX_ITEMS)
		pl_die_usage("--producers times --items must be at most %ld, not %ld", MAX_ITEMS,
		             producers * items);

	stolen_wakeup();
	wait_on_full();
	while_fix();
	long_runs();

	return pl_demo_finish();
}
