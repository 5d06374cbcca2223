## fuzz/local.mk - libFuzzer harnesses for the parsers of what comes from
## outside: /proc files, sock_diag replies, the command line and the
## judge's spec files (docs/fuzzing.md).
##
##   make fuzz                    each harness for FUZZ_SECONDS (60) seconds
##   make fuzz FUZZ_SECONDS=10    the short run CI makes
##   make fuzz FUZZ_SECONDS=0     only replay the seed corpus
##   make fuzz FUZZ_NAMES=stat    one harness
##
## The harnesses are not automake programs: they are compiled by FUZZ_CC
## (clang) with -fsanitize=fuzzer,address,undefined, from the library
## sources they test, whatever compiler builds the rest.

FUZZ_NAMES = stat status fdinfo locks opts maps sockdiag judgespec record export
FUZZ_SECONDS = 60

FUZZ_EXECUTABLES = \
	fuzz/fuzz_stat \
	fuzz/fuzz_status \
	fuzz/fuzz_fdinfo \
	fuzz/fuzz_locks \
	fuzz/fuzz_opts \
	fuzz/fuzz_maps \
	fuzz/fuzz_sockdiag \
	fuzz/fuzz_judgespec \
	fuzz/fuzz_record \
	fuzz/fuzz_export

FUZZ_HARNESSES = \
	fuzz/fuzz.h \
	fuzz/fuzz_stat.c \
	fuzz/fuzz_status.c \
	fuzz/fuzz_fdinfo.c \
	fuzz/fuzz_locks.c \
	fuzz/fuzz_opts.c \
	fuzz/fuzz_maps.c \
	fuzz/fuzz_sockdiag.c \
	fuzz/fuzz_judgespec.c \
	fuzz/fuzz_record.c \
	fuzz/fuzz_export.c

# Seeds, real text from /proc (and command lines): fuzz/corpus/NAME/.
FUZZ_CORPUS = \
	fuzz/corpus/stat/cat \
	fuzz/corpus/stat/kthreadd \
	fuzz/corpus/stat/parens-in-comm \
	fuzz/corpus/stat/sleeping \
	fuzz/corpus/stat/stopped \
	fuzz/corpus/stat/zombie \
	fuzz/corpus/status/cat \
	fuzz/corpus/status/kthreadd \
	fuzz/corpus/status/sleeping \
	fuzz/corpus/status/zombie \
	fuzz/corpus/fdinfo/epoll \
	fuzz/corpus/fdinfo/eventfd \
	fuzz/corpus/fdinfo/file \
	fuzz/corpus/fdinfo/inotify \
	fuzz/corpus/fdinfo/pipe-read \
	fuzz/corpus/fdinfo/pipe-write \
	fuzz/corpus/locks/flock \
	fuzz/corpus/locks/lease-breaking \
	fuzz/corpus/locks/no-file \
	fuzz/corpus/locks/ofd \
	fuzz/corpus/locks/posix-read-to-eof \
	fuzz/corpus/locks/posix-write \
	fuzz/corpus/locks/waiter-depth-1 \
	fuzz/corpus/locks/waiter-depth-2 \
	fuzz/corpus/opts/common \
	fuzz/corpus/opts/extra \
	fuzz/corpus/opts/grouped \
	fuzz/corpus/opts/help \
	fuzz/corpus/opts/missing \
	fuzz/corpus/opts/nan \
	fuzz/corpus/opts/only \
	fuzz/corpus/opts/operands \
	fuzz/corpus/opts/overflow \
	fuzz/corpus/opts/unknown \
	fuzz/corpus/opts/values \
	fuzz/corpus/judgespec/every-check \
	fuzz/corpus/judgespec/lab-01-reap \
	fuzz/corpus/judgespec/lab-02-pipeline \
	fuzz/corpus/judgespec/lab-03-subreaper \
	fuzz/corpus/judgespec/lab-04-counter \
	fuzz/corpus/maps/anonymous-private \
	fuzz/corpus/maps/anonymous-shared \
	fuzz/corpus/maps/first-lines-of-a-process \
	fuzz/corpus/maps/heap \
	fuzz/corpus/maps/posix-shm-deleted \
	fuzz/corpus/maps/program-text \
	fuzz/corpus/maps/shared-file-deleted-with-spaces \
	fuzz/corpus/maps/stack \
	fuzz/corpus/maps/sysv-segment \
	fuzz/corpus/maps/sysv-segment-id-0 \
	fuzz/corpus/maps/vdso \
	fuzz/corpus/sockdiag/done \
	fuzz/corpus/sockdiag/error \
	fuzz/corpus/sockdiag/socketpairs-and-a-server \
	fuzz/corpus/sockdiag/with-names-and-queues \
	fuzz/corpus/record/deadlock \
	fuzz/corpus/record/exit-codes \
	fuzz/corpus/record/objects \
	fuzz/corpus/record/pipe \
	fuzz/corpus/record/threads \
	fuzz/corpus/export/zombie \
	fuzz/corpus/export/pipe \
	fuzz/corpus/export/deadlock \
	fuzz/corpus/export/hostile

