#!/bin/sh
# mpi-ring.sh - proclab-mpi-ring's token comes back with the predicted
# sum after visiting every rank each lap; the scattered, gathered and
# reduced job equals a plain loop on any number of ranks, its work split
# by CPU time; rank counts out of range are refused; nothing is left, and
# what killed runs left in /dev/shm is swept (demos/mpi/launch.c).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/mpi-lib.sh"
need_jq
need_mpi mpi-ring
plan 16

# A run killed with its guardian (SIGKILL of every process) leaves its
# directory in /dev/shm; the next run removes it, since its controller is
# gone, and leaves that of a live controller (this shell) alone.
stale=$(mpi_plant_stale_dir)
live=$(mpi_plant_dir $$)
run_demo mpi-ring --json --speed 3 --ranks 5 --laps 4 --job-ranks 2
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
gone() { [ -n "$1" ] && [ ! -e "$1" ]; }
check "a directory of a controller that is gone is removed, with its segment" gone "$stale"
check "the run says it removed it" jq_is "$json" '.[] | select(.event=="swept") | .removed >= 1' true
check "a directory of a live controller stays, with its segment" \
	[ -e "${live:-/nonexistent}/vader_segment.planted" ]
rm -rf "$live"
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" is_event_stream "$json"
check "no event gives a name twice" keys_unique "$json"
check "two steps: ring, collectives" steps_are "$json" "ring,collectives"
check "the ranks are mpirun's children: 5 in the ring, 2 and 1 for the job" \
	jq_is "$json" '[.[] | select(.check=="ranks-are-children") | "\(.ok):\(.children)"] | join(",")' \
	"true:5,true:2,true:1"
check "the token is 4 laps x (0+1+2+3+4) = 40, every rank every lap" \
	jq_is "$json" '.[] | select(.check=="token") | "\(.ok):\(.token):\(.every_rank_every_lap)"' "true:40:true"
check "the reduced total is the sum of the gathered parts and the plain loop's" \
	jq_is "$json" '.[] | select(.check=="reduced") | .ok and .reduce_is_sum_of_gather and .equals_loop' true
check "one rank gives the same total, and two ranks split the CPU time" \
	jq_is "$json" '[.[] | select(.check=="one-rank" or .check=="work-split") | .ok] | join(",")' "true,true"
check "the speedup is reported, as a measurement" \
	jq_is "$json" '[.[] | select(.event=="speedup") | .speedup > 0] | join(",")' true
check "nothing left" mpi_clean "$main" || mpi_why "$main"

check "--ranks 1 is refused: a ring needs two" rejects mpi-ring --ranks 1
check "--ranks 17 is refused: more than 16" rejects mpi-ring --ranks 17
check "--laps 0 is refused" rejects mpi-ring --laps 0
finish
