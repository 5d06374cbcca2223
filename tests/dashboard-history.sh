#!/bin/sh
# dashboard-history.sh - the whole run on a real terminal, in tmux: once
# the command has ended the screen keeps every process that lived (even
# those the live view let fade), with exit statuses, and the summary,
# until q; the narration scrolls back (PgUp, PgDn) and the timeline in
# time (Left, Right, Home, End); and --replay plays a recording paused,
# one refresh for each n, then to its end with space.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"

bin="$top_builddir/proclab"

plan 13

# 1. The zombie demo to its end. Its first children exit at 2.5 s and the
#    run lasts some 11 s: the live view forgot them long before the end.
open "$bin --record $WORK/zombie.jsonl zombie"
check "the end is announced, and the summary shows" \
	eval '{ poll 60 shows "The command exited with status 0. q quits." &&
		poll 5 shows "^Summary: [0-9]* processes made, at most [0-9]* alive at once; [0-9]* zombies" ; } || why'
made=$(screen | sed -n 's/^Summary: \([0-9]*\) processes made.*/\1/p')
every_row() {
	rows=$(screen | grep -c "^ *[0-9][0-9]* *[0-9][0-9]* - gone ")
	[ -n "$made" ] && [ "$rows" -eq "$made" ] || { diag "$rows gone rows, $made made"; why; }
}
check "every process that lived has its row, gone, after the end" every_row
check "the rows keep their exit statuses" \
	eval 'shows "proclab-zombie  exited with status 7" && shows "exited with status 0" || why'
check "the title says the run has ended" eval 'shows "| ENDED" || why'

# 2. The narration scrolls back to the first step, and forth again.
scrolled_back() {
	for _ in $(seq 40); do
		shows "Step 1: a child exits" && break
		keys PPage
		poll 5 shows "Narration (scrolled back: PgDn)" || return 1
	done
	shows "Step 1: a child exits"
}
check "PgUp: the narration scrolls back to the first step" eval 'scrolled_back || why'
forth() {
	for _ in $(seq 41); do keys NPage; done
	poll 5 eval '! shows "scrolled back"'
}
check "PgDn: back to the newest lines" eval 'forth || why'
check "q: nothing left" quit

# 3. The recording, replayed: paused, one refresh a key, then played.
open "$bin --replay $WORK/zombie.jsonl --speed 100"
stepping() {
	poll 10 shows "REPLAY 0.0 s of [0-9.]* s | x100 | paused: n steps" || return 1
	! shows "proclab-zombie$" || return 1
	# The first refresh may have caught the demo before its exec (a busy
	# machine), as "proclab": step on until it is there, ten steps at most.
	tries=0
	until keys n && poll 2 shows "^ *[0-9][0-9]* *[0-9][0-9]* . [a-z]* .* proclab-zombie"; do
		tries=$((tries + 1))
		[ "$tries" -lt 10 ] || return 1
	done
	# Each n is one refresh: the time moves on, and the replay stays paused.
	before=$(screen | sed -n 's/.*REPLAY \([0-9.]*\) s of.*/\1/p')
	keys n
	poll 5 eval '[ "$(screen | sed -n "s/.*REPLAY \([0-9.]*\) s of.*/\1/p")" != "$before" ]' &&
		shows "paused: n steps"
}
check "replay: paused at the start, n steps one refresh" eval 'stepping || why'
check "replay: space plays it to the end, and the summary shows" \
	eval '{ keys Space && poll 30 shows "| the end" && poll 5 shows "^Summary: $made processes made" ; } || why'
keys q
poll 10 dead

# 4. The timeline scrolls in time: a recorded run of 100 s (longer than
#    the pane's 25 s), with a state for each quarter of it.
{
	echo '{"t":0,"type":"header","format":"proclab-record","version":1,"command":"long","hz":10,"started":""}'
	echo '{"t":0.5,"type":"proc","pid":5,"ppid":1,"comm":"long","role":""}'
	echo '{"t":0.5,"type":"state","pid":5,"state":"S"}'
	echo '{"t":50,"type":"state","pid":5,"state":"R"}'
	echo '{"t":99,"type":"state","pid":5,"state":"Z"}'
	echo '{"t":100,"type":"exit","pid":5,"status":"exited 0","code":0}'
	echo '{"t":100,"type":"end","status":"exited 0","code":0}'
} >"$WORK/long.jsonl"
open "$bin --replay $WORK/long.jsonl --speed 100"
poll 10 shows "paused: n steps" && keys Space
check "the timeline follows the present: the last 25 s" \
	eval 'poll 30 shows "Timeline 75.5-100.0 s (a cell = 0.5 s)$" && shows "RRRRZZ\. *$" || why'
check "Home: the timeline from the start of the run" \
	eval '{ keys Home && poll 5 shows "Timeline 0.0-24.5 s (a cell = 0.5 s) <- ->" &&
		shows "5  *SSSSSSSSSS" ; } || why'
check "Right: later in time" \
	eval '{ keys Right && poll 5 shows "Timeline 12.5-37.0 s (a cell = 0.5 s) <- ->" ; } || why'
check "End: back to the present" \
	eval '{ keys End && poll 5 shows "Timeline 75.5-100.0 s (a cell = 0.5 s)$" ; } || why'
keys q
poll 10 dead
finish
