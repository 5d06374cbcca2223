#!/bin/sh
# pipe.sh - proclab-pipe proves its claims, in its events and in /proc from
# outside the demo, validates --pipe-size against the kernel's limit, and
# leaves nothing behind however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 54

page=$(getconf PAGESIZE)
max=$(cat /proc/sys/fs/pipe-max-size)
cap=$((16 * page))    # pipe(7): the default capacity is 16 pages
# What F_SETPIPE_SZ gives for $1 bytes: a power of two pages.
rounded() { r=$page; while [ "$r" -lt "$1" ]; do r=$((r * 2)); done; echo "$r"; }
big=$(rounded 100000)

# --- One run in JSON, and what its events must say. ---
run_demo pipe --json --speed 100
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "seven steps, in the lesson's order" \
	steps_are "$json" "one-way,eof,capacity,atomic-writes,reader-gone,two-way,pipeline"

# Step 1: one way.
check "before any write, the reader slept (S) in pipe_read" \
	jq_is "$json" 'map(select(.event=="kernel-view"))[0] |
		.state == "S" and (.wchan | test("pipe_read"))' true
check "one pipe inode: the parent's end write-only, the child's read-only, no write end in the child" \
	jq_is "$json" 'map(select(.event=="ends"))[0] | .parent_kind == "pipe" and
		.parent_inode == .child_inode and .parent_mode == "write-only" and
		.child_mode == "read-only" and .child_write_ends == 0' true
check "the child, in its own process, read exactly the bytes written, then EOF" \
	jq_is "$json" '(map(select(.event=="wrote"))[0]) as $w |
		(map(select(.event=="kernel-view"))[0].child) as $c |
		map(select(.event=="child-read"))[0] |
		.pid == $c and .bytes == $w.bytes and .checksum == $w.checksum and .eof' true
check "write() on the read end failed with EBADF" \
	jq_is "$json" 'map(select(.check=="read-end-refuses-writes"))[0].errno' EBADF

# Step 2: EOF needs every write end closed.
check "write ends held, per /proc: 2 after fork, 1 after writer 1, 0 after writer 2" \
	jq_is "$json" '[.[] | select(.event=="write-ends") | .count] | join(" ")' "2 1 0"
check "with writer 2 holding its end, the reader still slept in pipe_read" \
	jq_is "$json" 'map(select(.event=="reader-blocked"))[0] |
		.state == "S" and (.wchan | test("pipe_read"))' true
check "the reader got all 6 lines and EOF only after the last write end closed" \
	jq_is "$json" '(map(select(.event=="reader-eof"))[0].lines) as $l |
		map(select(.check=="eof-after-last-close"))[0] |
		.ok and $l == 6 and .ms_after_last_close >= 0' true

# Step 3: capacity and blocking.
check "the default capacity is 16 pages ($cap bytes)" \
	jq_is "$json" 'map(select(.event=="pipe-size"))[0] | "\(.capacity) \(.capacity / .page_size)"' \
	"$cap 16"
check "O_NONBLOCK writes filled exactly the capacity, then EAGAIN" \
	jq_is "$json" 'map(select(.event=="nonblocking-fill"))[0] |
		"\(.bytes) \(.queued) \(.error)"' "$cap $cap EAGAIN"
check "the blocked writer slept (S) in pipe_write with $cap bytes queued and written" \
	jq_is "$json" 'map(select(.event=="blocked-writer"))[0] |
		"\(.state) \(.wchan | test("pipe_write")) \(.queued) \(.wchar)"' "S true $cap $cap"
check "after the parent read, every byte arrived" \
	jq_is "$json" 'map(select(.event=="drained"))[0] | .bytes == .expected and
		.bytes == '"$((cap + 4 * page))" true

# Step 4: PIPE_BUF. 4 writers, 32 records each, on one full pipe.
check "both times, all 4 writers slept in write() with the pipe full ($cap bytes)" \
	jq_is "$json" '[.[] | select(.event=="writers-asleep") | "\(.asleep):\(.queued):\(.capacity)"]
		| join(" ")' "4:$cap:$cap 4:$cap:$cap"
check "records of PIPE_BUF bytes: all 128 arrived, none torn, though the writers took turns" \
	jq_is "$json" 'map(select(.event=="records" and .record_size==4096))[0] |
		.bytes == 128 * 4096 and .torn == 0 and .foreign == 0 and .runs > 4' true
big_torn() {
	jq_is "$json" 'map(select(.event=="records" and .record_size==65536))[0] |
		.bytes == 128 * 65536 and .foreign == 0 and .torn > 0' true ||
		return 1
	diag "records of 64 KiB torn: $($JQ -rs 'map(select(.event=="records" and .record_size==65536))[0].torn' "$json") of 128"
}
check "records of 64 KiB: all bytes arrived, and some records were torn" big_torn

