#!/bin/sh
# ipcns.sh - the IPC tests once more, in a fresh IPC namespace with its own
# mqueue file system, as on a machine just booted or in a new container.
#
# There the first System V segment gets id 0, which /proc/PID/maps shows
# in its inode column, and the first queue is alone in /dev/mqueue. A
# reader that takes inode 0 for "no file", or a test that counts on names
# from earlier runs, fails here and not on a machine that has been up for
# a while. Each inner test is one line here; its failures follow as
# diagnostics.
. "$top_srcdir/tests/lib.sh"

# The tests of what an IPC namespace holds: System V objects (the
# dashboard's SysV edge) and POSIX message queues. POSIX shared memory,
# pipes, file locks and sockets are not in it: shm.sh here would only run
# a second time at once in the same /dev/shm, where each run's sweep of
# stale names can take the other's.
inner="dashboard.sh queue.sh"

# unshare(1) makes the namespaces: as root directly, otherwise inside a
# user namespace where this kernel allows one.
ns=""
for try in "unshare --ipc --mount" "unshare --user --map-root-user --ipc --mount"; do
	if $try true 2>/dev/null; then
		ns=$try
		break
	fi
done
[ -n "$ns" ] || skip_all "cannot make an IPC namespace here (needs root or user namespaces; unshare from util-linux)"
# The namespace's queues show as files only where /dev/mqueue exists (an
# mqueue file system is mounted there, or can be): mq_open works without.
mq=true
if [ -d /dev/mqueue ]; then
	mq='mount -t mqueue mqueue /dev/mqueue'
	# shellcheck disable=SC2086
	$ns sh -c "$mq" 2>/dev/null ||
		skip_all "cannot mount a fresh mqueue file system on /dev/mqueue here"
fi

plan $(($(echo $inner | wc -w) + 1))

# Fresh: no System V object and no queue of anyone else's.
# shellcheck disable=SC2086
$ns sh -c "$mq"' && [ "$(wc -l </proc/sysvipc/shm)" -eq 1 ] &&
	{ [ ! -d /dev/mqueue ] || [ -z "$(ls -A /dev/mqueue)" ]; }' >"$WORK/fresh" 2>&1
check "a fresh namespace: no System V segment, no queue" test $? -eq 0
[ -d /dev/mqueue ] || diag "no /dev/mqueue here: queues are fresh, but not visible as files"

for t in $inner; do
	# shellcheck disable=SC2086
	$ns sh -c "$mq"' && exec "$@"' sh \
		"$top_builddir/tests/reaper" "${SHELL:-/bin/sh}" "$top_srcdir/tests/$t" >"$WORK/$t.tap" 2>&1
	rc=$?
	failed=$(grep -c '^not ok' "$WORK/$t.tap")
	passed=$(grep -c '^ok' "$WORK/$t.tap")
	if ! check "$t in a fresh IPC namespace: $passed passed, $failed failed" \
		test "$rc" -eq 0 -a "$failed" -eq 0 -a "$passed" -gt 0; then
		sed -n 's/^/#   /; /not ok/,+8p' "$WORK/$t.tap" | head -n 40
	fi
done
finish
