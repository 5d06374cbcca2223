#!/bin/sh
# judge-cost.sh - what the judge reads while it watches does not grow with
# the machine's other processes, nor with what the spec does not check. It
# looks at the run's tree 50 times a second; finding its own children by
# reading the stat of every process on the machine at each look was most
# of its CPU (docs/judge-bench.md). Counted with strace, not timed:
#  - a process of this test's own, not the judge's, must have its stat
#    read at most once every three looks (the model looks again at
#    strangers every tenth refresh). A look reads /proc/loadavg, to know
#    whether to list /proc again: only when a task was born or reaped;
#  - each thread's stat and /proc/locks are read only for a spec whose
#    checks use them (stuck names each thread's wait channel and the
#    wait-for cycle; parallel counts running threads): a spec of exit
#    alone reads neither, one with stuck reads both.
. "$top_srcdir/tests/lib.sh"
command -v strace >/dev/null 2>&1 || skip_all "strace not installed (apt-get install strace)"

plan 6
bin="$top_builddir/proclab-judge"
mkdir -p "$WORK/lab"
# Two threads for a second: the model has threads to read, if asked.
cat >"$WORK/lab/prog.c" <<'C'
#include <pthread.h>
#include <unistd.h>
static void *nap(void *arg) { (void)arg; sleep(1); return NULL; }
int
main(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, nap, NULL) != 0)
		return 1;
	sleep(1);
	return pthread_join(t, NULL) != 0;
}
C
${CC:-cc} -pthread -o "$WORK/lab/prog" "$WORK/lab/prog.c" || skip_all "cannot build a threaded program"

# grade CHECKS: strace the judge grading prog with [check exit] and CHECKS.
grade() {
	printf '[lab]\nrun = ./prog\n[check exit]\nstatus = 0\n%b' "$1" >"$WORK/lab/lab.spec"
	env PROCLAB_TEST_TOKEN="$TOKEN" "$NO_LSAN" timeout 60 strace -qq -e trace=openat \
		-o "$WORK/trace" "$bin" -q "$WORK/lab" >"$WORK/out" 2>&1
	rc=$?
	listings=$(grep -c '"/proc", O_RDONLY' "$WORK/trace")
	looks=$(grep -c '"/proc/loadavg"' "$WORK/trace")
	thread_stats=$(grep -c '"/proc/[0-9]*/task/[0-9]*/stat"' "$WORK/trace")
	locks=$(grep -c '"/proc/locks"' "$WORK/trace")
}

# A stranger to the judge: a child of this shell, not of the judge.
sleep 60 &
stranger=$!
grade ''
kill "$stranger"
wait "$stranger" 2>/dev/null
reads=$(grep -c "\"/proc/$stranger/stat\"" "$WORK/trace")
check "the judge graded the run (exit $rc)" [ "$rc" -eq 0 ]
check "a stranger's stat read $reads times in $looks looks ($listings listings of /proc)" \
	eval '[ "$looks" -ge 6 ] && [ "$listings" -le "$looks" ] && [ $((reads * 3)) -le "$looks" ]'
check "exit alone: no thread's stat read ($thread_stats), no /proc/locks ($locks)" \
	eval '[ "$thread_stats" -eq 0 ] && [ "$locks" -eq 0 ]'

grade '[check stuck]\nafter = 3\n'
check "with stuck: graded (exit $rc)" [ "$rc" -eq 0 ]
check "with stuck: each thread's stat read ($thread_stats), and /proc/locks ($locks)" \
	eval '[ "$thread_stats" -ge 2 ] && [ "$locks" -ge 2 ]'
check "after the runs: nothing left" poll 5 nothing_left
finish
