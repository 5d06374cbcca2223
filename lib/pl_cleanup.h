/* pl_cleanup.h - leave nothing behind.
 *
 * A demo must not leave processes or IPC objects on the machine, whether it
 * ends normally, by Ctrl-C (SIGINT), SIGTERM, SIGHUP or SIGQUIT.
 * pl_cleanup_install() sets handlers for those signals that
 *   1. pass the signal on to every tracked child (pl_child.h), reap those
 *      that end within 150 ms, SIGKILL and reap the rest (200 ms at
 *      most), so that none is left a zombie for init to reap,
 *   2. remove every registered name (shared memory, semaphores, queues,
 *      FIFOs and temp files),
 *   3. then die of the same signal, so the shell sees the true cause.
 * At a normal exit() it SIGKILLs and reaps the children, and runs step 2.
 *
 * SIGKILL of the demo cannot be caught: no code of the dying process runs.
 * PR_SET_PDEATHSIG takes the children with it (pl_child.h), and a demo
 * unlinks each name as soon as every process that needs it has opened it.
 * For the moments before that, another process must do the removing: the
 * guardian (pl_cleanup_guardian() below).
 */
#ifndef PL_CLEANUP_H
#define PL_CLEANUP_H

#include <signal.h>
#include <sys/types.h>

enum pl_cleanup_kind {
	PL_CLEANUP_PATH,    /* unlink(2): FIFOs, temp files, sockets */
	PL_CLEANUP_SHM,     /* shm_unlink(3) */
	PL_CLEANUP_SEM,     /* sem_unlink(3) */
	PL_CLEANUP_MQ,      /* mq_unlink(3) */
	PL_CLEANUP_DIR      /* rmdir(2): a temp directory of ours, removed
	                     * after every other name, so its files go
	                     * first; whatever else is in it (a core dump, a
	                     * program's own files) goes with it, never
	                     * through a link. The guardian leaves the
	                     * directories in it to the program that made
	                     * them for 5 s before it removes them */
};

#define PL_CLEANUP_MAX 32

int pl_cleanup_install(void);

/* Remember NAME (copied) for removal. Safe to call from several threads at
 * once. Returns 0, or -1 with ENOSPC/ENAMETOOLONG. */
int pl_cleanup_add(enum pl_cleanup_kind kind, const char *name);

/* The demo removed NAME itself; forget it. */
int pl_cleanup_forget(enum pl_cleanup_kind kind, const char *name);

/* Remove every registered name now. Async-signal-safe apart from the C
 * library's shm/sem/mq unlink wrappers, which are thin system calls. */
void pl_cleanup_run(void);

/* Hold SIGINT, SIGTERM, SIGHUP and SIGQUIT until pl_cleanup_release(), so
 * that a pair of steps which must not be split - create a name, then
 * register it; fork, then record the child - cannot be interrupted in the
 * middle. A signal that arrives meanwhile is delivered at the release.
 * It is the calling thread's mask (pthread_sigmask(3)): in a demo of
 * several threads, the others should block these signals for good, so
 * that the handler runs where the names are made. */
void pl_cleanup_hold(sigset_t *saved);
void pl_cleanup_release(const sigset_t *saved);

/* Forget every name without removing it. pl_fork() calls this in a new
 * child: the names belong to the parent, which removes them (and so does
 * its guardian, which the child lets go of). */
void pl_cleanup_forget_all(void);

/* In a child made by pl_fork(), before it forks children of its own
 * (pl_fork() calls this): its termination signals, back at their default
 * action, get the handler too, if the demo installed it, so that on a
 * Ctrl-C, which reaches the whole process group, every parent kills and
 * reaps its own children before it dies, and none is left a zombie for
 * init. Signals the child handles or ignores stay as they are. Its exit()
 * is left alone: a child that exits on purpose leaves its children
 * (orphans) as it meant to. */
void pl_cleanup_become_parent(void);

/* Start the guardian, if it is not running: a child process that removes
 * the names still registered when this process dies, however it dies.
 *
 * The guardian learns each name as pl_cleanup_add() registers it and
 * pl_cleanup_forget() lets it go, over a socket of which this process
 * holds one end. When this process ends, even by SIGKILL, the kernel
 * closes that end; the guardian reads end of file, removes what is still
 * registered, and exits. It leaves the demo's session first, so that a
 * Ctrl-C or a hangup meant for the demo does not end it too, closes every
 * other descriptor, and is called "proclab-guard" (in ps and
 * /proc/PID/comm).
 *
 * Call it just before making a name: the guardian then runs before the name
 * exists, and the name is unguarded only between the call that makes it
 * and pl_cleanup_add(), a few microseconds (docs/sweeps.md). pl_cleanup_add()
 * does not start one by itself. The guardian ends when the last name is
 * forgotten or removed, and at exit: it lives only while there is a name
 * to remove. Returns 0, or -1 with errno (from socketpair(2) or fork(2)). */
int pl_cleanup_guardian(void);

/* The guardian's PID, or 0 when none runs for this process. */
pid_t pl_cleanup_guardian_pid(void);

#endif /* PL_CLEANUP_H */
