## demos/local.mk - one program per concept, installed as proclab-<concept>.
## To add a demo: a line in DEMO_SOURCES, bin_PROGRAMS and its _SOURCES/_LDADD.

DEMO_LDADD = lib/libproclab.la

# The concepts, as the tests see them: each is demos/NAME.c, proclab-NAME
# and lessons/NN-NAME.md.
DEMO_NAMES = fork

DEMO_C_FILES = \
	demos/fork.c

bin_PROGRAMS += proclab-fork
proclab_fork_SOURCES = demos/fork.c
proclab_fork_LDADD = $(DEMO_LDADD)
