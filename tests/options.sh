#!/bin/sh
# options.sh - every demo takes the common options and rejects bad ones
# with one clear line, a hint to try --help, and exit status 2.
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
plan $(($# * 13 + 1))

for demo; do
	prog="proclab-$demo"

	run_demo "$demo" --help
	check "$prog --help: status 0 and a usage line" help_has_usage
	check "$prog --help: lists every common option" help_lists_common_options
	run_demo "$demo" --version
	check "$prog --version" version_is_one_line

	check "$prog: unknown long option" rejects "$demo" --bogus
	check "$prog: unknown short option" rejects "$demo" -Z
	check "$prog: --speed 0" rejects "$demo" --speed 0
	check "$prog: --speed -1" rejects "$demo" --speed -1
	check "$prog: --speed with trailing garbage" rejects "$demo" --speed 2x
	check "$prog: --speed that overflows" rejects "$demo" --speed 1e999
	check "$prog: --speed nan" rejects "$demo" --speed nan
	check "$prog: --speed without a value" rejects "$demo" --speed
	check "$prog: a flag given a value" rejects "$demo" --json=yes
	check "$prog --help >/dev/full fails loudly" full_disk_is_an_error
done
check "no demo left a process behind" nothing_left
finish
