#!/bin/sh
# dashboard-exec.sh - what proclab hands on to the command it runs, and
# what it runs to find the demos. The command must see its own descriptors
# and limits only, the ones it would have without proclab: the exec lesson
# has students read /proc/PID/fd. A demo directory's name is data: quotes
# and $( ) in it are never read as shell code.
. "$top_srcdir/tests/lib.sh"
plan 7

bin="$top_builddir/proclab"
# What the command sees, written to the directory $0: its descriptors (ls
# adds one of its own, for /proc/self/fd) and its limit on them.
report='ls /proc/self/fd >"$0/fds"; ulimit -n >"$0/limit"'
mkdir "$WORK/direct" "$WORK/watched"
# A soft limit below the hard one, as a caller may set: proclab raises
# its own to the hard limit, and must not pass that on.
limit=$(ulimit -H -n)
if [ "$limit" = unlimited ] || [ "$limit" -gt 256 ]; then
	limit=256
else
	diag "hard limit $limit: no room below it, the limit check proves little here"
fi
(
	ulimit -S -n "$limit"
	sh -c "$report" "$WORK/direct" </dev/null >/dev/null 2>&1
	env PROCLAB_TEST_TOKEN="$TOKEN" "$bin" --plain -- sh -c "$report" "$WORK/watched" \
		</dev/null >/dev/null 2>&1
)
same() {
	cmp -s "$WORK/direct/$1" "$WORK/watched/$1" ||
		{ diag "without proclab: $(tr '\n' ' ' <"$WORK/direct/$1")" \
			"under proclab:   $(tr '\n' ' ' <"$WORK/watched/$1" 2>&1)"; false; }
}
check "the command's descriptors are those it has without proclab" same fds
check "its limit on descriptors is the caller's ($limit)" same limit

# --list runs each demo's --help for its summary. A directory named
# a'$(touch pwned)'b: inside single quotes, as popen() once had it, the
# quotes in the name close and reopen the string around $(touch pwned).
dir="$WORK/a'\$(touch pwned)'b"
mkdir "$dir"
printf '#!/bin/sh\necho "Usage: proclab-odd"\necho "a demo in an odd place"\n' >"$dir/proclab-odd"
chmod +x "$dir/proclab-odd"
(cd "$WORK" && PROCLAB_DEMO_DIR=$dir "$bin" --list >"$WORK/list" 2>&1)
check "--list: a demo in a directory with quotes and \$( ) in its name" \
	eval 'grep -q "^odd  *a demo in an odd place\$" "$WORK/list" || { diag "$(cat "$WORK/list")"; false; }'
check "--list: nothing in the name ran" [ ! -e "$WORK/pwned" ]

# The tools beside the demos are not listed; a long name widens the
# column for all; an escape byte in a summary does not reach the terminal.
for tool in judge export; do
	printf '#!/bin/sh\necho "Usage: proclab-%s"\necho "  or:  a tool"\n' "$tool" >"$dir/proclab-$tool"
	chmod +x "$dir/proclab-$tool"
done
printf '#!/bin/sh\necho "Usage: proclab-a-much-longer-name"\nprintf "long \\033[2Jname\\n"\n' \
	>"$dir/proclab-a-much-longer-name"
chmod +x "$dir/proclab-a-much-longer-name"
(cd "$WORK" && PROCLAB_DEMO_DIR=$dir "$bin" --list >"$WORK/list" 2>&1)
check "--list: the judge and export are tools, not demos" \
	eval '! grep -q "^judge\|^export\|a tool" "$WORK/list" || { diag "$(cat "$WORK/list")"; false; }'
check "--list: the summaries line up after the longest name" \
	eval 'grep -Eq "^odd {17}a demo in an odd place\$" "$WORK/list" &&
	      grep -q "^a-much-longer-name  long" "$WORK/list" || { diag "$(cat -A "$WORK/list")"; false; }'
check "--list: no escape byte of a summary reaches the terminal" \
	eval '! grep -q "$(printf "\\033")" "$WORK/list"'

finish
