#!/bin/sh
# export.sh - proclab-export draws the hand-written recordings in
# tests/export/ (which pin the recording format, pl_export(3)):
#  - the trace is JSON (jq), every event has ph, ts, pid, tid and name,
#    every process is named, and the "X" slices of a track never overlap;
#  - the SVG is well-formed XML (xmllint), renders without a word from
#    rsvg-convert, and has a row per process, an exit mark per exit, a
#    line per step and a fork arrow per child;
#  - hostile names and narration stay text: no element of theirs appears;
#  - bad usage and bad recordings: one line, the hint or the line number,
#    and exit 2;
#  - the dashboard's --trace and --svg draw a run it watched;
#  - each picture a lesson shows is there, well-formed, and made by the
#    command the lesson gives.
. "$top_srcdir/tests/lib.sh"
need_jq
command -v xmllint >/dev/null 2>&1 || skip_all "xmllint not installed (apt-get install libxml2-utils)"
command -v rsvg-convert >/dev/null 2>&1 || skip_all "rsvg-convert not installed (apt-get install librsvg2-bin)"

export_bin="$top_builddir/proclab-export"
recordings="zombie orphan pipe deadlock threads hostile"
plan 85

# How many lines of recording $1 match the jq filter $2.
lines_where() { $JQ -s "map(select($2)) | length" "$1"; }

# count(XPATH) in SVG $1; the SVG namespace makes plain names miss.
svg_count() { xmllint --xpath "count($2)" "$1"; }

same() {
	[ "$1" = "$2" ] && return 0
	diag "expected $2, got $1"
	return 1
}

every_event_has_the_fields() {
	$JQ -e '.traceEvents | length > 0 and
		all(has("ph") and has("ts") and has("pid") and has("tid") and has("name"))' "$1" >/dev/null
}

# Slices of one track (pid, tid) in time order: each starts at or after
# the end of the one before.
slices_never_overlap() {
	$JQ -e '[.traceEvents[] | select(.ph == "X")] | group_by([.pid, .tid]) |
		all(sort_by(.ts) | . as $s |
		    all(range(1; length); $s[.].ts >= $s[. - 1].ts + $s[. - 1].dur))' "$1" >/dev/null
}

every_process_is_named() {
	named=$($JQ '[.traceEvents[] | select(.ph == "M" and .name == "process_name")] | length' "$1")
	same "$named" "$(lines_where "$2" '.type == "proc"')"
}

renders() {
	rsvg-convert -o "$WORK/$1.png" "$WORK/$1.svg" 2>"$WORK/$1.rsvg" &&
		[ ! -s "$WORK/$1.rsvg" ] && [ -s "$WORK/$1.png" ]
}

for name in $recordings; do
	rec="$top_srcdir/tests/export/$name.jsonl"
	check "$name: exports a trace and an SVG" \
		"$export_bin" --trace "$WORK/$name.json" --svg "$WORK/$name.svg" "$rec"
	check "$name: the trace is JSON" eval '$JQ empty "$WORK/$name.json"'
	check "$name: every trace event has ph, ts, pid, tid and name" \
		every_event_has_the_fields "$WORK/$name.json"
	check "$name: no two state slices of a track overlap" slices_never_overlap "$WORK/$name.json"
	check "$name: every process is named" every_process_is_named "$WORK/$name.json" "$rec"
	check "$name: the SVG is well-formed XML" xmllint --noout "$WORK/$name.svg"
	check "$name: rsvg-convert renders it without a word" renders "$name"
	check "$name: a row per process" same \
		"$(svg_count "$WORK/$name.svg" "//*[local-name()='g'][@class='row']")" \
		"$(lines_where "$rec" '.type == "proc"')"
	check "$name: an exit mark per exit" same \
		"$(svg_count "$WORK/$name.svg" "//*[@class='exit']")" \
		"$(lines_where "$rec" '.type == "exit"')"
	check "$name: a line per step" same \
		"$(svg_count "$WORK/$name.svg" "//*[@class='step']")" \
		"$(lines_where "$rec" '.type == "narration" and .kind == "step"')"
done

check "a fork arrow per child born under a recorded parent" same \
	"$(svg_count "$WORK/orphan.svg" "//*[@class='fork']")" 2
check "the adoption is drawn" same "$(svg_count "$WORK/orphan.svg" "//*[@class='adopt']")" 1
check "the pipe is drawn between its holders" same \
	"$(svg_count "$WORK/pipe.svg" "//*[@class='ipc']/*[local-name()='circle']")" 2
check "the bytes queued in the pipe are a counter" same \
	"$($JQ '[.traceEvents[] | select(.ph == "C")] | length' "$WORK/pipe.json")" 3
