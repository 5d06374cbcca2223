#!/bin/sh
# fork.sh - proclab-fork proves its claims, in its events and in /proc,
# validates --children, and leaves nothing behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 28

# --- One run in JSON, and what its events must say. ---
run_demo fork --json --speed 100 --children 4
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "five steps, in the lesson's order" \
	steps_are "$json" "fork-returns-twice,separate-memory,copy-on-write,children-at-once,wait-for-all"

# Step 1: the two returns of one fork(), seen from each side.
check "the parent's fork() returned the PID the child reports as getpid()" \
	jq_is "$json" '(map(select(.event=="parent-identity"))[0].fork_returned) ==
		(map(select(.event=="child-identity"))[0].getpid)' true
check "the child event really comes from that PID" \
	jq_is "$json" '(map(select(.event=="child-identity"))[0] | .pid == .getpid)' true
check "fork() returned 0 in the child" \
	jq_is "$json" 'map(select(.event=="child-identity"))[0].fork_returned' 0
check "the kernel's ppid of the child is the parent" \
	jq_is "$json" '(map(select(.event=="kernel-view"))[0].ppid) ==
		(map(select(.event=="parent-identity"))[0].pid)' true

# Step 2: the seeds' square_result, in C.
check "the child's array holds the squares" \
	jq_is "$json" 'map(select(.event=="child-array"))[0].squares | tostring' "[0,1,4,9]"
check "the parent's array is untouched" \
	jq_is "$json" 'map(select(.event=="parent-array"))[0].squares | tostring' "[0,0,0,0]"

# Step 3: copy-on-write, in the kernel's fault counts.
check "writing inherited pages faulted once a page; reading did not" \
	jq_is "$json" 'map(select(.event=="page-faults"))[0] |
		.write_faults >= (.pages * 0.9) and .read_faults < (.pages / 4)' true

# Step 4: N children at once, from distinct processes.
check "each of 4 children wrote 3 lines" \
	jq_is "$json" '[.[] | select(.event=="child-line")] | group_by(.pid) | map(length) | tostring' \
	"[3,3,3,3]"
check "the kernel listed the 4 children, all with the parent as ppid" \
	jq_is "$json" '(map(select(.event=="step"))[0].pid) as $main |
		[.[] | select(.event=="kernel-child" and .ppid == $main)] | length' 4
check "the children listed are the ones that wrote the lines" \
	jq_is "$json" '([.[] | select(.event=="kernel-child") | .child] | sort) ==
		([.[] | select(.event=="child-line") | .pid] | unique)' true
check "the interleaving names every line once" \
	jq_is "$json" 'map(select(.event=="interleaving"))[0].order | length' 12

# Step 5: reaping.
check "each child exited with its own number, and left /proc when reaped" \
	jq_is "$json" '[.[] | select(.event=="reaped") | "\(.index):\(.exit_status):\(.gone_from_proc)"]
		| join(" ")' "1:1:true 2:2:true 3:3:true 4:4:true"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 10 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# --- The kernel's view from outside the demo. ---
start_demo fork --json --speed 0.5 --children 3
seen_three() { has_children "$demo_pid" 3; }
check "ps sees 3 children of the demo at once (from /proc, outside the demo)" poll 30 seen_three
outside=$(token_children_of "$demo_pid" | sort -n | tr '\n' ' ')
wait_demo
check "the PIDs seen from outside are the ones the demo reported" \
	jq_is "$out" '[.[] | select(.event=="kernel-child") | .child] | sort | map(tostring) | join(" ")' \
	"${outside% }"

# --- Options. ---
check "--children 0 is refused" rejects fork --children 0
check "--children 33 is refused" rejects fork --children 33
check "--children abc is refused" rejects fork -n abc
check "--children overflow is refused" rejects fork --children=99999999999999999999

run_demo fork --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-fork: 10 of 10 checks held')" ]

run_demo fork --speed 100
check "prose into a pipe has no colour codes" eval '! grep -q "$(printf "\033")" "$out"'

# --- Nothing survives an interrupted run. ---
for sig in INT TERM; do
	start_demo fork --children 3
	poll 30 seen_three
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig: the demo dies of it, and its children within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

# SIGKILL cannot be caught: PR_SET_PDEATHSIG takes the children along.
start_demo fork --children 3
poll 30 seen_three
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the parent: its children end within a second" poll 1 nothing_left

finish
