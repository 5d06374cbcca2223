#!/bin/sh
# exec.sh - proclab-exec proves its claims, in its events and in /proc,
# runs the command it is given as a shell would, and leaves nothing behind
# (no process, no temp file) however it ends.
. "$top_srcdir/tests/lib.sh"
need_jq
plan 41

# The demo makes its temp file in $TMPDIR: give it one of our own, so we
# can see that nothing is left in it.
TMPDIR="$WORK/tmp"
mkdir "$TMPDIR"
export TMPDIR
no_temp_file() { [ -z "$(ls -A "$TMPDIR")" ] || { diag "left: $(ls -A "$TMPDIR")"; return 1; }; }
# event NAME: the first event called NAME, as a jq expression.
event() { echo "(map(select(.event==\"$1\"))[0])"; }

# --- One run in JSON, and what its events must say. ---
run_demo exec --json --speed 100 -- echo proclab-exec-says-hello
json=$out
check "runs to the end with status 0" [ "$rc" -eq 0 ]
check "every line is a JSON object with t, pid, role and event" \
	is_event_stream "$json"
check "five steps, in the lesson's order" \
	steps_are "$json" "replace-program,kept-and-lost,exec-fails,shell-runs-command,redirect"

# Step 1: a new program in the same process.
check "before and after exec, /proc describes the PID of the child that prepared" \
	jq_is "$json" "$(event child-prepared).pid as \$c |
		[$(event before-exec).child, $(event after-exec).child] == [\$c, \$c]" true
check "the start time in /proc/PID/stat did not change: the same process" \
	jq_is "$json" "$(event before-exec).start == $(event after-exec).start" true
