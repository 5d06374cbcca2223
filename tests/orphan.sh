#!/bin/sh
# orphan.sh - not written yet.
. "$top_srcdir/tests/lib.sh"
skip_all "the orphan demo is not written yet"
