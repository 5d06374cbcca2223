#!/bin/sh
# concept-lines.sh - how many lines of a demo a student must read to see
# its concept, and how many the whole file has (docs/readability.md).
#
#   bench/concept-lines.sh FILE [FUNCTION...]
#
# The concept's lines are those of the functions named: each counted from
# its return type's line to its closing brace, as the house style lays a
# definition out (the type on its own line, the name at the start of the
# next, the closing brace in column 0). The comments above a function are
# not counted. With no FUNCTION, the names come from the map in FILE's
# header comment: the lines after "Where the concept is", up to the first
# comment line with nothing on it, each starting with "name()".
#
# It prints one line a function, then "concept N" and "file N". A name
# with no definition in FILE is an error (exit 1), so a map cannot name a
# function that does not exist (tests/demo-maps.sh runs this on every demo).
set -eu

[ $# -ge 1 ] || { echo "usage: $0 FILE [FUNCTION...]" >&2; exit 2; }
file=$1
shift
[ -r "$file" ] || { echo "$0: cannot read $file" >&2; exit 2; }

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046 # one word a name
	set -- $(sed -n '/^ \* Where the concept is/,/^ \*$/s/^ \*   *\([a-z_][a-z0-9_]*\)().*/\1/p' "$file")
	[ $# -gt 0 ] || { echo "$0: $file has no map (\"Where the concept is\")" >&2; exit 1; }
fi

status=0
concept=0
for name in "$@"; do
	lines=$(awk -v name="$name" '
		# The line before "name(" at column 0 is the return type.
		{ line[NR] = $0 }
		!inside && index($0, name "(") == 1 { inside = 1; start = NR - 1; next }
		inside && /^}/ { print NR - start + 1; exit }
	' "$file")
	if [ -z "$lines" ]; then
		echo "$file: no definition of $name()" >&2
		status=1
		continue
	fi
	printf '%-28s %4d\n' "$name()" "$lines"
	concept=$((concept + lines))
done
echo "concept $concept"
echo "file $(wc -l <"$file" | tr -d ' ')"
exit $status
