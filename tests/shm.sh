#!/bin/sh
# shm.sh - proclab-shm proves its claims, in its events, in /dev/shm and in
# /proc/PID/maps; validates its options; and leaves no process and no
# segment behind however it ends, SIGKILL included.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 43

page=$(getconf PAGESIZE)
# The segment of the demo with PID $1: /dev/shm/proclab-shm-PID-START-RANDOM
# (lib/pl_name.h), its name as ls lists it.
name_re='[0-9][0-9]*-[0-9]\{16\}'
segments_of() { ls /dev/shm 2>/dev/null | grep "^proclab-shm-$1-$name_re\$"; }
segment() { echo "/dev/shm/$(segments_of "$1" | head -n 1)"; }
# Every demo PID of this test, to look for its segment at the end.
all_pids=
start_shm() {
	start_demo shm "$@"
	all_pids="$all_pids $demo_pid"
}
none_left_of_ours() {
	for p in $all_pids; do
		[ -z "$(segments_of "$p")" ] || { diag "left: $(segments_of "$p")"; return 1; }
	done
	return 0
}

# --- One run in JSON, and what its events must say. ---
run_demo shm --json --speed 100 --procs 4 --increments 20000
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
all_pids=$main
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "six steps, in the lesson's order" \
	steps_are "$json" "named-segment,anonymous-shared,value-and-array,counter-race,counter-locked,segment-gone"

# Step 1: the named segment.
check "the name holds proclab, the PID, its start time and 16 random digits; /dev/shm listed it" \
	jq_is "$json" 'map(select(.event=="in-dev-shm"))[0] |
		(.name | test("^proclab-shm-'"$main"'-[0-9]+-[0-9]{16}$")) and .listed' true
check "in /dev/shm it was one page, mode 0600" \
	jq_is "$json" 'map(select(.event=="in-dev-shm"))[0] | "\(.size) \(.mode)"' "$page 0600"
check "after the unlink the child still maps it, marked (deleted), and the name is gone" \
	jq_is "$json" 'map(select(.event=="in-dev-shm"))[0].name as $n |
		map(select(.event=="child-maps"))[0] |
		(.line | endswith("/dev/shm/\($n) (deleted)")) and
		(.line | split(" ")[1] == "rw-s") and (.name_listed | not)' true
check "the parent read the greeting the child wrote after the unlink" \
	jq_is "$json" '(map(select(.event=="child-maps"))[0].child) as $c |
		map(select(.event=="greeting"))[0].greeting == "hello from pid \($c)"' true

# Step 2: MAP_SHARED against MAP_PRIVATE.
check "the child wrote 42 into both mappings" \
	jq_is "$json" 'map(select(.event=="child-wrote"))[0] | "\(.shared) \(.private)"' "42 42"
check "the parent sees 42 in the shared one (s) and 0 in the private one (p)" \
	jq_is "$json" 'map(select(.event=="parent-reads"))[0] |
		"\(.shared) \(.shared_flag) \(.private) \(.private_flag)"' "42 s 0 p"

# Step 3: the seeds' Value and Array.
check "the parent sees the double the child set" \
	jq_is "$json" 'map(select(.event=="parent-sees"))[0].value' 3.1415927
check "the parent sees the array the child negated" \
	jq_is "$json" 'map(select(.event=="parent-sees"))[0].array | tostring' \
	"[0,-1,-2,-3,-4,-5,-6,-7,-8,-9]"

# Step 4: the race.
check "every worker slept at the start line, mapping the unlinked segment" \
	jq_is "$json" 'map(select(.event=="workers-mapped"))[0] | "\(.mapping) \(.workers)"' "4 4"
check "three rounds, each expecting 80000, with got + lost = expected" \
	jq_is "$json" '[.[] | select(.event=="count") |
		.expected == 80000 and .got + .lost == .expected and .got <= .expected] |
		"\(length) \(all)"' "3 true"
check "without a lock, updates were lost in every round" \
	jq_is "$json" '[.[] | select(.event=="count") | .lost > 0] | all' true

# Step 5: the locks.
check "mutex, semaphore and atomic lost nothing, and each took some time" \
	jq_is "$json" '[.[] | select(.event=="timing" and .method != "counter++") |
		"\(.method):\(.lost):\(.median_seconds > 0)"] | join(" ")' \
	"mutex:0:true semaphore:0:true atomic:0:true"

# Step 6 and the summary.
check "the segment was gone from /dev/shm and from the maps at the end" \
	jq_is "$json" 'map(select(.event=="after"))[0] | "\(.listed) \(.mapped)"' "false false"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 14 and .failed == 0)' true
check "nothing left after a normal exit: no process, no /dev/shm object" \
	eval 'nothing_left && [ -z "$(segments_of "$main")" ]'

# Two processes on two cores still lose updates; one process alone cannot.
run_demo shm --json --speed 100 --procs 2 --increments 20000 --rounds 1
check "--procs 2: updates lost, and every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"count\"))[0].lost > 0" true'
run_demo shm --json --speed 100 --procs 1 --increments 1000 --rounds 1
check "--procs 1: nothing lost, nothing claimed" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"count\"))[0].lost" 0'

