/* pool.c - a process pool: map a function over inputs in worker processes.
 *
 * The pool forks N workers and talks to each over two pipes: tasks down,
 * results up. It cuts the inputs into chunks, keeps every worker busy with
 * up to two chunks, and hands the results back in input order (like
 * multiprocessing's Pool.map and imap) or as they come (imap_unordered).
 *
 * It shows, and proves while it runs, that
 *   1. the workers are real processes, children of the pool in /proc,
 *      asleep in a pipe read when idle; every input was computed exactly
 *      once, and the checksum of f(x) over all x is the sequential one;
 *   2. ordered results wait for the slowest chunk before them; unordered
 *      ones come as they are done: the order and the time of the first
 *      result show it;
 *   3. a worker that crashes (an input makes it SIGSEGV, another abort())
 *      does not hang the pool: the pool sees end-of-file on its pipe, reads
 *      the wait status (the signal), re-queues the lost chunk one input at
 *      a time to find the input that crashes, reports that input with its
 *      signal, and forks a replacement worker;
 *   4. against a thread pool and against a plain loop: small tasks cost a
 *      process pool a round trip each unless they are chunked, large tasks
 *      hide the cost; medians of repeated runs, never checked.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   pool_start()    fork the workers, each with a task pipe and a result pipe
 *   worker_serve()  a worker: read a task, compute, write the result
 *   pool_map()      map the job over its inputs with the pool's workers
 *   feed()          hand out chunks of inputs to idle workers
 *   receive()       collect results, and notice a worker that died
 *   pool_stop()     close every task pipe: each worker exits
 *
 * Usage:     proclab-pool [--workers N] [--inputs N] [--chunk N]
 *                         [--order ordered|unordered] [--crash X] [--abort X]
 *                         [--work S] [--repeats R] [--full] [--json]
 * Dashboard: `proclab pool` shows the pool and its workers, asleep in
 *            pipe_read between chunks, each counting its chunks; a crashed
 *            worker vanishes and a new PID takes its place.
 * Lesson:    lessons/18-pool.md
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_WORKERS 16
#define MAX_INPUTS 100000
#define MAX_REPEATS 15
#define PREFETCH 2        /* chunks in flight per worker */
#define MAP_TASK_US 100.0 /* steps 1 to 3: about 0.1 ms an input */
#define SLOW_FACTOR 20    /* step 2: the first chunk is this much slower */
#define SMALL_TASK_US 5.0 /* step 4: small tasks ... */
#define LARGE_TASKS 16    /* ... and this many large ones a job */
#define MAX_SMALL_TASKS 40000
#define MIN_JOB_SECONDS 0.002
#define POLL_MS 1000

static long workers_wanted = 2;
static long inputs_wanted = 200;
static long chunk_wanted; /* 0: automatic, as Pool.map */
static const char *order_choice = "ordered";
static long crash_input = 13;
static long abort_input = 42;
static double work_seconds; /* 0: 0.2 (2 with --full) */
static long repeats;        /* 0: 3 (5 with --full) */
static bool full;

static const struct pl_option options[] = {
	{ "workers", 'n', PL_OPT_INT, "N",
	  "worker processes (and threads) in the pools (default 2)", 1, MAX_WORKERS,
	  &workers_wanted },
	{ "inputs", 'i', PL_OPT_INT, "N", "inputs to map in steps 1 to 3 (default 200)", 1,
	  MAX_INPUTS, &inputs_wanted },
	{ "chunk", 'c', PL_OPT_INT, "N",
	  "inputs per chunk (default 0: automatic, inputs / (4 x workers) as Pool.map)", 0, 10000,
	  &chunk_wanted },
	{ "order", 'o', PL_OPT_STRING, "ORDER", "ordered (the default) or unordered results", 0, 0,
	  &order_choice },
	{ "crash", 'x', PL_OPT_INT, "X",
	  "step 3: the input that makes its worker SIGSEGV (default 13; -1: none)", -1,
	  MAX_INPUTS - 1, &crash_input },
	{ "abort", 'a', PL_OPT_INT, "X",
	  "step 3: the input that makes its worker abort() (default 42; -1: none)", -1,
	  MAX_INPUTS - 1, &abort_input },
	{ "work", 'w', PL_OPT_DOUBLE, "S",
	  "step 4: CPU seconds of one job (default 0.2; 2 with --full)", 0.01, 60, &work_seconds },
	{ "repeats", 'r', PL_OPT_INT, "R", "step 4: measured runs of each case (default 3)", 1,
	  MAX_REPEATS, &repeats },
	{ "full", 'f', PL_OPT_FLAG, NULL, "the full measurement: --work 2 --repeats 5", 0, 0,
	  &full },
};