EXTRA_DIST += $(FUZZ_HARNESSES) $(FUZZ_CORPUS) docs/fuzzing.md

# The library sources the parsers need, compiled into each harness.
FUZZ_LIB = \
	$(srcdir)/lib/pl_parse.c \
	$(srcdir)/lib/pl_opts.c \
	$(srcdir)/lib/pl_procfs.c \
	$(srcdir)/lib/pl_measure.c \
	$(srcdir)/lib/pl_maps.c \
	$(srcdir)/lib/pl_sockdiag.c
FUZZ_DEPS = $(FUZZ_LIB) $(srcdir)/fuzz/fuzz.h $(srcdir)/lib/pl_opts.h \
	$(srcdir)/lib/pl_parse.h $(srcdir)/lib/pl_procfs.h $(srcdir)/lib/pl_maps.h \
	$(srcdir)/lib/pl_sockdiag.h config.h
FUZZ_LINK = $(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_builddir) -I$(srcdir)/lib -I$(srcdir)/fuzz
# "FUZZCC fuzz/fuzz_stat" under silent rules, as automake's manual shows.
fuzz_verbose = $(fuzz_verbose_@AM_V@)
fuzz_verbose_ = $(fuzz_verbose_@AM_DEFAULT_V@)
fuzz_verbose_0 = @echo "  FUZZCC  " $@;
fuzz_verbose_1 =

fuzz/fuzz_stat: $(srcdir)/fuzz/fuzz_stat.c $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_stat.c $(FUZZ_LIB)
fuzz/fuzz_status: $(srcdir)/fuzz/fuzz_status.c $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_status.c $(FUZZ_LIB)
fuzz/fuzz_fdinfo: $(srcdir)/fuzz/fuzz_fdinfo.c $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_fdinfo.c $(FUZZ_LIB)
fuzz/fuzz_locks: $(srcdir)/fuzz/fuzz_locks.c $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_locks.c $(FUZZ_LIB)
fuzz/fuzz_opts: $(srcdir)/fuzz/fuzz_opts.c $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_opts.c $(FUZZ_LIB)
fuzz/fuzz_maps: $(srcdir)/fuzz/fuzz_maps.c $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_maps.c $(FUZZ_LIB)
fuzz/fuzz_sockdiag: $(srcdir)/fuzz/fuzz_sockdiag.c $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_sockdiag.c $(FUZZ_LIB)
# The judge's spec parser, with libinih (not instrumented: only our side
# of it is, the callbacks that check each key).
fuzz/fuzz_judgespec: $(srcdir)/fuzz/fuzz_judgespec.c $(srcdir)/judge/spec.c \
		$(srcdir)/judge/spec.h $(FUZZ_DEPS)
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -I$(srcdir)/judge $(INIH_CFLAGS) -o $@ \
		$(srcdir)/fuzz/fuzz_judgespec.c $(srcdir)/judge/spec.c $(FUZZ_LIB) $(INIH_LIBS)

