## man/local.mk - the manual, written by hand in mdoc(7) (issue 15).
## Section 1: every program we install; 3: libproclab, libproclab(3) and a
## page per module; 5: a lab's spec file; 7: proclab, the overview.
## tests/man-options.sh holds each page to its program's --help and to the
## library's headers; tests/man-lint.sh lints them with mandoc and renders
## the installed pages with man -l.

dist_man1_MANS = \
	man/proclab.1 \
	man/proclab-judge.1 \
	man/proclab-export.1 \
	man/proclab-fork.1 \
	man/proclab-exec.1 \
	man/proclab-wait.1 \
	man/proclab-zombie.1 \
	man/proclab-orphan.1 \
	man/proclab-pipe.1 \
	man/proclab-shm.1 \
	man/proclab-queue.1 \
	man/proclab-filelock.1 \
	man/proclab-server.1 \
	man/proclab-ipcbench.1 \
	man/proclab-race.1 \
	man/proclab-prodcons.1 \
	man/proclab-deadlock.1 \
	man/proclab-philosophers.1 \
	man/proclab-threads-vs-procs.1 \
	man/proclab-gil.1 \
	man/proclab-pool.1 \
	man/proclab-multitask.1 \
	man/proclab-fork-threads.1 \
	man/proclab-signals.1 \
	man/proclab-prio-inversion.1 \
	man/proclab-memorder.1

dist_man3_MANS = \
	man/libproclab.3 \
	man/pl_parse.3 \
	man/pl_opts.3 \
	man/pl_json.3 \
	man/pl_narrate.3 \
	man/pl_say.3 \
	man/pl_evidence.3 \
	man/pl_procfs.3 \
	man/pl_pidfd.3 \
	man/pl_child.3 \
	man/pl_cleanup.3 \
	man/pl_demo.3 \
	man/pl_io.3 \
	man/pl_name.3 \
	man/pl_measure.3 \
	man/pl_board.3 \
	man/pl_waitfor.3 \
	man/pl_lock.3 \
	man/pl_maps.3 \
	man/pl_sockdiag.3 \
	man/pl_text.3 \
	man/pl_model.3 \
	man/pl_history.3 \
	man/pl_record.3 \
	man/pl_ipc.3 \
	man/pl_export.3

dist_man5_MANS = man/lab.spec.5
dist_man7_MANS = man/proclab.7

# `man 3 pl_fork` opens pl_child(3): every name in the NAME section of a
# section 3 page gets a link to that page, as OpenBSD's MLINKS do. The
# names are read from the pages themselves, so a function added to a
# page's NAME gets its link with no list to keep in step.
MAN3_LINK_NAMES = $(SED) -n '/^\.Sh NAME/,/^\.Nd/s/^\.Nm \([A-Za-z0-9_]*\).*/\1/p'

install-man3-links:
	@for page in $(dist_man3_MANS); do \
	  base=`basename $$page`; \
	  for name in `$(MAN3_LINK_NAMES) $(srcdir)/$$page`; do \
	    test "$$name.3" = "$$base" && continue; \
	    echo " ln -sf $$base '$(DESTDIR)$(man3dir)/$$name.3'"; \
	    $(LN_S) -f "$$base" "$(DESTDIR)$(man3dir)/$$name.3" || exit 1; \
	  done; \
	done

uninstall-man3-links:
	@for page in $(dist_man3_MANS); do \
	  base=`basename $$page`; \
	  for name in `$(MAN3_LINK_NAMES) $(srcdir)/$$page`; do \
	    test "$$name.3" = "$$base" && continue; \
	    rm -f "$(DESTDIR)$(man3dir)/$$name.3"; \
	  done; \
	done

install-data-hook: install-man3-links
uninstall-hook: uninstall-man3-links
.PHONY: install-man3-links uninstall-man3-links

MAN_TESTS = tests/man-options.sh tests/man-lint.sh
TESTS += $(MAN_TESTS)
dist_check_SCRIPTS += $(MAN_TESTS)
# What the tests hold the pages to: the pages, the programs, the headers.
AM_TESTS_ENVIRONMENT += \
	MAN_PAGES='$(dist_man1_MANS) $(dist_man3_MANS) $(dist_man5_MANS) $(dist_man7_MANS)'; \
	BIN_PROGRAMS='$(bin_PROGRAMS)'; PUBLIC_HEADERS='$(proclabinclude_HEADERS)'; \
	MANDIR='$(mandir)'; export MAN_PAGES BIN_PROGRAMS PUBLIC_HEADERS MANDIR;

# The MPI demos' pages, installed with the demos when Open MPI was found.
MPI_MANS = man/proclab-mpi-pingpong.1 man/proclab-mpi-exchange.1 man/proclab-mpi-ring.1 \
	man/proclab-mpi-die.1
if HAVE_MPI
dist_man1_MANS += $(MPI_MANS)
else
EXTRA_DIST += $(MPI_MANS)
endif
