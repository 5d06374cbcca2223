/*
 * queue.c - a POSIX message queue carries whole messages: each
 * mq_receive() returns one message, as it was sent. mq_send() blocks while
 * the queue is full, mq_receive() while it is empty.
 *
 * Build and run:  cc queue.c -o queue && ./queue 20    (add -lrt before glibc 2.34)
 * The child sends COUNT numbered messages through a queue that holds 4;
 * the parent receives them and says how many came, in order.
 * See lessons/08-queue.md; proclab-queue is the demo.
 */
#include <err.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	int count = argc == 2 ? atoi(argv[1]) : 0, in_order = 0;
	char name[64], buf[16];
	ssize_t n;
	mqd_t q;

	if (argc != 2 || count < 1) {
		fprintf(stderr, "usage: queue COUNT\n");
		return 2;
	}
	/* A name with our PID; a real program adds digits nobody can guess. */
	snprintf(name, sizeof name, "/queue-example-%ld", (long)getpid());
	/* lesson: open */
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	if (q == (mqd_t)-1)
		err(EXIT_FAILURE, "mq_open %s", name);
	if (mq_unlink(name) == -1) /* the name goes; open queues stay */
		err(EXIT_FAILURE, "mq_unlink");
	/* end */

	switch (fork()) {
	case -1:
		err(EXIT_FAILURE, "fork");
	case 0: /* child: the producer */
		for (int i = 0; i < count; i++) {
			int len = snprintf(buf, sizeof buf, "%d", i);
			if (mq_send(q, buf, len + 1, 0) == -1) /* blocks while the queue is full */
				err(EXIT_FAILURE, "mq_send");
		}
		_exit(EXIT_SUCCESS);
	default: /* parent: the consumer */
		for (int i = 0; i < count; i++) {
			/* blocks while the queue is empty; n is one message's length */
			if ((n = mq_receive(q, buf, sizeof buf, NULL)) == -1)
				err(EXIT_FAILURE, "mq_receive");
			in_order += atoi(buf) == i;
		}
		if (wait(NULL) == -1)
			err(EXIT_FAILURE, "wait");
	}
	printf("received %d messages, %d in order\n", count, in_order);
	return EXIT_SUCCESS;
}
