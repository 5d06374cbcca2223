/* fault-shim.c - an LD_PRELOAD library for tests/ipcbench.sh: it
 * replaces connect(2) so that a test can make the moment a receiver
 * connects go wrong, which no test could time from outside.
 *
 * It acts only on a connection to one of ipcbench's listeners: an AF_UNIX
 * path with "/proclab-ipcbench-" in it, or an AF_INET address on the
 * loopback. FAULT_SHIM in the environment says what happens:
 *   receiver-dies   the caller is killed (SIGKILL) instead of
 *                   connecting: a receiver that dies before it connects;
 *   stranger-first  a child of the caller connects to the same address
 *                   first and exits, then the caller connects: the
 *                   sender's first connection to accept is someone
 *                   else's. With FAULT_SHIM_REPORT=FILE it also writes to
 *                   FILE the mode, in octal, of the directory that holds
 *                   a Unix socket's name.
 * Anything else, or no FAULT_SHIM: connect(2) as usual.
 *
 * Build: a libtool module (tests/local.mk), used only by the tests.
 */
/* No config.h here: the _GNU_SOURCE it defines makes glibc declare
 * connect() with a transparent union, not the pointer we define it with. */
#define _DEFAULT_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
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

int connect(int fd, const struct sockaddr *addr, socklen_t len);

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
	const char *mode = getenv("FAULT_SHIM");

	if (mode != NULL && addr != NULL && is_ipcbench_listener(addr, len)) {
		if (strcmp(mode, "receiver-dies") == 0)
			raise(SIGKILL);
		if (strcmp(mode, "stranger-first") == 0) {
			const char *report = getenv("FAULT_SHIM_REPORT");

			if (report != NULL && addr->sa_family == AF_UNIX)
				report_directory_mode(addr, report);
			stranger_connects_first(addr, len);
		}
	}
	return real_connect(fd, addr, len);
}
