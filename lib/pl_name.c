/* pl_name.c - names for shared objects that nobody can guess, and that
 * say who owns them. See pl_name.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pl_name.h"
#include "pl_procfs.h"

#define PREFIX "proclab-"
#define RANDOM_DIGITS 16
#define RANDOM_LIMIT 10000000000000000ULL /* 10^16: RANDOM_DIGITS digits */
#define TRIES 8                           /* new digits after an EEXIST */
/* The first PID namespace's inode, fixed in the kernel
 * (include/linux/proc_ns.h, PROC_PID_INIT_INO). */
#define FIRST_PID_NAMESPACE 0xEFFFFFFCUL

/* Random bytes for a name. At boot, before the kernel's generator has
 * been seeded, getrandom(2) with no flags would wait; a name need not wait
 * for that, so take what GRND_INSECURE gives (Linux 5.6), or wait after
 * all on kernels that do not know it. */
static int
random_bytes(void *buf, size_t len)
{
	ssize_t got = getrandom(buf, len, GRND_NONBLOCK);

#ifdef GRND_INSECURE
	if (got == -1 && errno == EAGAIN)
		got = getrandom(buf, len, GRND_INSECURE);
#endif
	/* Not seeded yet, and GRND_INSECURE unknown (EINVAL): wait. */
	if (got == -1 && (errno == EAGAIN || errno == EINVAL))
		do
			got = getrandom(buf, len, 0);
		while (got == -1 && errno == EINTR);
	if (got == -1)
		return -1;
	if ((size_t)got != len) { /* only a signal can cut short 8 bytes */
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Our PID namespace's inode, or 0 for the first namespace (and where
 * /proc cannot say, as on kernels before 3.8). */
static unsigned long
pid_namespace(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) == -1 || st.st_ino == FIRST_PID_NAMESPACE)
		return 0;
	return (unsigned long)st.st_ino;
}

int
pl_name_make(const char *what, char *buf, size_t size)
{
	unsigned long long start, random;
	unsigned long ns = pid_namespace();
	char tag[24] = "";
	int n;

	if (pl_procfs_start(getpid(), &start) != 0 || random_bytes(&random, sizeof(random)) == -1)
		return -1;
	if (ns != 0)
		snprintf(tag, sizeof(tag), "-n%lu", ns);
	n = snprintf(buf, size, "/" PREFIX "%s-%ld-%llu-%0*llu%s", what, (long)getpid(), start,
	             RANDOM_DIGITS, random % RANDOM_LIMIT, tag);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Read a number of digits only (no sign, no blank) ending at '-' or '\0';
 * *END points past it. */
static bool
digits(const char *s, unsigned long long *value, const char **end)
{
	const char *p = s;

	*value = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*value > (~0ULL - 9) / 10)
			return false;
		*value = *value * 10 + (unsigned long long)(*p - '0');
	}
	*end = p;
	return p > s && (*p == '-' || *p == '\0');
}

int
pl_name_owner(const char *name, const char *what, pid_t *pid, unsigned long long *start)
{
	const char *base = strrchr(name, '/'), *p, *random_at;
	unsigned long long owner, when, random, ns = 0;
	size_t what_len = strlen(what);

	base = base != NULL ? base + 1 : name;
	if (strncmp(base, PREFIX, strlen(PREFIX)) != 0)
		goto invalid;
	p = base + strlen(PREFIX);
	if (strncmp(p, what, what_len) != 0 || p[what_len] != '-')
		goto invalid;
	p += what_len + 1;
	if (!digits(p, &owner, &p) || *p++ != '-' || !digits(p, &when, &p) || *p++ != '-')
		goto invalid;
	random_at = p;
	if (!digits(p, &random, &p) || p - random_at != RANDOM_DIGITS)
		goto invalid;
	if (*p == '-' && (p[1] != 'n' || !digits(p + 2, &ns, &p) || *p != '\0'))
		goto invalid;
	/* The PID must fit, and belong to our namespace. */
	if (owner == 0 || owner > 0x7fffffffULL || ns != pid_namespace())
		goto invalid;
	*pid = (pid_t)owner;
	*start = when;
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

int
pl_name_shm_create(const char *what, char *name, size_t size)
{
	for (int tries = 0; tries < TRIES; tries++) {
		int fd, saved;

		if (pl_name_make(what, name, size) == -1)
			return -1;
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno == EEXIST)
			continue;
		if (fd == -1)
			return -1;
		/* The umask may have taken bits away: 0600 exactly. */
		if (fchmod(fd, 0600) == -1) {
			saved = errno;
			close(fd);
			shm_unlink(name);
			errno = saved;
			return -1;
		}
		return fd;
	}
	errno = EEXIST;
	return -1;
}

