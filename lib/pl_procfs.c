/* pl_procfs.c - what the kernel says about one process, from /proc/PID,
 * and about file locks, from /proc/locks.
 *
 * Field numbers follow proc(5), "/proc/pid/stat".
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "pl_measure.h"
#include "pl_procfs.h"

/* Read a small /proc file whole. Returns bytes read, or -1 with errno;
 * ENOENT and ESRCH mean the process is gone. */
static ssize_t
read_small_file(const char *path, char *buf, size_t size)
{
	int fd;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	do
		n = read(fd, buf, size - 1);
	while (n == -1 && errno == EINTR);
	int saved = errno;
	close(fd);
	errno = saved;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int
is_gone(int err)
{
	return err == ENOENT || err == ESRCH;
}

/* The state letters of fs/proc/array.c, task_state_array, past and
 * present. Each has a name in pl_procfs_state_name(). */
#define STATE_LETTERS "RSDTtZXxIKWP"

/* The fields of a stat line are numbers, one blank apart. Each of these
 * reads the next one at *P, steps *P past it and returns 0; or returns -1
 * when there is none, when it does not end at a blank or the end of the
 * line, or when it is out of [MIN, MAX]. strtoll() rather than sscanf():
 * sscanf("%d") on a number that does not fit is undefined behaviour, and
 * a stat line is text we must take as it comes (a fuzzer found a 20-digit
 * PID turned into a negative one). */
static bool
ends_field(char c)
{
	return c == ' ' || c == '\n' || c == '\0';
}

static int
stat_signed(const char **p, long long min, long long max, long long *out)
{
	const char *s = *p + strspn(*p, " ");
	char *end;
	long long value;

	if (!isdigit((unsigned char)(*s == '-' ? s[1] : *s)))
		return -1;
	errno = 0;
	value = strtoll(s, &end, 10);
	if (errno != 0 || value < min || value > max || !ends_field(*end))
		return -1;
	*out = value;
	*p = end;
	return 0;
}

static int
stat_unsigned(const char **p, unsigned long long *out)
{
	const char *s = *p + strspn(*p, " ");
	char *end;
	unsigned long long value;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	value = strtoull(s, &end, 10);
	if (errno != 0 || !ends_field(*end))
		return -1;
	*out = value;
	*p = end;
	return 0;
}

/* A field we do not keep: it must still be a number, or the count of the
 * fields after it would be wrong. */
static int
stat_skip(const char **p, int fields)
{
	for (int i = 0; i < fields; i++) {
		const char *s = *p + strspn(*p, " ");

		s += *s == '-';
		if (!isdigit((unsigned char)*s))
			return -1;
		s += strspn(s, "0123456789");
		if (!ends_field(*s))
			return -1;
		*p = s;
	}
	return 0;
}

int
pl_procfs_parse_stat(const char *text, struct pl_proc *out)
{
	const char *open_paren, *close_paren, *p;
	size_t comm_len;
	long long pid, ppid, pgid, sid, threads, rss, processor;
	unsigned long long utime, stime, start;
	long long priority, nice, rt_priority, policy;

	memset(out, 0, sizeof(*out));
	/* Field 1 is the pid, field 2 the command in parentheses. The command
	 * may itself hold ") (", so it ends at the LAST ')'. */
	open_paren = strchr(text, '(');
	close_paren = strrchr(text, ')');
	if (open_paren == NULL || close_paren == NULL || close_paren < open_paren)
		goto invalid;
	p = text;
	if (stat_signed(&p, 1, INT_MAX, &pid) == -1 || p + strspn(p, " ") != open_paren)
		goto invalid;
	comm_len = (size_t)(close_paren - open_paren - 1);
	if (comm_len >= sizeof(out->comm))
		comm_len = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, comm_len);
	out->comm[comm_len] = '\0';

	/* Field 3, the state: one letter, after ") ". */
	p = close_paren + 1 + strspn(close_paren + 1, " ");
	if (*p == '\0' || strchr(STATE_LETTERS, *p) == NULL || p[1] != ' ')
		goto invalid;
	out->state = *p++;

	/* Fields 4 to 24, in order. */
	if (stat_signed(&p, INT_MIN, INT_MAX, &ppid) == -1 || /* 4 ppid */
	    stat_signed(&p, INT_MIN, INT_MAX, &pgid) == -1 || /* 5 pgrp */
	    stat_signed(&p, INT_MIN, INT_MAX, &sid) == -1 ||  /* 6 session */
	    stat_skip(&p, 7) == -1 ||          /* 7 tty_nr, 8 tpgid, 9 flags, 10-13 faults */
	    stat_unsigned(&p, &utime) == -1 || /* 14 utime */
	    stat_unsigned(&p, &stime) == -1 || /* 15 stime */
	    stat_skip(&p, 2) == -1 ||          /* 16 cutime, 17 cstime */
	    stat_signed(&p, LONG_MIN, LONG_MAX, &priority) == -1 || /* 18 priority */
	    stat_signed(&p, LONG_MIN, LONG_MAX, &nice) == -1 ||     /* 19 nice */
	    stat_signed(&p, LONG_MIN, LONG_MAX, &threads) == -1 || /* 20 num_threads */
	    stat_skip(&p, 1) == -1 ||                              /* 21 itrealvalue */
	    stat_unsigned(&p, &start) == -1 ||                     /* 22 starttime */
	    stat_skip(&p, 1) == -1 ||                              /* 23 vsize */
	    stat_signed(&p, LONG_MIN, LONG_MAX, &rss) == -1)       /* 24 rss */
		goto invalid;
	out->pid = (pid_t)pid;
	out->ppid = (pid_t)ppid;
	out->pgid = (pid_t)pgid;
	out->sid = (pid_t)sid;
	out->utime = utime;
	out->stime = stime;
	out->priority = (long)priority;
	out->nice = (long)nice;
	out->threads = (long)threads;
	out->start = start;
	out->rss_pages = (long)rss;

	/* Fields 39 to 41, counted on from field 24: a short line (an old
	 * kernel, a test) may lack them. */
	out->processor = -1;
	out->rt_priority = 0;
	out->policy = -1;
	for (int field = 24; field < 38 && *p == ' '; field++)
		if (stat_skip(&p, 1) == -1)
			return 0;
	if (stat_signed(&p, 0, INT_MAX, &processor) == -1) /* 39 processor */
		return 0;
	out->processor = (int)processor;
	if (stat_signed(&p, 0, INT_MAX, &rt_priority) == -1) /* 40 rt_priority */
		return 0;
	out->rt_priority = (int)rt_priority;
	if (stat_signed(&p, 0, INT_MAX, &policy) == 0) /* 41 policy */
		out->policy = (int)policy;
	return 0;

invalid:
	errno = EINVAL;
	return -1;
}

