/* mpi/launch.h - the MPI demos' plumbing, not a demo: what the four share,
 * starting mpirun, hearing the ranks, and leaving nothing behind. It is
 * here, not in libproclab, because it calls MPI and the library must not
 * need it.
 *
 * Each MPI demo is one program in two parts. Started by the user, it is
 * the CONTROLLER: it parses the options, starts `mpirun -np N` on its own
 * program, reads what the ranks report, looks at them from outside in
 * /proc, and narrates. Started by mpirun, with OMPI_COMM_WORLD_RANK in its
 * environment (Open MPI puts it there), it is a RANK: it calls MPI_Init,
 * does its part, and reports on stdout, which mpirun forwards to the
 * controller through a pipe, one line at a time.
 *
 * Open MPI refuses two things a classroom laptop and CI both do: running
 * as root, and starting more ranks than there are cores. The controller
 * passes --oversubscribe, and as root sets OMPI_ALLOW_RUN_AS_ROOT and
 * OMPI_ALLOW_RUN_AS_ROOT_CONFIRM, and says so (mpirun(1)).
 *
 * Nothing is left behind: the ranks' shared-memory segments and Open
 * MPI's session directory go in a private directory in /dev/shm
 * (btl_vader_backing_directory, orte_tmpdir_base), which the guardian
 * removes if the controller is killed (pl_cleanup.h); mpirun dies
 * with SIGTERM when the controller dies, which makes it end its ranks and
 * remove its session directory; a rank dies with SIGKILL when mpirun does
 * (PR_SET_PDEATHSIG). Ctrl-C and SIGTERM of the controller end the job the
 * same orderly way before the controller dies of the signal. When mpirun
 * alone is killed, the controller, the subreaper of the ranks it orphans
 * (PR_SET_CHILD_SUBREAPER), reaps them and only then removes what mpirun
 * could not (mpi_job_sweep()). When everything is killed at once, the
 * guardian too, the next run removes the directory, once its controller
 * is surely gone (pl_name_clean_stale_dirs(), in mpi_launch_setup()).
 */
#ifndef MPI_LAUNCH_H
#define MPI_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MPI_LAUNCH_MAX_RANKS 16

/* --- The controller's side. --- */

/* One run of mpirun. */
struct mpi_job {
	pid_t mpirun;   /* our child */
	int from_ranks; /* read end: the ranks' stdout, through mpirun */
	int to_rank0;   /* write end: rank 0's stdin, through mpirun */
	char buf[8192]; /* what came and is not a whole line yet */
	size_t len;
	bool ended; /* mpirun was reaped; STATUS is its wait status */
	int status;
	int swept; /* files of its the demo had to remove after it */
};

/* mpi_job_start() flags: mpirun's stderr comes through the same pipe as
 * the ranks' stdout, for a demo that reads mpirun's own report. */
#define MPI_JOB_STDERR 0x1

/* True when this process was started by mpirun for a controller: then
 * call the demo's rank part and nothing else. A program started by a
 * user's own mpirun, without a controller, is told to run alone (exit 2). */
bool mpi_launch_is_rank(const char *program);

/* After pl_demo_init(): find mpirun on PATH (else one line, exit 2), allow
 * root (and say so), sweep the private directories of killed runs, make
 * our own, catch Ctrl-C. */
void mpi_launch_setup(const char *program);

/* Start PATH with ARGV, its stdout a pipe whose read end goes in *OUT.
 * Returns its PID (a tracked child: pl_child_wait() reaps it). */
pid_t mpi_launch_spawn(const char *role, const char *path, char *const argv[], int *out);

/* mpirun's version line, e.g. "mpirun (Open MPI) 4.1.4". */
const char *mpi_launch_version(void);

/* The private directory that holds the ranks' shared memory. */
const char *mpi_launch_shm_dir(void);

/* Start NP ranks of this program over BTL ("vader,self", "tcp,self"),
 * each given RANK_ARGS (NULL-terminated) after its name. FLAGS: 0 or
 * MPI_JOB_STDERR. */
void mpi_job_start(struct mpi_job *job, int np, const char *btl, const char *const rank_args[],
                   unsigned flags);

/* The next line the ranks wrote, without its newline, into BUF. Returns 1,
 * 0 at end of file (mpirun ended), or -1 when TIMEOUT seconds passed. */
int mpi_job_line(struct mpi_job *job, char *buf, size_t size, double timeout);

/* Wait for a line that starts with PREFIX, for TIMEOUT seconds in all;
 * lines before it go to the callback SEEN (may be NULL). Returns 1 with the
 * line in BUF, 0 at end of file, -1 at the deadline. */
int mpi_job_expect(struct mpi_job *job, const char *prefix, char *buf, size_t size, double timeout,
                   void (*seen)(const char *line));

/* Write LINE and a newline to rank 0's standard input. */
void mpi_job_tell(struct mpi_job *job, const char *line);

/* The ranks: mpirun's children, in PID order. Returns how many. */
int mpi_job_ranks(const struct mpi_job *job, pid_t *pids, int max);

/* Wait for mpirun to end, TIMEOUT seconds at most: returns true and sets
 * job->status, or false. Once it has ended, reap the ranks it orphaned
 * (10 s at most) and sweep after the job (mpi_job_sweep()). */
bool mpi_job_wait(struct mpi_job *job, double timeout);

/* Check that the job ENDED (mpi_job_wait's answer) with status 0; if it
 * did not, stop it and end the demo here with its summary (exit 1). */
void mpi_job_ended_well(struct mpi_job *job, bool ended);

/* End the job the orderly way: SIGTERM to mpirun, which ends its ranks and
 * cleans up, then SIGKILL after a few seconds; reap it and remove anything
 * of its left in the session directory. Idempotent. */
void mpi_job_stop(struct mpi_job *job);

/* Remove what a dead mpirun and its ranks left in the private directory:
 * the segments, and Open MPI's session directory (ompi.HOST.UID/pid.PID),
 * which is there too (orte_tmpdir_base). Returns how many files and
 * directories were removed. */
int mpi_job_sweep(struct mpi_job *job);

/* --- The rank's side (needs mpi.h; these call MPI). --- */

/* Die with mpirun (PR_SET_PDEATHSIG) or when the controller is gone, then
 * MPI_Init. Returns this rank; *SIZE gets the world size. */
int mpi_rank_begin(int *argc, char ***argv, int *size);

/* Report one line to the controller, in one write(2). */
void mpi_rank_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Rank 0: wait for the controller's "go" on stdin (it looks at us in /proc
 * meanwhile). Returns false at end of file. */
bool mpi_rank_wait_go(void);

#endif /* MPI_LAUNCH_H */
