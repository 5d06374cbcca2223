#!/bin/sh
# judge-speedup.sh - the speedup over a one-worker run ([check parallel],
# min_speedup), timed only while the rest of the machine leaves the CPUs
# alone. Two children that each burn 0.4 s of CPU (tests/judge/spinners.c)
# at once hold min_speedup 1.5 over the same two one after the other; one
# after the other, they fail it. On a machine busy with others' work the
# judge gives no verdict ("inconclusive"), and so does this test: a skip
# with the judge's evidence. Then the machine is made busy on purpose,
# and the judge must say so rather than grade.
. "$top_srcdir/tests/lib.sh"
need_jq

plan 5
bin="$top_builddir/proclab-judge"
loops=""
trap '[ -z "$loops" ] || kill $loops 2>/dev/null; rm -rf "$WORK"' EXIT

# lab NAME RUN: a lab folder $WORK/NAME that builds spinners.c and runs
# RUN; its checks follow on stdin.
lab() {
	mkdir -p "$WORK/$1"
	cp "$top_srcdir/tests/judge/spinners.c" "$WORK/$1/"
	{
		printf '[lab]\nbuild = ${CC:-cc} -o prog spinners.c\nrun = %s\n' "$2"
		cat
	} >"$WORK/$1/lab.spec"
}
grade() {
	out="$WORK/$1.out"
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout 120 "$bin" --json "$WORK/$1" >"$out" 2>"$WORK/$1.err"
	rc=$?
}
field() { $JQ -r --arg c "$1" "select(.event == \"check\" and .check == \$c) | .$2" "$out"; }
said() { field "$1" evidence | grep -q -- "$2" || { diag "rc $rc; $1: $(field "$1" evidence)"; false; }; }

# quiet_or_skip DESCRIPTION CHECK OK PATTERN: the check holds (OK true) or
# fails (false) with PATTERN in its evidence; or, if the judge found the
# machine too busy to time it, a skip that says so, once the verdict is
# seen to be the busy one and nothing else.
quiet_or_skip() {
	if [ "$(field "$2" inconclusive)" = true ]; then
		if [ "$(field "$2" ok)" = false ] && said "$2" "no verdict on the speedup: the machine was busy"; then
			tap_count=$((tap_count + 1))
			echo "ok $tap_count - $1 # SKIP $(field "$2" evidence | sed 's/.*no verdict on the speedup: //')"
		else
			check "$1: a busy verdict is a failure with its evidence" false
		fi
		return
	fi
	# check() runs its command with its own arguments: pass these by name.
	qs_check=$2 qs_ok=$3 qs_pattern=$4
	check "$1" eval '[ "$(field "$qs_check" ok)" = "$qs_ok" ] && said "$qs_check" "$qs_pattern"'
}

# --- on the machine as it is ---
lab together ./prog <<'SPEC'
[check parallel "speedup"]
min_speedup = 1.5
one = ./prog serial
SPEC
grade together
quiet_or_skip "two workers at once hold min_speedup 1.5 over one after the other" speedup true \
	"speedup [1-9]\.[0-9]*x over one worker (the median of 3 quiet pairs of [3-5] tried: 0\.[0-9]* s against 0\.[0-9]* s), wanted 1.50x"

lab serial "./prog serial" <<'SPEC'
[check parallel "speedup"]
min_speedup = 1.5
one = ./prog serial
SPEC
grade serial
quiet_or_skip "two workers one after the other fail min_speedup 1.5, their speedup shown" speedup false \
	"speedup [01]\.[0-9]*x over one worker (.*), wanted 1.50x"

# --- on a machine made busy: a spinning shell on each CPU ---
for i in $(seq "$(nproc)"); do
	sh -c 'while :; do :; done' &
	loops="$loops $!"
done
# spinning: CPU time seen (utime, field 14 of /proc/PID/stat; proc(5)).
spinning() {
	for p in $loops; do
		[ "$(awk '{ sub(/.*\) /, ""); print $12 }' "/proc/$p/stat")" -gt 0 ] || return 1
	done
}
poll 10 spinning || diag "the busy loops show no CPU time yet"
lab busy "./prog serial" <<'SPEC'
[check parallel "speedup"]
min_speedup = 1.5
one = ./prog serial
pairs = 1
tries = 2
[check parallel "both"]
min_runnable = 1.5
min_speedup = 1.5
one = ./prog serial
pairs = 1
tries = 2
SPEC
grade busy
kill $loops
for p in $loops; do
	wait "$p"
done
loops=""
check "busy: no verdict on the speedup, the others' load given instead" eval \
	'[ "$rc" -eq 1 ] && [ "$(field speedup ok)" = false ] &&
	[ "$(field speedup inconclusive)" = true ] &&
	said speedup "the machine was busy, others used \(0\.[3-9]\|[1-9]\)[0-9.]* CPUs on average (.*) in each of 2 tries, more than the 0.30 allowed; grade again on a quiet machine"'
check "busy: a verdict already given by min_runnable stands" eval \
	'[ "$(field both ok)" = false ] && [ "$(field both inconclusive)" = false ] &&
	said both "at once (1 run), wanted 1.50" && said both "no verdict on the speedup"'

check "after the runs: nothing left" poll 5 nothing_left
finish
