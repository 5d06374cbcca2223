/* fork-threads.c - fork() in a program that has threads.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. only the thread that calls fork() is copied: the parent has 1 + N
 *      threads, the child "Threads: 1" in /proc/CHILD/status and one entry
 *      in /proc/CHILD/task, its own PID.
 *   2. a mutex that another thread held at fork() stays locked in the
 *      child for ever: the mutex names its holder, a thread the child does
 *      not have; trylock fails with EBUSY, and timed locks time out, again
 *      and again, while /proc shows the child asleep in a futex wait, even
 *      after the holder has let go in the parent.
 *   3. so, until exec, the child may call only async-signal-safe
 *      functions: a child that calls a function with a lock inside hangs
 *      (the parent sees it stuck, and kills it); a child that calls only
 *      write() and execv() is done at once.
 *   4. pthread_atfork() is the fix: its prepare handler takes the mutex
 *      before fork() (fork waits for the holder: /proc shows the forking
 *      thread in a futex wait), its child handler releases it, and the
 *      child gets the mutex at once.
 *   5. the close-on-exec race: one thread opens a file and marks it
 *      FD_CLOEXEC with fcntl() a moment later; another thread forks and
 *      execs a program in between, and that program holds the descriptor
 *      (/proc/CHILD/fd). Opened with O_CLOEXEC, it is not there.
 *
 * The children keep the rule they teach: they report with write(2) only
 * (pl_child_tell), never with printf or the narration; the one call that
 * breaks the rule, the lock, is the point of steps 2 and 3.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   one_thread_copied()     fork() copies only the thread that calls it
 *   child_tries_the_lock()  a lock held by a thread that the child lacks
 *   prepare()               pthread_atfork(): take the lock before fork
 *   child_after()           the child unlocks the copy it took
 *   race_once()             a descriptor leaked to an exec without O_CLOEXEC
 *
 * Usage:     proclab-fork-threads [--threads N] [--json] [--step] [--speed F]
 * Dashboard: `proclab fork-threads`, then t for threads: the parent's
 *            threads, each child with one; the child of step 2 asleep in
 *            futex_wait wanting cache_lock; the hung child of step 3; the
 *            main thread asleep in fork() in step 4; cat in step 5.
 * Lesson:    lessons/22-fork-threads.md
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_THREADS 16
#define HEAR_TIMEOUT_MS 10000
#define TRY_MS 200   /* step 2: one timed lock */
#define MAX_TRIES 50 /* step 2: 10 s of tries at most */

static long nthreads = 3;

static const struct pl_option options[] = {
	{ "threads", 'n', PL_OPT_INT, "N", "idle threads the parent runs besides its main thread",
	  1, MAX_THREADS, &nthreads },
};

static const struct pl_demo demo = {
	.name = "fork-threads",
	.summary = "fork() in a threaded program: one thread is copied, and every lock as it was.",
	.description = "Each claim is checked while the demo runs: thread counts from\n"
	               "/proc/PID/status and /proc/PID/task, a child asleep in a futex wait in\n"
	               "/proc/PID/stat and wchan, what lock calls return in the child, and the\n"
	               "descriptors of an exec'd program in /proc/PID/fd.",
	.lesson = "22-fork-threads.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* ------------------------------------------------------------------ */
/* Plumbing: threads, semaphores, /proc.                               */

/* A new thread starts with its creator's signal mask: made while Ctrl-C
 * and the other termination signals are held, it keeps them blocked.
 * The kernel gives a signal sent to the process to a thread that does
 * not block it (signal(7)), so the main thread takes them all, and the
 * library's holds around fork() and around naming a file hold. */
static void
start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t saved;
	int err;

	pl_cleanup_hold(&saved);
	err = pthread_create(thread, NULL, fn, arg);
	pl_cleanup_release(&saved);
	if (err != 0)
		pl_die_en(err, "pthread_create");
}

static void
join_thread(pthread_t thread)
{
	int err = pthread_join(thread, NULL);

	if (err != 0)
		pl_die_en(err, "pthread_join");
}

static void
wait_for(sem_t *sem)
{
	while (sem_wait(sem) == -1)
		if (errno != EINTR)
			pl_die("sem_wait");
}

/* "Threads:" in /proc/PID/status, or -1. */
static long
status_threads(pid_t pid)
{
	unsigned long long n;

	return pl_procfs_number(pid, "status", "Threads", 10, &n) == 0 ? (long)n : -1;
}