static const struct pl_demo demo = {
	.name = "pool",
	.summary = "A process pool maps a function over inputs; a crashed worker is replaced.",
	.description = "Worker processes take chunks of inputs over pipes and send results back,\n"
	               "in input order or as they come. A worker that crashes is noticed (end of\n"
	               "file, then its wait status), its chunk re-queued, the input that crashes\n"
	               "reported with its signal, and the worker replaced. Then a process pool\n"
	               "against a thread pool for small and large tasks: measured, never checked.",
	.lesson = "18-pool.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* The function the pool maps: ROUNDS rounds of integer mixing from X.    */

static double rounds_per_us;

static uint64_t
f(uint64_t x, long rounds)
{
	uint64_t h = x * 0x9e3779b97f4a7c15u + 1;

	for (long r = 0; r < rounds; r++) {
		h ^= h >> 31;
		h *= 0xbf58476d1ce4e5b9u;
		h ^= h >> 27;
	}
	return h;
}

static long
rounds_for(double us)
{
	long r = (long)(us * rounds_per_us);

	return r < 1 ? 1 : r;
}

/* What one map costs: every input ROUNDS rounds, except the first
 * SLOW_UNTIL inputs, SLOW_ROUNDS each. */
struct job {
	int inputs;
	int chunk;
	bool ordered;
	long rounds, slow_rounds;
	int slow_until;
	long crash, abort_at; /* inputs that crash their worker, or -1 */
};

static long
cost_of(const struct job *j, int x)
{
	return x < j->slow_until ? j->slow_rounds : j->rounds;
}

/* The sum of f(x) over every input, computed here in one loop. */
static uint64_t
sequential_checksum(const struct job *j, const bool *skip)
{
	uint64_t sum = 0;

	for (int x = 0; x < j->inputs; x++)
		if (skip == NULL || !skip[x])
			sum += f((uint64_t)x, cost_of(j, x));
	return sum;
}

/* ------------------------------------------------------------------ */
/* The worker: read a task, compute, write the results, until end of     */
/* file. Two inputs are poison: one makes it dereference a bad pointer,  */
/* one makes it call abort().                                             */

/* A task carries the job with it, as a pool's task carries the function
 * and its arguments: a worker knows nothing until it is told. */
struct task {
	int32_t start, count;
	struct job job;
};

struct reply {
	int32_t start, count;
};

/* A bad pointer, as a bug makes one. volatile: the compiler may not
 * assume anything about it. */
static int *volatile bad_pointer = (int *)16;

static noreturn void
crash(bool segv)
{
	/* No core file: the demo leaves nothing behind (prctl(2)). */
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0);
	if (segv) {
		/* Sanitizer builds catch SIGSEGV to print a report: give the
		 * signal back to the kernel, as in a normal build. */
		signal(SIGSEGV, SIG_DFL);
		*bad_pointer = 1;
	}
	abort();
}

static noreturn void
worker_serve(int in, int out)
{
	uint64_t *buf = NULL;
	size_t room = 0;
	struct task t;
	long chunks = 0;

	for (;;) {
		ssize_t n = pl_read_full(in, &t, sizeof(t));
		const struct job *j = &t.job;
		size_t size = sizeof(struct reply) + (size_t)t.count * sizeof(uint64_t);

		if (n == 0) /* the pool closed its end: we are done */
			_exit(EXIT_SUCCESS);
		if (n != (ssize_t)sizeof(t) || t.count < 1 || t.count > MAX_INPUTS)
			pl_die("reading a task");
		if (size > room && (buf = realloc(buf, room = size)) == NULL)
			pl_die("realloc");
		struct reply *r = (struct reply *)buf;
		uint64_t *results = (uint64_t *)(r + 1);

		for (int i = 0; i < t.count; i++) {
			int x = t.start + i;

			if (x == j->crash || x == j->abort_at)
				crash(x == j->crash);
			results[i] = f((uint64_t)x, cost_of(j, x));
		}
		r->start = t.start;
		r->count = t.count;
		if (pl_write_all(out, buf, size) == -1)
			pl_die("writing results");
		pl_board_count("chunks done", ++chunks);
	}
}

/* ------------------------------------------------------------------ */
/* The pool's side.                                                       */

enum chunk_state { QUEUED, RUNNING, DONE, FAILED };

struct chunk {
	int start, count;
	enum chunk_state state;
};

struct worker {
	pid_t pid;
	int to, from;           /* task pipe (write end), result pipe (read end) */
	int inflight[PREFETCH]; /* chunk numbers, oldest first */
	int ninflight;
	int chunks_done;
};

struct crash_report {
	pid_t pid;
	int start, count; /* the chunk it was running */
	int status;
	bool split; /* re-queued one input at a time */
};

#define MAX_CRASHES 16

struct pool {
	int nworkers;
	struct worker workers[MAX_WORKERS];
	const struct job *job;
	struct chunk *chunks;
	int nchunks, capacity;
	int *queue, qhead, qtail; /* chunk numbers waiting */
	uint64_t *results;
	signed char *state; /* per input: 0 waiting, 1 have, -1 failed */
	int *failed_signal;
	int finished;               /* inputs with a result or failed */
	int next;                   /* ordered: the next input to deliver */
	int *delivered, ndelivered; /* inputs in the order they were delivered */
	int buffered, max_buffered; /* received, not yet deliverable */
	double started, first_result;
	uint64_t checksum; /* of delivered results */
	struct crash_report crashes[MAX_CRASHES];
	int ncrashes, forks;
};

