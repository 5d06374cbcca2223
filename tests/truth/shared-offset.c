/* shared-offset.c - a forked child shares its parent's open file
 * descriptions: the file offset and the status flags.
 *
 * Usage: shared-offset FILE
 *
 * The parent opens FILE (it must not exist) and forks. The child writes
 * 42 bytes and sets O_APPEND with fcntl(F_SETFL), and exits. The parent,
 * which wrote nothing, reads the offset and flags of its own descriptor:
 *
 *     offset 42 append yes
 *
 * fork(2): the child's descriptors "refer to the same open file
 * descriptions"; open(2): an open file description holds the offset and
 * the status flags. Used by tests/truth.sh (lesson 16's correction).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	char data[42];
	int fd, status;

	if (argc != 2) {
		fprintf(stderr, "Usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1) {
		perror(argv[1]);
		return 2;
	}
	memset(data, 'x', sizeof data);
	switch (fork()) {
	case -1:
		perror("fork");
		return 2;
	case 0: /* Child: moves the shared offset and changes the shared flags. */
		if (write(fd, data, sizeof data) != (ssize_t)sizeof data ||
		    fcntl(fd, F_SETFL, O_APPEND) == -1)
			_exit(1);
		_exit(0);
	default:
		break;
	}
	if (wait(&status) == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "the child failed\n");
		return 2;
	}
	printf("offset %ld append %s\n", (long)lseek(fd, 0, SEEK_CUR),
	       fcntl(fd, F_GETFL) & O_APPEND ? "yes" : "no");
	return 0;
}
