#!/bin/sh
# mpi-exchange.sh - proclab-mpi-exchange finds the eager limit, completes
# the unsafe exchange at the limit, deadlocks above it (proved from
# /proc), ends the stuck job itself in bounded time, completes both fixes,
# and leaves nothing, even when Ctrl-C comes during the deadlock. The limit
# is the same when rank 0 loses its CPU in the middle of a probe.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/mpi-lib.sh"
need_jq
need_mpi mpi-exchange
plan 21

run_demo mpi-exchange --json --speed 5
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" is_event_stream "$json"
check "no event gives a name twice" keys_unique "$json"
check "five steps, in the lesson's order" steps_are "$json" "limit,below,above,sendrecv,nonblocking"
check "a limit is found, and re-measured on both sides of it" \
	jq_is "$json" '.[] | select(.check=="limit-found") | .ok and .limit > 0 and .limit < 1048576' true
check "the largest eager probe is the limit; every larger probe waited" \
	jq_is "$json" '(map(select(.check=="limit-found"))[0].limit) as $l |
		[.[] | select(.event=="probe")] |
		(map(select(.eager)) | max_by(.size).size == $l) and
		(map(select(.size > $l)) | all(.eager | not))' true
check "at the limit the unsafe exchange completes, the data right" \
	jq_is "$json" '.[] | select(.check=="below") | .ok' true
check "above it both ranks are stuck: no send returned, both alive, no byte arrived" \
	jq_is "$json" '[.[] | select(.check=="deadlocked") | .ok, .alive, .sent0, .sent1] | join(",")' \
	"true,2,false,false"
check "the receive buffers, read in /proc/PID/mem, stay all zero" \
	jq_is "$json" '[.[] | select(.event=="rank-state") | .bytes_before + .bytes_after] | join(",")' "0,0"
check "the demo ended the stuck job in under 5 s (SIGTERM to mpirun reaches the ranks)" \
	jq_is "$json" '.[] | select(.check=="recovered") | .ok and .stop_s < 5' true
check "both fixes complete at the unsafe size, the data right" \
	jq_is "$json" '[.[] | select(.check=="sendrecv" or .check=="nonblocking") | .ok] | join(",")' "true,true"
check "nothing left" mpi_clean "$main" || mpi_why "$main"

# Rank 0 loses its CPU for 100 ms in each probe (tests/mpi-stall.c), as
# it may on a busy machine: in MPI_Send before an eager send, or between
# the size's broadcast and a send that will wait. The limit found is the
# same: each verdict rests on what happened first, the "returned" message
# or the receive, and on rank 0's time on a CPU, not on a stopwatch.
shim=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$top_builddir/tests/mpi-stall.la" 2>/dev/null)
shim=${shim:+$top_builddir/tests/.libs/$shim}
shm_limit=$($JQ -rs '.[] | select(.check=="limit-found") | .limit' "$json")
for at in send bcast; do
	what="rank 0 stalled 100 ms at each probe's $at: the same limit, $shm_limit B, and every check held"
	if [ ! -f "${shim:-/nonexistent}" ]; then
		skip "$what" "no shared mpi-stall module (a static build)"
		continue
	fi
	mpi_tmpdir "stall-$at"
	export MPI_STALL=$at LD_PRELOAD="$shim"
	run_demo mpi-exchange --json --speed 5
	unset MPI_STALL LD_PRELOAD
	check "$what" jq_is "$out" "([.[] | select(.event==\"check\") | .ok] | all) and
		(.[] | select(.check==\"limit-found\") | .limit == $shm_limit)" true ||
		diag "status $rc; $($JQ -c 'select(.check=="limit-found")' "$out")"
done

check "--transport bogus is rejected" rejects mpi-exchange --transport bogus
check "--hang 0 is rejected" rejects mpi-exchange --hang 0

# Ctrl-C while the ranks are deadlocked.
mpi_tmpdir int
start_demo mpi-exchange --json --hang 30
stuck() { grep -q '"event":"step","text":"above' "$out" && has_ranks "$demo_pid" 2; }
poll 30 stuck || diag "the deadlock never came"
kill -s INT "$demo_pid"
wait_demo
check "Ctrl-C during the deadlock: the demo dies of SIGINT" [ "$rc" -eq 130 ]
check "Ctrl-C during the deadlock: no rank, no mpirun, nothing in /dev/shm or TMPDIR" \
	poll 10 mpi_clean "$demo_pid" || mpi_why "$demo_pid"

# Under the dashboard: the ranks show their rank as their role, read
# from OMPI_COMM_WORLD_RANK in their environment (lib/pl_model.c).
snap="$WORK/snapshot"
mpi_tmpdir dashboard
env PROCLAB_TEST_TOKEN="$TOKEN" "$top_builddir/proclab" --once --delay 4 --plain \
	mpi-exchange --hang 10 >"$snap" 2>&1 </dev/null
dash_demo=$(sed -n 's/^proclab: proclab-mpi-exchange (pid \([0-9]*\)).*/\1/p' "$snap")
check "in the dashboard the ranks' role is rank 0 and rank 1" \
	sh -c 'grep -q " rank 0 .*proclab-mpi-ex" "$1" && grep -q " rank 1 .*proclab-mpi-ex" "$1"' sh "$snap" ||
	diag "$(cat "$snap")"
check "the dashboard's end of the demo leaves nothing" poll 15 mpi_clean "${dash_demo:-0}" ||
	mpi_why "${dash_demo:-0}"

# TCP: the same story, and a larger limit than shared memory's.
mpi_tmpdir tcp
run_demo mpi-exchange --json --speed 5 --transport tcp
check "over TCP: every check held, and the limit is larger than over shared memory" \
	jq_is "$out" "([.[] | select(.event==\"check\") | .ok] | all) and
		(.[] | select(.check==\"limit-found\") | .limit > $shm_limit)" true
finish
