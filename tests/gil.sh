#!/bin/sh
# gil.sh - proclab-gil runs its lock model under both policies, unpinned and
# pinned, against processes and threads with no lock, and the convoy; every
# run has one holder at a time and the right checksum; the threads and the
# processes are seen from /proc outside the demo; options are validated and
# nothing is left behind. It never asserts on speed: the figures are
# measurements, and this machine is busy.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 35

# --- One run in JSON, and what its events must say. ---
run_demo gil --json --speed 100
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "six steps, in the lesson's order" \
	steps_are "$json" "the-model,threads,pinned,processes,convoy,verdict"
check "the sizing: a positive tick cost and job, 2 threads, 3 repeats" \
	jq_is "$json" 'map(select(.event=="sizing"))[0] | .tick_ns > 0 and .job_ticks >= 2000 and
		.repeats == 3' true

# The cases: each policy unpinned and pinned, then processes and free threads.
check "the cases, in order" \
	jq_is "$json" '[.[] | select(.event=="case") | "\(.case)/\(.pinned)"] | join(",")' \
	"old, 1 thread/false,old, 2 threads/false,new, 1 thread/false,new, 2 threads/false,old, 1 thread/true,old, 2 threads/true,new, 1 thread/true,new, 2 threads/true,1 thread/false,2 processes/false,2 threads, no lock/false"
check "every run of every case ended on the reference checksum" \
	jq_is "$json" '[.[] | select(.event=="case") | .right == .runs and .runs == 3] | all' true
check "never two holders: no violation in any case" \
	jq_is "$json" '[.[] | select(.event=="case") | .violations] | add' 0
check "the lock was taken in every case that has one, and changed hands at most once an acquisition" \
	jq_is "$json" '[.[] | select(.event=="case" and .policy != "none") |
		.acquisitions > 0 and .switches <= .acquisitions] | all' true
check "new policy: handoffs never outnumber drop requests; old policy: neither happens" \
	jq_is "$json" '[.[] | select(.event=="case") |
		if .policy=="new" then .handoffs <= .drop_requests
		else .handoffs == 0 and .drop_requests == 0 end] | all' true
check "the old policy releases every 100 ticks: acquisitions grow with the job" \
	jq_is "$json" '(map(select(.event=="sizing"))[0].job_ticks) as $t |
		[.[] | select(.event=="case" and .policy=="old" and (.case|test("threads"))) |
			.acquisitions >= ($t / 100 * 3)] | all' true
check "speedups and medians are positive numbers" \
	jq_is "$json" '[.[] | select(.event=="case") | .median_s > 0 and .speedup > 0] | all' true

# The kernel's view from inside: threads are tasks of the demo, processes its children.
check "each threaded case reports 2 threads with distinct TIDs, none the main thread" \
	jq_is "$json" '[.[] | select(.event=="worker" and (.case|test("threads")))] | group_by([.case, .pinned]) |
		map(length == 2 and (map(.tid) | unique | length) == 2 and (map(.tid) | any(. == '"$main"') | not)) | all' true
check "pinned: every thread was allowed one CPU only, the step's, and ran there" \
	jq_is "$json" '(map(select(.event=="step" and .id=="pinned"))[0].cpu) as $c |
		[.[] | select(.event=="worker" and .pinned)] |
		length == 4 and all(.cpus_allowed == "\($c)" and .cpu == $c)' true
check "the processes: two, distinct from the demo" \
	jq_is "$json" '[.[] | select(.event=="worker" and .case=="2 processes") | .tid] |
		length == 2 and (any(. == '"$main"') | not)' true

# The convoy.
check "the convoy: no lock, old policy, new policy, each with wake-ups and no violation" \
	jq_is "$json" '[.[] | select(.event=="convoy") | "\(.case):\(.samples > 0):\(.violations)"] | join(",")' \
	"no lock:true:0,old policy:true:0,new policy:true:0"
check "the convoy's latencies are numbers, p99 >= median" \
	jq_is "$json" '[.[] | select(.event=="convoy") | .median_us >= 0 and .p99_us >= .median_us] | all' true

# The verdict is reported, never checked.
check "the acceptance figures are notes with a yes/no, not checks" \
	jq_is "$json" '[.[] | select(.event=="held") | .held | type] | "\(length) \(unique)"' '8 ["boolean"]'
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 9 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

run_demo gil --json --speed 100 --policy new --threads 3
check "--policy new --threads 3: only new-policy cases, three threads each, all checks held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"case\") | .policy] | unique | join(\",\")" "new,none,own" &&
		jq_is "$out" "[.[] | select(.event==\"worker\" and .case==\"new, 3 threads\")] | length" 6 &&
		jq_is "$out" "[.[] | select(.event==\"held\")] | length" 4'

# --- From outside: the threads in /proc/PID/task, the processes as children. ---
start_demo gil --json --policy new --threads 3 --work 0.5 --repeats 1
# worker_threads N: the demo has N threads named gil-worker (comm), now.
seen_threads=""
worker_threads() {
	seen_threads=$(grep -lx gil-worker /proc/"$demo_pid"/task/*/comm 2>/dev/null |
		sed 's|.*/task/\([0-9]*\)/comm|\1|' | sort -n | tr '\n' ' ')
	[ "$(echo $seen_threads | wc -w)" -eq "$1" ]
}
check "/proc/PID/task shows 3 gil-worker threads of the demo at once" poll 60 worker_threads 3
# children_now N: the kernel lists N children of the demo, now (the
# children file of its main thread: cheaper than a scan of /proc).
seen_children=""
children_now() {
	seen_children=$(tr ' ' '\n' <"/proc/$demo_pid/task/$demo_pid/children" 2>/dev/null |
		grep . | sort -n | tr '\n' ' ')
	[ "$(echo $seen_children | wc -w)" -eq "$1" ]
}
check "ps sees 3 interpreter processes, children of the demo" poll 60 children_now 3
wait_demo
check "the demo reported the threads seen from outside" \
	jq_is "$out" '[.[] | select(.event=="worker" and .case=="new, 3 threads" and (.pinned|not)) | .tid] | sort | map(tostring) | join(" ")' \
	"${seen_threads% }"
check "the demo reported the processes seen from outside" \
	jq_is "$out" '[.[] | select(.event=="worker" and .case=="3 processes") | .tid] | sort | map(tostring) | join(" ")' \
	"${seen_children% }"

# --- Options. ---
check "--threads 1 is refused" rejects gil --threads 1
check "--threads 17 is refused" rejects gil --threads 17
check "--policy sideways is refused" rejects gil --policy sideways
check "--switch-interval 0 is refused" rejects gil --switch-interval 0
check "--check-interval abc is refused" rejects gil -c abc
check "--work 0 is refused" rejects gil --work 0
check "--full with --repeats is refused" rejects gil --full --repeats 2

run_demo gil --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-gil: 9 of 9 checks held')" ]

# --- Nothing survives an interrupted run. ---
for sig in INT TERM; do
	start_demo gil --policy new --work 1 --repeats 1
	poll 60 worker_threads 2
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig with the threads under the lock: the demo dies of it, nothing left" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

# SIGKILL cannot be caught: PR_SET_PDEATHSIG takes the processes along.
start_demo gil --policy new --work 0.5 --repeats 1
poll 60 children_now 2
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL while the processes run: they end within a second" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left'

finish
