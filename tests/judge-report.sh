#!/bin/sh
# judge-report.sh - the judge's report quotes the student's output (and
# the compiler's messages, which quote their source) as evidence: in the
# text and TAP reports no control byte of theirs reaches the terminal, so
# a submission cannot clear the instructor's screen, retitle the window
# or paint over a verdict. JSON keeps the bytes, escaped. And Autolab's
# score is the report's last line, even with a submission's folder given.
. "$top_srcdir/tests/lib.sh"
need_jq

plan 5
bin="$top_builddir/proclab-judge"
mkdir -p "$WORK/lab"
cat >"$WORK/lab/prog.c" <<'C'
#include <stdio.h>
int
main(void)
{
	/* Clear the screen, set the title, ring, then overwrite a line. */
	printf("\033[2J\033]0;title\007x\rforged [ok]\n");
	return 0;
}
C
cat >"$WORK/lab/lab.spec" <<'SPEC'
[lab]
build = ${CC:-cc} -o prog prog.c
run   = ./prog
[check stdout]
match = ^what the spec wants$
SPEC

# no_controls FILE: no byte below 0x20 but newline, nor DEL.
no_controls() {
	! LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1" ||
		{ od -c "$1" | sed 's/^/#   /' | head -n 10; false; }
}
for fmt in --quiet --tap --json; do
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" $fmt "$WORK/lab" >"$WORK/out$fmt" 2>&1
done
check "text: the evidence is there, without its control bytes" \
	eval 'grep -q "forged \[ok\]" "$WORK/out--quiet" && no_controls "$WORK/out--quiet"'
check "TAP: the same" eval 'grep -q "^# .*forged \[ok\]" "$WORK/out--tap" && no_controls "$WORK/out--tap"'
check "JSON: the bytes kept, escaped" eval \
	'$JQ -r "select(.event == \"check\") | .evidence" "$WORK/out--json" | grep -q "$(printf "\033")\[2J"'
mkdir -p "$WORK/sub"
cp "$WORK/lab/prog.c" "$WORK/sub/"
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" --autolab "$WORK/lab" "$WORK/sub" \
	>"$WORK/autolab" 2>&1
check "--autolab LAB DIR: the last line is the score JSON" eval \
	'tail -n 1 "$WORK/autolab" | $JQ -e ".scores.stdout == 0" >/dev/null 2>&1 ||
	{ tail -n 3 "$WORK/autolab" | sed "s/^/#   /"; false; }'
check "after the runs: nothing left" poll 5 nothing_left
finish
