## tests/local.mk - unit tests (Check), demo runs and terminal tests.
## Every test speaks TAP, so `make check` prints one line per assertion.

TEST_EXTENSIONS = .sh .spec
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
# Each shell test runs under tests/reaper, which adopts and reaps orphans.
SH_LOG_COMPILER = $(top_builddir)/tests/reaper $(SHELL)
# A lab's lab.spec is a test too: tests/labs.sh grades its versions.
SPEC_LOG_DRIVER = $(LOG_DRIVER)
SPEC_LOG_COMPILER = $(top_builddir)/tests/reaper $(SHELL) $(top_srcdir)/tests/labs.sh

# Check writes TAP to stdout with these; CK_VERBOSITY=silent keeps it clean.
AM_TESTS_ENVIRONMENT = \
	CK_TAP_LOG_FILE_NAME=-; CK_VERBOSITY=silent; \
	top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	MAKE='$(MAKE)'; CC='$(CC)'; JQ='$(JQ)'; TMUX_BIN='$(TMUX)'; \
	PACKAGE_VERSION='$(PACKAGE_VERSION)'; DEMO_NAMES='$(DEMO_NAMES)'; \
	MPI_DEMO_NAMES='$(MPI_DEMO_NAMES)'; USER_CFLAGS='$(CFLAGS)'; USER_LDFLAGS='$(LDFLAGS)'; \
	export CK_TAP_LOG_FILE_NAME CK_VERBOSITY top_builddir top_srcdir MAKE CC JQ TMUX_BIN \
	PACKAGE_VERSION DEMO_NAMES MPI_DEMO_NAMES USER_CFLAGS USER_LDFLAGS;

# Each unit test is tests/check_<module>.c (automake's default source for
# tests/check_<module>) and links Check as well as libproclab.
TEST_LDADD = $(LDADD) $(CHECK_LIBS)

TEST_C_FILES = \
	tests/check_parse.c \
	tests/check_opts.c \
	tests/check_json.c \
	tests/check_procfs.c \
	tests/check_pidfd.c \
	tests/check_child.c \
	tests/check_cleanup.c \
	tests/check_io.c \
	tests/check_name.c \
	tests/check_measure.c \
	tests/check_lock.c \
	tests/check_maps.c \
	tests/check_say.c \
	tests/check_evidence.c \
	tests/check_record.c \
	tests/reaper.c \
	tests/fault-shim.c \
	tests/json-keys.c \
	tests/sweep-trial.c \
	tests/sweep-leaker.c \
	tests/check_main.h

UNIT_TESTS = \
	tests/check_parse \
	tests/check_opts \
	tests/check_json \
	tests/check_procfs \
	tests/check_pidfd \
	tests/check_child \
	tests/check_cleanup \
	tests/check_io \
	tests/check_name \
	tests/check_measure \
	tests/check_lock \
	tests/check_maps \
	tests/check_say \
	tests/check_evidence \
	tests/check_record

check_PROGRAMS += $(UNIT_TESTS) tests/reaper tests/json-keys

tests_check_parse_LDADD = $(TEST_LDADD)
tests_check_opts_LDADD = $(TEST_LDADD)
tests_check_json_LDADD = $(TEST_LDADD)
tests_check_procfs_LDADD = $(TEST_LDADD)
tests_check_pidfd_LDADD = $(TEST_LDADD)
tests_check_child_LDADD = $(TEST_LDADD)
tests_check_cleanup_LDADD = $(TEST_LDADD)
tests_check_io_LDADD = $(TEST_LDADD)
tests_check_name_LDADD = $(TEST_LDADD)
tests_check_measure_LDADD = $(TEST_LDADD)
tests_check_lock_LDADD = $(TEST_LDADD)
tests_check_maps_LDADD = $(TEST_LDADD)
tests_check_say_LDADD = $(TEST_LDADD)
tests_check_evidence_LDADD = $(TEST_LDADD)
# The recordings of real runs it reads are in tests/record/.
tests_check_record_LDADD = $(TEST_LDADD)
tests_check_record_CFLAGS = $(AM_CFLAGS) -DPL_TEST_SRCDIR='"$(abs_top_srcdir)/tests"'

# reaper: runs a command as a child subreaper and reaps every descendant,
# so the demo tests leave no zombies even when they kill a demo's parent.
tests_reaper_SOURCES = tests/reaper.c

# json-keys: a strict reader of JSON lines that finds a name given twice
# in one object, which jq would not tell (tests/json-keys.sh).
tests_json_keys_SOURCES = tests/json-keys.c
tests_json_keys_LDADD =

# fault-shim: an LD_PRELOAD module for tests/ipcbench.sh that kills a
# receiver as it connects, or has a stranger connect first. A module
# needs -rpath to be built shared; it is never installed.
check_LTLIBRARIES = tests/fault-shim.la
tests_fault_shim_la_SOURCES = tests/fault-shim.c
tests_fault_shim_la_LDFLAGS = -module -avoid-version -rpath /nowhere

