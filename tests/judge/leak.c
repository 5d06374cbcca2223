/* leak.c - leaves a shared memory object, a queue and a temp file. */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int
main(void)
{
	char name[64], path[512];

	snprintf(name, sizeof(name), "/judge-test-%ld", (long)getpid());
	if (shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600) == -1)
		return 1;
	if (mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL) == (mqd_t)-1)
		return 1;
	snprintf(path, sizeof(path), "%s/left-behind", getenv("TMPDIR"));
	if (fopen(path, "w") == NULL)
		return 1;
	return 0;
}
