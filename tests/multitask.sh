#!/bin/sh
# multitask.sh - proclab-multitask proves its claims, in its events and in
# /proc/PID/status read from outside; validates its options; never asserts
# on speed; and leaves nothing behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 26

# The CPUs this test may use; the demo inherits them and pins to the first.
all_cpus=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
one_cpu=$(echo "$all_cpus" | sed 's/[^0-9].*//')

# --- One run in JSON, and what its events must say. ---
run_demo multitask --json --speed 100 --workers 2
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid and event" \
	jq_is "$json" '[.[] | select((.t|type)=="number" and (.pid|type)=="number" and
		(.event|type)=="string")] | length == (. | length)' true
check "four steps, in the lesson's order" \
	steps_are "$json" "one-cpu,all-cpus,io-bound-one-cpu,verdict"

fig() { echo "map(select(.event==\"figure\" and .mode==\"$1\"))[0]"; }
check "one CPU: the workers were allowed CPU $one_cpu only" \
	jq_is "$json" "$(fig 'one CPU').cpus_allowed" "$one_cpu"
check "one CPU: the wall time is at least the sum of the CPU times" \
	jq_is "$json" "$(fig 'one CPU') | .wall_seconds >= 0.95 * .cpu_sum_seconds and .cpu_sum_seconds > 0" true
check "one CPU: the scheduler preempted the workers (involuntary switches)" \
	jq_is "$json" "$(fig 'one CPU').involuntary > 0" true
check "all CPUs: the workers were allowed $all_cpus, like the demo" \
	jq_is "$json" "$(fig 'all CPUs').cpus_allowed" "$all_cpus"
check "all CPUs: positive wall and CPU times" \
	jq_is "$json" "$(fig 'all CPUs') | .wall_seconds > 0 and .cpu_max_seconds > 0" true
check "waiting: at least one voluntary switch per nap of each worker" \
	jq_is "$json" '(map(select(.event=="step" and .id=="io-bound-one-cpu"))[0].naps) as $n |
		'"$(fig 'waiting, one CPU')"' | .voluntary >= 2 * $n and .cpus_allowed == "'"$one_cpu"'"' true
check "the verdict reports the speedup and the waiting target as held yes or no" \
	jq_is "$json" '[.[] | select(.event=="speedup-held" or .event=="waiting-held") |
		.held | type] | join(",")' "boolean,boolean"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 8 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

run_demo multitask --json --speed 100 --workers 1
check "--workers 1: runs, claims no turn-taking" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"summary\"))[0].checks" 7'

# --- The kernel's view from outside the demo. ---
start_demo multitask --json --speed 0.5 --workers 2
# Count the demo's children that may run on CPUs $1 only, and are running
# (R) or have been preempted at least once.
children_on() {
	n=0
	for c in $(token_children_of "$demo_pid"); do
		allowed=$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$c/status" 2>/dev/null)
		[ "$allowed" = "$1" ] && n=$((n + 1))
	done
	[ "$n" -ge 2 ]
}
preempted_on_one() {
	for c in $(token_children_of "$demo_pid"); do
		awk -v cpu="$one_cpu" '/^Cpus_allowed_list:/ { ok = $2 == cpu }
			/^nonvoluntary_ctxt_switches:/ { n = $2 }
			END { exit !(ok && n > 0) }' "/proc/$c/status" 2>/dev/null && return 0
	done
	return 1
}
check "step 1, from outside: 2 workers allowed on CPU $one_cpu only" poll 30 children_on "$one_cpu"
check "step 1, from outside: /proc counts a pinned worker's involuntary switches" \
	poll 30 preempted_on_one
# (A step 1 worker is allowed every CPU for the moment between fork() and
# its sched_setaffinity(): look only once the demo has said step 2 began.)
in_step_two() { grep -q '"id":"all-cpus"' "$out" && children_on "$all_cpus"; }
check "step 2, from outside: 2 workers allowed on $all_cpus" poll 60 in_step_two
kill -s INT "$demo_pid"
wait_demo
check "SIGINT in step 2: the demo dies of it, and its workers within a second" \
	eval '[ "$rc" -eq 130 ] && poll 1 nothing_left'

# --- Options. ---
check "--workers 0 is refused" rejects multitask --workers 0
check "--workers 17 is refused" rejects multitask --workers 17
check "--runs 16 is refused" rejects multitask --runs 16
check "--work 0.01 is refused" rejects multitask --work 0.01
check "--work nan is refused" rejects multitask --work nan
check "--naps 4 is refused" rejects multitask --naps 4

run_demo multitask --quiet --speed 100 --workers 2
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-multitask: 8 of 8 checks held')" ]

# --- Nothing survives an interrupted run. ---
two_workers() { has_children "$demo_pid" 2; }
start_demo multitask --workers 2
poll 30 two_workers
kill -s TERM "$demo_pid"
wait_demo
check "SIGTERM: the demo dies of it, and its workers within a second" \
	eval '[ "$rc" -eq 143 ] && poll 1 nothing_left'

start_demo multitask --workers 2
poll 30 two_workers
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the parent: its workers end within a second" poll 1 nothing_left

finish
