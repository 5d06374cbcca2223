#!/bin/sh
# demo-maps.sh - every demo's header has a map, "Where the concept is",
# that tells a student which functions to read first (issue 15), and every
# function a map names is defined in that demo. bench/concept-lines.sh
# reads the maps; it is first shown a map that names a function that is
# not there, and a file with no map, so that a reader that passed
# everything would fail here.
. "$top_srcdir/tests/lib.sh"
: "${DEMO_NAMES:?run through make check}"

count="$top_srcdir/bench/concept-lines.sh"

# shellcheck disable=SC2086 # one word a demo
set -- $DEMO_NAMES
plan $(($# * 2 + 2))

cat >"$WORK/bad.c" <<'END'
/* bad.c - a demo whose map names a function it does not define.
 *
 * Where the concept is (read these first; the rest narrates and proves):
 *   real()      is here
 *   renamed()   was here once
 *
 */
static int
real(void)
{
	return 0;
}
END
check "a map that names a missing function fails" \
	sh -c '! "$1" "$2" >/dev/null 2>&1' sh "$count" "$WORK/bad.c"
printf '/* none.c - no map. */\nint x;\n' >"$WORK/none.c"
check "a demo with no map fails" sh -c '! "$1" "$2" >/dev/null 2>&1' sh "$count" "$WORK/none.c"

for demo do
	file="$top_srcdir/demos/$demo.c"
	check "$demo: its map names functions defined in demos/$demo.c" \
		sh -c '"$1" "$2" >"$3" 2>&1 || { sed "s/^/# /" "$3"; exit 1; }' \
		sh "$count" "$file" "$WORK/out"
	# A map that names one function, or ten, is not a map of the concept.
	check "$demo: the map names 2 to 8 functions" \
		sh -c 'n=$(grep -c "()" "$1"); [ "$n" -ge 2 ] && [ "$n" -le 8 ]' sh "$WORK/out"
done
finish