# Step 5: no reader.
check "with no read end left, the writer was killed by SIGPIPE (13)" \
	jq_is "$json" '([.[] | select(.event=="no-reader") | .read_ends] | join(" ")) + " " +
		(map(select(.event=="writer-status"))[0].signal | tostring)' "0 0 13"
check "with SIGPIPE ignored, write() failed with EPIPE and the writer exited 0" \
	jq_is "$json" 'map(select(.event=="epipe"))[0] | "\(.error) \(.status)"' \
	"EPIPE exited with status 0"

# Step 6: two ways.
check "two pipes: two inodes, one read-only and one write-only, 1000 right answers" \
	jq_is "$json" '(map(select(.event=="pipe-ends"))[0] | .in_inode != .out_inode and
		.in_mode == "read-only" and .out_mode == "write-only") and
		(map(select(.event=="round-trips" and .kind=="two pipes"))[0].right == 1000)' true
check "a socketpair: one read-write socket, 1000 right answers" \
	jq_is "$json" '(map(select(.event=="socket-end"))[0] | .kind == "socket" and
		.mode == "read-write") and
		(map(select(.event=="round-trips" and .kind=="a socketpair"))[0].right == 1000)' true

# Step 7: ls | wc -l.
check "wc: its exe is wc, its fd 0 the pipe's read end, asleep in pipe_read" \
	jq_is "$json" 'map(select(.event=="wc-waiting"))[0] | (.exe | test("/wc$")) and
		.stdin_kind == "pipe" and .stdin_inode == .link_inode and (.wchan | test("pipe_read"))' true
check "the pipeline printed the count readdir() gives, both exited 0" \
	jq_is "$json" 'map(select(.event=="pipeline"))[0] |
		.printed == .direct and .ls_status == 0 and .wc_status == 0' true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 18 and .failed == 0)' true
check "nothing left after a normal exit" nothing_left

# --- --forget-close: the classic hang, detected and ended. ---
run_demo pipe --json --speed 100 --forget-close
check "--forget-close: status 0, every check held (19)" \
	jq_is "$out" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 19 and .failed == 0)' true
check "--forget-close: the parent holds a write end all along: 3, 2, then 1 holder" \
	jq_is "$out" '(map(select(.event=="step"))[0].pid) as $main |
		[.[] | select(.event=="write-ends") | "\(.count):\(.holders | any(. == $main))"]
		| join(" ")' "3:true 2:true 1:true"
check "--forget-close: the hang: reader in pipe_read past the timeout, held by the parent" \
	jq_is "$out" '(map(select(.event=="step"))[0].pid) as $main |
		map(select(.event=="hang-detected"))[0] | .state == "S" and
		(.wchan | test("pipe_read")) and .held_by == $main and .watched_ms >= 100' true
check "--forget-close: closing the forgotten end gave the reader its EOF" \
	jq_is "$out" '[.[] | select(.event=="closed-forgotten-end" or .event=="reader-eof") | .event]
		| join(" ")' "closed-forgotten-end reader-eof"

# --- --pipe-size: the kernel rounds up to a power of two pages. ---
run_demo pipe --json --speed 100 --pipe-size 100000
check "--pipe-size 100000 gives $big, and the pipe fills and blocks there" \
	jq_is "$out" '[(map(select(.event=="pipe-size"))[0].capacity),
		(map(select(.event=="nonblocking-fill"))[0].bytes),
		(map(select(.event=="blocked-writer"))[0].queued)] | map(tostring) | join(" ")' \
	"$big $big $big"
check "--pipe-size 100000: every check held" [ "$rc" -eq 0 ]
run_demo pipe --json --speed 100 --pipe-size 1
check "--pipe-size 1 gives one page, and every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"pipe-size\"))[0].capacity" "$page"'
run_demo pipe --json --speed 100 --pipe-size "$max"
check "--pipe-size $max (pipe-max-size) is accepted and given" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"blocked-writer\"))[0].queued" "$max"'
check "--pipe-size above pipe-max-size is refused" rejects pipe --pipe-size $((max + 1))
check "--pipe-size 0 is refused" rejects pipe --pipe-size 0
check "--pipe-size -4096 is refused" rejects pipe --pipe-size -4096
check "--pipe-size abc is refused" rejects pipe -s abc
check "--pipe-size overflow is refused" rejects pipe --pipe-size=99999999999999999999
check "--pipe-size without a value is refused" rejects pipe --pipe-size
check "--forget-close takes no value" rejects pipe --forget-close=yes

