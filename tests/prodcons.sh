#!/bin/sh
# prodcons.sh - proclab-prodcons shows consumers and producers asleep in a
# futex wait (in its events, and in /proc/PID/task from outside), the `if`
# consumer taking from an empty buffer, the `while` fix losing and
# duplicating nothing; validates its options; and leaves nothing behind.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 25

# --- One run in JSON, and what its events must say. ---
run_demo prodcons --json --speed 100
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "five steps, in the lesson's order" \
	steps_are "$json" "wait-on-empty,stolen-wakeup,wait-on-full,while-fix,long-run"

# Steps 1 and 2: three consumers asleep, one item, one broadcast.
check "the kernel showed 3 consumers asleep (S) in a futex wait" \
	jq_is "$json" '[.[] | select(.event=="thread-state" and (.thread | startswith("consumer")))][0:3] |
		map(.state == "S" and (.wchan | test("futex"))) | "\(length) \(all)"' "3 true"
check "the consumers are threads: three TIDs, none the process's PID" \
	jq_is "$json" '(map(select(.event=="step"))[0].pid) as $main |
		[.[] | select(.event=="thread-state")][0:3] | map(.tid) |
		(unique | length == 3) and (map(. != $main) | all)' true
check "with if, one consumer took the item and two took from an empty buffer" \
	jq_is "$json" '[.[] | select(.event=="consumer")] |
		"\(map(select(.took)) | length) \(map(select(.underflow)) | length)"' "1 2"
check "the outcome counts the same: 1 took, 2 underflows, buffer still empty" \
	jq_is "$json" 'map(select(.event=="outcome"))[0] | "\(.took) \(.underflows) \(.count)"' "1 2 0"

# Step 3: a full buffer.
check "the producer slept (S, futex) with the buffer full" \
	jq_is "$json" '[.[] | select(.event=="thread-state" and .thread=="producer-1")][0] |
		.state == "S" and (.wchan | test("futex"))' true

# Step 4: while.
check "with while, the two that found the buffer empty were asleep again" \
	jq_is "$json" '(map(select(.event=="step" and .id=="while-fix"))[0].t) as $t |
		[.[] | select(.event=="thread-state" and .t > $t)] |
		map(.state == "S" and (.wchan | test("futex"))) | "\(length) \(all)"' "2 true"

# Step 5: the long runs.
check "the if run broke: an underflow or overflow, and not every item consumed" \
	jq_is "$json" 'map(select(.event=="broken-run"))[0] |
		.underflows + .overflows > 0 and .consumed < 40000' true
check "the while run: 40000 produced and consumed, none missing, none twice" \
	jq_is "$json" 'map(select(.event=="fixed-run"))[0] |
		"\(.produced) \(.consumed) \(.missing) \(.duplicated)"' "40000 40000 0 0"
check "the while run's checksum is 0 + 1 + ... + 39999" \
	jq_is "$json" 'map(select(.event=="fixed-run"))[0] | .sum == .expected_sum and
		.sum == 799980000' true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 10 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# Other shapes.
run_demo prodcons --json --speed 100 --consumers 5 --size 1 --producers 3 --items 5000
check "--consumers 5: 4 underflows; --size 1: all 15000 items, once each" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"outcome\"))[0].underflows" 4 &&
		jq_is "$out" "map(select(.event==\"fixed-run\"))[0] |
			\"\(.consumed) \(.missing) \(.duplicated)\"" "15000 0 0"'
run_demo prodcons --json --speed 100 --consumers 1 --items 1000
check "--consumers 1: nobody can steal the item, no claim, status 0" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"outcome\"))[0].underflows" 0'

# --- The kernel's view from outside the demo. ---
# Threads named consumer-N, each asleep (S) in a futex wait.
consumers_asleep() {
	n=0
	for t in /proc/"$demo_pid"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in consumer-*) ;; *) continue ;; esac
		state=$(awk '{ sub(/.*\) /, ""); print $1 }' "$t/stat" 2>/dev/null)
		[ "$state" = S ] && grep -q futex "$t/wchan" 2>/dev/null && n=$((n + 1))
	done
	[ "$n" -eq 3 ]
}
start_demo prodcons --json --speed 0.5
check "/proc/PID/task: consumer-1..3 asleep in a futex wait, seen from outside" \
	poll 30 consumers_asleep
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while the consumers wait: the demo dies of it, nothing left" \
	eval '[ "$rc" -eq 130 ] && poll 1 nothing_left'
start_demo prodcons --speed 0.5
poll 30 consumers_asleep
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL: gone, threads and all" eval '[ "$rc" -eq 137 ] && poll 1 nothing_left'

# --- Options. ---
check "--consumers 0 is refused" rejects prodcons --consumers 0
check "--consumers 17 is refused" rejects prodcons --consumers 17
check "--producers abc is refused" rejects prodcons -p abc
check "--items 0 is refused" rejects prodcons --items 0
check "--size 65 is refused" rejects prodcons --size 65
check "too many items in all is refused" rejects prodcons --producers 2 --items 1000000

run_demo prodcons --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-prodcons: 10 of 10 checks held')" ]

finish
