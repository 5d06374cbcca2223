## demos/local.mk - one program per concept, installed as proclab-<concept>.
## To add a demo: its name in DEMO_NAMES, its file in DEMO_C_FILES, and a
## bin_PROGRAMS entry with its _SOURCES like the others. It links
## libproclab through the default LDADD of Makefile.am.

# The concepts, as the tests see them: each is demos/NAME.c, proclab-NAME
# and lessons/NN-NAME.md.
DEMO_NAMES = fork exec wait zombie orphan pipe shm queue filelock server ipcbench race prodcons deadlock philosophers threads-vs-procs gil pool multitask fork-threads signals prio-inversion memorder

DEMO_C_FILES = \
	demos/fork.c \
	demos/exec.c \
	demos/wait.c \
	demos/zombie.c \
	demos/orphan.c \
	demos/pipe.c \
	demos/shm.c \
	demos/queue.c \
	demos/filelock.c \
	demos/server.c \
	demos/ipcbench.c \
	demos/race.c \
	demos/prodcons.c \
	demos/deadlock.c \
	demos/philosophers.c \
	demos/threads-vs-procs.c \
	demos/gil.c \
	demos/pool.c \
	demos/multitask.c \
	demos/fork-threads.c \
	demos/signals.c \
	demos/prio-inversion.c \
	demos/memorder.c

bin_PROGRAMS += proclab-fork
proclab_fork_SOURCES = demos/fork.c

bin_PROGRAMS += proclab-exec
proclab_exec_SOURCES = demos/exec.c

bin_PROGRAMS += proclab-wait
proclab_wait_SOURCES = demos/wait.c

bin_PROGRAMS += proclab-zombie
proclab_zombie_SOURCES = demos/zombie.c

bin_PROGRAMS += proclab-orphan
proclab_orphan_SOURCES = demos/orphan.c

bin_PROGRAMS += proclab-pipe
proclab_pipe_SOURCES = demos/pipe.c

bin_PROGRAMS += proclab-shm
proclab_shm_SOURCES = demos/shm.c

bin_PROGRAMS += proclab-queue
proclab_queue_SOURCES = demos/queue.c

bin_PROGRAMS += proclab-filelock
proclab_filelock_SOURCES = demos/filelock.c

bin_PROGRAMS += proclab-server
proclab_server_SOURCES = demos/server.c

bin_PROGRAMS += proclab-ipcbench
proclab_ipcbench_SOURCES = demos/ipcbench.c

bin_PROGRAMS += proclab-race
proclab_race_SOURCES = demos/race.c

bin_PROGRAMS += proclab-prodcons
proclab_prodcons_SOURCES = demos/prodcons.c

bin_PROGRAMS += proclab-deadlock
proclab_deadlock_SOURCES = demos/deadlock.c

bin_PROGRAMS += proclab-philosophers
proclab_philosophers_SOURCES = demos/philosophers.c

bin_PROGRAMS += proclab-threads-vs-procs
proclab_threads_vs_procs_SOURCES = demos/threads-vs-procs.c
proclab_threads_vs_procs_LDADD = $(LDADD) $(LIBM)

bin_PROGRAMS += proclab-gil
proclab_gil_SOURCES = demos/gil.c

bin_PROGRAMS += proclab-pool
proclab_pool_SOURCES = demos/pool.c

bin_PROGRAMS += proclab-multitask
proclab_multitask_SOURCES = demos/multitask.c

bin_PROGRAMS += proclab-fork-threads
proclab_fork_threads_SOURCES = demos/fork-threads.c

bin_PROGRAMS += proclab-signals
proclab_signals_SOURCES = demos/signals.c

bin_PROGRAMS += proclab-prio-inversion
proclab_prio_inversion_SOURCES = demos/prio-inversion.c

bin_PROGRAMS += proclab-memorder
proclab_memorder_SOURCES = demos/memorder.c

# How many lines of a demo are its concept: the functions its header's map
# names (docs/readability.md; tests/demo-maps.sh checks the maps).
EXTRA_DIST += bench/concept-lines.sh docs/readability.md

# The MPI demos (lesson 21, the lesson of all four) are in demos/mpi/:
# demos/mpi/NAME.c is proclab-mpi-NAME, and demos/mpi/launch.c, which every
# one of them links, is their plumbing (starting mpirun on itself), not a
# demo. They are built only when configure found Open MPI (--with-mpi), and
# are not in DEMO_NAMES, whose demos every build has. libproclab does not
# need MPI: the plumbing calls it, so it stays out of lib/.
MPI_DEMO_NAMES = mpi-pingpong mpi-exchange mpi-ring mpi-die
MPI_LAUNCH_FILES = demos/mpi/launch.c demos/mpi/launch.h
MPI_DEMO_C_FILES = $(MPI_LAUNCH_FILES) demos/mpi/pingpong.c demos/mpi/exchange.c \
	demos/mpi/ring.c demos/mpi/die.c
MPI_DEMO_CPPFLAGS = $(AM_CPPFLAGS) $(MPI_CFLAGS)
MPI_DEMO_LDADD = $(LDADD) $(MPI_LIBS)
EXTRA_DIST += $(MPI_DEMO_C_FILES) demos/mpi/README.md
if HAVE_MPI
bin_PROGRAMS += proclab-mpi-pingpong
proclab_mpi_pingpong_SOURCES = demos/mpi/pingpong.c $(MPI_LAUNCH_FILES)
proclab_mpi_pingpong_CPPFLAGS = $(MPI_DEMO_CPPFLAGS)
proclab_mpi_pingpong_LDADD = $(MPI_DEMO_LDADD)
bin_PROGRAMS += proclab-mpi-exchange
proclab_mpi_exchange_SOURCES = demos/mpi/exchange.c $(MPI_LAUNCH_FILES)
proclab_mpi_exchange_CPPFLAGS = $(MPI_DEMO_CPPFLAGS)
proclab_mpi_exchange_LDADD = $(MPI_DEMO_LDADD)
bin_PROGRAMS += proclab-mpi-ring
proclab_mpi_ring_SOURCES = demos/mpi/ring.c $(MPI_LAUNCH_FILES)
proclab_mpi_ring_CPPFLAGS = $(MPI_DEMO_CPPFLAGS)
proclab_mpi_ring_LDADD = $(MPI_DEMO_LDADD)
bin_PROGRAMS += proclab-mpi-die
proclab_mpi_die_SOURCES = demos/mpi/die.c $(MPI_LAUNCH_FILES)
proclab_mpi_die_CPPFLAGS = $(MPI_DEMO_CPPFLAGS)
proclab_mpi_die_LDADD = $(MPI_DEMO_LDADD)
endif
