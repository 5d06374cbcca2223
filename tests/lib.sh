# lib.sh - shared by the shell tests: TAP output, running demos, and
# checking that nothing is left behind. Source it; the test then calls
# plan N (or skip_all), ok/not_ok through `check`, and ends with `finish`.
#
# Rules these helpers keep for every test:
#  - never synchronise with sleep: poll a condition with a deadline;
#  - every demo runs with PROCLAB_TEST_TOKEN in its environment, so any
#    process it leaves can be found in /proc, whatever its name;
#  - tests run under tests/reaper, a child subreaper, so orphans are reaped.

set -u
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"

tap_count=0
tap_failed=0
TOKEN="proclab-test-$$-$(date +%s%N)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/proclab-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# A test stopped by a signal still removes its files: exit runs the EXIT trap.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
# skip DESCRIPTION REASON: a TAP line for one check that cannot run here.
skip() {
	tap_count=$((tap_count + 1))
	echo "ok $tap_count - $1 # SKIP $2"
}
diag() { printf '# %s\n' "$@"; }

# check DESCRIPTION COMMAND...: one TAP line for the command's success.
check() {
	desc=$1
	shift
	tap_count=$((tap_count + 1))
	if "$@"; then
		echo "ok $tap_count - $desc"
	else
		echo "not ok $tap_count - $desc"
		tap_failed=$((tap_failed + 1))
		return 1
	fi
}

finish() {
	[ "$tap_failed" -eq 0 ]
	exit $?
}

need_jq() { [ -n "${JQ:-}" ] || skip_all "jq not installed (apt-get install jq)"; }

# The path of a demo's program in the build tree.
demo_bin() { echo "$top_builddir/proclab-$1"; }

# run_demo NAME ARG...: run it to the end with the test token.
# Sets $out and $err (files) and $rc.
run_demo() {
	name=$1
	shift
	out="$WORK/out.$tap_count"
	err="$WORK/err.$tap_count"
	env PROCLAB_TEST_TOKEN="$TOKEN" "$(demo_bin "$name")" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}

# start_demo NAME ARG...: start it in the background. Sets $demo_pid,
# $out and $err. In a shared build the program is a libtool wrapper
# script, which execs the real one under the same PID, but first forks a
# few commands of its own (sed) and ignores SIGINT as any background
# shell does. So this returns only once the PID runs the real program:
# until then a child of that PID is not the demo's, and a Ctrl-C sent to
# it would be lost.
start_demo() {
	name=$1
	shift
	out="$WORK/out.bg.$tap_count"
	err="$WORK/err.bg.$tap_count"
	env PROCLAB_TEST_TOKEN="$TOKEN" "$(demo_bin "$name")" "$@" >"$out" 2>"$err" </dev/null &
	demo_pid=$!
	poll 30 is_program "$demo_pid" || diag "$demo_pid never ran the program itself"
}

