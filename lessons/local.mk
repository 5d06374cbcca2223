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
	lessons/07-shm.md

instructordir = $(docdir)/lessons/instructor
dist_instructor_DATA = \
	lessons/instructor/01-fork.md \
	lessons/instructor/02-exec.md \
	lessons/instructor/03-wait.md \
	lessons/instructor/04-zombie.md \
	lessons/instructor/05-orphan.md \
	lessons/instructor/06-pipe.md \
	lessons/instructor/07-shm.md
