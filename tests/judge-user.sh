#!/bin/sh
# judge-user.sh - with --user, root's judge runs none of the student's
# work as root: not the run, and not the build either. A build as root
# would show a root-only file through the compiler's errors (#include
# "/etc/shadow"), and a build line that runs make would run the
# student's Makefile as root.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root: --user is for root's judge"
id nobody >/dev/null 2>&1 || skip_all "no user 'nobody'"

plan 4
bin="$top_builddir/proclab-judge"
uid=$(id -u nobody)
# nobody must write in the submission, for the build. The judge enters
# it as root, before it becomes nobody.
sub="$WORK/sub"
mkdir "$sub"
chown nobody "$sub"

# A file only root may read, named in the submission's source.
printf 'root-only-%s\n' "$TOKEN" >"$WORK/secret"
chmod 600 "$WORK/secret"
printf '#include "%s"\nint main(void) { return 0; }\n' "$WORK/secret" >"$sub/prog.c"
cat >"$sub/lab.spec" <<SPEC
[lab]
build = id -u >built-by; \${CC:-cc} -o prog prog.c
run   = id -u
[check exit]
status = 0
SPEC
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" --user nobody "$sub" >"$WORK/out" 2>&1
check "the build ran as nobody" eval '[ "$(cat "$sub/built-by")" = "$uid" ] ||
	{ diag "built by $(cat "$sub/built-by")"; false; }'
check "a root-only file named in #include stays unread" eval \
	'! grep -q "root-only-" "$WORK/out" && grep -q "Permission denied" "$WORK/out" ||
	{ sed "s/^/#   /" "$WORK/out"; false; }'

# The run, once the build works.
printf 'int main(void) { return 0; }\n' >"$sub/prog.c"
cat >"$sub/lab.spec" <<SPEC
[lab]
build = \${CC:-cc} -o prog prog.c
run   = id -u
[check stdout]
match = ^$uid\$
SPEC
env PROCLAB_TEST_TOKEN="$TOKEN" timeout 60 "$bin" --user nobody "$sub" >"$WORK/out" 2>&1
check "the run ran as nobody" eval 'grep -q "^\[ok\] stdout" "$WORK/out" ||
	{ sed "s/^/#   /" "$WORK/out"; false; }'
check "after the runs: nothing left" poll 5 nothing_left
finish
