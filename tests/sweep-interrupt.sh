#!/bin/sh
# sweep-interrupt.sh - interrupt every demo at a random moment, and check
# that nothing of it is left behind: processes, names in /dev/shm and
# /dev/mqueue, System V objects, temp files. See docs/sweeps.md.
#
# Usage: sweep-interrupt.sh [--trials N] [--seed N] [--demos 'NAME...']
#                           [--signals 'INT KILL'] [--delay MS] [--no-namespace]
#
# In the build tree, `make sweep` runs it with SWEEP_FLAGS (default
# --trials 3). By hand, from the source tree:
#     top_builddir=build tests/sweep-interrupt.sh --trials 10 --seed 42
#
# First every demo runs once to its end, in its quick configuration: that
# checks a normal exit and measures the run, the window in which the
# signals will fall. Then a pass of N trials per demo with SIGINT (sent to
# the demo's process group, as Ctrl-C), and a pass with SIGKILL (to the
# demo's own process only: its children must end by themselves). Each
# trial's delay is drawn from the window by a generator seeded with the
# seed printed first, so a run can be repeated; --delay MS replays one
# trial exactly. tests/sweep-trial runs each trial and lists what is left.
#
# Exit status: 0 if no trial left anything, 1 if one did (or could not
# run), 2 for a bad command line.

set -u

usage() {
	echo "usage: sweep-interrupt.sh [--trials N] [--seed N] [--demos 'NAME...']" \
		"[--signals 'INT KILL'] [--delay MS] [--no-namespace]" >&2
	exit 2
}
is_number() { case $1 in '' | *[!0-9]*) false ;; *) [ ${#1} -le 9 ] ;; esac; }
# need_value OPTION [VALUE]: the option has a value; need_number: a number.
need_value() { if [ $# -lt 2 ]; then usage; fi; }
need_number() { if [ $# -lt 2 ] || ! is_number "$2"; then usage; fi; }

trials=3
seed=
signals="INT KILL"
delay=
trial_flags=
demos=${DEMO_NAMES:-}
while [ $# -gt 0 ]; do
	case $1 in
	--trials) need_number "$@"; trials=$2; shift 2 ;;
	--seed) need_number "$@"; seed=$2; shift 2 ;;
	--demos) need_value "$@"; demos=$2; shift 2 ;;
	--signals) need_value "$@"; signals=$2; shift 2 ;;
	--delay) need_number "$@"; delay=$2; shift 2 ;;
	--no-namespace) trial_flags=-p; shift ;;
	*) usage ;;
	esac
done
for sig in $signals; do
	case $sig in INT | KILL) ;; *) usage ;; esac
done

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-$top_srcdir/build}
trial_bin=$top_builddir/tests/sweep-trial
[ -x "$trial_bin" ] || {
	echo "sweep-interrupt.sh: no $trial_bin: build first (make sweep does)" >&2
	exit 2
}
# The demos' names, as make passes them, or from the source tree.
[ -n "$demos" ] || demos=$(sed -n 's/^DEMO_NAMES = //p' "$top_srcdir/demos/local.mk")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/proclab-sweep.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each demo in its quick configuration, as its tests/NAME.sh runs it: a
# whole run takes well under a few seconds, so the delays cover all of it.
quick_args() {
	case $1 in
	exec) echo "--quiet --speed 100 -- true" ;;
	orphan) echo "--quiet --speed 100 --lifetime 1" ;;
	race) echo "--quiet --speed 100 --runs 3" ;;
	threads-vs-procs | multitask) echo "--quiet --speed 100 --workers 2" ;;
	*) echo "--quiet --speed 100" ;;
	esac
}

# The delays: a linear congruential generator (the constants of the C
# standard's example rand()), 31 bits. random_below N: 0 to N-1, from the
# high bits, which are the good ones.
[ -n "$seed" ] || seed=$(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 1000000000))
rng=$seed
random_below() {
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	drawn=$((rng * $1 / 2147483648))
}

# The counts, per demo and signal (none, INT, KILL), in variables named
# runs_DEMO_SIGNAL, left_DEMO_SIGNAL, adopted_DEMO and early_DEMO (the
# trials that ended before their signal came), DEMO with _ for -.
key_of() { echo "$1" | tr -c 'a-z0-9\n' '_'; }
count() { eval "$1=\$((\${$1:-0} + $2))"; }

