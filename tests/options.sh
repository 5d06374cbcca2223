#!/bin/sh
# options.sh - every demo takes the common options: --help and --version
# answer on stdout, and a write error is not silent. The bad command lines
# are in options-bad.sh.
. "$top_srcdir/tests/lib.sh"

help_has_usage() { [ "$rc" -eq 0 ] && [ ! -s "$err" ] && head -n 1 "$out" | grep -q "^Usage: $prog "; }
help_lists_common_options() {
	for o in --help --version --quiet --json --step --speed --no-color; do
		grep -q -- "$o" "$out" || { diag "--help does not mention $o"; return 1; }
	done
}
version_is_one_line() { [ "$rc" -eq 0 ] && [ "$(cat "$out")" = "$prog (proclab) $PACKAGE_VERSION" ]; }
full_disk_is_an_error() {
	"$(demo_bin "$demo")" --help >/dev/full 2>"$WORK/full"
	[ $? -ne 0 ] && grep -q "write error" "$WORK/full"
}

set -- $DEMO_NAMES
plan $(($# * 4 + 1))

for demo; do
	prog="proclab-$demo"

	run_demo "$demo" --help
	check "$prog --help: status 0 and a usage line" help_has_usage
	check "$prog --help: lists every common option" help_lists_common_options
	run_demo "$demo" --version
	check "$prog --version" version_is_one_line

	check "$prog --help >/dev/full fails loudly" full_disk_is_an_error
done
check "no demo left a process behind" nothing_left
finish