DEMO_TESTS = \
	tests/ipcns.sh \
	tests/options.sh \
	tests/options-bad.sh \
	tests/fork.sh \
	tests/exec.sh \
	tests/wait.sh \
	tests/zombie.sh \
	tests/orphan.sh \
	tests/pipe.sh \
	tests/shm.sh \
	tests/queue.sh \
	tests/filelock.sh \
	tests/server.sh \
	tests/ipcbench.sh \
	tests/race.sh \
	tests/prodcons.sh \
	tests/deadlock.sh \
	tests/philosophers.sh \
	tests/threads-vs-procs.sh \
	tests/gil.sh \
	tests/pool.sh \
	tests/multitask.sh \
	tests/json-keys.sh \
	tests/fork-threads.sh \
	tests/signals.sh \
	tests/prio-inversion.sh \
	tests/memorder.sh \
	tests/lessons.sh \
	tests/demo-maps.sh \
	tests/pkgconfig.sh \
	tests/tty.sh

TESTS += $(UNIT_TESTS) $(DEMO_TESTS)
dist_check_SCRIPTS += $(DEMO_TESTS)

# The bare programs of examples/, run and checked from outside, and the
# lessons' C blocks compared with the files they quote.
TESTS += tests/examples.sh tests/lesson-code.sh
dist_check_SCRIPTS += tests/examples.sh tests/lesson-code.sh
EXTRA_DIST += tests/lib.sh tests/tmux.sh tests/check_main.h
# Recordings of real runs of the demos, which tests/check_record reads
# through both the replay and the exporter.
EXTRA_DIST += \
	tests/record/zombie.jsonl \
	tests/record/deadlock.jsonl \
	tests/record/pipe.jsonl

# The interrupt sweep's trial (docs/sweeps.md): tests/sweep-trial runs a
# demo, interrupts it and lists what it left; sweep-self.sh checks that it
# finds all that tests/sweep-leaker leaves. The leaker links nothing of
# ours, so it is a plain program even in a shared build.
check_PROGRAMS += tests/sweep-trial tests/sweep-leaker
tests_sweep_trial_SOURCES = tests/sweep-trial.c
tests_sweep_leaker_SOURCES = tests/sweep-leaker.c
tests_sweep_leaker_LDADD =
TESTS += tests/sweep-self.sh
dist_check_SCRIPTS += tests/sweep-self.sh

# tests/truth.sh measures the facts the lessons state (issue 17), each
# with a small probe of its own in tests/truth/: C programs built here,
# which link nothing of ours, and Python scripts.
TRUTH_PROBES = \
	tests/truth/switches \
	tests/truth/mutex-spin \
	tests/truth/shared-offset \
	tests/truth/orphan-thread \
	tests/truth/wchar \
	tests/truth/vfork-thread \
	tests/truth/killable
check_PROGRAMS += $(TRUTH_PROBES)
tests_truth_switches_LDADD =
tests_truth_mutex_spin_LDADD =
tests_truth_shared_offset_LDADD =
tests_truth_orphan_thread_LDADD =
tests_truth_wchar_LDADD =
tests_truth_vfork_thread_LDADD =
tests_truth_killable_LDADD =
TEST_C_FILES += \
	tests/truth/switches.c \
	tests/truth/mutex-spin.c \
	tests/truth/shared-offset.c \
	tests/truth/orphan-thread.c \
	tests/truth/wchar.c \
	tests/truth/vfork-thread.c \
	tests/truth/killable.c
EXTRA_DIST += \
	tests/truth/mp-value.py \
	tests/truth/dictproxy.py \
	tests/truth/queues.py \
	tests/truth/gil-state.py
TESTS += tests/truth.sh
dist_check_SCRIPTS += tests/truth.sh

# `make sweep`: every demo interrupted at random moments, SIGINT then
# SIGKILL, and what each trial left (tests/sweep-interrupt.sh). Not in
# `make check`: it takes minutes. Options go in SWEEP_FLAGS, for example
# make sweep SWEEP_FLAGS='--trials 10 --seed 42'.
SWEEP_FLAGS = --trials 3
EXTRA_DIST += tests/sweep-interrupt.sh docs/sweeps.md
sweep: $(bin_PROGRAMS) tests/sweep-trial$(EXEEXT)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	DEMO_NAMES='$(DEMO_NAMES)' $(SHELL) $(top_srcdir)/tests/sweep-interrupt.sh $(SWEEP_FLAGS)
.PHONY: sweep

# The MPI demos' tests (lesson 21): they skip in a build without Open MPI.
MPI_TESTS = tests/mpi-pingpong.sh tests/mpi-exchange.sh tests/mpi-ring.sh \
	tests/mpi-die.sh
TESTS += $(MPI_TESTS)
dist_check_SCRIPTS += $(MPI_TESTS)
EXTRA_DIST += tests/mpi-lib.sh tests/mpi-stall.c
# mpi-stall: an LD_PRELOAD module for tests/mpi-exchange.sh that makes MPI
# rank 0 lose its CPU at a chosen moment, as on a busy machine.
if HAVE_MPI
check_LTLIBRARIES += tests/mpi-stall.la
tests_mpi_stall_la_SOURCES = tests/mpi-stall.c
tests_mpi_stall_la_CPPFLAGS = $(MPI_CFLAGS)
tests_mpi_stall_la_LIBADD = $(MPI_LIBS)
tests_mpi_stall_la_LDFLAGS = -module -avoid-version -rpath /nowhere
endif
