## export/local.mk - `proclab-export`, pictures of a recorded run (issue 14):
## a Chrome trace and an SVG timeline, drawn by lib/pl_export.c from what
## `proclab --record FILE` wrote.

bin_PROGRAMS += proclab-export
proclab_export_SOURCES = export/main.c

# The reader's and the drawings' unit tests (tests/check_export.c), and
# the tool on hand-written recordings that also pin the format
# (tests/export/*.jsonl), checked with jq, xmllint and rsvg-convert
# (tests/export.sh).
check_PROGRAMS += tests/check_export
tests_check_export_LDADD = $(TEST_LDADD)
TEST_C_FILES += tests/check_export.c
EXPORT_RECORDINGS = \
	tests/export/zombie.jsonl \
	tests/export/orphan.jsonl \
	tests/export/pipe.jsonl \
	tests/export/deadlock.jsonl \
	tests/export/threads.jsonl \
	tests/export/hostile.jsonl
TESTS += tests/check_export tests/export.sh
dist_check_SCRIPTS += tests/export.sh
EXTRA_DIST += $(EXPORT_RECORDINGS)

# What drawing costs: a synthetic 60 s, 100-process recording
# (bench/export.sh, not a test; docs/benchmarks.md).
EXTRA_DIST += bench/export.sh
