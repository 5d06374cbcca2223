#!/bin/sh
# judge.sh - proclab-judge on programs that misbehave in every way a
# student's can, and on bad labs. Each verdict is read from --json; the
# kernel's view (ps, /dev/shm) then shows that nothing was left behind.
. "$top_srcdir/tests/lib.sh"
need_jq

plan 52
bin="$top_builddir/proclab-judge"
spec="$top_srcdir/tests/judge/all.spec"

# judge CASE [OPTION]...: grade tests/judge/CASE.c against all.spec.
# Sets $out (its JSON Lines), $rc and $secs.
judge() {
	case=$1
	shift
	mkdir -p "$WORK/$case"
	cp "$top_srcdir/tests/judge/$case.c" "$WORK/$case/"
	out="$WORK/$case.out"
	t0=$(date +%s)
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 120 "$bin" "${fmt:---json}" "$@" --spec "$spec" \
		"$WORK/$case/$case.c" >"$out" 2>"$WORK/$case.err"
	rc=$?
	secs=$(($(date +%s) - t0))
}
# verdict CHECK: "ok" or "FAIL" for that check; evidence CHECK: its text.
verdict() { $JQ -r --arg c "$1" 'select(.event == "check" and .check == $c) | if .ok then "ok" else "FAIL" end' "$out"; }
evidence() { $JQ -r --arg c "$1" 'select(.event == "check" and .check == $c) | .evidence' "$out"; }
# fails CHECK TEXT: the check failed and its evidence says TEXT.
fails() {
	[ "$(verdict "$1")" = FAIL ] && evidence "$1" | grep -q -- "$2" ||
		{ diag "rc $rc; $1: $(verdict "$1"): $(evidence "$1")"; false; }
}
holds() { [ "$(verdict "$1")" = ok ] || { diag "$1: $(evidence "$1")"; false; }; }

judge ok
check "a program that does it right: every check holds, exit 0" \
	eval '[ "$rc" -eq 0 ] && [ "$(grep -c "\"ok\":true" "$out")" -eq 10 ] ||
		{ diag "rc $rc"; sed "s/^/#   /" "$out"; false; }'
check "its output is compared with its PID and time masked" holds stdout

judge forkbomb
check "10,000 forks: stopped as a fork bomb" fails busy "fork bomb"
check "10,000 forks: the judge ended in seconds ($secs s)" [ "$secs" -le 30 ]
check "10,000 forks: no process left" poll 5 nothing_left

judge noterm
check "ignores SIGTERM: stopped, and named stuck" eval 'fails exit "stopped" && fails stuck "pause\|sigsuspend\|do_sys_pause\|sleeping"'
check "ignores SIGTERM: busy says it was stopped, stuck, before its wall time" \
	fails busy "stopped after [0-9.]* s: stuck"
check "ignores SIGTERM: no process left" poll 5 nothing_left

judge closeout
check "closes its stdout: the run ends and is graded" eval '[ "$rc" -eq 1 ] && holds exit && fails stdout "no match"'

judge flood
check "floods 1 GB: stopped at the output limit" fails stdout "more than 1048576 bytes"
check "floods 1 GB: the judge ended in seconds ($secs s)" [ "$secs" -le 30 ]
check "floods 1 GB: busy says it was stopped for its output, not that it ran out its time" \
	eval 'fails busy "stopped after [0-9.]* s: it wrote more than 1048576 bytes" &&
		! evidence busy | grep -q "ran out"'

judge segv
check "segfaults: the exit check names SIGSEGV" fails exit "SIGSEGV"

judge deadlock
check "deadlocks: stuck, with both threads in a futex wait" \
	eval 'fails stuck "futex" && [ "$(evidence stuck | grep -c "thread .*futex")" -eq 2 ]'
check "deadlocks: no process left" poll 5 nothing_left

judge spin
check "spins: busy, still running at its wall time" fails busy "busy, still running"
check "spins: not called stuck" holds stuck

