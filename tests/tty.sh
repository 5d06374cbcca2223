#!/bin/sh
# tty.sh - proclab-fork on a real terminal, in tmux: colour on a terminal
# and off with NO_COLOR or --no-color; --step waits for Enter; Ctrl-C at
# any step leaves nothing behind.
. "$top_srcdir/tests/lib.sh"
[ -n "${TMUX_BIN:-}" ] || skip_all "tmux not installed (apt-get install tmux)"

sock="proclab-test-$$"
printf 'set -g remain-on-exit on\nset -g history-limit 5000\n' >"$WORK/tmux.conf"
tm() { "$TMUX_BIN" -L "$sock" -f "$WORK/tmux.conf" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"; rm -rf "$WORK"' EXIT

fork_bin=$(demo_bin fork)
session=0
# open CMD...: a new 120x50 terminal running CMD with the test token.
open() {
	session=$((session + 1))
	tm new-session -d -s "s$session" -x 120 -y 50 \
		"env PROCLAB_TEST_TOKEN=$TOKEN $*"
}
screen() { tm capture-pane -p -S - -t "s$session" "$@"; }
dead() { [ "$(tm display-message -p -t "s$session" '#{pane_dead}')" = 1 ]; }
shows() { screen | grep -qF -- "$1"; }
esc=$(printf '\033')
coloured() { screen -e | grep -qF "$esc[32m[ok]"; }

plan 10

open "$fork_bin --speed 100"
check "on a terminal: the run ends" poll 20 dead
check "on a terminal: [ok] is green" coloured

open "NO_COLOR=1 $fork_bin --speed 100"
poll 20 dead
check "NO_COLOR=1: no colour" eval '! coloured && shows "10 of 10 checks held"'

open "$fork_bin --no-color --speed 100"
poll 20 dead
check "--no-color: no colour" eval '! coloured && shows "10 of 10 checks held"'

# --step: the demo waits at each step until Enter.
open "$fork_bin --step --speed 100 --children 2"
at_prompt() { shows "Step $1:" && screen | grep -v '^ *$' | tail -n 1 | grep -qF -- "-- Enter: next step"; }
step_through() {
	for k in 1 2 3 4 5; do
		poll 20 at_prompt "$k" || { diag "no prompt at step $k"; return 1; }
		tm send-keys -t "s$session" Enter
	done
	poll 20 dead && shows "10 of 10 checks held"
}
check "--step: waits at each of the 5 steps, then ends" step_through

# Ctrl-C at each step: the terminal sends SIGINT to the demo and all its
# children (one foreground process group). Nothing may survive.
for k in 1 2 3 4 5; do
	open "$fork_bin --step --speed 100 --children 2"
	ctrl_c_at() {
		i=1
		while [ "$i" -lt "$1" ]; do
			poll 20 at_prompt "$i" || return 1
			tm send-keys -t "s$session" Enter
			i=$((i + 1))
		done
		poll 20 at_prompt "$1" || return 1
		tm send-keys -t "s$session" C-c
		poll 5 dead && poll 1 nothing_left && ! shows "checks held"
	}
	check "Ctrl-C at step $k: the demo stops and leaves nothing behind" ctrl_c_at "$k"
done

finish