/* The entries of /proc/PID/task, one a thread; the first in *FIRST. */
static int
count_tasks(pid_t pid, long *first)
{
	char path[64];
	struct dirent *entry;
	int count = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if (count++ == 0)
			*first = atol(entry->d_name);
	}
	closedir(dir);
	return count;
}

/* Is TID one of PID's threads? */
static bool
has_task(pid_t pid, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld", (long)pid, (long)tid);
	return access(path, F_OK) == 0;
}

/* glibc writes the holder's thread ID into the mutex itself when it locks
 * it (__data.__owner, nptl/pthread_mutex_lock.c). Not portable: the demo
 * reads it only to name the holder. */
static pid_t
mutex_owner(const pthread_mutex_t *m)
{
#ifdef __GLIBC__
	return m->__data.__owner;
#else
	(void)m;
	return 0;
#endif
}

/* SECONDS divided by --speed, in ms, never less than MIN_MS. */
static int
watch_ms(double seconds, int min_ms)
{
	double ms = seconds * 1000.0 / pl_narrate_get_config()->speed;

	return ms < min_ms ? min_ms : ms > 10000 ? 10000 : (int)ms;
}

/* Look PROGRAM up in $PATH, in the parent, before fork(): the child will
 * call execv(), which is async-signal-safe; execvp() is not on the list. */
static void
find_program(const char *program, char *path, size_t size)
{
	const char *dirs = getenv("PATH");

	if (dirs == NULL || *dirs == '\0')
		dirs = "/usr/bin:/bin";
	for (const char *p = dirs; *p != '\0';) {
		size_t len = strcspn(p, ":");

		if (len > 0 && snprintf(path, size, "%.*s/%s", (int)len, p, program) < (int)size &&
		    access(path, X_OK) == 0)
			return;
		p += len + (p[len] == ':');
	}
	pl_die("%s: not found in PATH", program);
}

/* Does PID stay asleep in a futex wait for MS milliseconds, without using
 * any CPU? Looks every 5 ms. */
static bool
stays_in_futex(pid_t pid, int ms, struct pl_proc *proc)
{
	struct timespec tick = { 0, 5000000 };
	double end = pl_measure_now() + ms / 1000.0;
	unsigned long long cpu;

	if (pl_procfs_read(pid, proc) != 0)
		return false;
	cpu = proc->utime + proc->stime;
	do {
		if (pl_procfs_read(pid, proc) != 0 || proc->state != 'S' ||
		    strstr(proc->wchan, "futex") == NULL || proc->utime + proc->stime != cpu)
			return false;
		nanosleep(&tick, NULL);
	} while (pl_measure_now() < end);
	return true;
}

static void
hear(pid_t pid, void *buf, size_t len)
{
	if (pl_child_hear(pid, buf, len, HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
}

static void
reap(pid_t pid, int *status)
{
	if (pl_child_wait(pid, status, 0) == -1)
		pl_die("waitpid %ld", (long)pid);
}

/* ------------------------------------------------------------------ */
/* Step 1: the child has one thread: a copy of the one that forked.      */

static sem_t workers_quit;
static pthread_t workers[MAX_THREADS];

static void *
idle_worker(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "worker-%ld", (long)(intptr_t)arg);
	pthread_setname_np(pthread_self(), name); /* /proc/PID/task/TID/comm */
	wait_for(&workers_quit);                  /* asleep until the end */
	return NULL;
}

struct identity {
	pid_t getpid;
	pid_t gettid;
};

static void
one_thread_copied(void)
{
	struct identity child;
	long parent_threads, child_threads, only_task = 0;
	int parent_tasks, child_tasks;
	long first;
	pid_t pid;

	pl_step("one-thread-copied", PL_FIELDS(PL_INT("threads", nthreads)),
	        "fork() copies only the thread that calls it");

	if (sem_init(&workers_quit, 0, 0) == -1)
		pl_die("sem_init");
	for (long i = 0; i < nthreads; i++)
		start_thread(&workers[i], idle_worker, (void *)(intptr_t)(i + 1));
	/* The workers count in /proc from the moment pthread_create returns. */
	parent_threads = status_threads(getpid());
	parent_tasks = count_tasks(getpid(), &first);
	pl_note("parent-threads",
	        PL_FIELDS(PL_INT("parent", getpid()), PL_INT("threads", parent_threads),
	                  PL_INT("tasks", parent_tasks)),
	        "/proc/%ld/status: Threads: %ld; /proc/%ld/task has %d entries (main + %ld "
	        "workers)",
	        (long)getpid(), parent_threads, (long)getpid(), parent_tasks, nthreads);

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child: which thread am I? */
		struct identity me = { getpid(), gettid() };

		pl_child_tell(&me, sizeof(me));
		pl_child_hold();
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent */
		break;
	}
	hear(pid, &child, sizeof(child));
	if (pl_procfs_wait_state(pid, "S", HEAR_TIMEOUT_MS, NULL) != 0)
		pl_die("watching child %ld", (long)pid);
	child_threads = status_threads(pid);
	child_tasks = count_tasks(pid, &only_task);
	pl_note("child-threads",
	        PL_FIELDS(PL_INT("child", pid), PL_INT("threads", child_threads),
	                  PL_INT("tasks", child_tasks), PL_INT("task", only_task),
	                  PL_INT("child_gettid", child.gettid)),
	        "/proc/%ld/status: Threads: %ld; /proc/%ld/task has %d entry: %ld, the child's "
	        "own PID",
	        (long)pid, child_threads, (long)pid, child_tasks, only_task);
	pl_check("parent-has-threads",
	         parent_threads == nthreads + 1 && parent_tasks == nthreads + 1, NULL,
	         "the parent runs %ld threads", parent_threads);
	pl_check(
	        "child-has-one-thread",
	        child_threads == 1 && child_tasks == 1 && only_task == pid &&
	                child.gettid == child.getpid && child.getpid == pid,
	        NULL,
	        "the child has one thread, the copy of the caller of fork(); no worker came along");

	pl_pause(1.0); /* time to compare the two in the dashboard */
	pl_child_release(pid);
	reap(pid, NULL);
}