judge grandchild
check "a double-forked grandchild: an orphan, named" fails orphans "still ran after the main process ended"
check "a double-forked grandchild: killed, none left" poll 5 nothing_left
check "a double-forked grandchild: the shape counts a thread for each process seen" \
	eval 'evidence shape | grep -q "^\([0-9]*\) processes, \([1-9]\)[0-9]* threads at most, [1-9][0-9]* deep" &&
		p=$(evidence shape | sed "s/ processes.*//") &&
		t=$(evidence shape | sed "s/.*processes, //; s/ threads.*//") &&
		[ "$t" -ge "$p" ] || { diag "$(evidence shape)"; false; }'

judge leak
check "leaves shm, a queue and a temp file: each named" \
	eval 'fails leaks "shm judge-test-" && fails leaks "queue judge-test-" && fails leaks "temp file left-behind"'
check "leaves shm: the judge removed it" eval '! ls /dev/shm | grep -q "^judge-test-"'

judge zombie
check "a zombie for a second: named, with how long" fails zombies "stayed a zombie [0-9]* ms"

# A zombie for half a second, well under max_ms: seen however busy the
# machine, and failed only because it was left.
sed 's/^max_ms = 300$/max_ms = 5000/' "$spec" >"$WORK/unreaped.spec"
all=$spec
spec="$WORK/unreaped.spec"
judge unreaped
spec=$all
check "a child never reaped, its parent gone first: named, though brief" fails zombies "was never reaped: its parent [0-9]* exited first"

judge strayfd
check "a child that execs with a pipe open: its fds named" fails fds "holds fd [34] -> pipe:"

# The main process's PID, once the judge has reaped it, given to a stranger
# that leads a process group of that number: the judge's clean-up must not
# kill it (it signals only its own unreaped children, and their groups).
mkdir -p "$WORK/tellpid" && cp "$top_srcdir/tests/judge/tellpid.c" "$WORK/tellpid/"
mkfifo -m 600 "$WORK/pid.fifo"
env JUDGE_TEST_FIFO="$WORK/pid.fifo" PROCLAB_TEST_TOKEN="$TOKEN" timeout 120 \
	"$top_builddir/tests/reuse-pid" "$WORK/pid.fifo" "$bin" --json --spec "$spec" \
	"$WORK/tellpid/tellpid.c" >"$WORK/tellpid.out" 2>"$WORK/tellpid.err"
rc=$?
if [ "$rc" -eq 77 ]; then
	tap_count=$((tap_count + 1))
	echo "ok $tap_count # SKIP cannot choose a PID here (clone3 set_tid needs root): $(tail -n 1 "$WORK/tellpid.err")"
else
	check "the main process's PID reused after it was reaped: its new owner is not signalled" \
		eval '[ "$rc" -eq 0 ] || { diag "rc $rc"; sed "s/^/#   /" "$WORK/tellpid.err"; false; }'
fi

# --- parallel: tasks running or waiting for a CPU at once, whatever the load ---
parallel() {
	mkdir -p "$WORK/par"
	cp "$top_srcdir/tests/judge/spinners.c" "$WORK/par/"
	printf '[lab]\nbuild = ${CC:-cc} -o prog spinners.c\nrun = ./prog %s\n[limits]\nwall = 30\n[check parallel]\nworkers = 2\nmin_runnable = 1.5\n' \
		"$1" >"$WORK/par/lab.spec"
	out="$WORK/par-$1.out"
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 120 "$bin" --json "$WORK/par" >"$out" 2>"$WORK/par-$1.err"
	rc=$?
}
parallel together
check "two processes that burn CPU at once: parallel holds" \
	eval '[ "$rc" -eq 0 ] && holds parallel && evidence parallel | grep -q "wanted 1.50"'
parallel serial
check "the same two, one after the other: parallel fails, at about 1 task at once" \
	eval '[ "$rc" -eq 1 ] && fails parallel "on average \(0\.[89]\|1\.[0-2]\)[0-9] of its tasks"'

