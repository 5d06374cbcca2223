#!/bin/sh
# examples.sh - each bare program in examples/ does what its header comment
# says, seen from outside it: the zombie is Z in /proc under its parent,
# the orphan's parent changes to the nearest subreaper, the pipe's reader
# sees end of file, the unlocked race loses updates in some run and the
# locked one in none, the deadlocked threads and philosophers sleep on a
# futex, the one-CPU children may use one CPU in /proc, the inheriting
# low thread runs at high's priority, strace sees the child's exec, and so on.
# Every run is bounded: a program that hangs is killed and fails its check.
. "$top_srcdir/tests/lib.sh"
plan 76

ex="$top_builddir/examples"

# start NAME ARG...: run examples/NAME in the background, stdin from
# /dev/null unless $stdin names a file. Sets $pid and $out.
start() {
	name=$1
	shift
	out="$WORK/$name.$tap_count.out"
	env PROCLAB_TEST_TOKEN="$TOKEN" "$ex/$name" "$@" <"${stdin:-/dev/null}" >"$out" 2>&1 &
	pid=$!
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# finish_run SECONDS: reap $pid, killing it if it has not ended by then,
# and every process of ours it left; sets $rc (124 when it had to be killed).
finish_run() {
	if poll "$1" gone "$pid"; then
		wait "$pid"
		rc=$?
	else
		kill -s KILL "$pid" $(token_pids) 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=124
		diag "$name did not end in $1 s"
	fi
}
# run NAME ARG...: run it to the end, at most 20 s.
run() {
	start "$@"
	finish_run 20
}
has() { grep -q "$1" "$out" || { diag "no '$1' in: $(cat "$out")"; false; }; }
# The state letter and the parent of a PID, from /proc/PID/stat (the
# fields after the command name's last ')').
state_of() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }
ppid_of() { awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
printed() { grep -q "$1" "$out" 2>/dev/null; }
# children_of PID: its children, as the kernel lists them.
children_of() { cat "/proc/$1/task/$1/children" 2>/dev/null; }
# asleep_in PID PATTERN: PID sleeps (S) in a kernel function like PATTERN.
asleep_in() {
	is_state "$1" S && case $(cat "/proc/$1/wchan" 2>/dev/null) in $2) true ;; *) false ;; esac
}

# --- fork: two returns, two copies of memory. ---
run fork
check "fork: exits 0" [ "$rc" -eq 0 ]
child=$(sed -n 's/^child  \([0-9]*\): .*/\1/p' "$out")
check "fork: the parent is the program's PID and got the child's PID from fork()" \
	has "^parent $pid: my child was $child, value 1$"
check "fork: the child is another PID, and getppid() gives the program's PID" \
	sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' - "$child" "$pid"
check "fork: the child changed its copy of value (2); the parent's stayed 1" \
	has "^child  $child: my parent is $pid, value 2$"

# --- exec: the same PID, a new program; 127 when there is none. ---
run exec sh -c 'echo "sh is $$"'
child=$(sed -n 's/^child \([0-9]*\): exec sh$/\1/p' "$out")
check "exec: the program exec'd in the child has the child's PID" \
	sh -c '[ -n "$1" ] && grep -q "^sh is $1$" "$2"' - "$child" "$out"
check "exec: the parent waited and got its status" has "^parent: sh exited with status 0$"
run exec proclab-no-such-program
check "exec: no such program, and the child exits 127" \
	has "^parent: proclab-no-such-program exited with status 127$"

# --- wait: the status word decoded. ---
run wait exit 42
check "wait: a child's _exit(42) is decoded as status 42" has "exited with status 42$"
run wait exit 300
check "wait: _exit(300) arrives as 44, only the low 8 bits" has "exited with status 44$"
start wait pause
poll 10 printed "waiting for a signal"
child=$(sed -n 's/^child \([0-9]*\): waiting.*/\1/p' "$out")
check "wait: the waiting child is the program's child, asleep" \
	sh -c '[ -n "$1" ] && [ "$(awk "{ sub(/.*\\) /, \"\"); print \$1, \$2 }" /proc/$1/stat)" = "S $2" ]' \
	- "$child" "$pid"
