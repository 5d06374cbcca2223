#!/bin/sh
# ipcbench.sh - proclab-ipcbench measures every mechanism (or says why it
# skipped one), proves every message arrived intact, pins both ends where
# the kernel says they are, validates its options, and leaves nothing
# behind however it ends. It never asserts on speed: the figures are
# measurements, and this machine is busy.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 61

mechanisms="pipe socketpair unix tcp mq shm-sem shm-spin"
msgsize_max=$(cat /proc/sys/fs/mqueue/msgsize_max 2>/dev/null || echo 8192)
# The demos of this test make their temporary names here, and nowhere else.
TMPDIR="$WORK/tmp"
mkdir "$TMPDIR"
export TMPDIR
# Anything of demo PID $1 left in $TMPDIR, /dev/shm or /dev/mqueue.
left_of() {
	[ -z "$(ls -A "$TMPDIR")" ] && ! ipc_objects | grep -q "ipcbench-\(down-\|up-\)\?$1-"
}

# --- One run in JSON, and what its events must say. ---
run_demo ipcbench --json --speed 100
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "five steps, in the lesson's order" \
	steps_are "$json" "unpinned,pinned,memcpy,table,verdict"

# Every mechanism, in both modes, with four cells each: measured or skipped with a reason.
for mode in false true; do
	check "pinned=$mode: cell events for all seven mechanisms" \
		jq_is "$json" '[.[] | select(.event=="cell" and .pinned=='$mode') | .mechanism] |
			unique | length' 7
	check "pinned=$mode: four cells each (three sizes and a round trip), measured or skipped with a reason" \
		jq_is "$json" '[.[] | select(.event=="cell" and .pinned=='$mode')] | group_by(.mechanism) |
			map("\(.[0].mechanism):\([.[] | "\(.metric)/\(.size)"] | join(",")):\(
				all(.[]; .skipped == false or (.reason | length > 0)))") | sort | join(" ")' \
		"$(for m in $mechanisms; do echo "$m:throughput/64,throughput/4096,throughput/65536,latency/8:true"; done | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
done
check "the mechanisms come in the lesson's order" \
	jq_is "$json" '[.[] | select(.event=="mechanism" and .pinned==false) | .mechanism] | join(" ")' \
	"$mechanisms"

# The queue can carry a 64 KiB message only if fs.mqueue.msgsize_max allows it.
if [ "$msgsize_max" -lt 65536 ]; then
	check "msgsize_max $msgsize_max: mq skips 64 KiB, naming the limit, and measures the rest" \
		jq_is "$json" '[.[] | select(.event=="cell" and .mechanism=="mq") |
			"\(.size):\(.skipped):\(.reason // "" | test("msgsize_max"))"] | unique | join(" ")' \
		"4096:false:false 64:false:false 65536:true:true 8:false:false"
else
	check "msgsize_max $msgsize_max: mq measures every size" \
		jq_is "$json" '[.[] | select(.event=="cell" and .mechanism=="mq") | .skipped] | any' false
fi

check "every measured cell arrived intact: sequence and checksum" \
	jq_is "$json" '[.[] | select(.event=="cell" and .skipped==false) | .intact] |
		(length > 40) and all' true
check "every figure is a positive, finite number, and p99 >= median" \
	jq_is "$json" 'def ok: type=="number" and . > 0 and (isinfinite|not) and (isnan|not);
		[.[] | select(.event=="cell" and .skipped==false) |
			if .metric=="latency" then (.median_us|ok) and (.p99_us|ok) and .p99_us >= .median_us
				and .round_trips >= 32
			else (.mb_s|ok) and .messages >= 16 end] | all' true
check "context switches per message or trip are counted (a number >= 0) in every cell" \
	jq_is "$json" '[.[] | select(.event=="cell" and .skipped==false) |
		(.switches_per_message // .switches_per_trip) | type=="number" and . >= 0] | all' true

# The kernel's view of the two ends, as the demo read it.
check "each receiver is a process of its own, not the sender" \
	jq_is "$json" '[.[] | select(.event=="mechanism") | .receiver != .sender and
		.sender == '"$main"'] | (length == 14) and all' true
