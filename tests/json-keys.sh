#!/bin/sh
# json-keys.sh - every demo's --json output is one JSON object a line, and
# no object gives a name twice. A field that repeats an envelope key
# ("t", "pid", "event", "text", "role"; "step" and "id" in a step, "check"
# and "ok" in a check) makes jq keep the field and drop the envelope's
# value without a word, and another reader may keep the other. jq cannot
# see it, so tests/json-keys, a strict reader, checks each line. It is
# first shown a few faults, so that a reader that passed everything would
# fail here.
. "$top_srcdir/tests/lib.sh"

keys="$top_builddir/tests/json-keys"

# A short run of each demo, in the options of its own test; a demo with
# two kinds of run has both. Each line: the demo, then its options.
runs='fork --children 4
exec -- echo proclab-json-keys
exec -- proclab-no-such-command
wait --code 7 --children 4
zombie --children 4
orphan --lifetime 1
orphan --lifetime 1 --subreaper
pipe
pipe --forget-close
shm --procs 2 --increments 20000 --rounds 1
queue
filelock
server --clients 2 --ops 10
ipcbench --repeats 1
race --runs 2 --increments 5000
prodcons
deadlock
deadlock --order
philosophers
philosophers -n 3 --tasks threads --strategy naive
threads-vs-procs --workers 2
gil
pool
multitask --workers 2
fork-threads --threads 2
signals --children 2
prio-inversion
memorder --tries 20000 --rounds 20'

set -- ${DEMO_NAMES:?run through make check}
plan $(($# + $(echo "$runs" | wc -l) + 7))

# --- The reader finds what it must, and passes what it must. ---
# reads_as EXPECTED LINE: json-keys exits EXPECTED (0 clean, 1 a fault) on LINE.
reads_as() {
	printf '%s\n' "$2" >"$WORK/line.json"
	"$keys" "$WORK/line.json" >"$WORK/said" 2>&1
	got=$?
	[ "$got" -eq "$1" ] || { diag "json-keys exited $got on $2: $(cat "$WORK/said")"; false; }
}
check "the reader finds an envelope key given again as a field" \
	reads_as 1 '{"t":0.1,"pid":10,"event":"x","text":"y","role":"main","pid":11}'
check "... in an object inside an array inside an object" \
	reads_as 1 '{"a":[1,{"b":true,"c":null,"b":false}]}'
check "... written with an escape (\"p\\u0069d\" is \"pid\")" \
	reads_as 1 '{"pid":1,"p\u0069d":2}'
check "... a line that is not one object" \
	eval 'reads_as 1 "{\"a\":1,}" && reads_as 1 "[1]" && reads_as 1 "{\"a\":1} {}" &&
		reads_as 1 "{\"a\":01}" && reads_as 1 "$(printf "{\"a\":\"a tab\there\"}")"'
check "and passes one name at several depths, and every kind of value" \
	reads_as 0 '{"b":{"b":[{"b":-1.5e+3}]},"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","n":null,"e":{},"l":[]}'
check "and the name of the error says where: file, line and the name" \
	eval 'reads_as 1 "{\"ok\":true,\"ok\":false}" &&
		grep -q "^$WORK/line.json:1: the name \"ok\" twice" "$WORK/said"'

# --- Every demo has a run here, and each run's lines are clean. ---
for demo in $DEMO_NAMES; do
	check "$demo: has a run in this test" eval 'echo "$runs" | grep -q "^$demo\( \|\$\)"'
done
# Not `echo | while`: the loop must run in this shell, to count its checks.
while read -r demo options; do
	# shellcheck disable=SC2086 # the options are words
	run_demo "$demo" --json --speed 100 $options
	check "$demo${options:+ $options}: every line one JSON object, no name twice in any" \
		eval '[ "$rc" -le 1 ] && [ -s "$out" ] && "$keys" "$out" >"$WORK/faults"' ||
		diag "status $rc" "$(head -n 5 "$WORK/faults")" "$(head -n 3 "$err")"
done <<EOF
$runs
EOF
check "no process of this test is left" nothing_left

finish
