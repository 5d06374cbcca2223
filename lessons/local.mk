## lessons/local.mk - the lessons a class follows, and the instructor's notes.

lessonsdir = $(docdir)/lessons
dist_lessons_DATA = \
	lessons/README.md \
	lessons/01-fork.md \
	lessons/02-exec.md \
	lessons/03-wait.md \
	lessons/04-zombie.md \
	lessons/05-orphan.md \
	lessons/06-pipe.md \
	lessons/07-shm.md \
	lessons/08-queue.md \
	lessons/09-filelock.md \
	lessons/10-server.md \
	lessons/11-ipcbench.md \
	lessons/12-race.md \
	lessons/13-prodcons.md \
	lessons/14-deadlock.md \
	lessons/15-philosophers.md \
	lessons/16-threads-vs-procs.md \
	lessons/17-gil.md \
	lessons/18-pool.md \
	lessons/19-multitask.md \
	lessons/20-debugging.md \
	lessons/21-mpi.md \
	lessons/22-fork-threads.md \
	lessons/23-signals.md \
	lessons/24-prio-inversion.md \
	lessons/25-memorder.md

instructordir = $(docdir)/lessons/instructor
dist_instructor_DATA = \
	lessons/instructor/01-fork.md \
	lessons/instructor/02-exec.md \
	lessons/instructor/03-wait.md \
	lessons/instructor/04-zombie.md \
	lessons/instructor/05-orphan.md \
	lessons/instructor/06-pipe.md \
	lessons/instructor/07-shm.md \
	lessons/instructor/08-queue.md \
	lessons/instructor/09-filelock.md \
	lessons/instructor/10-server.md \
	lessons/instructor/11-ipcbench.md \
	lessons/instructor/12-race.md \
	lessons/instructor/13-prodcons.md \
	lessons/instructor/14-deadlock.md \
	lessons/instructor/15-philosophers.md \
	lessons/instructor/16-threads-vs-procs.md \
	lessons/instructor/17-gil.md \
	lessons/instructor/18-pool.md \
	lessons/instructor/19-multitask.md \
	lessons/instructor/20-debugging.md \
	lessons/instructor/21-mpi.md \
	lessons/instructor/22-fork-threads.md \
	lessons/instructor/23-signals.md \
	lessons/instructor/24-prio-inversion.md \
	lessons/instructor/25-memorder.md

# Pictures of real runs, made by `proclab --svg` (lib/pl_export.c); each
# lesson gives the command that made its picture. tests/export.sh checks
# that they are well-formed XML and that every one a lesson shows exists.
lessonspicturesdir = $(lessonsdir)/pictures
dist_lessonspictures_DATA = \
	lessons/pictures/01-fork.svg \
	lessons/pictures/04-zombie.svg \
	lessons/pictures/05-orphan.svg \
	lessons/pictures/06-pipe.svg \
	lessons/pictures/14-deadlock.svg
