#!/bin/sh
# judge-spec.sh - the spec's syntax is what docs/judge-spec.md says: a
# '#' after a blank starts a comment, as ';' does, so the example at the
# top of that page is a spec the judge reads. (libinih alone knows only
# ';' after a value: "wall = 10   # seconds" was not a number, and
# "run = ./prog  # the program" gave the program three more arguments.)
. "$top_srcdir/tests/lib.sh"

plan 3
bin="$top_builddir/proclab-judge"

# The page's example, graded on lab 1's reference solution, once.
mkdir -p "$WORK/doc"
sed -n '/^```ini$/,/^```$/p' "$top_srcdir/docs/judge-spec.md" | sed '1d;$d' >"$WORK/doc/lab.spec"
cp "$top_srcdir/labs/01-reap/instructor/solution.c" "$WORK/doc/reap.c"
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 120 "$bin" --runs 1 --spec "$WORK/doc/lab.spec" \
	"$WORK/doc" >"$WORK/doc.out" 2>&1
rc=$?
check "the example in docs/judge-spec.md is read and holds (exit $rc)" eval '[ "$rc" -eq 0 ] ||
	{ sed "s/^/#   /" "$WORK/doc.out"; false; }'

mkdir -p "$WORK/c"
cat >"$WORK/c/prog.c" <<'C'
#include <stdio.h>
int
main(int argc, char *argv[])
{
	(void)argv;
	printf("%d arguments, a#b\n", argc - 1);
	return 0;
}
C
cat >"$WORK/c/lab.spec" <<'SPEC'
# A spec with comments after its values.
[lab]
build = ${CC:-cc} -o prog prog.c   # the build line ends before this
run   = ./prog	# and the run line before this, after a tab
[check stdout]
match = ^0 arguments, a#b$ ; a '#' with no blank before it stays
SPEC
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" --json "$WORK/c" >"$WORK/c.out" 2>&1
rc=$?
check "a comment after a value is not part of it (exit $rc)" eval '[ "$rc" -eq 0 ] ||
	{ sed "s/^/#   /" "$WORK/c.out"; false; }'
check "after the runs: nothing left" poll 5 nothing_left
finish
