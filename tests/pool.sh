#!/bin/sh
# pool.sh - proclab-pool maps over its inputs with worker processes that
# the kernel lists as its children, delivers every result once (in order
# when asked), survives workers that crash (reporting each poison input
# with its signal, and replacing the worker), measures against a thread
# pool without asserting on speed, validates its options, and leaves
# nothing behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 31

cores_before=$(ls core* 2>/dev/null | wc -l)

# --- One run in JSON, and what its events must say. ---
run_demo pool --json --speed 100
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "five steps, in the lesson's order" \
	steps_are "$json" "map,order,crash,small-large,verdict"

# Step 1: the map.
check "200 inputs in chunks of 25 (inputs / (4 x workers)): 8 chunks" \
	jq_is "$json" 'map(select(.event=="mapped"))[0] | "\(.inputs) \(.chunks) \(.ordered)"' "200 8 true"
check "the pool's checksum is the plain loop's" \
	jq_is "$json" 'map(select(.event=="mapped"))[0] | .checksum == .expected' true
check "the kernel listed 2 workers, children of the demo, asleep in a pipe read, 8 chunks between them" \
	jq_is "$json" '[.[] | select(.event=="kernel-worker" and .when=="map")] |
		length == 2 and all(.ppid == '"$main"' and .state == "S" and (.wchan|test("pipe_read")))
		and (map(.chunks) | add) == 8' true

# Step 2: ordered and unordered.
check "ordered: the first result is input 0, in input order; unordered holds nothing back" \
	jq_is "$json" '[.[] | select(.event=="order") | "\(.ordered):\(.input_order):\(.max_buffered == 0)"] | join(" ")' \
	"true:true:false false:false:true"
check "ordered: the first result is input 0" \
	jq_is "$json" 'map(select(.event=="order" and .ordered))[0].first_input' 0

# Step 3: crashes.
check "the poison inputs failed, each with its own signal" \
	jq_is "$json" '[.[] | select(.event=="input-failed") | "\(.input):\(.signal_name)"] | join(" ")' \
	"13:SIGSEGV 42:SIGABRT"
check "every worker that died is reported with a signal and the chunk it ran" \
	jq_is "$json" '[.[] | select(.event=="worker-died")] | length >= 2 and
		all(.signal_name == "SIGSEGV" or .signal_name == "SIGABRT") and all(.count >= 1)' true
check "the chunks holding 13 and 42 were split; the single inputs then failed on their own" \
	jq_is "$json" '[.[] | select(.event=="worker-died" and (.split|not)) | "\(.start)/\(.count)"] | sort | join(" ")' \
	"13/1 42/1"
check "after the crashes, 2 live workers, none of them a dead one" \
	jq_is "$json" '([.[] | select(.event=="worker-died") | .worker]) as $dead |
		[.[] | select(.event=="kernel-worker" and .when=="after-crash") | .worker] |
		length == 2 and all(. as $w | $dead | index($w) == null)' true

# Step 4: measured, not checked.
check "nine figures: three cases, three runners, each a positive median" \
	jq_is "$json" '[.[] | select(.event=="bench") | .median_s > 0] | "\(length) \(all)"' "9 true"
check "the acceptance figures are notes with a yes/no, not checks" \
	jq_is "$json" '[.[] | select(.event=="held") | .held | type] | "\(length) \(unique)"' '4 ["boolean"]'
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 9 and .failed == 0)' true
check "nothing left after a normal exit, and no core file" \
	eval 'nothing_left && [ "$(ls core* 2>/dev/null | wc -l)" -eq "$cores_before" ]'

# --- Other choices. ---
run_demo pool --json --speed 100 --order unordered --chunk 7 --inputs 50 --crash 3 --abort -1 --workers 3
check "--order unordered --chunk 7 --inputs 50 --crash 3 --abort -1 --workers 3: 8 chunks, 3 workers, only input 3 fails" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"mapped\"))[0] | \"\(.chunks) \(.ordered)\"" "8 false" &&
		jq_is "$out" "[.[] | select(.event==\"kernel-worker\" and .when==\"map\")] | length" 3 &&
		jq_is "$out" "[.[] | select(.event==\"input-failed\") | .input] | tostring" "[3]"'
run_demo pool --json --speed 100 --crash -1 --abort -1
check "--crash -1 --abort -1: no worker dies, every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"worker-died\")] | length" 0'

# --- From outside: the workers are children of the demo. ---
start_demo pool --json --speed 0.5
children_now() {
	seen=$(tr ' ' '\n' <"/proc/$demo_pid/task/$demo_pid/children" 2>/dev/null | grep . | sort -n | tr '\n' ' ')
	[ "$(echo $seen | wc -w)" -eq "$1" ]
}
check "ps sees 2 workers, children of the demo (from /proc, outside the demo)" poll 30 children_now 2
outside=$seen
wait_demo
check "the PIDs seen from outside are the workers the demo reported" \
	jq_is "$out" '[.[] | select(.event=="kernel-worker" and .when=="map") | .worker] | sort | map(tostring) | join(" ")' \
	"${outside% }"

# --- Options. ---
check "--workers 0 is refused" rejects pool --workers 0
check "--workers 17 is refused" rejects pool --workers 17
check "--chunk -1 is refused" rejects pool --chunk -1
check "--order sideways is refused" rejects pool --order sideways
check "--crash beyond the inputs is refused" rejects pool --inputs 10 --crash 10
check "--abort abc is refused" rejects pool --abort abc
check "--full with --work is refused" rejects pool --full --work 1

run_demo pool --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-pool: 9 of 9 checks held')" ]

# --- Nothing survives an interrupted run. ---
for sig in INT TERM; do
	start_demo pool --speed 0.5
	poll 30 children_now 2
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig with the workers idle: the demo dies of it, its workers within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

start_demo pool --speed 0.5
poll 30 children_now 2
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the pool: its workers end within a second" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left'

finish
