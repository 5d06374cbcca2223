#!/bin/sh
# philosophers.sh - the naive dinner deadlocks every run, as processes and
# as threads, and the demo finds the cycle through all N and ends it; the
# three fixes never form a cycle and everyone eats; bad options are
# refused; nothing is left behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 28

# --- One run in JSON, and what its events must say. ---
run_demo philosophers --json --speed 100
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "four dinners as processes, then four as threads" \
	jq_is "$json" '[.[] | select(.event=="step") | "\(.tasks):\(.id)"] | join(",")' \
	"processes:naive,processes:ordered,processes:waiter,processes:trylock,threads:naive,threads:ordered,threads:waiter,threads:trylock"
check "each naive dinner had a cycle through all 5 philosophers" \
	jq_is "$json" '[.[] | select(.event=="cycle") | .length] | tostring' "[5,5]"
check "the processes' cycle came from the board, the threads' from the forks" \
	jq_is "$json" '[.[] | select(.event=="cycle") | .source] | join("|")' \
	"the status board|the forks' records"
check "the cycle's tasks are five different processes, then five threads" \
	jq_is "$json" '[.[] | select(.event=="cycle") | .tasks | unique | length] | tostring' "[5,5]"
check "all five were asleep in the kernel when it was found" \
	jq_is "$json" '[.[] | select(.event=="asleep") | .asleep] | tostring' "[5,5]"
check "nobody ate at a naive dinner, and all left when it was ended" \
	jq_is "$json" '[.[] | select(.event=="ended") | "\(.meals):\(.left)"] | join(" ")' "0:5 0:5"
check "the fixes: never a cycle, in six dinners" \
	jq_is "$json" '[.[] | select(.event=="watched") | .cycles] | tostring' "[0,0,0,0,0,0]"
check "the fixes: every philosopher ate, in every dinner" \
	jq_is "$json" '[.[] | select(.event=="meals") | .least >= 1 and (.meals | length) == 5] | all' true
check "the meal counts add up" \
	jq_is "$json" '[.[] | select(.event=="meals") | (.meals | add) == .total] | all' true
check "the waiter never let more than 4 sit" \
	jq_is "$json" '[.[] | select(.event=="check" and .check=="waiter-seats") | .max_seated <= 4] |
		(length == 2 and all)' true
check "trylock put a left fork back at least once" \
	jq_is "$json" '[.[] | select(.event=="backoffs") | .backoffs >= 1] | (length == 2 and all)' true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 18 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

run_demo philosophers --json --speed 100 -n 3 --tasks threads --strategy naive
check "-n 3: the cycle goes through 3" \
	jq_is "$out" '[.[] | select(.event=="cycle") | .length] | tostring' "[3]"

# --- The kernel's view from outside, while they are deadlocked. ---
start_demo philosophers --json --speed 0.5 --tasks processes --strategy naive
all_stuck() {
	set -- $(token_children_of "$demo_pid")
	[ $# -eq 5 ] || return 1
	for p; do
		grep -q '^State:.*S (sleeping)' "/proc/$p/status" 2>/dev/null || return 1
		grep -q futex "/proc/$p/wchan" 2>/dev/null || return 1
	done
}
check "ps: five children of the demo asleep on a futex (from /proc, outside)" poll 30 all_stuck
outside=$(token_children_of "$demo_pid" | sort -n | tr '\n' ' ')
wait_demo
check "they are the five the cycle named" \
	jq_is "$out" 'map(select(.event=="cycle"))[0].tasks | sort | map(tostring) | join(" ")' \
	"${outside% }"

# --- Options. ---
check "-n 1 is refused" rejects philosophers -n 1
check "-n 17 is refused" rejects philosophers --philosophers 17
check "--strategy other is refused" rejects philosophers --strategy polite
check "--tasks other is refused" rejects philosophers --tasks fibres
check "--seconds 0 is refused" rejects philosophers --seconds 0

run_demo philosophers --quiet --speed 100 --tasks threads --strategy waiter
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-philosophers: 3 of 3 checks held')" ]

# --- Nothing survives an interrupted dinner. ---
for sig in INT TERM; do
	start_demo philosophers --tasks processes --strategy naive --speed 0.2
	poll 30 all_stuck
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig mid-deadlock: the demo dies of it, its philosophers within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

start_demo philosophers --tasks processes --strategy naive --speed 0.2
poll 30 all_stuck
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the parent mid-deadlock: its philosophers end within a second" \
	poll 1 nothing_left
check "and it left no board in /dev/shm" [ "$(boards_of "$demo_pid")" -eq 0 ]

start_demo philosophers --tasks threads --strategy ordered --seconds 60
eating() { [ "$(ls "/proc/$demo_pid/task" 2>/dev/null | wc -l)" -ge 6 ]; }
poll 30 eating
kill -s INT "$demo_pid"
wait_demo
check "SIGINT mid-dinner (threads): it ends at once" eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'

finish
