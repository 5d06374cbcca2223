/* pl_procfs.h - what the kernel says about one process, from /proc/PID,
 * and about the file locks of all of them, from /proc/locks.
 *
 * See proc(5). The state letters of /proc/PID/stat field 3 are
 *   R running   S sleeping   D disk wait   T stopped   t tracing stop
 *   Z zombie    X dead       I idle (kernel threads)
 *
 * A process can exit between two reads. That is normal, not an error:
 * pl_procfs_read() then returns PL_PROCFS_GONE.
 */
#ifndef PL_PROCFS_H
#define PL_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PL_PROCFS_GONE 1

struct pl_proc {
	pid_t pid;                  /* field 1 */
	char comm[64];              /* field 2, without its parentheses */
	char state;                 /* field 3 */
	pid_t ppid;                 /* field 4 */
	pid_t pgid;                 /* field 5 */
	pid_t sid;                  /* field 6 */
	unsigned long long utime;   /* field 14, clock ticks in user mode */
	unsigned long long stime;   /* field 15, clock ticks in kernel mode */
	long priority;              /* field 18: a real-time task's priority P shows
	                             * as -1 - P (-2 to -100); any other task's as
	                             * 20 + nice. It is the priority the task runs at
	                             * now, a boost by priority inheritance included */
	long nice;                  /* field 19 */
	long threads;               /* field 20 */
	unsigned long long start;   /* field 22, clock ticks after boot */
	long rss_pages;             /* field 24 */
	int processor;              /* field 39: the CPU it last ran on, or -1 */
	int rt_priority;            /* field 40: the real-time priority it was given,
	                             * 1 to 99, or 0; a boost does not change it */
	int policy;                 /* field 41: SCHED_OTHER, SCHED_FIFO... or -1 */
	double user_seconds;        /* utime in seconds */
	double system_seconds;      /* stime in seconds */
	char wchan[64];             /* /proc/PID/wchan: where it sleeps, or "" */
};

/* Parse the text of /proc/PID/stat. comm ends at the LAST ')', because a
 * name may hold spaces and parentheses. Returns 0, or -1 with errno EINVAL.
 * wchan and the *_seconds fields are left empty and zero. */
int pl_procfs_parse_stat(const char *text, struct pl_proc *out);

/* Read /proc/PID/stat and /proc/PID/wchan. Returns 0, PL_PROCFS_GONE when
 * there is no such process (or it vanished mid-read), or -1 with errno. */
int pl_procfs_read(pid_t pid, struct pl_proc *out);

/* When PID started: field 22 of its stat, in clock ticks after boot.
 * Returns 0, PL_PROCFS_GONE, or -1 with errno. */
int pl_procfs_start(pid_t pid, unsigned long long *start);

/* Is PID still the process that started at START? Once a process is
 * reaped its PID may be given to another, so a PID alone names nobody for
 * sure; a PID and a start time do. Returns 1 if that process runs (a
 * zombie has ended, so it does not), 0 if it is gone or the PID now names
 * another process, or -1 with errno when /proc cannot tell. */
int pl_procfs_same_process(pid_t pid, unsigned long long start);

/* Poll PID every millisecond until its state letter is one of STATES,
 * for at most TIMEOUT_MS. Returns 0 with *OUT filled, PL_PROCFS_GONE, or -1
 * with errno ETIMEDOUT (then *OUT holds the last state seen). OUT may be
 * NULL when only the outcome matters. */
int pl_procfs_wait_state(pid_t pid, const char *states, int timeout_ms,
                         struct pl_proc *out);

/* "running", "sleeping", "disk wait", "stopped", "traced", "zombie",
 * "dead", "idle", or "unknown". */
const char *pl_procfs_state_name(char state);

/* The PIDs whose parent is PPID, by scanning /proc. Stores at most MAX in
 * PIDS and returns how many there are (which may be more than MAX), or -1. */
int pl_procfs_children(pid_t ppid, pid_t *pids, size_t max);

/* The program a process runs, from the /proc/PID/exe link. */
int pl_procfs_exe(pid_t pid, char *buf, size_t size);

/* Poll until PID sleeps (state S) in a kernel function whose name holds
 * WCHAN. Kernel names change between versions (pipe_read became
 * anon_pipe_read in 6.x), so match a part: "pipe_read". Returns like
 * pl_procfs_wait_state(). */
int pl_procfs_wait_wchan(pid_t pid, const char *wchan, int timeout_ms, struct pl_proc *out);

/* Poll until PID has left /proc (reaped). Returns 0, or -1 with ETIMEDOUT. */
int pl_procfs_wait_gone(pid_t pid, int timeout_ms);

/* The value after "KEY:" in a /proc/PID/FILE of "key: value" lines
 * (FILE: "status", "io", "fdinfo/3"...), blanks trimmed. Returns 0,
 * PL_PROCFS_GONE, or -1 with errno (ENOENT: no such key). */
int pl_procfs_field(pid_t pid, const char *file, const char *key, char *buf, size_t size);

/* The same, read as a number in BASE: 16 for the Sig* masks of "status",
 * 8 for the "flags" of "fdinfo/N", 10 for "io". */
int pl_procfs_number(pid_t pid, const char *file, const char *key, int base,
                     unsigned long long *out);

