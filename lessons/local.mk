## lessons/local.mk - the lessons a class follows, and the instructor's notes.

lessonsdir = $(docdir)/lessons
dist_lessons_DATA = \
	lessons/README.md \
	lessons/01-fork.md

instructordir = $(docdir)/lessons/instructor
dist_instructor_DATA = \
	lessons/instructor/01-fork.md
