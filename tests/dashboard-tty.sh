#!/bin/sh
# dashboard-tty.sh - `proclab` on a real terminal, in tmux (120x40): it draws
# states, zombies, the adoption mark, a pipe and the DEADLOCK flag as
# they happen; its keys work (help, pause, stop/continue, rate, --step, q);
# it copes with TERM=dumb, a 40x12 terminal, a storm of resizes and
# NO_COLOR; and q leaves no process, no board and no tmux server behind.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"

bin="$top_builddir/proclab"
esc=$(printf '\033')
coloured() { screen -e | grep -q "$esc\[3[1-7]m"; }

plan 24

# 1. The fork demo, slowly: children sleeping, then zombies, then gone.
open "$bin fork --speed 0.4 --children 3"
check "fork: the title names the demo" poll 20 shows "proclab: proclab-fork (pid"
check "fork: three children sleeping, with their role" \
	eval 'poll 20 eval "[ \$(screen | grep -c \"S sleeping .* child \") -ge 3 ]" || why'
check "fork: the zombies are shown, with how long they went unreaped" \
	eval 'poll 30 shows "Z zombie .*zombie, unreaped [0-9.]*s" || why'
check "fork: states are in colour on a colour terminal" coloured
check "fork: the narration pane follows the steps" eval 'poll 30 shows "Step 5: the parent waits" || why'
check "fork: the end is announced with the exit status, q quits clean" \
	eval '{ poll 30 shows "The command exited with status 0. q quits." || why; } && quit'

# 2. An orphan: the middle shell exits, its child is adopted.
open "$bin -- sh -c 'sh -c \"sleep 30 & sleep 1\"; sleep 30'"
check "orphan: marked 'adopted by PID n (command)'" \
	eval 'poll 20 shows "sleep  adopted by PID [0-9]* (" || why'
check "orphan: q ends the orphan too" quit

# 3. A pipe with a blocked writer; keys on the selected process (the root).
open "$bin -- sh -c 'yes | sleep 30'"
check "pipe: one line, its writer and reader, with the bytes queued" \
	eval 'poll 20 shows "pipe  *pipe:\[[0-9]*\] held by 2: [0-9]* (fd [01] [rw]) [0-9]* (fd [01] [rw]), 65536 bytes queued" || why'
keys s
check "s: SIGSTOP shows the selected process stopped" eval 'poll 10 shows "T stopped" || why'
keys s
check "s again: SIGCONT, it sleeps again" eval 'poll 10 eval "! shows \"T stopped\"" || why'
keys ' '
paused_then_running() { poll 5 shows "| PAUSED" && keys ' ' && poll 5 eval '! shows "| PAUSED"'; }
check "space: pauses and resumes the view" paused_then_running
keys +
check "+: a faster refresh rate" eval 'poll 5 shows "| 20 Hz" || why'
keys '?'
check "?: the help, any key closes it" \
	eval 'poll 5 shows "proclab keys" && keys x && poll 5 eval "! shows \"proclab keys\"" && quit'

# k on the selected process: SIGTERM (then SIGKILL if it stays).
open "$bin -- sh -c 'sleep 30; echo the shell goes on; sleep 30'"
poll 20 shows "\`-sleep" && keys Down
check "k: sends SIGTERM to the selected process" \
	eval '{ keys k && poll 10 shows "Sent SIGTERM to [0-9]*;" || why; }'
check "k: the process is gone, the shell goes on" \
	eval '{ poll 10 shows "the shell goes on" && poll 10 shows " - gone .*\`-sleep" || why; } && quit'

# k on a process that ignores SIGTERM: SIGKILL follows, 2 s later.
open "$bin -- sh -c 'trap \"\" TERM; while :; do sleep 1; done'"
poll 20 shows "\`-sleep"
check "k: a process that ignores SIGTERM gets SIGKILL after the grace" \
	eval '{ keys k && poll 10 shows "Sent SIGTERM to [0-9]*; SIGKILL in 2 s" &&
		poll 10 shows "The command killed by SIGKILL" || why; } && quit'

# 4. A deadlock of two flock()s.
mkdir "$WORK/locks"
# The cycle is told from its smallest PID, which PID reuse can give either
# child, so both orders count.
deadlock_flagged() {
	open "$bin -- $top_builddir/tests/lockcycle $WORK/locks 30"
	poll 40 shows "DEADLOCK: [0-9]* (\(left\|right\)) wants .*[ab].lock, held by [0-9]* (\(left\|right\))" ||
		why || return 1
	quit
}
check "deadlock: flagged live, naming the processes and the locks" deadlock_flagged

# 5. --step: the demo waits at each step until space.
open "$bin fork --step --speed 100 --children 2"
step_with_space() {
	poll 20 shows "STEP: space goes on" || return 1
	shows "Step 2:" && return 1
	keys ' '
	poll 10 shows "Step 2:" || return 1
	quit
}
check "--step: the demo waits, and space lets it go on" step_with_space

# 6. Hard terminals: dumb, tiny, resized again and again, no colour.
open "TERM=dumb $bin -- sleep 30"
check "TERM=dumb: falls back to plain snapshots" \
	eval '{ poll 10 shows "^--- snapshot 1" || why; } && keys C-c && poll 10 dead && poll 5 nothing_left'
open 40x12 "NO_COLOR=1 $bin -- sh -c 'sleep 30 & sleep 30 & wait'"
storm() {
	poll 10 shows "proclab: sh" || return 1
	for size in 30x8 200x60 40x12 10x3 120x40 41x13 80x24 40x12; do
		tm resize-window -t "s$session" -x "${size%x*}" -y "${size#*x}"
	done
	# Still alive, redrawn at the last size, the tree in view, no colour.
	poll 10 eval 'screen | grep -q "S sleeping"' && ! dead && ! coloured &&
		[ "$(screen | awk "{ print length }" | sort -n | tail -n 1)" -le 40 ]
}
check "40x12 with NO_COLOR, through a storm of resizes: still drawing, no colour" \
	eval 'storm || why'
check "q: nothing left, no board, after every session" quit

# 7. A UTF-8 command name, in a UTF-8 locale: whole where there is room,
# and where there is not, cut between two characters and by the columns
# they take. The narrow table's name column starts at column 30, so a 35
# column terminal has room for "grüße" (7 bytes), not for "grüße-ø".
if [ "$(LC_ALL=C.UTF-8 locale charmap 2>/dev/null)" = UTF-8 ]; then
	LC_ALL=C.UTF-8
	export LC_ALL
	name=$(printf 'gr\303\274\303\237e-\303\270')
	cut=$(printf 'gr\303\274\303\237e')
	ln -s "$(command -v sleep)" "$WORK/$name"
	open "LC_ALL=C.UTF-8 $bin -- $WORK/$name 30"
	check "UTF-8: a name is shown whole" \
		eval '{ poll 20 shows "S sleeping .* $name\$" || why; } && quit'
	open 35x12 "LC_ALL=C.UTF-8 $bin -- $WORK/$name 30"
	check "UTF-8: a name is cut between two characters in a narrow terminal" \
		eval '{ poll 20 shows "S sleeping  *[^ ]* $cut\$" || why; } && quit'
else
	for c in 1 2; do tap_count=$((tap_count + 1)); echo "ok $tap_count # SKIP no C.UTF-8 locale"; done
fi

finish
