#!/bin/sh
# judge-checks.sh - the checks and limits that no lab's known-wrong version
# trips, each on a real run: races counted k of N with the pinned runs,
# several acceptable outputs and any line order, the speedup over a
# one-worker run, the CPU and memory limits, the tree's depth and threads,
# and a stuck verdict that names the wait-for cycle /proc/locks shows.
. "$top_srcdir/tests/lib.sh"
need_jq

plan 13
bin="$top_builddir/proclab-judge"

# lab NAME [CASE]: a lab folder $WORK/NAME with tests/judge/CASE.c in it;
# its lab.spec is written next. grade NAME: grade it; sets $out and $rc.
lab() {
	mkdir -p "$WORK/$1"
	[ -z "${2:-}" ] || cp "$top_srcdir/tests/judge/$2.c" "$WORK/$1/"
}
grade() {
	out="$WORK/$1.out"
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 120 "$bin" --json "$WORK/$1" >"$out" 2>"$WORK/$1.err"
	rc=$?
}
verdict() { $JQ -r --arg c "$1" 'select(.event == "check" and .check == $c) | if .ok then "ok" else "FAIL" end' "$out"; }
evidence() { $JQ -r --arg c "$1" 'select(.event == "check" and .check == $c) | .evidence' "$out"; }
fails() {
	[ "$(verdict "$1")" = FAIL ] && evidence "$1" | grep -q -- "$2" ||
		{ diag "rc $rc; $1: $(verdict "$1"): $(evidence "$1")"; false; }
}
holds() {
	[ "$(verdict "$1")" = ok ] && evidence "$1" | grep -q -- "$2" ||
		{ diag "rc $rc; $1: $(verdict "$1"): $(evidence "$1")"; false; }
}

# --- races: a program that fails every second run, 2 of 4 runs pinned ---
lab races alternate
cat >"$WORK/races/lab.spec" <<'SPEC'
[lab]
build = ${CC:-cc} -o prog alternate.c
run   = ./prog
runs  = 4
pin   = 2
[check stdout]
match = ^total 4$
[check races "allows one"]
fail_max = 1
[check races "allows two"]
fail_max = 2
SPEC
grade races
check "races: 2 of 4 runs failed, 1 of the 2 pinned, the first failing run named" \
	fails "allows one" "^2 of 4 runs failed (1 of the 2 pinned to one CPU); first failing run: 2 (pinned"
check "races: within fail_max, the same count holds" holds "allows two" "^2 of 4 runs failed"

# --- output: several acceptable files, and any line order ---
lab output
printf 'b\na\n' >"$WORK/output/ba.txt"
printf 'a\nb\n' >"$WORK/output/ab.txt"
printf 'x\n' >"$WORK/output/x.txt"
cat >"$WORK/output/lab.spec" <<'SPEC'
[lab]
run = printf b\na\n
[check stdout "in order"]
file = ab.txt
[check stdout "another file"]
file = x.txt
also = ab.txt
also2 = ba.txt
[check stdout "any order"]
file = x.txt
also = ab.txt
any_order = yes
SPEC
grade output
check "output: another order than the file's fails" fails "in order" "differs from ab.txt"
check "output: the second of several acceptable files holds" holds "another file" "the text of ba.txt$"
check "output: with any_order, the lines in another order hold" holds "any order" "the text of ab.txt, in any order"

# --- parallel: the speedup over a one-worker run ---
lab speedup
cat >"$WORK/speedup/lab.spec" <<'SPEC'
[lab]
run = sleep 0.2
[check parallel "ten times"]
min_speedup = 3
one = sleep 2
max_other_load = 1024
pairs = 1
tries = 1
[check parallel "no faster"]
min_speedup = 3
one = sleep 0.2
max_other_load = 1024
pairs = 1
tries = 1
SPEC
# Sleeps, not work: their ratio is the same however busy the machine, so
# any load is allowed (max_other_load). tests/judge-speedup.sh times work.
grade speedup
check "parallel: a run 10 times as fast as its one-worker run holds min_speedup 3" \
	holds "ten times" "speedup [0-9.]*x over one worker (1 quiet pair of 1 tried: 0\.[0-9]* s against 2\.[0-9]* s)"
check "parallel: one as fast as its one-worker run fails it" \
	fails "no faster" "speedup [0-2]\.[0-9]*x over one worker.*wanted 3.00x"

# --- limits: CPU time and memory ---
lab cpu spin
printf '[lab]\nbuild = ${CC:-cc} -o prog spin.c\nrun = ./prog\n[limits]\nwall = 30\ncpu = 1\n[check exit]\nstatus = 0\n' \
	>"$WORK/cpu/lab.spec"
grade cpu
check "limits: cpu = 1 stops a spinning program with SIGXCPU" fails exit "SIGXCPU"
lab memory hog
printf '[lab]\nbuild = ${CC:-cc} -o prog hog.c\nrun = ./prog\n[limits]\nmemory = 64M\n[check exit]\nstatus = 0\n' \
	>"$WORK/memory/lab.spec"
grade memory
check "limits: memory = 64M refuses 512 MiB to the program" fails exit "exited with status 3"

# --- shape: depth and threads ---
lab shape chain
cat >"$WORK/shape/lab.spec" <<'SPEC'
[lab]
build = ${CC:-cc} -o prog chain.c
run   = ./prog
[check shape "depth 2"]
max_depth = 2
[check shape "2 threads"]
max_threads = 2
[check shape "as it is"]
max_depth = 3
min_processes = 3
SPEC
grade shape
check "shape: a child and a grandchild are 3 deep, more than max_depth 2" fails "depth 2" "a tree 3 deep, more than 2"
check "shape: 3 processes are 3 threads, more than max_threads 2" fails "2 threads" "3 threads at once, more than 2"

# --- stuck: a deadlock on two file locks, the cycle named ---
lab flock flockcycle
printf '[lab]\nbuild = ${CC:-cc} -o prog flockcycle.c\nrun = ./prog\n[limits]\nwall = 20\n[check stuck]\nafter = 1\n' \
	>"$WORK/flock/lab.spec"
grade flock
check "stuck: two processes waiting on each other's flock, the wait-for cycle named" \
	eval 'fails stuck "wants .*/b, held by" && evidence stuck | grep -q "^deadlock: .* wants .*/a, held by"'
check "after every run: nothing left" poll 5 nothing_left
finish
