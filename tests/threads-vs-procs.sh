#!/bin/sh
# threads-vs-procs.sh - proclab-threads-vs-procs proves its claims, in its
# events and in /proc; validates its options; never asserts on speed; and
# leaves nothing behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 40

# ThreadSanitizer runs a thread of its own in a process that made threads
# (and in its forked children): task counts may then be one higher.
case "${USER_CFLAGS:-}" in
*sanitize=thread*) extra=1 ;;
*) extra=0 ;;
esac

# --- One run in JSON, and what its events must say. ---
run_demo threads-vs-procs --json --speed 100 --workers 2
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid and event" \
	jq_is "$json" '[.[] | select((.t|type)=="number" and (.pid|type)=="number" and
		(.event|type)=="string")] | length == (. | length)' true
check "six steps, in the lesson's order" \
	steps_are "$json" "side-by-side,memory,creation-cost,isolation,speedup,verdict"

# Step 1: threads are tasks of one process, processes are PIDs.
check "2 threads: the demo's PID, 2 distinct thread ids, Threads: 3 in /proc" \
	jq_is "$json" 'map(select(.event=="threads"))[0] |
		(.tasks >= 3 and .tasks <= 3 + '"$extra"') as $tasks |
		"\(.getpid == '"$main"') \(.tids | unique | length) \(.tids | index('"$main"') == null) \($tasks)"' \
	"true 2 true true"
check "2 processes: 2 distinct PIDs, children of the demo, one task each" \
	jq_is "$json" 'map(select(.event=="processes"))[0] |
		"\(.pids | unique | length) \(.pids | index('"$main"') == null) \(.children) \(.one_task)"' \
	"2 true 2 2"
check "threads and processes computed the sequential result" \
	jq_is "$json" 'map(select(.event=="same-result"))[0] | "\(.threads) \(.processes)"' "true true"

# Step 2: memory.
check "a thread's change to the global is read back by every thread and by main" \
	jq_is "$json" 'map(select(.event=="threads-read"))[0] | "\(.seen | tostring) \(.main_reads)"' \
	"[42,42] 42"
check "a child's change is read back by it, and by no sibling and not the parent" \
	jq_is "$json" 'map(select(.event=="processes-read"))[0] |
		"\(.writer_reads) \(.seen[1:] | tostring) \(.parent_reads)"' "42 [0] 0"
check "what fork does not copy stays shared: the file offset and a MAP_SHARED page" \
	jq_is "$json" 'map(select(.event=="child-shares"))[0] | "\(.offset) \(.shared_page)"' "42 42"

# Step 3: creation cost at 0, 64 and 256 MiB, every figure positive.
check "costs measured at 0, 64 and 256 MiB of touched memory" \
	jq_is "$json" '[.[] | select(.event=="cost") | .mib] | map(tostring) | join(" ")' "0 64 256"
check "every median and p90 of every method is a positive number" \
	jq_is "$json" '[.[] | select(.event=="cost") | to_entries[] | select(.key | endswith("_us")) |
		.value | type == "number" and . > 0] | "\(length) \(all)"' "30 true"
check "the touched memory shows in RssAnon" \
	jq_is "$json" '[.[] | select(.event=="cost") | .rss_anon_kib >= .mib * 1024 * 0.9] | all' true

# Step 4: isolation.
check "a segfault in one thread killed the whole threaded child, by SIGSEGV" \
	jq_is "$json" 'map(select(.event=="ended" and .who=="the threaded process"))[0] | .signal' SIGSEGV
check "its other threads never finished, and it left /proc" \
	jq_is "$json" 'map(select(.event=="bystanders"))[0] | "\(.finished) \(.gone_from_proc)"' "0 true"
check "a segfault in child 1 killed it alone; the sibling exited 0" \
	jq_is "$json" '[.[] | select(.event=="ended" and .who != "the threaded process") |
		"\(.signal):\(.exit_status)"] | join(" ")' "SIGSEGV:-1 :0"
check "a thread's leak stays in its process after the thread ended" \
	jq_is "$json" 'map(select(.event=="thread-leak"))[0] |
		(.rss_after_kib - .rss_before_kib >= .leak_mib * 1024 * 0.9) and
		.tasks_after - 1 <= '"$extra"' and .tasks_after >= 1' true
check "a child's leak showed in its VmRSS, and not in the parent's after it exited" \
	jq_is "$json" 'map(select(.event=="process-leak"))[0] |
		(.child_rss_kib - .parent_rss_before_kib >= .leak_mib * 1024 * 0.9) and
		(.parent_rss_after_kib - .parent_rss_before_kib < .leak_mib * 512)' true

# Step 5 and 6: figures, never speeds.
check "three ways measured, every run right, every time positive" \
	jq_is "$json" '[.[] | select(.event=="run") | "\(.way):\(.right == .runs and .wall_seconds > 0
		and .cpu_seconds > 0)"] | join(" ")' "sequential:true threads:true processes:true"
