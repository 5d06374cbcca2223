#!/bin/sh
# man-options.sh - the manual says what the programs and the library do:
#  - every installed program has a section 1 page, and each page's
#    options (its `.It Fl` lines) are exactly those of the program's
#    --help, in the same words: "-n, --children N";
#  - every such page has an EXIT STATUS, and a demo's page names the
#    lesson that its --help names;
#  - every function of the public headers is named in the NAME section of
#    a section 3 page (so `man 3 pl_fork` finds it, through the links
#    that `make install` makes), and no page names one that is gone;
#  - lab.spec(5)'s example is labs/01-reap/lab.spec as it is.
# It needs no mandoc: tests/man-lint.sh renders and lints.
. "$top_srcdir/tests/lib.sh"
: "${MAN_PAGES:?run through make check}" "${BIN_PROGRAMS:?}" "${PUBLIC_HEADERS:?}"

# The options of a --help text: "  -n, --children N   how many..." gives
# "-n, --children N". An argument is a word in capitals right after the
# option; the description starts after two blanks, or (when the column
# overflows) after one blank and a word that is not in capitals.
help_options() {
	sed -n 's/^  *\(-[A-Za-z0-9], \)\{0,1\}\(--[a-z0-9-]*\)\( [A-Z][A-Z0-9_]*\)\{0,1\}\( .*\)\{0,1\}$/\1\2\3/p'
}

# The options a page lists: ".It Fl n , Fl -children Ar N" gives the same
# "-n, --children N". Only option lists use ".It Fl".
page_options() {
	sed -n 's/^\.It Fl //p' "$1" |
		sed -e 's/ , Fl /, -/' -e 's/ Ar / /' -e 's/\\-/-/g' -e 's/^/-/'
}

# Option lists that differ, line by line, as TAP comments.
same_options() {
	help_options <"$WORK/help" | sort >"$WORK/from-help"
	page_options "$1" | sort >"$WORK/from-page"
	[ -s "$WORK/from-help" ] || { diag "no option found in --help"; return 1; }
	diff "$WORK/from-help" "$WORK/from-page" >"$WORK/diff" && return 0
	diag "--help (<) against the page (>):"
	sed 's/^/#   /' "$WORK/diff"
	return 1
}

has_exit_status() { grep -q '^\.Sh EXIT STATUS' "$1"; }

names_its_lesson() {
	lesson=$(sed -n 's/^Lesson: //p' "$WORK/help")
	[ -z "$lesson" ] || grep -q "^\.It Pa $lesson\$" "$1" ||
		{ diag "--help names $lesson, the page does not"; return 1; }
}

# The names in a page's NAME section, one a line.
man3_names() {
	sed -n '/^\.Sh NAME/,/^\.Nd/s/^\.Nm \([A-Za-z0-9_]*\).*/\1/p' "$1"
}

# The functions a header declares: comments dropped, then every
# pl_name( outside a typedef.
header_functions() {
	awk '
	{
		line = $0; out = ""
		while (line != "") {
			if (in_comment) {
				end = index(line, "*/")
				if (end == 0) { line = ""; break }
				line = substr(line, end + 2); in_comment = 0
			} else {
				start = index(line, "/*")
				if (start == 0) { out = out line; line = "" }
				else { out = out substr(line, 1, start - 1); line = substr(line, start + 2); in_comment = 1 }
			}
		}
		print out
	}' "$1" | grep -v '^ *typedef' | grep -o '\bpl_[a-z0-9_]*[ ]*(' | sed 's/[ (]*$//' | sort -u
}

# A header's identifiers, macros included: a page may name PL_FIELDS.
header_identifiers() {
	grep -ho '\b[A-Za-z_][A-Za-z0-9_]*\b' "$@" | sort -u
}

for page in $MAN_PAGES; do
	case $page in *.1) ;; *) continue ;; esac
	prog=$(basename "$page" .1)
	src="$top_srcdir/$page"
	if [ ! -x "$top_builddir/$prog" ]; then
		tap_count=$((tap_count + 1))
		echo "ok $tap_count - $prog.1 # SKIP $prog is not built in this tree"
		continue
	fi
	"$top_builddir/$prog" --help >"$WORK/help" 2>&1
	check "$prog.1: its options are those of $prog --help" same_options "$src"
	check "$prog.1: has an EXIT STATUS section" has_exit_status "$src"
	check "$prog.1: names the lesson that --help names" names_its_lesson "$src"
done

for prog in $BIN_PROGRAMS; do
	prog=${prog##*/}
	check "$prog has a section 1 page" eval 'echo " $MAN_PAGES " | grep -q " man/$prog.1 "'
done

man3=""
for page in $MAN_PAGES; do
	case $page in *.3) man3="$man3 $top_srcdir/$page" ;; esac
done
for page in $man3; do
	man3_names "$page"
done | sort >"$WORK/named"
headers=""
for h in $PUBLIC_HEADERS; do
	headers="$headers $top_srcdir/$h"
done
for h in $headers; do
	header_functions "$h"
done | sort -u >"$WORK/declared"

every_function_is_named() {
	comm -23 "$WORK/declared" "$WORK/named" >"$WORK/unnamed"
	[ ! -s "$WORK/unnamed" ] && return 0
	diag "declared in a public header, named in no section 3 page:"
	sed 's/^/#   /' "$WORK/unnamed"
	return 1
}
no_name_twice() {
	uniq -d "$WORK/named" >"$WORK/twice"
	[ ! -s "$WORK/twice" ] && return 0
	diag "named in two pages (their links would clash):"
	sed 's/^/#   /' "$WORK/twice"
	return 1
}
no_stale_name() {
	# shellcheck disable=SC2086
	header_identifiers $headers >"$WORK/identifiers"
	for page in $man3; do
		base=$(basename "$page" .3)
		man3_names "$page" | grep -v -x -e "$base" -e libproclab
	done | sort -u | comm -23 - "$WORK/identifiers" >"$WORK/stale"
	[ ! -s "$WORK/stale" ] && return 0
	diag "named in a section 3 page, declared in no public header:"
	sed 's/^/#   /' "$WORK/stale"
	return 1
}
check "the headers declare functions (the test reads them)" [ -s "$WORK/declared" ]
check "every public function is named in a section 3 page" every_function_is_named
check "no name is in two section 3 pages" no_name_twice
check "every name in a section 3 page is in a public header" no_stale_name

spec_example_is_the_lab() {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' "$top_srcdir/man/lab.spec.5" |
		sed -n '/^\.Bd -literal/,/^\.Ed/p' | sed '1d;$d' >"$WORK/example"
	diff "$top_srcdir/labs/01-reap/lab.spec" "$WORK/example" | sed 's/^/# /'
	cmp -s "$top_srcdir/labs/01-reap/lab.spec" "$WORK/example"
}
check "lab.spec(5)'s example is labs/01-reap/lab.spec" spec_example_is_the_lab

plan "$tap_count"
finish
