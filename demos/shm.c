/* shm.c - shared memory: one page, two processes, and the lost update.
 *
 * It shows, and proves from the kernel while it runs, that
 *   1. shm_open() makes a named object in /dev/shm (the demo lists it there,
 *      with its size and mode); another process opens it by name and maps
 *      it; the name is then unlinked while both still use the memory, which
 *      /proc/PID/maps marks "(deleted)". A SIGKILL from then on leaves
 *      nothing behind. Before that, a SIGKILL, which no handler can catch,
 *      would leave the name: so a guardian process, started before the
 *      name is made, removes it if the demo dies first (pl_cleanup.h).
 *      The name ends in random digits, so that nobody can create it first
 *      (pl_name.h); one that a run with --keep-name left, whose maker is
 *      gone, the next run removes.
 *   2. an anonymous MAP_SHARED mapping is shared with a forked child; a
 *      MAP_PRIVATE one is copied ("s" against "p" in /proc/PID/maps).
 *   3. the C counterparts of Python's multiprocessing.Value('d') and
 *      Array('i', range(10)): the child sets the double and negates the
 *      array, and the parent sees both (the seeds' example).
 *   4. --procs N processes increment one shared counter --increments M times
 *      each with no lock: updates are lost, and the demo counts them.
 *   5. a process-shared mutex, a POSIX semaphore and a C11 atomic each lose
 *      none; the demo times each (the median of --rounds runs).
 *   6. the segment is gone at the end; on Ctrl-C the cleanup handler
 *      removes its name (pl_cleanup_add).
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   map_shared_anonymous()  mmap(MAP_SHARED | MAP_ANONYMOUS) before fork
 *   child_opens_by_name()   shm_open() and mmap() of a named segment
 *   increment()             the critical section, with no lock or with a lock
 *   worker()                each process increments the shared counter
 *
 * Usage:     proclab-shm [--procs N] [--increments M] [--rounds R] [--keep-name]
 * Dashboard: `proclab shm` shows N workers sleeping at the start line, then
 *            running (R) on both CPUs while they race for the counter.
 * Lesson:    lessons/07-shm.md
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclab.h"

#define MAX_PROCS 16
#define MAX_TOTAL 1000000L  /* procs x increments, so a run stays short */
#define RACE_MIN_INCREMENTS 100 /* below this the race may not show */
#define ARRAY_LEN 10
#define HEAR_TIMEOUT_MS 10000

static long procs = 4, increments = 50000, rounds = 3;
static bool keep_name;

static const struct pl_option options[] = {
	{ "procs", 'n', PL_OPT_INT, "N", "processes that increment the counter", 1, MAX_PROCS,
	  &procs },
	{ "increments", 'm', PL_OPT_INT, "M", "increments by each process", 1, 1000000,
	  &increments },
	{ "rounds", 'r', PL_OPT_INT, "R", "runs of each counter, for the median time", 1, 9,
	  &rounds },
	{ "keep-name", 0, PL_OPT_FLAG, NULL,
	  "keep the segment's name until the end, with no guardian (SIGKILL then leaves it)", 0,
	  0, &keep_name },
};

static const struct pl_demo demo = {
	.name = "shm",
	.summary = "Shared memory between processes, and the updates lost without a lock.",
	.description = "Each claim is checked while the demo runs: the object in /dev/shm, the\n"
	               "mappings in /proc/PID/maps, what each process reads, and the counts of\n"
	               "a shared counter with no lock, a mutex, a semaphore and an atomic.\n"
	               "--procs times --increments may be at most 1000000.",
	.lesson = "07-shm.md",
	.options = options,
	.noptions = PL_COUNT(options),
};

/* Everything the processes share through the POSIX segment. */
struct segment {
	char greeting[64];          /* step 1 */
	volatile long counter;      /* steps 4-5: volatile, so each read and write
	                             * really goes to memory; the race is the point */
	atomic_long atomic_counter; /* step 5: C11 atomic */
	pthread_mutex_t mutex;      /* PTHREAD_PROCESS_SHARED */
	sem_t semaphore;            /* sem_init(pshared = 1) */
	struct {
		double start, end;  /* pl_narrate_elapsed() */
	} times[MAX_PROCS];
};