check "comm went from proclab-exec to cat, and exe to a file named cat" \
	jq_is "$json" "[$(event before-exec), $(event after-exec)] |
		map(.comm, (.exe | sub(\".*/(lt-)?\"; \"\"))) | join(\" \")" "proclab-exec proclab-exec cat cat"
check "the kernel names the demo as the parent, before and after" \
	jq_is "$json" "$(event step).pid as \$main |
		[$(event before-exec).ppid, $(event after-exec).ppid] == [\$main, \$main]" true

# Step 2: what exec keeps and what it loses.
check "the fd opened without FD_CLOEXEC is open after exec; the other is not" \
	jq_is "$json" "$(event child-prepared) as \$p | $(event fds) as \$f |
		(\$f.before | contains([\$p.kept_fd, \$p.closed_fd])) and
		(\$f.after | contains([\$p.kept_fd])) and (\$f.after | contains([\$p.closed_fd]) | not)" true
bit() { echo "(((.$1 / $2) | floor) % 2)"; }
check "SigCgt had SIGUSR1 (bit 10) before exec and not after" \
	jq_is "$json" "$(event signals) | \"\($(bit caught_before 512)) \($(bit caught_after 512))\"" "1 0"
check "SigIgn had SIGHUP (bit 1) before exec and after" \
	jq_is "$json" "$(event signals) | \"\($(bit ignored_before 1)) \($(bit ignored_after 1))\"" "1 1"
check "/proc/PID/maps: the old program and its buffer were mapped before, not after" \
	jq_is "$json" "$(event memory) | .old_program_before > 0 and .marker_before == 1 and
		.old_program_after == 0 and .marker_after == 0 and .new_program_after > 0" true
check "cat ended with its own status 0 when its stdin closed" \
	jq_is "$json" "$(event reaped).exit_status" 0

# Step 3: exec returns only when it fails.
check "missing program: exec returned ENOENT in the child, which exited 127" \
	jq_is "$json" '[.[] | select(.event=="exec-returned") | "\(.program):\(.errno_name)"] | join(" ")' \
	"proclab-no-such-program:ENOENT /dev/null:EACCES"
check "the statuses wait() reported: 127, then 126" \
	jq_is "$json" '[.[] | select(.event=="reaped" and .program) | .exit_status] | join(" ")' "127 126"
check "after a failed exec the child still ran proclab-exec" \
	jq_is "$json" '[.[] | select(.event=="still-old-program") | .comm] | join(" ")' \
	"proclab-exec proclab-exec"
sh_status() { sh -c "$1" 2>/dev/null; echo $?; }
check "a real shell agrees: 127 for a missing command, 126 for /dev/null" \
	[ "$(sh_status proclab-no-such-program) $(sh_status /dev/null)" = "127 126" ]

# Step 4: the command, as a shell runs it.
check "the command's output went to stderr under --json, and stdout stayed JSON" \
	eval 'grep -qx proclab-exec-says-hello "$err" && ! grep -qx proclab-exec-says-hello "$json"'
check "exec worked, and \$? is 0" \
	jq_is "$json" "$(event command-status) | \"\(.exec_worked) \(.shell_status)\"" "true 0"

# Step 5: redirection.
check "cat's fd 1 was the temp file and its fd 0 a pipe" \
	jq_is "$json" "$(event redirected) | (.file | split(\"/\") | last) as \$name |
		(.stdout | endswith(\"/\" + \$name)) and (.stdin | startswith(\"pipe:\"))" true
check "the file held the line cat copied, and cat exited 0" \
	jq_is "$json" "$(event file-contents) |
		.contents == \"a line sent through the redirection\\n\" and .exit_status == 0" true
check "every check held, and the summary says so" \
	jq_is "$json" '. as $e | ([$e[] | select(.event=="check") | .ok] | all) and
		($e | map(select(.event=="summary"))[0] | .checks == 16 and .failed == 0)' true
check "nothing left after a normal exit: no process, no temp file" eval 'nothing_left && no_temp_file'

# --- COMMAND: what a shell would make of it. ---
shell_status_of() { jq_is "$out" "$(event command-status) | \"\(.exec_worked) \(.shell_status)\"" "$1"; }
run_demo exec --json --speed 100 -- proclab-no-such-command arg
check "a missing COMMAND: exec fails, \$? is 127, and the demo's checks hold" \
	eval '[ "$rc" -eq 0 ] && shell_status_of "false 127"'
run_demo exec --json --speed 100 -- sh -c 'exit 3'
check "COMMAND's own exit status comes back: 3" shell_status_of "true 3"
run_demo exec --json --speed 100 -- sh -c 'kill -TERM $$'
check "COMMAND killed by SIGTERM: \$? is 128 + 15" shell_status_of "true 143"
run_demo exec --json --speed 100 echo --json
command_is() { jq_is "$out" '[.[] | select(.event=="step") | .command // empty] | .[0]' "$1"; }
check "options after COMMAND belong to COMMAND" command_is "echo --json"
run_demo exec --json --speed 100
check "without COMMAND, step 4 runs ls -l" command_is "ls -l"
run_demo exec --json --speed 100 --
check "'--' alone runs the default as well" command_is "ls -l"
check "an unknown option before COMMAND is refused" rejects exec --bogus -- ls

# --- Prose. ---
run_demo exec --speed 100 -- echo proclab-exec-says-hello
line_of() { grep -n -e "$1" "$out" | head -n 1 | cut -d: -f1; }
output_first() {
	hello=$(line_of '^proclab-exec-says-hello$')
	status=$(line_of 'waitpid(')
	[ -n "$hello" ] && [ -n "$status" ] && [ "$hello" -lt "$status" ]
}
check "in prose, COMMAND writes to stdout, before the parent reports its status" output_first
check "prose into a pipe has no colour codes" eval '! grep -q "$(printf "\033")" "$out"'
run_demo exec --quiet --speed 100 -- true
check "--quiet prints only the summary" \
	[ "$(cat "$out")" = "$(printf '\nproclab-exec: 16 of 16 checks held')" ]

# --- The kernel's view from outside the demo. ---
start_demo exec --json --speed 0.5 -- true
child_runs() {
	for p in $(token_children_of "$demo_pid"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && { watched=$p; return 0; }
	done
	return 1
}
check "outside: ps sees a child of the demo running proclab-exec" poll 30 child_runs proclab-exec
runs_cat() { [ "$(cat "/proc/$watched/comm" 2>/dev/null)" = cat ]; }
check "outside: the same PID then runs cat" poll 30 runs_cat
outside_exe=$(readlink "/proc/$watched/exe")
wait_demo
check "the demo reported the PID and the exe seen from outside" \
	jq_is "$out" "\"\($(event after-exec).child) \($(event after-exec).exe)\"" "$watched $outside_exe"

# --- Nothing survives an interrupted run. ---
# interrupt SIGNAL CONDITION ARG...: start the demo, wait for CONDITION,
# send SIGNAL, and check that it and everything it made are gone.
has_event() { grep -qs "\"event\":\"$1\"" "$out"; }
interrupt() {
	sig=$1
	shift
	poll 30 "$@" || diag "never saw: $*"
	kill -s "$sig" "$demo_pid"
	wait_demo
	[ "$sig" = KILL ] || [ "$rc" -gt 128 ] || { diag "status $rc"; return 1; }
	poll 1 nothing_left && no_temp_file
}
start_demo exec --json --speed 0.3 -- true
check "SIGINT while the child waits to exec: all gone within a second" \
	interrupt INT has_event before-exec
start_demo exec --json --speed 0.3 -- true
check "SIGTERM while cat runs in the child: all gone within a second" \
	interrupt TERM has_event after-exec
start_demo exec --json --speed 100 -- sleep 30
check "SIGINT while COMMAND runs: all gone within a second" interrupt INT child_runs sleep
start_demo exec --json --speed 1 -- true
check "SIGTERM while cat writes into the redirected file: all gone, the file too" \
	interrupt TERM has_event redirected
# SIGKILL cannot be caught: PR_SET_PDEATHSIG, which exec keeps, takes the
# children along, whatever program they run by then.
start_demo exec --json --speed 0.3 -- true
check "SIGKILL of the demo while its child runs cat: cat ends within a second" \
	interrupt KILL has_event after-exec
start_demo exec --json --speed 100 -- sleep 30
check "SIGKILL of the demo while COMMAND runs: COMMAND ends within a second" \
	interrupt KILL child_runs sleep

finish
