#!/bin/sh
# pipe.sh - not written yet.
. "$top_srcdir/tests/lib.sh"
skip_all "the pipe demo is not written yet"
