#!/bin/sh
# judge-fds.sh - the fds check names the descriptors a child inherited
# through exec, and not those it opened itself with close-on-exec, as the
# loader and the C library open theirs while a program starts. (A look
# that fell on wc reading its locale once failed lab 2's wc with "fd 3 ->
# /usr/lib/locale/C.utf8/LC_ADDRESS".) Nor one closed, or closed and
# opened again, between the look's listing of /proc/PID/fd and its
# reading of the flags (lab 11's sleep once failed with "fd 3 ->
# /usr/lib/locale/C.utf8/LC_IDENTIFICATION", opened with O_CLOEXEC just
# after locale.alias, closed, had held fd 3).
. "$top_srcdir/tests/lib.sh"
need_jq

plan 4
bin="$top_builddir/proclab-judge"
mkdir -p "$WORK/lab"
cp "$top_srcdir/tests/judge/cloexec.c" "$WORK/lab/"
cat >"$WORK/lab/lab.spec" <<'SPEC'
[lab]
build = ${CC:-cc} -o prog cloexec.c
run   = ./prog
[check fds]
SPEC
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" --json "$WORK/lab" >"$WORK/out" 2>&1
evidence=$($JQ -r 'select(.event == "check") | .evidence' "$WORK/out")
check "an inherited pipe is named" eval 'echo "$evidence" | grep -q "(exe) holds fd [34] -> pipe:" ||
	{ diag "$evidence"; false; }'
check "a file opened with O_CLOEXEC after exec is not" eval '! echo "$evidence" | grep -q /dev/null ||
	{ diag "$evidence"; false; }'
check "a descriptor opened and closed over and over with O_CLOEXEC is not" \
	eval '[ -z "$(echo "$evidence" | grep "holds fd" | grep -v -e "-> pipe:")" ] ||
	{ diag "$evidence"; false; }'
check "after the run: nothing left" poll 5 nothing_left
finish
