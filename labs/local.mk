## labs/local.mk - the labs students solve and proclab-judge grades
## (issue 13). Each is labs/NN-<name>/: the task, the starter, lab.spec,
## and instructor/ with the reference, the known-wrong versions and
## VERDICTS. All are installed under $(pkgdatadir)/labs, where the judge
## finds a lab by its name.

nobase_dist_pkgdata_DATA = \
	labs/README.md \
	labs/01-reap/README.md \
	labs/01-reap/lab.spec \
	labs/01-reap/reap.c \
	labs/01-reap/instructor/VERDICTS \
	labs/01-reap/instructor/solution.c \
	labs/01-reap/instructor/wrong-ignore.c \
	labs/01-reap/instructor/wrong-no-final-wait.c \
	labs/02-pipeline/README.md \
	labs/02-pipeline/lab.spec \
	labs/02-pipeline/pipeline.c \
	labs/02-pipeline/instructor/VERDICTS \
	labs/02-pipeline/instructor/solution.c \
	labs/02-pipeline/instructor/wrong-parent-open.c \
	labs/02-pipeline/instructor/wrong-stray-fds.c \
	labs/02-pipeline/instructor/wrong-late-wait.c \
	labs/03-subreaper/README.md \
	labs/03-subreaper/lab.spec \
	labs/03-subreaper/supervise.c \
	labs/03-subreaper/instructor/VERDICTS \
	labs/03-subreaper/instructor/solution.c \
	labs/03-subreaper/instructor/wrong-too-late.c \
	labs/03-subreaper/instructor/wrong-late-reap.c \
	labs/04-counter/README.md \
	labs/04-counter/lab.spec \
	labs/04-counter/counter.c \
	labs/04-counter/instructor/VERDICTS \
	labs/04-counter/instructor/solution.c \
	labs/04-counter/instructor/wrong-private.c \
	labs/04-counter/instructor/wrong-leak.c

TESTS += tests/labs.sh
dist_check_SCRIPTS += tests/labs.sh
