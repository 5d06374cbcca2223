#!/bin/sh
# fork-threads.sh - proclab-fork-threads proves its claims, in its events and
# in /proc from outside the demo, validates --threads, and leaves nothing
# behind (processes or its private file) however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 34

# The demo's private files go to $TMPDIR: a directory of this test's own.
TMPDIR="$WORK/tmp"
mkdir "$TMPDIR"
export TMPDIR
no_file_left() { [ -z "$(ls -A "$TMPDIR")" ] || { diag "left in TMPDIR: $(ls -A "$TMPDIR")"; false; }; }

# --- One run in JSON, and what its events must say. ---
run_demo fork-threads --json --speed 100
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" is_event_stream "$json"
check "five steps, in the lesson's order" \
	steps_are "$json" "one-thread-copied,held-lock,async-signal-safe,atfork,cloexec-race"

# Step 1: one thread copied.
check "the parent had 1 + 3 threads, in its status and in its task directory" \
	jq_is "$json" 'map(select(.event=="parent-threads"))[0] | "\(.threads) \(.tasks)"' "4 4"
check "the child had one thread, whose ID is the child's PID" \
	jq_is "$json" 'map(select(.event=="child-threads"))[0] |
		.threads == 1 and .tasks == 1 and .task == .child and .child_gettid == .child' true

# Step 2: the held lock.
check "in the child, trylock said EBUSY, and the owner the mutex named is the parent's holder thread" \
	jq_is "$json" '(map(select(.event=="holder"))[0].holder_tid) as $h |
		map(select(.event=="child-trylock"))[0] | .result == "EBUSY" and .owner_tid == $h and
		.owner_in_parent and (.owner_in_child | not)' true
check "the child slept (S) in a futex wait, with one thread" \
	jq_is "$json" 'map(select(.event=="child-waiting"))[0] |
		.state == "S" and (.wchan | test("futex")) and .threads == 1' true
check "every timed lock timed out, at least one after the holder let go, 200 ms each" \
	jq_is "$json" 'map(select(.event=="child-gave-up"))[0] | .result == "ETIMEDOUT" and
		.tries_after_unlock >= 1 and .waited_ms >= 200 * .tries - 1' true
check "the holder unlocked before the child's last try" \
	jq_is "$json" '[.[] | select(.event=="holder-unlocked" or .event=="child-gave-up") | .event]
		| join(" ")' "holder-unlocked child-gave-up"

# Step 3: a lock inside a library call.
check "the child in journal_add() stayed asleep in a futex wait, and the call never returned" \
	jq_is "$json" 'map(select(.event=="unsafe-stuck"))[0] | .state == "S" and
		(.wchan | test("futex")) and (.returned | not) and .watched_ms >= 100' true
check "it ended killed by SIGKILL; the write()-and-execv() child exited 0" \
	jq_is "$json" '[(map(select(.event=="unsafe-killed"))[0].status),
		(map(select(.event=="safe-done"))[0].status)] | join(", ")' \
	"killed by SIGKILL (signal 9), exited with status 0"

# Step 4: pthread_atfork.
check "fork() waited in a futex wait in the prepare handler, and returned after the unlock" \
	jq_is "$json" 'map(select(.event=="fork-waited"))[0] | .state == "S" and
		(.wchan | test("futex")) and .after_unlock_ms >= 0 and .fork_ms >= .after_unlock_ms' true
check "with the handlers, the child's trylock returned 0" \
	jq_is "$json" 'map(select(.event=="child-trylock"))[1].result' 0

# Step 5: the close-on-exec race.
check "fcntl(FD_CLOEXEC) after the fork: cat holds the same fd, the deleted secret file" \
	jq_is "$json" 'map(select(.event=="cat-running" and .how=="fcntl"))[0] |
		.leaked_fd == .parent_fd and .parent_cloexec and (.wchan | test("pipe_read")) and
		(.target | test("proclab-secret-.* \\(deleted\\)$"))' true
check "O_CLOEXEC: cat does not hold it" \
	jq_is "$json" 'map(select(.event=="cat-running" and .how=="O_CLOEXEC"))[0] |
		.leaked_fd == -1 and .parent_cloexec and (.wchan | test("pipe_read"))' true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 13 and .failed == 0)' true
check "nothing left after a normal exit: no process, no file" eval 'nothing_left && no_file_left'

