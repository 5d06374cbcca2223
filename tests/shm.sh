#!/bin/sh
# shm.sh - not written yet.
. "$top_srcdir/tests/lib.sh"
skip_all "the shm demo is not written yet"
