#!/bin/sh
# dashboard-keys.sh - the keys that signal (k, s) on a real terminal, in
# tmux: they reach only the process the screen shows selected, and only
# while it is still that process. Where valgrind is installed, the first
# dashboard runs under it, and must use no uninitialised memory.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"

bin="$top_builddir/proclab"
esc=$(printf '\033')
# selected: the PID on the row drawn in reverse video (the selection), if
# it is on the screen.
selected() {
	screen -e | sed -n "s/^\($esc\[[0-9;]*m\)*$esc\[\([0-9]*;\)*7\(;[0-9]*\)*m *\([0-9][0-9]*\) .*/\4/p" |
		head -n 1
}
selected_is() { [ "$(selected)" = "$1" ]; }
gone() { [ ! -d "/proc/$1" ]; }

plan 4

# 1. k and s on a process that ended while the view was paused: the row is
# still drawn, but its PID names nobody, or already somebody else.
vg=
if command -v valgrind >/dev/null 2>&1; then
	vg="$top_builddir/libtool --mode=execute valgrind -q --log-file=$WORK/valgrind.log"
else
	diag "valgrind not installed: the dashboard runs without it"
fi
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
	check "valgrind # SKIP not installed" true
fi

finish