static char shm_name[PL_NAME_MAX]; /* "/proclab-shm-PID-START-RANDOM" */
static bool name_linked;       /* still in /dev/shm */
static size_t segment_size;

/* ------------------------------------------------------------------ */
/* Helpers: what the kernel says, from /dev/shm and /proc/PID/maps.     */

/* Find our object by listing /dev/shm, as `ls -l /dev/shm` would. */
static bool
find_in_dev_shm(struct stat *st)
{
	DIR *dir = opendir("/dev/shm");
	struct dirent *entry;
	bool found = false;

	if (dir == NULL)
		return false;
	while (!found && (entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, shm_name + 1) == 0)
			found = fstatat(dirfd(dir), entry->d_name, st, 0) == 0;
	closedir(dir);
	return found;
}

/* The line of /proc/PID/maps whose range holds ADDR, without its newline. */
static bool
maps_line(pid_t pid, const void *addr, char *line, size_t size)
{
	char path[64];
	uintptr_t start, end, want = (uintptr_t)addr;
	bool found = false;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	if ((maps = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, (int)size, maps) != NULL)
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 && start <= want &&
		    want < end) {
			line[strcspn(line, "\n")] = '\0';
			found = true;
		}
	fclose(maps);
	/* The path column is padded with spaces: squeeze them to one. */
	for (char *from = line, *to = line; found && (*to = *from) != '\0'; from++)
		if (!(from[0] == ' ' && from[1] == ' '))
			to++;
	return found;
}

/* The permissions field of a maps line: "rw-s" is shared, "rw-p" private. */
static char
maps_sharing(const char *line)
{
	const char *perms = strchr(line, ' ');

	return perms != NULL && strlen(perms) > 4 ? perms[4] : '?';
}

static void *
map_shared_anonymous(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		pl_die("mmap(MAP_SHARED | MAP_ANONYMOUS)");
	return p;
}

static void
unlink_name(void)
{
	if (shm_unlink(shm_name) == -1)
		pl_die("shm_unlink(%s)", shm_name);
	pl_cleanup_forget(PL_CLEANUP_SHM, shm_name);
	name_linked = false;
}

/* ------------------------------------------------------------------ */
/* Step 1: a named segment, opened by two processes, unlinked early.   */

struct opener_report {
	int error;        /* errno of shm_open or mmap, or 0 */
	uintptr_t address; /* where the child mapped it */
};

