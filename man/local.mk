## man/local.mk - the manual, written by hand in mdoc(7) (issue 15).
## Section 1: every program we install; 3: libproclab, libproclab(3) and a
## page per module; 5: a lab's spec file; 7: proclab, the overview.

dist_man1_MANS = \
	man/proclab.1 \
	man/proclab-judge.1 \
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
	man/proclab-fork-threads.1
