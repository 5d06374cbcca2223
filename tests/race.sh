#!/bin/sh
# race.sh - proclab-race loses updates without a lock, on every CPU and on
# one, in its events and as /proc shows its threads and workers from
# outside; the fixes lose none; its options are validated; and it leaves
# nothing behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 36

# --- One run in JSON, and what its events must say. ---
run_demo race --json --speed 100 --single-cpu --runs 5
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "five steps, in the lesson's order" \
	steps_are "$json" "threads-race,processes-race,fixes,single-cpu,give-up-cpu"
check "every run adds up: got + lost = expected, got <= expected" \
	jq_is "$json" '(map(select(.event=="step" and .id=="single-cpu"))[0].increments) as $n |
		[.[] | select(.event=="run") |
		.got + .lost == .expected and .got <= .expected and
		.expected == (if .mode == "single-cpu" then 2 * $n else 200000 end)] |
		"\(length) \(all)"' "15 true"

# Step 1: threads, one on each CPU.
check "two threads of the demo's own process, each with its own TID" \
	jq_is "$json" '[.[] | select(.event=="thread-view")][0:2] | map(.tid) |
		(unique | length == 2) and (map(. != '"$main"') | all)' true
allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
check "in step 1 each thread may use every CPU the test may use ($allowed)" \
	jq_is "$json" '[.[] | select(.event=="thread-view")][0:2] |
		map(.cpus_allowed == "'"$allowed"'" and .last_cpu >= 0) | all' true
check "threads lost updates in nearly every run (at least 4 of 5)" \
	jq_is "$json" '[.[] | select(.event=="run" and .mode=="threads" and .lost > 0)] |
		length >= 4' true

# Step 4: pinned to one CPU, only preemption interleaves them.
check "--single-cpu: both threads may use, and ran on, the same one CPU" \
	jq_is "$json" '(map(select(.event=="step" and .id=="single-cpu"))[0].cpu | tostring) as $c |
		[.[] | select(.event=="thread-view")][2:4] |
		map(.cpus_allowed == $c and .cpus_seen == $c) | all' true
check "--single-cpu: every run on that one CPU, collisions <= involuntary switches" \
	jq_is "$json" '[.[] | select(.event=="run" and .mode=="single-cpu") |
		(.cpus | test("^[0-9]+$")) and .collisions <= .involuntary] | "\(length) \(all)"' \
	"5 true"
check "--single-cpu: runs stretched to at least the asked increments, and said so" \
	jq_is "$json" '(map(select(.event=="step" and .id=="single-cpu"))[0].increments) as $n |
		$n >= 100000 and $n <= 500000 and ($n == 100000 or
		(map(select(.event=="stretched" and .increments == $n and .asked == 100000)) |
		length == 1))' true
check "--single-cpu: updates still lost, in at least 4 of 5 runs" \
	jq_is "$json" '[.[] | select(.event=="run" and .mode=="single-cpu" and .lost > 0)] |
		length >= 4' true
# Fewer collisions pinned is what a quiet machine shows, but a busy one can
# give the free threads a single CPU too: the demo reports it, with the two
# totals, and the test checks the report is true to them.
check "--single-cpu: compares its collisions with the free threads' and says which held" \
	jq_is "$json" '. as $e | ($e | map(select(.event=="loss-rate")) |
		map({(.mode): .total_collisions}) | add) as $t |
		[$e[] | select(.event=="less-often")][0] |
		.pinned == $t["single-cpu"] and .free == $t.threads and
		.held == (.pinned < .free)' true

# Step 5: giving up the CPU. __schedule() counts a switch as voluntary
# only when the task left TASK_RUNNING: sched_yield() does not, usleep()
# does. Two threads on one CPU, so that each yield has a thread to go to.
check "--single-cpu: sched_yield() raised nonvoluntary_ctxt_switches, not voluntary" \
	jq_is "$json" '[.[] | select(.event=="gave-up" and .call=="sched_yield()") |
		.counted and .calls == 1000 and .involuntary >= 500 and .voluntary < .involuntary] |
		"\(length) \(all)"' "2 true"
