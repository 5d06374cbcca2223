/* fault-shim.c - an LD_PRELOAD library for tests/ipcbench.sh: it
 * replaces connect(2), and the open and unlink calls of POSIX queues and
 * shared memory, so that a test can make a moment of ipcbench go wrong
 * that no test could time from outside.
 *
 * It acts only on ipcbench's names and listeners: a name or an AF_UNIX
 * path with "proclab-ipcbench-" in it, or an AF_INET address on the
 * loopback. FAULT_SHIM in the environment says what happens:
 *   receiver-dies   the caller is killed (SIGKILL) instead of
 *                   connecting: a receiver that dies before it connects;
 *   stranger-first  a child of the caller connects to the same address
 *                   first and exits, then the caller connects: the
 *                   sender's first connection to accept is someone
 *                   else's. With FAULT_SHIM_REPORT=FILE it also writes to
 *                   FILE the mode, in octal, of the directory that holds
 *                   a Unix socket's name.
 *   names-stay      the first shm_unlink(3) or mq_unlink(3) of each name
 *                   says it worked and does nothing; later ones are real.
 *                   With FAULT_SHIM_REPORT=FILE it appends a line to FILE
 *                   for each name kept ("kept NAME") and for each open
 *                   for reading that found a name ("probe NAME").
 * Anything else, or no FAULT_SHIM: each call does what the C library's
 * does (glibc's shm_open and mq_open are thin wrappers, written again
 * here on the system calls).
 *
 * Build: a libtool module (tests/local.mk), used only by the tests.
 */
/* No config.h here: the _GNU_SOURCE it defines makes glibc declare
 * connect() with a transparent union, not the pointer we define it with. */
#define _DEFAULT_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm/"   /* where glibc keeps POSIX shared memory */

int connect(int fd, const struct sockaddr *addr, socklen_t len);
int shm_open(const char *name, int oflag, mode_t mode);
int shm_unlink(const char *name);
mqd_t mq_open(const char *name, int oflag, ...);
int mq_unlink(const char *name);

static int
mode_is(const char *mode)
{
	const char *set = getenv("FAULT_SHIM");

	return set != NULL && strcmp(set, mode) == 0;
}

static int
real_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return (int)syscall(SYS_connect, fd, addr, len);
}

static int
is_ipcbench_listener(const struct sockaddr *addr, socklen_t len)
{
	if (addr->sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
		char path[sizeof(un->sun_path) + 1] = "";
		size_t n = len - offsetof(struct sockaddr_un, sun_path);

		memcpy(path, un->sun_path, n < sizeof(un->sun_path) ? n : sizeof(un->sun_path));
		return strstr(path, "/proclab-ipcbench-") != NULL;
	}
	if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;

		return in->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	}
	return 0;
}

/* Write the mode of the directory of the Unix socket ADDR to FILE. */
static void
report_directory_mode(const struct sockaddr *addr, const char *file)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
	char dir[sizeof(un->sun_path) + 1] = "", *slash;
	struct stat st;
	FILE *f;

	memcpy(dir, un->sun_path, sizeof(un->sun_path));
	if ((slash = strrchr(dir, '/')) == NULL)
		return;
	*slash = '\0';
	if (stat(dir, &st) == -1 || (f = fopen(file, "w")) == NULL)
		return;
	fprintf(f, "%o\n", (unsigned)(st.st_mode & 07777));
	fclose(f);
}

/* A child that connects to ADDR and exits at once: its connection waits
 * in the listener's queue, ahead of the caller's. */
static void
stranger_connects_first(const struct sockaddr *addr, socklen_t len)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int fd = socket(addr->sa_family, SOCK_STREAM, 0);

		_exit(fd != -1 && real_connect(fd, addr, len) == 0 ? 0 : 1);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
}

int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (addr != NULL && is_ipcbench_listener(addr, len)) {
		if (mode_is("receiver-dies"))
			raise(SIGKILL);
		if (mode_is("stranger-first")) {
			const char *report = getenv("FAULT_SHIM_REPORT");

			if (report != NULL && addr->sa_family == AF_UNIX)
				report_directory_mode(addr, report);
			stranger_connects_first(addr, len);
		}
	}
	return real_connect(fd, addr, len);
}

/* ------------------------------------------------------------------ */
/* names-stay                                                           */

static int
is_ipcbench_name(const char *name)
{
	return strstr(name, "proclab-ipcbench-") != NULL;
}

/* Append "WHAT NAME" to FAULT_SHIM_REPORT, if set. */
static void
note(const char *what, const char *name)
{
	const char *report = getenv("FAULT_SHIM_REPORT");
	char line[PATH_MAX];
	int fd, n;

	if (report == NULL || (fd = open(report, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", what, name);
	if (n > 0 && (size_t)n < sizeof(line))
		while (write(fd, line, (size_t)n) == -1 && errno == EINTR)
			;
	close(fd);
}

/* Does names-stay keep NAME this time? Only the first time it is asked. */
static int
keep_this_time(const char *name)
{
	static char kept[16][NAME_MAX + 1];
	static int nkept;

	if (!mode_is("names-stay") || !is_ipcbench_name(name))
		return 0;
	for (int i = 0; i < nkept; i++)
		if (strcmp(kept[i], name) == 0)
			return 0;
	if (nkept == 16 || strlen(name) > NAME_MAX)
		return 0;
	strcpy(kept[nkept++], name);
	note("kept", name);
	return 1;
}

static void
note_probe(const char *name, int oflag, int found)
{
	if (found && (oflag & O_ACCMODE) == O_RDONLY && !(oflag & O_CREAT) &&
	    mode_is("names-stay") && is_ipcbench_name(name))
		note("probe", name);
}

/* glibc: "/name" is the file SHM_DIR "name", opened O_NOFOLLOW|O_CLOEXEC. */
static int
shm_path(const char *name, char *path, size_t size)
{
	while (*name == '/')
		name++;
	if (*name == '\0' || strchr(name, '/') != NULL ||
	    (size_t)snprintf(path, size, "%s%s", SHM_DIR, name) >= size) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
shm_open(const char *name, int oflag, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	if (shm_path(name, path, sizeof(path)) == -1)
		return -1;
	fd = open(path, oflag | O_NOFOLLOW | O_CLOEXEC, mode);
	note_probe(name, oflag, fd != -1);
	return fd;
}

int
shm_unlink(const char *name)
{
	char path[PATH_MAX];

	if (keep_this_time(name))
		return 0;
	if (shm_path(name, path, sizeof(path)) == -1)
		return -1;
	return unlink(path);
}

/* glibc: the system call takes the name without its leading slash. */
mqd_t
mq_open(const char *name, int oflag, ...)
{
	struct mq_attr *attr = NULL;
	mode_t mode = 0;
	mqd_t q;

	if (name[0] != '/') {
		errno = EINVAL;
		return (mqd_t)-1;
	}
	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	q = (mqd_t)syscall(SYS_mq_open, name + 1, oflag, mode, attr);
	note_probe(name, oflag, q != (mqd_t)-1);
	return q;
}

int
mq_unlink(const char *name)
{
	if (keep_this_time(name))
		return 0;
	if (name[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	return (int)syscall(SYS_mq_unlink, name + 1);
}
