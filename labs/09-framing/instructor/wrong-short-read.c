/* wrong-short-read.c - lab 9, wrong: the frames are right, but the
 * receiver reads a length, then the message, with one read() each. A
 * message longer than what the pipe holds at that moment (and every one
 * over 64 KiB, the pipe's capacity) comes back short; the rest of it is
 * then read as the next length. Expected verdict: exit and stdout fail. */
#define _DEFAULT_SOURCE /* setitimer, besides POSIX, under -std=c11 */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MESSAGE 150000 /* bytes: more than a pipe holds (64 KiB) */

static unsigned char message[MAX_MESSAGE], expected[MAX_MESSAGE];
static unsigned char frame[4 + MAX_MESSAGE];
static volatile sig_atomic_t ticks;

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(EXIT_FAILURE);
}

/* Message I, the same in every run: its bytes into BUF, and its length.
 * A quarter of the messages have 1 to 100 bytes, a quarter up to
 * PIPE_BUF (4096), a quarter up to 64 KiB, a quarter more than that. */
static size_t
make_message(int i, unsigned char *buf)
{
	static const size_t low[4] = { 1, 101, 4097, 65537 };
	static const size_t span[4] = { 100, 3996, 61440, MAX_MESSAGE - 65536 };
	uint32_t x = (uint32_t)i * 2654435761u + 1;
	size_t len;

	x = x * 1103515245u + 12345u;
	len = low[i % 4] + x % span[i % 4];
	for (size_t j = 0; j < len; j++) {
		x = x * 1103515245u + 12345u;
		buf[j] = (unsigned char)(x >> 16);
	}
	return len;
}

/* FNV-1a, 32 bits: two messages that differ almost surely differ here. */
static uint32_t
checksum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

static void
on_tick(int sig)
{
	(void)sig;
	ticks++;
}

/* The sender's clock: a SIGALRM every millisecond, as a program with a
 * progress meter or a watchdog has. With SA_RESTART, a write() the
 * signal cuts before it wrote anything starts again by itself; one that
 * had written some bytes returns that count (signal(7)). */
static void
start_ticker(void)
{
	struct sigaction sa = { 0 };
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };

	sa.sa_handler = on_tick;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) == -1 || setitimer(ITIMER_REAL, &every_ms, NULL) == -1)
		die("start_ticker");
}

/* Write all N bytes of BUF. write() may write fewer: a signal came while
 * it waited for room in the pipe. The rest must follow. */
static int
write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t done = write(fd, p, n);
		if (done == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += done;
		n -= (size_t)done;
	}
	return 0;
}

/* The sender: K messages, each as one frame, its length first. */
static _Noreturn void
send_messages(int fd, int k)
{
	start_ticker();
	for (int i = 0; i < k; i++) {
		uint32_t len = (uint32_t)make_message(i, frame + 4);

		memcpy(frame, &len, 4);
		if (write_all(fd, frame, 4 + len) == -1)
			die("write");
	}
	_exit(EXIT_SUCCESS);
}

int
main(int argc, char *argv[])
{
	int k, fd[2], status, intact = 0, torn = 0;
	long bytes = 0;
	pid_t sender;

	if (argc != 2 || (k = atoi(argv[1])) < 1 || k > 100000) {
		fprintf(stderr, "Usage: %s MESSAGES   (1 to 100000)\n", argv[0]);
		exit(2);
	}
	setbuf(stdout, NULL);
	if (pipe(fd) == -1)
		die("pipe");
	switch (sender = fork()) {
	case -1:
		die("fork");
	case 0:
		close(fd[0]);
		send_messages(fd[1], k);
	default:
		break;
	}
	close(fd[1]);

	/* The receiver: a length, then that many bytes, until end of file. */
	for (;;) {
		uint32_t len;
		ssize_t got = read(fd[0], &len, sizeof(len));

		if (got == -1)
			die("read");
		if (got == 0)
			break; /* the end, between two frames */
		if (got < (ssize_t)sizeof(len) || len > MAX_MESSAGE) {
			fprintf(stderr, "%s: a frame out of step (length %lu)\n", argv[0],
			        got < (ssize_t)sizeof(len) ? 0ul : (unsigned long)len);
			torn++;
			break;
		}
		if ((got = read(fd[0], message, len)) == -1) /* the mistake: once */
			die("read");
		bytes += got;
		size_t want = make_message(intact + torn, expected);
		if ((size_t)got == want && checksum(message, want) == checksum(expected, want))
			intact++;
		else
			torn++;
	}
	/* Closed before the wait: a sender still writing gets SIGPIPE instead
	 * of waiting for room for ever. */
	close(fd[0]);
	if (waitpid(sender, &status, 0) == -1)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "%s: the sender did not exit 0 (wait status %#x)\n", argv[0],
		        status);
	printf("%d messages, %ld bytes: %d intact, %d torn\n", intact + torn, bytes, intact, torn);
	return intact == k && torn == 0 && status == 0 ? 0 : 1;
}
