## dashboard/local.mk - `proclab`, the live ncurses view of a demo's processes
## (issue 4). The model (lib/pl_model.c, pl_ipc.c) reads /proc and knows
## nothing of the screen; text.c prints it as plain snapshots and view.c
## draws it with ncurses.

DASH_TEXT_SOURCES = dashboard/text.c dashboard/text.h

bin_PROGRAMS += proclab
proclab_SOURCES = dashboard/main.c dashboard/view.c dashboard/view.h $(DASH_TEXT_SOURCES)
proclab_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
proclab_LDADD = lib/libproclab.la $(NCURSES_LIBS)

# Unit tests: the board, the wait-for graph, the model on fake /proc trees,
# and text from other processes (lib/pl_text.c) as the dashboard's rows show it.
DASH_UNIT_TESTS = tests/check_board tests/check_waitfor tests/check_model tests/check_text \
	tests/check_history
check_PROGRAMS += $(DASH_UNIT_TESTS) tests/lockcycle tests/sysvshm tests/narrator

tests_check_board_LDADD = $(TEST_LDADD)
tests_check_waitfor_LDADD = $(TEST_LDADD)
tests_check_model_SOURCES = tests/check_model.c $(DASH_TEXT_SOURCES)
tests_check_model_CFLAGS = $(AM_CFLAGS) -DPL_TEST_SRCDIR='"$(abs_top_srcdir)/tests"'
tests_check_model_LDADD = $(TEST_LDADD)
tests_check_history_SOURCES = tests/check_history.c $(DASH_TEXT_SOURCES)
tests_check_history_CFLAGS = $(AM_CFLAGS) -DPL_TEST_SRCDIR='"$(abs_top_srcdir)/tests"'
tests_check_history_LDADD = $(TEST_LDADD)
tests_check_text_SOURCES = tests/check_text.c $(DASH_TEXT_SOURCES)
tests_check_text_LDADD = $(TEST_LDADD)

# lockcycle: a tiny program of the tests' own that deadlocks on purpose.
tests_lockcycle_SOURCES = tests/lockcycle.c
# sysvshm: two processes attached to one System V segment, removed with them.
tests_sysvshm_SOURCES = tests/sysvshm.c
tests_sysvshm_LDADD =
# narrator: names itself and narrates whatever bytes it is given.
tests_narrator_SOURCES = tests/narrator.c

DASH_SCRIPT_TESTS = tests/dashboard.sh tests/dashboard-tty.sh tests/dashboard-pidreuse.sh \
	tests/dashboard-keys.sh tests/dashboard-exec.sh tests/dashboard-record.sh \
	tests/dashboard-history.sh tests/dashboard-oracle.sh
TESTS += $(DASH_UNIT_TESTS) $(DASH_SCRIPT_TESTS)
dist_check_SCRIPTS += $(DASH_SCRIPT_TESTS)
EXTRA_DIST += tests/fakeproc docs/dashboard.md docs/record.md bench/bench.sh bench/record.sh \
	bench/README.md tests/ipc-oracle.py