/* ------------------------------------------------------------------ */
/* Step 2: a lock held by another thread at fork() stays held in the     */
/* child, by a thread that does not exist there.                         */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool preparing; /* step 4: fork()'s prepare handler has begun */

struct holder {
	pthread_t thread;
	pid_t tid;
	sem_t holding;       /* posted once it holds cache_lock */
	sem_t let_go;        /* posted when it may unlock (step 2) */
	pid_t watch;         /* step 4: unlock once this thread sleeps */
	struct pl_proc seen; /* step 4: what it saw of that thread */
	bool saw_it_wait;
	double unlocked_at; /* pl_narrate_elapsed() at the unlock */
};

static void *
holder_thread(void *arg)
{
	struct holder *h = arg;
	double give_up = pl_narrate_elapsed() + HEAR_TIMEOUT_MS / 1e3;

	pthread_setname_np(pthread_self(), "holder");
	h->tid = gettid();
	pthread_mutex_lock(&cache_lock);
	pl_board_lock_holds("cache_lock"); /* for the dashboard; no-op without it */
	sem_post(&h->holding);
	if (h->watch == 0) {
		wait_for(&h->let_go);
	} else {
		/* Step 4: the main thread is about to fork(). Once its prepare
		 * handler has begun, wait until the kernel shows it asleep. */
		while (!atomic_load(&preparing) && pl_narrate_elapsed() < give_up)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		h->saw_it_wait =
		        pl_procfs_wait_wchan(h->watch, "futex", HEAR_TIMEOUT_MS, &h->seen) == 0;
		pl_pause(1.0); /* time to see fork() wait in the dashboard */
	}
	h->unlocked_at = pl_narrate_elapsed();
	pl_board_lock_releases("cache_lock");
	pthread_mutex_unlock(&cache_lock);
	return NULL;
}

static void
start_holder(struct holder *h, pid_t watch)
{
	h->watch = watch;
	h->saw_it_wait = false;
	if (sem_init(&h->holding, 0, 0) == -1 || sem_init(&h->let_go, 0, 0) == -1)
		pl_die("sem_init");
	start_thread(&h->thread, holder_thread, h);
	wait_for(&h->holding);
}

/* Shared with the children of step 2, so they know when to stop trying. */
struct lock_stage {
	atomic_int holder_gone; /* the parent's holder has unlocked */
};
static struct lock_stage *stage;

struct lock_report {
	int trylock;            /* what pthread_mutex_trylock() returned */
	pid_t owner;            /* the holder, as the mutex records it */
	pid_t me;               /* gettid() */
	int tries;              /* timed locks of TRY_MS each */
	int tries_after_unlock; /* started after the parent's holder unlocked */
	int last;               /* what the last one returned */
	double waited_ms;
};

