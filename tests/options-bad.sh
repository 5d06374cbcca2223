#!/bin/sh
# options-bad.sh - every program, every option, every kind of bad value.
#
# Each case must end at once with exit status 2, nothing on stdout, and on
# stderr exactly two lines: "PROGRAM: what is wrong", printable, and
# "Try 'PROGRAM --help' for more information." Nothing may be left running.
#
# The cases come from each program's --help: every option line there
# ("  -n, --children N   ... (1 to 32)") gives its name, whether it takes a
# value, and its range. So an option is tested as soon as --help lists it.
# Two assumptions, true today: a value named FILE or NAME is free text,
# and any other string is a choice or a list, so that "bogus" is wrong for
# it; and a range is printed as "(MIN to MAX" at the end of the line.
# Checks between options, which --help cannot tell, are listed by hand.
. "$top_srcdir/tests/lib.sh"

newline=$(printf 'a\nb')
escape=$(printf '\033[2Jx')

# rejected PROGRAM ARG...: the command line is refused as described above.
# Shell builtins only, past the run itself: there are a thousand cases.
rejected() {
	program=$1
	shift
	env PROCLAB_TEST_TOKEN="$TOKEN" timeout -k 5 30 "$top_builddir/$program" "$@" \
		>"$WORK/out" 2>"$WORK/err" </dev/null
	rc=$?
	lines=0 first= last=
	while IFS= read -r line; do
		lines=$((lines + 1))
		[ "$lines" -eq 1 ] && first=$line
		last=$line
	done <"$WORK/err"
	case $first in
	"$program: "*[![:cntrl:]]*) ;;
	*) first= ;;
	esac
	case $first in *[[:cntrl:]]*) first= ;; esac
	if [ "$rc" -ne 2 ] || [ -s "$WORK/out" ] || [ "$lines" -ne 2 ] || [ -z "$first" ] ||
		[ "$last" != "Try '$program --help' for more information." ]; then
		diag "status $rc, stdout $(wc -c <"$WORK/out") bytes: $(head -c 200 "$WORK/out")"
		diag "stderr: $(head -c 400 "$WORK/err")"
		return 1
	fi
}

# bad PROGRAM ARG...: one case, one TAP line, where the arguments are
# shown with their control characters as '?'.
bad() {
	shown=$(printf '%s ' "$@" | tr '\n\033\t' '???')
	shown=${shown% }
	check "$shown" rejected "$@"
}

# The options in --help, one a line: SHORT LONG ARG MIN MAX, with "-" for
# what is not there.
options_of() {
	"$top_builddir/$1" --help | sed -n -E '
		/^  (-[[:alnum:]], |    )--[[:alnum:]-]+/ !d
		s/^  (-([[:alnum:]]), |    )--([[:alnum:]-]+)( ([A-Z]+))?( .*)?$/\2 \3 \5 :\6/
		s/^ /- /
		s/^([^ ]+ [^ ]+)  :/\1 - :/
		s/:.*\((-?[0-9.e+]+) to (-?[0-9.e+]+)[;)].*$/\1 \2/
		s/:.*$/- -/
		p'
}

# A short option letter the program does not use.
unused_letter() {
	for letter in Z Y X J K L U; do
		"$top_builddir/$1" --help | grep -q -- "^  -$letter," || { echo "$letter"; return; }
	done
}

# calc EXPRESSION: its value, in full. The parentheses matter: in awk,
# "printf ..., x > 0" would write to a file named 0.
calc() { awk "BEGIN { printf \"%.12g\", ($1) }"; }

# cases_for PROGRAM [AFTER]: the cases of every option in PROGRAM's --help.
# AFTER goes behind each one: the dashboard needs a demo to run, or it
# would fail for the want of one instead.
cases_for() {
	prog=$1 after=${2:-}
	options_of "$prog" >"$WORK/options"
	while read -r short long arg min max; do
		if [ "$arg" = - ]; then
			bad "$prog" "--$long=x" $after
			continue
		fi
		bad "$prog" "--$long" # missing: the last argument
		bad "$prog" "--$long=" $after
		case $arg in FILE | NAME) continue ;; esac
		bad "$prog" "--$long" bogus $after
		bad "$prog" "--$long" "$newline" $after
		[ "$short" = - ] || bad "$prog" "-${short}bogus" $after
		[ "$min" = - ] && continue
		bad "$prog" "--$long" "$(calc "$min - 1")" $after
		bad "$prog" "--$long" "$(calc "$max + 1")" $after
		# Between min - 1 and min: a fraction, wrong for an integer
		# option and below the range of a real one.
		if [ "$(calc "$min > 0")" = 1 ]; then
			bad "$prog" "--$long=$(calc "$min / 2")" $after
			bad "$prog" "--$long" 0 $after
			bad "$prog" "--$long" -1 $after
		fi
		bad "$prog" "--$long" "${max}x" $after
		bad "$prog" "--$long" 99999999999999999999 $after
		bad "$prog" "--$long" 1e999 $after
		bad "$prog" "--$long=-99999999999999999999" $after
		bad "$prog" "--$long" nan $after
		bad "$prog" "--$long=-inf" $after
	done <"$WORK/options"

	bad "$prog" --bogus $after
	bad "$prog" "-$(unused_letter "$prog")" $after
	bad "$prog" --=1 $after
	bad "$prog" "--$escape" $after
}