mqd_t
pl_name_mq_create(const char *what, char *name, size_t size, int flags, struct mq_attr *attr)
{
#ifdef HAVE_MQ_OPEN
	for (int tries = 0; tries < TRIES; tries++) {
		mqd_t mq;

		if (pl_name_make(what, name, size) == -1)
			return (mqd_t)-1;
		mq = mq_open(name, flags | O_CREAT | O_EXCL, 0600, attr);
		if (mq != (mqd_t)-1 || errno != EEXIST)
			return mq;
	}
	errno = EEXIST;
#else
	(void)what, (void)name, (void)size, (void)flags, (void)attr;
	errno = ENOSYS;
#endif
	return (mqd_t)-1;
}

int
pl_name_dir_create(const char *what, char *path, size_t size)
{
	const char *tmpdir = getenv("TMPDIR");
	char name[PL_NAME_MAX];

	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	for (int tries = 0; tries < TRIES; tries++) {
		int n;

		if (pl_name_make(what, name, sizeof(name)) == -1)
			return -1;
		n = snprintf(path, size, "%s%s", tmpdir, name);
		if (n < 0 || (size_t)n >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		/* mkdir never follows a link or reuses what is there. */
		if (mkdir(path, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Does /proc show the PIDs of our own PID namespace? Not where it was
 * mounted from another one (unshare --pid without --mount-proc, or a
 * container given the host's /proc): there /proc/N is not our process
 * N, and /proc/self names us by another number. */
static bool
proc_shows_our_pids(void)
{
	char link[32];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return strtol(link, NULL, 10) == (long)getpid();
}

/* Remove the directory NAME in PARENT (a descriptor) with all it holds,
 * never following a link: a link inside is removed, not what it points
 * to, and NAME itself is opened with O_NOFOLLOW. DEPTH bounds how far
 * down it goes. Returns 0, or -1 with errno. */
static int
remove_tree(int parent, const char *name, int depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* unlink(2) of a directory fails with EISDIR on Linux. */
		if (unlinkat(dirfd(d), e->d_name, 0) == -1 && errno == EISDIR && depth > 0)
			remove_tree(dirfd(d), e->d_name, depth - 1);
	}
	closedir(d);
	return unlinkat(parent, name, AT_REMOVEDIR);
}

#define TREE_DEPTH 8 /* a private directory holds files, not a deep tree */

/* The sweep of both kinds: regular files (TYPE S_IFREG) or directories
 * with what they hold (S_IFDIR). */
static int
clean_stale(const char *dir, const char *what, mode_t type)
{
	struct dirent *e;
	int removed = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -1;
	/* Only names of our PID namespace (pl_name_owner() says so), and
	 * only with a /proc that can tell whether their owners live: a /proc
	 * of another namespace would show other processes at their PIDs, and
	 * the names of live owners would go. */
	if (!proc_shows_our_pids()) {
		closedir(d);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		unsigned long long start;
		struct stat st;
		pid_t pid;

		if (pl_name_owner(e->d_name, what, &pid, &start) == -1)
			continue;
		/* Only our own, of the kind asked for (a link is neither), and
		 * only when their owner is surely gone: if /proc cannot tell
		 * (-1), the name stays. */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    st.st_uid != geteuid() || (st.st_mode & S_IFMT) != type)
			continue;
		if (pl_procfs_same_process(pid, start) != 0)
			continue;
		if ((type == S_IFDIR ? remove_tree(dirfd(d), e->d_name, TREE_DEPTH)
		                     : unlinkat(dirfd(d), e->d_name, 0)) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int
pl_name_clean_stale(const char *dir, const char *what)
{
	return clean_stale(dir, what, S_IFREG);
}

int
pl_name_clean_stale_dirs(const char *dir, const char *what)
{
	return clean_stale(dir, what, S_IFDIR);
}
