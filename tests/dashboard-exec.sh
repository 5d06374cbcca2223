#!/bin/sh
# dashboard-exec.sh - what proclab hands on to the command it runs. The
# command must see its own descriptors and limits only, the ones it would
# have without proclab: the exec lesson has students read /proc/PID/fd.
. "$top_srcdir/tests/lib.sh"
plan 2

bin="$top_builddir/proclab"
# What the command sees, written to the directory $0: its descriptors (ls
# adds one of its own, for /proc/self/fd) and its limit on them.
report='ls /proc/self/fd >"$0/fds"; ulimit -n >"$0/limit"'
mkdir "$WORK/direct" "$WORK/watched"
# A soft limit below the hard one, as a caller may set: proclab raises
# its own to the hard limit, and must not pass that on.
limit=$(ulimit -H -n)
if [ "$limit" = unlimited ] || [ "$limit" -gt 256 ]; then
	limit=256
else
	diag "hard limit $limit: no room below it, the limit check proves little here"
fi
(
	ulimit -S -n "$limit"
	sh -c "$report" "$WORK/direct" </dev/null >/dev/null 2>&1
	env PROCLAB_TEST_TOKEN="$TOKEN" "$bin" --plain -- sh -c "$report" "$WORK/watched" \
		</dev/null >/dev/null 2>&1
)
same() {
	cmp -s "$WORK/direct/$1" "$WORK/watched/$1" ||
		{ diag "without proclab: $(tr '\n' ' ' <"$WORK/direct/$1")" \
			"under proclab:   $(tr '\n' ' ' <"$WORK/watched/$1" 2>&1)"; false; }
}
check "the command's descriptors are those it has without proclab" same fds
check "its limit on descriptors is the caller's ($limit)" same limit

finish
