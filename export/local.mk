## export/local.mk - `proclab-export`, pictures of a recorded run (issue 14):
## a Chrome trace and an SVG timeline, drawn by lib/pl_export.c from what
## `proclab --record FILE` wrote.

bin_PROGRAMS += proclab-export
proclab_export_SOURCES = export/main.c