kill -s TERM "$child"
finish_run 10
check "wait: our SIGTERM to the child is decoded as signal 15" \
	has "^child $child was killed by signal 15"
run wait
check "wait: no arguments is a usage error, status 2" [ "$rc" -eq 2 ]

# --- zombie: Z until reaped. Its stdin is a FIFO we hold open, so it
# waits for our Enter. ---
mkfifo "$WORK/enter"
stdin="$WORK/enter" start zombie
exec 3>"$WORK/enter"
poll 10 printed "is a zombie"
child=$(sed -n 's/^child \([0-9]*\) has exited.*/\1/p' "$out")
check "zombie: the exited child is Z in /proc" poll 10 is_state "$child" Z
check "zombie: its parent is the program" [ "$(ppid_of "$child")" = "$pid" ]
echo >&3
exec 3>&-
finish_run 10
check "zombie: after Enter it is reaped with its status 7, and gone from /proc" \
	sh -c 'grep -q "^reaped child $1, exit status 7$" "$2" && [ ! -e "/proc/$1" ]' - "$child" "$out"

# --- sigchld: one pending SIGCHLD for many zombies; the handler's loop
# reaps them all. Two Enters through a FIFO: before and after unblocking.
zombies_of() { # zombies_of PID: how many zombie children PID has
	n=0
	for c in $(children_of "$1"); do
		is_state "$c" Z && n=$((n + 1))
	done
	echo "$n"
}
rm -f "$WORK/enter"
mkfifo "$WORK/enter"
stdin="$WORK/enter" start sigchld 5
exec 3>"$WORK/enter"
poll 10 printed "5 zombies"
check "sigchld: 5 zombie children while SIGCHLD is blocked" [ "$(zombies_of "$pid")" -eq 5 ]
echo >&3
poll 10 printed "handler ran"
check "sigchld: unblocked, one pending signal: the handler ran once and reaped all 5" \
	has "^5 children, the handler ran 1 time(s), reaped 5: press Enter to end$"
check "sigchld: no zombie child is left, seen in /proc" [ "$(zombies_of "$pid")" -eq 0 ]
echo >&3
exec 3>&-
finish_run 10

# --- orphan: adopted by the nearest subreaper, not the grandparent. ---
start orphan 30
opid=$pid
finish_run 10
check "orphan: the parent exits 0 at once" [ "$rc" -eq 0 ]
check "orphan: the child says it was adopted" poll 10 printed "adopted by"
child=$(sed -n 's/^child \([0-9]*\): parent.*/\1/p' "$out")
new=$(sed -n 's/^child [0-9]*: parent [0-9]* has gone, adopted by \([0-9]*\)$/\1/p' "$out")
said_both() { has "$1" && has "$2"; }
check "orphan: the child is the one the program forked, and saw the program go" \
	said_both "^parent $opid: forked child $child, exiting$" "^child $child: parent $opid has gone"
check "orphan: /proc gives the child a new parent, the one it printed" \
	sh -c '[ -n "$1" ] && [ "$(awk "{ sub(/.*\\) /, \"\"); print \$2 }" /proc/$1/stat)" = "$2" ] &&
		[ "$2" != "$3" ]' - "$child" "$new" "$opid"
# make check runs us under tests/reaper, a child subreaper and our parent.
check "orphan: the new parent is the subreaper above ($PPID), not the grandparent ($$)" \
	[ "$new" = "$PPID" ]
[ -n "$child" ] && kill -s TERM "$child" 2>/dev/null
poll 10 sh -c '[ ! -e "/proc/$1" ]' - "$child"

# --- pipe: end of file once every write end is closed. ---
run pipe hello world
check "pipe: the reader sees end of file after the 10 bytes" \
	has "^reader: end of file after 10 bytes$"
big=$(head -c 100000 /dev/zero | tr '\0' x)
run pipe "$big"
check "pipe: 100000 bytes, more than the pipe holds, all arrive, then end of file" \
	has "^reader: end of file after 100000 bytes$"
