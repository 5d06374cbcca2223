#!/bin/sh
# dashboard-record.sh - `proclab --record` and `--replay` in plain mode: a
# replay prints the snapshots the live run printed; a plain run ends with
# the summary; bad recordings are refused with one line naming the line,
# and exit 2; what a recording says reaches the terminal cleaned.
. "$top_srcdir/tests/lib.sh"
plan 17

bin="$top_builddir/proclab"

dash() {
	out="$WORK/dash.out.$tap_count"
	err="$WORK/dash.err.$tap_count"
	env PROCLAB_TEST_TOKEN="$TOKEN" sh -c 'echo $$ >>"$0"; exec "$@"' "$dashboards" \
		"$bin" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}
has() { grep -qF -- "$1" "$out" || { diag "no '$1' in the output:"; sed 's/^/#   /' "$out" | tail -n 20; return 1; }; }

# The snapshots without what a recording does not keep: the seconds in
# the title line, and the CPU% and RSS columns of the rows (13 columns
# after PID, PPID, STATE and WCHAN: dashboard/text.c).
comparable() {
	sed -E 's/  t=[0-9.]+s$//; /^ *[0-9]+ +([0-9]+|thread) /s/^(.{46}).{13}/\1/' "$1"
}
same_as_live() {
	comparable "$1" >"$WORK/live.txt"
	comparable "$2" >"$WORK/replay.txt"
	[ "$(grep -c '^--- snapshot' "$WORK/live.txt")" -ge 3 ] ||
		{ diag "the live run printed too few snapshots"; return 1; }
	diff "$WORK/live.txt" "$WORK/replay.txt" >"$WORK/diff" ||
		{ diag "live (<) and replay (>) differ:"; sed 's/^/#   /' "$WORK/diff" | head -n 30; return 1; }
}

# 1. A run recorded, and replayed: the same snapshots, narration and end.
for demo in "zombie --speed 4" "deadlock --speed 4"; do
	name=${demo%% *}
	# shellcheck disable=SC2086 # the demo's options are words
	dash --plain --record "$WORK/$name.jsonl" $demo
	cp "$out" "$WORK/$name.live"
	check "$name: recorded, the run ends as before" \
		eval '[ "$rc" -eq 0 ] && has "proclab: the command exited with status 0"'
	dash --plain --replay "$WORK/$name.jsonl"
	check "$name: the replay prints the snapshots of the live run" \
		eval '[ "$rc" -eq 0 ] && same_as_live "$WORK/$name.live" "$out"'
done
check "deadlock: the replay flags the DEADLOCK, as the live run did" \
	eval 'grep -q "^DEADLOCK: " "$out" && has "2 deadlocks"'
summary_ok() {
	grep -q "^proclab: Summary: [0-9]* processes made, at most [0-9]* alive at once; [0-9]* zombies\?, unreaped up to [0-9.]* s; [0-9]* orphans\? adopted; no deadlock; checks: \([0-9]*\) of \1 held$" \
		"$WORK/zombie.live" || { diag "no summary:"; tail -n 3 "$WORK/zombie.live" | sed 's/^/#   /'; return 1; }
}
check "zombie: a plain run ends with the summary, zombies and checks counted" summary_ok
only_changes() {
	# Each line is a change: no two lines say the same of the same pid.
	n=$(grep -c '"type":"state"' "$WORK/zombie.jsonl")
	[ "$n" -gt 0 ] && [ "$n" -lt 400 ] || { diag "$n state lines"; return 1; }
}
check "zombie: the recording holds changes, not a snapshot each refresh" only_changes
check "the recording starts with its header" \
	eval 'head -n 1 "$WORK/zombie.jsonl" | grep -q "^{\"t\":0.000,\"type\":\"header\",\"format\":\"proclab-record\",\"version\":1,"'

# 2. Bad recordings: one line naming the file and the line, exit 2.
refused() {
	file=$1 line=$2
	dash --plain --replay "$file"
	[ "$rc" -eq 2 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" -eq 1 ] &&
		grep -q "^proclab: .*$(basename "$file"), line $line: ." "$err" ||
		{ diag "status $rc, stderr: $(cat "$err")"; return 1; }
}
head -n 5 "$WORK/zombie.jsonl" >"$WORK/bad-json.jsonl"
echo '{"t":1.0,"type":"state","pid":' >>"$WORK/bad-json.jsonl"
check "a line that is not JSON is refused, by its number" refused "$WORK/bad-json.jsonl" 6
head -n 1 "$WORK/zombie.jsonl" >"$WORK/bad-time.jsonl"
echo '{"t":0.5,"type":"proc","pid":5,"ppid":1,"comm":"x"}' >>"$WORK/bad-time.jsonl"
echo '{"t":0.2,"type":"state","pid":5,"state":"S"}' >>"$WORK/bad-time.jsonl"
check "time that goes back is refused" refused "$WORK/bad-time.jsonl" 3
head -n 3 "$WORK/zombie.jsonl" >"$WORK/bad-state.jsonl"
echo '{"t":9,"type":"state","pid":5,"state":"?"}' >>"$WORK/bad-state.jsonl"
check "a state that is no state letter is refused" refused "$WORK/bad-state.jsonl" 4
echo '{"t":0,"type":"proc","pid":5,"ppid":1,"comm":"x"}' >"$WORK/no-header.jsonl"
check "a file without the header is refused" refused "$WORK/no-header.jsonl" 1
printf 'hello\0world\n' >"$WORK/binary.jsonl"
check "a NUL byte is refused" refused "$WORK/binary.jsonl" 1
: >"$WORK/empty.jsonl"
dash --plain --replay "$WORK/empty.jsonl"
check "an empty file is refused" eval '[ "$rc" -eq 2 ] && grep -q "empty" "$err"'
dash --plain --replay "$WORK/no-such-file"
check "a missing file is refused, exit 2" eval '[ "$rc" -eq 2 ] && grep -q "No such file" "$err"'

# 3. Strings are data: an escape sequence in a name or in the narration
#    reaches the terminal as '?'.
{
	echo '{"t":0,"type":"header","format":"proclab-record","version":1,"command":"x\u001b]0;owned\u0007","hz":10,"started":""}'
	echo '{"t":0.1,"type":"proc","pid":5,"ppid":1,"comm":"evil\u001b[2J","role":"\u009b31m"}'
	echo '{"t":0.1,"type":"state","pid":5,"state":"S"}'
	echo '{"t":0.2,"type":"narration","pid":5,"kind":"step","text":"Step 1: \u001b[31mred"}'
	echo '{"t":0.3,"type":"exit","pid":5,"status":"exited 0","code":0}'
	echo '{"t":0.3,"type":"end","status":"exited 0","code":0}'
} >"$WORK/escapes.jsonl"
dash --plain --replay "$WORK/escapes.jsonl"
esc=$(printf '\033')
check "a replay cleans what the recording says: no escape reaches the terminal" \
	eval '[ "$rc" -eq 0 ] && ! grep -q "$esc" "$out" && has "evil?[2J" && has "Step 1: ?[31mred"'
check "nothing left after the runs" eval 'poll 5 nothing_left && no_board'
finish
