#!/bin/sh
# lessons.sh - every demo has a lesson with all its parts and an instructor
# file, the index lists it, and every "what you will see" excerpt is still
# what the demo prints.
#
# An excerpt is a fenced block right after a line
#     <!-- excerpt: proclab-NAME [ARG...] -->
# The test runs that command (adding --no-color and --speed 100) and checks
# that the block's lines appear in the output in the same order. PIDs,
# counts and addresses differ from run to run, so numbers compare as "N"
# and 0x... addresses as "ADDR". Lines "$ ..." (the prompt) and "..."
# (an elision) are skipped. A demo that needs a privilege this run lacks
# (prio-inversion: CAP_SYS_NICE) says "skipped, not a failure" and shows
# nothing to compare: its excerpts then pass with a note, as do those of
# a demo this build lacks (the MPI demos, without Open MPI).
. "$top_srcdir/tests/lib.sh"

lessons="$top_srcdir/lessons"
sections="Goal|Background|Run it|What you will see|In the dashboard|Exercises|Man pages"

normalise() {
	sed -e 's/0x[0-9a-fA-F][0-9a-fA-F]*/ADDR/g' -e 's/[0-9][0-9]*/N/g' -e 's/[[:space:]]*$//'
}

# Split a lesson's excerpts into $WORK/ex.K.cmd and $WORK/ex.K.txt; print K.
split_excerpts() {
	awk -v dir="$WORK" -v base="$2" '
		/^<!-- excerpt: .* -->$/ {
			cmd = $0; sub(/^<!-- excerpt: /, "", cmd); sub(/ -->$/, "", cmd)
			n++; file = dir "/" base "." n; print cmd > (file ".cmd"); close(file ".cmd")
			want = 1; next
		}
		want && /^```/ && !inside { inside = 1; printf "" > (file ".txt"); next }
		inside && /^```/ { inside = 0; want = 0; close(file ".txt"); next }
		inside && !/^\$ / && !/^\.\.\.$/ && !/^[[:space:]]*$/ { print >> (file ".txt") }
		END { print n + 0 }
	' "$1"
}

# Are the lines of $1 a subsequence of the lines of $2?
in_order() {
	awk 'NR == FNR { want[++n] = $0; next }
	     i < n && $0 == want[i + 1] { i++ }
	     END { if (i < n) { print "# missing, in order: " want[i + 1]; exit 1 } }' "$1" "$2"
}

excerpt_holds() {
	base=$1
	set -- $(cat "$base.cmd")
	name=${1#proclab-}
	shift
	if [ ! -x "$(demo_bin "$name")" ]; then
		case $name in
		mpi-*)
			diag "proclab-$name: built without Open MPI: excerpt not compared"
			return 0
			;;
		esac
	fi
	env PROCLAB_TEST_TOKEN="$TOKEN" "$(demo_bin "$name")" --no-color --speed 100 "$@" \
		</dev/null 2>&1 | normalise >"$base.out"
	normalise <"$base.txt" >"$base.want"
	if grep -q "skipped, not a failure" "$base.out"; then
		diag "proclab-$name${*:+ $*}: skipped here (no privilege): excerpt not compared"
		return 0
	fi
	in_order "$base.want" "$base.out" ||
		{ grep -i "fail" "$base.out" | head -n 5 | sed 's/^/# the run said: /'; return 1; }
}

has_sections() {
	old_ifs=$IFS
	IFS='|'
	for s in $sections; do
		grep -q "^## $s" "$1" || { IFS=$old_ifs; diag "$(basename "$1") has no '## $s'"; return 1; }
	done
	IFS=$old_ifs
}

# Lesson 21, mpi, is the lesson of the four MPI demos, which a build
# without Open MPI does not have (their excerpts then pass with a note).
set -- $DEMO_NAMES mpi
plan $(($# * 5 + 2))
for demo; do
	lesson=$(ls "$lessons"/[0-9][0-9]-"$demo".md 2>/dev/null | head -n 1)
	check "$demo: lessons/NN-$demo.md exists" [ -n "$lesson" ]
	[ -n "$lesson" ] || lesson=/dev/null
	file=$(basename "$lesson")
	check "$demo: the lesson has all its sections" has_sections "$lesson"
	check "$demo: the instructor file exists" [ -s "$lessons/instructor/$file" ]
	check "$demo: the lesson index links it" grep -qF "($file)" "$lessons/README.md"
	count=$(split_excerpts "$lesson" "$demo")
	all_hold() {
		[ "$count" -gt 0 ] || { diag "no excerpts"; return 1; }
		k=1
		while [ "$k" -le "$count" ]; do
			excerpt_holds "$WORK/$demo.$k" || return 1
			k=$((k + 1))
		done
	}
	check "$demo: its $count excerpt(s) match a real run" all_hold
done

# Lesson 21 is the lesson of all four MPI demos, which live in demos/mpi/
# beside their plumbing (launch.c, not a demo): the lesson names each demo
# with its source, and the folder's README names each and links back.
mpi_demos_named() {
	[ -n "$MPI_DEMO_NAMES" ] || { diag "MPI_DEMO_NAMES is empty: run through make check"; return 1; }
	for demo in $MPI_DEMO_NAMES; do
		src=demos/mpi/${demo#mpi-}.c
		[ -f "$top_srcdir/$src" ] || { diag "$src does not exist"; return 1; }
		grep -qF "| \`proclab-$demo\` | \`$src\` |" "$lessons/21-mpi.md" ||
			{ diag "lessons/21-mpi.md does not name proclab-$demo with $src"; return 1; }
		grep -qF "| \`${demo#mpi-}.c\` | \`proclab-$demo\` |" "$top_srcdir/demos/mpi/README.md" ||
			{ diag "demos/mpi/README.md does not name proclab-$demo"; return 1; }
	done
	grep -qF "(../../lessons/21-mpi.md)" "$top_srcdir/demos/mpi/README.md" ||
		{ diag "demos/mpi/README.md does not link lesson 21"; return 1; }
}
check "lesson 21 and demos/mpi/README.md name each MPI demo with its source" mpi_demos_named
check "the excerpt runs left nothing behind" poll 1 nothing_left
finish
