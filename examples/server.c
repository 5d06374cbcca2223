/*
 * server.c - a server process owns a value; other processes reach it only
 * through a proxy, a function that sends a request and reads the reply.
 * One process applies every change in turn, so no lock is needed and no
 * update is lost, however many clients there are.
 *
 * Build and run:  cc server.c -o server && ./server 4 1000
 * CLIENTS children each add 1 to the server's total ADDS times, each over
 * a socketpair of its own; the server answers them all with poll().
 * See lessons/10-server.md; proclab-server is the demo.
 */
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* lesson: proxy */
static long
proxy_add(int server, long n)
{
	long total;

	if (write(server, &n, sizeof n) != sizeof n) /* the request */
		err(EXIT_FAILURE, "write");
	if (read(server, &total, sizeof total) != sizeof total) /* the reply */
		err(EXIT_FAILURE, "read");
	return total;
}
/* end */

int
main(int argc, char *argv[])
{
	int clients = argc == 3 ? atoi(argv[1]) : 0, adds = argc == 3 ? atoi(argv[2]) : 0;
	struct pollfd conn[64];
	long total = 0, n;
	int open_conns, sv[2];

	if (argc != 3 || clients < 1 || clients > 64 || adds < 1) {
		fprintf(stderr, "usage: server CLIENTS ADDS    (1 to 64 clients)\n");
		return 2;
	}
	for (int c = 0; c < clients; c++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
			err(EXIT_FAILURE, "socketpair");
		switch (fork()) {
		case -1:
			err(EXIT_FAILURE, "fork");
		case 0: /* client: only the proxy, never the total itself */
			if (close(sv[0]) == -1)
				err(EXIT_FAILURE, "close");
			for (int i = 0; i < adds; i++)
				proxy_add(sv[1], 1);
			_exit(EXIT_SUCCESS);
		}
		if (close(sv[1]) == -1) /* the server keeps its end */
			err(EXIT_FAILURE, "close");
		conn[c] = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	}
	for (open_conns = clients; open_conns > 0;) { /* the server's loop */
		if (poll(conn, clients, -1) == -1)
			err(EXIT_FAILURE, "poll");
		for (int c = 0; c < clients; c++) {
			if (conn[c].revents == 0)
				continue;
			if (read(conn[c].fd, &n, sizeof n) != sizeof n) { /* end of file: gone */
				if (close(conn[c].fd) == -1)
					err(EXIT_FAILURE, "close");
				conn[c].fd = -1; /* poll() skips it from now on */
				open_conns--;
				continue;
			}
			total += n;
			if (write(conn[c].fd, &total, sizeof total) != sizeof total)
				err(EXIT_FAILURE, "write");
		}
	}
	while (wait(NULL) > 0) /* reap every client */
		continue;
	printf("total %ld, expected %ld\n", total, (long)clients * adds);
	return EXIT_SUCCESS;
}
