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
