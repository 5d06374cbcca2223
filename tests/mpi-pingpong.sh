#!/bin/sh
# mpi-pingpong.sh - proclab-mpi-pingpong measures both transports, proves
# each from /proc, checks every message, sets ipcbench's figures beside
# them, rejects bad input, and leaves nothing behind however it ends:
# Ctrl-C, SIGKILL of the demo, SIGKILL of mpirun. Never asserts on speed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/mpi-lib.sh"
need_jq
need_mpi mpi-pingpong
plan 30

run_demo mpi-pingpong --json --seconds 1
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" is_event_stream "$json"
check "no event gives a name twice" keys_unique "$json"
check "four steps: shm, tcp, ipcbench, table" steps_are "$json" "shm,tcp,ipcbench,table"
check "the ranks are mpirun's two children, both times" \
	jq_is "$json" '[.[] | select(.check=="ranks-are-children") | .ok] | join(",")' "true,true"
check "shm: each rank maps two segments, and no TCP joins them" \
	jq_is "$json" '[.[] | select(.check=="transport" and .transport=="shm") |
		.ok and .maps0 >= 2 and .maps1 >= 2 and (.tcp | not)] | join(",")' true
check "tcp: a TCP connection joins them, and no segment is mapped" \
	jq_is "$json" '[.[] | select(.check=="transport" and .transport=="tcp") |
		.ok and .maps0 == 0 and .maps1 == 0 and .tcp] | join(",")' true
check "five cells a transport, each with a positive figure" \
	jq_is "$json" '[.[] | select(.event=="cell") | select((.median_us // .mb_s) > 0) |
		"\(.transport)/\(.metric)/\(.size)"] | join(" ")' \
	"shm/latency/8 shm/throughput/64 shm/throughput/4096 shm/throughput/65536 shm/throughput/1048576 tcp/latency/8 tcp/throughput/64 tcp/throughput/4096 tcp/throughput/65536 tcp/throughput/1048576"
check "no message was damaged, and mpirun exited 0 both times" \
	jq_is "$json" '[.[] | select(.check=="intact" or .check=="job-ended") | .ok] | all' true
check "ipcbench gave eight figures, pipe and unix" \
	jq_is "$json" '.[] | select(.event=="ipcbench") | .cells' 8
check "the table has ratios to the pipe for four sizes, and MPI figures for 1 MiB" \
	jq_is "$json" '[.[] | select(.event=="ratio") | "\(.size):\(.shm_to_pipe != null):\(.mpi_tcp > 0)"] | join(" ")' \
	"8:true:true 64:true:true 4096:true:true 65536:true:true 1048576:false:true"
if [ "$(id -u)" -eq 0 ]; then
	check "as root, it says it let Open MPI run as root" \
		jq_is "$json" '[.[] | select(.event=="as-root")] | length' 1
else
	check "not root: no word about root" jq_is "$json" '[.[] | select(.event=="as-root")] | length' 0
fi
check "nothing left: no process, no /dev/shm directory, no session directory" mpi_clean "$main" ||
	mpi_why "$main"

# --- Bad input: one line, exit 2. ---
check "--transport bogus is rejected" rejects mpi-pingpong --transport bogus
check "--seconds 0 is rejected" rejects mpi-pingpong --seconds 0
PROCLAB_MPIRUN="$WORK/no-such-mpirun" run_demo mpi-pingpong --quiet
check "no mpirun: one line naming the package, exit 2" \
	sh -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "apt-get install openmpi-bin" "$2"' \
	sh "$rc" "$err"
OMPI_COMM_WORLD_RANK=0 run_demo mpi-pingpong
check "started by someone else's mpirun: one line, exit 2" \
	sh -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ]' sh "$rc" "$err"

# --- Ctrl-C, SIGKILL of the demo, SIGKILL of mpirun: nothing left. ---
# all_gone PID...: each of ours has exited (a zombie has no environment
# left, and a PID used again has not our token).
all_gone() {
	for p; do
		grep -qzxF "PROCLAB_TEST_TOKEN=$TOKEN" "/proc/$p/environ" 2>/dev/null && return 1
	done
	return 0
}

