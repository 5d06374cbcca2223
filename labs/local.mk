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
	labs/04-counter/instructor/wrong-leak.c \
	labs/05-buffer/README.md \
	labs/05-buffer/lab.spec \
	labs/05-buffer/buffer.c \
	labs/05-buffer/instructor/VERDICTS \
	labs/05-buffer/instructor/solution.c \
	labs/05-buffer/instructor/wrong-signal-one.c \
	labs/05-buffer/instructor/wrong-stuck-slot.c \
	labs/06-bank/README.md \
	labs/06-bank/lab.spec \
	labs/06-bank/bank.c \
	labs/06-bank/instructor/VERDICTS \
	labs/06-bank/instructor/solution.c \
	labs/06-bank/instructor/wrong-no-locks.c \
	labs/07-pool/README.md \
	labs/07-pool/lab.spec \
	labs/07-pool/pool.c \
	labs/07-pool/instructor/VERDICTS \
	labs/07-pool/instructor/solution.c \
	labs/07-pool/instructor/wrong-no-eof.c \
	labs/07-pool/instructor/wrong-late-reap.c \
	labs/07-pool/instructor/wrong-retry.c \
	labs/08-parallel/README.md \
	labs/08-parallel/lab.spec \
	labs/08-parallel/primes.c \
	labs/08-parallel/instructor/VERDICTS \
	labs/08-parallel/instructor/solution.c \
	labs/08-parallel/instructor/wrong-serial.c \
	labs/08-parallel/instructor/wrong-stride.c \
	labs/08-parallel/instructor/wrong-exit-status.c \
	labs/09-framing/README.md \
	labs/09-framing/lab.spec \
	labs/09-framing/framing.c \
	labs/09-framing/instructor/VERDICTS \
	labs/09-framing/instructor/solution.c \
	labs/09-framing/instructor/wrong-short-read.c \
	labs/09-framing/instructor/wrong-short-write.c \
	labs/09-framing/instructor/wrong-u16-length.c \
	labs/10-philosophers/README.md \
	labs/10-philosophers/lab.spec \
	labs/10-philosophers/dinner.c \
	labs/10-philosophers/instructor/VERDICTS \
	labs/10-philosophers/instructor/solution.c \
	labs/10-philosophers/instructor/wrong-shared-files.c \
	labs/10-philosophers/instructor/wrong-spin.c \
	labs/11-forkthreads/README.md \
	labs/11-forkthreads/lab.spec \
	labs/11-forkthreads/spawn.c \
	labs/11-forkthreads/instructor/VERDICTS \
	labs/11-forkthreads/instructor/solution.c \
	labs/11-forkthreads/instructor/solution-exec-at-once.c \
	labs/11-forkthreads/instructor/wrong-inherit.c \
	labs/11-forkthreads/instructor/wrong-atfork-parent.c \
	labs/12-signals/README.md \
	labs/12-signals/lab.spec \
	labs/12-signals/events.c \
	labs/12-signals/instructor/VERDICTS \
	labs/12-signals/instructor/solution.c \
	labs/12-signals/instructor/wrong-eintr.c \
	labs/12-signals/instructor/wrong-poll.c \
	labs/12-signals/instructor/wrong-one-wait.c \
	labs/13-reduce/README.md \
	labs/13-reduce/lab.spec \
	labs/13-reduce/reduce.c \
	labs/13-reduce/instructor/VERDICTS \
	labs/13-reduce/instructor/solution.c \
	labs/13-reduce/instructor/wrong-serial.c \
	labs/13-reduce/instructor/wrong-twice.c

# Each lab is a test of its own: tests/labs.sh grades every version in
# its instructor/VERDICTS and compares.
LAB_SPECS = \
	labs/01-reap/lab.spec \
	labs/02-pipeline/lab.spec \
	labs/03-subreaper/lab.spec \
	labs/04-counter/lab.spec \
	labs/05-buffer/lab.spec \
	labs/06-bank/lab.spec \
	labs/07-pool/lab.spec \
	labs/08-parallel/lab.spec \
	labs/09-framing/lab.spec \
	labs/10-philosophers/lab.spec \
	labs/11-forkthreads/lab.spec \
	labs/12-signals/lab.spec \
	labs/13-reduce/lab.spec
TESTS += $(LAB_SPECS)
dist_check_SCRIPTS += tests/labs.sh