check "--single-cpu: usleep() raised voluntary_ctxt_switches, not nonvoluntary" \
	jq_is "$json" '[.[] | select(.event=="gave-up" and .call=="usleep(1)") |
		.counted and .calls == 1000 and .voluntary >= 500 and .involuntary < .voluntary] |
		"\(length) \(all)"' "2 true"

# Step 2: processes.
check "processes lost updates in nearly every run (at least 4 of 5)" \
	jq_is "$json" '[.[] | select(.event=="run" and .mode=="processes" and .lost > 0)] |
		length >= 4' true

# Step 3: the fixes, and their cost.
check "mutex, semaphore and atomic lost nothing; no lock lost; each was timed" \
	jq_is "$json" '[.[] | select(.event=="fix") |
		"\(.method):\(.lost + .bare_lost == 0):\(.median_seconds > 0 and .bare_ns > 0)"] |
		join(" ")' "no lock:false:true mutex:true:true semaphore:true:true atomic:true:true"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 10 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# One worker cannot race; with no window there is no claim to make.
run_demo race --json --speed 100 --workers 1 --runs 2 --increments 5000
check "--workers 1: nothing lost, no claim, status 0" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"run\") | .lost] | add" 0 &&
		jq_is "$out" "[.[] | select(.event==\"too-small\")] | length" 2'
run_demo race --json --speed 100 --window 0 --runs 2
check "--window 0: counter++ left to luck, no claim, status 0" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"too-small\")] | length" 2'

# --- The kernel's view from outside the demo. ---
# The demo's worker threads (named worker-N), as /proc/PID/task lists them.
# (Not every other thread: a sanitizer may run one of its own.)
tasks_of() {
	for t in /proc/"$1"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in worker-*) echo "${t##*/}" ;; esac
	done
}
two_threads() {
	[ "$(tasks_of "$demo_pid" | wc -l)" -eq 2 ] && tasks_of "$demo_pid" | sort -n >"$WORK/tids"
}
allowed_list() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/task/$2/status" 2>/dev/null; }
# Two threads of the demo allowed on one and the same CPU.
pinned_together() {
	for t in $(tasks_of "$demo_pid"); do allowed_list "$demo_pid" "$t"; done |
		grep -v '[,-]' | sort | uniq -d | grep -q .
}
start_demo race --json --speed 0.5 --single-cpu --runs 1
check "/proc/PID/task: two threads named worker-N, at the start line" poll 30 two_threads
seen_workers() { has_children "$demo_pid" 2; }
check "ps: two worker processes of the demo in step 2" poll 30 seen_workers
check "/proc/PID/task/TID/status: two threads pinned to the same CPU in step 4" \
	poll 30 pinned_together
wait_demo
check "the TIDs seen from outside are the ones the demo reported" \
	jq_is "$out" '[.[] | select(.event=="thread-view")][0:2] | map(.tid) | sort |
		map(tostring) | join(" ")' "$(tr '\n' ' ' <"$WORK/tids" | sed 's/ $//')"

# --- Nothing survives an interrupted run. ---
for sig in INT TERM; do
	start_demo race --speed 0.5 --runs 1
	poll 30 seen_workers
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig in step 2: the demo dies of it, its workers within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done
start_demo race --speed 0.5 --runs 1
poll 30 seen_workers
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the parent: its workers end within a second" poll 1 nothing_left

# --- Options. ---
check "--workers 0 is refused" rejects race --workers 0
check "--workers 17 is refused" rejects race --workers 17
check "--workers abc is refused" rejects race -n abc
check "--increments 0 is refused" rejects race --increments 0
check "--runs 51 is refused" rejects race --runs 51
check "--window 5001 is refused" rejects race --window 5001
check "too many increments in all is refused" rejects race --workers 16 --increments 100000
check "too many spins in all is refused" rejects race --workers 4 --increments 100000 --window 5000
check "--single-cpu takes no value" rejects race --single-cpu=yes

run_demo race --quiet --speed 100 --runs 3
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-race: 5 of 5 checks held')" ]

finish
