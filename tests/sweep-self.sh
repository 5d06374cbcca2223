#!/bin/sh
# sweep-self.sh - the interrupt sweep can fail: tests/sweep-trial finds
# each kind of thing tests/sweep-leaker leaves, then removes it, and it
# reports a program that does not end. See docs/sweeps.md.
. "$top_srcdir/tests/lib.sh"

trial_bin="$top_builddir/tests/sweep-trial"
leaker="$top_builddir/tests/sweep-leaker"

# run_trial NAME FLAG... [-- LEAKER-ARG]: one trial of the leaker in
# $WORK/NAME; its report in $report, its status in $rc.
run_trial() {
	dir="$WORK/$1"
	shift
	report="$dir.report"
	mkdir "$dir" && "$trial_bin" "$@" "$dir" "$leaker" $leaker_args >"$report" 2>&1
	rc=$?
}
leaker_args=
# has PATTERN: the report has a line that starts with it (a grep pattern).
has() { grep -q "^$1" "$report" || { diag "no '$1' in:" "$(cat "$report")"; false; }; }
# The leaker's PID, from the name it left in /dev/shm.
leaker_pid() { sed -n 's|^left: /dev/shm/proclab-leaker-\([0-9]*\)$|\1|p' "$report"; }
# Every process the report lists as left has ended (a zombie has ended).
left_pids() { sed -n 's/^left: process \([0-9]*\) .*/\1/p' "$report"; }
# No System V object the report lists is still there.
sysv_removed() {
	for kind in shm sem msg; do
		for id in $(sed -n "s/^left: System V $kind id \([0-9]*\),.*/\1/p" "$report"); do
			awk -v id="$id" 'NR > 1 && $2 == id { found = 1 } END { exit found }' \
				"/proc/sysvipc/$kind" || return 1
		done
	done
}
all_ended() {
	for p in $(left_pids); do
		[ ! -d "/proc/$p" ] || grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null || return 1
	done
}

if [ "$(id -u)" -eq 0 ] && unshare --mount --ipc true 2>/dev/null; then
	namespaces=yes
	plan 15
else
	namespaces=no
	plan 11
fi

# Without namespaces: the machine's names, told apart by PID and time.
run_trial plain -p -s none
pid=$(leaker_pid)
check "no namespace: the trial fails, after a normal exit of the program" \
	eval '[ "$rc" -eq 1 ] && has "ran [0-9]* ms; no signal; demo: exited with status 0; "'
check "no namespace: the child it left, in its session" \
	has "left: process [0-9]* (sweep-leaker), state [RS], parent [0-9]*, session $pid$"
check "no namespace: its name in /dev/shm" has "left: /dev/shm/proclab-leaker-[0-9]*$"
check "no namespace: its System V segment, by creator" has "left: System V shm id"
check "no namespace: its System V queue, by sender" has "left: System V msg id"
check "no namespace: its System V semaphores, by the last semop" has "left: System V sem id"
check "no namespace: its file in the trial's TMPDIR" has "left: $WORK/plain/tmp/leaked-"
check "no namespace: its file in /tmp, found by PID" has "left: /tmp/proclab-leaker-$pid$"
check "no namespace: then the child is killed and the names removed" \
	eval 'poll 5 all_ended && [ -n "$pid" ] && [ ! -e "/dev/shm/proclab-leaker-$pid" ] &&
		[ ! -e "/tmp/proclab-leaker-$pid" ] && sysv_removed'

if [ "$namespaces" = yes ]; then
	leaker_args=--mq
	run_trial private -s none
	pid=$(leaker_pid)
	check "private namespaces: the child, the /dev/shm name and the message queue" \
		eval 'has "left: process [0-9]* (sweep-leaker)" && has "left: /dev/shm/proclab-leaker-" &&
			has "left: .*mqueue/proclab-leaker-$pid$"'
	check "private namespaces: all three System V objects, semaphores too" \
		eval 'has "left: System V shm" && has "left: System V sem" && has "left: System V msg"'
	check "private namespaces: none of it was in the machine's /dev/shm" \
		eval '[ -n "$pid" ] && [ ! -e "/dev/shm/proclab-leaker-$pid" ]'
	check "private namespaces: then the child is killed" poll 5 all_ended
fi

# A program that does not end is itself left, then killed. No namespace
# (-p): the point is the time limit, and where namespaces are refused (a
# container) a trial that asks for them fails for that reason instead.
leaker_args=--hang
run_trial hang -p -s none -t 1
check "a program that does not end: listed as left after the limit, 1 s" \
	eval '{ [ "$rc" -eq 1 ] || { diag "status $rc"; false; }; } &&
		has "left: the demo itself, still running 1 s after it started"'
check "a program that does not end: then killed with SIGKILL and reaped" \
	has "ran [0-9]* ms; no signal; demo: killed by SIGKILL"

finish
