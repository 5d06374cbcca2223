#!/bin/sh
# signals.sh - proclab-signals proves its claims, in its events and in
# /proc from outside the demo (the signal masks of each thread, where the
# demo and its children sleep), validates --children and --only, and leaves
# nothing behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 41

# Each event with "sid", the id of the step it belongs to.
S='[foreach .[] as $e (""; if $e.event == "step" then $e.id else . end; $e + {sid: .})]'
# in_step ID EVENT: a jq filter for the events EVENT of step ID, in order.
in_step() { echo "$S | map(select(.sid == \"$1\" and .event == \"$2\"))"; }

# --- One run in JSON, and what its events must say. ---
run_demo signals --json --speed 100
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" is_event_stream "$json"
check "six steps, in the lesson's order" \
	steps_are "$json" "eintr,sa-restart,handler-safety,self-pipe,signalfd,threads"

# Steps 1 and 2: read() and SIGCHLD.
check "without SA_RESTART: read() returned -1 three times, then the 4 bytes" \
	jq_is "$json" "$(in_step eintr read-returned) | map(.returned) | map(tostring) | join(\" \")" \
	"-1 -1 -1 4"
check "... each -1 with errno EINTR, after 1, 2 and 3 runs of the handler" \
	jq_is "$json" "$(in_step eintr read-returned) | map(select(.returned == -1)) |
		map(\"\(.errno)/\(.handled)\") | join(\" \")" "EINTR/1 EINTR/2 EINTR/3"
check "... and each child saw the parent in state S in pipe_read, the SIGCHLD before it handled" \
	jq_is "$json" "$(in_step eintr child-saw) | map(select(.state == \"S\" and
		(.wchan | test(\"pipe_read\")))) | map(.handled) | map(tostring) | join(\" \")" "0 1 2 3"
check "with SA_RESTART: one read() call returned the data, no EINTR, the handler ran 3 times" \
	jq_is "$json" "$(in_step sa-restart read-returned) | map(\"\(.call) \(.returned) \(.eintrs) \(.handled)\") |
		join(\",\")" "1 4 0 3"
check "... and the children saw it asleep in that one read the whole time" \
	jq_is "$json" "$(in_step sa-restart child-saw) | map(select(.state == \"S\" and
		(.wchan | test(\"pipe_read\")))) | map(.handled) | map(tostring) | join(\" \")" "0 1 2 3"

# Step 3: what a handler may call.
check "unsafe: the child slept in a futex wait inside its handler (SIGUSR1 in SigBlk)" \
	jq_is "$json" "$(in_step handler-safety handler-stuck)[0] | .state == \"S\" and
		(.wchan | test(\"futex\")) and .sigusr1_blocked and .watched_ms >= 100" true
check "... its write() never went on, though the pipe was emptied; SIGKILL ended it" \
	jq_is "$json" "($(in_step handler-safety child-writing)[0].pipe_bytes) as \$full |
		($(in_step handler-safety pipe-emptied)[0] | .emptied == \$full and .bytes_after == 0)
		and ($(in_step handler-safety unsafe-killed)[0].status == \"killed by SIGKILL (signal 9)\")" true
check "safe: the handler returned, write() went on, the flag was logged after the line" \
	jq_is "$json" "($(in_step handler-safety handler-returned)[0] | .resumed and
		(.wchan | test(\"pipe_write\"))) and ($(in_step handler-safety safe-done)[0] |
		.lines == \"child: a line\nchild: SIGUSR1 arrived\n\" and .status == \"exited with status 0\")" true

# Step 4: a flag, then the self-pipe.
check "poll() returned 0 (the lost wakeup), then 1, -1 (EINTR) and 1 with the self-pipe" \
	jq_is "$json" "$(in_step self-pipe poll-returned) | map(\"\(.returned)\(.errno)\") | join(\" \")" \
	"0 1 -1EINTR 1"
check "the lost wakeup: poll() slept its whole timeout (50 ms at --speed 100)" \
	jq_is "$json" "$(in_step self-pipe poll-returned)[0].ms >= 49" true
check "the loops reaped the children with their own statuses 1, then 1 and 2" \
	jq_is "$json" "$(in_step self-pipe reaped) | map(.status) | join(\", \")" \
	"exited with status 1, exited with status 1, exited with status 2"

# Step 5: signalfd.
check "the signalfd: anon_inode:[signalfd], accepting SIGCHLD only, SIGCHLD blocked here and in the child" \
	jq_is "$json" "$(in_step signalfd signalfd)[0] | .target == \"anon_inode:[signalfd]\" and
		.sigmask == \"0000000000010000\" and .blocked and .late_blocks" true
check "each record named a child the loop reaped, with its exit status" \
	jq_is "$json" "[($(in_step signalfd record) | map(\"\(.signal) \(.code) \(.ssi_pid) \(.ssi_status)\")),
		($(in_step signalfd reaped) | map(\"SIGCHLD CLD_EXITED \(.child) \(.status | sub(\"exited with status \"; \"\"))\"))]
		| .[0] == .[1] and (.[0] | length) == 2" true
check "SIGCHLD was pending (ShdPnd) at each wakeup, and not after the read()" \
	jq_is "$json" "$(in_step signalfd consumed) | map(\"\(.pending_before)/\(.pending_after)\") | join(\" \")" \
	"true/false true/false"
check "no EINTR: poll() returned 1 twice, the signalfd readable" \
	jq_is "$json" "$(in_step signalfd poll-returned) | map(\"\(.returned) \(.readable)\") | join(\",\")" \
	"1 true,1 true"

# Step 6: threads.
check "every thread blocked SIGUSR1; kill() left it pending for the process" \
	jq_is "$json" "($(in_step threads masks)[0].blocked == [1,1,1,1]) and
		($(in_step threads process-pending)[0] | .blocked == [1,1,1,1] and .pending_for_process)" true
check "the handler ran in worker-2 when it unblocked, then for each kill(); then in worker-3" \
	jq_is "$json" "($(in_step threads masks)[0].tids) as \$t | [($(in_step threads handled) | map(.tid)),
		($(in_step threads kills)[0] | .sent == .to_taker)] == [[\$t[2], \$t[3]], true]" true
check "pthread_kill(worker-3): pending for worker-3 alone, while worker-2 took SIGUSR1" \
	jq_is "$json" "$(in_step threads thread-pending)[0] | .blocked == [1,1,0,1] and
		.pending_for_thread == [0,0,0,1] and (.pending_for_process | not)" true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 21 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# --- Options. ---
run_demo signals --json --speed 100 --only eintr --children 1
check "--children 1: one EINTR, then the data" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "$(in_step eintr read-returned) | map(.returned) |
		map(tostring) | join(\" \")" "-1 4"'
run_demo signals --json --speed 100 --only eintr,sa-restart -n 8
check "--children 8: eight EINTR without SA_RESTART, none with it" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[($(in_step eintr read-returned) | length),
		($(in_step sa-restart read-returned) | map(.eintrs))] | tostring" "[9,[0]]"'
run_demo signals --json --speed 100 --only threads,signalfd
check "--only threads,signalfd: those two steps, in the demo's order, and their 9 checks" \
	eval '[ "$rc" -eq 0 ] && steps_are "$out" "signalfd,threads" &&
		jq_is "$out" "map(select(.event==\"summary\"))[0].checks" 9'
check "--children 0, 9 and abc are refused" \
	eval 'rejects signals --children 0 && rejects signals --children 9 && rejects signals -n abc'
check "--only with an unknown step, or an empty name, is refused" \
	eval 'rejects signals --only nope && rejects signals --only eintr, &&
		rejects signals --only ,eintr && rejects signals --only eintr,,threads'
run_demo signals --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-signals: 21 of 21 checks held')" ]
run_demo signals --speed 100 --only threads
check "prose into a pipe has no colour codes" eval '[ "$rc" -eq 0 ] && ! grep -q "$(printf "\033")" "$out"'

# --- The kernel's view from outside the demo, at a slow --speed, where the
# demo pauses with the state to see; then the demo is interrupted there. ---
has_event() { grep -qs "\"event\":\"$1\"" "$out"; }
# The Nth (from 1) event NAME's field KEY, from the running demo's output.
field() { $JQ -rs "map(select(.event==\"$1\"))[$2 - 1].$3" "$out"; }
wchan_of() { cat "/proc/$1/wchan" 2>/dev/null; }
state_of() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }
# mask PATH KEY: a mask from a status file, such as /proc/PID/task/TID/status.
mask() { awk -v k="$2:" '$1 == k { print $2 }' "$1" 2>/dev/null; }
# has_sig MASK SIG: signal SIG's bit (SIG - 1) is set in the hex MASK.
has_sig() {
	low=$(printf '%s' "$1" | tail -c 8)
	[ -n "$low" ] && [ $(((0x$low >> ($2 - 1)) & 1)) -eq 1 ]
}
# kill_there SIGNAL: interrupt the running demo, reap it; the children must
# be gone within a second.
kill_there() {
	kill -s "$1" "$demo_pid"
	wait_demo
	[ "$rc" -gt 128 ] && poll 1 nothing_left || { diag "status $rc"; why_left; false; }
}

# Steps 1 and 2: the demo asleep in read(), with SIGCHLD caught.
in_read() { case "$(state_of "$demo_pid") $(wchan_of "$demo_pid")" in "S "*pipe_read*) true ;; *) false ;; esac; }
start_demo signals --json --speed 0.05 --only eintr
poll 30 has_event reading && poll 30 in_read
seen="$(state_of "$demo_pid") $(wchan_of "$demo_pid") $(mask "/proc/$demo_pid/status" SigCgt)"
check "outside: the demo sleeps (S) in pipe_read, and its SigCgt has SIGCHLD (17)" \
	eval 'in_read && has_sig "${seen##* }" 17 && has_children "$demo_pid" 2 || { diag "saw: $seen"; false; }'
check "SIGINT while it waits in read(): the demo and its children are gone within a second" \
	kill_there INT

# Step 3: the unsafe child, stuck inside its handler.
start_demo signals --json --speed 0.05 --only handler-safety
poll 30 has_event sent
child=$(field child-writing 1 child)
stuck() {
	case "$(state_of "$child") $(wchan_of "$child")" in
	"S "*futex*) has_sig "$(mask "/proc/$child/status" SigBlk)" 10 ;;
	*) false ;;
	esac
}
check "outside: the unsafe child sleeps in a futex wait with SIGUSR1 (10) in its SigBlk" \
	eval 'poll 30 stuck || { diag "saw: $(state_of "$child") $(wchan_of "$child") $(mask "/proc/$child/status" SigBlk)"; false; }'
check "SIGKILL of the demo: the stuck child ends within a second" kill_there KILL

# Step 5: the signalfd, and SIGCHLD blocked.
start_demo signals --json --speed 0.05 --only signalfd
poll 30 has_event signalfd
fd=$(field signalfd 1 fd)
late=$(field signalfd 1 late_blocks)
sfd_mask=$(mask "/proc/$demo_pid/fdinfo/$fd" sigmask)
sfd_link=$(readlink "/proc/$demo_pid/fd/$fd" 2>/dev/null)
demo_blk=$(mask "/proc/$demo_pid/status" SigBlk)
check "outside: fd $fd is anon_inode:[signalfd] with sigmask 0000000000010000; SigBlk has SIGCHLD" \
	eval '[ "$sfd_link $sfd_mask" = "anon_inode:[signalfd] 0000000000010000" ] && has_sig "$demo_blk" 17 &&
		[ "$late" = true ] || { diag "saw: $sfd_link $sfd_mask $demo_blk"; false; }'
check "SIGKILL while the signalfd's children wait: they end within a second" kill_there KILL

# Step 6: the masks of each thread.
start_demo signals --json --speed 0.05 --only threads
poll 30 has_event process-pending
shd=$(mask "/proc/$demo_pid/status" ShdPnd)
check "outside: after kill(), SIGUSR1 is pending for the process (ShdPnd)" \
	eval 'has_sig "$shd" 10 || { diag "ShdPnd $shd"; false; }'
poll 30 has_event thread-pending
# One word a thread: NAME:BLOCKS:PENDING, from /proc/PID/task/TID.
threads_seen=
for t in $(field masks 1 'tids[]'); do
	st=/proc/$demo_pid/task/$t/status
	b=0 p=0
	has_sig "$(mask "$st" SigBlk)" 10 && b=1
	has_sig "$(mask "$st" SigPnd)" 10 && p=1
	threads_seen="$threads_seen $(cat "/proc/$demo_pid/task/$t/comm" 2>/dev/null):$b:$p"
done
check "outside: after pthread_kill(worker-3), SigPnd of worker-3 alone; worker-2 alone takes it" \
	eval 'case $threads_seen in " "*":1:0 worker-1:1:0 worker-2:0:0 worker-3:1:1") true ;; *) false ;; esac ||
		{ diag "saw:$threads_seen"; false; }'
check "outside: and nothing is pending for the process any more" \
	eval '! has_sig "$(mask "/proc/$demo_pid/status" ShdPnd)" 10'
check "SIGTERM in the threads step: the demo ends, and nothing is left" kill_there TERM

check "no process of this test is left" nothing_left
finish
