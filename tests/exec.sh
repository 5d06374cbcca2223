#!/bin/sh
# exec.sh - not written yet.
. "$top_srcdir/tests/lib.sh"
skip_all "the exec demo is not written yet"