check "the deadlock cycle is marked" same \
	"$(svg_count "$WORK/deadlock.svg" "//*[@class='deadlock']/*[local-name()='circle']")" 2
check "threads get tracks of their own" same \
	"$($JQ '[.traceEvents[] | select(.name == "thread_name")] | length' "$WORK/threads.json")" 3
check "hostile names stay text in the SVG" same \
	"$(svg_count "$WORK/hostile.svg" "//*[local-name()='script']")" 0
check "hostile names stay text in the trace" eval \
	'$JQ -e ".otherData.command | test(\"<script>\")" "$WORK/hostile.json" >/dev/null'

# Bad usage: one line, the hint, exit 2.
usage_error() {
	"$export_bin" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ "$rc" -eq 2 ] && [ ! -s "$WORK/out" ] && [ "$(wc -l <"$WORK/err")" -eq 2 ] &&
		grep -q "^proclab-export: " "$WORK/err" &&
		grep -q "Try 'proclab-export --help'" "$WORK/err" && return 0
	diag "exit $rc:" "$(cat "$WORK/err")"
	return 1
}
check "no recording: a usage error" usage_error --svg "$WORK/x.svg"
check "nothing to write: a usage error" usage_error "$top_srcdir/tests/export/zombie.jsonl"
check "an unknown option: a usage error" usage_error --png x "$top_srcdir/tests/export/zombie.jsonl"

# A bad recording: one line that names the file and the line, exit 2.
bad_recording() {
	printf '%s\n' "$@" >"$WORK/bad.jsonl"
	"$export_bin" --svg "$WORK/bad.svg" "$WORK/bad.jsonl" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && return 0
	diag "exit $rc:" "$(cat "$WORK/err")"
	return 1
}
header='{"t":0,"type":"header","format":"proclab-record","version":1}'
check "a line cut short is refused with its number" bad_recording "$header" \
	'{"t":0.1,"type":"proc","pid":5}' '{"t":0.2,"type":"state","pid":5,'
check "... the message names the file and line 3" grep -q "bad.jsonl:3: " "$WORK/err"
check "a file that is not a recording is refused at line 1" bad_recording 'hello'
check "... the message names line 1" grep -q "bad.jsonl:1: " "$WORK/err"

# The dashboard's own --trace and --svg, drawn from a run it recorded to
# a file with no name: a shell that forks a sleep and waits for it.
dashboard_draws() {
	env PROCLAB_TEST_TOKEN="$TOKEN" "$top_builddir/proclab" --plain \
		--trace "$WORK/dash.json" --svg "$WORK/dash.svg" \
		-- sh -c 'sleep 0.3 & wait' >"$WORK/dash.out" 2>"$WORK/dash.err" </dev/null
	[ -s "$WORK/dash.json" ] && [ -s "$WORK/dash.svg" ] && return 0
	diag "$(cat "$WORK/dash.err")"
	return 1
}
at_least() {
	[ "$1" -ge "$2" ] && return 0
	diag "expected at least $2, got $1"
	return 1
}
check "proclab --trace --svg draws the run it watched" dashboard_draws
check "... the trace is JSON with every field" every_event_has_the_fields "$WORK/dash.json"
check "... the SVG is XML with the shell and its sleep as rows" at_least \
	"$(svg_count "$WORK/dash.svg" "//*[local-name()='g'][@class='row']")" 2
check "... and marks the exit of the sleep and of the shell" at_least \
	"$(svg_count "$WORK/dash.svg" "//*[@class='exit']")" 2
check "... nothing of the run is left behind" nothing_left

# The lessons' pictures: each one a lesson shows exists, is well-formed
# XML, renders, and has the command that made it beside it.
lesson_picture_ok() {
	lesson=$1 picture=$2
	file="$top_srcdir/lessons/$picture"
	[ -f "$file" ] || { diag "$lesson shows $picture, which is not there"; return 1; }
	xmllint --noout "$file" || return 1
	rsvg-convert -o "$WORK/lesson.png" "$file" 2>"$WORK/lesson.rsvg" && [ ! -s "$WORK/lesson.rsvg" ] ||
		{ diag "rsvg-convert: $(cat "$WORK/lesson.rsvg")"; return 1; }
	grep -q "proclab .*--svg lessons/$picture " "$lesson" ||
		{ diag "$lesson does not give the command that made $picture"; return 1; }
}
for lesson in "$top_srcdir"/lessons/[0-9]*.md; do
	for picture in $(sed -n 's/.*](\(pictures\/[^)]*\.svg\)).*/\1/p' "$lesson"); do
		check "$(basename "$lesson"): its picture $picture is well-formed, renders, with its command" \
			lesson_picture_ok "$lesson" "$picture"
	done
done

finish
