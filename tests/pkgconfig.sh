#!/bin/sh
# pkgconfig.sh - an instructor's exercise, outside the tree, builds with
#     cc ex.c $(pkg-config --cflags --libs proclab)
# against a `make install DESTDIR=...` and runs.
. "$top_srcdir/tests/lib.sh"
command -v pkg-config >/dev/null || skip_all "pkg-config not installed"
plan 8

dest="$WORK/root"
check "make install DESTDIR=... succeeds" \
	eval '$MAKE -C "$top_builddir" install DESTDIR="$dest" >"$WORK/install.log" 2>&1'

pc=$(find "$dest" -name proclab.pc | head -n 1)
check "proclab.pc is installed" [ -n "$pc" ]
check "the headers are under include/proclab/" \
	eval 'find "$dest" -path "*/include/proclab/proclab.h" | grep -q .'
check "the demos are installed as proclab-<concept>" \
	eval 'find "$dest" -path "*/bin/proclab-fork" | grep -q .'

# pkg-config prefixes -I and -L with the sysroot: the DESTDIR.
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

cat >"$WORK/ex.c" <<'C'
/* An exercise as an instructor would write one: fork, look, reap. */
#include <stdio.h>
#include <unistd.h>
#include <proclab.h>

int main(void)
{
	struct pl_proc proc;
	char how[64];
	int status;
	pid_t pid = pl_fork("exercise", 0);

	if (pid == 0)
		_exit(7);
	pl_procfs_wait_state(pid, "Z", 5000, &proc);
	pl_child_wait(pid, &status, 0);
	pl_status_describe(status, how, sizeof(how));
	printf("state %c, then %s\n", proc.state, how);
	return 0;
}
C
# The build's own CFLAGS and LDFLAGS come along: under a sanitizer build the
# installed library needs the sanitizer's runtime too.
check "the exercise compiles with pkg-config's flags" \
	eval '${CC:-cc} ${USER_CFLAGS:-} "$WORK/ex.c" -o "$WORK/ex" ${USER_LDFLAGS:-} \
		$(pkg-config --cflags --libs proclab) 2>"$WORK/cc.log" ||
		{ cat "$WORK/cc.log" | sed "s/^/# /"; false; }'
libdir=$(dirname "$(find "$dest" -name 'libproclab.so*' | head -n 1)")
check "the exercise runs against the installed library" \
	eval '[ "$(LD_LIBRARY_PATH="$libdir" "$WORK/ex")" = "state Z, then exited with status 7" ]'

# The example in the installed pl_model.h, as it stands there: it watches a
# process and reports the zombie that process leaves unreaped.
hdr=$(find "$dest" -path "*/include/proclab/pl_model.h" | head -n 1)
{
	printf '#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n#include <proclab.h>\n'
	printf 'int main(int argc, char *argv[])\n{\n\tpid_t pid = argc > 1 ? (pid_t)atol(argv[1]) : 0;\n'
	sed -n '/^ \*     struct pl_model m;/,/^ \*     pl_model_free(&m);/s/^ \*     //p' "$hdr"
	printf '\treturn 0;\n}\n'
} >"$WORK/zombies.c"
check "pl_model.h's example compiles with pkg-config's flags" \
	eval 'grep -q pl_model_refresh "$WORK/zombies.c" &&
		${CC:-cc} ${USER_CFLAGS:-} "$WORK/zombies.c" -o "$WORK/zombies" ${USER_LDFLAGS:-} \
		$(pkg-config --cflags --libs proclab) 2>"$WORK/cc.log" ||
		{ sed "s/^/# /" "$WORK/cc.log" "$WORK/zombies.c"; false; }'
# A parent that leaves its child (env, then true) unreaped for 2 s, then ends.
sh -c 'env true & exec sleep 2' &
parent=$!
LD_LIBRARY_PATH="$libdir" "$WORK/zombies" "$parent" >"$WORK/zombies.out" 2>&1 &
watcher=$!
wait "$parent"
wait "$watcher"
check "pl_model.h's example reports the zombie, its parent and for how long" \
	eval 'grep -q "^[0-9]* (true): unreaped by $parent for [0-9.]* s$" "$WORK/zombies.out" ||
		{ sed "s/^/# /" "$WORK/zombies.out"; false; }'
finish
