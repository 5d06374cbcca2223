/* pl_name.h - names for shared objects that nobody can guess, and that
 * say who owns them.
 *
 * A POSIX shared memory object, a message queue or a file in /tmp is found
 * by a name that any process may use. O_CREAT | O_EXCL and mode 0600 stop
 * another user from taking over our object, but not from creating the
 * name first: if it can be guessed (our PID is easy to guess), our own
 * O_EXCL create then fails with EEXIST, and the demo cannot run. That is a
 * denial of service. So every name made here reads
 *
 *     /proclab-WHAT-PID-START-RANDOM
 *
 *   - WHAT says what it is for: "board", "shm", "queue"...
 *   - PID and START, when that process started (field 22 of
 *     /proc/PID/stat, clock ticks after boot), name the process that made
 *     it and owns it. A PID is given to another process once its own is
 *     reaped; a PID and a start time are not. So a later run can tell a
 *     name whose owner is gone, left behind by a SIGKILL, and remove it
 *     (pl_name_clean_stale), without ever touching a live one.
 *   - RANDOM, 16 decimal digits from getrandom(2) (53 bits), is what
 *     nobody can guess. When a name is taken all the same, the creators
 *     below try new digits.
 * All digits, so that the lessons' excerpts, in which any number reads as
 * N, match every run.
 *
 * A process in a PID namespace of its own (a container) may share
 * /dev/shm with the host, where its PIDs mean other processes. Its names
 * end in "-nINODE", its namespace's inode, and a sweep looks only at names
 * from its own namespace.
 */
#ifndef PL_NAME_H
#define PL_NAME_H

#include <mqueue.h>
#include <stddef.h>
#include <sys/types.h>

/* Room for any name made here, with its NUL. */
#define PL_NAME_MAX 96

/* Make a new name of WHAT for this process, "/proclab-WHAT-PID-START-RANDOM",
 * in BUF. Returns 0, or -1 with errno (ENAMETOOLONG when SIZE is too small). */
int pl_name_make(const char *what, char *buf, size_t size);

/* Who made NAME (with or without its leading '/', or a path ending in
 * it), if it is a name of WHAT made by pl_name_make in our PID namespace.
 * Returns 0 with *PID and *START, or -1 with errno EINVAL. */
int pl_name_owner(const char *name, const char *what, pid_t *pid, unsigned long long *start);

/* A new POSIX shared memory object under a new name of WHAT (put in NAME):
 * O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC and mode 0600, whatever the umask.
 * Returns its descriptor, or -1 with errno. */
int pl_name_shm_create(const char *what, char *name, size_t size);

/* A new POSIX message queue under a new name of WHAT (put in NAME), opened
 * with FLAGS (O_RDWR, O_NONBLOCK...) and O_CREAT | O_EXCL, mode 0600.
 * Returns it, or (mqd_t)-1 with errno (ENOSYS where there are none). */
mqd_t pl_name_mq_create(const char *what, char *name, size_t size, int flags,
                        struct mq_attr *attr);

/* A new private directory, mode 0700, in $TMPDIR (or /tmp if it is unset
 * or empty), named after WHAT as above: its path goes in PATH. Like
 * mkdtemp(3), with the owner in the name. Returns 0, or -1 with errno
 * (ENAMETOOLONG when the path does not fit in SIZE). */
int pl_name_dir_create(const char *what, char *path, size_t size);

/* Remove from DIR ("/dev/shm", "/dev/mqueue", or a test's own directory)
 * every name of WHAT that is a file of this user, was made in our PID
 * namespace, and whose owner is gone. Names of other namespaces stay,
 * whose owners we cannot see; so does everything where /proc is another
 * namespace's (then it cannot tell). Returns how many were removed, or -1
 * with errno. */
int pl_name_clean_stale(const char *dir, const char *what);

/* The same for the directories of WHAT that pl_name_dir_create() made in
 * DIR: a stale one goes with everything in it (a link inside is removed,
 * not followed). Returns how many directories were removed, or -1 with
 * errno. */
int pl_name_clean_stale_dirs(const char *dir, const char *what);

#endif /* PL_NAME_H */
