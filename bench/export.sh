#!/bin/sh
# bench/export.sh - what drawing a recording costs (issue 14's target:
# the trace and the SVG of a 60 s, 100-process recording at 10 Hz in under
# a second together).
#
# It writes a synthetic recording in the format of pl_export(3), busier
# than a real demo: 100 processes forked in the first 10 s and exiting in
# the last 10 s; at each of the 600 refreshes every live process changes
# state with probability one half, and 20 pipes between neighbours change
# their queued bytes; a step every 5 s, a check every second. Then it runs
# `proclab-export --trace --svg` on it RUNS times and prints each wall time
# and the median.
#
# Usage: bench/export.sh [BUILD_DIR] [RUNS]     (defaults: build, 5)
#
# Not a test: the numbers depend on the machine and its load, which it
# prints. Needs awk. Leaves nothing behind.
set -eu

build=${1:-build}
runs=${2:-5}
export_bin="$build/proclab-export"
[ -x "$export_bin" ] || { echo "bench/export.sh: no $export_bin; build first" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/proclab-export-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

awk -v seed=42 'BEGIN {
	srand(seed)
	n = 100; ticks = 600; pipes = 20; split("R S D", letters, " ")
	printf "{\"t\":0,\"type\":\"header\",\"format\":\"proclab-record\",\"version\":1,"
	printf "\"command\":\"synthetic 100 processes\",\"hz\":10}\n"
	for (tick = 0; tick <= ticks; tick++) {
		t = tick / 10
		for (i = 0; i < n; i++) {
			pid = 1000 + i
			if (tick == int(i * 100 / n)) {
				printf "{\"t\":%.3f,\"type\":\"proc\",\"pid\":%d,\"ppid\":%d,", t, pid, i ? 1000 + int((i - 1) / 3) : 1
				printf "\"comm\":\"worker-%d\",\"role\":\"child\"}\n", i
				printf "{\"t\":%.3f,\"type\":\"state\",\"pid\":%d,\"state\":\"S\"}\n", t, pid
				alive[i] = 1
			} else if (alive[i] && tick == ticks - 100 + int((n - 1 - i) * 100 / n)) {
				printf "{\"t\":%.3f,\"type\":\"exit\",\"pid\":%d,\"status\":\"exited 0\",\"code\":0}\n", t, pid
				alive[i] = 0
			} else if (alive[i] && rand() < 0.5) {
				printf "{\"t\":%.3f,\"type\":\"state\",\"pid\":%d,\"state\":\"%s\"}\n", t, pid, letters[1 + int(rand() * 3)]
			}
		}
		for (k = 0; k < pipes; k++) {
			if (tick == 100 + k) {
				printf "{\"t\":%.3f,\"type\":\"ipc\",\"op\":\"add\",\"id\":\"pipe:%d\",\"kind\":\"pipe\",", t, k
				printf "\"label\":\"pipe:[%d]\",\"holders\":[{\"pid\":%d,\"fd\":4,\"end\":\"w\"},", 9000 + k, 1000 + k
				printf "{\"pid\":%d,\"fd\":3,\"end\":\"r\"}]}\n", 1001 + k
			} else if (tick > 100 + k && tick < ticks - 100) {
				printf "{\"t\":%.3f,\"type\":\"queued\",\"id\":\"pipe:%d\",\"bytes\":%d}\n", t, k, int(rand() * 65536)
			}
		}
		if (tick % 50 == 0)
			printf "{\"t\":%.3f,\"type\":\"narration\",\"pid\":1000,\"kind\":\"step\",\"text\":\"Step %d\"}\n", t, tick / 50
		if (tick % 10 == 5)
			printf "{\"t\":%.3f,\"type\":\"narration\",\"pid\":1000,\"kind\":\"check\",\"text\":\"check %d\",\"held\":true}\n", t, tick
	}
}' >"$work/run.jsonl"

echo "recording: $(wc -l <"$work/run.jsonl") lines, $(wc -c <"$work/run.jsonl") bytes"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
: >"$work/times"
while [ "$i" -lt "$runs" ]; do
	start=$(date +%s%N)
	"$export_bin" --trace "$work/run.json" --svg "$work/run.svg" "$work/run.jsonl"
	end=$(date +%s%N)
	echo "$(( (end - start) / 1000000 ))" >>"$work/times"
	i=$((i + 1))
done
echo "trace: $(wc -c <"$work/run.json") bytes, SVG: $(wc -c <"$work/run.svg") bytes"
echo "wall ms, each run: $(tr '\n' ' ' <"$work/times")"
echo "median ms: $(sort -n "$work/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
