#!/bin/sh
# dashboard.sh - `proclab` in plain mode (no terminal): its command line,
# its text snapshots of real runs (states, zombies, exit statuses, a pipe
# with a blocked writer, a deadlock, a Python multiprocessing script), its
# exit status, and that no process and no board outlives it however it ends.
. "$top_srcdir/tests/lib.sh"
plan 42

bin="$top_builddir/proclab"

has() { grep -qF -- "$1" "$out" || { diag "no '$1' in the output:"; sed 's/^/#   /' "$out" | tail -n 30; return 1; }; }
# dash_rejects ARG...: exit 2, nothing on stdout, an error line and the hint.
dash_rejects() {
	dash "$@"
	[ "$rc" -eq 2 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" -eq 2 ] &&
		head -n 1 "$err" | grep -q '^proclab: .' &&
		[ "$(tail -n 1 "$err")" = "Try 'proclab --help' for more information." ] ||
		{ diag "proclab $*: status $rc, stderr: $(cat "$err")"; return 1; }
}

# --- The command line. ---
dash --help
check "--help: usage, exit 0" eval '[ "$rc" -eq 0 ] && has "Usage: proclab [OPTION]... DEMO"'
dash --version
check "--version names the package version" eval '[ "$rc" -eq 0 ] && has "$PACKAGE_VERSION"'
dash --list
list_ok() {
	[ "$rc" -eq 0 ] || return 1
	for d in $DEMO_NAMES; do
		grep -q "^$d  *[A-Za-z]" "$out" || { diag "--list lacks $d"; return 1; }
	done
	grep -q "^fork  *fork() returns twice" "$out"
}
check "--list: every demo, one line each, with its summary" list_ok
check "no operand is a usage error" dash_rejects
check "an unknown demo is a usage error" dash_rejects nosuchdemo
check "--rate 0 is refused" dash_rejects --rate 0 fork
check "--rate abc is refused" dash_rejects --rate=abc fork
check "an unknown option is refused" dash_rejects --bogus fork
check "-p needs a number" dash_rejects -p me
check "-p of no process is refused" dash_rejects -p 2147483646
check "-p and a command exclude each other" dash_rejects -p 1 -- true
check "a flag given a value is refused" dash_rejects --plain=yes fork

# --- The fork demo, watched to its end in plain snapshots. ---
dash --plain fork --speed 5 --children 3
check "fork: runs to the end; proclab exits with the demo's status 0" \
	eval '[ "$rc" -eq 0 ] && has "proclab: the command exited with status 0"'
check "fork: the children were seen sleeping, with their role from the board" \
	eval 'grep -q "S sleeping .* child  *\`-" "$out"'
check "fork: zombies were seen, with how long they went unreaped" \
	eval 'grep -q "Z zombie .*zombie, unreaped [0-9.]*s" "$out"'
check "fork: each child's exit status, from the zombie's stat" \
	eval 'has "exited with status 1" && has "exited with status 2" && has "exited with status 3"'
check "fork: the narration came through the board" \
	eval 'has "> Step 5: the parent waits for each child" && has "10 of 10 checks held"'
check "fork: nothing left, no board in /dev/shm" eval 'nothing_left && no_board'

# watch SIGNAL PRED ARG...: proclab --plain ARG... in the background, until
# PRED holds for its newest snapshot (kept in $out; the whole output is in
# $log) or 20 s have passed, or proclab has ended; then SIGNAL to proclab
# (INT: Ctrl-C, as in class). $rc: its status.
watch() {
	sig=$1
	pred=$2
	shift 2
	log="$WORK/watch.log.$tap_count"
	out="$WORK/watch.out.$tap_count"
	env PROCLAB_TEST_TOKEN="$TOKEN" "$bin" --plain "$@" >"$log" 2>&1 </dev/null &
	watched=$!
	dashboard_started "$watched"
	poll 20 eval 'newest_holds "$pred" || ! kill -0 "$watched" 2>/dev/null'
	kill "-$sig" "$watched" 2>/dev/null
	{ wait "$watched"; } 2>/dev/null
	rc=$?
}
newest_holds() {
	awk '/^--- snapshot [0-9]+$/ { s = ""; next } { s = s $0 "\n" } END { printf "%s", s }' \
		"$log" >"$out"
	"$1"
}
# holds PRED: PRED holds for the snapshot in $out; if not, show it.
holds() { "$1" || { diag "$(cat "$out")"; return 1; }; }

# --- A shell pipeline: the writer blocks on a full pipe. ---
pipe_ok() {
	yes_pid=$(awk '$NF == "`-yes" { print $1 }' "$out")
	sleep_pid=$(awk '$NF == "`-sleep" { print $1 }' "$out")
	[ -n "$yes_pid" ] && [ -n "$sleep_pid" ] &&
		grep -q "^ *$yes_pid .* S sleeping  *[a-z_]*pipe_write" "$out" &&
		grep "^  pipe  *pipe:\[[0-9]*\] held by 2: " "$out" |
		grep -F "$yes_pid (fd 1 w)" | grep -F "$sleep_pid (fd 0 r)" |
		grep -qF ", 65536 bytes queued"
}
watch INT pipe_ok -- sh -c 'yes | sleep 20'
check "pipeline: one pipe, yes its writer and sleep its reader, yes blocked in pipe_write, 64 KiB queued" holds pipe_ok
check "pipeline: Ctrl-C ends the run and leaves nothing" poll 5 nothing_left

# --- A FIFO: a path in the file system, writer -> reader like a pipe. ---
fifo_ok() {
	sleep_pid=$(awk '$NF == "sleep" { print $1 }' "$out")
	cat_pid=$(awk '$NF == "`-cat" { print $1 }' "$out")
	[ -n "$sleep_pid" ] && [ -n "$cat_pid" ] &&
		grep -F "  fifo     $WORK/fifo held by 2: " "$out" | grep -F "$sleep_pid (fd 1 w)" |
		grep -q "$cat_pid (fd [0-9]* r)"
}
watch INT fifo_ok -- sh -c 'mkfifo "$0/fifo"; cat "$0/fifo" >/dev/null & exec sleep 20 >"$0/fifo"' "$WORK"
check "FIFO: one object named by its path, with its writer and its reader" holds fifo_ok
check "FIFO: Ctrl-C ends the run and leaves nothing" poll 5 nothing_left

# --- A POSIX message queue: every producer and consumer holds it. ---
dash --plain queue --speed 5
check "mqueue: the queue demo's processes share /proclab-queue-PID, one line" \
	eval '[ "$rc" -eq 0 ] && grep -q "^  mqueue  */proclab-queue-[0-9-]*\( (deleted)\)\{0,1\} held by [2-9]: " "$out" ||
		{ diag "$(grep -c . "$out") lines, no mqueue object"; false; }'

# --- A deadlock of two flock()s, found in /proc/locks. ---
mkdir "$WORK/locks"
deadlock_ok() {
	grep -q "^DEADLOCK: [0-9]* (left) wants .*/b.lock, held by [0-9]* (right); [0-9]* (right) wants .*/a.lock, held by [0-9]* (left)" "$out"
}
waiters_ok() { grep -qF "waits for $WORK/locks/a.lock" "$out"; }
both_ok() { deadlock_ok && waiters_ok; }
watch INT both_ok -- "$top_builddir/tests/lockcycle" "$WORK/locks" 20
check "deadlock: DEADLOCK names both processes and both locks" holds deadlock_ok
check "deadlock: the waiters are shown in /proc/locks" holds waiters_ok

# --- A System V segment: attached by a parent and its child. ---
segments() { tail -n +2 /proc/sysvipc/shm 2>/dev/null | wc -l; }
segments_before=$(segments)
sysv_ok() {
	parent=$(awk '$NF == "sysvshm" { print $1 }' "$out")
	child=$(awk '$NF == "`-sysvshm" { print $1 }' "$out")
	[ -n "$parent" ] && [ -n "$child" ] &&
		grep -q "^  sysvshm  *key 0x[0-9a-f]*, id [0-9]* held by 2: $parent (map) $child (map)$" "$out"
}
watch INT sysv_ok -- "$top_builddir/tests/sysvshm" 20
if [ "$rc" -eq 77 ]; then
	tap_count=$((tap_count + 1)); echo "ok $tap_count # SKIP no System V shared memory here"
else
	check "SysV shm: one object, held by the two processes that attached the segment" holds sysv_ok
fi
no_segment_left() { [ "$(segments)" -eq "$segments_before" ]; }
check "SysV shm: Ctrl-C leaves nothing, not even the segment" \
	eval 'poll 5 nothing_left && poll 5 no_segment_left'

# --- --once: one snapshot after --delay, then the run ends. ---
dash --once --delay 0.3 -- sleep 20
check "--once: one snapshot of the command, exit 0" \
	eval '[ "$rc" -eq 0 ] && [ "$(grep -c "^proclab: sleep (pid [0-9]*)  t=" "$out")" -eq 1 ] &&
		! grep -q "^--- snapshot" "$out" || { diag "status $rc: $(cat "$out")"; false; }'
check "--once: ends the run and leaves nothing" poll 5 nothing_left
# The kernel's list of every Unix socket on the host (sock_diag) is asked
# for only when a watched process holds a socket; sleep holds none.
if command -v strace >/dev/null 2>&1; then
	env "$NO_LSAN" strace -qq -e trace=socket -o "$WORK/strace" \
		env PROCLAB_TEST_TOKEN="$TOKEN" "$bin" --once --delay 0.3 -- sleep 20 \
		>/dev/null 2>&1 </dev/null
	check "--once of a command with no socket: no sock_diag dump" \
		eval '! grep -q NETLINK "$WORK/strace" || { diag "$(cat "$WORK/strace")"; false; }'
	poll 5 nothing_left
else
	check "--once of a command with no socket: no sock_diag dump # SKIP no strace" true
fi

# --- -p: attach to a tree that runs already. ---
env PROCLAB_TEST_TOKEN="$TOKEN" sh -c 'sleep 30 & sleep 30 & wait' </dev/null >/dev/null 2>&1 &
tree=$!
poll 10 has_children "$tree" 2
dash --once -p "$tree"
check "-p: the tree of a running shell, its two sleeping children" \
	eval '[ "$rc" -eq 0 ] && [ "$(grep -c "S sleeping .*\`-sleep" "$out")" -eq 2 ]'
kill "$tree" $(token_children_of "$tree") 2>/dev/null
wait "$tree" 2>/dev/null

# --- The command's exit status, and a stale board. ---
dead=$(sh -c 'echo $$')
stale="/dev/shm/proclab-board-$dead-1-$(printf '%016d' "$$")"
touch "$stale"
dash --plain -- sh -c 'exit 3'
check "proclab exits with the command's status" [ "$rc" -eq 3 ]
check "a stale board of a dead dashboard was cleaned" [ ! -e "$stale" ]

# --- SIGKILL and SIGINT of the dashboard itself. ---
saw_step2() { grep -q "Step 2" "$log"; }
killed_run() {
	watch "$1" saw_step2 fork --speed 0.5
	saw_step2 && poll 5 nothing_left && no_board
}
check "SIGKILL of proclab: the demo dies with it, and no board is left" killed_run KILL
check "SIGINT of proclab: it ends the demo and removes the board" killed_run INT

# --- A Python multiprocessing script, where python3 exists. ---
if command -v python3 >/dev/null 2>&1; then
	cat >"$WORK/mp.py" <<'PY'
import multiprocessing as mp
import time

def worker(reader):
    reader.recv()          # blocks in pipe_read until the parent writes

if __name__ == "__main__":
    reader, writer = mp.Pipe(duplex=False)
    workers = [mp.Process(target=worker, args=(reader,)) for _ in range(2)]
    for w in workers:
        w.start()
    time.sleep(30)
    for w in workers:
        writer.send("go")
    for w in workers:
        w.join()
PY
	py_ok() { [ "$(grep -c 'pipe_read' "$out")" -ge 2 ] &&
		grep -q "^  pipe  *pipe:\[[0-9]*\] held by [2-9]: .* r[,)]" "$out"; }
	watch INT py_ok -- python3 "$WORK/mp.py"
	check "python multiprocessing: two workers in pipe_read, and their pipes" holds py_ok
else
	check "python multiprocessing # SKIP no python3" true
fi

# --- Names and text that the watched processes choose themselves. ---
# A symlink's name becomes the comm (and argv[0]) of what runs through it;
# the narrator names itself with prctl and writes what it is given on the
# board, byte for byte; the shell prints a line of its own. Escape
# sequences and other controls in them would drive the terminal that
# shows the dashboard (root's, with -p): not one byte of them may reach
# it. In an ASCII locale only printable ASCII comes out; in a UTF-8 one,
# valid UTF-8 too, but no C0 or C1 control, no DEL and no invalid byte.
evil="$WORK/evil"
mkdir "$evil"
sh_name=$(printf 'sh\033[7m')                       # ESC
sleep_a=$(printf '\033[2J\033]0;x\a')               # CSI, OSC, BEL
sleep_b=$(printf 'a\bb\rc\177\302\233d\233')        # BS, CR, DEL, C1 CSI
ln -s "$(command -v sh)" "$evil/$sh_name"
ln -s "$(command -v sleep)" "$evil/$sleep_a"
ln -s "$(command -v sleep)" "$evil/$sleep_b"
narrator_name=$(printf 'n\033[5m\302\205\377') # ESC, C1 NEL, a bad byte
role=$(printf 'gr\303\274\303\237e-\303\270\303\270\303\270\303\270\303\270\303\270\033[1m')
line=$(printf 'told\033]2;pwned\a\033[2J\302\233 done')
said=$(printf 'proclab-out \033[31m\a\b\302\233x\377')
names_tree() {
	watch INT names_seen -- "$evil/$sh_name" -c \
		'printf "%s\n" "$1"; "$0/$2" 20 & "$0/$3" 20 & "$4" "$5" "$6" "$7" 20 & wait' \
		"$evil" "$said" "$sleep_a" "$sleep_b" "$top_builddir/tests/narrator" \
		"$narrator_name" "$role" "$line"
}
# Each name and line was seen, cleaned; the role is cut to its 10 columns.
names_seen() {
	grep -qF "> proclab-out [31m???x?" "$log" && grep -qF "told?]2;pwned??[2J? done" "$log" &&
		grep -qF "?[2J?]0;x?" "$out" && grep -qF "a?b?c??d?" "$out" &&
		grep -qF "$want_role \`-n?[5m??" "$out" && grep -qF "proclab: $evil/sh?[7m (pid" "$out"
}
# show_bytes FILE: where od -c shows a byte that is not printable ASCII.
show_bytes() { od -c "$1" | grep -E '\\[0-9]{3}|\\[abtrv]' | head -n 5 | sed 's/^/#   /'; }
# printable_ascii FILE: nothing but printable ASCII and newlines.
printable_ascii() {
	[ "$(LC_ALL=C tr -d '\n\040-\176' <"$1" | wc -c)" -eq 0 ] ||
		{ diag "bytes other than printable ASCII:"; show_bytes "$1"; false; }
}
# printable_utf8 FILE: valid UTF-8, with no control character but newlines.
printable_utf8() {
	[ "$(LC_ALL=C tr -d '\n\040-\176\200-\377' <"$1" | wc -c)" -eq 0 ] &&
		iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 &&
		! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1" ||
		{ diag "a control character or bad UTF-8:"; show_bytes "$1"; false; }
}
locale_was=${LC_ALL-}
LC_ALL=C
export LC_ALL
want_role="gr??e-????"
names_tree
check "names in an ASCII locale: seen, cleaned, the role cut to its column" holds names_seen
check "names in an ASCII locale: only printable ASCII reached the terminal" printable_ascii "$log"
if [ "$(LC_ALL=C.UTF-8 locale charmap 2>/dev/null)" = UTF-8 ]; then
	LC_ALL=C.UTF-8
	want_role=$(printf 'gr\303\274\303\237e-\303\270\303\270\303\270\303\270')
	names_tree
	check "names in a UTF-8 locale: seen, the role cut between characters" holds names_seen
	check "names in a UTF-8 locale: no control character, no bad UTF-8" printable_utf8 "$log"
else
	for c in 1 2; do tap_count=$((tap_count + 1)); echo "ok $tap_count # SKIP no C.UTF-8 locale"; done
fi
LC_ALL=$locale_was

# A demo's own narration: pl_note cleans what it is given to quote.
"$top_builddir/tests/narrator" "$narrator_name" "$role" "$line" 0 >"$WORK/note" 2>&1 </dev/null
check "a demo's narration of text it was given: no control character" \
	eval 'grep -qF "told?]2;pwned??[2J? done" "$WORK/note" && printable_utf8 "$WORK/note"'

check "after every run: no process and no board left" eval 'poll 5 nothing_left && no_board'

finish