/* /proc/PID/stat alone: all that a scan of every process needs. */
static int
read_stat(pid_t pid, struct pl_proc *out)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (read_small_file(path, buf, sizeof(buf)) == -1)
		return is_gone(errno) ? PL_PROCFS_GONE : -1;
	return pl_procfs_parse_stat(buf, out);
}

int
pl_procfs_start(pid_t pid, unsigned long long *start)
{
	struct pl_proc p;
	int rc = read_stat(pid, &p);

	if (rc == 0)
		*start = p.start;
	return rc;
}

int
pl_procfs_same_process(pid_t pid, unsigned long long start)
{
	struct pl_proc p;
	int rc;

	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	rc = read_stat(pid, &p);
	if (rc == PL_PROCFS_GONE)
		return 0;
	if (rc != 0)
		return -1;
	return p.start == start && p.state != 'Z' && p.state != 'X';
}

int
pl_procfs_read(pid_t pid, struct pl_proc *out)
{
	char path[64], buf[256];
	long ticks;
	int rc;

	rc = read_stat(pid, out);
	if (rc != 0)
		return rc;

	ticks = sysconf(_SC_CLK_TCK);
	if (ticks > 0) {
		out->user_seconds = (double)out->utime / (double)ticks;
		out->system_seconds = (double)out->stime / (double)ticks;
	}

	/* wchan: the kernel function a sleeping task waits in, or "0" while it
	 * runs. Since Linux 5.16 it is shown only for tasks that are blocked.
	 * It may be unreadable (other users' processes): then it stays "". */
	snprintf(path, sizeof(path), "/proc/%ld/wchan", (long)pid);
	if (read_small_file(path, buf, sizeof(buf)) > 0 && strcmp(buf, "0") != 0) {
		size_t n = strcspn(buf, "\n");
		if (n >= sizeof(out->wchan))
			n = sizeof(out->wchan) - 1;
		memcpy(out->wchan, buf, n);
		out->wchan[n] = '\0';
	}
	return 0;
}