check "pinned: both ends allowed only the pinned CPU (Cpus_allowed_list) and ran there (stat field 39)" \
	jq_is "$json" '(map(select(.event=="step" and .id=="pinned"))[0].cpu) as $c |
		[.[] | select(.event=="mechanism" and .pinned) |
			.sender_cpus_allowed == "\($c)" and .receiver_cpus_allowed == "\($c)" and
			.sender_cpu == $c and .receiver_cpu == $c] | (length == 7) and all' true
check "unpinned: both ends allowed every CPU the demo may use" \
	jq_is "$json" '(map(select(.event=="step" and .id=="unpinned"))[0].cpus_allowed) as $a |
		[.[] | select(.event=="mechanism" and (.pinned|not)) |
			.sender_cpus_allowed == $a and .receiver_cpus_allowed == $a] | all' true
# pl_name_make's names: what, PID, start time, then 16 random digits.
owned="$main-[0-9]+-[0-9]{16}\$"
check "names carry proclab, the PID and 16 random digits, and each was gone once both ends held it" \
	jq_is "$json" '[.[] | select(.event=="mechanism" and .name != "" and .mechanism != "unix") |
		"\(.mechanism)=\(.name | test("^/proclab-ipcbench-(down-)?'"$owned"'")):\(.name_gone)"] |
		unique | join(" ")' "mq=true:true shm-sem=true:true shm-spin=true:true"
check "each pass makes new names, none guessed from the PID alone" \
	jq_is "$json" '[.[] | select(.event=="mechanism" and .mechanism=="shm-sem") | .name] |
		unique | length' 2
check "unix: the socket's name is in a private directory of \$TMPDIR, each pass its own, gone once both ends held it" \
	jq_is "$json" '[.[] | select(.event=="mechanism" and .mechanism=="unix") |
		(.name | ltrimstr("'"$TMPDIR"'/proclab-ipcbench-") | test("^[A-Za-z0-9]{6}/sock$")) and
		.name_gone] as $ok |
		[.[] | select(.event=="mechanism" and .mechanism=="unix") | .name] | unique |
		"\($ok) \(length)"' "[true,true] 2"
check "each receiver connected, and no other connection was made" \
	jq_is "$json" '[.[] | select(.event=="mechanism") | .strangers_refused] | unique | tostring' "[0]"
check "tcp used a port the kernel picked" \
	jq_is "$json" '[.[] | select(.event=="mechanism" and .mechanism=="tcp") | .port > 0] | all' true

# The ceilings.
check "ceilings: dd | dd twice, the writing dd alone and a ping-pong in each mode, memcpy twice" \
	jq_is "$json" '[.[] | select(.event=="ceiling") | .ceiling] | join(" ")' \
	"dd dd-64k dd-zero pingpong dd dd-64k dd-zero pingpong memcpy-cache memcpy-ram"
check "pipe vs dd: the ratio is the median of the three rounds' ratios, and pinned only, less dd's own filling" \
	jq_is "$json" '[.[] | select(.event=="pipe-vs-dd") |
		.rounds == 3 and .ratio_low <= .ratio and .ratio <= .ratio_high and
		.held == (.ratio >= 0.9) and
		(if .mode == "pinned" then
			(.dd_zero_mb_s <= .dd_64k_mb_s or
			((1 / .dd_net_mb_s - (1 / .dd_64k_mb_s - 1 / .dd_zero_mb_s)) | fabs) < 1e-6)
		else .dd_net_mb_s == 0 end)] | "\(length) \(all)"' "2 true"
check "pipe vs ping-pong: three rounds, and held means at most 1.2x" \
	jq_is "$json" '[.[] | select(.event=="pipe-vs-pingpong") |
		.rounds == 3 and .held == (.ratio <= 1.2) and .ratio > 0] | "\(length) \(all)"' "2 true"
check "ordering: held is the order of the medians, and it is counted round by round" \
	jq_is "$json" '[.[] | select(.event=="ordering") |
		.held == (.shm_spin_us < .shm_sem_us and .shm_spin_us < .pipe_us and
			.shm_sem_us < .unix_us and .pipe_us < .unix_us and .unix_us < .tcp_us) and
		.rounds == 3 and .rounds_held >= 0 and .rounds_held <= 3] | "\(length) \(all)"' "2 true"
