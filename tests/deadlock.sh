#!/bin/sh
# deadlock.sh - proclab-deadlock deadlocks every run, between processes and
# between threads, finds the cycle, recovers by a victim, shows the
# kernel's EDEADLK; each fix removes the deadlock; and nothing is left
# behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 34

# --- One run in JSON, and what its events must say. ---
run_demo deadlock --json --speed 100
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "three steps: processes, threads, fcntl" \
	jq_is "$json" '[.[] | select(.event=="step") | .id] | join(",")' "processes,threads,fcntl"
check "a cycle of two in each step" \
	jq_is "$json" '[.[] | select(.event=="cycle") | .length] | tostring' "[2,2,2]"
check "the processes' cycle names the two shopper processes and both locks" \
	jq_is "$json" '. as $e | map(select(.event=="cycle"))[0] | ((.tasks | sort) ==
		([$e[] | select(.event=="ended") | .task] | sort)) and
		((.locks | split(",") | sort) == ["mask","shop"])' true
check "the processes' cycle came from the board, the threads' from the locks" \
	jq_is "$json" '[.[] | select(.event=="cycle") | .source] | .[0:2] | join("|")' \
	"the status board|the locks' records"
check "every task in a cycle slept in the kernel (state S)" \
	jq_is "$json" '[.[] | select(.event=="blocked") | .state] | join("")' "SSSS"
check "the processes were not the demo's threads; the threads were (/proc/self/task)" \
	jq_is "$json" '[.[] | select(.event=="blocked") | .thread_of_demo] | tostring' \
	"[false,false,true,true]"
check "the process victim was killed by SIGKILL; the other exited 0" \
	jq_is "$json" '. as $e | ($e | map(select(.event=="victim"))[0].task) as $v |
		[$e[] | select(.event=="ended") | if .task == $v then .status == 9 else .status == 0 end] | all' true
check "the survivor got the dead victim's robust mutex (EOWNERDEAD) and shopped" \
	jq_is "$json" '[.[] | select(.event=="shopper")][0:2] | map(select(.shopped and .owner_died == 1)) | length' 1
check "the thread victim restarted once, and both threads shopped" \
	jq_is "$json" '[.[] | select(.event=="shopper")][2:4] |
		(map(.shopped) | all) and (map(.restarts) | add) == 1' true
check "fcntl: /proc/locks listed one waiter (->)" \
	jq_is "$json" '[.[] | select(.event=="proc-locks" and .waiting)] | length' 1
check "fcntl: the kernel answered EDEADLK" \
	jq_is "$json" 'map(select(.event=="edeadlk"))[0].error' EDEADLK
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 10 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left
# Only this run's board: a dashboard test running alongside may own one.
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "no board left in /dev/shm" [ "$(boards_of "$main")" -eq 0 ]

# --- The kernel's view from outside, while the processes are deadlocked. ---
start_demo deadlock --json --speed 0.5 --tasks processes
both_stuck() {
	set -- $(token_children_of "$demo_pid")
	[ $# -eq 2 ] || return 1
	for p; do
		grep -q '^State:.*S (sleeping)' "/proc/$p/status" 2>/dev/null || return 1
		grep -q futex "/proc/$p/wchan" 2>/dev/null || return 1
	done
}
check "ps: two children of the demo asleep on a futex (from /proc, outside)" poll 30 both_stuck
outside=$(token_children_of "$demo_pid" | sort -n | tr '\n' ' ')
# Any waiter line of ours: other tests' waiters (a lab's deadlocked
# philosophers, the filelock demo) may be listed too, even first.
waiter_listed() {
	awk '$2 == "->" { print $6 }' /proc/locks >"$WORK/waiters"
	token_children_of "$demo_pid" | grep -qxF -f "$WORK/waiters"
}
check "/proc/locks (read from outside) shows a shopper waiting for a byte" poll 30 waiter_listed
wait_demo
check "the deadlocked PIDs seen from outside are the ones the cycle named" \
	jq_is "$out" 'map(select(.event=="cycle"))[0].tasks | sort | map(tostring) | join(" ")' \
	"${outside% }"
check "that run passed too" [ "$rc" -eq 0 ]

# --- Each fix removes the deadlock, for processes and threads. ---
run_demo deadlock --json --speed 100 --order
check "--order: no cycle seen, both shopped, nobody backed off" \
	jq_is "$out" '[.[] | select(.event=="watched") | .cycles] == [0,0] and
		([.[] | select(.event=="shopper") | .shopped] | all) and
		([.[] | select(.event=="shopper") | .backoffs + .timeouts + .restarts] | add) == 0 and
		(map(select(.event=="summary"))[0].failed == 0)' true
run_demo deadlock --json --speed 100 --trylock
check "--trylock: a busy lock made a shopper let go; no cycle; both shopped" \
	jq_is "$out" '[.[] | select(.event=="watched") | .cycles] == [0,0] and
		([.[] | select(.event=="shopper") | .shopped] | all) and
		([.[] | select(.event=="shopper") | .backoffs] | add) >= 2 and
		(map(select(.event=="summary"))[0].failed == 0)' true
run_demo deadlock --json --speed 100 --timeout
check "--timeout: a timeout broke the cycle in each run; both shopped" \
	jq_is "$out" '([.[] | select(.event=="shopper") | .shopped] | all) and
		([.[] | select(.event=="shopper") | .timeouts] | add) >= 2 and
		(map(select(.event=="summary"))[0].failed == 0)' true
check "no fcntl step with a fix" \
	jq_is "$out" '[.[] | select(.event=="step") | .id] | join(",")' "processes,threads"

run_demo deadlock --json --speed 100 --tasks threads --bench
check "--bench: times a bare mutex and pl_lock without a board" \
	jq_is "$out" 'map(select(.event=="cost"))[0] | .bare_ns > 0 and .pl_lock_ns > 0' true

# --- Options. ---
check "--tasks other is refused" rejects deadlock --tasks fibres
check "--tasks empty is refused" rejects deadlock --tasks ''
check "two fixes at once are refused" rejects deadlock --order --trylock
check "--timeout with a value is refused" rejects deadlock --timeout=5

run_demo deadlock --quiet --speed 100 --tasks processes
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-deadlock: 7 of 7 checks held')" ]

# --- Nothing survives an interrupted deadlock. ---
for sig in INT TERM; do
	start_demo deadlock --tasks processes --speed 0.2
	poll 30 both_stuck
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig mid-deadlock: the demo dies of it, its shoppers within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

start_demo deadlock --tasks processes --speed 0.2
poll 30 both_stuck
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the parent mid-deadlock: its shoppers end within a second" poll 1 nothing_left
check "and it left no board in /dev/shm" [ "$(boards_of "$demo_pid")" -eq 0 ]

start_demo deadlock --tasks threads --speed 0.2
threads_stuck() { [ "$(ls "/proc/$demo_pid/task" 2>/dev/null | wc -l)" -ge 3 ]; }
poll 30 threads_stuck
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while the threads are deadlocked: it ends at once" \
	eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'

finish