/* In the child. pthread_mutex_*lock() is not async-signal-safe: calling it
 * here breaks the rule of step 3, on purpose, with a bound. */
static void
child_tries_the_lock(void)
{
	struct lock_report me = { .me = gettid() };
	struct timespec start, now;

	me.trylock = pthread_mutex_trylock(&cache_lock);
	me.owner = mutex_owner(&cache_lock);
	pl_child_tell(&me, sizeof(me));
	pl_board_lock_wants("cache_lock");

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct timespec deadline;
		bool after = atomic_load(&stage->holder_gone);

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += TRY_MS * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		me.last = pthread_mutex_timedlock(&cache_lock, &deadline);
		me.tries++;
		me.tries_after_unlock += after;
		if (me.last != ETIMEDOUT || after || me.tries == MAX_TRIES)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	me.waited_ms = (double)(now.tv_sec - start.tv_sec) * 1e3 +
	               (double)(now.tv_nsec - start.tv_nsec) / 1e6;
	pl_child_tell(&me, sizeof(me));
}

static void
held_lock_stays_held(void)
{
	struct lock_report first, last;
	struct pl_proc proc = { .state = '?' };
	struct holder h;
	bool asleep, in_parent, in_child;
	long child_threads;
	pid_t pid;

	pl_step("held-lock", NULL,
	        "a mutex another thread holds at fork() stays locked in the child for ever");

	start_holder(&h, 0);
	pl_note("holder", PL_FIELDS(PL_INT("holder_tid", h.tid)),
	        "thread \"holder\" (TID %ld) has locked cache_lock; the main thread calls fork()",
	        (long)h.tid);
	atomic_store(&stage->holder_gone, 0);

	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		child_tries_the_lock();
		_exit(EXIT_SUCCESS);
	default: /* Parent */
		break;
	}
	hear(pid, &first, sizeof(first));
	in_parent = has_task(getpid(), first.owner);
	in_child = has_task(pid, first.owner);
	pl_note("child-trylock",
	        PL_FIELDS(PL_INT("child", pid), PL_STR("result", pl_errno_name(first.trylock)),
	                  PL_INT("owner_tid", first.owner), PL_BOOL("owner_in_parent", in_parent),
	                  PL_BOOL("owner_in_child", in_child)),
	        "in the child: pthread_mutex_trylock() = %s; the mutex says TID %ld holds it: "
	        "/proc/%ld/task/%ld %s, /proc/%ld/task/%ld %s",
	        pl_errno_name(first.trylock), (long)first.owner, (long)getpid(), (long)first.owner,
	        in_parent ? "exists" : "does not exist", (long)pid, (long)first.owner,
	        in_child ? "exists" : "does not exist");

	/* Now it waits in pthread_mutex_timedlock(): in the kernel, a futex. */
	asleep = pl_procfs_wait_wchan(pid, "futex", HEAR_TIMEOUT_MS, &proc) == 0;
	child_threads = status_threads(pid);
	pl_note("child-waiting",
	        PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan), PL_INT("threads", child_threads)),
	        "/proc/%ld/stat: state %c (%s) in %s; Threads: %ld: nobody there can unlock it",
	        (long)pid, proc.state, pl_procfs_state_name(proc.state),
	        proc.wchan[0] ? proc.wchan : "?", child_threads);
	pl_pause(1.0); /* time to see it wait, in the dashboard or with ps */

	/* The holder lets go in the parent. The child's copy is another mutex. */
	sem_post(&h.let_go);
	join_thread(h.thread);
	atomic_store(&stage->holder_gone, 1);
	pl_note("holder-unlocked", PL_FIELDS(PL_INT("holder_tid", h.tid)),
	        "in the parent, the holder unlocks cache_lock and ends");
	hear(pid, &last, sizeof(last));
	reap(pid, NULL);
	pl_note("child-gave-up",
	        PL_FIELDS(PL_INT("child", pid), PL_INT("tries", last.tries),
	                  PL_INT("tries_after_unlock", last.tries_after_unlock),
	                  PL_STR("result", pl_errno_name(last.last)),
	                  PL_DOUBLE("waited_ms", last.waited_ms)),
	        "in the child: %d timed locks of %d ms, %d of them after the holder let go, "
	        "each %s: %.0f ms in all",
	        last.tries, TRY_MS, last.tries_after_unlock, pl_errno_name(last.last),
	        last.waited_ms);

	pl_check("trylock-busy", first.trylock == EBUSY, NULL,
	         "in the child, trylock says EBUSY: the lock was copied locked");
	pl_check("holder-not-in-child",
	         first.owner == h.tid && in_parent && !in_child && first.me == pid, NULL,
	         "its holder, TID %ld, is a thread of the parent only", (long)first.owner);
	pl_check("child-sleeps-in-futex", asleep && child_threads == 1, NULL,
	         "the kernel shows the child asleep in a futex wait, with one thread");
	pl_check("never-acquired", last.last == ETIMEDOUT && last.tries_after_unlock >= 1, NULL,
	         "every try timed out, even after the parent's holder let go: locked for ever");
}

