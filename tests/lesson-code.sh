#!/bin/sh
# lesson-code.sh - every C block in a lesson is code a compiler sees: it is
# a region of a program in examples/, character for character.
#
# A lesson's C block is a ```c fence right after a line
#     <!-- code: examples/NAME.c REGION -->
# and REGION is marked in that file by a line /* lesson: REGION */ before
# it and the next line /* end */ after it. The block is the lines between
# the two markers, less the indentation of the first marker, so a region
# inside a function reads flush left. Without REGION, the block is the
# whole file less its marker lines. (lessons/README.md says this for the
# lessons' writers.)
. "$top_srcdir/tests/lib.sh"

cd "$top_srcdir" || exit 99

# blocks: one line per C block, "LESSON LINE SOURCE REGION" (SOURCE "-"
# when the line above the fence names none).
awk '
	FNR == 1 { above = "" }
	/^```c[[:space:]]*$/ {
		src = "-"; region = ""
		if (above ~ /^<!-- code: [^ ]+( [^ ]+)? -->$/) {
			n = split(above, w, " "); src = w[3]; region = (n == 5) ? w[4] : ""
		}
		print FILENAME, FNR, src, region
	}
	{ above = $0 }
' lessons/*.md lessons/instructor/*.md >"$WORK/blocks"

count=$(wc -l <"$WORK/blocks")
[ "$count" -gt 0 ] || skip_all "no C blocks in the lessons"
plan "$count"

# block LESSON LINE: the body of the fence that starts at LINE.
block() {
	awk -v start="$2" 'NR > start && /^```[[:space:]]*$/ { exit } NR > start' "$1"
}

# region FILE [NAME]: the lines the lesson must show.
region() {
	[ -f "$1" ] || { echo "# no file $1"; return 1; }
	awk -v name="${2:-}" '
		function strip(line) {
			if (substr(line, 1, length(indent)) == indent)
				return substr(line, length(indent) + 1)
			return line
		}
		/^[[:space:]]*\/\* lesson: [^ ]+ \*\/$/ {
			if (name != "" && $3 == name) { inside = 1; found = 1
				indent = $0; sub(/[^[:space:]].*/, "", indent); next }
			if (name == "") next
		}
		/^[[:space:]]*\/\* end \*\/$/ { if (inside) exit; if (name == "") next }
		name == "" || inside { print (inside ? strip($0) : $0) }
		END { if (name != "" && !found) { print "# no region " name; exit 1 } }
	' "$1"
}

while read -r lesson line src name; do
	desc="$lesson:$line quotes ${src}${name:+ $name}"
	if [ "$src" = - ]; then
		check "$lesson:$line names its source in a <!-- code: examples/FILE.c REGION --> line" false
		continue
	fi
	case $src in
	examples/*.c) ;;
	*)
		check "$desc, a file of examples/" false
		continue
		;;
	esac
	block "$lesson" "$line" >"$WORK/want"
	if ! region "$src" "$name" >"$WORK/got"; then
		check "$desc" false
		grep '^# ' "$WORK/got"
		continue
	fi
	check "$desc" cmp -s "$WORK/want" "$WORK/got" ||
		diff "$WORK/got" "$WORK/want" | sed -n '1,12s/^/# /p'
done <"$WORK/blocks"
finish