# trial DEMO SIGNAL DELAY: run one, print it, count it. Sets $ran (ms). A
# trial that left something is also noted in $WORK/leftovers.
trial() {
	key=$(key_of "$1")
	dir="$WORK/trial"
	rm -rf "$dir" && mkdir "$dir" || exit 1
	# shellcheck disable=SC2046 # quick_args is a list of words
	"$trial_bin" $trial_flags -s "$2" -d "$3" "$dir" "$top_builddir/proclab-$1" \
		$(quick_args "$1") >"$WORK/report" 2>&1
	rc=$?
	ran=$(sed -n 's/^ran \([0-9]*\) ms.*/\1/p' "$WORK/report")
	[ -n "$ran" ] || ran=0
	adopted=$(grep -c '^adopted: ' "$WORK/report")
	count "adopted_$key" "$adopted"
	grep -q '^ran [0-9]* ms; ended before' "$WORK/report" && count "early_$key" 1
	count "runs_${key}_$2" 1
	total=$((total + 1))
	if [ "$2" = none ]; then
		when="to the end"
	else
		when=$(printf 'SIG%-4s %5d ms' "$2" "$3")
	fi
	# How this trial told its names apart: said once, and again if a
	# trial could not have its namespaces (unshare refused, say).
	these=$(sed -n 's/^names: //p' "$WORK/report")
	if [ -n "$these" ] && [ "$these" != "$names" ]; then
		names=$these
		echo "names: $names"
	fi
	printf '%-16s %-16s %s\n' "$1" "$when" "$(grep '^ran ' "$WORK/report")"
	[ "$adopted" -eq 0 ] ||
		echo "    + $adopted zombie(s) adopted by init, for init to reap (not counted)"
	[ "$rc" -eq 0 ] && return
	count "left_${key}_$2" 1
	failed=$((failed + 1))
	{
		printf '%s, %s: %s\n' "$1" "$when" "$(grep '^ran ' "$WORK/report")"
		grep -v '^ran \|^names: \|^adopted: ' "$WORK/report" | sed 's/^/    /'
		if [ -s "$dir/output" ]; then
			echo "    the demo's last lines:"
			tail -n 3 "$dir/output" | sed 's/^/    | /'
		fi
		if [ "$2" = none ]; then
			echo "    replay: --demos $1 --trials 0"
		else
			echo "    replay: --demos $1 --signals $2 --trials 1 --delay $3"
		fi
	} >"$WORK/this"
	sed -n '2,$p' "$WORK/this"
	cat "$WORK/this" >>"$WORK/leftovers"
}

echo "sweep-interrupt: seed $seed; $trials trial(s) per demo and signal ($signals); demos: $(echo "$demos" | wc -w)"
names= # how the trials tell their names apart, as they say
started=$(date +%s)
failed=0
total=0

# Pass 0: each demo to its end, which gives its window.
for name in $demos; do
	trial "$name" none 0
	eval "window_$(key_of "$name")=\$((ran > 0 ? ran : 1))"
done

# Pass 1, SIGINT, and pass 2, SIGKILL.
for sig in $signals; do
	for name in $demos; do
		window=1
		eval "window=\$window_$(key_of "$name")"
		i=1
		while [ "$i" -le "$trials" ]; do
			random_below "$window"
			trial "$name" "$sig" "${delay:-$drawn}"
			# A run that ended before its signal was quicker than the
			# first one (a busy machine slows runs): from now on the
			# delays come from the quicker run, so fewer are wasted.
			if grep -q '^ran [0-9]* ms; ended before' "$WORK/report" && [ "$ran" -lt "$window" ]; then
				window=$((ran > 0 ? ran : 1))
				eval "window_$(key_of "$name")=$window"
			fi
			i=$((i + 1))
		done
	done
done

# "left of run" for a demo and signal, or "-" when none ran.
cell() {
	r=0 l=0
	eval "r=\${runs_$1_$2:-0} l=\${left_$1_$2:-0}"
	if [ "$r" -eq 0 ]; then echo -; else echo "$l of $r"; fi
}
echo
echo "Summary: trials that left something, of those run. The window is how long"
echo "the demo's quickest run lasted; delays were drawn from the window known by"
echo "then, so a few trials ended before their signal (early). Zombies adopted by"
echo "init are init's to reap: not counted."
printf '%-17s %8s  %-10s %-10s %-10s %-6s %s\n' demo window "to the end" SIGINT SIGKILL \
	"early" "adopted zombies"
for name in $demos; do
	key=$(key_of "$name")
	window=0 adopted=0 early=0
	eval "window=\$window_$key adopted=\${adopted_$key:-0} early=\${early_$key:-0}"
	printf '%-17s %5d ms  %-10s %-10s %-10s %-6d %d\n' "$name" "$window" "$(cell "$key" none)" \
		"$(cell "$key" INT)" "$(cell "$key" KILL)" "$early" "$adopted"
done
if [ -s "$WORK/leftovers" ]; then
	echo
	echo "What was left, and the flags that replay each trial:"
	cat "$WORK/leftovers"
fi
echo
echo "leftovers in $failed of $total trials; seed $seed; $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]
