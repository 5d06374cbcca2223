## lib/local.mk - libproclab, the library every demo links.

lib_LTLIBRARIES += lib/libproclab.la

lib_libproclab_la_SOURCES = \
	lib/pl_parse.c \
	lib/pl_opts.c \
	lib/pl_json.c \
	lib/pl_narrate.c \
	lib/pl_say.c \
	lib/pl_evidence.c \
	lib/pl_procfs.c \
	lib/pl_pidfd.c \
	lib/pl_child.c \
	lib/pl_cleanup.c \
	lib/pl_demo.c \
	lib/pl_io.c \
	lib/pl_name.c \
	lib/pl_measure.c \
	lib/pl_lock.c \
	lib/pl_board.c \
	lib/pl_waitfor.c \
	lib/pl_maps.c \
	lib/pl_sockdiag.c \
	lib/pl_text.c \
	lib/pl_model.c \
	lib/pl_history.c \
	lib/pl_history_record.c \
	lib/pl_record.c \
	lib/pl_ipc.c \
	lib/pl_export.c
# libm for the pictures' scales and ticks (pl_export.c).
lib_libproclab_la_LIBADD = $(LIBM)
lib_libproclab_la_LDFLAGS = -version-info $(PROCLAB_LT_VERSION) $(PTHREAD_CFLAGS)

# Installed as $(includedir)/proclab/*.h; pkg-config points -I there.
proclabincludedir = $(includedir)/proclab
proclabinclude_HEADERS = \
	lib/proclab.h \
	lib/pl_parse.h \
	lib/pl_opts.h \
	lib/pl_json.h \
	lib/pl_narrate.h \
	lib/pl_say.h \
	lib/pl_evidence.h \
	lib/pl_procfs.h \
	lib/pl_pidfd.h \
	lib/pl_child.h \
	lib/pl_cleanup.h \
	lib/pl_demo.h \
	lib/pl_io.h \
	lib/pl_name.h \
	lib/pl_measure.h \
	lib/pl_lock.h \
	lib/pl_board.h \
	lib/pl_waitfor.h \
	lib/pl_maps.h \
	lib/pl_sockdiag.h \
	lib/pl_text.h \
	lib/pl_model.h \
	lib/pl_history.h \
	lib/pl_record.h \
	lib/pl_ipc.h \
	lib/pl_export.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = lib/proclab.pc
EXTRA_DIST += lib/proclab.pc.in
