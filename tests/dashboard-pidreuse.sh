#!/bin/sh
# dashboard-pidreuse.sh - the dashboard never adopts or signals a process
# that was given the PID of one it watched.
#
# PID reuse is forced, not waited for: in a PID namespace of our own, the
# next PID is the one written to /proc/sys/kernel/ns_last_pid, plus one
# (see pid_namespaces(7)). While the dashboard is stopped (SIGSTOP), a
# watched process W is killed and reaped, and a stranger S, with a child
# C, is started at W's PID. Once it goes on, the dashboard must show W
# gone, never show C, and at its end (Ctrl-C) signal neither S nor C.
#
# A second run makes the moment between checking a PID and signalling it
# long: strace holds each signal the dashboard sends (kill(2), or
# pidfd_send_signal(2)) for a few seconds as the system call is entered.
# While the SIGTERM that the end of the run sends to W is held, W is
# killed and its PID is given to a stranger. A kill() by number would
# then hit the stranger; a pidfd still stands for W, and reaches nobody.
#
# Making the namespaces needs root (CAP_SYS_ADMIN); where that is not
# allowed, the test says so and skips. The namespace has its own /proc and
# its own /dev/shm: a dashboard inside sees none of the PIDs outside, and
# would take every other dashboard's board for a stale one.
. "$top_srcdir/tests/lib.sh"

if [ "${1:-}" != --in-namespace ]; then
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		skip_all "cannot make a PID namespace here (needs root: unshare --pid --mount-proc)"
	unshare --pid --fork --mount-proc sh "$0" --in-namespace
	exit $?
fi

# From here on we are PID 1 of the new namespace, with its own /proc.
plan 10
mount -t tmpfs -o mode=1777 proclab-test /dev/shm ||
	{ echo "Bail out! cannot mount a private /dev/shm"; exit 1; }

bin="$top_builddir/proclab"
log="$WORK/dashboard.log"
# alive PID: PID is there and not a zombie.
alive() { grep -q '^State:[[:space:]]*[^Z]' "/proc/$1/status" 2>/dev/null; }
stopped() { grep -q '^State:[[:space:]]*T' "/proc/$1/status" 2>/dev/null; }
gone() { [ ! -d "/proc/$1" ]; }
shows() { grep -q -- "$1" "$log"; }

# The watched command: a shell whose child W sleeps; when W dies, the
# shell execs a sleep of its own (no fork, so it takes no PID).
env PROCLAB_TEST_TOKEN="$TOKEN" "$bin" --plain -- \
	sh -c 'sleep 300 & echo $! >"$0/w"; wait $!; exec sleep 300' "$WORK" >"$log" 2>&1 </dev/null &
dash=$!
poll 20 test -s "$WORK/w"
w=$(cat "$WORK/w")
check "the dashboard watches W ($w)" eval 'poll 20 shows "^ *$w .* S sleeping .*sleep$" ||
	{ diag "$(tail -n 20 "$log")"; false; }'

kill -STOP "$dash"
poll 10 stopped "$dash" || diag "the dashboard did not stop"
kill -KILL "$w"
poll 10 gone "$w" || diag "W was not reaped"
# No fork between this write and the stranger's: echo is a shell builtin.
echo $((w - 1)) >/proc/sys/kernel/ns_last_pid
sh -c 'sleep 300 & echo $! >"$0/c"; wait' "$WORK" </dev/null >/dev/null 2>&1 &
s=$!
poll 10 test -s "$WORK/c"
c=$(cat "$WORK/c")
check "the stranger got W's PID ($s)" [ "$s" = "$w" ]
lines=$(wc -l <"$log")
kill -CONT "$dash"

# The snapshots printed since it went on.
since() { tail -n +$((lines + 1)) "$log"; }
check "the dashboard shows W gone" \
	eval 'poll 20 eval "since | grep -q \"^ *$w  *[0-9]* - gone\"" || { diag "$(since | tail -n 20)"; false; }'
kill -INT "$dash"
wait "$dash"
check "the stranger's child ($c) never joined the watched tree" eval '! shows "^ *$c "'
check "the end of the run signalled neither the stranger nor its child" \
	eval 'alive "$s" && alive "$c" || { diag "stranger: $(cat /proc/$s/status 2>&1 | grep State)" "child: $(cat /proc/$c/status 2>&1 | grep State)"; false; }'
check "the watched command is gone with the dashboard" eval 'poll 5 nothing_left || { why_left; false; }'
kill "$c" "$s" 2>/dev/null
wait

# 2. A signal held at the system call while its target's PID changes hands.
if ! command -v strace >/dev/null 2>&1; then
	for i in 1 2 3 4; do
		tap_count=$((tap_count + 1)); echo "ok $tap_count # SKIP strace not installed"
	done
	finish
fi
hold=3 # seconds strace holds each signal; the test needs well under one
log="$WORK/held.log"
# W in a session of its own, so that the signal to the command's group
# does not reach it; the shell ignores SIGTERM, and lives to reap W.
env "$NO_LSAN" strace -qq -o /dev/null -e trace=kill,pidfd_send_signal \
	-e inject=kill,pidfd_send_signal:delay_enter=$((hold * 1000000)) \
	env PROCLAB_TEST_TOKEN="$TOKEN" "$bin" --plain -- \
	sh -c 'trap "" TERM; setsid sleep 300 & echo $! >"$0/w2"; wait; exec sleep 300' "$WORK" \
	>"$log" 2>&1 </dev/null &
tracer=$!
poll 20 test -s "$WORK/w2"
w=$(cat "$WORK/w2")
set -- $(cat "/proc/$tracer/task/$tracer/children")
dash=$1
check "the dashboard watches W ($w)" eval 'poll 20 shows "^ *$w .* S sleeping .*sleep$" ||
	{ diag "$(tail -n 20 "$log")"; false; }'
# held_for PID: the dashboard is held entering a call that sends SIGTERM to
# PID: kill(PID, 15), or pidfd_send_signal(FD, 15, ...) with FD a pidfd of
# PID. /proc/TID/syscall: the call's number, then its arguments in hex.
held_for() {
	set -- "$1" $(cat "/proc/$dash/syscall" 2>/dev/null)
	[ "${4:-}" = 0xf ] || return 1
	[ "$3" = "$(printf '0x%x' "$1")" ] ||
		grep -q "^Pid:[[:space:]]*$1\$" "/proc/$dash/fdinfo/$(($3))" 2>/dev/null
}
kill -INT "$dash"
poll 30 held_for "$w" || diag "never saw the SIGTERM to W held"
held=$(cat "/proc/$dash/syscall")
kill -KILL "$w"
poll 5 gone "$w" || diag "W was not reaped"
echo $((w - 1)) >/proc/sys/kernel/ns_last_pid
sleep 300 </dev/null >/dev/null 2>&1 &
s=$!
check "the stranger got W's PID ($s) while the signal to W was held" \
	eval '[ "$s" = "$w" ] && [ "$(cat "/proc/$dash/syscall")" = "$held" ]'
wait "$tracer"
check "the held signal did not reach the stranger" \
	eval 'alive "$s" || { diag "stranger: $(grep State "/proc/$s/status" 2>&1)"; false; }'
check "the watched command is gone with the dashboard" eval 'poll 5 nothing_left || { why_left; false; }'
kill "$s" 2>/dev/null
wait
finish
