#!/bin/sh
# filelock.sh - proclab-filelock proves its claims, in its events and in
# /proc/locks read from outside; validates its options; and leaves no
# process, no lock and no temp file behind however it ends, SIGKILL included.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 41

# The demo makes its file in $TMPDIR: give it one of our own, so anything
# it leaves is easy to see.
TMPDIR="$WORK/tmp"
export TMPDIR
mkdir -p "$TMPDIR"
no_file_left() {
	[ -z "$(ls -A "$TMPDIR")" ] || { diag "left in TMPDIR: $(ls -A "$TMPDIR")"; return 1; }
}

# --- One run in JSON, and what its events must say. ---
run_demo filelock --json --speed 100
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "seven steps, in the lesson's order" \
	steps_are "$json" "temp-file,no-lock,fcntl-lock,flock-lock,advisory,lock-waiters,nothing-left"

# Step 1: a temp file with no name, reopened with an offset of its own.
check "the file was made in TMPDIR, named proclab-filelock-PID-..., and unlinked at once" \
	jq_is "$json" '(map(select(.event=="step"))[0].pid) as $main |
		map(select(.event=="file"))[0] |
		(.path | startswith("'"$TMPDIR"'/proclab-filelock-\($main)-")) and .name_gone and
		.links == 0 and (.link | endswith(" (deleted)"))' true
check "a child reopened the same inode, and moved an offset of its own" \
	jq_is "$json" '(map(select(.event=="file"))[0].inode) as $i |
		map(select(.event=="reopened"))[0] |
		.inode == $i and .child_offset == 1000 and .parent_offset == 0' true

# Step 2: no lock.
check "no lock: 10 x 200 records written, whole + lost = written, bytes short" \
	jq_is "$json" 'map(select(.event=="read-back" and .lock=="no lock"))[0] |
		.written == 2000 and .whole + .lost == .written and
		.expected_bytes == 128000 and .file_bytes < .expected_bytes' true
check "no lock: records were lost and lines torn" \
	jq_is "$json" 'map(select(.event=="read-back" and .lock=="no lock"))[0] |
		.lost > 0 and .torn > 0' true
check "the torn line shown is a line of the file that is not a whole record" \
	jq_is "$json" 'map(select(.event=="torn-sample"))[0].line |
		length > 0 and length <= 64 and (test("^w[0-9]{2} r[0-9]{5} ([A-Z])\\1{42} [0-9a-f]{8}$") | not)' true

# Steps 3 and 4: the locks.
check "fcntl and flock: all 2000 records whole, none torn, every byte there, in order" \
	jq_is "$json" '[.[] | select(.event=="read-back" and .lock != "no lock") |
		"\(.lock):\(.whole):\(.torn):\(.lost):\(.duplicates):\(.file_bytes):\(.in_order)"] |
		join(" ")' "fcntl:2000:0:0:0:128000:true flock:2000:0:0:0:128000:true"

# Step 5: advisory.
check "/proc/locks showed the holder's POSIX write lock, with its PID" \
	jq_is "$json" 'map(select(.event=="held"))[0] |
		.line | test("POSIX +ADVISORY +WRITE [0-9]+ ")' true
check "the rogue saw that lock with F_GETLK, and its 16-byte write went through anyway" \
	jq_is "$json" '(map(select(.event=="held"))[0].holder) as $h |
		map(select(.event=="rogue"))[0] | .getlk_write and .getlk_pid == $h and .written == 16' true
check "the record then held the rogue's text, the lock was still held, and the holder found its record broken" \
	jq_is "$json" '(map(select(.event=="file-now"))[0] | (.record | contains("rogue was here!")) and .still_held) and
		(map(select(.event=="holder-reads"))[0].whole | not)' true

# Step 6: the waiters in /proc/locks.
check "for POSIX and FLOCK, /proc/locks listed one holder and 3 waiters (->)" \
	jq_is "$json" '[.[] | select(.event=="proc-locks-line")] | group_by(.kind) |
		map("\(.[0].kind):\(map(select(.waiting | not)) | length):\(map(select(.waiting)) | length)") |
		join(" ")' "FLOCK:1:3 POSIX:1:3"
check "the -> lines name exactly the waiters the demo forked" \
	jq_is "$json" '([.[] | select(.event=="proc-locks-line" and .waiting) | .lock_pid] | sort) ==
		([.[] | select(.event=="lock-waiter") | .waiter] | sort)' true
check "each waiter slept (S) in the kernel's lock code" \
	jq_is "$json" '[.[] | select(.event=="lock-waiter") |
		.listed and .state == "S" and (.wchan == "" or (.wchan | test("lock|setlk")))] |
		"\(length) \(all)"' "6 true"

# Step 7 and the summary.
check "no lock and no name were left at the end" \
	jq_is "$json" 'map(select(.event=="after"))[0] | .lock_lines == 0 and .name_gone' true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 16 and .failed == 0)' true
check "nothing left after a normal exit: no process, no file" eval 'nothing_left && no_file_left'

