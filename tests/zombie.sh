#!/bin/sh
# zombie.sh - not written yet.
. "$top_srcdir/tests/lib.sh"
skip_all "the zombie demo is not written yet"