/* A deadline DELAY_MS from now, and whether it has passed. */
static struct timespec
deadline_in(int delay_ms)
{
	return pl_measure_deadline(CLOCK_MONOTONIC, delay_ms * 1000000LL);
}

static int
passed(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* Poll PID every millisecond until its state letter is in STATES and, if
 * WCHAN is not NULL, it sleeps in a function whose name holds WCHAN. */
static int
wait_until(pid_t pid, const char *states, const char *wchan, int timeout_ms, struct pl_proc *out)
{
	struct timespec deadline = deadline_in(timeout_ms), tick = { 0, 1000000 };
	struct pl_proc scratch;
	int rc;

	if (out == NULL)
		out = &scratch;
	for (;;) {
		rc = pl_procfs_read(pid, out);
		if (rc != 0)
			return rc;
		if (strchr(states, out->state) != NULL &&
		    (wchan == NULL || strstr(out->wchan, wchan) != NULL))
			return 0;
		if (passed(&deadline)) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&tick, NULL);
	}
}

int
pl_procfs_wait_state(pid_t pid, const char *states, int timeout_ms, struct pl_proc *out)
{
	return wait_until(pid, states, NULL, timeout_ms, out);
}

const char *
pl_procfs_state_name(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk wait";
	case 'T': return "stopped";
	case 't': return "traced";
	case 'Z': return "zombie";
	case 'X': case 'x': return "dead";
	case 'I': return "idle";
	case 'P': return "parked";
	case 'W': return "waking";
	case 'K': return "wakekill";
	default: return "unknown";
	}
}

int
pl_procfs_children(pid_t ppid, pid_t *pids, size_t max)
{
	DIR *dir;
	struct dirent *entry;
	int count = 0;

	dir = opendir("/proc");
	if (dir == NULL)
		return -1;
	while ((entry = readdir(dir)) != NULL) {
		struct pl_proc proc;
		char *end;
		long pid;

		if (!isdigit((unsigned char)entry->d_name[0]))
			continue;
		pid = strtol(entry->d_name, &end, 10);
		if (*end != '\0')
			continue;
		/* A process that exits while we scan is simply not counted. */
		if (read_stat((pid_t)pid, &proc) != 0 || proc.ppid != ppid)
			continue;
		if ((size_t)count < max)
			pids[count] = (pid_t)pid;
		count++;
	}
	closedir(dir);
	return count;
}

int
pl_procfs_exe(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	n = readlink(path, buf, size - 1);
	if (n == -1)
		return is_gone(errno) ? PL_PROCFS_GONE : -1;
	buf[n] = '\0';
	return 0;
}

int
pl_procfs_wait_wchan(pid_t pid, const char *wchan, int timeout_ms, struct pl_proc *out)
{
	return wait_until(pid, "S", wchan, timeout_ms, out);
}

int
pl_procfs_wait_gone(pid_t pid, int timeout_ms)
{
	int rc = pl_procfs_wait_state(pid, "", timeout_ms, NULL);

	/* No state letter is in "": only the process leaving ends the wait. */
	return rc == PL_PROCFS_GONE ? 0 : -1;
}

int
pl_procfs_parse_field(const char *text, const char *key, char *buf, size_t size)
{
	size_t keylen = strlen(key);

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	for (const char *line = text; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > keylen && strncmp(line, key, keylen) == 0 && line[keylen] == ':') {
			const char *value = line + keylen + 1;
			size_t n;

			while (value < line + len && (*value == ' ' || *value == '\t'))
				value++;
			n = (size_t)(line + len - value);
			while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
				n--;
			if (n >= size)
				n = size - 1;
			memcpy(buf, value, n);
			buf[n] = '\0';
			return 0;
		}
		line += len + (end != NULL);
	}
	errno = ENOENT;
	return -1;
}

