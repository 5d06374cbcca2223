## dashboard/local.mk - `proclab`, the live ncurses view of a demo's processes.
## (Being written; see issue 4.)
