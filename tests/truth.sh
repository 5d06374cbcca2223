#!/bin/sh
# truth.sh - the facts the lessons state, measured (issue 17). Each check
# runs a small probe from tests/truth/ (C, or Python where the fact is
# about CPython) and asserts what the kernel, glibc or CPython did, so a
# lesson that says otherwise is caught by a failing check here:
#   - sched_yield() counts as an involuntary switch, usleep() as voluntary
#     (lessons 12 and 19)
#   - glibc's default mutex goes to the futex without spinning (lesson 7)
#   - a forked child shares the file offset and status flags (lesson 16)
#   - a thread's orphan goes to another thread of its process, and
#     PR_SET_PDEATHSIG fires when the forking thread exits (lessons 4, 5)
#   - wchar counts a write() when it returns, stored or not (lesson 6)
#   - vfork() suspends only the calling thread (lesson 16)
#   - multiprocessing.Value lives in a deleted file in /dev/shm (lesson 7)
#   - d["total"] += 1 on a DictProxy is two requests (lesson 10)
#   - queue.Queue and multiprocessing.Queue are unbounded by default, the
#     latter with a feeder thread (lessons 8 and 13)
#   - sys._is_gil_enabled() is the GIL's state now, not the build (lesson 17)
#   - a killable sleep (vfork()'s caller) shows D, and SIGKILL ends it
#     (lessons 3 and 4)
# Not here, because no ordinary machine shows it: lockdep, which needs a
# kernel built with CONFIG_PROVE_LOCKING.
. "$top_srcdir/tests/lib.sh"

probe="$top_builddir/tests/truth"
py="$top_srcdir/tests/truth"
PYTHON=$(command -v python3 2>/dev/null)
plan 16

# field OUTPUT WORD: the word after WORD in the probe's line.
field() { echo "$1" | awk -v w="$2" '{ for (i = 1; i < NF; i++) if ($i == w) { print $(i + 1); exit } }'; }

# show NAME OUTPUT: the probe's output, each line a TAP comment.
show() { echo "$2" | sed "s|^|# $1: |"; }


# --- Context switches: a yield is involuntary, a sleep voluntary. ---
n=200
got=$("$probe/switches" $n)
show "switches $n" "$got"
yv=$(field "$got" voluntary)
ynv=$(field "$got" nonvoluntary)
uv=$(echo "$got" | sed 's/.*usleep//' | awk '{ print $2 }')
unv=$(echo "$got" | sed 's/.*usleep//' | awk '{ print $4 }')
check "sched_yield() on a busy CPU: involuntary switches, no voluntary one" \
	eval '[ "${ynv:-0}" -ge $((n / 10)) ] && [ $((${yv:-99999} * 10)) -le "${ynv:-0}" ]'
check "usleep(1): a voluntary switch for (nearly) every call" \
	eval '[ "${uv:-0}" -ge $((n / 2)) ] && [ "${uv:-0}" -gt "${unv:-0}" ]'

# --- glibc's default mutex does not spin. With the spin count at its
# largest, an adaptive waiter burns CPU before it sleeps; a default one
# does not, because it never looks at the spin count. ---
got=$(env GLIBC_TUNABLES=glibc.pthread.mutex_spin_count=32767 "$probe/mutex-spin")
show "mutex-spin" "$got"
d=$(field "$got" default)
a=$(field "$got" adaptive)
if [ "${a:-0}" -lt 100 ]; then
	skip "a default mutex's waiter does not spin" \
		"an adaptive mutex does not spin here either (${a:-?} us): not glibc, or no tunable"
else
	check "a default mutex's waiter does not spin: ${d:-?} us of CPU, an adaptive one's $a us" \
		[ $((${d:-99999} * 4)) -lt "$a" ]
fi

# --- fork() shares open file descriptions. ---
got=$("$probe/shared-offset" "$WORK/shared-offset")
show "shared-offset" "$got"
check "the child's write moves the parent's offset, its fcntl sets the parent's flags" \
	[ "$got" = "offset 42 append yes" ]

# --- Orphans of a thread; the death signal of a thread. ---
got=$("$probe/orphan-thread")
show "orphan-thread" "$got"
check "PR_SET_PDEATHSIG fires when the forking thread exits, the process living on" \
	[ "$(field "$got" signal)" = SIGUSR1 ]
check "the child of an ended thread is adopted by its process, not a subreaper or init" \
	eval '[ -n "$(field "$got" process)" ] &&
	[ "$(field "$got" ppid-after)" = "$(field "$got" process)" ] &&
	[ "$(field "$got" ppid-before)" = "$(field "$got" process)" ]'

