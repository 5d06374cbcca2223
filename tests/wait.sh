#!/bin/sh
# wait.sh - proclab-wait proves its claims, in its events and in the kernel's
# view from outside (ps), validates its options, and leaves nothing behind
# (no process, no core file, no temp dir) however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 42

# Core files and temp dirs go under TMPDIR: it must be empty at the end.
TMPDIR="$WORK/tmp"
mkdir "$TMPDIR"
export TMPDIR
tmp_empty() { [ -z "$(ls -A "$TMPDIR")" ]; }

# --- One run in JSON, and what its events must say. ---
run_demo wait --json --speed 100 --code 7 --children 4
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "six steps, in the lesson's order" \
	steps_are "$json" "exit-code,killed-by-signal,stop-continue,wnohang,timeout,one-a-second"

# The status of each child, as "who:exit_code:signal:core:stopsig:continued".
statuses() {
	jq_is "$json" "[.[] | select(.event==\"status\" and .who==\"$1\") |
		\"\\(.exit_code):\\(.signal):\\(.core_dumped):\\(.stop_signal):\\(.continued)\"] | join(\" \")" "$2"
}
# The state letters the demo read for a child, in order.
letters() {
	jq_is "$json" "[.[] | select(.event==\"state\" and .who==\"$1\") | .state] | join(\"\")" "$2"
}

# Step 1: a zombie until waited for, then the exit code in bits 8-15.
check "the exited child was seen as a zombie (Z) before waitpid()" letters "exited child" Z
check "waitpid() decoded --code 7 as exit code 7, status 0x0700" \
	jq_is "$json" '[.[] | select(.event=="status" and .who=="exited child") |
		"\(.exited):\(.exit_code):\(.status)"] | join(" ")' "true:7:1792"
check "the exit came from the child itself" \
	jq_is "$json" '(map(select(.event=="child-exits"))[0].pid) ==
		(map(select(.event=="status" and .who=="exited child"))[0].child)' true

# Step 2: killed by signals.
check "the reading child was sleeping (S) with a wchan" \
	jq_is "$json" '[.[] | select(.event=="state" and .who=="reading child") |
		"\(.state):\(.wchan != "")"] | join(" ")' "S:true"
check "SIGKILL decoded: signal 9, no core" statuses "reading child" "-1:9:false:0:false"
check "abort() decoded: signal 6" \
	jq_is "$json" '[.[] | select(.event=="status" and .who=="aborting child") | .signal] | join(" ")' 6
check "the core-dumped bit matches whether a core file appeared" \
	jq_is "$json" 'map(select(.event=="core-file"))[0] | .core_dumped == (.core_bytes >= 0)' true
