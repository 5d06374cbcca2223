#!/bin/sh
# mpi-die.sh - in proclab-mpi-die a rank dies of SIGKILL: the survivors'
# counters stop, mpirun reports the rank and the signal, ends the job and
# fails, and removes its files itself; bad rank numbers are refused.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/mpi-lib.sh"
need_jq
need_mpi mpi-die
plan 12

run_demo mpi-die --json --ranks 4 --victim 2
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" is_event_stream "$json"
check "no event gives a name twice" keys_unique "$json"
check "three steps: start, death, mpirun" steps_are "$json" "start,death,mpirun"
check "four ranks, children of mpirun" \
	jq_is "$json" '.[] | select(.check=="ranks-are-children") | "\(.ok):\(.children)"' "true:4"
check "the victim's counter is gone; no survivor still running went past round 201" \
	jq_is "$json" '[.[] | select(.event=="rounds") | if .rank == 2 then .after == -1
		else (.after == .before and .after <= 201) end] | all' true
check "mpirun named rank 2 and signal 9" jq_is "$json" '.[] | select(.check=="reported") | .ok' true
check "mpirun ended the job within 10 s, none finished, and it exited non-zero" \
	jq_is "$json" '.[] | select(.check=="job-ended") | .ok and .status != 0 and .finished == 0' true
check "mpirun cleaned up after itself: the demo swept nothing" \
	jq_is "$json" '.[] | select(.check=="cleaned-by-mpirun") | "\(.ok):\(.swept)"' "true:0"
check "nothing left" mpi_clean "$main" || mpi_why "$main"

check "--victim 3 with --ranks 3 is refused" rejects mpi-die --ranks 3 --victim 3
check "--ranks 17 is refused" rejects mpi-die --ranks 17
finish