check "the verdict reports each of issue 7's five targets as held yes or no" \
	jq_is "$json" '[.[] | select(.event=="speedup-held" or .event=="fork-grows" or
		.event=="stays-flat") | .held | type] | "\(length) \(unique | join(","))"' "5 boolean"
# Fork's growth is judged by a line, not a ratio: recompute the least-
# squares slope and its standard error from the four figures it reports.
check "fork's cost per GiB is the least-squares slope of its 4 sizes, held iff 3 errors above 0" \
	jq_is "$json" 'map(select(.event=="fork-grows"))[0] |
		([0, 64, 128, 256] | map(. / 1024)) as $x |
		[.us_0_mib, .us_64_mib, .us_128_mib, .us_256_mib] as $y |
		($x | add / 4) as $mx | ($y | add / 4) as $my |
		([range(4)] | map(($x[.] - $mx) * ($x[.] - $mx)) | add) as $sxx |
		([range(4)] | map(($x[.] - $mx) * ($y[.] - $my)) | add / $sxx) as $slope |
		($my - $slope * $mx) as $at0 |
		([range(4)] | map(($y[.] - $at0 - $slope * $x[.]) | . * .) | add / 2 / $sxx | sqrt)
		as $error |
		(($slope - .us_per_gib) | fabs) <= 1e-3 * (($slope | fabs) + 1) and
		(($error - .us_per_gib_error) | fabs) <= 1e-3 * ($error + 1) and
		.held == (.us_per_gib > 3 * .us_per_gib_error) and .rounds == 5 and
		($y | map(. > 0) | all)' true
check "vfork and posix_spawn compared in 5 turns of 0 and 256 MiB, the ratio of the two" \
	jq_is "$json" '[.[] | select(.event=="stays-flat") | .rounds == 5 and .us_0_mib > 0 and
		((.ratio - .us_256_mib / .us_0_mib) | fabs) < 1e-3 and .held == (.ratio >= 0.75 and
		.ratio <= 1.25)] | "\(length) \(all)"' "2 true"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 15 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# --- The kernel's view from outside the demo. ---
# Step 1 holds 2 threads, then 2 children, each for a pause: count them.
start_demo threads-vs-procs --json --speed 0.5 --workers 2
three_tasks() {
	n=$(ls "/proc/$demo_pid/task" 2>/dev/null | wc -l)
	[ "$n" -ge 3 ] && [ "$n" -le $((3 + extra)) ]
}
check "ls /proc/PID/task sees the demo as one process of 3 tasks" poll 30 three_tasks
outside_tids=$(ls "/proc/$demo_pid/task" | grep -vx "$demo_pid" | tr '\n' ',')
two_children() { has_children "$demo_pid" 2; }
check "then ps sees 2 children of the demo" poll 30 two_children
outside_pids=$(token_children_of "$demo_pid" | sort -n | tr '\n' ' ')
kill -s INT "$demo_pid"
wait_demo
check "the thread ids the demo reported are the ones seen from outside" \
	jq_is "$out" 'map(select(.event=="threads"))[0].tids - ['"${outside_tids%,}"'] | length' 0
check "the child PIDs seen from outside are the ones the demo reported" \
	jq_is "$out" 'map(select(.event=="processes"))[0].pids | sort | map(tostring) | join(" ")' \
	"${outside_pids% }"

# --- Options. ---
check "--workers 0 is refused" rejects threads-vs-procs --workers 0
check "--workers 17 is refused" rejects threads-vs-procs --workers 17
check "--runs 16 is refused" rejects threads-vs-procs --runs 16
check "--spawns 4 is refused" rejects threads-vs-procs --spawns 4
check "--work abc is refused" rejects threads-vs-procs --work abc
check "--max-mib 255 is refused" rejects threads-vs-procs --max-mib 255
check "--leak-mib 2000 is refused" rejects threads-vs-procs --leak-mib 2000

run_demo threads-vs-procs --quiet --speed 100 --workers 2
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-threads-vs-procs: 15 of 15 checks held')" ]

# --- Nothing survives an interrupted run. ---
for sig in INT TERM; do
	start_demo threads-vs-procs --workers 2
	poll 30 two_children
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig in step 1: the demo dies of it, and its children within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

# In the middle of the creation loop (raw fork, vfork, posix_spawn): each
# unit ends on its own at once, so even SIGKILL leaves nothing.
in_creation() { grep -q '"id":"creation-cost"' "$out"; }
start_demo threads-vs-procs --json --workers 2 --full --spawns 100000
poll 30 in_creation
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL during the creation loop: nothing left within a second" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left'

# SIGKILL cannot be caught: PR_SET_PDEATHSIG takes the children along.
start_demo threads-vs-procs --workers 2
poll 30 two_children
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the parent: its children end within a second" poll 1 nothing_left

# No core file from the deliberate segfaults, whatever core_pattern says.
check "the segfaults left no core file behind" eval '! ls core* "$top_builddir"/core* >/dev/null 2>&1'

finish
