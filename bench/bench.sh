#!/bin/sh
# bench/bench.sh - what the dashboard costs, against htop, on the same tree.
#
# Usage: bench/bench.sh [BUILD_DIR] [SECONDS]     (defaults: build, 10)
#
# 1. A tree of 1,000 sleeping processes that all hold one listening TCP
#    socket and one end of a Unix socket pair, as a pre-fork server's
#    workers do: each refresh that reads the fd tables also reads the
#    host's socket tables and groups 1,000 holders into one object.
#    `proclab -p ROOT --record FILE` (IPC objects on, the run recorded,
#    10 refreshes a second, drawing in a 120x40 tmux terminal) and
#    `htop -d 1` (a refresh every tenth of a second, same size) watch it at
#    the same time. Each one's CPU is read from its own /proc/PID/stat
#    (utime + stime) over SECONDS, and printed as % of one core.
# 2. One frame's cost for 100, 1,000, 5,000 and 10,000 processes:
#    proclab --plain --record FILE at 10 Hz on each tree, CPU divided by
#    the frames it drew, and per process, to show that it stays linear.
#
# Not a test: the numbers depend on the machine and its load. Needs cc,
# tmux and htop (apt-get install htop). Leaves nothing behind.
set -eu

build=${1:-build}
secs=${2:-10}
proclab="$build/proclab"
[ -x "$proclab" ] || { echo "bench: no $proclab; build first" >&2; exit 1; }
command -v tmux >/dev/null || { echo "bench: needs tmux" >&2; exit 1; }
command -v htop >/dev/null || { echo "bench: needs htop (apt-get install htop)" >&2; exit 1; }

tmp=$(mktemp -d)
sock="proclab-bench-$$"
tree=""
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
	[ -n "$tree" ] && kill "$tree" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# N processes that sleep in pause(), children of one small program; they
# die with it (PR_SET_PDEATHSIG). All hold the program's listening TCP
# socket (127.0.0.1, a port the kernel picks) and one end of its socket
# pair.
cat >"$tmp/sleepers.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char *argv[])
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	pid_t parent = getpid();
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int listener = socket(AF_INET, SOCK_STREAM, 0), pair[2];
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (listener == -1 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
	    listen(listener, 8) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == -1) {
		perror("socket");
		return 1;
	}
	for (long i = 1; i < n; i++) {
		pid_t pid = fork();
		if (pid == -1) { perror("fork"); return 1; }
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent) _exit(0);
			for (;;) pause();
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) pause();
}
C
${CC:-cc} -O2 -o "$tmp/sleepers" "$tmp/sleepers.c"
ticks=$(getconf CLK_TCK)

# start_tree N: $tree is the root of N processes (itself included).
start_tree() {
	"$tmp/sleepers" "$1" >"$tmp/ready" &
	tree=$!
	while ! grep -q ready "$tmp/ready" 2>/dev/null; do sleep 0.1; done
}
stop_tree() {
	kill "$tree"
	wait "$tree" 2>/dev/null || true
	tree=""
	sleep 1
}
# utime + stime of PID, in clock ticks (fields 14 and 15 of its stat).
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# run_in_tmux NAME COMMAND: start it in a 120x40 terminal; print its PID.
run_in_tmux() {
	tmux -L "$sock" new-session -d -s "$1" -x 120 -y 40 "exec $2"
	tmux -L "$sock" display-message -p -t "$1" '#{pane_pid}'
}
percent() { awk -v d="$1" -v t="$ticks" -v s="$secs" 'BEGIN { printf "%.1f", d / t / s * 100 }'; }

echo "proclab bench: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "htop: $(htop --version | head -n 1)"

# 1. 1,000 sleeping processes, proclab and htop at 10 Hz, side by side.
start_tree 1000
p=$(run_in_tmux dash "$proclab -p $tree --record $tmp/run.jsonl")
h=$(run_in_tmux htop "htop -d 1")
sleep 2   # both have started and drawn their first frames
p0=$(cpu_ticks "$p")
h0=$(cpu_ticks "$h")
sleep "$secs"
p1=$(cpu_ticks "$p")
h1=$(cpu_ticks "$h")
pp=$(percent $((p1 - p0)))
hp=$(percent $((h1 - h0)))
tmux -L "$sock" kill-server
stop_tree
echo
echo "1,000 sleeping processes, 10 refreshes a second, ${secs} s, 120x40:"
echo "  proclab -p ROOT (IPC on, a shared listener, --record): $pp % of a core"
echo "  htop -d 1:                $hp % of a core"
awk -v p="$pp" -v h="$hp" 'BEGIN { if (h > 0) printf "  ratio proclab/htop:       %.2f (goal: at most 0.25)\n", p / h }'

# 2. One frame, for 100, 1,000, 5,000 and 10,000 processes.
echo
echo "One frame of proclab --plain -p ROOT --record at 10 Hz (IPC on), ${secs} s each:"
for n in 100 1000 5000 10000; do
	start_tree "$n"
	"$proclab" --plain --rate 10 -p "$tree" --record "$tmp/frames.jsonl" >/dev/null &
	d=$!
	sleep 1
	d0=$(cpu_ticks "$d")
	sleep "$secs"
	d1=$(cpu_ticks "$d")
	kill -INT "$d"
	wait "$d" 2>/dev/null || true
	stop_tree
	awk -v n="$n" -v d=$((d1 - d0)) -v t="$ticks" -v s="$secs" 'BEGIN {
		frame = d / t / (s * 10) * 1000
		printf "  %5d processes: %6.2f ms a frame, %5.1f us a process\n", n, frame, frame * 1000 / n
	}'
done