# --- wchar: counted when write() returns, whatever the file does with it. ---
got=$("$probe/wchar")
show "wchar" "$got"
check "a write of 12345 bytes to /dev/null adds 12345 to wchar, and 1 to syscw" \
	[ "$(echo "$got" | cut -d' ' -f1-5)" = "null wchar +12345 syscw +1" ]
check "a writer asleep in a pipe write has counted nothing; once it returns, all 100000 bytes" \
	[ "$(echo "$got" | cut -d' ' -f6-)" = "blocked wchar +0 returned wchar +100000" ]

# --- vfork() suspends the calling thread only. ---
got=$("$probe/vfork-thread")
show "vfork-thread" "$got"
took=$(field "$got" took)
counted=$(field "$got" counted)
check "vfork() waits for the child (200 ms) in the calling thread; another thread counts on" \
	eval '[ "${took:-0}" -ge 190 ] && [ "${counted:-0}" -ge 20 ]'

# --- A killable sleep: D in /proc, and SIGKILL ends it. ---
state_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
in_d() { [ "$(state_of "$1")" = D ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
env PROCLAB_TEST_TOKEN="$TOKEN" "$probe/killable" &
pid=$!
if poll 10 in_d $pid; then
	diag "killable: $pid in D, wchan $(cat /proc/$pid/wchan 2>/dev/null)"
	kill -s KILL $pid
	# Its child sleeps 10 s: ended sooner, the SIGKILL woke the parent.
	check "vfork()'s caller sleeps in D, and SIGKILL ends it (and its child) at once" \
		eval 'poll 3 gone $pid && wait $pid 2>/dev/null; [ $? -eq 137 ] && poll 3 nothing_left'
else
	check "vfork()'s caller sleeps in D # state $(state_of $pid)" false
	kill -s KILL $pid 2>/dev/null
	wait $pid
fi

# --- CPython. ---
if [ -z "$PYTHON" ]; then
	for what in "multiprocessing.Value" "DictProxy +=" "DictProxy lost update" \
		"queue.Queue" "multiprocessing.Queue" "sys._is_gil_enabled"; do
		skip "$what" "no python3"
	done
	finish
fi

got=$("$PYTHON" "$py/mp-value.py")
show "mp-value.py" "$got"
# Arena._choose_dir() takes /dev/shm only if it has room; it has here.
check "multiprocessing.Value: a deleted file in /dev/shm, mapped shared (rw-s)" \
	eval 'echo "$got" | grep -Eq "^mapping /dev/shm/pym-[0-9]+-[^ ]+ \(deleted\) perms rw-s$"'

got=$("$PYTHON" "$py/dictproxy.py")
show "dictproxy.py" "$got"
check "d[\"total\"] += 1 on a DictProxy is two requests, __getitem__ then __setitem__" \
	[ "$(echo "$got" | cut -d' ' -f1-3)" = "requests __getitem__ __setitem__" ]
check "another client's addition between the two is lost" \
	[ "$(echo "$got" | cut -d' ' -f4-)" = "total 1 after two additions" ]

got=$("$PYTHON" "$py/queues.py")
show "queues.py" "$got"
check "queue.Queue(): maxsize 0, 100000 put_nowait() and never Full" \
	[ "$(echo "$got" | head -n 1)" = "queue.Queue maxsize 0 put 100000 full never" ]
check "multiprocessing.Queue(): a feeder thread after put(), 2 MB put unread and never Full" \
	[ "$(echo "$got" | sed -n 2p)" = \
		"multiprocessing.Queue threads +1 QueueFeederThread put 2000 full never got 2000" ]

got=$("$PYTHON" "$py/gil-state.py")
rc=$?
show "gil-state.py" "$got"
if [ $rc -eq 77 ]; then
	skip "sys._is_gil_enabled() is the state now" "$got"
elif [ "$(field "$got" build)" != free-threaded ]; then
	# A default build cannot turn the GIL off (PYTHON_GIL=0 is a fatal
	# error there): the answer is always True.
	check "sys._is_gil_enabled(): True on a default build" [ "$(field "$got" enabled)" = True ]
else
	off=$(env PYTHON_GIL=0 "$PYTHON" "$py/gil-state.py")
	on=$(env PYTHON_GIL=1 "$PYTHON" "$py/gil-state.py")
	diag "PYTHON_GIL=0: $off; PYTHON_GIL=1: $on"
	check "sys._is_gil_enabled(): one free-threaded build, False with PYTHON_GIL=0, True with 1" \
		eval '[ "$(field "$off" enabled)" = False ] && [ "$(field "$on" enabled)" = True ]'
fi
finish
