#!/bin/sh
# queue.sh - proclab-queue proves its claims, in its events, in /dev/mqueue,
# /dev/shm and /proc; validates its options; and leaves no process, queue
# or segment behind however it ends, SIGINT and SIGKILL included.

# /dev/mqueue is where the kernel lists message queues, but only where it
# is mounted. If it is not, run this test in a private mount namespace
# with it mounted (that needs privilege; the demo itself never does). The
# mount is gone with the namespace when the test ends.
mq_mounted() { awk '$2 == "/dev/mqueue" && $3 == "mqueue" { f = 1 } END { exit !f }' /proc/self/mounts; }
if ! mq_mounted && [ -z "${QUEUE_TEST_IN_NS:-}" ] && unshare --mount true 2>/dev/null; then
	QUEUE_TEST_IN_NS=1
	export QUEUE_TEST_IN_NS
	exec unshare --mount sh -c 'mount -t mqueue none /dev/mqueue 2>/dev/null; exec sh "$0"' "$0"
fi

. "$top_srcdir/tests/lib.sh"
need_jq
plan 47

mounted=false
mq_mounted && mounted=true
[ "$mounted" = true ] || diag "/dev/mqueue is not mounted: the listing checks are skipped"
# check_if_mounted DESCRIPTION COMMAND...: a check, or a TAP skip.
check_if_mounted() {
	if [ "$mounted" = true ]; then
		check "$@"
	else
		tap_count=$((tap_count + 1))
		echo "ok $tap_count # SKIP $1 (/dev/mqueue not mounted)"
	fi
}

# The names of the demo with PID $1: /proclab-queue-PID-START-RANDOM in
# /dev/mqueue (and -queue-two- for step 6's queue), -queue-ring- in
# /dev/shm (lib/pl_name.h). names_of PID lists them all.
name_re='[0-9][0-9]*-[0-9]\{16\}'
names_of() {
	ls /dev/mqueue /dev/shm 2>/dev/null | grep "^proclab-queue-\(ring-\|two-\)\{0,1\}$1-$name_re\$"
}
queue_of() { echo "/dev/mqueue/$(ls /dev/mqueue 2>/dev/null | grep "^proclab-queue-$1-$name_re\$")"; }
ring_of() { echo "/dev/shm/$(ls /dev/shm 2>/dev/null | grep "^proclab-queue-ring-$1-$name_re\$")"; }

# Every demo PID of this test, to look for its names at the end.
all_pids=
start_queue() {
	start_demo queue "$@"
	all_pids="$all_pids $demo_pid"
}
none_left_of_ours() {
	for p in $all_pids; do
		[ -z "$(names_of "$p")" ] || { diag "left: $(names_of "$p")"; return 1; }
	done
	return 0
}
msg_max=$(cat /proc/sys/fs/mqueue/msg_max)

# --- One run in JSON, and what its events must say. ---
run_demo queue --json --speed 100
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
all_pids=$main
if [ "$mounted" = true ]; then checks=16; else checks=15; fi
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "seven steps, in the lesson's order" \
	steps_are "$json" "mq-open,mq-backpressure,mq-drain,ring-backpressure,ring-drain,queue-vs-pipe,nothing-left"

# Step 1: the queue, its limits, and its place in /dev/mqueue.
check "it shows the kernel's msg_max, and asks for 8 messages" \
	jq_is "$json" 'map(select(.event=="limits"))[0] | "\(.msg_max) \(.depth)"' "$msg_max 8"
check "mq_getattr: 8 messages of 16 bytes, none queued" \
	jq_is "$json" 'map(select(.event=="mq-attributes"))[0] | "\(.maxmsg) \(.msgsize) \(.curmsgs)"' \
	"8 16 0"
check_if_mounted "/dev/mqueue listed proclab-queue-PID-START-RANDOM, mode 0600, QSIZE 0" \
	jq_is "$json" 'map(select(.event=="in-dev-mqueue"))[0] |
		(.name | test("^proclab-queue-'"$main"'-[0-9]+-[0-9]{16}$")) and
		"\(.listed) \(.mode) \(.kernel | split(" ")[0])" == "true 0600 QSIZE:0"' true

# Step 2: backpressure over the queue.
check "all 5 workers opened the queue by name" \
	jq_is "$json" 'map(select(.event=="opened-by-name" and .queue=="mq"))[0] | "\(.opened)/\(.processes)"' \
	"5/5"
check "3 distinct producers slept (S) in the kernel's mq send path" \
	jq_is "$json" '[.[] | select(.event=="blocked" and .queue=="mq" and .state=="S" and
		(.wchan | test("mq|wq_sleep")))] | map(.producer) | unique | length' 3
check "the queue was full: 8 of 8, and the kernel's QSIZE was 8 x 16 bytes" \
	jq_is "$json" 'map(select(.event=="full" and .queue=="mq"))[0] | "\(.curmsgs) \(.maxmsg) \(.qsize)"' \
	"8 8 128"