check "ceilings: every dd copied its bytes and exited 0, every ping-pong came back, all figures positive" \
	jq_is "$json" '[.[] | select(.event=="ceiling") | (.ok // true) and
		((.mb_s // .median_us) > 0)] | all' true

# The verdict is reported, never checked.
check "the acceptance figures are notes with a yes/no, not checks" \
	jq_is "$json" '[.[] | select(.event=="ordering" or .event=="pipe-vs-dd" or
		.event=="pipe-vs-pingpong") | .held | type] | "\(length) \(unique)"' '6 ["boolean"]'
check "the table has a row for each mechanism and the ceilings, in each mode" \
	jq_is "$json" '[.[] | select(.event=="table-row")] | length' 16
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 10 and .failed == 0)' true
check "nothing left after a normal exit: no process, socket file, segment or queue" \
	eval 'nothing_left && left_of "$main"'

# --- A narrower run: --only and --pin. ---
run_demo ipcbench --json --speed 100 --only tcp,pipe --pin unpinned --repeats 1
check "--only tcp,pipe --pin unpinned: those two, in the lesson's order, unpinned only" \
	jq_is "$out" '([.[] | select(.event=="mechanism") | "\(.mechanism):\(.pinned)"] | join(" ")) +
		" " + ([.[] | select(.event=="step") | .id] | join(","))' \
	"pipe:false tcp:false unpinned,memcpy,table,verdict"
check "--repeats 1: each cell reports one run, and every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"cell\") | .runs] | unique | tostring" "[1]"'

# --- The kernel's view from outside: the two ends, pinned. ---
start_demo ipcbench --json --only unix --pin pinned --seconds 30
pinned_pair() {
	mine=$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$demo_pid/status" 2>/dev/null)
	case $mine in *[-,]* | "") return 1 ;; esac
	for c in $(token_children_of "$demo_pid"); do
		theirs=$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$c/status" 2>/dev/null)
		cpu=$(awk '{ sub(/.*\) /, ""); print $37 }' "/proc/$c/stat" 2>/dev/null)
		if [ "$theirs" = "$mine" ] && [ "$cpu" = "$mine" ] &&
			ls -l "/proc/$c/fd" 2>/dev/null | grep -q 'socket:'; then
			receiver=$c
			return 0
		fi
	done
	return 1
}
check "from /proc: the demo and its receiver are both allowed one CPU, the same, and the receiver holds a socket" \
	poll 30 pinned_pair
check "from \$TMPDIR: the socket's name and its directory are already gone while the two still talk" \
	eval '[ -z "$(ls -A "$TMPDIR")" ] && [ -d "/proc/$receiver" ]'
kill -s KILL "$demo_pid"
wait_demo
check "SIGKILL of the demo: it dies of it, the receiver within a second, nothing left" \
	eval '[ "$rc" -eq 137 ] && poll 1 nothing_left && [ ! -d "/proc/$receiver" ] && left_of "$demo_pid"'