check "pipe: the program ends" [ "$rc" -eq 0 ]

# --- shm: the child's write is seen by the parent. ---
run shm
check "shm: the parent reads what the child wrote in the shared mapping" \
	has "^parent reads 42, 0.5 and 9, written by the child$"
check "shm: the name is gone from /dev/shm" [ ! -e "/dev/shm/shm-example-$pid" ]

# --- queue: whole messages, in order, through a queue of 4. ---
if [ -d /dev/mqueue ] || grep -q mqueue /proc/filesystems; then
	run queue 50
	check "queue: 50 messages received, all in order" has "^received 50 messages, 50 in order$"
	check "queue: the name is gone" [ ! -e "/dev/mqueue/queue-example-$pid" ]
else
	check "queue: # SKIP no POSIX message queues here" true
	check "queue: # SKIP no POSIX message queues here" true
fi

# --- filelock: lseek + write loses records; flock around them does not. ---
# records FILE: how many well-formed records FILE has.
records() { grep -c '^writer [0-3] record [0-9]*$' "$1"; }
lost_some() {
	rm -f "$WORK/records"
	run filelock "$WORK/records"
	[ "$rc" -eq 0 ] && [ "$(records "$WORK/records")" -lt 40000 ]
}
try() { # try N COMMAND...: true if COMMAND succeeds in one of N runs
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		n=$((n - 1))
	done
	return 1
}
check "filelock: without the lock, some run of 10 loses records" try 10 lost_some
lost_none() {
	rm -f "$WORK/records"
	run filelock "$WORK/records" lock
	[ "$rc" -eq 0 ] && [ "$(records "$WORK/records")" -eq 40000 ] &&
		[ "$(wc -l <"$WORK/records")" -eq 40000 ]
}
three_times() { "$@" && "$@" && "$@"; }
check "filelock: with flock, 3 runs of 3 keep all 40000 records whole" three_times lost_none

# --- server: one process applies every change; none is lost. ---
run server 8 2000
check "server: 8 clients, 2000 adds each through the proxy, a total of 16000" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^total 16000, expected 16000$" "$2"' - "$rc" "$out"

# --- race: counter++ unlocked loses updates; under a mutex, never. ---
lost_updates() {
	run race
	[ "$rc" -eq 0 ] && ! grep -q " 0 lost$" "$out"
}
if [ "$(nproc)" -ge 2 ]; then
	check "race: without the lock, some run of 10 loses updates" try 10 lost_updates
else
	check "race: # SKIP one CPU: two threads rarely overlap in a short run" true
fi
none_lost() {
	run race lock
	[ "$rc" -eq 0 ] && has "^counter 20000000 of 20000000: 0 lost$"
}
twice() { "$@" && "$@"; }
check "race: with the mutex, 2 runs of 2 lose nothing" twice none_lost

# --- prodcons: every item through a buffer of 4, none lost or doubled. ---
run prodcons 100000
check "prodcons: 100000 items taken, the sum is right" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^took 100000 items, sum 5000050000, expected 5000050000$" "$2"' \
	- "$rc" "$out"

# --- deadlock: opposite orders hang, both threads asleep on a futex. ---
asleep_on_futex() { # asleep_on_futex N: N threads of $pid besides main sleep on a futex
	n=0
	for t in /proc/"$pid"/task/*; do
		[ "${t##*/}" = "$pid" ] && continue
		asleep_in "$pid/task/${t##*/}" "*futex*" && n=$((n + 1))
	done
	[ "$n" -eq "$1" ]
}
start deadlock
check "deadlock: both worker threads asleep on a futex (a mutex)" poll 10 asleep_on_futex 2
check "deadlock: and the program has not ended" sh -c 'kill -0 "$1"' - "$pid"
kill -s KILL "$pid"
wait "$pid" 2>/dev/null
run deadlock order
check "deadlock: in the same order, both threads finish" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^both threads finished$" "$2"' - "$rc" "$out"

