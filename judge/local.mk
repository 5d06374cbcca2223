## judge/local.mk - `proclab-judge`, which grades what a program's processes
## do (issue 13). It watches them with the library's model (lib/pl_model.h,
## the dashboard's too) and reads each lab's spec (spec.c,
## docs/judge-spec.md) with libinih.

bin_PROGRAMS += proclab-judge
proclab_judge_SOURCES = judge/main.c judge/run.c judge/run.h judge/spec.c judge/spec.h
proclab_judge_CPPFLAGS = $(AM_CPPFLAGS) -DPROCLAB_LABS_DIR='"$(pkgdatadir)/labs"'
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
	tests/judge/unreaped.c \
	tests/judge/whoami.c \
	tests/judge/strayfd.c \
	tests/judge/tellpid.c \
	tests/judge/cloexec.c \
	tests/judge/spinners.c \
	tests/judge/flockcycle.c \
	tests/judge/alternate.c \
	tests/judge/hog.c \
	tests/judge/chain.c
TESTS += tests/judge.sh tests/judge-cost.sh tests/judge-user.sh tests/judge-report.sh \
	tests/judge-spec.sh tests/judge-fds.sh tests/judge-checks.sh tests/judge-speedup.sh
dist_check_SCRIPTS += tests/judge.sh tests/judge-cost.sh tests/judge-user.sh \
	tests/judge-report.sh tests/judge-spec.sh tests/judge-fds.sh tests/judge-checks.sh \
	tests/judge-speedup.sh
EXTRA_DIST += $(JUDGE_CASES) tests/judge/all.spec
# reuse-pid: gives the PID of a reaped process to a stranger, to see that
# the judge's clean-up leaves the stranger alone.
check_PROGRAMS += tests/reuse-pid
tests_reuse_pid_SOURCES = tests/reuse-pid.c

# The spec reader's unit tests: what it takes, and each error's line and key.
check_PROGRAMS += tests/check_spec
tests_check_spec_SOURCES = tests/check_spec.c judge/spec.c judge/spec.h
tests_check_spec_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/judge
tests_check_spec_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
tests_check_spec_LDADD = $(TEST_LDADD) $(INIH_LIBS)
TESTS += tests/check_spec

# What the judge costs: its own CPU while it watches, a lab's grading
# time, many submissions (bench/judge.sh, not a test; docs/judge-bench.md).
EXTRA_DIST += bench/judge.sh docs/judge-bench.md

# For instructors: writing a lab, grading, adding a demo, exercises.
EXTRA_DIST += docs/instructors.md
