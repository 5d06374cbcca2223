/* run.h - one run of a student's program, under observation.
 *
 * The judge is the child subreaper of everything the program starts, so
 * orphans come back to it. The program runs in its own session, under
 * limits, with a private TMPDIR; where the machine allows it (root, or
 * user namespaces) also in its own IPC and mount namespaces, with a
 * /dev/shm and an mqueue file system of its own, so that what it leaves
 * there can be listed exactly and then goes away with it. Every few
 * milliseconds the library's model (pl_model.h, the dashboard's too)
 * takes a snapshot of the tree; what matters to the checks is kept in a
 * struct judge_obs.
 */
#ifndef JUDGE_RUN_H
#define JUDGE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec.h"

#define JUDGE_NOTE 2048

struct judge_obs {
	/* the main process */
	bool started;     /* it was exec'ed: not "no such program" */
	char start_error[256];
	int status;       /* its wait status */
	bool ended;       /* it ended within the wall time */
	double wall;      /* seconds from start to its end (or the stop) */
	double cpu;       /* CPU seconds of every process of the run */
	/* output */
	char *out, *err;  /* NUL-terminated, at most limits.output bytes */
	size_t nout, nerr;
	bool out_over, err_over; /* it wrote more than that */
	/* what the snapshots saw */
	long max_processes, max_threads, max_depth, min_processes_seen;
	bool forkbomb;        /* it went past limits.processes and was stopped */
	double zombie_worst;  /* the longest a child stayed a zombie with its parent alive, s */
	char zombie_note[JUDGE_NOTE];
	long zombies_at_end;  /* children left unreaped when their parent exited */
	char left_note[JUDGE_NOTE];
	long orphans;
	char orphan_note[JUDGE_NOTE];
	bool stuck;           /* every task blocked with no progress for `after` */
	char stuck_note[JUDGE_NOTE];
	bool busy_at_end;     /* it ran out of wall time while running */
	/* Its tasks running or waiting for a CPU (state R), on average over
	 * the looks while the main process lived: the parallelism it offers,
	 * which other load on the machine does not lower (parallel). */
	double runnable;
	long runnable_looks;
	/* CPUs the rest of the machine used during the run, on average: the
	 * busy time of the CPUs the run could use (/proc/stat), less the
	 * run's and the judge's own CPU time, over the wall time. A speedup
	 * is timed only where it is low (parallel). */
	double others;
	bool others_known; /* /proc/stat could be read */
	long bad_fds;
	char fd_note[JUDGE_NOTE];
	pid_t fd_pids[32]; /* the processes noted: each once */
	size_t nfd_pids;
	/* left behind */
	bool isolated; /* in namespaces of its own: the leak counts are exact */
	long leaked_shm, leaked_mqueue, leaked_sysv, leaked_tmp;
	char leak_note[JUDGE_NOTE];
	/* every PID the run had, for masking its output */
	pid_t *pids;
	size_t npids;
};

struct judge_run_opts {
	const char *dir;       /* the submission: the run's working directory */
	const char *run;       /* the run line, split on blanks */
	bool pin;              /* on one CPU */
	uid_t uid;             /* run as this user and group, if as_user */
	gid_t gid;
	bool as_user;
	double stuck_after;    /* seconds */
	const int *allow_fds;  /* descriptors every process may hold */
	size_t nallow;
	bool check_fds;
	/* What each look reads beyond the tree, only for the checks that use
	 * it: each process's threads (their wait channels for stuck, their
	 * states for parallel), and fd tables and /proc/locks (the wait-for
	 * cycle of a stuck verdict). */
	bool threads;
	bool locks;
};

/* Run it once. Returns 0 with *OBS filled (even when the program failed:
 * that is a verdict), or -1 with errno if the judge itself could not. */
int judge_run(const struct judge_spec *spec, const struct judge_run_opts *opts,
              struct judge_obs *obs);

void judge_obs_free(struct judge_obs *obs);

/* Make the judge the child subreaper of what it starts. Once, at start. */
int judge_become_subreaper(void);

/* Run a shell command LINE in DIR for at most SECONDS, its output (both
 * streams, at most 64 KiB) into a malloc'ed *OUTPUT; as the user of AS
 * if AS->as_user. Returns its wait status, or -1 with errno; *TIMED_OUT
 * says it was stopped. */
int judge_shell(const char *line, const char *dir, double seconds,
                const struct judge_run_opts *as, char **output, bool *timed_out);

#endif /* JUDGE_RUN_H */