# A recording, as --replay reads it: the reader, and the history and the
# model it is rebuilt into, need most of the library.
FUZZ_RECORD_LIB = $(FUZZ_LIB) \
	$(srcdir)/lib/pl_record.c \
	$(srcdir)/lib/pl_history.c \
	$(srcdir)/lib/pl_history_record.c \
	$(srcdir)/lib/pl_json.c \
	$(srcdir)/lib/pl_model.c \
	$(srcdir)/lib/pl_ipc.c \
	$(srcdir)/lib/pl_waitfor.c \
	$(srcdir)/lib/pl_child.c \
	$(srcdir)/lib/pl_board.c \
	$(srcdir)/lib/pl_lock.c \
	$(srcdir)/lib/pl_name.c \
	$(srcdir)/lib/pl_pidfd.c \
	$(srcdir)/lib/pl_cleanup.c \
	$(srcdir)/lib/pl_io.c
fuzz/fuzz_record: $(srcdir)/fuzz/fuzz_record.c $(FUZZ_RECORD_LIB) $(FUZZ_DEPS) \
		$(srcdir)/lib/pl_record.h $(srcdir)/lib/pl_history.h $(srcdir)/lib/pl_model.h
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_record.c \
		$(FUZZ_RECORD_LIB) $(PTHREAD_CFLAGS)

# A recording, read by the same reader and drawn (lib/pl_export.c); it
# draws with libm.
fuzz/fuzz_export: $(srcdir)/fuzz/fuzz_export.c $(srcdir)/lib/pl_export.c \
		$(srcdir)/lib/pl_export.h $(srcdir)/lib/pl_text.c $(FUZZ_RECORD_LIB) $(FUZZ_DEPS) \
		$(srcdir)/lib/pl_record.h $(srcdir)/lib/pl_history.h
	$(fuzz_verbose)$(MKDIR_P) fuzz && $(FUZZ_LINK) -o $@ $(srcdir)/fuzz/fuzz_export.c \
		$(srcdir)/lib/pl_export.c $(srcdir)/lib/pl_text.c $(FUZZ_RECORD_LIB) \
		$(PTHREAD_CFLAGS) $(LIBM)

if ENABLE_FUZZ
# Each harness starts from its seeds (read-only, in the source tree) and
# keeps what it learns in fuzz/corpus-new/NAME. An input that crashes or
# breaks a promise is saved in fuzz/found/NAME/ and fails the run, after
# every harness has had its turn. -timeout: an input that takes 10 s is a
# hang, and a failure too.
fuzz: $(FUZZ_EXECUTABLES)
	@if test "$(FUZZ_SECONDS)" -eq 0; then limit=-runs=0; \
	else limit=-max_total_time=$(FUZZ_SECONDS); fi; \
	failed=; \
	for name in $(FUZZ_NAMES); do \
	  $(MKDIR_P) fuzz/found/$$name fuzz/corpus-new/$$name || exit 1; \
	  echo "fuzz_$$name: $(FUZZ_SECONDS) s (log: fuzz/$$name.log)"; \
	  if ./fuzz/fuzz_$$name $$limit -timeout=10 -artifact_prefix=fuzz/found/$$name/ \
	      fuzz/corpus-new/$$name $(srcdir)/fuzz/corpus/$$name >fuzz/$$name.log 2>&1; then \
	    grep -E 'DONE|^Done' fuzz/$$name.log | sed 's/^/  /'; \
	  else \
	    tail -n 40 fuzz/$$name.log; \
	    echo "fuzz_$$name FAILED: the input is in fuzz/found/$$name/"; \
	    failed="$$failed $$name"; \
	  fi; \
	done; \
	test -z "$$failed" || { echo "make fuzz: failed:$$failed"; exit 1; }
else
fuzz:
	@echo "make fuzz needs clang with libFuzzer: apt-get install clang, then run configure again (docs/fuzzing.md)"; exit 1
endif
.PHONY: fuzz

CLEANFILES += $(FUZZ_EXECUTABLES)
clean-local: clean-fuzz
clean-fuzz:
	rm -rf fuzz/found fuzz/corpus-new
	rm -f fuzz/stat.log fuzz/status.log fuzz/fdinfo.log fuzz/locks.log fuzz/opts.log \
		fuzz/maps.log fuzz/sockdiag.log fuzz/judgespec.log fuzz/export.log
.PHONY: clean-fuzz
