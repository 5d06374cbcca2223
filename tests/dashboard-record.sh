#!/bin/sh
# dashboard-record.sh - `proclab --record` and `--replay` in plain mode: a
# replay prints the snapshots the live run printed; a plain run ends with
# the summary; bad recordings are refused with one line naming the line,
# and exit 2; what a recording says reaches the terminal cleaned.
. "$top_srcdir/tests/lib.sh"
plan 30

bin="$top_builddir/proclab"

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

# 1. A run recorded, and replayed: the same snapshots, narration, IPC
#    objects with their holders, and end.
for demo in "zombie --speed 4" "deadlock --speed 4" "fork-threads --speed 4" \
	"pipe --speed 4" "server --speed 4"; do
	name=${demo%% *}
	threads=
	[ "$name" = fork-threads ] && threads=--threads
	# shellcheck disable=SC2086 # the demo's options are words
	dash --plain $threads --record "$WORK/$name.jsonl" $demo
	cp "$out" "$WORK/$name.live"
	check "$name: recorded, the run ends as before" \
		eval '[ "$rc" -eq 0 ] && has "proclab: the command exited with status 0"'
	dash --plain --replay "$WORK/$name.jsonl"
	cp "$out" "$WORK/$name.replay"
	check "$name: the replay prints the snapshots of the live run" \
		eval '[ "$rc" -eq 0 ] && same_as_live "$WORK/$name.live" "$out"'
done
check "fork-threads: the threads are recorded and replayed" \
	eval 'grep -q "^ *[0-9]*  thread S sleeping .*{worker-1}" "$WORK/fork-threads.replay"'
check "pipe: the replay shows a pipe with its holders and their ends" \
	eval 'grep -q "^  pipe  *pipe:\[[0-9]*\] held by [2-9]: [0-9]* (fd [0-9]* w.*(fd [0-9]* r" "$WORK/pipe.replay"'
readded() {
	# One "add" line per object, with every holder; a holder change is
	# the same id added again (docs/record.md).
	grep '"type":"ipc","op":"add"' "$WORK/pipe.jsonl" | grep -v '"holders":\[{"pid":[0-9]*,"fd":-\{0,1\}[0-9]*' &&
		{ diag "an ipc line without holders"; return 1; }
	n=$(grep -o '"op":"add","id":"[^"]*"' "$WORK/pipe.jsonl" | sort | uniq -d | wc -l)
	[ "$n" -ge 1 ] || { diag "no object added twice"; return 1; }
}
check "pipe: each object is one line with its holders, added again when they change" readded
check "server: the replay shows the listener and the connections with both sides" \
	eval 'grep -q "^  unix  *.*/server.sock listening, held by 1: " "$WORK/server.replay" &&
		grep -q "^  unix  *.*/server.sock: socket:\[[0-9]*\] held by 1: [0-9]* (fd [0-9]*) <-> socket:\[[0-9]*\] held by 1: " "$WORK/server.replay"'
dash --plain --replay "$WORK/deadlock.jsonl"
check "deadlock: the replay flags the DEADLOCK, as the live run did" \
	eval 'grep -q "^DEADLOCK: " "$out" && grep -Eq "; [1-9][0-9]* deadlocks?;" "$out"'
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
check "proclab-export reads a recording of objects with both sides of a connection" \
	eval '"$top_builddir/proclab-export" --trace "$WORK/server.trace" "$WORK/server.jsonl" &&
		grep -q "\"name\":\"ipc unix\".*\"holders\":\[[0-9]*,[0-9]*\]" "$WORK/server.trace"'

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

# The command line: --speed goes with --replay, and --replay alone.
usage_error() {
	dash "$@"
	[ "$rc" -eq 2 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" -eq 2 ] &&
		tail -n 1 "$err" | grep -q "^Try 'proclab --help'" ||
		{ diag "proclab $*: status $rc, stderr: $(cat "$err")"; return 1; }
}
check "--speed without --replay is a usage error" usage_error --speed 2 fork
check "--replay and a command exclude each other" usage_error --replay "$WORK/zombie.jsonl" fork

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
