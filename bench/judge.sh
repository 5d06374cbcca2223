#!/bin/sh
# bench/judge.sh - what proclab-judge costs (issue 13), in three parts:
#
# 1. Its own CPU while it watches. A program of 2 processes that spin for
#    10 s is graded; from 1 s into the run to 9 s, the judge's CPU is read
#    from its own /proc/PID/stat (utime + stime: the judge alone, not its
#    children) and the program's from the stat of its 2 processes. The
#    figure is the judge's CPU as a share of the program's (target: at
#    most 5 %). With JUDGE_BEFORE=/path/to/another/proclab-judge, that one
#    is measured in the same run, taking turns with this one.
# 2. Each lab's reference solution graded with the lab's own runs: the
#    wall time of the whole command, build included (target: at most 30 s
#    each on 2 cores).
# 3. SUBS submissions (default 20) of one lab (LAB, default 01-reap) in one
#    command, the lab's starter, solution and known-wrong versions in turn.
#
# Usage: bench/judge.sh [BUILD_DIR] [RUNS]      (defaults: build, 3)
#        PARTS="1 2" LAB=04-counter SUBS=20 JUDGE_BEFORE=... bench/judge.sh
#
# Every figure is the median of RUNS runs. Not a test: the numbers depend
# on the machine and its load, which it prints. Needs cc and pgrep. Leaves
# nothing behind.
set -eu

build=${1:-build}
runs=${2:-3}
parts=${PARTS:-1 2 3}
lab=${LAB:-01-reap}
subs=${SUBS:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
judge="$build/proclab-judge"
[ -x "$judge" ] || { echo "bench: no $judge; build first" >&2; exit 1; }
command -v pgrep >/dev/null || { echo "bench: needs pgrep (procps)" >&2; exit 1; }
if [ -n "${JUDGE_BEFORE:-}" ] && [ ! -x "$JUDGE_BEFORE" ]; then
	echo "bench: JUDGE_BEFORE=$JUDGE_BEFORE is not a program" >&2
	exit 1
fi

tmp=$(mktemp -d)
jp=""
cleanup() {
	[ -n "$jp" ] && kill "$jp" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
# median: of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# utime + stime of PIDs, in clock ticks (fields 14 and 15 of stat).
ticks() { for p; do cat "/proc/$p/stat"; done | awk '{ sub(/.*\) /, ""); t += $12 + $13 } END { print t }'; }
# Time on a CPU of PIDs, in ns (the first field of schedstat), for a
# finer look than ticks give.
cpu_ns() { for p; do cat "/proc/$p/schedstat"; done | awk '{ t += $1 } END { printf "%.0f\n", t }'; }

echo "proclab judge bench: $(nproc) cores, $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "judge: $judge${JUDGE_BEFORE:+, before: $JUDGE_BEFORE}; $runs runs each"

# ---- 1. the judge's own CPU ---------------------------------------------
if echo "$parts" | grep -q 1; then
	mkdir "$tmp/spin"
	cat >"$tmp/spin/spin2.c" <<'C'
/* Two processes on a CPU each for SECONDS of wall time. */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
int main(int argc, char *argv[])
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 10);
	volatile unsigned long n = 0;
	pid_t child = fork();
	if (child == -1)
		return 1;
	while (now() < end)
		for (int i = 0; i < 100000; i++)
			n++;
	if (child == 0)
		_exit(0);
	return waitpid(child, NULL, 0) == child ? 0 : 1;
}
C
	${CC:-cc} -O2 -o "$tmp/spin/spin2" "$tmp/spin/spin2.c"
	cat >"$tmp/spin/lab.spec" <<'SPEC'
