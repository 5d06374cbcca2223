#!/bin/sh
# bench/record.sh - how big a recording grows: `proclab --record` of a
# 100-process demo at 10 refreshes a second, for SECONDS.
#
# Usage: bench/record.sh [BUILD_DIR] [SECONDS] [PROCESSES]
#                                         (defaults: build, 60, 100)
#
# The demo is a small C program this script compiles: PROCESSES - 1
# workers, children of one parent, that each sleep a random 0 to 1 s,
# then work (spin) for 50 ms, over and over, so that states change all
# the time; every second one worker exits and the parent forks another
# and reaps the old one, so that processes come and go too. Every worker
# holds a pipe to the parent. It is a busier tree than any lesson's demo.
#
# Prints the recording's size in bytes, its lines, and bytes a second.
# The budget is 5 MB for 60 s (issue 14). Not a test: the size depends on
# how often the machine lets the workers run. Leaves nothing behind.
set -eu

build=${1:-build}
secs=${2:-60}
procs=${3:-100}
proclab="$build/proclab"
[ -x "$proclab" ] || { echo "bench: no $proclab; build first" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/churn.c" <<'C'
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pfd[2];

static void work(void)
{
	struct timespec nap;
	srand((unsigned)getpid());
	for (;;) {
		nap.tv_sec = 0;
		nap.tv_nsec = (rand() % 1000) * 1000000L;
		nanosleep(&nap, NULL);
		struct timespec start, now;
		clock_gettime(CLOCK_MONOTONIC, &start);
		do clock_gettime(CLOCK_MONOTONIC, &now);
		while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 50000000L);
	}
}

static pid_t spawn(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		work();
	}
	return pid;
}

int main(int argc, char *argv[])
{
	long n = argc > 2 ? strtol(argv[1], NULL, 10) : 100;
	long secs = argc > 2 ? strtol(argv[2], NULL, 10) : 60;
	pid_t *kids = calloc((size_t)n, sizeof(*kids));
	if (kids == NULL || pipe(pfd) == -1)
		return 1;
	for (long i = 1; i < n; i++)
		kids[i] = spawn();
	for (long s = 0; s < secs; s++) {
		long i = 1 + s % (n - 1);
		sleep(1);
		kill(kids[i], SIGTERM); /* one goes, another comes */
		waitpid(kids[i], NULL, 0);
		kids[i] = spawn();
	}
	for (long i = 1; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		continue;
	return 0;
}
C
cc -O2 -o "$tmp/churn" "$tmp/churn.c"
"$proclab" --plain --rate 10 --record "$tmp/run.jsonl" -- "$tmp/churn" "$procs" "$secs" >/dev/null
bytes=$(wc -c <"$tmp/run.jsonl")
lines=$(wc -l <"$tmp/run.jsonl")
# Refreshes that saw a change: each writes its lines with its own time.
changed=$(sed -n 's/^{"t":\([0-9.]*\),.*/\1/p' "$tmp/run.jsonl" | sort -u | wc -l)
echo "$procs processes, $secs s at 10 Hz: $bytes bytes, $lines lines, $((bytes / secs)) bytes/s"
echo "refreshes that saw a change: $changed of at most $((secs * 10))"
echo "budget for 60 s: 5000000 bytes; at this rate 60 s take $((bytes * 60 / secs)) bytes"
