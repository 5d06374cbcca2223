## demos/local.mk - one program per concept, installed as proclab-<concept>.
## To add a demo: its name in DEMO_NAMES, its file in DEMO_C_FILES, and a
## bin_PROGRAMS entry with _SOURCES and _LDADD like the others.

DEMO_LDADD = lib/libproclab.la

# The concepts, as the tests see them: each is demos/NAME.c, proclab-NAME
# and lessons/NN-NAME.md.
DEMO_NAMES = fork exec wait zombie orphan pipe shm

DEMO_C_FILES = \
	demos/fork.c \
	demos/exec.c \
	demos/wait.c \
	demos/zombie.c \
	demos/orphan.c \
	demos/pipe.c \
	demos/shm.c

bin_PROGRAMS += proclab-fork
proclab_fork_SOURCES = demos/fork.c
proclab_fork_LDADD = $(DEMO_LDADD)

bin_PROGRAMS += proclab-exec
proclab_exec_SOURCES = demos/exec.c
proclab_exec_LDADD = $(DEMO_LDADD)

bin_PROGRAMS += proclab-wait
proclab_wait_SOURCES = demos/wait.c
proclab_wait_LDADD = $(DEMO_LDADD)

bin_PROGRAMS += proclab-zombie
proclab_zombie_SOURCES = demos/zombie.c
proclab_zombie_LDADD = $(DEMO_LDADD)

bin_PROGRAMS += proclab-orphan
proclab_orphan_SOURCES = demos/orphan.c
proclab_orphan_LDADD = $(DEMO_LDADD)

bin_PROGRAMS += proclab-pipe
proclab_pipe_SOURCES = demos/pipe.c
proclab_pipe_LDADD = $(DEMO_LDADD)

bin_PROGRAMS += proclab-shm
proclab_shm_SOURCES = demos/shm.c
proclab_shm_LDADD = $(DEMO_LDADD)