/* ------------------------------------------------------------------ */
/* Step 3: only async-signal-safe functions until exec. Any function    */
/* may take a lock inside; in the child of a threaded program that lock */
/* may be held by a thread that is not there.                            */

/* A stand-in for any library with a lock inside (a logger, a cache, a
 * database client): the caller sees journal_add(), not the mutex. The
 * logger thread below holds the lock at fork(); "stalled" makes that
 * moment certain, where in a real program it is a matter of luck. */
static struct {
	pthread_mutex_t lock;
	char text[4096];
	size_t used;
	sem_t *inside, *may_leave; /* the demo's handles on the moment */
} journal = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
journal_add(const char *line)
{
	size_t len = strlen(line);

	pthread_mutex_lock(&journal.lock);
	if (journal.used + len < sizeof(journal.text)) {
		memcpy(journal.text + journal.used, line, len);
		journal.used += len;
	}
	if (journal.inside != NULL) {
		sem_post(journal.inside);
		wait_for(journal.may_leave);
	}
	pthread_mutex_unlock(&journal.lock);
}

static void *
logger_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "logger");
	journal_add("logger: a line\n");
	return NULL;
}

struct safe_report {
	int step; /* 1: before the call; 2: after it returned */
};

static void
only_async_signal_safe(void)
{
	static char true_path[256];
	char *const argv[] = { "true", NULL };
	struct safe_report said, after;
	struct pl_proc proc = { .state = '?' };
	sem_t inside, may_leave;
	pthread_t logger;
	int ms = watch_ms(1.0, 100), status, safe_status;
	bool asleep, stuck, returned;
	double forked_at, safe_ms;
	char how[96], safe_how[96];
	pid_t pid, safe;

	pl_step("async-signal-safe", NULL,
	        "until exec, the child may call only async-signal-safe functions");

	find_program("true", true_path, sizeof(true_path));
	if (sem_init(&inside, 0, 0) == -1 || sem_init(&may_leave, 0, 0) == -1)
		pl_die("sem_init");
	journal.inside = &inside;
	journal.may_leave = &may_leave;
	start_thread(&logger, logger_thread, NULL);
	wait_for(&inside);
	pl_note("logger-inside", NULL,
	        "thread \"logger\" is inside journal_add(), holding the journal's lock");

	/* Child 1 calls journal_add(), which looks harmless. */
	switch (pid = pl_fork("unsafe", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child */
		struct safe_report me = { 1 };

		pl_child_tell(&me, sizeof(me));
		journal_add("child: a line\n"); /* never returns */
		me.step = 2;
		pl_child_tell(&me, sizeof(me));
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent */
		break;
	}
	hear(pid, &said, sizeof(said));
	asleep = pl_procfs_wait_wchan(pid, "futex", HEAR_TIMEOUT_MS, &proc) == 0;
	stuck = asleep && stays_in_futex(pid, ms, &proc);
	returned = pl_child_hear(pid, &after, sizeof(after), 0) == 0;
	pl_note("unsafe-stuck",
	        PL_FIELDS(PL_INT("child", pid), PL_CHAR("state", proc.state),
	                  PL_STR("wchan", proc.wchan), PL_INT("watched_ms", ms),
	                  PL_BOOL("returned", returned)),
	        "child %ld called journal_add(): after %d ms it is still in state %c in %s, "
	        "no CPU used, and the call has not returned",
	        (long)pid, ms, proc.state, proc.wchan[0] ? proc.wchan : "?");
	/* It would wait for ever. An unreaped child's PID cannot be reused,
	 * so the signal surely reaches it. */
	if (kill(pid, SIGKILL) == -1)
		pl_die("kill");
	reap(pid, &status);
	pl_status_describe(status, how, sizeof(how));
	pl_note("unsafe-killed", PL_FIELDS(PL_INT("child", pid), PL_STR("status", how)),
	        "the parent ends it: %s", how);

	/* Child 2 keeps the rule: write(2), then execv(2), both on the list. */
	forked_at = pl_measure_now();
	switch (safe = pl_fork("safe", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child */
		struct safe_report me = { 1 };

		pl_child_tell(&me, sizeof(me));
		execv(true_path, argv);
		_exit(127);
	}
	default: /* Parent */
		break;
	}
	hear(safe, &said, sizeof(said));
	reap(safe, &safe_status);
	safe_ms = (pl_measure_now() - forked_at) * 1e3;
	pl_status_describe(safe_status, safe_how, sizeof(safe_how));
	pl_note("safe-done",
	        PL_FIELDS(PL_INT("child", safe), PL_STR("program", true_path),
	                  PL_STR("status", safe_how), PL_DOUBLE("ms", safe_ms)),
	        "child %ld used only write() and execv(%s): %s, %.1f ms after fork()", (long)safe,
	        true_path, safe_how, safe_ms);

	sem_post(&may_leave); /* the logger finishes its line */
	join_thread(logger);
	journal.inside = NULL;
	sem_destroy(&inside);
	sem_destroy(&may_leave);

	pl_check("unsafe-call-hangs", stuck && !returned, NULL,
	         "the child that called journal_add() waited on a lock no thread of its own holds");
	pl_check("unsafe-child-killed", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, NULL,
	         "it never returned: the parent had to kill it");
	pl_check("safe-child-done", WIFEXITED(safe_status) && WEXITSTATUS(safe_status) == 0, NULL,
	         "the child that kept to async-signal-safe calls exec'd and exited 0");
}

/* ------------------------------------------------------------------ */
/* Step 4: pthread_atfork(). Before fork(), the prepare handler takes   */
/* the lock, so no other thread holds it at the moment of the copy;     */
/* after it, each side releases its own copy.                            */

static void
prepare(void)
{
	atomic_store(&preparing, true);
	pthread_mutex_lock(&cache_lock); /* waits for any holder */
}

static void
parent_after(void)
{
	pthread_mutex_unlock(&cache_lock);
}

static void
child_after(void)
{
	pthread_mutex_unlock(&cache_lock); /* ours now: the copy was taken by us */
}

struct atfork_report {
	int trylock;
	double waited_ms;
};

static void
atfork_fixes_it(void)
{
	struct atfork_report child;
	struct holder h;
	double called_at, returned_at;
	int err;
	pid_t pid;

	pl_step("atfork", NULL, "pthread_atfork(): take the lock before fork(), release it after");

	if ((err = pthread_atfork(prepare, parent_after, child_after)) != 0)
		pl_die_en(err, "pthread_atfork");
	pl_note("handlers", NULL,
	        "pthread_atfork(prepare, parent, child): prepare locks cache_lock, parent and "
	        "child unlock it");

	start_holder(&h, getpid()); /* it unlocks once it sees us waiting */
	pl_note("holder", PL_FIELDS(PL_INT("holder_tid", h.tid)),
	        "thread \"holder\" (TID %ld) has locked cache_lock again; the main thread calls "
	        "fork()",
	        (long)h.tid);
	called_at = pl_narrate_elapsed();
	switch (pid = pl_fork("child", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: { /* Child: child_after() has run. */
		struct atfork_report me;
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		me.trylock = pthread_mutex_trylock(&cache_lock);
		clock_gettime(CLOCK_MONOTONIC, &b);
		me.waited_ms =
		        (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		if (me.trylock == 0)
			pthread_mutex_unlock(&cache_lock);
		pl_child_tell(&me, sizeof(me));
		_exit(EXIT_SUCCESS);
	}
	default: /* Parent: parent_after() has run. */
		break;
	}
	returned_at = pl_narrate_elapsed();
	join_thread(h.thread);
	hear(pid, &child, sizeof(child));
	reap(pid, NULL);

	pl_note("fork-waited",
	        PL_FIELDS(PL_INT("main_tid", getpid()), PL_CHAR("state", h.seen.state),
	                  PL_STR("wchan", h.seen.wchan),
	                  PL_DOUBLE("fork_ms", (returned_at - called_at) * 1e3),
	                  PL_DOUBLE("after_unlock_ms", (returned_at - h.unlocked_at) * 1e3)),
	        "the holder saw the main thread in state %c in %s, inside fork(); fork() "
	        "returned %.0f ms after it was called, once the holder let go",
	        h.seen.state, h.seen.wchan[0] ? h.seen.wchan : "?",
	        (returned_at - called_at) * 1e3);
	pl_note("child-trylock",
	        PL_FIELDS(PL_INT("child", pid), PL_STR("result", pl_errno_name(child.trylock)),
	                  PL_DOUBLE("waited_ms", child.waited_ms)),
	        "in the child: pthread_mutex_trylock() = %s, in %.3f ms",
	        child.trylock == 0 ? "0" : pl_errno_name(child.trylock), child.waited_ms);
	pl_check("fork-waits-for-holder",
	         h.saw_it_wait && h.seen.state == 'S' && returned_at >= h.unlocked_at, NULL,
	         "fork() waited in the prepare handler until the holder let go");
	pl_check("child-gets-lock", child.trylock == 0, NULL,
	         "with the handlers, the child gets cache_lock at once");
}

/* ------------------------------------------------------------------ */
/* Step 5: the close-on-exec race. Thread "opener" opens a file and     */
/* marks it close-on-exec a moment later; in between, the main thread   */
/* forks and execs cat. Semaphores hold the window open, so the moment  */
/* is certain; in a real program it is a matter of luck.                 */

struct opener {
	pthread_t thread;
	const char *path;
	bool o_cloexec; /* open with O_CLOEXEC, or fcntl() afterwards */
	int fd;
	sem_t opened, forked, marked;
};

static void *
opener_thread(void *arg)
{
	struct opener *o = arg;

	pthread_setname_np(pthread_self(), "opener");
	o->fd = open(o->path, O_RDONLY | (o->o_cloexec ? O_CLOEXEC : 0));
	sem_post(&o->opened);
	wait_for(&o->forked); /* the window: another thread forks now */
	if (o->fd != -1 && !o->o_cloexec)
		fcntl(o->fd, F_SETFD, FD_CLOEXEC); /* too late for that child */
	sem_post(&o->marked);
	return NULL;
}

/* Is PID running cat yet? Before execv() its exe is this demo. */
static bool
runs_cat(pid_t pid)
{
	char exe[256];
	const char *base;

	if (pl_procfs_exe(pid, exe, sizeof(exe)) != 0)
		return false;
	base = strrchr(exe, '/');
	return strcmp(base ? base + 1 : exe, "cat") == 0;
}

/* One round: a private file opened by the opener thread, cat forked and
 * exec'd by the main thread in the window. Returns whether cat has it. */
static bool
race_once(bool o_cloexec, const char *cat_path)
{
	char *const argv[] = { "cat", NULL };
	const char *tmpdir = getenv("TMPDIR");
	char path[PATH_MAX], key[32], target[256] = "";
	struct opener o = { .path = path, .o_cloexec = o_cloexec, .fd = -1 };
	struct stat secret;
	struct pl_fd fds[64];
	struct pl_proc proc = { .state = '?' };
	unsigned long long flags = 0;
	int input[2], n, fd, leaked_fd = -1, status;
	bool running = false, marked;
	sigset_t saved;
	pid_t pid;

	if (sem_init(&o.opened, 0, 0) == -1 || sem_init(&o.forked, 0, 0) == -1 ||
	    sem_init(&o.marked, 0, 0) == -1)
		pl_die("sem_init");
	/* A private file: mkostemp() makes it with O_EXCL, mode 0600 and a
	 * random name. It is unlinked as soon as the opener has it open. */
	snprintf(path, sizeof(path), "%s/proclab-secret-XXXXXX",
	         tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir : "/tmp");
	pl_cleanup_hold(&saved);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd != -1 && pl_cleanup_add(PL_CLEANUP_PATH, path) == -1)
		pl_die("registering %s", path);
	pl_cleanup_release(&saved);
	if (fd == -1)
		pl_die("mkostemp");
	if (pl_write_all(fd, "a secret\n", 9) == -1)
		pl_die("write");
	close(fd);
	/* cat's standard input: it reads until the parent closes the write end. */
	if (pipe2(input, O_CLOEXEC) == -1)
		pl_die("pipe2");

	start_thread(&o.thread, opener_thread, &o);
	wait_for(&o.opened);
	unlink(path);
	pl_cleanup_forget(PL_CLEANUP_PATH, path);
	if (o.fd == -1 || fstat(o.fd, &secret) == -1)
		pl_die_en(ENOENT, "the opener could not open %s", path);

	switch (pid = pl_fork("cat", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: only async-signal-safe calls, then exec. */
		if (dup2(input[0], STDIN_FILENO) == -1)
			_exit(126);
		execv(cat_path, argv);
		_exit(127);
	default: /* Parent */
		break;
	}
	sem_post(&o.forked);
	wait_for(&o.marked);
	close(input[0]);

	/* cat runs, asleep on its empty standard input. */
	for (double end = pl_measure_now() + HEAR_TIMEOUT_MS / 1e3; pl_measure_now() < end;) {
		if (runs_cat(pid)) {
			running =
			        pl_procfs_wait_wchan(pid, "pipe_read", HEAR_TIMEOUT_MS, &proc) == 0;
			break;
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	/* Which of cat's descriptors, if any, is the secret file? Compare the
	 * files, not the names: $TMPDIR may be a symbolic link. */
	n = pl_procfs_fds(pid, fds, PL_COUNT(fds));
	for (int i = 0; i < n && i < (int)PL_COUNT(fds); i++) {
		char link[64];
		struct stat st;

		snprintf(link, sizeof(link), "/proc/%ld/fd/%d", (long)pid, fds[i].fd);
		if (stat(link, &st) == 0 && st.st_dev == secret.st_dev &&
		    st.st_ino == secret.st_ino) {
			leaked_fd = fds[i].fd;
			snprintf(target, sizeof(target), "%s", fds[i].target);
		}
	}
	/* The parent's own descriptor is close-on-exec by now, either way. */
	snprintf(key, sizeof(key), "fdinfo/%d", o.fd);
	pl_procfs_number(getpid(), key, "flags", 8, &flags);
	marked = (flags & O_CLOEXEC) != 0;

	pl_note("cat-running",
	        PL_FIELDS(PL_STR("how", o_cloexec ? "O_CLOEXEC" : "fcntl"), PL_INT("child", pid),
	                  PL_CHAR("state", proc.state), PL_STR("wchan", proc.wchan),
	                  PL_INT("parent_fd", o.fd), PL_BOOL("parent_cloexec", marked),
	                  PL_INT("leaked_fd", leaked_fd), PL_STR("target", target)),
	        "%s: cat (pid %ld) runs; /proc/%ld/fd/%d %s%s; the parent's fd %d is %s",
	        o_cloexec ? "open(O_CLOEXEC)" : "open(), fork+exec, fcntl(FD_CLOEXEC)", (long)pid,
	        (long)pid, leaked_fd != -1 ? leaked_fd : o.fd,
	        leaked_fd != -1 ? "-> " : "does not exist", target, o.fd,
	        marked ? "close-on-exec" : "not close-on-exec");
	pl_pause(1.0); /* time to look: ls -l /proc/PID/fd */

	close(input[1]); /* end of file: cat exits */
	reap(pid, &status);
	join_thread(o.thread);
	close(o.fd);
	sem_destroy(&o.opened);
	sem_destroy(&o.forked);
	sem_destroy(&o.marked);

	if (o_cloexec)
		pl_check(
		        "o-cloexec-closes",
		        running && leaked_fd == -1 && marked && WIFEXITED(status) &&
		                WEXITSTATUS(status) == 0,
		        NULL,
		        "opened with O_CLOEXEC, the file was closed at exec: cat does not have it");
	else
		pl_check("fd-leaks-to-cat",
		         running && leaked_fd == o.fd && marked && WIFEXITED(status) &&
		                 WEXITSTATUS(status) == 0,
		         NULL,
		         "cat holds fd %d, opened by another thread: FD_CLOEXEC came too late",
		         leaked_fd);
	return leaked_fd != -1;
}

static void
cloexec_race(void)
{
	static char cat_path[256];

	pl_step("cloexec-race", NULL,
	        "the close-on-exec race: open(), then fcntl(FD_CLOEXEC), with a fork() between");
	find_program("cat", cat_path, sizeof(cat_path));
	race_once(false, cat_path);
	race_once(true, cat_path);
}

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);

	/* One page shared with the children of step 2. */
	stage = mmap(NULL, sizeof(*stage), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	             0);
	if (stage == MAP_FAILED)
		pl_die("mmap");

	one_thread_copied();
	held_lock_stays_held();
	only_async_signal_safe();
	atfork_fixes_it();
	cloexec_race();

	for (long i = 0; i < nthreads; i++)
		sem_post(&workers_quit);
	for (long i = 0; i < nthreads; i++)
		join_thread(workers[i]);
	return pl_demo_finish();
}
