## examples/local.mk - the bare programs the lessons quote: one concept each,
## plain C and POSIX, no libproclab, a screen or so of code. They are built
## by `make` and run by tests/examples.sh, but not installed: a student
## copies one and builds it with a bare `cc file.c` (each header comment
## says which flags it needs).

EXAMPLE_NAMES = fork exec wait zombie sigchld orphan pipe shm queue filelock race prodcons \
	server deadlock philosophers threads-vs-procs gil pool multitask fork-threads cloexec \
	signals memorder ipcbench prio-inversion debugging

EXAMPLE_C_FILES = \
	examples/fork.c \
	examples/exec.c \
	examples/wait.c \
	examples/zombie.c \
	examples/sigchld.c \
	examples/orphan.c \
	examples/pipe.c \
	examples/shm.c \
	examples/queue.c \
	examples/filelock.c \
	examples/server.c \
	examples/race.c \
	examples/prodcons.c \
	examples/deadlock.c \
	examples/philosophers.c \
	examples/threads-vs-procs.c \
	examples/gil.c \
	examples/pool.c \
	examples/multitask.c \
	examples/fork-threads.c \
	examples/cloexec.c \
	examples/signals.c \
	examples/memorder.c \
	examples/ipcbench.c \
	examples/prio-inversion.c \
	examples/debugging.c

# Our CC adds -std=c11, which hides POSIX; a bare `cc` (gnu17) shows it.
# The examples include no config.h, so they ask for POSIX here. They link
# nothing of ours (configure adds -lrt to LIBS where shm_open and mq_open
# need it: glibc before 2.34).
EXAMPLE_CPPFLAGS = -D_DEFAULT_SOURCE

noinst_PROGRAMS += \
	examples/fork \
	examples/exec \
	examples/wait \
	examples/zombie \
	examples/sigchld \
	examples/orphan \
	examples/pipe \
	examples/shm \
	examples/queue \
	examples/filelock \
	examples/server \
	examples/race \
	examples/prodcons \
	examples/deadlock \
	examples/philosophers \
	examples/threads-vs-procs \
	examples/gil \
	examples/pool \
	examples/multitask \
	examples/fork-threads \
	examples/cloexec \
	examples/signals \
	examples/memorder \
	examples/ipcbench \
	examples/prio-inversion \
	examples/debugging

examples_fork_SOURCES = examples/fork.c
examples_fork_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_fork_LDADD =
examples_wait_SOURCES = examples/wait.c
examples_wait_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_wait_LDADD =
examples_zombie_SOURCES = examples/zombie.c
examples_zombie_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_zombie_LDADD =
examples_sigchld_SOURCES = examples/sigchld.c
examples_sigchld_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_sigchld_LDADD =
examples_orphan_SOURCES = examples/orphan.c
examples_orphan_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_orphan_LDADD =
examples_pipe_SOURCES = examples/pipe.c
examples_pipe_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_pipe_LDADD =
examples_shm_SOURCES = examples/shm.c
examples_shm_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_shm_LDADD =
examples_queue_SOURCES = examples/queue.c
examples_queue_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_queue_LDADD =
examples_filelock_SOURCES = examples/filelock.c
examples_filelock_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_filelock_LDADD =
examples_race_SOURCES = examples/race.c
examples_race_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_race_LDADD =
examples_prodcons_SOURCES = examples/prodcons.c
examples_prodcons_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_prodcons_LDADD =
examples_deadlock_SOURCES = examples/deadlock.c
examples_deadlock_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_deadlock_LDADD =
examples_fork_threads_SOURCES = examples/fork-threads.c
examples_fork_threads_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_fork_threads_LDADD =
examples_signals_SOURCES = examples/signals.c
examples_signals_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_signals_LDADD =
examples_cloexec_SOURCES = examples/cloexec.c
examples_cloexec_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_cloexec_LDADD =
examples_memorder_SOURCES = examples/memorder.c
examples_memorder_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_memorder_LDADD =
examples_exec_SOURCES = examples/exec.c
examples_exec_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_exec_LDADD =
examples_philosophers_SOURCES = examples/philosophers.c
examples_philosophers_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_philosophers_LDADD =
examples_threads_vs_procs_SOURCES = examples/threads-vs-procs.c
examples_threads_vs_procs_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_threads_vs_procs_LDADD =
examples_pool_SOURCES = examples/pool.c
examples_pool_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_pool_LDADD =
examples_multitask_SOURCES = examples/multitask.c
examples_multitask_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_multitask_LDADD =
examples_server_SOURCES = examples/server.c
examples_server_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_server_LDADD =
examples_gil_SOURCES = examples/gil.c
examples_gil_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_gil_LDADD =
examples_ipcbench_SOURCES = examples/ipcbench.c
examples_ipcbench_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_ipcbench_LDADD =
examples_prio_inversion_SOURCES = examples/prio-inversion.c
examples_prio_inversion_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_prio_inversion_LDADD =
examples_debugging_SOURCES = examples/debugging.c
examples_debugging_CPPFLAGS = $(EXAMPLE_CPPFLAGS)
examples_debugging_LDADD =
