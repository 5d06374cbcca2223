#!/bin/sh
# dashboard-keys.sh - the keys that signal (k, s) on a real terminal, in
# tmux: they reach only the process the screen shows selected, and only
# while it is still that process. In a tree taller than the terminal the
# selection scrolls into view, so that process is always one on screen. Where valgrind is installed, the first
# dashboard runs under it, and must use no uninitialised memory.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"

bin="$top_builddir/proclab"
esc=$(printf '\033')
# selected: the PID on the row drawn in reverse video (the selection), if
# it is on the screen: a line that starts with attributes, 7 among them.
selected() {
	sgr="$esc\[[0-9;]*m"
	screen -e | sed -n "s/^\($sgr\)*$esc\[\([0-9]*;\)*7\(;[0-9]*\)*m\($sgr\)* *\([0-9][0-9]*\) .*/\5/p" |
		head -n 1
}
selected_is() { [ "$(selected)" = "$1" ]; }
gone() { [ ! -d "/proc/$1" ]; }

plan 10

# 1. k and s on a process that ended while the view was paused: the row is
# still drawn, but its PID names nobody, or already somebody else.
vg=
case ${USER_CFLAGS:-} in
*-fsanitize=*)
	# A sanitizer's runtime and valgrind cannot share a process.
	diag "a sanitizer build: the dashboard runs without valgrind" ;;
*)
	if command -v valgrind >/dev/null 2>&1; then
		vg="$top_builddir/libtool --mode=execute valgrind -q --log-file=$WORK/valgrind.log"
	else
		diag "valgrind not installed: the dashboard runs without it"
	fi ;;
esac
open "$vg $bin -- sh -c 'sleep 300 & echo \$! >$WORK/w; wait; exec sleep 300'"
poll 30 shows "\`-sleep" || why
w=$(cat "$WORK/w")
keys Down
poll 10 selected_is "$w" || { diag "the sleep is not selected"; why; }
keys ' '
poll 10 shows "| PAUSED" || why
kill "$w"
poll 10 gone "$w" || diag "$w was not reaped"
keys k
check "k on a process that ended while paused: says so, sends nothing" \
	eval 'poll 20 shows "SIGTERM not sent: $w has ended" || why'
keys s
check "s on it: the same" eval 'poll 20 shows "SIGSTOP not sent: $w has ended" || why'
check "q: nothing left" quit
# Errors are the "==PID==" lines. A valgrind that does not know
# pidfd_open (3.19) warns on "--PID--" lines and fails the call with
# ENOSYS, so the dashboard takes its path for kernels without pidfds.
if [ -n "$vg" ]; then
	check "valgrind: no errors" eval '! grep -q "^==[0-9]*== " "$WORK/valgrind.log" ||
		{ sed "s/^/# /" "$WORK/valgrind.log" | head -n 40; false; }'
else
	check "valgrind # SKIP not installed, or a sanitizer build" true
fi

# 2. A tree of 31 in a terminal of 15 lines: 12 rows for the tree.
open 120x15 "$bin -- sh -c 'for i in \$(seq 30); do sleep 300 & done; wait'"
check "a tree taller than the terminal" eval 'poll 30 shows "| 31 procs |" || why'
root=$(screen | sed -n 's/.*proclab: sh (pid \([0-9]*\)).*/\1/p')
# The rows in order: the root, then its children by PID.
child() { token_children_of "$root" | sort -n | sed -n "$1p"; }
# press N KEY: the key N times.
press() {
	i=0
	while [ "$i" -lt "$1" ]; do keys "$2"; i=$((i + 1)); done
}
# The rows that fade (seq, which ended) count in the order while they
# show: wait until they are gone, or a Down lands on one.
poll 30 eval '! shows " - gone "' || why
press 20 Down
check "Down past the bottom: the selected row (child 20) is on the screen" \
	eval 'poll 30 selected_is "$(child 20)" || { diag "selected: $(selected)"; why; }'
check "the tree says which rows it shows" poll 30 shows "rows 10-21 of 31"
press 15 Up
check "Up past the top: the selected row (child 5) is on the screen" \
	eval 'poll 30 selected_is "$(child 5)" || { diag "selected: $(selected)"; why; }'
victim=$(child 5)
keys k
check "k signals the process shown selected" \
	eval 'poll 10 shows "Sent SIGTERM to $victim;" && poll 10 gone "$victim" || why'
check "q: nothing left" quit

finish