# --- The kernel's view from outside: /proc/locks while the waiters wait. ---
# The inode of the demo's file, from its descriptor in /proc (the name is
# gone): "proclab-filelock-... (deleted)".
demo_inode() {
	for fd in /proc/"$1"/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in
		*/proclab-filelock-*" (deleted)") stat -L -c %i "$fd" 2>/dev/null && return 0 ;;
		esac
	done
	return 1
}
# Poll until /proc/locks lists one holder and WANT waiters on INODE, and
# keep those lines in $WORK/locks.
locks_show_waiters() {
	grep -- ":$inode " /proc/locks >"$WORK/locks" 2>/dev/null
	[ "$(grep -c -- '->' "$WORK/locks")" -eq "$1" ] &&
		[ "$(grep -vc -- '->' "$WORK/locks")" -eq 1 ]
}
in_waiters_step() { grep -q '"id":"lock-waiters"' "$out"; }
# PIDs of the waiters in the lines kept: the field after WRITE.
waiter_pids() {
	grep -- '->' "$WORK/locks" | sed 's/.*WRITE \([0-9]*\) .*/\1/' | sort -n | tr '\n' ' '
}
waiters_asleep_on_lock() {
	for p in $(waiter_pids); do
		state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$p/stat" 2>/dev/null)
		wchan=$(cat "/proc/$p/wchan" 2>/dev/null)
		[ "$state" = S ] || return 1
		case $wchan in *lock* | *setlk* | "" | 0) ;; *) return 1 ;; esac
	done
}

# In this run the waiters wait 5 seconds (--speed 0.2): time to look.
start_demo filelock --json --speed 0.2
file_open() { inode=$(demo_inode "$demo_pid"); }
no_locks_left() { ! grep -q -- ":$inode " /proc/locks; }
check "from outside: the demo holds its file open, unlinked, in /proc/PID/fd" poll 30 file_open
check "from outside: in step 6, /proc/locks lists a holder and 3 waiters (->) on that inode" \
	eval 'poll 30 in_waiters_step && poll 30 locks_show_waiters 3'
outside_kind=$(grep -v -- '->' "$WORK/locks" | awk '{ print $2 }')
outside_pids=$(waiter_pids)
check "from outside: each waiter sleeps (S) in the kernel's lock code" poll 10 waiters_asleep_on_lock
reported() { [ "$(grep -c '"event":"lock-waiter"' "$out")" -ge 3 ]; }
poll 10 reported
check "the waiters seen from outside are the ones the demo reported" \
	jq_is "$out" '[.[] | select(.event=="lock-waiter" and .kind=="'"$outside_kind"'") | .waiter] |
		sort | map(tostring) | join(" ")' "${outside_pids% }"

# --- Nothing survives an interrupted run, SIGKILL included. ---
kill -s TERM "$demo_pid"
wait_demo
check "SIGTERM while 3 waiters wait: the demo dies of it; its children, their locks and the file go within a second" \
	eval '[ "$rc" -gt 128 ] && poll 1 nothing_left && poll 1 no_locks_left && no_file_left'
for sig in INT KILL; do
	start_demo filelock --json --speed 0.5
	poll 30 file_open
	poll 30 in_waiters_step && poll 30 locks_show_waiters 3
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig while 3 waiters wait: the demo dies of it; its children, their locks and the file go within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left && poll 1 no_locks_left && no_file_left'
done

# SIGKILL in step 1, when the file is just made: its name is already gone.
start_demo filelock --speed 0.2
poll 30 file_open
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL in step 1: no process and no file left" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left && no_file_left'

# --- Options. ---
run_demo filelock --json --speed 100 --writers 1
check "--writers 1: nothing breaks, and nothing is claimed" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"read-back\" and .lock==\"no lock\"))[0] |
		.lost == 0 and .torn == 0" true && jq_is "$out" "map(select(.event==\"too-small\")) | length" 1'
run_demo filelock --json --speed 100 --writers 4 --records 100 --waiters 1
check "--writers 4 --records 100 --waiters 1: 400 records, one waiter a lock, every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"read-back\") | .written] | unique | tostring" "[400]" &&
		jq_is "$out" "[.[] | select(.event==\"lock-waiter\")] | length" 2'
check "--writers 0 is refused" rejects filelock --writers 0
check "--writers 33 is refused" rejects filelock --writers 33
check "--writers abc is refused" rejects filelock -n abc
check "--writers overflow is refused" rejects filelock --writers=99999999999999999999
check "--records 0 is refused" rejects filelock --records 0
check "--records 10001 is refused" rejects filelock -m 10001
check "--waiters 0 is refused" rejects filelock --waiters 0
check "--waiters 17 is refused" rejects filelock -w 17
check "too many records in all (--writers x --records) is refused" \
	rejects filelock --writers 32 --records 10000
check "an operand is refused" rejects filelock extra

TMPDIR="$WORK/no-such-dir"
run_demo filelock --speed 100
TMPDIR="$WORK/tmp"
check "a TMPDIR that does not exist: exit 1, the reason on stderr, nothing left" \
	eval '[ "$rc" -eq 1 ] && grep -q "proclab-filelock: creating a temp file" "$err" && nothing_left'

run_demo filelock --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-filelock: 16 of 16 checks held')" ]
run_demo filelock --speed 100
check "prose into a pipe has no colour codes" eval '! grep -q "$(printf "\033")" "$out"'

check "no file of any run of this test is left in TMPDIR" no_file_left

finish
