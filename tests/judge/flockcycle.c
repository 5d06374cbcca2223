/* flockcycle.c - two processes each hold one file lock (flock) and wait
 * for the other's: a deadlock that /proc/locks shows. Unlike fcntl locks,
 * flock(2) has no deadlock detection: both sleep for ever. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

/* Lock NAME (in TMPDIR), tell the other through TELL, wait on HEAR for
 * its own lock, then want the other's file, OTHER. */
static void
lock_then_want(const char *name, const char *other, int tell, int hear)
{
	char path[512], path2[512], byte = 'x';
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int fd, fd2;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	snprintf(path2, sizeof(path2), "%s/%s", tmp, other);
	if ((fd = open(path, O_RDWR | O_CREAT, 0600)) == -1 || flock(fd, LOCK_EX) == -1)
		_exit(1);
	if (write(tell, &byte, 1) != 1 || read(hear, &byte, 1) != 1)
		_exit(1);
	if ((fd2 = open(path2, O_RDWR | O_CREAT, 0600)) == -1 || flock(fd2, LOCK_EX) == -1)
		_exit(1);
	_exit(0); /* never reached while the other holds it */
}

int
main(void)
{
	int to_child[2], to_parent[2];

	if (pipe(to_child) == -1 || pipe(to_parent) == -1)
		return 1;
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		lock_then_want("b", "a", to_parent[1], to_child[0]);
	default:
		lock_then_want("a", "b", to_child[1], to_parent[0]);
	}
	return 0;
}
