#!/bin/sh
# man-lint.sh - the manual as it is installed: `make install-man` into a
# DESTDIR, then every page is linted with mandoc -Tlint and rendered with
# man -l without a warning, and every name in a section 3 page's NAME
# finds its page with man 3 NAME (the links of install-man3-links).
# Skips when mandoc is missing (apt-get install mandoc); the renders need
# man-db's man, and are skipped without it.
. "$top_srcdir/tests/lib.sh"
: "${MAN_PAGES:?run through make check}" "${MANDIR:?}"
command -v mandoc >/dev/null ||
	skip_all "mandoc not installed (apt-get install mandoc): the manual is not linted"

dest="$WORK/root"
man="$dest$MANDIR"
installed() { echo "$man/man${1##*.}/$(basename "$1")"; }

check "make install-man puts the pages and their links in a DESTDIR" \
	eval '$MAKE -C "$top_builddir" install-man install-man3-links DESTDIR="$dest" \
		>"$WORK/install.log" 2>&1 || { sed "s/^/# /" "$WORK/install.log"; false; }'

# mandoc's messages about a page. It looks a reference up in the
# system's manual, where ours are not installed: a page of ours (by its
# name) must be in the DESTDIR instead, and a manual of the system that
# this machine lacks (manpages-dev may not be installed) is no fault of
# the page. (mandoc's notes on its own database go to stderr.)
lint_clean() {
	mandoc -Tlint "$1" 2>/dev/null >"$WORK/lint"
	while IFS= read -r line; do
		case $line in
		*"referenced manual not found: Xr "*)
			ref=${line##*Xr }
			ref_sec=${ref#* }
			ref_sec=${ref_sec%% *}
			ref=${ref%% *}.$ref_sec
			case $ref in
			proclab* | libproclab.* | lab.spec.* | pl_* | PL_*)
				[ -e "$man/man$ref_sec/$ref" ] || echo "$line"
				;;
			esac
			;;
		*) echo "$line" ;;
		esac
	done <"$WORK/lint" >"$WORK/left"
	[ ! -s "$WORK/left" ] && return 0
	sed 's/^/# /' "$WORK/left"
	return 1
}

# man -l through groff, as a reader sees it, with groff's warnings on.
renders_clean() {
	MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings -l "$1" >"$WORK/text" 2>"$WORK/warn"
	[ -s "$WORK/text" ] && [ ! -s "$WORK/warn" ] && return 0
	sed 's/^/# /' "$WORK/warn"
	return 1
}

have_man=false
command -v man >/dev/null && have_man=true
for page in $MAN_PAGES; do
	file=$(installed "$page")
	name=$(basename "$page")
	check "$name: installed" [ -f "$file" ]
	check "$name: mandoc -Tlint finds nothing" lint_clean "$file"
	if $have_man; then
		check "$name: man -l renders it without a warning" renders_clean "$file"
	else
		tap_count=$((tap_count + 1))
		echo "ok $tap_count - $name: man -l # SKIP man is not installed"
	fi
done

# man 3 NAME opens the page that names NAME, for every name of every page.
every_name_finds_its_page() {
	page=$1
	base=$(basename "$page")
	sed -n '/^\.Sh NAME/,/^\.Nd/s/^\.Nm \([A-Za-z0-9_]*\).*/\1/p' "$top_srcdir/$page" |
		while read -r name; do
			# man-db answers with the page the link points to.
			found=$(MANPATH="$man" man -w 3 "$name" 2>/dev/null)
			[ -n "$found" ] && [ "$found" -ef "$man/man3/$base" ] ||
				echo "man 3 $name opens '$found', not $base"
		done >"$WORK/lost"
	[ ! -s "$WORK/lost" ] && return 0
	sed 's/^/# /' "$WORK/lost"
	return 1
}
for page in $MAN_PAGES; do
	case $page in *.3) ;; *) continue ;; esac
	if $have_man; then
		check "$(basename "$page"): man 3 finds it by each of its names" \
			every_name_finds_its_page "$page"
	fi
done

plan "$tap_count"
finish
