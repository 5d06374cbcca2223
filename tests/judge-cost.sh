#!/bin/sh
# judge-cost.sh - what the judge reads while it watches does not grow with
# the machine's other processes. It looks at the run's tree 50 times a
# second; finding its own children by reading the stat of every process
# on the machine at each look was most of its CPU (docs/judge-bench.md).
# Counted with strace, not timed: a process of this test's own, not the
# judge's, must have its stat read at most once every three listings of
# /proc (the model looks again at strangers every tenth refresh).
. "$top_srcdir/tests/lib.sh"
command -v strace >/dev/null 2>&1 || skip_all "strace not installed (apt-get install strace)"

plan 2
bin="$top_builddir/proclab-judge"
mkdir -p "$WORK/lab"
cat >"$WORK/lab/lab.spec" <<'SPEC'
[lab]
run = sleep 2
[check exit]
status = 0
SPEC

# A stranger to the judge: a child of this shell, not of the judge.
sleep 60 &
stranger=$!
env PROCLAB_TEST_TOKEN="$TOKEN" "$NO_LSAN" timeout 60 strace -qq -e trace=openat -o "$WORK/trace" \
	"$bin" -q "$WORK/lab" >"$WORK/out" 2>&1
rc=$?
kill "$stranger"
wait "$stranger" 2>/dev/null
listings=$(grep -c '"/proc", O_RDONLY' "$WORK/trace")
reads=$(grep -c "\"/proc/$stranger/stat\"" "$WORK/trace")
check "the judge graded the run (exit $rc)" [ "$rc" -eq 0 ]
check "a stranger's stat read $reads times in $listings listings of /proc" \
	eval '[ "$listings" -ge 6 ] && [ $((reads * 3)) -le "$listings" ]'
finish