# The checks most labs have: the judge's usual work while it watches.
[lab]
name = bench: 2 processes spin for 10 s
run  = ./spin2 10
[limits]
wall = 30
[check exit]
status = 0
[check zombies]
[check orphans]
[check stuck]
[check shape]
min_processes = 2
SPEC

	# watch JUDGE: one graded run; prints "judge_ticks prog_ticks judge_ns prog_ns".
	watch() {
		"$1" -q "$tmp/spin" >"$tmp/spin.out" 2>&1 &
		jp=$!
		deadline=$(($(date +%s) + 10))
		root="" child=""
		while [ -z "$child" ] && [ "$(date +%s)" -le "$deadline" ]; do
			root=$(pgrep -P "$jp" | head -n 1) || true
			[ -n "$root" ] && child=$(pgrep -P "$root" | head -n 1) || true
			[ -n "$child" ] || sleep 0.05
		done
		[ -n "$child" ] || { echo "bench: the program did not start" >&2; exit 1; }
		sleep 1
		j0=$(ticks "$jp") p0=$(ticks "$root" "$child")
		jn0=$(cpu_ns "$jp") pn0=$(cpu_ns "$root" "$child")
		sleep 8
		j1=$(ticks "$jp") p1=$(ticks "$root" "$child")
		jn1=$(cpu_ns "$jp") pn1=$(cpu_ns "$root" "$child")
		wait "$jp" || { echo "bench: the spinning program failed the judge:" >&2; cat "$tmp/spin.out" >&2; exit 1; }
		jp=""
		echo $((j1 - j0)) $((p1 - p0)) $((jn1 - jn0)) $((pn1 - pn0))
	}
	echo
	echo "1. The judge's own CPU while it watches 2 spinning processes (8 s of a 10 s run):"
	printf '   %-7s %-4s %12s %12s %9s %9s\n' judge run "judge ticks" "prog ticks" "share %" "(ns) %"
	i=1
	while [ "$i" -le "$runs" ]; do
		for which in now before; do
			j=$judge
			if [ "$which" = before ]; then
				[ -n "${JUDGE_BEFORE:-}" ] || continue
				j=$JUDGE_BEFORE
			fi
			set -- $(watch "$j")
			share=$(awk -v j="$1" -v p="$2" 'BEGIN { printf "%.2f", p ? 100 * j / p : 0 }')
			share_ns=$(awk -v j="$3" -v p="$4" 'BEGIN { printf "%.2f", p ? 100 * j / p : 0 }')
			printf '   %-7s %-4s %12s %12s %9s %9s\n' "$which" "$i" "$1" "$2" "$share" "$share_ns"
			echo "$share" >>"$tmp/share.$which"
			echo "$share_ns" >>"$tmp/share_ns.$which"
			echo "$(awk -v p="$2" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", p / t / 8 }')" \
				>>"$tmp/cores.$which"
		done
		i=$((i + 1))
	done
	for which in now before; do
		[ -f "$tmp/share.$which" ] || continue
		echo "   median ($which): $(median <"$tmp/share.$which") % of the program's CPU" \
			"($(median <"$tmp/share_ns.$which") % from schedstat); the program had" \
			"$(median <"$tmp/cores.$which") cores (target: at most 5 %)"
	done
fi

# A submission of LAB in DIR: the lab's files, with VERSION (an instructor
# file, or "starter") as the file students write.
make_sub() {
	lab_dir=$1 version=$2 dir=$3
	file=$(sed -n 's/^file  *//p' "$lab_dir/instructor/VERDICTS")
	mkdir -p "$dir"
	find "$lab_dir" -maxdepth 1 -type f -exec cp {} "$dir/" \;
	[ "$version" = starter ] || cp "$lab_dir/instructor/$version" "$dir/$file"
}

# ---- 2. each lab's reference solution -----------------------------------
if echo "$parts" | grep -q 2; then
	echo
	echo "2. Each lab's reference solution, graded with the lab's runs (wall time, build included):"
	printf '   %-16s %5s %s\n' lab runs "seconds, each run, then the median"
	for lab_dir in "$top"/labs/[0-9]*/; do
		lab_dir=${lab_dir%/}
		name=$(basename "$lab_dir")
		n=$(sed -n 's/^runs *= *\([0-9]*\).*/\1/p' "$lab_dir/lab.spec")
		make_sub "$lab_dir" solution.c "$tmp/sol-$name"
		: >"$tmp/times"
		line=""
		i=1
		while [ "$i" -le "$runs" ]; do
			t0=$(now)
			rc=0
			"$judge" -q "$lab_dir" "$tmp/sol-$name" >"$tmp/sol.out" 2>&1 || rc=$?
			t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
			[ "$rc" -eq 0 ] || t="$t(FAILED)"
			echo "${t%%(*}" >>"$tmp/times"
			line="$line $t"
			i=$((i + 1))
		done
		printf '   %-16s %5s %s -> %s s\n' "$name" "${n:-1}" "$line" "$(median <"$tmp/times")"
	done
fi

# ---- 3. many submissions of one lab -------------------------------------
if echo "$parts" | grep -q 3; then
	lab_dir="$top/labs/$lab"
	[ -f "$lab_dir/instructor/VERDICTS" ] || { echo "bench: no lab $lab" >&2; exit 1; }
	versions=$(grep '^[a-z]' "$lab_dir/instructor/VERDICTS" | grep -v '^file ' | cut -d' ' -f1)
	set -- $versions
	nv=$#
	dirs=""
	k=1
	while [ "$k" -le "$subs" ]; do
		idx=$(((k - 1) % nv + 1))
		eval "version=\${$idx}"
		d="$tmp/subs/$(printf 'student%02d' "$k")"
		make_sub "$lab_dir" "$version" "$d"
		dirs="$dirs $d"
		k=$((k + 1))
	done
	echo
	echo "3. $subs submissions of $lab in one command ($(echo $versions | tr ' ' ','), in turn):"
	: >"$tmp/times"
	i=1
	while [ "$i" -le "$runs" ]; do
		t0=$(now)
		"$judge" -q "$lab_dir" $dirs >"$tmp/subs.out" 2>&1 || true
		t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
		rows=$(grep -c "^$tmp/subs/student" "$tmp/subs.out" || true)
		echo "   run $i: $t s, $rows rows in the table"
		echo "$t" >>"$tmp/times"
		i=$((i + 1))
	done
	m=$(median <"$tmp/times")
	echo "   median: $m s, $(awk -v m="$m" -v n="$subs" 'BEGIN { printf "%.1f", m / n }') s a submission"
fi
echo
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
