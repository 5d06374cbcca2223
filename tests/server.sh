#!/bin/sh
# server.sh - proclab-server proves its claims, in its events, in
# /proc/net/unix and in the server's /proc/PID/fd; validates its options;
# and leaves no process and no socket file behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 46

# The demo puts its socket in a directory of its own in $TMPDIR: give it
# one of ours, to see that nothing is left in it.
TMPDIR="$WORK/tmp"
mkdir "$TMPDIR"
export TMPDIR
# The socket of the demo with PID $1: $TMPDIR/proclab-server-PID-START-RANDOM/
# server.sock (lib/pl_name.h).
sock() {
	d=$(ls "$TMPDIR" 2>/dev/null | grep "^proclab-server-$1-[0-9][0-9]*-[0-9]\{16\}\$")
	echo "$TMPDIR/${d:-none}/server.sock"
}
no_socket_file() { [ -z "$(ls -A "$TMPDIR")" ] || { diag "left: $(ls -A "$TMPDIR")"; return 1; }; }
# event NAME [PHASE]: the first event called NAME (of that phase), as jq.
event() { echo "(map(select(.event==\"$1\" and (\"${2:-}\" == \"\" or .phase == \"${2:-}\")))[0])"; }

# --- One run in JSON, and what its events must say. ---
run_demo server --json --speed 100 --clients 3 --ops 50
json=$out
main=$($JQ -rs 'map(select(.event=="step"))[0].pid' "$json")
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "six steps, in the lesson's order" \
	steps_are "$json" "server-starts,concurrent-clients,client-dies,cost-per-op,tcp-loopback,server-stops"

# Step 1: the server and its socket.
check "the socket is in a directory in \$TMPDIR named after proclab, the demo's PID and start, and 16 random digits" \
	jq_is "$json" "$(event step).path |
		test(\"^$TMPDIR/proclab-server-$main-[0-9]+-[0-9]{16}/server.sock\$\")" true
check "it was a socket file, mode 0600, in a directory of mode 0700" \
	jq_is "$json" "$(event socket-file) | \"\(.is_socket) \(.mode) \(.dir_mode)\"" "true 0600 0700"
check "/proc/net/unix listed one listener at the path, held by the server (not the demo)" \
	jq_is "$json" "$(event listening) | .named_sockets == 1 and .in_server_fds and
		.server != $main and .state == \"S\"" true

# Step 2: concurrent clients, over the Unix socket.
check "the server held the listener and 5 connections (the demo's and 3 clients') at once" \
	jq_is "$json" "$(event connections) | \"\(.held) \(.expected) \(.listener)\"" "5 5 true"
check "3 client processes, each made 150 requests" \
	jq_is "$json" '[.[] | select(.event=="client-done")][0:3] |
		"\(map(.pid) | unique | length) \(map(.requests) | unique)"' "3 [150]"
check "the list has 150 items: each client's 50, once and in order" \
	jq_is "$json" "$(event final-state unix) |
		\"\(.length) \(.per_client) \(.misplaced)\"" "150 [50,50,50] 0"
check "the map: each client's key holds 50, total holds 150, 4 keys in all" \
	jq_is "$json" "$(event final-state unix) | \"\(.map_values) \(.total) \(.keys)\"" \
	"[50,50,50] 150 4"
check "the server's checksum of the list is the expected one" \
	jq_is "$json" "$(event checksum unix).match" true

# Step 3: a client killed with half a request sent.
check "the server held 16 of the 32 bytes of the victim's request" \
	jq_is "$json" "$(event half-sent) | \"\(.held_bytes) \(.request_size)\"" "16 32"
check "the victim was killed by SIGKILL; the server counted one torn request of 16 bytes" \
	jq_is "$json" "$(event victim-killed) | \"\(.status) \(.torn) \(.torn_bytes) \(.closed)\"" \
	"killed by SIGKILL (signal 9) 1 16 3"
check "the server lived on, holding only the listener and the demo's connection" \
	jq_is "$json" "$(event server-after) | \"\(.alive) \(.held) \(.server)\"" \
	"true 2 $($JQ -rs "$(event listening).server" "$json")"
check "survivors exact; the victim's whole request applied once, its half never (total 150)" \
	jq_is "$json" "$(event final-state survivors) |
		\"\(.length) \(.per_client) \(.victim_items) \(.total) \(.misplaced)\"" \
	"151 [50,50,50] 1 150 0"
check "the checksum after the kill is the expected one" \
	jq_is "$json" "$(event checksum survivors).match" true

# Step 4: the cost of an operation.
check "both ways counted every increment (2000 timed + 200 warm-up)" \
	jq_is "$json" '[.[] | select(.event=="cost") | "\(.method):\(.value)"][0:2] | join(" ")' \
	"server, Unix socket:2200 shared memory + mutex:2200"
check "shared memory costs less per operation than a request to the server" \
	jq_is "$json" '[.[] | select(.event=="cost")] | .[1].median_us < .[0].median_us' true

# Step 5: TCP on 127.0.0.1.
check "the TCP listener is on the port the server reported, and is the server's" \
	jq_is "$json" "$(event tcp-port).port as \$p | $(event tcp-listening) |
		.port == \$p and .in_server_fds" true
check "over TCP the server held the listener and the 3 clients' connections" \
	jq_is "$json" "[.[] | select(.event==\"connections\")][1] | \"\(.transport) \(.held)\"" \
	"TCP on 127.0.0.1 4"
check "over TCP the final state is just as exact" \
	jq_is "$json" "$(event checksum tcp).match as \$m | $(event final-state tcp) |
		\"\(.length) \(.per_client) \(.map_values) \(.total) \(\$m)\"" \
	"150 [50,50,50] [50,50,50] 150 true"
check "the side-by-side line has all three costs" \
	jq_is "$json" "$(event side-by-side) | .shm_us > 0 and .unix_us > 0 and .tcp_us > 0" true

# Step 6 and the summary.
check "the server exited 0, its socket file gone and no socket at the path" \
	jq_is "$json" "$(event stopped) | \"\(.exit_status) \(.file_gone) \(.listed)\"" "0 true 0"
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 15 and .failed == 0)' true
check "nothing left after a normal exit: no process, no socket file" \
	eval 'nothing_left && no_socket_file'

