#!/bin/sh
# memorder.sh - proclab-memorder sees both loads pass their stores without
# a fence and never with one, publishes with release/acquire without a
# stale read, and finds counters that share a cache line slower than
# padded ones; its threads and the cache line are checked from outside
# the demo too; its options are validated; nothing outlives it.
. "$top_srcdir/tests/lib.sh"
need_jq
[ "$(nproc)" -ge 2 ] || skip_all "one CPU: the demo has nothing to show here"
plan 25

# --- One run in JSON, and what its events must say. ---
run_demo memorder --json --tries 200000
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" is_event_stream "$json"
check "three steps, in the lesson's order" steps_are "$json" "store-buffering,publish,false-sharing"

# Every experiment ran its two threads on two CPUs, one each, as
# /proc/self/task/TID said to the demo.
check "each pair of threads: one CPU allowed each, two different CPUs, and ran there" \
	jq_is "$json" '[.[] | select(.event=="thread")] as $t | ($t | length) == 6 and
		([range(0; 6; 2) | $t[.] as $a | $t[. + 1] as $b |
		($a.cpus_allowed | test("^[0-9]+$")) and ($b.cpus_allowed | test("^[0-9]+$")) and
		$a.cpus_allowed != $b.cpus_allowed and
		($a.last_cpu | tostring) == $a.cpus_allowed and
		($b.last_cpu | tostring) == $b.cpus_allowed] | all)' true

# Step 1: store buffering. A busy machine may stop a test early, and
# then says so; the counts always add up to the tries made.
tries_ok() {
	jq_is "$json" '. as $e | [$e[] | select(.event=="outcomes")] | map(
		(.r00 + .r01 + .r10 + .r11 == .tries) and
		(.tries == 200000 or ([$e[] | select(.event=="stopped-early")] | length > 0))) |
		"\(length) \(all)"' "2 true"
}
check "the four outcomes of each test add up to its tries" tries_ok
check "without a fence, both loads read 0 in some tries" \
	jq_is "$json" 'map(select(.event=="outcomes" and .test=="no fence"))[0] |
		.r00 > 0 and .tries >= 20000' true
check "with a seq_cst fence, never" \
	jq_is "$json" 'map(select(.event=="outcomes" and .test=="fenced"))[0] | .r00' 0

# Step 2: publishing with a flag.
check "release/acquire: no stale read in any try; the same number of tries for each order" \
	jq_is "$json" '[.[] | select(.event=="published")] |
		"\(map(.order) | join(",")) \(map(.tries) | unique | length) \(.[2].stale)"' \
	"relaxed,relaxed, glanced first,release/acquire 1 0"
check "every stale count lies between 0 and the tries" \
	jq_is "$json" '[.[] | select(.event=="published") | .stale >= 0 and .stale <= .tries] | all' true

# Step 3: false sharing. The line size the demo used is the one the
# kernel reports here.
line=$(cat /sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size 2>/dev/null || getconf LEVEL1_DCACHE_LINESIZE)
check "the cache line is the kernel's ($line bytes); 8 bytes apart share it, one line apart do not" \
	jq_is "$json" 'map(select(.event=="check" and .check=="layout"))[0] |
		"\(.ok) \(.line) \(.together_gap) \(.apart_gap)"' "true $line 8 $line"
check "both kinds of counting were timed, one line against own lines, slowdown = the ratio" \
	jq_is "$json" '[.[] | select(.event=="counting") |
		.rounds > 0 and .together_ns > 0 and .apart_ns > 0 and
		((.slowdown - .together_ns / .apart_ns) | fabs) < 0.001] | "\(length) \(all)"' "2 true"
check "atomic additions: at least twice as slow on one line (or the CPUs are hyperthreads)" \
	jq_is "$json" '(map(select(.event=="counting" and .kind=="atomic_fetch_add"))[0].slowdown >= 2) or
		(map(select(.event=="siblings")) | length == 1)' true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks >= 7 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# --- The kernel's view from outside the demo. ---
# The demo's threads other than its main one, each allowed one CPU.
pinned_pair() {
	n=0
	cpus=
	for t in /proc/"$demo_pid"/task/*; do
		[ "${t##*/}" = "$demo_pid" ] && continue
		case $(cat "$t/comm" 2>/dev/null) in sb-1 | sb-2) ;; *) continue ;; esac
		c=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status" 2>/dev/null)
		case $c in '' | *[!0-9]*) continue ;; esac
		n=$((n + 1))
		cpus="$cpus $c"
	done
	[ "$n" -eq 2 ] && [ "$(echo $cpus | tr ' ' '\n' | sort -u | wc -l)" -eq 2 ]
}
start_demo memorder --tries 5000000
check "/proc from outside: threads sb-1 and sb-2, each pinned to its own CPU" poll 30 pinned_pair
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while they spin: the demo dies of it, its threads with it" \
	eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
start_demo memorder --tries 5000000
poll 30 pinned_pair
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL: nothing of the demo survives" poll 1 nothing_left

# --- One CPU: nothing to show, and it says so. ---
if command -v taskset >/dev/null 2>&1; then
	out="$WORK/out.onecpu"
	first=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\).*/\1/p' /proc/self/status)
	env PROCLAB_TEST_TOKEN="$TOKEN" taskset -c "$first" "$(demo_bin memorder)" --json \
		>"$out" 2>&1 </dev/null
	rc=$?
	check "on one CPU: status 0, a one-cpu event, no check made" \
		eval '[ "$rc" -eq 0 ] && jq_is "$out" "[(map(select(.event==\"one-cpu\")) | length),
			(map(select(.event==\"summary\"))[0].checks)] | map(tostring) | join(\" \")" "1 0"'
else
	tap_count=$((tap_count + 1))
	echo "ok $tap_count - on one CPU # SKIP taskset not installed"
fi

# --- Options. ---
check "--tries 9999 is refused" rejects memorder --tries 9999
check "--tries 5000001 is refused" rejects memorder --tries 5000001
check "--tries abc is refused" rejects memorder -n abc
check "--rounds 19 is refused" rejects memorder --rounds 19
check "--rounds 5001 is refused" rejects memorder -r 5001
check "an operand is refused" rejects memorder now

run_demo memorder --quiet --tries 50000 --rounds 50
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-memorder: 8 of 8 checks held')" ]

finish