# --- Options. ---
run_demo fork-threads --json --speed 100 --threads 1
check "--threads 1: the parent had 2 threads, the child 1, every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[(map(select(.event==\"parent-threads\"))[0].threads),
		(map(select(.event==\"child-threads\"))[0].threads)] | map(tostring) | join(\" \")" "2 1"'
run_demo fork-threads --json --speed 100 --threads 16
check "--threads 16: the parent had 17 threads, the child 1, every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[(map(select(.event==\"parent-threads\"))[0].threads),
		(map(select(.event==\"child-threads\"))[0].threads)] | map(tostring) | join(\" \")" "17 1"'
check "--threads 0 is refused" rejects fork-threads --threads 0
check "--threads 17 is refused" rejects fork-threads --threads 17
check "--threads abc is refused" rejects fork-threads -n abc

run_demo fork-threads --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-fork-threads: 13 of 13 checks held')" ]
run_demo fork-threads --speed 100
check "prose into a pipe has no colour codes" eval '[ "$rc" -eq 0 ] && ! grep -q "$(printf "\033")" "$out"'

# --- The kernel's view from outside the demo. ---
has_event() { grep -qs "\"event\":\"$1\"" "$out"; }
# The Nth (from 1) event NAME's field KEY, from the running demo's output.
field() { $JQ -rs "map(select(.event==\"$1\"))[$2 - 1].$3" "$out"; }
state_of() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }
ppid_of() { awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null; }
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
holder_again() { [ "$($JQ -rs 'map(select(.event=="holder")) | length' "$out" 2>/dev/null)" = 2 ]; }
cat_event() { has_event cat-running; }

start_demo fork-threads --json --speed 0.5
poll 30 has_event child-waiting
child=$(field child-waiting 1 child)
seen="$(state_of "$child") $(cat "/proc/$child/wchan" 2>/dev/null) $(threads_of "$child") $(ppid_of "$child")"
demo_threads=$(threads_of "$demo_pid")
check "outside: the child of step 2 is S in a futex wait, with 1 thread, a child of the demo" \
	eval 'case $seen in "S "*futex*" 1 $demo_pid") true ;; *) diag "saw: $seen"; false ;; esac'
check "outside: meanwhile the demo has 1 + 3 workers + the holder = 5 threads" [ "$demo_threads" = 5 ]
# Step 4: the main thread waits in fork(), in the prepare handler.
poll 30 holder_again
main_wchan=
main_in_futex() { main_wchan=$(cat "/proc/$demo_pid/wchan" 2>/dev/null); case $main_wchan in *futex*) true ;; *) false ;; esac; }
check "outside: in step 4 the demo's main thread sleeps in a futex wait inside fork()" poll 10 main_in_futex
poll 30 cat_event
cat_pid=$(field cat-running 1 child)
fd=$(field cat-running 1 leaked_fd)
link=$(readlink "/proc/$cat_pid/fd/$fd" 2>/dev/null)
exe=$(readlink "/proc/$cat_pid/exe" 2>/dev/null)
check "outside: cat's /proc/PID/fd/$fd is the deleted secret file" \
	eval 'case "$exe $link" in */cat" $TMPDIR"/proclab-secret-*" (deleted)") true ;; *) diag "saw: $exe $link"; false ;; esac'
wait_demo
check "the run watched from outside ended with status 0, and left nothing" \
	eval '[ "$rc" -eq 0 ] && poll 1 nothing_left && no_file_left'

# --- Nothing survives an interrupted run. ---
# A child of the demo in a futex wait.
child_in_futex() {
	for p in $(token_children_of "$demo_pid"); do
		case $(cat "/proc/$p/wchan" 2>/dev/null) in *futex*) return 0 ;; esac
	done
	return 1
}
# kill_when SIGNAL CONDITION...: once the running demo meets the
# condition, send it the signal and reap it; $reached says if it did.
kill_when() {
	sig=$1
	shift
	reached=0
	poll 60 "$@" || { reached=1; diag "the demo never got there: $*"; }
	kill -s "$sig" "$demo_pid"
	wait_demo
}
ends_clean() { [ "$reached" -eq 0 ] && [ "$rc" -gt 128 ] && poll 1 nothing_left && no_file_left; }
step2_child() { has_event child-waiting && child_in_futex; }
step3_child() { has_event logger-inside && child_in_futex; }
step4_fork() { holder_again && main_in_futex; }

# interrupted SIGNAL CONDITION DESCRIPTION: a run killed at that moment.
interrupted() {
	start_demo fork-threads --json --speed 1
	kill_when "$1" "$2"
	check "$3" ends_clean
}
interrupted INT step2_child "SIGINT while the child waits for the held lock: all gone within a second"
interrupted TERM step3_child "SIGTERM while the child hangs in journal_add(): all gone within a second"
interrupted INT step4_fork \
	"SIGINT while the main thread waits inside fork(): the demo dies, and all is gone"
interrupted KILL step2_child "SIGKILL while the child waits for the held lock: it ends within a second"
interrupted KILL cat_event \
	"SIGKILL while cat holds the leaked descriptor: cat ends within a second, no file left"

finish