# is_program PID: PID runs a proclab binary, not a shell, or has ended.
is_program() {
	case $(readlink "/proc/$1/exe" 2>/dev/null) in
	*/proclab-* | */lt-proclab-* | */proclab) return 0 ;;
	esac
	[ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# wait_demo: reap the background demo; sets $rc.
wait_demo() {
	wait "$demo_pid"
	rc=$?
}

# poll SECONDS COMMAND...: true as soon as COMMAND succeeds, false if it
# has not by the deadline. The short naps are the polling interval, not a
# guess at how long something takes.
poll() {
	deadline=$1
	shift
	end=$(($(date +%s%N) + deadline * 1000000000))
	while :; do
		"$@" && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.02
	done
}

# The PIDs of live processes that carry our token (zombies have no
# environment any more, and are not counted: they hold no resources).
token_pids() {
	grep -lzxF "PROCLAB_TEST_TOKEN=$TOKEN" /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}
nothing_left() { [ -z "$(token_pids)" ]; }

# why_left: for a failed check, what still runs with the token, and where.
why_left() {
	for p in $(token_pids); do
		diag "left: $(cat "/proc/$p/stat" 2>/dev/null) wchan $(cat "/proc/$p/wchan" 2>/dev/null)"
	done
}

# Children of PID that carry the token, as the kernel lists them: its
# workers, not the guardian that removes its names if it dies
# (lib/pl_cleanup.h), which guardian_of PID gives.
token_children_of() {
	for p in $(token_pids); do
		ppid=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$p/stat" 2>/dev/null)
		[ "$ppid" = "$1" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" != proclab-guard ] &&
			echo "$p"
	done
}
guardian_of() {
	for p in $(token_pids); do
		ppid=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$p/stat" 2>/dev/null)
		[ "$ppid" = "$1" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = proclab-guard ] &&
			echo "$p"
	done
}
has_children() { [ "$(token_children_of "$1" | wc -l)" -ge "$2" ]; }

# Boards: a dashboard's board is /dev/shm/proclab-board-PID-START-RANDOM,
# PID the dashboard's (or a lock demo's own, when no dashboard watches it),
# START when that process started, RANDOM 16 digits (lib/pl_name.h).
# board_names_of PID: the names of PID's boards in /dev/shm, one a line;
# boards_of PID: how many there are.
board_names_of() { ls /dev/shm 2>/dev/null | grep "^proclab-board-$1-[0-9]*-[0-9]\{16\}"; }
boards_of() { board_names_of "$1" | wc -l; }
# A test notes the PID of each dashboard it starts (dashboard_started
# PID, or exec the dashboard from a shell that wrote its $$ to
# $dashboards), and checks only those boards: other tests, running
# alongside, start dashboards of their own and even plant a stale board
# on purpose.
dashboards="$WORK/dashboards"
dashboard_started() { echo "$1" >>"$dashboards"; }
# dash ARG...: run the dashboard to the end with the test token, noting
# its PID in $dashboards; $out, $err and $rc as run_demo gives them.
dash() {
	out="$WORK/dash.out.$tap_count"
	err="$WORK/dash.err.$tap_count"
	env PROCLAB_TEST_TOKEN="$TOKEN" sh -c 'echo $$ >>"$0"; exec "$@"' "$dashboards" \
		"$top_builddir/proclab" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}
# boards: the boards, still in /dev/shm, of this test's dashboards that
# have ended. Each of those is a board left behind.
boards() {
	[ -f "$dashboards" ] || return 0
	while read -r p; do
		! kill -0 "$p" 2>/dev/null && board_names_of "$p"
	done <"$dashboards"
	return 0
}
no_board() { [ -z "$(boards)" ] || { diag "boards left: $(boards)"; false; }; }

# IPC objects of proclab's in /dev/shm and /dev/mqueue.
ipc_objects() { ls /dev/shm /dev/mqueue 2>/dev/null | grep -i proclab | sort; }

# jq_is FILE FILTER EXPECTED: the filter's output, on one line, is EXPECTED.
jq_is() {
	got=$($JQ -rs "$2" "$1" 2>&1 | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$3" ] || { diag "jq '$2': got '$got', want '$3'"; return 1; }
}

# is_event_stream FILE: every line of a --json run is a JSON object with a
# number t and pid, and a string role and event.
is_event_stream() {
	jq_is "$1" '[.[] | select((.t|type)=="number" and (.pid|type)=="number" and
		(.role|type)=="string" and (.event|type)=="string")] | length == (. | length)' true
}

# steps_are FILE IDS: the ids of the run's step events, in order, joined by ",".
steps_are() { jq_is "$1" '[.[] | select(.event=="step") | .id] | join(",")' "$2"; }

# A bad command line: exit 2, nothing on stdout, on stderr one error line
# naming the program and then the hint to try --help.
rejects() {
	name=$1
	shift
	run_demo "$name" "$@"
	prog="proclab-$name"
	if [ "$rc" -ne 2 ] || [ -s "$out" ] || [ "$(wc -l <"$err")" -ne 2 ] ||
		! head -n 1 "$err" | grep -q "^$prog: ." ||
		[ "$(tail -n 1 "$err")" != "Try '$prog --help' for more information." ]; then
		diag "$prog $*: status $rc" "stderr: $(cat "$err")"
		return 1
	fi
}

# Under a PID 1 that never reaps. In a container started without an init,
# PID 1 is the container's own program, which adopts every orphan and may
# never wait for it; some VMs' PID 1 reaps only now and then. The demos
# must hold every check there all the same.
#
# idle_init_unshare: the unshare(1) options that make a PID namespace with
# its own /proc on this machine (as root, or in a user namespace), or
# nothing and false.
idle_init_unshare() {
	command -v unshare >/dev/null 2>&1 || return 1
	for opts in "--pid --fork --kill-child --mount-proc" \
		"--user --map-root-user --pid --fork --kill-child --mount-proc"; do
		unshare $opts true 2>/dev/null && { echo "$opts"; return 0; }
	done
	return 1
}

# run_demo_under_idle_init NAME ARG...: run the demo, to its summary, in a
# new PID namespace whose PID 1 is sleep(1): it adopts the demo's orphans
# and never reaps them. Then end the namespace (--kill-child: SIGKILL to
# its PID 1 takes every process in it along). Sets $out; returns 2 when
# this machine cannot make the namespace, 1 if no summary came in 60 s.
run_demo_under_idle_init() {
	name=$1
	shift
	opts=$(idle_init_unshare) || return 2
	out="$WORK/out.idle.$tap_count"
	: >"$out"
	env PROCLAB_TEST_TOKEN="$TOKEN" OUT="$out" unshare $opts \
		sh -c '"$0" "$@" >"$OUT" 2>&1 </dev/null & exec sleep 300' "$(demo_bin "$name")" "$@" \
		</dev/null &
	ns=$!
	summary_came() { grep -q '"event":"summary"' "$out"; }
	poll 60 summary_came
	came=$?
	kill -s KILL "$ns" 2>/dev/null # unshare --fork ignores SIGTERM and SIGINT
	wait "$ns" 2>/dev/null
	return $came
}

# For `env "$NO_LSAN" strace ...`: LeakSanitizer off in what strace runs.
# A sanitizer build's leak check cannot run under ptrace, and fails the
# traced program at its exit.
NO_LSAN="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