# Step 3: every message once.
check "two consumers received 3000 messages between them" \
	jq_is "$json" '[.[] | select(.event=="consumer" and .queue=="mq")] |
		"\(length) \(map(.received) | add) \(map(.consumer) | unique | length)"' "2 3000 2"
check "the queue's tally: sum 1..3000, none lost, none duplicated, none torn or reordered" \
	jq_is "$json" 'map(select(.event=="tally" and .queue=="mq"))[0] |
		"\(.received) \(.sum == .expected_sum) \(.expected_sum) \(.lost) \(.duplicates) \(.wrong_size) \(.out_of_order)"' \
	"3000 true 4501500 0 0 0 0"

# Steps 4-5: the same over the semaphore-guarded ring.
check "the ring's segment was in /dev/shm, mode 0600, its name ending in random digits" \
	jq_is "$json" 'map(select(.event=="in-dev-shm"))[0] |
		(.name | test("^proclab-queue-ring-'"$main"'-[0-9]+-[0-9]{16}$")) and
		"\(.listed) \(.mode)" == "true 0600"' true
check "3 distinct producers slept (S) in a futex wait" \
	jq_is "$json" '[.[] | select(.event=="blocked" and .queue=="ring" and .state=="S" and
		(.wchan | test("futex")))] | map(.producer) | unique | length' 3
check "the ring was full: empty 0, full 8" \
	jq_is "$json" 'map(select(.event=="full" and .queue=="ring"))[0] | "\(.empty) \(.full)"' "0 8"
check "the ring's tally: sum 1..3000, none lost, none duplicated, none reordered" \
	jq_is "$json" 'map(select(.event=="tally" and .queue=="ring"))[0] |
		"\(.received) \(.sum) \(.lost) \(.duplicates) \(.wrong_size) \(.out_of_order)"' \
	"3000 4501500 0 0 0 0"

# Step 6: boundaries against a stream.
check "queue: two messages came back as 5 and 7 bytes; a short buffer was refused" \
	jq_is "$json" 'map(select(.event=="mq-boundaries"))[0] | "\(.first) \(.second) \(.small_refused)"' \
	"5 7 true"
check "pipe: 5 + 7 bytes came out as one read of 12; 5 as 3 then 2" \
	jq_is "$json" 'map(select(.event=="pipe-stream"))[0] | "\(.merged) \(.split) \(.rest)"' "12 3 2"
check "the queue had 6 ends; the pipe two, one read-only and one write-only" \
	jq_is "$json" '(map(select(.event=="mq-ends"))[0].ends | tostring) + " " +
		(map(select(.event=="pipe-ends"))[0] | "\(.read_only) \(.write_only)")' "6 true true"

# Step 7 and the summary.
check "at the end the kernel knew neither name (ENOENT), and neither was listed" \
	jq_is "$json" '[.[] | select(.event=="mq-after" or .event=="ring-after") |
		"\(.enoent) \(.listed)"] | join(",")' "true false,true false"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == '"$checks"' and .failed == 0)' true
check "nothing left after a normal exit: no process, no queue, no segment" \
	eval 'nothing_left && [ -z "$(names_of "$main")" ]'

# --- The kernel's view from outside the demo. ---
start_queue --json --speed 0.5
listed() { [ -f "$(queue_of "$demo_pid")" ]; }
said() { grep -q "\"event\":\"$1\"" "$out"; }
step1_said() { said in-dev-mqueue; }
if [ "$mounted" = true ]; then
	check "ls sees the queue in /dev/mqueue while the demo runs" poll 30 listed
	check "cat and stat, from outside: QSIZE:0, mode 600" \
		eval '[ "$(cut -d" " -f1 "$(queue_of "$demo_pid")")" = "QSIZE:0" ] &&
			[ "$(stat -c %a "$(queue_of "$demo_pid")")" = 600 ]'
else
	poll 30 step1_said
	check_if_mounted "ls sees the queue in /dev/mqueue while the demo runs" false
	check_if_mounted "cat and stat, from outside: QSIZE:0, mode 600" false
fi
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while the name exists: the handler removes it, the demo dies of SIGINT" \
	eval '[ "$rc" -eq 130 ] && poll 1 nothing_left && ! listed'

# Producers blocked, as ps would see them: state S and where they sleep.
# Prints how many children of the demo sleep in a wchan matching $1.
asleep_in() {
	n=0
	for c in $(token_children_of "$demo_pid"); do
		st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$c/stat" 2>/dev/null)
		[ "$st" = S ] && grep -qE "$1" "/proc/$c/wchan" 2>/dev/null && n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}
mq_blocked() { asleep_in 'mq|wq_sleep' && ! listed; }
ring_blocked() { asleep_in futex && [ ! -f "$(ring_of "$demo_pid")" ]; }

