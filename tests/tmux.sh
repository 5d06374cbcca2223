# tmux.sh - a real terminal for the dashboard's tests, in tmux. Source it
# after lib.sh. It skips the test where tmux is missing, runs its own tmux
# server, and removes that server and its socket when the test ends.
#
#   open [WxH] CMD...  a new session (120x40 unless told) running CMD with
#                      the test token; the dashboard's PID is noted
#   screen [-e]        what the terminal shows (-e: with its attributes)
#   shows RE, keys K.., dead, quit (q, then nothing left), why (for the log)
[ -n "${TMUX_BIN:-}" ] || skip_all "tmux not installed (apt-get install tmux)"

sock="proclab-tmux-$$"
printf 'set -g remain-on-exit on\nset -g default-terminal screen\n' >"$WORK/tmux.conf"
tm() { "$TMUX_BIN" -L "$sock" -f "$WORK/tmux.conf" "$@"; }
# kill-server leaves its socket file behind: remove that too.
trap 'tm kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"; rm -rf "$WORK"' EXIT

session=0
open() {
	size=120x40
	# Only digits and an x: the command's paths may hold an x too (mktemp).
	case $1 in *[!0-9x]* | "") ;; *x*) size=$1; shift ;; esac
	session=$((session + 1))
	tm new-session -d -s "s$session" -x "${size%x*}" -y "${size#*x}" \
		"env PROCLAB_TEST_TOKEN=$TOKEN $*" 2>"$WORK/tmux.err" ||
		diag "tmux new-session s$session: status $?: $(cat "$WORK/tmux.err")"
	poll 5 tm has-session -t "s$session" 2>/dev/null ||
		diag "tmux: no session s$session; server $(tm display-message -p '#{pid}' 2>&1)"
	# The pane's process execs env, env the dashboard: one PID.
	dashboard_started "$(tm display-message -p -t "s$session" '#{pane_pid}')"
}
screen() { tm capture-pane -p -t "s$session" "$@"; }
dead() { [ "$(tm display-message -p -t "s$session" '#{pane_dead}')" = 1 ]; }
shows() { screen | grep -q -- "$1"; }
keys() { tm send-keys -t "s$session" "$@"; }
quit() {
	keys q
	poll 10 dead || { diag "q: the dashboard has not ended"; why; return 1; }
	poll 5 nothing_left || { diag "q: processes left"; why_left; return 1; }
	no_board
}
why() {
	diag "screen:"
	screen 2>&1 | sed 's/^/#   /'
	diag "tmux: $(tm list-panes -a -F '#{session_name} dead=#{pane_dead} status=#{pane_dead_status} cmd=#{pane_current_command}' 2>&1 | tr '\n' ';')"
	for p in $(token_pids); do diag "ps: $(ps -o pid=,ppid=,stat=,wchan:20=,args= -p "$p" 2>/dev/null)"; done
	return 1
}