# interrupt HOW: start a long run, wait for its two ranks, end it HOW.
# Each case has a $TMPDIR of its own, and judges only its own leftovers.
interrupt() {
	mpi_tmpdir "$1"
	start_demo mpi-pingpong --seconds 60
	poll 30 has_ranks "$demo_pid" 2 || diag "no ranks came"
	case $1 in
	int) kill -s INT "$demo_pid" ;;
	mpirun-int) kill -s INT "$(mpirun_of "$demo_pid")" ;;
	kill) kill -s KILL "$demo_pid" ;;
	kill-both) kill -s KILL "$demo_pid" "$(mpirun_of "$demo_pid")" ;;
	mpirun)
		m=$(mpirun_of "$demo_pid")
		r=$(ranks_of "$m")
		kill -s KILL "$m"
		;;
	esac
	wait_demo
}
interrupt int
check "Ctrl-C: the demo dies of SIGINT" [ "$rc" -eq 130 ]
check "Ctrl-C: no rank, no mpirun, no /dev/shm or session directory left" \
	poll 10 mpi_clean "$demo_pid" || mpi_why "$demo_pid"
interrupt kill
check "SIGKILL of the demo: no rank, no mpirun, no /dev/shm or session directory left" \
	poll 15 mpi_clean "$demo_pid" || mpi_why "$demo_pid"
# The demo and mpirun killed together (a kill of every process): no code
# of either runs, and mpirun's session directory, which it would have
# removed, is left. It is in the demo's directory in /dev/shm, which the
# guardian removes once it stops changing (lib/pl_cleanup.c).
interrupt kill-both
check "SIGKILL of the demo and mpirun at once: no rank, no /dev/shm or session directory left" \
	poll 15 mpi_clean "$demo_pid" || mpi_why "$demo_pid"
interrupt mpirun
check "SIGKILL of mpirun: the demo fails its checks and says so" [ "$rc" -eq 1 ] ||
	diag "status $rc"
# The ranks are orphaned by mpirun's death; the demo is their subreaper and
# waits for them before it sweeps what they wrote: they are gone, not
# dying, when it exits.
check "SIGKILL of mpirun: every rank was gone before the demo exited" all_gone $r ||
	why_left
check "SIGKILL of mpirun: no rank, no /dev/shm or session directory left" \
	poll 10 mpi_clean "$demo_pid" || mpi_why "$demo_pid"
# mpirun and its ranks killed together (the OOM killer, a kill of the
# group), gone before the demo looks: its next word to rank 0 goes into a
# pipe nobody reads, which must give EPIPE, not a SIGPIPE that kills the
# demo (status 141). On a loaded machine the demo is that late by itself;
# here it is stopped (SIGSTOP) while they die, before the ranks say hello.
mpi_tmpdir job
start_demo mpi-pingpong --seconds 60
poll 30 has_ranks "$demo_pid" 0 || diag "no mpirun came" # mpirun, 0 ranks or more
kill -s STOP "$demo_pid" # so that they are surely gone when it runs on
m=$(mpirun_of "$demo_pid")
r=$(ranks_of "$m")
kill -s KILL "$m" $r
poll 10 all_gone "$m" $r || diag "mpirun or a rank outlived SIGKILL"
kill -s CONT "$demo_pid"
wait_demo
check "SIGKILL of mpirun and its ranks at once: the demo fails its checks and says so" \
	[ "$rc" -eq 1 ] || diag "status $rc"
check "SIGKILL of mpirun and its ranks at once: nothing left" poll 10 mpi_clean "$demo_pid" ||
	mpi_why "$demo_pid"
interrupt mpirun-int
check "SIGINT to mpirun alone: the demo fails its checks and says so" [ "$rc" -eq 1 ]
check "SIGINT to mpirun alone: nothing left" poll 10 mpi_clean "$demo_pid" || mpi_why "$demo_pid"

# A terminal's Ctrl-C goes to the whole foreground process group: the
# demo, mpirun and the ranks at once. setsid gives the demo a group of its
# own (it execs the demo: a background job is no group leader).
mpi_tmpdir group
env PROCLAB_TEST_TOKEN="$TOKEN" setsid "$(demo_bin mpi-pingpong)" --seconds 60 \
	>"$WORK/out.pg" 2>&1 </dev/null &
demo_pid=$!
poll 30 has_ranks "$demo_pid" 2 || diag "no ranks came"
kill -s INT -- "-$demo_pid"
wait "$demo_pid"
rc=$?
check "Ctrl-C to the process group: the demo dies of SIGINT" [ "$rc" -eq 130 ]
check "Ctrl-C to the process group: nothing left" poll 10 mpi_clean "$demo_pid" ||
	mpi_why "$demo_pid"
finish
