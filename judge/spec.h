/* spec.h - the judge's spec file: what to build, how to run it, and what
 * to check. docs/judge-spec.md is the reference an instructor reads.
 *
 * The file is INI, read with libinih. Each error names the file, the line
 * and the key; judge_spec_load() returns -1 with it in ERR.
 */
#ifndef JUDGE_SPEC_H
#define JUDGE_SPEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum judge_kind {
	JUDGE_EXIT,
	JUDGE_STDOUT,
	JUDGE_STDERR,
	JUDGE_ZOMBIES,
	JUDGE_ORPHANS,
	JUDGE_LEAKS,
	JUDGE_FDS,
	JUDGE_STUCK,
	JUDGE_BUSY,
	JUDGE_RACES,
	JUDGE_PARALLEL,
	JUDGE_SHAPE,
	JUDGE_NKINDS
};

#define JUDGE_MAX_ALSO 3
#define JUDGE_MAX_FDS 32
#define JUDGE_TEXT 1024

struct judge_check {
	enum judge_kind kind;
	char label[64]; /* "exit", or the quoted label of [check stdout "x"] */
	int line;       /* where its section starts */
	double points;

	/* exit */
	bool has_status, has_signal;
	int status, signal; /* signal 0: "none" */
	/* stdout, stderr */
	char match[JUDGE_TEXT]; /* a regex; "\n" in it splits lines */
	char file[PATH_MAX];    /* expected text, in the lab's folder */
	char also[JUDGE_MAX_ALSO][PATH_MAX];
	bool any_order, mask;
	/* zombies */
	long max_ms;
	/* leaks */
	bool shm, mqueue, sysv, tmp;
	/* fds */
	int allow[JUDGE_MAX_FDS];
	size_t nallow;
	/* stuck */
	double after;
	/* races */
	long fail_max;
	/* parallel */
	long workers;
	double min_runnable; /* tasks running or waiting for a CPU at once, on average */
	double min_speedup;
	char one[JUDGE_TEXT];
	double max_other_load; /* CPUs the rest of the machine may use during a timed run */
	long pairs, tries;     /* quiet pairs of runs wanted, in at most this many tries */
	/* shape: -1 where not given */
	long max_processes, max_threads, max_depth, min_processes;
};

struct judge_limits {
	double wall, cpu;        /* seconds */
	long processes, files;
	unsigned long long memory, output; /* bytes */
};

struct judge_spec {
	char path[PATH_MAX]; /* the spec file */
	char dir[PATH_MAX];  /* its folder: files named in it are found there */
	char name[128];
	char lesson[64];
	char build[JUDGE_TEXT]; /* "" for no build */
	double build_timeout;
	char run[JUDGE_TEXT];
	char stdin_file[PATH_MAX]; /* "" for /dev/null */
	long runs, pin;
	struct judge_limits limits;
	struct judge_check *checks;
	size_t nchecks;
	double points; /* the sum of the checks' */
};

/* Read the spec at PATH into *SPEC. Returns 0, or -1 with a one-line
 * message "FILE:LINE: key 'k': what is wrong" in ERR. */
int judge_spec_load(const char *path, struct judge_spec *spec, char *err, size_t errsize);

/* The same for the LEN bytes of TEXT (no file: the fuzzer's way in). NAME
 * stands for the file in messages; DIR is where named files are found. */
int judge_spec_parse(const char *text, size_t len, const char *name, const char *dir,
                     struct judge_spec *spec, char *err, size_t errsize);

void judge_spec_free(struct judge_spec *spec);

/* "exit", "stdout"... */
const char *judge_kind_name(enum judge_kind kind);

#endif /* JUDGE_SPEC_H */