int
pl_procfs_field(pid_t pid, const char *file, const char *key, char *buf, size_t size)
{
	char path[96], text[4096];

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	if (read_small_file(path, text, sizeof(text)) == -1)
		return is_gone(errno) ? PL_PROCFS_GONE : -1;
	return pl_procfs_parse_field(text, key, buf, size);
}

/* VALUE, the text of a field, as a number in BASE. */
static int
field_number(const char *value, int base, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(value, &end, base);
	if (end == value || errno != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

#define ANON_PREFIX "anon_inode:"

/* What a descriptor's link says it is. Pipes and sockets read
 * "kind:[inode]" (proc(5)). Descriptors with no file of their own read
 * "anon_inode:NAME", NAME in brackets or not ("[eventfd]", "inotify"):
 * they all share one inode, so no number follows. A path is a file. */
static void
classify_fd(struct pl_fd *out)
{
	const char *name = out->target + strlen(ANON_PREFIX);
	size_t len;

	out->inode = 0;
	out->anon_name[0] = '\0';
	if (strncmp(out->target, ANON_PREFIX, strlen(ANON_PREFIX)) == 0) {
		snprintf(out->kind, sizeof(out->kind), "anon_inode");
		if (name[0] == '[')
			name++;
		len = strcspn(name, "]");
		if (len >= sizeof(out->anon_name))
			len = sizeof(out->anon_name) - 1;
		memcpy(out->anon_name, name, len);
		out->anon_name[len] = '\0';
		return;
	}
	if (sscanf(out->target, "%15[^:/]:[%lu]", out->kind, &out->inode) != 2) {
		snprintf(out->kind, sizeof(out->kind), "file");
		out->inode = 0;
	}
}

int
pl_procfs_parse_number(const char *text, const char *key, int base, unsigned long long *out)
{
	char value[64];

	if (pl_procfs_parse_field(text, key, value, sizeof(value)) == -1)
		return -1;
	return field_number(value, base, out);
}

int
pl_procfs_number(pid_t pid, const char *file, const char *key, int base,
                 unsigned long long *out)
{
	char value[64];
	int rc = pl_procfs_field(pid, file, key, value, sizeof(value));

	if (rc != 0)
		return rc;
	return field_number(value, base, out);
}

int
pl_procfs_fd(pid_t pid, int fd, struct pl_fd *out)
{
	char path[64], file[32];
	unsigned long long flags;
	ssize_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->fd = fd;
	out->access = -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
	n = readlink(path, out->target, sizeof(out->target) - 1);
	if (n == -1)
		return is_gone(errno) ? PL_PROCFS_GONE : -1;
	out->target[n] = '\0';
	classify_fd(out);
	snprintf(file, sizeof(file), "fdinfo/%d", fd);
	rc = pl_procfs_number(pid, file, "flags", 8, &flags);
	if (rc == 0)
		out->access = (int)(flags & O_ACCMODE);
	return rc == PL_PROCFS_GONE ? PL_PROCFS_GONE : 0;
}

static int
by_fd(const void *a, const void *b)
{
	const struct pl_fd *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

int
pl_procfs_fds(pid_t pid, struct pl_fd *fds, size_t max)
{
	char path[64];
	struct dirent *entry;
	DIR *dir;
	int count = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL) {
		if (is_gone(errno))
			errno = ESRCH;
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)entry->d_name[0]))
			continue;
		/* A descriptor closed while we look is simply not listed. */
		if ((size_t)count < max &&
		    pl_procfs_fd(pid, atoi(entry->d_name), &fds[count]) != 0)
			continue;
		count++;
	}
	closedir(dir);
	qsort(fds, (size_t)count < max ? (size_t)count : max, sizeof(fds[0]), by_fd);
	return count;
}

const char *
pl_procfs_access_name(int access)
{
	switch (access) {
	case O_RDONLY: return "read-only";
	case O_WRONLY: return "write-only";
	case O_RDWR: return "read-write";
	default: return "unknown";
	}
}

int
pl_procfs_count_maps(pid_t pid, const char *needle)
{
	char path[64], line[4096 + 256];
	FILE *maps;
	int count = 0;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	if ((maps = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), maps) != NULL)
		if (strstr(line, needle) != NULL)
			count++;
	fclose(maps);
	return count;
}

/* Copy the next blank-separated word of *P into WORD, and step past it.
 * Returns -1 when there is none, or when it does not fit. */