# --- philosophers: left fork first, all at once: a cycle of five. ---
start philosophers naive
check "philosophers: naive, all 5 philosophers asleep on a futex" poll 10 asleep_on_futex 5
check "philosophers: and the dinner has not ended" sh -c 'kill -0 "$1"' - "$pid"
kill -s KILL "$pid"
wait "$pid" 2>/dev/null
run philosophers
check "philosophers: lower-numbered fork first, all 5000 meals are eaten" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^all 5 ate 1000 meals each$" "$2"' - "$rc" "$out"

# --- threads-vs-procs: shared memory and one PID, or a copy and another. ---
run threads-vs-procs
check "threads-vs-procs: the thread reports main's PID, the program's" has "^thread: PID $pid, counter 1$"
check "threads-vs-procs: main sees the thread's change" has "^main:   after the thread, counter 1$"
check "threads-vs-procs: the child has its own PID and changed its own copy" \
	sh -c 'grep "^child:  PID" "$1" | grep -v "PID $2," | grep -q "counter 2$"' - "$out" "$pid"
check "threads-vs-procs: main does not see the child's change" has "^main:   after the child, counter 1$"

# --- gil: under the one lock, the threads sleep on it; without, never.
# The voluntary context switches of its threads (not main, which sleeps
# in pthread_join), from /proc while it runs. ---
voluntary() {
	n=0
	for t in /proc/"$pid"/task/*; do
		[ "${t##*/}" = "$pid" ] && continue
		v=$(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$t/status" 2>/dev/null)
		n=$((n + ${v:-0}))
	done
	echo "$n"
}
# most_voluntary: the most seen while it ran (at most 60 s), then reap it.
most_voluntary() {
	most=0
	end=$(($(date +%s) + 60))
	while ! gone "$pid" && [ "$(date +%s)" -lt "$end" ]; do
		v=$(voluntary)
		[ "$v" -gt "$most" ] && most=$v
		sleep 0.02 # the sampling interval, not a wait for an event
	done
	finish_run 1
}
start gil 2 lock
most_voluntary
check "gil: under the lock, its threads sleep on it ($most voluntary switches, 10 or more)" \
	[ "$most" -ge 10 ]
start gil 2
most_voluntary
check "gil: without it, they never sleep ($most voluntary switches, fewer than 10)" \
	[ "$most" -lt 10 ]

# --- pool: every task done once, by the pool's workers. ---
run pool 3 500
squares() { i=1; while [ $i -le 500 ]; do echo $((i * i)); i=$((i + 1)); done; }
every_task_once() {
	sed -n 's/^worker [0-9]*: \([0-9]*\)$/\1/p' "$out" | sort -n >"$WORK/got" &&
		squares | sort -n | cmp -s - "$WORK/got"
}
check "pool: each of the 500 squares came back once" every_task_once
workers_are_children() {
	ws=$(sed -n 's/^worker \([0-9]*\): .*/\1/p' "$out" | sort -u)
	[ -n "$ws" ] && [ "$(echo "$ws" | wc -l)" -le 3 ] && ! echo "$ws" | grep -qx "$pid"
}
check "pool: done by at most 3 workers, none of them the parent" workers_are_children
check "pool: the sum is right" has "^sum 41791750, expected 41791750$"

# --- multitask: one CPU for all, or any. ---
# children_cpus: the CPUs each running child of $pid may use, one a line.
children_cpus() {
	for c in $(children_of "$pid"); do
		sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$c/status" 2>/dev/null
	done
}
two_children_on() { [ "$(children_cpus | grep -cx "$1")" -eq 2 ]; }
start multitask 2 one-cpu
check "multitask: one-cpu, /proc says both children may run on one CPU only" \
	poll 10 two_children_on "[0-9]*"
finish_run 60
check "multitask: one-cpu, they took turns: wall-clock time at least their CPU time" \
	awk '/on one CPU: wall/ { ok = $7 + 0.05 >= $10 } END { exit !ok }' "$out"
all=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
start multitask 2
check "multitask: otherwise both may run on every CPU we may ($all)" poll 10 two_children_on "$all"
finish_run 60