start_queue --speed 0.5
check "from outside: 3 producers sleep in the mq send path, the name already unlinked" \
	poll 30 mq_blocked
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL then: the demo dies of it, its children within a second, nothing left" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left && none_left_of_ours'

start_queue --speed 0.5
check "from outside: 3 producers sleep in a futex wait on the ring, its name unlinked" \
	poll 30 ring_blocked
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL then: the demo dies of it, its children within a second, nothing left" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left && none_left_of_ours'

start_queue --speed 0.5
poll 30 mq_blocked
kill -s TERM "$demo_pid"
wait_demo
check "SIGTERM while producers block: the demo dies of it, nothing left" \
	eval '[ "$rc" -eq 143 ] && poll 1 nothing_left && none_left_of_ours'

# --- Other shapes, and a system with no queue for us. ---
run_demo queue --json --speed 100 --producers 1 --consumers 1 --depth 1 --messages 2
check "one producer, one consumer, a queue of one: every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"tally\") | .received] | join(\" \")" "2 2"'
run_demo queue --json --speed 100 --producers 8 --consumers 8 --depth "$msg_max" --messages 500
check "8 producers, 8 consumers, depth msg_max: 4000 messages each way, every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"tally\") | .received] | join(\" \")" "4000 4000"'
if command -v prlimit >/dev/null 2>&1; then
	out="$WORK/out.nomq"
	env PROCLAB_TEST_TOKEN="$TOKEN" prlimit --msgqueue=0 "$(demo_bin queue)" --json --speed 100 \
		>"$out" 2>"$WORK/err.nomq" </dev/null
	rc=$?
	check "RLIMIT_MSGQUEUE 0: mq_open fails, the queue steps are skipped, the ring runs, status 0" \
		eval '[ "$rc" -eq 0 ] && jq_is "$out" "(map(select(.event==\"mq-skipped\")) | length > 0) and
			(map(select(.event==\"summary\"))[0] | .checks == 8 and .failed == 0)" true'
else
	tap_count=$((tap_count + 1))
	echo "ok $tap_count # SKIP RLIMIT_MSGQUEUE 0 (no prlimit)"
fi

# --- Options. ---
check "--producers 0 is refused" rejects queue --producers 0
check "--producers 9 is refused" rejects queue --producers 9
check "--producers abc is refused" rejects queue -p abc
check "--consumers 0 is refused" rejects queue --consumers 0
check "--consumers 9 is refused" rejects queue -c 9
check "--messages 1 is refused" rejects queue --messages 1
check "--messages overflow is refused" rejects queue --messages=99999999999999999999
check "--depth 0 is refused" rejects queue --depth 0
check "--depth above msg_max is refused" rejects queue --depth $((msg_max + 1))
check "--messages not above --depth is refused" rejects queue --depth 4 --messages 4

run_demo queue --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-queue: %s of %s checks held' "$checks" "$checks")" ]
run_demo queue --speed 100
check "prose into a pipe has no colour codes" eval '! grep -q "$(printf "\033")" "$out"'

# SIGKILL while the queue's name is still there, in step 1: no code of the
# demo runs, but its guardian removes the name. If the guardian is killed
# too, the name stays, and the next run removes it: its maker is gone.
if [ "$mounted" = true ]; then
	start_queue --speed 0.5
	poll 30 listed
	kill -s KILL "$demo_pid"
	wait_demo
	check "SIGKILL as soon as the queue is in /dev/mqueue: the demo dies of it, its guardian removes the name" \
		eval '[ "$rc" -eq 137 ] && poll 1 nothing_left && ! listed'
	start_queue --speed 0.5
	poll 30 listed
	guardian=$(guardian_of "$demo_pid")
	# Stopped first: between the two kills a busy machine may run the
	# demo's death, and the guardian would wake and do its job.
	[ -n "$guardian" ] && kill -s STOP $guardian
	kill -s KILL "$demo_pid" $guardian
	wait_demo
	check "SIGKILL of the demo and its guardian at once: the name stays" \
		eval '[ "$rc" -eq 137 ] && [ -n "$guardian" ] && poll 1 nothing_left && listed'
	killed=$demo_pid
	run_demo queue --json --speed 100
	all_pids="$all_pids $($JQ -rs 'map(select(.event=="step"))[0].pid' "$out")"
	check "the next run removes what that run left, says so, and holds every check" \
		eval '[ "$rc" -eq 0 ] && [ -z "$(names_of "$killed")" ] &&
			jq_is "$out" "map(select(.event==\"swept\"))[0].removed >= 1" true'
else
	check_if_mounted "SIGKILL as soon as the queue is in /dev/mqueue: its guardian removes the name" false
	check_if_mounted "SIGKILL of the demo and its guardian at once: the name stays" false
	check_if_mounted "the next run removes what that run left" false
fi

check "no queue or segment of any run of this test is left" none_left_of_ours

finish
