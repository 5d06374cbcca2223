#!/bin/sh
# wait.sh - not written yet.
. "$top_srcdir/tests/lib.sh"
skip_all "the wait demo is not written yet"