# --- fork-threads: the child's copy of a held mutex stays held. ---
run fork-threads
check "fork-threads: the child finds cache_lock busy, held by a thread it does not have" \
	sh -c '[ "$1" -eq 1 ] && grep -q "^child: cache_lock Device or resource busy$" "$2"' - "$rc" "$out"
run fork-threads atfork
check "fork-threads: with pthread_atfork handlers, the child takes it" \
	sh -c '[ "$1" -eq 0 ] && grep -q "^child: cache_lock taken$" "$2"' - "$rc" "$out"

# --- cloexec: exec closes what has FD_CLOEXEC, keeps the rest. ---
echo secret >"$WORK/file"
run cloexec "$WORK/file"
fds=$(sed -n 's/^fd \([0-9]*\): open then fcntl, fd \([0-9]*\): O_CLOEXEC, fd \([0-9]*\): no flag$/\1 \2 \3/p' "$out")
holds() { grep -q " $1 -> $WORK/file\$" "$out"; }
kept_only() {
	set -- $fds
	[ $# -eq 3 ] && ! holds "$1" && ! holds "$2" && holds "$3"
}
check "cloexec: after exec, ls holds only the descriptor without the flag" kept_only

# --- memorder: both loads read 0 without a fence, never with one. ---
both_zero() {
	run memorder 100000 "$@"
	sed -n 's/^.*both loads read 0 in \([0-9]*\) of 100000 tries$/\1/p' "$out"
}
reordered() { [ "$(both_zero)" -gt 0 ] 2>/dev/null; }
if [ "$(nproc)" -ge 2 ]; then
	check "memorder: without a fence, some run of 5 has both loads read 0" try 5 reordered
else
	check "memorder: # SKIP one CPU: the two threads never run at once" true
fi
check "memorder: with a seq_cst fence, 100000 tries and never" [ "$(both_zero fence)" = 0 ]

# --- signals: SIGUSR1 during a blocked read(): EINTR, or a restart. ---
# signal_during_read [restart]: start signals on a FIFO we hold open, wait
# until it sleeps in read(), send SIGUSR1, then write a line.
signal_during_read() {
	rm -f "$WORK/stdin"
	mkfifo "$WORK/stdin"
	stdin="$WORK/stdin" start signals "$@"
	exec 3>"$WORK/stdin"
	poll 10 printed "reads standard input" && poll 10 asleep_in "$pid" "*pipe_read*" &&
		kill -s USR1 "$pid"
	[ $# -eq 1 ] || poll 10 printed "EINTR"
	echo line >&3
	exec 3>&-
	finish_run 10
}
signal_during_read
check "signals: without SA_RESTART, read() failed with EINTR after the handler ran" \
	has "^read() failed with EINTR, usr1_arrived 1: calling it again$"
check "signals: the loop called it again and got the line" \
	has "^read() returned 5 bytes, usr1_arrived 1$"
signal_during_read restart
check "signals: with SA_RESTART, no EINTR" sh -c '! grep -q EINTR "$1"' - "$out"
check "signals: the handler ran, and the restarted read() got the line" \
	has "^read() returned 5 bytes, usr1_arrived 1$"

# --- ipcbench: the same bytes through a pipe and a shared buffer. The
# figures are printed and never checked: they depend on the machine. ---
run ipcbench 16
check "ipcbench: exits 0" [ "$rc" -eq 0 ]
check "ipcbench: all 16 MiB came through the pipe, every chunk as sent" \
	has "^pipe: 16 MiB arrived intact in [0-9.]* s: [0-9.]* MB/s$"
check "ipcbench: and through the shared buffer" \
	has "^shared memory: 16 MiB arrived intact in [0-9.]* s: [0-9.]* MB/s$"
run ipcbench 0
check "ipcbench: 0 MiB is a usage error, status 2" [ "$rc" -eq 2 ]

# --- prio-inversion: medium holds up high, unless low (the main thread)
# inherits high's priority. It needs SCHED_FIFO: without the privilege it
# exits 77. While it runs, the priority its low thread (rt_priority 10:
# field 40 of /proc/PID/task/TID/stat) runs at now, from field 18 (-1 -
# priority), sampled into $WORK/low. ---
watch_low() {
	: >"$WORK/low"
	start prio-inversion "$@"
	end=$(($(date +%s) + 20))
	while ! gone "$pid" && [ "$(date +%s)" -lt "$end" ]; do
		awk '{ sub(/.*\) /, ""); if ($38 == 10) print -1 - $16 }' \
			/proc/"$pid"/task/*/stat >>"$WORK/low" 2>/dev/null
		sleep 0.01 # the sampling interval, not a wait for an event
	done
	finish_run 1
}
low_at() { grep -qx "$1" "$WORK/low"; }
# printed_only LINE...: it exited 0 and printed these lines and no other, in
# this order (high and medium each print one when done).
printed_only() {
	[ "$rc" -eq 0 ] && [ "$(cat "$out")" = "$(printf '%s\n' "$@")" ] ||
		{ diag "status $rc, printed: $(cat "$out")"; false; }
}
inherited() { watch_low inherit && [ "$rc" -eq 0 ] && low_at 30; }
watch_low
if [ "$rc" -eq 77 ]; then
	for i in 1 2 3 4; do
		check "prio-inversion: # SKIP no SCHED_FIFO here: $(cat "$out")" true
	done
else
	check "prio-inversion: without inheritance, medium's spin ends before high's wait" \
		printed_only "medium: spin ended" "high: got the mutex"
	if [ "$(nproc)" -ge 2 ]; then
		check "prio-inversion: /proc showed low at 10, never at 30" \
			sh -c 'grep -qx 10 "$1" && ! grep -qx 30 "$1"' - "$WORK/low"
		# A loaded machine may starve our sampling for the whole hold: 3 runs.
		check "prio-inversion: with PTHREAD_PRIO_INHERIT, /proc showed low at 30, high's" \
			try 3 inherited
	else
		check "prio-inversion: # SKIP one CPU: the threads leave none to watch them" true
		check "prio-inversion: # SKIP one CPU: the threads leave none to watch them" true
		run prio-inversion inherit
	fi
	check "prio-inversion: with it, high's wait ends before medium's spin" \
		printed_only "high: got the mutex" "medium: spin ended"
fi

# --- debugging: strace -f follows the child through fork and exec. Each
# line of its -o file starts with the PID, padded to 5 columns. ---
if env "$NO_LSAN" strace -o /dev/null true 2>/dev/null; then
	name=debugging
	out="$WORK/debugging.out"
	env PROCLAB_TEST_TOKEN="$TOKEN" "$NO_LSAN" strace -f -e trace=process -o "$WORK/trace" \
		"$ex/debugging" </dev/null >"$out" 2>&1 &
	pid=$!
	finish_run 20
	parent=$(sed -n 's/^parent \([0-9]*\): child.*/\1/p' "$out")
	child=$(sed -n 's/^child \([0-9]*\): exec true$/\1/p' "$out")
	traced() { grep -q "$1" "$WORK/trace" || { diag "no '$1' in: $(cat "$WORK/trace")"; false; }; }
	check "debugging: under strace, it ran and its child exited 0" \
		sh -c '[ "$1" -eq 0 ] && [ -n "$2" ] && grep -q "^parent $2: child $3 exited with status 0$" "$4"' \
		- "$rc" "$parent" "$child" "$out"
	check "debugging: strace saw the parent fork the child" traced "^$parent  *clone3\?(.* = $child$"
	check "debugging: strace -f saw the child's execve of true" \
		traced "^$child  *execve(\"[^\"]*/true\", \[\"true\"\], .* = 0$"
	check "debugging: and both exits, the child's and the parent's" \
		sh -c 'grep -q "^$1  *+++ exited with 0 +++$" "$3" && grep -q "^$2  *+++ exited with 0 +++$" "$3"' \
		- "$child" "$parent" "$WORK/trace"
else
	for i in 1 2 3 4; do
		check "debugging: # SKIP strace cannot trace here" true
	done
fi

check "nothing of ours is left running" poll 10 nothing_left
finish