# --- --throughput: three write sizes and dd | dd. ---
run_demo pipe --json --speed 100 --throughput
check "--throughput: an eighth step, every check held" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "[.[] | select(.event==\"step\") | .id] | last" throughput'
check "--throughput: MB/s at 64, 4096 and 65536 bytes, all above 0" \
	jq_is "$out" '[.[] | select(.event=="throughput" and .mb_s > 0) | .write_size] | join(" ")' \
	"64 4096 65536"
check "--throughput: dd | dd measured next to it" \
	jq_is "$out" 'map(select(.event=="side-by-side"))[0] | .pipe_mb_s > 0 and .dd_mb_s > 0 and
		.dd_64k_mb_s > 0' true

# --- Prose. ---
run_demo pipe --quiet --speed 100
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-pipe: 18 of 18 checks held')" ]
run_demo pipe --speed 100
check "prose into a pipe has no colour codes" eval '! grep -q "$(printf "\033")" "$out"'

# --- The kernel's view from outside the demo. ---
# A child of the demo asleep in WCHAN (a substring), found in /proc.
child_in() {
	for p in $(token_children_of "$demo_pid"); do
		case $(cat "/proc/$p/wchan" 2>/dev/null) in
		*"$1"*) seen=$p; return 0 ;;
		esac
	done
	return 1
}
writer_blocked() { child_in pipe_write; }
# (The background demo may not have created $out yet: no complaint then.)
has_event() { grep -qs "\"event\":\"$1\"" "$out"; }

# The full pipe of step 3, then Ctrl-C, SIGTERM or SIGKILL.
for sig in INT TERM KILL; do
	start_demo pipe --json --speed 1
	seen=
	poll 30 writer_blocked
	writer=$seen
	state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$writer/stat" 2>/dev/null)
	wchar=$(awk '/^wchar:/ { print $2 }' "/proc/$writer/io" 2>/dev/null)
	poll 30 has_event blocked-writer
	kill -s "$sig" "$demo_pid"
	wait_demo
	if [ "$sig" = INT ]; then
		check "outside: a child of the demo sleeps (S) in pipe_write, with wchar $cap in /proc/PID/io" \
			eval '[ -n "$writer" ] && [ "$state" = S ] && [ "$wchar" = "$cap" ]'
		check "outside: it is the writer the demo reported" \
			jq_is "$out" 'map(select(.event=="blocked-writer"))[0].writer' "$writer"
	fi
	check "SIG$sig with the writer blocked: the demo dies, its children within a second" \
		eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'
done

# Step 4 from outside: the four writers asleep in pipe_write at once.
writers_in_pipe_write() {
	n=0
	for p in $(token_children_of "$demo_pid"); do
		case $(cat "/proc/$p/wchan" 2>/dev/null) in *pipe_write*) n=$((n + 1)) ;; esac
	done
	[ "$n" -eq 4 ]
}
start_demo pipe --json --speed 1
poll 30 has_event writers-asleep
check "outside: in step 4, four children of the demo sleep in pipe_write at once" \
	poll 5 writers_in_pipe_write
kill -s TERM "$demo_pid"
wait_demo

# The forgotten write end, seen from outside while the reader hangs.
start_demo pipe --json --speed 1 --forget-close
poll 30 has_event watching
seen=
poll 10 child_in pipe_read
reader=$seen
# The demo holds a write-only descriptor of the very pipe the reader reads.
holds_write_end() {
	for fd in /proc/"$reader"/fd/*; do
		link=$(readlink "$fd" 2>/dev/null) || continue
		case $link in pipe:*) ;; *) continue ;; esac
		for mine in /proc/"$demo_pid"/fd/*; do
			[ "$(readlink "$mine" 2>/dev/null)" = "$link" ] || continue
			flags=$(awk '/^flags:/ { print $2 }' "/proc/$demo_pid/fdinfo/${mine##*/}" 2>/dev/null)
			[ $((0$flags & 3)) -eq 1 ] && return 0
		done
	done
	return 1
}
check "outside: while the reader hangs, the demo holds a write end of its pipe" holds_write_end
wait_demo
check "outside: the hung reader is the one the demo detected, and the run ends well" \
	eval '[ "$rc" -eq 0 ] && jq_is "$out" "map(select(.event==\"hang-detected\"))[0].reader" "$reader"'

# Ctrl-C while dd runs: exec'd children are tracked and killed too.
dd_running() {
	for p in $(token_children_of "$demo_pid"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = dd ] && return 0
	done
	return 1
}
start_demo pipe --speed 100 --throughput
poll 30 dd_running
kill -s INT "$demo_pid"
wait_demo
check "SIGINT while dd | dd runs: the demo dies, dd too, within a second" \
	eval '[ "$rc" -gt 128 ] && poll 1 nothing_left'

finish