# --- output formats ---
fmt=--tap judge ok
check "--tap: a plan and one line a check" \
	eval '[ "$(head -n 1 "$out")" = "1..9" ] && [ "$(grep -c "^ok [0-9]* - " "$out")" -eq 9 ]'
mkdir -p "$WORK/gs"
judge segv --gradescope "$WORK/gs/results.json"
check "--gradescope: results.json with score, max_score, name, output" \
	eval '$JQ -e ".score == 7 and (.tests | length) == 9 and
		(.tests[] | select(.name == \"exit\") | .score == 0 and .max_score == 1)" "$WORK/gs/results.json" >/dev/null'
judge segv --autolab
check "--autolab: the last line is the score JSON" \
	eval 'tail -n 1 "$out" | $JQ -e ".scores.exit == 0 and .scores.busy == 1" >/dev/null'

# --- many submissions: a table ---
for d in a b; do mkdir -p "$WORK/subs/$d"; done
cp "$top_srcdir/tests/judge/ok.c" "$WORK/subs/a/prog.c"
cp "$top_srcdir/tests/judge/segv.c" "$WORK/subs/b/prog.c"
cat >"$WORK/subs/lab.spec" <<SPEC
[lab]
build = \${CC:-cc} -o prog prog.c
run = ./prog
[check exit]
status = 0
SPEC
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" "$WORK/subs" "$WORK/subs/a" "$WORK/subs/b" \
	>"$WORK/table" 2>&1
rc=$?
check "many submissions: a table, one row each, exit 1 as one failed" \
	eval '[ "$rc" -eq 1 ] && grep -q "subs/a  *1/1 *-" "$WORK/table" && grep -q "subs/b  *0/1 *exit" "$WORK/table" ||
		{ sed "s/^/#   /" "$WORK/table"; false; }'
# TAP for many submissions: one stream, with one plan, each check named
# after its submission (a folder that is none fails its checks).
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" --tap "$WORK/subs" "$WORK/subs/a" "$WORK/subs/b" \
	"$WORK/subs/none" >"$WORK/table.tap" 2>/dev/null
check "many submissions in TAP: one plan, the checks numbered 1 to 3" \
	eval '[ "$(grep -c "^1\.\." "$WORK/table.tap")" -eq 1 ] && [ "$(head -n 1 "$WORK/table.tap")" = "1..3" ] &&
		[ "$(grep "^\(not \)\{0,1\}ok " "$WORK/table.tap" | sed "s/^not //" | cut -d" " -f2 | tr "\n" " ")" = "1 2 3 " ] &&
		grep -q "^ok 1 - .*subs/a: exit$" "$WORK/table.tap" && grep -q "^not ok 2 - .*subs/b: exit$" "$WORK/table.tap" &&
		grep -q "^not ok 3 - .*subs/none: exit$" "$WORK/table.tap" || { sed "s/^/#   /" "$WORK/table.tap"; false; }'

# --- bad labs ---
bad_spec() {
	printf '%b' "$1" >"$WORK/bad.spec"
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 20 "$bin" --spec "$WORK/bad.spec" "$WORK/ok" \
		>"$WORK/bad.out" 2>"$WORK/bad.err"
	rc=$?
}
mkdir -p "$WORK/ok" && cp "$top_srcdir/tests/judge/ok.c" "$WORK/ok/"
bad_spec '[lab]\nrun = ./prog\ncolour = blue\n[check exit]\nstatus = 0\n'
check "a spec with an unknown key: exit 2, its line and key named" \
	eval '[ "$rc" -eq 2 ] && grep -q "bad.spec:3: key .colour.: not a key of \[lab\]" "$WORK/bad.err" && [ ! -s "$WORK/bad.out" ]'
bad_spec '[lab]\nrun =\n'
check "a spec with a missing value: exit 2, its line named" \
	eval '[ "$rc" -eq 2 ] && grep -q "bad.spec:2: key .run.: has no value" "$WORK/bad.err"'
bad_spec '[lab]\nrun = ./prog\n[check exits]\n'
check "a spec with an unknown check: exit 2" \
	eval '[ "$rc" -eq 2 ] && grep -q "bad.spec:3: unknown check .exits." "$WORK/bad.err"'
bad_spec '[lab]\nrun = ./prog\n[limits]\nwall = 0\n[check exit]\nstatus = 0\n'
check "a spec with a value out of range: exit 2" \
	eval '[ "$rc" -eq 2 ] && grep -q "bad.spec:4: key .wall.: .0. is not a number from 0.1" "$WORK/bad.err"'
bad_spec '[lab]\nrun = ./prog\n[check parallel]\nworkers = 2\n'
check "a parallel check with nothing to reach: exit 2" \
	eval '[ "$rc" -eq 2 ] && grep -q "bad.spec:3: .check parallel. needs min_runnable" "$WORK/bad.err"'
printf 'int main(void) { return x; }\n' >"$WORK/ok/broken.c"
bad_spec '[lab]\nbuild = ${CC:-cc} -o broken broken.c\nrun = ./broken\n[check exit]\nstatus = 0\n'
check "a build that fails: a verdict with the compiler's message" \
	eval '[ "$rc" -eq 1 ] && grep -q "the build failed" "$WORK/bad.out" && grep -q "broken.c.*x" "$WORK/bad.out"'
bad_spec '[lab]\nrun = ./no-such-program\n[check exit]\nstatus = 0\n'
check "a run line that does not exist: a verdict that says so" \
	eval '[ "$rc" -eq 1 ] && grep -q "cannot run ./no-such-program: No such file" "$WORK/bad.out"'
bad_spec '[lab]\nbuild = sleep 30\nbuild_timeout = 1\nrun = ./prog\n[check exit]\nstatus = 0\n'
check "a build that hangs: stopped at its timeout" \
	eval '[ "$rc" -eq 1 ] && grep -q "the build took too long" "$WORK/bad.out"'

# --- --user: as root, the student's code runs as someone else ---
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	# A folder of its own: $WORK is root's alone.
	udir=$(mktemp -d "${TMPDIR:-/tmp}/proclab-judge-user.XXXXXX")
	chmod 755 "$udir"
	chown nobody "$udir" # the build runs as nobody too, and writes there
	cp "$top_srcdir/tests/judge/whoami.c" "$udir/"
	printf '[lab]\nbuild = ${CC:-cc} -o whoami whoami.c\nrun = ./whoami\n[check stdout]\nmatch = ^uid %s$\n' \
		"$(id -u nobody)" >"$udir/lab.spec"
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" --user nobody "$udir" "$udir" >"$WORK/user.out" 2>&1
	rc=$?
	check "--user nobody: the program ran as nobody" \
		eval '[ "$rc" -eq 0 ] || { sed "s/^/#   /" "$WORK/user.out"; false; }'
	rm -rf "$udir"
else
	check "--user nobody # SKIP needs root and a user nobody" true
fi

# --- usage ---
judge_usage() {
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 20 "$bin" "$@" >"$WORK/u.out" 2>"$WORK/u.err"
	[ $? -eq 2 ] && [ ! -s "$WORK/u.out" ] && [ "$(wc -l <"$WORK/u.err")" -eq 2 ] &&
		grep -q "^Try 'proclab-judge --help'" "$WORK/u.err"
}
check "no LAB: usage error" judge_usage
check "an unknown option: usage error" judge_usage --bogus x
check "--runs 0: usage error" judge_usage --runs 0 x
check "--runs abc: usage error" judge_usage --runs=abc x
check "no such lab: usage error" judge_usage no-such-lab
check "--spec without a PROGRAM: usage error" judge_usage --spec "$spec"
check "--json and --tap together: usage error" judge_usage --json --tap x
check "--user as no such user: usage error" judge_usage --user no-such-user-here x
check "--help: exit 0" eval '"$bin" --help | grep -q "^Usage: proclab-judge"'
check "after every run: nothing left" eval 'poll 5 nothing_left'
finish
