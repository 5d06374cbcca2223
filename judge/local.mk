## judge/local.mk - `proclab-judge`, which grades what a program's processes
## do (issue 13). It watches them with the dashboard's model (model.c,
## ipc.c) and reads each lab's spec (spec.c, docs/judge-spec.md) with libinih.

bin_PROGRAMS += proclab-judge
proclab_judge_SOURCES = judge/main.c judge/run.c judge/run.h judge/spec.c judge/spec.h \
	dashboard/model.c dashboard/model.h dashboard/ipc.c
proclab_judge_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/dashboard \
	-DPROCLAB_LABS_DIR='"$(pkgdatadir)/labs"'
proclab_judge_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
proclab_judge_LDADD = lib/libproclab.la $(INIH_LIBS)

EXTRA_DIST += docs/judge-spec.md

# The judge's own tests: programs that misbehave in every way a student's
# can (tests/judge/*.c), graded against one spec, and bad labs.
JUDGE_CASES = \
	tests/judge/ok.c \
	tests/judge/forkbomb.c \
	tests/judge/noterm.c \
	tests/judge/closeout.c \
	tests/judge/flood.c \
	tests/judge/segv.c \
	tests/judge/deadlock.c \
	tests/judge/spin.c \
	tests/judge/grandchild.c \
	tests/judge/leak.c \
	tests/judge/zombie.c \
	tests/judge/strayfd.c
TESTS += tests/judge.sh
dist_check_SCRIPTS += tests/judge.sh
EXTRA_DIST += $(JUDGE_CASES) tests/judge/all.spec