/* The parsers under the two above, on TEXT already read: the whole of a
 * "key: value" file such as status or fdinfo/N. They return 0, or -1 with
 * errno (ENOENT: no such key; EINVAL: not a number). Exported so that the
 * unit tests and the fuzzers (fuzz/) can feed them any text. */
int pl_procfs_parse_field(const char *text, const char *key, char *buf, size_t size);
int pl_procfs_parse_number(const char *text, const char *key, int base,
                           unsigned long long *out);

/* In a signal mask from /proc/PID/status (SigIgn, SigCgt, ShdPnd...),
 * bit N-1 stands for signal N. */
#define PL_SIGMASK_HAS(mask, sig) ((((mask) >> ((sig) - 1)) & 1) != 0)

/* One open file descriptor, from /proc/PID/fd/N and /proc/PID/fdinfo/N.
 *
 * Its link says what it is (proc(5)): a path for a file; "pipe:[INODE]" or
 * "socket:[INODE]"; or, for the descriptors that have no file of their
 * own - eventfd(2), inotify(7), timerfd_create(2), signalfd(2),
 * pidfd_open(2), epoll(7) - "anon_inode:" and a name, with or without
 * brackets: "anon_inode:[eventfd]", "anon_inode:inotify" (the name is the
 * one the kernel passes to anon_inode_getfile(), fs/anon_inodes.c). */
struct pl_fd {
	int fd;
	char target[256];       /* the link: "/tmp/x", "pipe:[1234]", "socket:[99]" */
	char kind[16];          /* "pipe", "socket", "anon_inode"..., or "file" */
	char anon_name[32];     /* kind "anon_inode": "eventfd", "inotify", "timerfd",
	                         * "signalfd", "pidfd", "eventpoll"...; else "" */
	unsigned long inode;    /* for "kind:[inode]" targets, else 0 */
	int access;             /* O_RDONLY, O_WRONLY or O_RDWR; -1 if unknown */
};

/* Describe descriptor FD of PID. Returns 0, PL_PROCFS_GONE (the process or
 * the descriptor is gone), or -1. */
int pl_procfs_fd(pid_t pid, int fd, struct pl_fd *out);

/* PID's open descriptors, sorted by number: stores at most MAX and returns
 * how many there are, or -1 (errno ESRCH when PID is gone). */
int pl_procfs_fds(pid_t pid, struct pl_fd *fds, size_t max);

/* "read-only", "write-only", "read-write" or "unknown". */
const char *pl_procfs_access_name(int access);

/* How many lines of /proc/PID/maps hold NEEDLE, or -1. */
int pl_procfs_count_maps(pid_t pid, const char *needle);

/* One line of /proc/locks (proc(5)): a lock that is held, or a request
 * that is blocked, waiting for it. For example:
 *
 *     1: POSIX  ADVISORY  WRITE 24603 fe:00:10952850 0 EOF
 *     1: -> POSIX  ADVISORY  WRITE 24653 fe:00:10952850 0 EOF
 *     1:  -> POSIX  ADVISORY  WRITE 24711 fe:00:10952850 0 EOF
 *     2: FLOCK  ADVISORY  READ 24790 00:2a:7001 0 EOF
 *     3: OFDLCK ADVISORY  READ -1 fe:00:10952851 100 199
 *
 * In order, the fields are:
 *   - the lock's number and ':'. The requests blocked on a lock are listed
 *     right under it, with its number.
 *   - "->" for a blocked request. The blanks before it give its depth: 1
 *     waits on the holder itself; 2 waits on a blocked request of depth
 *     1, because it would conflict with that one too (fs/locks.c,
 *     locks_show() and locks_insert_block()).
 *   - the kind: POSIX for fcntl(F_SETLK), OFDLCK for fcntl(F_OFD_SETLK),
 *     FLOCK for flock(); also LEASE and DELEG for leases.
 *   - ADVISORY, or MANDATORY on kernels before 5.15 (a lease shows its
 *     state here instead). No caller needs it, so it is not kept.
 *   - READ or WRITE (UNLCK for a lease being given up).
 *   - the owner's PID, as seen from our PID namespace; -1 for an OFD lock,
 *     which belongs to an open file description, not to a process.
 *   - the file, as MAJOR:MINOR:INODE: the device numbers in hex, the inode
 *     in decimal. "<none>:0" when the lock has no file (a lease breaker).
 *   - the first byte locked, then the last one, or "EOF" for a lock that
 *     runs to the end of the file, however long it grows. flock() locks a
 *     whole file: its lines always say "0 EOF".
 */
struct pl_lock_line {
	int id;                   /* the lock's number */
	bool waiting;             /* "->": a blocked request, not a held lock */
	int depth;                /* for a waiter, the blanks before "->"; else 0 */
	char kind[12];            /* "POSIX", "OFDLCK", "FLOCK"... */
	char access[8];           /* "READ" or "WRITE" */
	pid_t pid;                /* the owner; -1 for an OFD lock */
	unsigned major, minor;    /* the file's device */
	unsigned long long inode; /* and its inode: 0 for "<none>" */
	long long start, end;     /* bytes START to END, both in; END -1 is EOF */
};

/* Parse one line of /proc/locks, with or without its newline. Returns 0,
 * or -1 with errno EINVAL when the line does not have the shape above. */
int pl_procfs_parse_lock(const char *line, struct pl_lock_line *out);

#endif /* PL_PROCFS_H */