# From outside: with a core_pattern naming a file in the cwd and a hard
# RLIMIT_CORE above 0, the demo must really have dumped one.
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
case $pattern in
"|"* | */* | "")
	expect_core=false ;;
*)
	if [ "$(ulimit -H -c)" = 0 ]; then expect_core=false; else expect_core=true; fi ;;
esac
check "a core was dumped exactly when core_pattern ($pattern) and RLIMIT_CORE allow it" \
	jq_is "$json" 'map(select(.event=="core-file"))[0].core_dumped' "$expect_core"
check "the core dump left no file and no directory behind" tmp_empty

# Step 3: stopped and continued.
check "the busy child was R, stopped T, then R again" letters "busy child" RTR
check "WUNTRACED reported SIGSTOP, WCONTINUED continued, then a normal exit" \
	statuses "busy child" "-1:0:false:19:false -1:0:false:0:true 0:0:false:0:false"

# Step 4: WNOHANG.
check "waitpid(WNOHANG) returned 0 while the child was alive, and the parent worked" \
	jq_is "$json" 'map(select(.event=="polled"))[0] |
		.units > 0 and .primes > 0 and (.first_state | test("^[RSD]$"))' true
check "then the sleeping child's exit status 0" statuses "sleeping child" "0:0:false:0:false"

# Step 5: timeouts.
check "/proc/PID/status: only the stubborn child ignores SIGTERM" \
	jq_is "$json" '[.[] | select(.event=="sigign") | "\(.who):\(.ignores_sigterm)"] | join(",")' \
	"polite child:false,stubborn child:true"
check "both outlived the timeout; only the stubborn one outlived the grace period" \
	jq_is "$json" '[.[] | select(.event=="timeout" or .event=="grace-over") |
		"\(.event):\(.who)"] | join(",")' \
	"timeout:polite child,timeout:stubborn child,grace-over:stubborn child"
check "the polite child died of SIGTERM" statuses "polite child" "-1:15:false:0:false"
check "the stubborn child died of SIGKILL" statuses "stubborn child" "-1:9:false:0:false"

# Step 6: one a second.
check "each of 4 children was seen R, S, Z in that order" \
	jq_is "$json" '[range(1;5) as $i | [.[] | select(.event=="state" and .who=="child \($i)") |
		.state] | join("")] | join(" ")' "RSZ RSZ RSZ RSZ"
check "each was reaped with its own number" \
	jq_is "$json" '[.[] | select(.event=="status" and (.who|startswith("child "))) |
		"\(.who):\(.exit_code)"] | join(",")' "child 1:1,child 2:2,child 3:3,child 4:4"
check "every child whose state /proc showed was later returned by waitpid()" \
	jq_is "$json" '([.[] | select(.event=="state") | .child] | unique) -
		([.[] | select(.event=="status") | .child] | unique) | length' 0
check "all four states were observed: R, S, T, Z" \
	jq_is "$json" '[.[] | select(.event=="state") | .state] | unique | join("")' "RSTZ"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 12 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# --- The kernel's view from outside the demo: ps, while it runs. ---
# Record every child of the demo that ps sees, with its state, until the
# demo ends; then compare with what the demo said it saw.
seen="$WORK/seen"
: >"$seen"
start_demo wait --json --speed 2 --children 2
while kill -0 "$demo_pid" 2>/dev/null; do
	ps -o pid=,stat=,ignored= --ppid "$demo_pid" >>"$seen" 2>/dev/null
	sleep 0.02
done
wait_demo
check "the slower run also held every check" [ "$rc" -eq 0 ]
pid_of() { $JQ -rs "[.[] | select(.event==\"state\" and .who==\"$1\")][0].child" "$out"; }
outside_saw() { grep -q "^ *$1 $2" "$seen" || { diag "ps never saw $1 in state $2"; return 1; }; }
check "ps saw the exited child as a zombie (Z)" outside_saw "$(pid_of "exited child")" Z
check "ps saw the reading child sleeping (S)" outside_saw "$(pid_of "reading child")" S
check "ps saw the busy child running (R) and stopped (T)" \
	eval 'outside_saw "$(pid_of "busy child")" R && outside_saw "$(pid_of "busy child")" T'
# ps's IGNORED column is the SigIgn mask: bit 15 (0x4000) is SIGTERM. The
# last line ps printed for a child is after it set up its signals.
term_ignored() {
	mask=$(awk -v p="$1" '$1 == p { m = $3 } END { print m }' "$seen")
	[ -n "$mask" ] || { diag "ps never saw $1"; return 2; }
	[ $((0x$mask & 0x4000)) -ne 0 ] && echo yes || echo no
}
check "ps saw the stubborn child ignoring SIGTERM, and the polite one not" \
	eval '[ "$(term_ignored "$(pid_of "stubborn child")"):$(term_ignored "$(pid_of "polite child")")" = yes:no ]'

check "nothing left after the slower run" eval 'nothing_left && tmp_empty'

# --- Options. ---
check "--children 0 is refused" rejects wait --children 0
check "--children 17 is refused" rejects wait --children 17
check "--code 256 is refused" rejects wait --code 256
check "--code abc is refused" rejects wait -c abc

run_demo wait --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-wait: 12 of 12 checks held')" ]

# --- Nothing survives an interrupted run. ---
# Step 6 at speed 4 keeps children in R, S and Z for a quarter second each.
in_step_six() { grep -q '"one-a-second"' "$out" && has_children "$demo_pid" 2; }
for sig in INT TERM; do
	start_demo wait --json --speed 4 --children 4
	poll 60 in_step_six
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig: the demo dies of it, and its children within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

# SIGKILL cannot be caught: PR_SET_PDEATHSIG takes the children along.
start_demo wait --json --speed 4 --children 4
poll 60 in_step_six
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the parent: its children end within a second" poll 1 nothing_left

# Interrupted while it stops and continues a child: a stopped child must
# not be left behind either (SIGKILL ends a stopped process too).
in_stop() { grep -q '"state":"T"' "$out"; }
start_demo wait --json --speed 4
poll 60 in_stop
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while a child is stopped: nothing left within a second" poll 1 nothing_left
check "no temp file or core left by any run" tmp_empty

finish