# Operands, for the demos that take none.
operand_cases() {
	bad "$1" extra
	bad "$1" -- extra
	bad "$1" -
	bad "$1" ""
}

for demo in $DEMO_NAMES; do
	cases_for "proclab-$demo"
	[ "$demo" = exec ] || operand_cases "proclab-$demo"
done

# The dashboard: its options, each followed by a demo to run; then what
# --help cannot say: a PID is a number of a running process, and DEMO,
# -- COMMAND, -p PID and --list exclude each other.
cases_for proclab fork
bad proclab
bad proclab --plain
bad proclab --
bad proclab --plain --
bad proclab ""
bad proclab no-such-demo
bad proclab ./fork
bad proclab fork/../fork
bad proclab -p 0
bad proclab -p -5
bad proclab -p 1 fork
bad proclab -p 1 -- true
bad proclab --list fork
bad proclab --list -p 1
bad proclab --list -- true
bad proclab -p "$(($(cat /proc/sys/kernel/pid_max) + 1))"
bad proclab -p 2147483648
bad proclab -p 99999999999999999999

# The judge: its options, each followed by a lab to grade (which a bad
# option must stop before it starts); then its operands, and --runs, whose
# range --help does not print.
lab="$top_srcdir/labs/01-reap"
cases_for proclab-judge "$lab"
bad proclab-judge
bad proclab-judge --quiet
bad proclab-judge no-such-lab
bad proclab-judge --spec "$lab/lab.spec"
bad proclab-judge --spec "$lab/lab.spec" "$lab" "$lab"
bad proclab-judge --json --tap "$lab"
bad proclab-judge --user no-such-user-of-proclab "$lab"
bad proclab-judge --gradescope "$WORK/results.json" "$lab" "$lab" "$lab"
for runs in 0 1001 -1 1.5 99999999999999999999 nan 1x; do
	bad proclab-judge --runs "$runs" "$lab"
done

# Checks between options, and choices, in each demo; each also with
# --json, whose events go to stdout and must not start.
between() {
	bad "$@"
	prog=$1
	shift
	bad "$prog" --json "$@"
}
between proclab-deadlock --tasks bogus
between proclab-deadlock --order --trylock
between proclab-deadlock --trylock --timeout
between proclab-philosophers --tasks bogus
between proclab-philosophers --strategy bogus
between proclab-philosophers --strategy ""
between proclab-gil --policy bogus
between proclab-gil --full --work 1
between proclab-gil --full --repeats 2
between proclab-ipcbench --pin bogus
between proclab-ipcbench --only bogus
between proclab-ipcbench --only pipe,bogus
between proclab-ipcbench --only ,
between proclab-ipcbench --only pipe,,tcp
between proclab-pool --order bogus
between proclab-pool --inputs 10 --crash 10
between proclab-pool --inputs 10 --abort 99
between proclab-pool --full --work 1
between proclab-filelock --writers 32 --records 10000
between proclab-prodcons --producers 16 --items 1000000
between proclab-queue --messages 5 --depth 5
between proclab-race --workers 16 --increments 1000000
between proclab-race --workers 16 --increments 62500 --window 5000
between proclab-server --clients 16 --ops 10000
between proclab-shm --procs 16 --increments 1000000
pipe_max=$(cat /proc/sys/fs/pipe-max-size 2>/dev/null || echo 1048576)
[ "$pipe_max" -lt 2147483647 ] && between proclab-pipe --pipe-size $((pipe_max + 1))
msg_max=$(cat /proc/sys/fs/mqueue/msg_max 2>/dev/null || echo 10)
[ "$msg_max" -lt 64 ] && between proclab-queue --depth $((msg_max + 1)) --messages 100
# Half the memory available is the most threads-vs-procs may touch.
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
[ "$avail" -lt 32000 ] && between proclab-threads-vs-procs --max-mib 16384

diag "$tap_count bad command lines tried, $tap_failed not refused as they should be"
check "no program left a process behind" nothing_left || why_left
plan "$tap_count"
finish