# --- The kernel's view from outside, then SIGKILL of the parent. ---
# The segment stays in /dev/shm only until every process has it mapped;
# after that, a SIGKILL (which no handler sees) can leave nothing behind.
start_shm --speed 0.5 --procs 3
listed() { [ -n "$(segments_of "$demo_pid")" ]; }
check "ls sees the segment in /dev/shm while the demo runs" poll 30 listed
check "its size and mode, from outside: one page, 600" \
	[ "$(stat -c '%s %a' "$(segment "$demo_pid")" 2>&1)" = "$page 600" ]
# A child of the demo maps it after the unlink: /proc/CHILD/maps says so.
child_maps_deleted() {
	for c in $(token_children_of "$demo_pid"); do
		grep -q "/dev/shm/proclab-shm-$demo_pid-$name_re (deleted)\$" "/proc/$c/maps" 2>/dev/null &&
			! listed && return 0
	done
	return 1
}
check "a child maps it, unlinked: no name in /dev/shm, (deleted) in its maps" \
	poll 30 child_maps_deleted
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL: the demo dies of it, its children within a second, and no segment is left" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left && ! listed'

# The proof that unlinking early is the only defence: with --keep-name the
# name is still there when SIGKILL comes, and nothing can remove it.
start_shm --speed 0.5 --procs 3 --keep-name
child_maps_named() {
	for c in $(token_children_of "$demo_pid"); do
		grep -q "/dev/shm/proclab-shm-$demo_pid-$name_re\$" "/proc/$c/maps" 2>/dev/null && return 0
	done
	return 1
}
check "--keep-name: a child maps the segment while the name is still there" \
	eval 'poll 30 child_maps_named && listed'
kill -s KILL "$demo_pid"
wait_demo
check "--keep-name, SIGKILL: the processes end, but the name is left in /dev/shm" \
	eval '[ "$rc" -eq 137 ] && listed && poll 1 nothing_left'
# The next run removes it: its maker is gone (pl_name_clean_stale).
killed=$demo_pid
# Any run of the demo sweeps: in a parallel make check another test's run
# of it (lessons.sh, the dashboard's tests) may get to the name first. Then
# this run cannot have removed it, and only its going is checked.
second_run_sweeps() {
	swept_before=no
	[ -n "$(segments_of "$killed")" ] || swept_before=yes
	run_demo shm --json --speed 100 --procs 2 --increments 1000 --rounds 1
	all_pids="$all_pids $($JQ -rs 'map(select(.event=="step"))[0].pid' "$out")"
	[ "$swept_before" = yes ] && diag "another run of the demo removed the name first"
	[ "$rc" -eq 0 ] && [ -z "$(segments_of "$killed")" ] &&
		{ [ "$swept_before" = yes ] ||
		  jq_is "$out" 'map(select(.event=="swept"))[0].removed >= 1' true; } ||
		{ diag "status $rc; left: $(segments_of "$killed"); $($JQ -c 'select(.event=="swept" or (.event=="check" and .ok==false))' "$out" 2>/dev/null)"; false; }
}
check "the next run removes the name that SIGKILL left, says so, and runs as usual" \
	second_run_sweeps

# SIGKILL while the name exists, without --keep-name: no code of the demo
# runs, but its guardian, another process, removes the name, and ends.
start_shm --speed 0.5 --procs 2
poll 30 listed
guardian=$(guardian_of "$demo_pid")
check "while the name exists, a child of the demo is its guardian, proclab-guard" \
	[ -n "$guardian" ]
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL as soon as the segment is in /dev/shm: the demo dies of it, the guardian removes the name and ends" \
	eval '[ "$rc" -eq 137 ] && poll 1 eval "! listed" && poll 1 nothing_left'

# Ctrl-C while the name exists: the cleanup handler removes it.
start_shm --speed 0.5 --keep-name
poll 30 listed
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while the name exists: the handler removes it, and the demo dies of SIGINT" \
	eval '[ "$rc" -eq 130 ] && poll 1 nothing_left && ! listed'

# SIGINT and SIGTERM while the workers wait at the start line.
for sig in INT TERM; do
	start_shm --speed 0.5 --procs 3
	seen_workers() { has_children "$demo_pid" 3; }
	check "SIG$sig: the demo reaches its 3 workers" poll 30 seen_workers
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig: the demo dies of it, its workers within a second, no segment left" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left && ! listed'
done

# --- Options. ---
check "--procs 0 is refused" rejects shm --procs 0
check "--procs 17 is refused" rejects shm --procs 17
check "--procs abc is refused" rejects shm -n abc
check "--increments 0 is refused" rejects shm --increments 0
check "--increments overflow is refused" rejects shm --increments=99999999999999999999
check "--rounds 10 is refused" rejects shm --rounds 10
check "too much work in all (--procs x --increments) is refused" \
	rejects shm --procs 16 --increments 1000000
check "--keep-name takes no value" rejects shm --keep-name=yes

run_demo shm --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-shm: 14 of 14 checks held')" ]

check "no segment of any run of this test is left in /dev/shm" none_left_of_ours

finish