run_demo server --json --speed 100 --clients 2 --ops 10 --no-tcp
check "--no-tcp: step 5 says it is skipped, and the other 12 checks hold" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"tcp-skipped\")] | length" 1 &&
		jq_is "$out" "$(event summary) | \"\(.checks) \(.failed)\"" "12 0"'

# --- The kernel's view from outside the demo. ---
# In /proc/net/unix: the inode listening at PATH (flags 00010000).
listener_inode() { awk -v p="$1" '$8 == p && $4 == "00010000" { print $7 }' /proc/net/unix; }
# Lines at PATH in /proc/net/unix: the listener and the server's end of
# each connection.
at_path() { awk -v p="$1" '$8 == p' /proc/net/unix | wc -l; }
# The child of the demo that holds socket INODE.
holder_of() {
	for c in $(token_children_of "$demo_pid"); do
		ls -l "/proc/$c/fd" 2>/dev/null | grep -q "socket:\[$1\]" && echo "$c"
	done
}
has_event() { grep -qs "\"event\":\"$1\"" "$out"; }

start_demo server --json --speed 0.5 --clients 3
listening() { [ -S "$(sock "$demo_pid")" ] && [ -n "$(listener_inode "$(sock "$demo_pid")")" ]; }
check "outside: the socket file exists and /proc/net/unix lists it listening" poll 30 listening
inode=$(listener_inode "$(sock "$demo_pid")")
server=$(holder_of "$inode")
check "outside: the listener is held by a child of the demo, not the demo" \
	eval '[ -n "$server" ] && ! ls -l "/proc/$demo_pid/fd" | grep -q "socket:\[$inode\]"'
poll 30 has_event listening
check "the demo reported the same server PID and inode as seen from outside" \
	jq_is "$out" "$(event listening) | \"\(.server) \(.inode)\"" "$server $inode"
if command -v ss >/dev/null 2>&1; then
	ss_sees() { ss -xlp 2>/dev/null | grep -F "$(sock "$demo_pid")" | grep -q "pid=$server,"; }
	check "outside: ss -xlp shows the server listening at the path" ss_sees
else
	check "outside: ss -xlp (ss not installed: skipped)" true
fi
five_at_path() { [ "$(at_path "$(sock "$demo_pid")")" -eq 5 ]; }
check "outside: while 3 clients wait, /proc/net/unix lists 5 sockets at the path" \
	poll 30 five_at_path
kill -s INT "$demo_pid"
wait_demo
check "SIGINT: the demo dies of it; no process and no socket file within a second" \
	eval '[ "$rc" -eq 130 ] && poll 1 nothing_left && no_socket_file'

# --- Nothing survives an interrupted run. ---
# interrupt SIGNAL EVENT: start the demo, wait for EVENT, send SIGNAL.
gone() { nothing_left && no_socket_file; }
interrupt() {
	start_demo server --json --speed 0.5
	poll 30 has_event "$2" || diag "never saw $2"
	kill -s "$1" "$demo_pid"
	wait_demo
	[ "$1" = KILL ] || [ "$rc" -gt 128 ] || { diag "status $rc"; return 1; }
	poll 1 gone
}
check "SIGTERM while clients wait at the start line: all gone within a second" \
	interrupt TERM connections
check "SIGINT while the victim's half request waits: all gone within a second" \
	interrupt INT half-sent
# SIGKILL cannot be caught: the server's death signal (SIGTERM, set with
# PR_SET_PDEATHSIG) lets it remove the socket file the demo cannot.
check "SIGKILL of the demo while the server listens: no process, no socket file" \
	interrupt KILL listening
check "SIGKILL of the demo while clients are connected: no process, no socket file" \
	interrupt KILL connections

# --- Options. ---
check "--clients 0 is refused" rejects server --clients 0
check "--clients 17 is refused" rejects server --clients 17
check "--clients abc is refused" rejects server -n abc
check "--ops 0 is refused" rejects server --ops 0
check "--ops 10001 is refused" rejects server --ops 10001
check "--bench-ops 99 is refused" rejects server --bench-ops 99
check "--clients x --ops over 40000 is refused" rejects server --clients 16 --ops 2501
check "--no-tcp takes no value" rejects server --no-tcp=yes
long_tmpdir() (
	TMPDIR="$WORK/$(printf '%0120d' 0)"
	export TMPDIR
	rejects server
)
check "a \$TMPDIR too long for a socket path is refused" long_tmpdir

run_demo server --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-server: 15 of 15 checks held')" ]

finish