static void
start_worker(struct pool *p, int w)
{
	int down[2], up[2];
	pid_t pid;

	if (pipe(down) == -1 || pipe(up) == -1)
		pl_die("pipe");
	switch (pid = pl_fork("worker", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: keep its own two ends, close every other. */
		close(down[1]);
		close(up[0]);
		for (int i = 0; i < p->nworkers; i++)
			if (i != w && p->workers[i].pid > 0) {
				close(p->workers[i].to);
				close(p->workers[i].from);
			}
		worker_serve(down[0], up[1]);
	default: /* Parent */
		close(down[0]);
		close(up[1]);
		p->workers[w] = (struct worker){ .pid = pid, .to = down[1], .from = up[0] };
		p->forks++;
	}
}

static void
pool_start(struct pool *p, int nworkers)
{
	memset(p, 0, sizeof(*p));
	p->nworkers = nworkers;
	for (int w = 0; w < nworkers; w++)
		start_worker(p, w);
}

/* Close every task pipe: each worker reads end of file and exits 0. */
static int
pool_stop(struct pool *p, int *clean)
{
	int exited = 0;

	for (int w = 0; w < p->nworkers; w++)
		close(p->workers[w].to);
	for (int w = 0; w < p->nworkers; w++) {
		int status;

		if (pl_child_wait(p->workers[w].pid, &status, 0) == -1)
			pl_die("waitpid");
		close(p->workers[w].from);
		exited += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	*clean = exited;
	return p->nworkers;
}

static void
enqueue(struct pool *p, int start, int count, bool front)
{
	int c = p->nchunks++;

	p->chunks[c] = (struct chunk){ start, count, QUEUED };
	if (front)
		p->queue[--p->qhead] = c;
	else
		p->queue[p->qtail++] = c;
}

static void
deliver(struct pool *p, int x)
{
	if (p->ndelivered == 0)
		p->first_result = pl_measure_now() - p->started;
	p->delivered[p->ndelivered++] = x;
	if (p->state[x] == 1)
		p->checksum += p->results[x];
}

/* Results of inputs START..START+COUNT-1 are in (or failed): hand them
 * on, now (unordered) or once every input before them is in (ordered). */
static void
finished(struct pool *p, int start, int count)
{
	p->finished += count;
	if (!p->job->ordered) {
		for (int x = start; x < start + count; x++)
			deliver(p, x);
		return;
	}
	p->buffered += count;
	if (p->buffered > p->max_buffered)
		p->max_buffered = p->buffered;
	while (p->next < p->job->inputs && p->state[p->next] != 0) {
		deliver(p, p->next++);
		p->buffered--;
	}
}

static void
feed(struct pool *p, struct worker *w)
{
	while (w->ninflight < PREFETCH && p->qhead < p->qtail) {
		int c = p->queue[p->qhead++];
		struct task t = { p->chunks[c].start, p->chunks[c].count, *p->job };

		if (pl_write_all(w->to, &t, sizeof(t)) == -1) {
			/* It died (EPIPE): the chunk goes back, and its result pipe
			 * will say end of file. */
			p->queue[--p->qhead] = c;
			return;
		}
		p->chunks[c].state = RUNNING;
		w->inflight[w->ninflight++] = c;
	}
}

/* The worker's result pipe said end of file: it is dead. Reap it, report
 * how it died and what it was doing, put its chunks back in the queue
 * (the one it was running split into single inputs, unless it was one
 * already: then that input failed), and start a new worker. */
static void
worker_lost(struct pool *p, int wi)
{
	struct worker *w = &p->workers[wi];
	int status = 0;

	if (pl_child_wait(w->pid, &status, 0) == -1)
		pl_die("waitpid");
	close(w->to);
	close(w->from);
	for (int k = w->ninflight - 1; k >= 0; k--) {
		struct chunk *c = &p->chunks[w->inflight[k]];

		if (k > 0) { /* not started yet: back to the front, as it was */
			enqueue(p, c->start, c->count, true);
		} else if (c->count > 1) {
			for (int x = c->start + c->count - 1; x >= c->start; x--)
				enqueue(p, x, 1, true);
		} else {
			p->state[c->start] = -1;
			p->failed_signal[c->start] = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			finished(p, c->start, 1);
		}
		c->state = k == 0 && c->count == 1 ? FAILED : DONE;
		if (k == 0 && p->ncrashes < MAX_CRASHES)
			p->crashes[p->ncrashes++] =
			        (struct crash_report){ w->pid, c->start, c->count, status,
				                       c->count > 1 };
	}
	pl_board_count("workers replaced", p->ncrashes);
	start_worker(p, wi);
}

static void
receive(struct pool *p, int wi)
{
	struct worker *w = &p->workers[wi];
	struct reply r;
	ssize_t n = pl_read_full(w->from, &r, sizeof(r));
	struct chunk *c;

	if (n != (ssize_t)sizeof(r) || w->ninflight == 0) {
		worker_lost(p, wi);
		return;
	}
	c = &p->chunks[w->inflight[0]];
	if (r.start != c->start || r.count != c->count)
		pl_die_en(EPROTO, "worker %ld answered for the wrong chunk", (long)w->pid);
	if (pl_read_full(w->from, p->results + r.start, (size_t)r.count * sizeof(uint64_t)) !=
	    (ssize_t)((size_t)r.count * sizeof(uint64_t))) {
		worker_lost(p, wi);
		return;
	}
	memmove(w->inflight, w->inflight + 1, (size_t)--w->ninflight * sizeof(int));
	c->state = DONE;
	w->chunks_done++;
	for (int x = r.start; x < r.start + r.count; x++)
		p->state[x] = 1;
	finished(p, r.start, r.count);
}

static int
auto_chunk(int inputs, int workers)
{
	int chunk = (inputs + 4 * workers - 1) / (4 * workers);

	return chunk < 1 ? 1 : chunk;
}

/* Map the job over its inputs with the pool's workers. */
static void
pool_map(struct pool *p, const struct job *j)
{
	int n = j->inputs;

	for (int w = 0; w < p->nworkers; w++)
		p->workers[w].ninflight = p->workers[w].chunks_done = 0;
	p->job = j;
	/* The chunks, and room for those a crash re-queues. */
	p->capacity = (n + j->chunk - 1) / j->chunk + 2 * n + 16;
	p->chunks = calloc((size_t)p->capacity, sizeof(*p->chunks));
	p->queue = calloc((size_t)p->capacity * 2, sizeof(int));
	p->results = calloc((size_t)n, sizeof(uint64_t));
	p->state = calloc((size_t)n, 1);
	p->failed_signal = calloc((size_t)n, sizeof(int));
	p->delivered = calloc((size_t)n, sizeof(int));
	if (!p->chunks || !p->queue || !p->results || !p->state || !p->failed_signal ||
	    !p->delivered)
		pl_die("calloc");
	p->qhead = p->qtail = p->capacity; /* room to push at the front */
	p->nchunks = p->finished = p->next = p->ndelivered = p->buffered = p->max_buffered = 0;
	p->ncrashes = 0;
	p->checksum = 0;
	p->started = pl_measure_now();
	for (int x = 0; x < n; x += j->chunk)
		enqueue(p, x, x + j->chunk <= n ? j->chunk : n - x, false);

	while (p->finished < n) {
		struct pollfd fds[MAX_WORKERS];
		int ready;

		for (int w = 0; w < p->nworkers; w++) {
			feed(p, &p->workers[w]);
			fds[w] = (struct pollfd){ .fd = p->workers[w].from, .events = POLLIN };
		}
		ready = poll(fds, (nfds_t)p->nworkers, POLL_MS);
		if (ready == -1 && errno != EINTR)
			pl_die("poll");
		for (int w = 0; w < p->nworkers && ready > 0; w++)
			if (fds[w].revents & (POLLIN | POLLHUP | POLLERR))
				receive(p, w);
	}
}

static void
pool_forget_map(struct pool *p)
{
	free(p->chunks);
	free(p->queue);
	free(p->results);
	free(p->state);
	free(p->failed_signal);
	free(p->delivered);
}

/* ------------------------------------------------------------------ */
/* Evidence: the pool's children as the kernel lists them.                */

static int
kernel_children(const struct pool *p, const char *why)
{
	pid_t listed[MAX_WORKERS + 8];
	int count, matched = 0;

	count = pl_procfs_children(getpid(), listed, PL_COUNT(listed));
	if (count == -1)
		pl_die("scanning /proc");
	for (int i = 0; i < count && i < (int)PL_COUNT(listed); i++) {
		struct pl_proc proc;
		int wi = -1;

		for (int w = 0; w < p->nworkers; w++)
			if (p->workers[w].pid == listed[i])
				wi = w;
		if (wi < 0)
			continue;
		/* An idle worker sleeps in read(2) on its task pipe. */
		if (pl_procfs_wait_wchan(listed[i], "pipe_read", 5000, &proc) != 0)
			pl_procfs_read(listed[i], &proc);
		matched++;
		pl_note("kernel-worker",
		        PL_FIELDS(PL_STR("when", why), PL_INT("worker", proc.pid),
		                  PL_INT("ppid", proc.ppid), PL_CHAR("state", proc.state),
		                  PL_STR("wchan", proc.wchan),
		                  PL_DOUBLE("cpu_s", proc.user_seconds + proc.system_seconds),
		                  PL_INT("chunks", p->workers[wi].chunks_done)),
		        "/proc/%ld: ppid %ld, state %c%s%s, %.2f s of CPU, %d chunks",
		        (long)proc.pid, (long)proc.ppid, proc.state, proc.wchan[0] ? " in " : "",
		        proc.wchan, proc.user_seconds + proc.system_seconds,
		        p->workers[wi].chunks_done);
	}
	return count == p->nworkers && matched == p->nworkers ? matched : -1;
}

static bool
each_input_once(const struct pool *p)
{
	int n = p->job->inputs;
	char *seen = calloc((size_t)n, 1);
	bool ok = seen != NULL && p->ndelivered == n;

	for (int i = 0; ok && i < p->ndelivered; i++) {
		ok = !seen[p->delivered[i]];
		seen[p->delivered[i]] = 1;
	}
	free(seen);
	return ok;
}

static bool
in_input_order(const struct pool *p)
{
	for (int i = 0; i < p->ndelivered; i++)
		if (p->delivered[i] != i)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Step 1: map.                                                           */

static int nworkers;
static struct job map_job;

static void
map_step(void)
{
	struct pool p;
	uint64_t expected = sequential_checksum(&map_job, NULL);
	int listed, clean;

	pl_step("map",
	        PL_FIELDS(PL_INT("workers", nworkers), PL_INT("inputs", map_job.inputs),
	                  PL_INT("chunk", map_job.chunk)),
	        "a pool of %d worker processes maps f over %d inputs, %d inputs a chunk", nworkers,
	        map_job.inputs, map_job.chunk);
	pool_start(&p, nworkers);
	pool_map(&p, &map_job);
	pl_note("mapped",
	        PL_FIELDS(PL_INT("inputs", map_job.inputs), PL_INT("chunks", p.nchunks),
	                  PL_BOOL("ordered", map_job.ordered),
	                  PL_INT("checksum", (long long)(p.checksum >> 1)),
	                  PL_INT("expected", (long long)(expected >> 1)),
	                  PL_DOUBLE("seconds", pl_measure_now() - p.started)),
	        "%d results in %d chunks (%s), checksum %llu; a plain loop says %llu", p.ndelivered,
	        p.nchunks, map_job.ordered ? "in input order" : "as they came",
	        (unsigned long long)p.checksum, (unsigned long long)expected);
	listed = kernel_children(&p, "map");
	pl_check("workers-are-children", listed == nworkers,
	         PL_FIELDS(PL_INT("expected", nworkers), PL_INT("listed", listed)),
	         "the kernel lists the %d workers as children of the pool", nworkers);
	pl_check("results-right", p.checksum == expected && each_input_once(&p),
	         PL_FIELDS(PL_INT("inputs", map_job.inputs), PL_INT("delivered", p.ndelivered)),
	         "every input was delivered once, and the checksum of f(x) is the plain loop's");
	if (map_job.ordered)
		pl_check("ordered", in_input_order(&p), NULL, "the results came in input order");
	pl_pause(1.0); /* time to look at the idle workers */
	pool_stop(&p, &clean);
	pl_check("workers-exit", clean == nworkers, PL_FIELDS(PL_INT("clean", clean)),
	         "at end of file on their task pipes all %d workers exited with status 0",
	         nworkers);
	pool_forget_map(&p);
}

/* ------------------------------------------------------------------ */
/* Step 2: ordered against unordered, with a slow first chunk.           */

static void
order_step(void)
{
	struct job j = map_job;
	double first[2];
	int buffered[2];
	bool right[2], order_ok[2];
	uint64_t expected;

	j.slow_until = j.chunk;
	j.slow_rounds = j.rounds * SLOW_FACTOR;
	expected = sequential_checksum(&j, NULL);
	pl_step("order", PL_FIELDS(PL_INT("slow_inputs", j.slow_until)),
	        "ordered or unordered: the first chunk (%d inputs) is %d times slower", j.chunk,
	        SLOW_FACTOR);
	for (int k = 0; k < 2; k++) {
		struct pool p;
		int clean;

		j.ordered = k == 0;
		pool_start(&p, nworkers);
		pool_map(&p, &j);
		first[k] = p.first_result;
		buffered[k] = p.max_buffered;
		right[k] = p.checksum == expected && each_input_once(&p);
		order_ok[k] = in_input_order(&p) == j.ordered;
		pl_note("order",
		        PL_FIELDS(PL_BOOL("ordered", j.ordered),
		                  PL_DOUBLE("first_result_ms", p.first_result * 1000),
		                  PL_DOUBLE("all_ms", (pl_measure_now() - p.started) * 1000),
		                  PL_INT("first_input", p.delivered[0]),
		                  PL_INT("max_buffered", p.max_buffered),
		                  PL_BOOL("input_order", in_input_order(&p))),
		        "%-9s the first result (input %d) after %.1f ms, all after %.1f ms; at most "
		        "%d results held back",
		        j.ordered ? "ordered:" : "unordered:", p.delivered[0],
		        p.first_result * 1000, (pl_measure_now() - p.started) * 1000,
		        p.max_buffered);
		pool_stop(&p, &clean);
		pool_forget_map(&p);
	}
	pl_check("order-right",
	         right[0] && right[1] && order_ok[0] && order_ok[1] && buffered[1] == 0, NULL,
	         "both delivered every input once with the right checksum; ordered in input order, "
	         "unordered held nothing back");
	pl_note("held",
	        PL_FIELDS(PL_STR("claim", "unordered-first-sooner"),
	                  PL_BOOL("held", first[1] < first[0])),
	        "the first unordered result came before the first ordered one: %.1f against "
	        "%.1f ms, held: %s",
	        first[1] * 1000, first[0] * 1000, first[1] < first[0] ? "yes" : "no");
}

/* ------------------------------------------------------------------ */
/* Step 3: a worker crashes.                                               */

static void
crash_step(void)
{
	struct job j = map_job;
	bool *skip = calloc((size_t)j.inputs, sizeof(bool));
	pid_t crashed[MAX_CRASHES];
	struct pool p;
	uint64_t expected;
	int failed = 0, failed_right = 0, listed, clean, gone = 0, ncrashed;
	double took;

	if (skip == NULL)
		pl_die("calloc");
	j.crash = crash_input;
	j.abort_at = abort_input;
	if (j.crash >= 0)
		skip[j.crash] = true;
	if (j.abort_at >= 0)
		skip[j.abort_at] = true;
	expected = sequential_checksum(&j, skip);
	pl_step("crash", PL_FIELDS(PL_INT("crash", j.crash), PL_INT("abort", j.abort_at)),
	        "input %ld makes its worker dereference a bad pointer, input %ld makes it abort()",
	        j.crash, j.abort_at);
	pool_start(&p, nworkers);
	pool_map(&p, &j);
	took = pl_measure_now() - p.started;
	for (int i = 0; i < p.ncrashes; i++) {
		const struct crash_report *c = &p.crashes[i];
		char how[96];

		pl_status_describe(c->status, how, sizeof(how));
		crashed[i] = c->pid;
		pl_note("worker-died",
		        PL_FIELDS(PL_INT("worker", c->pid), PL_INT("start", c->start),
		                  PL_INT("count", c->count),
		                  PL_INT("signal",
		                         WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0),
		                  PL_STR("signal_name",
		                         WIFSIGNALED(c->status)
		                                 ? pl_signal_name(WTERMSIG(c->status))
		                                 : ""),
		                  PL_BOOL("split", c->split)),
		        "worker %ld, running inputs %d to %d: %s; %s", (long)c->pid, c->start,
		        c->start + c->count - 1, how,
		        c->split ? "its chunk goes back one input at a time"
		                 : "this input alone crashes it: reported as failed");
	}
	ncrashed = p.ncrashes;
	for (int x = 0; x < j.inputs; x++) {
		if (p.state[x] != -1)
			continue;
		failed++;
		failed_right += (x == j.crash && p.failed_signal[x] == SIGSEGV) ||
		                (x == j.abort_at && p.failed_signal[x] == SIGABRT);
		pl_note("input-failed",
		        PL_FIELDS(PL_INT("input", x), PL_INT("signal", p.failed_signal[x]),
		                  PL_STR("signal_name", pl_signal_name(p.failed_signal[x]))),
		        "input %d failed: its worker was killed by %s", x,
		        pl_signal_name(p.failed_signal[x]));
	}
	pl_note("crash-map",
	        PL_FIELDS(PL_INT("inputs", j.inputs), PL_INT("crashes", ncrashed),
	                  PL_INT("forks", p.forks), PL_DOUBLE("seconds", took)),
	        "the map ended after %.1f ms: %d workers died, %d forked in all", took * 1000,
	        ncrashed, p.forks);
	listed = kernel_children(&p, "after-crash");
	for (int i = 0; i < ncrashed; i++) {
		struct pl_proc proc;

		gone += pl_procfs_read(crashed[i], &proc) == PL_PROCFS_GONE;
	}
	int want = (j.crash >= 0) + (j.abort_at >= 0 && j.abort_at != j.crash);
	pl_check("crash-reported", failed == want && failed_right == want,
	         PL_FIELDS(PL_INT("failed", failed), PL_INT("expected", want)),
	         "exactly the poison inputs failed, each with its signal: SIGSEGV and SIGABRT");
	pl_check("results-right", p.checksum == expected && each_input_once(&p), NULL,
	         "every other input was delivered once, with the plain loop's checksum");
	pl_check("workers-replaced", listed == nworkers && gone == ncrashed,
	         PL_FIELDS(PL_INT("listed", listed), PL_INT("gone", gone)),
	         "the dead workers are gone from /proc, and %d live workers serve the pool again",
	         nworkers);
	pool_stop(&p, &clean);
	pool_forget_map(&p);
	free(skip);
}

/* ------------------------------------------------------------------ */
/* Step 4: a process pool against a thread pool, small tasks and large.  */

struct thread_pool_job {
	const struct job *job;
	atomic_int next_chunk;
	uint64_t *results;
};

static void *
thread_pool_worker(void *arg)
{
	struct thread_pool_job *t = arg;
	const struct job *j = t->job;
	int c;

	while ((c = atomic_fetch_add(&t->next_chunk, 1)) * j->chunk < j->inputs) {
		int start = c * j->chunk,
		    end = start + j->chunk < j->inputs ? start + j->chunk : j->inputs;

		for (int x = start; x < end; x++)
			t->results[x] = f((uint64_t)x, cost_of(j, x));
	}
	return NULL;
}

static uint64_t
thread_pool_map(const struct job *j)
{
	struct thread_pool_job t = { .job = j };
	pthread_t threads[MAX_WORKERS];
	uint64_t sum = 0;
	int rc;

	atomic_init(&t.next_chunk, 0);
	if ((t.results = calloc((size_t)j->inputs, sizeof(uint64_t))) == NULL)
		pl_die("calloc");
	for (int i = 0; i < nworkers; i++)
		if ((rc = pthread_create(&threads[i], NULL, thread_pool_worker, &t)) != 0)
			pl_die_en(rc, "pthread_create");
	for (int i = 0; i < nworkers; i++)
		if ((rc = pthread_join(threads[i], NULL)) != 0)
			pl_die_en(rc, "pthread_join");
	for (int x = 0; x < j->inputs; x++)
		sum += t.results[x];
	free(t.results);
	return sum;
}

enum runner { LOOP, PROCESS_POOL, THREAD_POOL };
static const char *const runner_names[] = { "plain loop", "process pool", "thread pool" };

/* One run: the whole job, pool start and stop included. */
static double
run_once(enum runner how, const struct job *j, uint64_t expected, int *right)
{
	double start = pl_measure_now();
	uint64_t sum = 0;
	struct pool p;
	int clean = 0;

	switch (how) {
	case LOOP:
		sum = sequential_checksum(j, NULL);
		break;
	case PROCESS_POOL:
		pool_start(&p, nworkers);
		pool_map(&p, j);
		sum = p.checksum;
		pool_stop(&p, &clean);
		pool_forget_map(&p);
		break;
	case THREAD_POOL:
		sum = thread_pool_map(j);
		break;
	}
	*right += sum == expected && (how != PROCESS_POOL || clean == nworkers);
	return pl_measure_now() - start;
}

struct bench_case {
	const char *name;
	struct job job;
	double median[3], spread[3];
};

static struct bench_case cases[3];

static void
bench_step(void)
{
	double speed = pl_narrate_get_config()->speed, job_s = work_seconds / speed;
	double times[3][3][MAX_REPEATS];
	int runs = 0, right = 0;

	if (job_s < MIN_JOB_SECONDS)
		job_s = MIN_JOB_SECONDS;
	int small = (int)(job_s * 1e6 / SMALL_TASK_US);
	small = small < 100 ? 100 : small > MAX_SMALL_TASKS ? MAX_SMALL_TASKS : small;
	cases[0] = (struct bench_case){ .name = "small tasks, chunk 1",
		                        .job = { .inputs = small,
		                                 .chunk = 1,
		                                 .ordered = true,
		                                 .rounds = rounds_for(SMALL_TASK_US),
		                                 .crash = -1,
		                                 .abort_at = -1 } };
	cases[1] = cases[0];
	cases[1].name = "small tasks, chunked";
	cases[1].job.chunk = auto_chunk(small, nworkers);
	cases[2] = cases[0];
	cases[2].name = "large tasks";
	cases[2].job.inputs = LARGE_TASKS;
	cases[2].job.rounds = rounds_for(job_s * 1e6 / LARGE_TASKS);
	pl_step("small-large", PL_FIELDS(PL_DOUBLE("job_s", job_s), PL_INT("repeats", repeats)),
	        "a process pool against a thread pool and a plain loop: small tasks and large, "
	        "%.3f s of CPU a job",
	        job_s);
	for (int c = 0; c < 3; c++) {
		const struct job *j = &cases[c].job;

		pl_note("bench-case",
		        PL_FIELDS(PL_STR("case", cases[c].name), PL_INT("tasks", j->inputs),
		                  PL_INT("chunk", j->chunk),
		                  PL_DOUBLE("task_us", (double)j->rounds / rounds_per_us)),
		        "%-21s %d tasks of about %.0f us, %d a chunk", cases[c].name, j->inputs,
		        (double)j->rounds / rounds_per_us, j->chunk);
	}

	/* A warm-up of each runner, then the repeats, interleaved. */
	uint64_t expected[3];
	int ignored = 0;

	for (int c = 0; c < 3; c++)
		expected[c] = sequential_checksum(&cases[c].job, NULL);
	for (int how = 0; how < 3; how++)
		run_once((enum runner)how, &cases[2].job, expected[2], &ignored);
	for (long r = 0; r < repeats; r++)
		for (int c = 0; c < 3; c++)
			for (int how = 0; how < 3; how++) {
				times[c][how][r] = run_once((enum runner)how, &cases[c].job,
				                            expected[c], &right);
				runs++;
			}
	for (int c = 0; c < 3; c++) {
		struct bench_case *b = &cases[c];

		for (int how = 0; how < 3; how++)
			b->median[how] = pl_measure_median_spread(times[c][how], (size_t)repeats,
			                                          &b->spread[how]);
		for (int how = 0; how < 3; how++) {
			double speedup = b->median[how] > 0 ? b->median[LOOP] / b->median[how] : 0;
			/* CPU time the runner added per task, against a perfect split. */
			double extra_us =
			        (b->median[how] * (how == LOOP ? 1 : nworkers) - b->median[LOOP]) /
			        b->job.inputs * 1e6;

			pl_note("bench",
			        PL_FIELDS(PL_STR("case", b->name),
			                  PL_STR("runner", runner_names[how]),
			                  PL_INT("tasks", b->job.inputs),
			                  PL_INT("chunk", b->job.chunk),
			                  PL_DOUBLE("median_s", b->median[how]),
			                  PL_DOUBLE("spread_pct", b->spread[how]),
			                  PL_DOUBLE("speedup", speedup),
			                  PL_DOUBLE("extra_us_per_task", extra_us)),
			        "%-21s %-12s median %.4f s (spread %.0f%%), speedup %.2fx, %+.1f us a "
			        "task",
			        b->name, runner_names[how], b->median[how], b->spread[how], speedup,
			        extra_us);
		}
	}
	pl_check(
	        "bench-right", right == runs,
	        PL_FIELDS(PL_INT("runs", runs), PL_INT("right", right)),
	        "all %d runs returned the plain loop's checksum, and every pool's workers exited 0",
	        runs);
}

static void
verdict(void)
{
	double large = cases[2].median[LOOP] / cases[2].median[PROCESS_POOL];
	double small = cases[0].median[LOOP] / cases[0].median[PROCESS_POOL];
	double chunked = cases[1].median[LOOP] / cases[1].median[PROCESS_POOL];

	pl_step("verdict", NULL,
	        "what the figures say (a benchmark result, not a check: it depends on the load)");
	pl_note("held",
	        PL_FIELDS(PL_STR("claim", "large-tasks-scale"), PL_DOUBLE("speedup", large),
	                  PL_BOOL("held", large >= 0.9 * nworkers)),
	        "large tasks: the process pool reaches 90%% of %d workers: %.2fx, held: %s",
	        nworkers, large, large >= 0.9 * nworkers ? "yes" : "no");
	pl_note("held",
	        PL_FIELDS(PL_STR("claim", "small-tasks-cost"), PL_DOUBLE("speedup", small),
	                  PL_BOOL("held", small < 1.0)),
	        "small tasks one at a time: the process pool is slower than the loop: %.2fx, "
	        "held: %s",
	        small, small < 1.0 ? "yes" : "no");
	pl_note("held",
	        PL_FIELDS(PL_STR("claim", "chunks-help"), PL_DOUBLE("speedup", chunked),
	                  PL_BOOL("held", chunked > small)),
	        "chunking the small tasks helps: %.2fx against %.2fx, held: %s", chunked, small,
	        chunked > small ? "yes" : "no");
}

/* ------------------------------------------------------------------ */

/* How many rounds of f() make a microsecond, timed on this thread's CPU
 * clock: a busy machine stretches wall-clock time but not CPU time. */
static void
calibrate(void)
{
	double spent;
	long rounds = 1024;
	uint64_t x = 0;

	do {
		double start = pl_measure_thread_cpu();

		rounds *= 2;
		x += f(x, rounds);
		spent = pl_measure_thread_cpu() - start;
	} while (spent < 0.01 && rounds < (1L << 30));
	rounds_per_us = (double)rounds / (spent * 1e6) + (double)(x == 1);
}

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);

	if (strcmp(order_choice, "ordered") != 0 && strcmp(order_choice, "unordered") != 0)
		pl_die_usage("--order must be ordered or unordered, not '%s'", order_choice);
	if (crash_input >= inputs_wanted || abort_input >= inputs_wanted)
		pl_die_usage("--crash and --abort must be inputs below --inputs (%ld)",
		             inputs_wanted);
	if (full && (work_seconds != 0 || repeats != 0))
		pl_die_usage("--full sets --work and --repeats: give one or the other");
	if (work_seconds == 0)
		work_seconds = full ? 2.0 : 0.2;
	if (repeats == 0)
		repeats = full ? 5 : 3;
	/* A worker that is gone: write() fails with EPIPE, the pool notices. */
	signal(SIGPIPE, SIG_IGN);
	nworkers = (int)workers_wanted;
	calibrate();
	map_job = (struct job){ .inputs = (int)inputs_wanted,
		                .chunk = chunk_wanted ? (int)chunk_wanted
		                                      : auto_chunk((int)inputs_wanted, nworkers),
		                .ordered = strcmp(order_choice, "ordered") == 0,
		                .rounds = rounds_for(MAP_TASK_US),
		                .crash = -1,
		                .abort_at = -1 };
	if (map_job.chunk > map_job.inputs)
		map_job.chunk = map_job.inputs;

	map_step();
	order_step();
	crash_step();
	bench_step();
	verdict();

	return pl_demo_finish();
}