static noreturn void
child_opens_by_name(void)
{
	struct opener_report me = { 0, 0 };
	struct segment *seg = MAP_FAILED;
	int fd = shm_open(shm_name, O_RDWR, 0);

	if (fd != -1)
		seg = mmap(NULL, segment_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (seg == MAP_FAILED)
		me.error = errno;
	else
		me.address = (uintptr_t)seg;
	if (fd != -1)
		close(fd); /* the mapping keeps the object alive, not the fd */
	pl_child_tell(&me, sizeof(me));
	if (me.error)
		_exit(EXIT_FAILURE);
	pl_child_hold(); /* the parent unlinks the name and looks at our maps */
	snprintf(seg->greeting, sizeof(seg->greeting), "hello from pid %ld", (long)getpid());
	pl_child_tell(&me, sizeof(me)); /* written */
	_exit(EXIT_SUCCESS);
}

static struct segment *
named_segment(void)
{
	struct opener_report child;
	struct pl_proc proc;
	sigset_t old;
	struct segment *seg;
	struct stat st;
	char line[512], expect[PL_NAME_MAX + 32];
	pid_t pid;
	int fd;

	segment_size = ((sizeof(struct segment) - 1) / (size_t)sysconf(_SC_PAGESIZE) + 1) *
	               (size_t)sysconf(_SC_PAGESIZE);
	/* A name that a run with --keep-name left when it was SIGKILLed (no
	 * handler of that run could remove it): a later run can, once its
	 * maker is gone. */
	int swept = pl_name_clean_stale("/dev/shm", "shm");

	pl_step("named-segment", NULL,
	        "shm_open() makes a named segment that another process opens by name");
	if (swept > 0)
		pl_note("swept", PL_FIELDS(PL_INT("removed", swept)),
		        "removed %d name%s in /dev/shm left by killed runs whose maker is gone", swept,
		        swept == 1 ? "" : "s");

	/* SIGKILL cannot be caught, so no code of ours could remove the name
	 * if it came before the unlink below; another process can. The
	 * guardian runs before the name exists, learns it when it is
	 * registered, and removes it if we die first (pl_cleanup.h). It
	 * ends when we unlink the name. --keep-name goes without one. */
	if (!keep_name) {
		if (pl_cleanup_guardian() == -1)
			pl_die("starting the guardian");
		pl_note("guardian", PL_FIELDS(PL_INT("guardian", pl_cleanup_guardian_pid())),
		        "guardian %ld: it removes the name if the demo dies before the unlink, "
		        "even by SIGKILL", (long)pl_cleanup_guardian_pid());
	}
	/* O_EXCL: never adopt an object someone else made; 0600: only us;
	 * random digits: nobody can take the name first (pl_name.h).
	 * A Ctrl-C between creating the name and registering it would leave
	 * it behind, so hold the termination signals until both are done. */
	pl_cleanup_hold(&old);
	fd = pl_name_shm_create("shm", shm_name, sizeof(shm_name));
	if (fd == -1)
		pl_die("shm_open(/proclab-shm-...)");
	name_linked = true;
	if (pl_cleanup_add(PL_CLEANUP_SHM, shm_name) == -1)
		pl_die("registering %s for cleanup", shm_name);
	pl_cleanup_release(&old);
	if (ftruncate(fd, (off_t)segment_size) == -1) /* a new object is 0 bytes */
		pl_die("ftruncate");

	bool listed = find_in_dev_shm(&st);
	char mode[8];
	snprintf(mode, sizeof(mode), "%04o", listed ? (unsigned)(st.st_mode & 07777) : 0);
	pl_note("in-dev-shm",
	        PL_FIELDS(PL_STR("name", shm_name + 1), PL_BOOL("listed", listed),
	                  PL_INT("size", listed ? st.st_size : -1), PL_STR("mode", mode)),
	        "ls /dev/shm: %s, %lld bytes, mode %s", listed ? shm_name + 1 : "(not there)",
	        listed ? (long long)st.st_size : 0LL, mode);
	pl_check("listed-in-dev-shm",
	         listed && (size_t)st.st_size == segment_size && (st.st_mode & 07777) == 0600,
	         PL_FIELDS(PL_INT("expected_size", (long long)segment_size)),
	         "the kernel lists it in /dev/shm with the size we gave it, readable by us only");
	pl_pause(1.0); /* time for `ls -l /dev/shm` */

	switch (pid = pl_fork("opener", PL_FORK_CHANNEL)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: like an unrelated process, it finds the object by name. */
		close(fd);
		child_opens_by_name();
	default: /* Parent: maps it too. */
		seg = mmap(NULL, segment_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (seg == MAP_FAILED)
			pl_die("mmap(%s)", shm_name);
		close(fd); /* the mapping keeps the object alive, not the fd */
	}
	if (pl_child_hear(pid, &child, sizeof(child), HEAR_TIMEOUT_MS) == -1)
		pl_die("hearing from child %ld", (long)pid);
	pl_check("child-opened-by-name", child.error == 0, PL_FIELDS(PL_INT("error", child.error)),
	         "the child opened %s by name and mapped it%s%s", shm_name,
	         child.error ? ": " : "", child.error ? strerror(child.error) : "");

	/* Every process has it mapped: the name has done its job. From here a
	 * SIGKILL leaves nothing behind, and the guardian ends. */
	if (!keep_name)
		unlink_name();
	else
		pl_note("keep-name", NULL, "--keep-name: the name stays until the end, with no "
		                           "guardian; a SIGKILL would leave it in /dev/shm");
	pl_procfs_wait_state(pid, "S", HEAR_TIMEOUT_MS, &proc);
	bool have_line = maps_line(pid, (void *)child.address, line, sizeof(line));
	bool still_listed = find_in_dev_shm(&st);
	pl_note("child-maps",
	        PL_FIELDS(PL_INT("child", pid), PL_STR("line", have_line ? line : ""),
	                  PL_BOOL("name_listed", still_listed)),
	        "/proc/%ld/maps: %s", (long)pid, have_line ? line : "(no such mapping)");
	snprintf(expect, sizeof(expect), "/dev/shm%s%s", shm_name, keep_name ? "" : " (deleted)");
	if (!keep_name)
		pl_check("unlinked-but-mapped",
		         !still_listed && have_line && strstr(line, expect) != NULL &&
		                 maps_sharing(line) == 's',
		         NULL, "after shm_unlink() the name is gone from /dev/shm, and the child's "
		               "mapping stays, marked (deleted)");
	else
		pl_check("still-named", still_listed && have_line && strstr(line, expect) != NULL,
		         NULL, "the name is still in /dev/shm, and the child maps it");

	pl_pause(1.0); /* time to look at the child's maps */
	pl_child_release(pid);
	if (pl_child_hear(pid, &child, sizeof(child), HEAR_TIMEOUT_MS) == -1 ||
	    pl_child_wait(pid, NULL, 0) == -1)
		pl_die("waiting for child %ld", (long)pid);
	pl_note("greeting", PL_FIELDS(PL_STR("greeting", seg->greeting)),
	        "the parent reads at %p what the child wrote at %p: \"%s\"", (void *)seg,
	        (void *)child.address, seg->greeting);
	snprintf(expect, sizeof(expect), "hello from pid %ld", (long)pid);
	pl_check("same-memory", strcmp(seg->greeting, expect) == 0, NULL,
	         "two processes, two mappings, one memory");
	return seg;
}

/* ------------------------------------------------------------------ */
/* Step 2: no name at all. MAP_SHARED | MAP_ANONYMOUS memory is shared  */
/* with children forked after it is mapped; MAP_PRIVATE is copied.      */

static void
anonymous_shared(void)
{
	long *shared = map_shared_anonymous(sizeof(long));
	long *private = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE,
	                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char shared_line[512], private_line[512];
	pid_t pid;

	if (private == MAP_FAILED)
		pl_die("mmap(MAP_PRIVATE | MAP_ANONYMOUS)");
	pl_step("anonymous-shared", NULL,
	        "a MAP_SHARED mapping is shared with a forked child; MAP_PRIVATE is copied");
	*shared = *private = 0;

	switch (pid = pl_fork("child", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child */
		*shared = *private = 42;
		pl_note("child-wrote", PL_FIELDS(PL_INT("shared", *shared), PL_INT("private", *private)),
		        "in the child: shared = %ld, private = %ld", *shared, *private);
		_exit(EXIT_SUCCESS);
	default: /* Parent */
		if (pl_child_wait(pid, NULL, 0) == -1)
			pl_die("waitpid");
	}

	bool ok = maps_line(getpid(), shared, shared_line, sizeof(shared_line)) &&
	          maps_line(getpid(), private, private_line, sizeof(private_line));
	char shared_kind = ok ? maps_sharing(shared_line) : '?';
	char private_kind = ok ? maps_sharing(private_line) : '?';
	pl_note("parent-reads",
	        PL_FIELDS(PL_INT("shared", *shared), PL_INT("private", *private),
	                  PL_CHAR("shared_flag", shared_kind), PL_CHAR("private_flag", private_kind)),
	        "in the parent: shared = %ld (maps flag %c), private = %ld (maps flag %c)",
	        *shared, shared_kind, *private, private_kind);
	pl_check("shared-seen", *shared == 42 && shared_kind == 's', NULL,
	         "the child's write to the MAP_SHARED page is the parent's too");
	pl_check("private-copied", *private == 0 && private_kind == 'p', NULL,
	         "its write to the MAP_PRIVATE page went to its own copy");
	munmap(shared, sizeof(long));
	munmap(private, sizeof(long));
}

/* ------------------------------------------------------------------ */
/* Step 3: the seeds' Python, in C:                                      */
/*     num = Value('d', 0.0); arr = Array('i', range(10))                */
/*     child: num.value = 3.1415927; a[i] = -a[i] for each i             */
/* Both are just typed memory in a MAP_SHARED mapping.                   */

static void
value_and_array(void)
{
	double *num = map_shared_anonymous(sizeof(*num));
	int *arr = map_shared_anonymous(ARRAY_LEN * sizeof(*arr));
	long seen[ARRAY_LEN];
	char text[160];
	size_t len = 0;
	pid_t pid;
	bool negated = true;

	pl_step("value-and-array", NULL,
	        "a shared double and a shared int array, like multiprocessing.Value and Array");
	*num = 0.0;
	for (int i = 0; i < ARRAY_LEN; i++)
		arr[i] = i;

	switch (pid = pl_fork("child", 0)) {
	case -1:
		pl_die("fork");
	case 0: /* Child: func(n, a) of the seeds */
		*num = 3.1415927;
		for (int i = 0; i < ARRAY_LEN; i++)
			arr[i] *= -1;
		_exit(EXIT_SUCCESS);
	default: /* Parent: p.join(), then print */
		if (pl_child_wait(pid, NULL, 0) == -1)
			pl_die("waitpid");
	}

	for (int i = 0; i < ARRAY_LEN; i++) {
		seen[i] = arr[i];
		negated = negated && arr[i] == -i;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d", i ? ", " : "", arr[i]);
	}
	pl_note("parent-sees", PL_FIELDS(PL_DOUBLE("value", *num), PL_INTS("array", seen, ARRAY_LEN)),
	        "in the parent: num = %.7f, arr = [%s]", *num, text);
	pl_check("value-shared", *num == 3.1415927, NULL, "the double the child set is the parent's");
	pl_check("array-shared", negated, NULL, "every element the child negated is negated here");
	munmap(num, sizeof(*num));
	munmap(arr, ARRAY_LEN * sizeof(*arr));
}

/* ------------------------------------------------------------------ */
/* Steps 4-5: one counter, N processes, M increments each.              */

enum method { NO_LOCK, PLAIN, MUTEX, SEMAPHORE, ATOMIC };
static const char *const method_names[] = { "no lock", "counter++", "mutex", "semaphore",
	                                    "atomic" };

static void
increment(struct segment *seg, enum method how)
{
	int err;

	switch (how) {
	case NO_LOCK: { /* --- the critical section, with no lock --- */
		long seen = seg->counter; /* read */
		sched_yield();            /* the window, held open: another process runs */
		seg->counter = seen + 1;  /* write back: any increment made meanwhile is lost */
		break;                    /* --- end of the critical section --- */
	}
	case PLAIN: /* the same race, but its window is a few instructions wide */
		seg->counter++;
		break;
	case MUTEX:
		if ((err = pthread_mutex_lock(&seg->mutex)) != 0)
			pl_die_en(err, "pthread_mutex_lock");
		seg->counter++; /* the critical section: one process at a time */
		pthread_mutex_unlock(&seg->mutex);
		break;
	case SEMAPHORE:
		while (sem_wait(&seg->semaphore) == -1)
			if (errno != EINTR)
				pl_die("sem_wait");
		seg->counter++;
		sem_post(&seg->semaphore);
		break;
	case ATOMIC: /* one indivisible read-modify-write (lock xadd on x86) */
		atomic_fetch_add(&seg->atomic_counter, 1);
		break;
	}
}

static noreturn void
worker(struct segment *seg, enum method how, int index)
{
	pl_child_hold(); /* wait at the start line until every worker exists */
	seg->times[index].start = pl_narrate_elapsed();
	for (long i = 0; i < increments; i++)
		increment(seg, how);
	seg->times[index].end = pl_narrate_elapsed();
	_exit(EXIT_SUCCESS);
}

struct result {
	long expected, got;
	double seconds; /* first start to last end, across the workers */
};

/* While the workers wait at the start line: the kernel shows each one
 * sleeping, with the segment in its maps (deleted, unless --keep-name). */
static void
show_workers(const struct segment *seg, const pid_t *pids)
{
	int mapping = 0;
	char line[512];

	for (int i = 0; i < procs; i++) {
		struct pl_proc proc;

		if (pl_procfs_wait_state(pids[i], "S", HEAR_TIMEOUT_MS, &proc) == 0 &&
		    maps_line(pids[i], seg, line, sizeof(line)) && strstr(line, shm_name) != NULL &&
		    (keep_name || strstr(line, "(deleted)") != NULL))
			mapping++;
	}
	pl_note("workers-mapped", PL_FIELDS(PL_INT("workers", procs), PL_INT("mapping", mapping)),
	        "%d of %ld workers sleep at the start line, each mapping /dev/shm%s%s", mapping,
	        procs, shm_name, keep_name ? "" : " (deleted)");
	pl_check("workers-share-segment", mapping == procs, NULL,
	         "every worker maps the segment it inherited from fork()");
	pl_pause(1.0); /* time to see them in the dashboard, or with ps */
}

static struct result
run_counter(struct segment *seg, enum method how, bool show)
{
	struct result r = { procs * increments, 0, 0 };
	pid_t pids[MAX_PROCS];
	double first = 1e30, last = 0;

	seg->counter = 0;
	atomic_store(&seg->atomic_counter, 0);
	for (int i = 0; i < procs; i++) {
		switch (pids[i] = pl_fork("worker", PL_FORK_CHANNEL)) {
		case -1:
			pl_die("fork");
		case 0: /* Child */
			worker(seg, how, i);
		default: /* Parent: go on forking */
			break;
		}
	}
	if (show)
		show_workers(seg, pids);
	for (int i = 0; i < procs; i++) /* ready, steady, go */
		pl_child_release(pids[i]);
	for (int i = 0; i < procs; i++) {
		int status;
		char how_ended[96];

		if (pl_child_wait(pids[i], &status, 0) == -1)
			pl_die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			pl_status_describe(status, how_ended, sizeof(how_ended));
			pl_die("worker %ld %s", (long)pids[i], how_ended);
		}
		if (seg->times[i].start < first)
			first = seg->times[i].start;
		if (seg->times[i].end > last)
			last = seg->times[i].end;
	}
	r.got = how == ATOMIC ? atomic_load(&seg->atomic_counter) : seg->counter;
	r.seconds = last - first;
	return r;
}

static void
counter_race(struct segment *seg)
{
	int rounds_lost = 0;

	pl_step("counter-race",
	        PL_FIELDS(PL_INT("procs", procs), PL_INT("increments", increments)),
	        "%ld processes add 1 to a shared counter %ld times each, with no lock", procs,
	        increments);
	for (int round = 1; round <= rounds; round++) {
		struct result r = run_counter(seg, NO_LOCK, round == 1);

		if (r.got < r.expected)
			rounds_lost++;
		pl_note("count",
		        PL_FIELDS(PL_STR("method", "no lock"), PL_INT("round", round),
		                  PL_INT("expected", r.expected), PL_INT("got", r.got),
		                  PL_INT("lost", r.expected - r.got), PL_DOUBLE("seconds", r.seconds)),
		        "round %d: expected %ld, got %ld, lost %ld", round, r.expected, r.got,
		        r.expected - r.got);
	}
	if (procs >= 2 && increments >= RACE_MIN_INCREMENTS)
		pl_check("updates-lost", rounds_lost > 0,
		         PL_FIELDS(PL_INT("rounds_lost", rounds_lost), PL_INT("rounds", rounds)),
		         "without a lock, updates were lost in %d of %ld rounds", rounds_lost, rounds);
	else
		pl_note("too-small", NULL, "with %ld process(es) and %ld increments the race has "
		                           "little room: try the defaults", procs, increments);
}

static void
counter_locked(struct segment *seg)
{
	static const enum method methods[] = { PLAIN, MUTEX, SEMAPHORE, ATOMIC };
	pthread_mutexattr_t attr;
	int err;

	pl_step("counter-locked", PL_FIELDS(PL_INT("rounds", rounds)),
	        "the same counter under a mutex, a semaphore and an atomic add");

	/* The lock lives in the shared page, and must be told it is shared:
	 * a default mutex may assume it is only ever seen by one process. */
	if ((err = pthread_mutexattr_init(&attr)) != 0 ||
	    (err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
	    (err = pthread_mutex_init(&seg->mutex, &attr)) != 0)
		pl_die_en(err, "a process-shared mutex");
	pthread_mutexattr_destroy(&attr);
	if (sem_init(&seg->semaphore, 1, 1) == -1) /* pshared = 1, value 1: a lock */
		pl_die("sem_init");

	for (size_t k = 0; k < PL_COUNT(methods); k++) {
		enum method how = methods[k];
		double seconds[9];
		long lost = 0;
		struct result r = { 0, 0, 0 };

		for (int round = 0; round < rounds; round++) {
			r = run_counter(seg, how, false);
			seconds[round] = r.seconds;
			lost += r.expected - r.got;
		}
		double median = pl_measure_median(seconds, (size_t)rounds);
		pl_note("timing",
		        PL_FIELDS(PL_STR("method", method_names[how]), PL_INT("expected", r.expected),
		                  PL_INT("lost", lost), PL_DOUBLE("median_seconds", median),
		                  PL_INT("rounds", rounds)),
		        "%-10s %ld rounds of %ld increments: %ld lost, median %.1f ms a round",
		        method_names[how], rounds, r.expected, lost, median * 1e3);
		if (how != PLAIN)
			pl_check(method_names[how], lost == 0, NULL, "%s: no update lost",
			         method_names[how]);
	}
	sem_destroy(&seg->semaphore);
	pthread_mutex_destroy(&seg->mutex);
}

/* ------------------------------------------------------------------ */
/* Step 6: nothing left.                                                 */

static void
segment_gone(struct segment *seg)
{
	struct stat st;
	char line[512];

	pl_step("segment-gone", NULL, "the segment goes when its name and its last mapping go");
	if (name_linked) {
		pl_note("late-unlink", NULL, "--keep-name: shm_unlink(%s) only now", shm_name);
		unlink_name();
	}
	munmap(seg, segment_size);
	bool listed = find_in_dev_shm(&st);
	bool mapped = maps_line(getpid(), seg, line, sizeof(line)) && strstr(line, shm_name);
	pl_note("after",
	        PL_FIELDS(PL_BOOL("listed", listed), PL_BOOL("mapped", mapped)),
	        "/dev/shm%s: %s; in /proc/%ld/maps: %s", shm_name, listed ? "listed" : "gone",
	        (long)getpid(), mapped ? "mapped" : "gone");
	pl_check("nothing-left", !listed && !mapped, NULL,
	         "no name in /dev/shm and no mapping: the kernel has freed the segment");
}

int
main(int argc, char *argv[])
{
	struct segment *seg;

	pl_demo_init(argc, argv, &demo);
	if (procs * increments > MAX_TOTAL)
		pl_die_usage("--procs times --increments must be at most %ld, not %ld", MAX_TOTAL,
		             procs * increments);

	seg = named_segment();
	anonymous_shared();
	value_and_array();
	counter_race(seg);
	counter_locked(seg);
	segment_gone(seg);

	return pl_demo_finish();
}