static int
next_word(const char **p, char *word, size_t size)
{
	const char *start = *p + strspn(*p, " \t");
	size_t len = strcspn(start, " \t\n");

	if (len == 0 || len >= size)
		return -1;
	memcpy(word, start, len);
	word[len] = '\0';
	*p = start + len;
	return 0;
}

/* The number in BASE at S; *END is set after it. strtoull() would also
 * skip blanks and take a sign ("-1" is ULLONG_MAX), so S must start with
 * a digit. Returns -1 when it does not, or on overflow. */
static int
read_unsigned(const char *s, int base, char **end, unsigned long long *out)
{
	if (!isxdigit((unsigned char)*s) || (base == 10 && !isdigit((unsigned char)*s)))
		return -1;
	errno = 0;
	*out = strtoull(s, end, base);
	return errno == 0 ? 0 : -1;
}

/* The same for a decimal that may be negative: the PID of an OFD lock. */
static int
read_signed(const char *s, char **end, long long *out)
{
	if (!isdigit((unsigned char)(*s == '-' ? s[1] : *s)))
		return -1;
	errno = 0;
	*out = strtoll(s, end, 10);
	return errno == 0 ? 0 : -1;
}

/* The format is in pl_procfs.h. The kernel prints it in fs/locks.c,
 * lock_get_status(): "%lld: ", the "->" prefix, then "%d %02x:%02x:%lu "
 * and "%Ld %Ld" or "%Ld EOF". */
int
pl_procfs_parse_lock(const char *line, struct pl_lock_line *out)
{
	unsigned long long id, major, minor;
	long long pid;
	const char *p, *blanks;
	char word[64], *end;

	memset(out, 0, sizeof(*out));
	/* "ID:", then for a blocked request DEPTH blanks and "->". */
	if (read_unsigned(line, 10, &end, &id) == -1 || *end != ':' || id > INT_MAX)
		goto invalid;
	blanks = end + 1;
	p = blanks + strspn(blanks, " ");
	if (strncmp(p, "->", 2) == 0) {
		out->waiting = true;
		out->depth = (int)(p - blanks);
		p += 2;
	}

	/* KIND, ADVISORY (not kept), ACCESS, PID. */
	if (next_word(&p, out->kind, sizeof(out->kind)) == -1 ||
	    next_word(&p, word, sizeof(word)) == -1 ||
	    next_word(&p, out->access, sizeof(out->access)) == -1 ||
	    next_word(&p, word, sizeof(word)) == -1 || read_signed(word, &end, &pid) == -1 ||
	    *end != '\0' || pid < INT_MIN || pid > INT_MAX)
		goto invalid;

	/* MAJOR:MINOR:INODE, or "<none>:0" for a lock that has no file. */
	if (next_word(&p, word, sizeof(word)) == -1)
		goto invalid;
	if (strcmp(word, "<none>:0") != 0) {
		if (read_unsigned(word, 16, &end, &major) == -1 || *end != ':' ||
		    major > UINT_MAX || read_unsigned(end + 1, 16, &end, &minor) == -1 ||
		    *end != ':' || minor > UINT_MAX ||
		    read_unsigned(end + 1, 10, &end, &out->inode) == -1 || *end != '\0')
			goto invalid;
		out->major = (unsigned)major;
		out->minor = (unsigned)minor;
	}

	/* START, then END or "EOF", and nothing after but the newline. */
	if (next_word(&p, word, sizeof(word)) == -1 || read_signed(word, &end, &out->start) == -1 ||
	    *end != '\0' || next_word(&p, word, sizeof(word)) == -1)
		goto invalid;
	/* The kernel's range is never negative, and its end is not before
	 * its start: checked, so that "0 -1" is not taken for "0 EOF" (a
	 * fuzzer found such lines accepted). */
	if (out->start < 0)
		goto invalid;
	if (strcmp(word, "EOF") == 0)
		out->end = -1;
	else if (read_signed(word, &end, &out->end) == -1 || *end != '\0' ||
	         out->end < out->start)
		goto invalid;
	if (p[strspn(p, " \t\n")] != '\0')
		goto invalid;

	out->id = (int)id;
	out->pid = (pid_t)pid;
	return 0;

invalid:
	errno = EINVAL;
	return -1;
}
