/* narrator.c - a program that names itself and narrates whatever it is
 * given, for the dashboard's tests of untrusted text.
 *
 * Usage: narrator NAME ROLE LINE [SECONDS]
 *
 * It takes NAME as its command name (prctl(PR_SET_NAME), which is what
 * /proc/PID/stat shows), puts ROLE and LINE on the dashboard's board byte
 * for byte, as a careless or hostile demo could (pl_board_set_role and
 * pl_board_narrate copy what they are given), and says LINE once more
 * through pl_note, as a demo would (on the board, and on its standard
 * output, which the dashboard does not show once the board is in use).
 * Then it waits until SIGALRM after SECONDS (default 20), or until it is
 * killed; with SECONDS 0 it ends at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "pl_board.h"
#include "pl_narrate.h"

int
main(int argc, char *argv[])
{
	unsigned seconds = argc > 4 ? (unsigned)atoi(argv[4]) : 20;

	if (argc < 4) {
		fprintf(stderr, "usage: narrator NAME ROLE LINE [SECONDS]\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, argv[1]) == -1)
		perror("prctl");
	pl_board_attach();
	pl_board_set_role(argv[2]);
	pl_board_narrate('n', 0, argv[3]);
	pl_note("narration", NULL, "%s", argv[3]);
	if (seconds > 0) {
		alarm(seconds);
		pause();
	}
	return 0;
}