# --- The kernel's view from outside: idle receivers sleep. ---
# Every receiver lives through the whole pass, waiting on its report
# channel between jobs. A spinning receiver that did not sleep there would
# be running (R) while the pipe is measured, two CPUs being free.
start_demo ipcbench --json --only pipe,shm-spin --pin unpinned --seconds 30
receivers() {
	set -- $(for c in $(token_children_of "$demo_pid"); do
		ls -l "/proc/$c/fd" 2>/dev/null | grep -q 'socket:' && echo "$c"; done)
	[ $# -eq 2 ] && pair="$1 $2"
}
check "from /proc: both receivers, the pipe's and the spin's, are alive at once" poll 30 receivers
both_running=0 samples=0
while [ "$samples" -lt 300 ]; do
	states=$(for c in $pair; do awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$c/stat" 2>/dev/null; done | tr -d '\n')
	[ "$states" = RR ] && both_running=$((both_running + 1))
	samples=$((samples + 1))
done
check "from /proc: the two are seldom running at once ($both_running of $samples samples)" \
	[ "$both_running" -le 30 ]
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while both wait: the demo dies of it, both receivers within a second, nothing left" \
	eval '[ "$rc" -gt 128 ] && poll 1 nothing_left && left_of "$demo_pid"'

# --- Ctrl-C and SIGTERM, with shared memory, queues and a socket in use. ---
for what in INT:shm-sem,mq TERM:unix,shm-spin INT:tcp; do
	sig=${what%%:*}
	start_demo ipcbench --only "${what#*:}" --seconds 30
	receiving() { has_children "$demo_pid" 1; }
	poll 30 receiving || diag "no receiver seen within 30 s: $(ps -o pid,ppid,stat,etime,args --ppid "$demo_pid")"
	kill -s "$sig" "$demo_pid"
	wait_demo
	check "SIG$sig during ${what#*:}: the demo dies of it, the receiver within a second, nothing left" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left && left_of "$demo_pid"' ||
		{ diag "status $rc; $(tail -n 3 "$err")"; why_left; ipc_objects; ls -A "$TMPDIR"; }
done

# --- A receiver killed from outside: the sender notices, says so, and ends. ---
# A pipe reports it at once (EPIPE); a ring in shared memory cannot, so the
# sender's waits time out each second and ask whether the receiver lives.
for m in pipe shm-sem; do
	start_demo ipcbench --only "$m" --pin pinned --seconds 30
	receiving() { [ -n "$(token_children_of "$demo_pid")" ]; }
	poll 30 receiving
	kill -s KILL $(token_children_of "$demo_pid")
	wait_demo
	check "$m: its receiver killed, the demo exits 1 with one error line, nothing left" \
		eval '[ "$rc" -eq 1 ] && grep -q "^proclab-ipcbench: " "$err" && poll 1 nothing_left &&
			left_of "$demo_pid"'
done

# --- The receiver's connection, made to go wrong. ---
# tests/fault-shim.c, preloaded, kills the receiver as it connects, or
# has a stranger connect first; no test could time either from outside.
# A build without shared libraries (the sanitizer builds) has no shim.
shim=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$top_builddir/tests/fault-shim.la" 2>/dev/null)
shim=${shim:+$top_builddir/tests/.libs/$shim}
ended() { [ ! -d "/proc/$demo_pid" ] || grep -q '^State:.*Z' "/proc/$demo_pid/status" 2>/dev/null; }
for m in unix tcp; do
	what="$m: the receiver dies as it connects: the demo ends within 20 s, status 1, saying so; nothing left, \$TMPDIR empty"
	if [ ! -f "${shim:-/nonexistent}" ]; then
		skip "$what" "no shared fault-shim (a static build)"
		continue
	fi
	export FAULT_SHIM=receiver-dies LD_PRELOAD="$shim"
	start_demo ipcbench --only "$m" --pin unpinned --speed 100 --repeats 1
	unset FAULT_SHIM LD_PRELOAD
	poll 20 ended || { diag "still running after 20 s: killed"; kill -s KILL "$demo_pid"; }
	wait_demo
	check "$what" \
		eval '[ "$rc" -eq 1 ] && [ "$(wc -l <"$err")" -eq 1 ] &&
			grep -q "^proclab-ipcbench: the receiver [0-9]* ended before it connected to .*: killed by SIGKILL" "$err" &&
			poll 1 nothing_left && left_of "$demo_pid"' ||
		diag "status $rc; $(cat "$err")" "left in \$TMPDIR: $(ls -A "$TMPDIR")"
done
report="$WORK/dir-mode"
strangers_refused() {
	[ "$rc" -eq 0 ] &&
		jq_is "$out" '[.[] | select(.event=="stranger") |
			"\(.mechanism):\((.peer_pid // .peer_port) != .receiver)"] | join(" ")' "unix:true tcp:true" &&
		jq_is "$out" '[.[] | select(.event=="mechanism") | .strangers_refused] | tostring' "[1,1]"
}
what="someone else connects first: refused, the receiver's own connection taken, and the run ends well"
if [ -f "${shim:-/nonexistent}" ]; then
	# umask 0: the socket's directory is private whatever the caller's umask.
	saved_umask=$(umask)
	umask 0
	export FAULT_SHIM=stranger-first FAULT_SHIM_REPORT="$report" LD_PRELOAD="$shim"
	run_demo ipcbench --json --only unix,tcp --pin unpinned --speed 100 --repeats 1
	unset FAULT_SHIM FAULT_SHIM_REPORT LD_PRELOAD
	umask "$saved_umask"
	first=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$out")
	check "$what" strangers_refused || diag "status $rc; $(cat "$err")"
	check "under umask 0, the socket's directory was mode 700 (mkdtemp)" \
		[ "$(cat "$report" 2>/dev/null)" = 700 ]
	check "nothing left: no process, \$TMPDIR empty" eval 'nothing_left && left_of "$first"'
else
	skip "$what" "no shared fault-shim (a static build)"
	skip "under umask 0, the socket's directory was mode 700 (mkdtemp)" "no shared fault-shim"
	skip "nothing left: no process, \$TMPDIR empty" "no shared fault-shim"
fi

# --- A name still there after its unlink: the probe must not keep it. ---
# With names-stay the shim makes the first unlink of each name do nothing,
# and notes each open that then finds the name. The segment's probe is the
# last of the three: once it is noted, every probe has been made.
what="names still there after their unlink: the probes that found them closed what they opened"
report="$WORK/names"
if [ -f "${shim:-/nonexistent}" ]; then
	export FAULT_SHIM=names-stay FAULT_SHIM_REPORT="$report" LD_PRELOAD="$shim"
	start_demo ipcbench --json --only mq,shm-sem --pin unpinned --seconds 30
	unset FAULT_SHIM FAULT_SHIM_REPORT LD_PRELOAD
	segment_probed() { grep -q "^probe /proclab-ipcbench-$demo_pid-[0-9]*-[0-9]*\$" "$report" 2>/dev/null; }
	# The demo's descriptors on its names: the queues' two ends, no more.
	held() { ls -l "/proc/$demo_pid/fd" 2>/dev/null | grep -c "proclab-ipcbench-\(down-\|up-\)\?$demo_pid-"; }
	only_queues_held() { [ "$(held)" -eq 2 ]; }
	check "$what" eval 'poll 30 segment_probed && poll 10 only_queues_held' ||
		diag "probes: $(cat "$report" 2>/dev/null | tr '\n' ' ')" \
			"held: $(ls -l "/proc/$demo_pid/fd" | grep -o "[^ ]*proclab-ipcbench-.*" | tr '\n' ' ')"
	kill -s TERM "$demo_pid"
	wait_demo
	check "SIGTERM: the names still there are removed as the demo ends; nothing left" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left && left_of "$demo_pid"' ||
		{ diag "status $rc"; ipc_objects; }
	# A failed run must not leave its names to the next test.
	rm -f "/dev/shm/proclab-ipcbench-$demo_pid-"* "/dev/mqueue/proclab-ipcbench-down-$demo_pid-"* \
		"/dev/mqueue/proclab-ipcbench-up-$demo_pid-"*
else
	skip "$what" "no shared fault-shim (a static build)"
	skip "SIGTERM: the names still there are removed as the demo ends; nothing left" "no shared fault-shim"
fi

# --- Options. ---
check "--seconds 0.1 is refused" rejects ipcbench --seconds 0.1
check "--seconds 601 is refused" rejects ipcbench --seconds 601
check "--seconds abc is refused" rejects ipcbench -s abc
check "--repeats 0 is refused" rejects ipcbench --repeats 0
check "--repeats 16 is refused" rejects ipcbench --repeats 16
check "--pin sideways is refused" rejects ipcbench --pin sideways
check "--only with an unknown name is refused" rejects ipcbench --only pipe,carrier-pigeon
check "--only with an empty item is refused" rejects ipcbench --only pipe,,tcp
check "--only ending in a comma is refused" rejects ipcbench --only pipe,

checks=$($JQ -rs 'map(select(.event=="summary"))[0].checks' "$json")
run_demo ipcbench --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-ipcbench: %s of %s checks held' "$checks" "$checks")" ]
run_demo ipcbench --speed 100 --only pipe
check "prose into a pipe has no colour codes, and prints the table" \
	eval '! grep -q "$(printf "\033")" "$out" && grep -q "^   pipe  *[0-9.]* " "$out"'
check "no process of this test is left" nothing_left

finish
