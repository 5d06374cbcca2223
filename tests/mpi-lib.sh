# mpi-lib.sh - what the MPI demos' tests share, sourced after lib.sh.
#
# The MPI demos exist only in a build configured with Open MPI; without
# it their tests skip and say how to get it. Open MPI's session directory
# goes in the demo's private directory in /dev/shm (orte_tmpdir_base);
# each test case still gets a $TMPDIR of its own, which must stay empty,
# so that a session directory that went back to $TMPDIR would be seen.

# need_mpi NAME: skip the whole test unless proclab-NAME was built.
need_mpi() {
	[ -x "$(demo_bin "$1")" ] ||
		skip_all "built without MPI: apt-get install openmpi-bin libopenmpi-dev, then run configure again"
	command -v mpirun >/dev/null 2>&1 ||
		skip_all "mpirun not on PATH: apt-get install openmpi-bin"
}

# mpi_tmpdir NAME: a fresh $TMPDIR for the next case, so that each case
# judges its own leftovers: a session directory one case leaves fails
# that case, not every case after it too.
mpi_tmpdir() {
	TMPDIR="$WORK/tmp.$1"
	mkdir "$TMPDIR"
	export TMPDIR
}
mpi_tmpdir main

# The private directory of controller PID in /dev/shm (demos/mpi/launch.h).
mpi_dirs_of() { ls -d /dev/shm/proclab-mpi-"$1"-* 2>/dev/null; }

# mpi_plant_dir PID: make a directory in /dev/shm named as controller PID's
# would be (pl_name.h: proclab-mpi-PID-START-RANDOM, and -nINODE in a PID
# namespace of our own), with START read from /proc/PID/stat (field 22;
# the name of the command may hold blanks and parentheses, so count from
# the last ')'), and a file in it like a rank's segment. Prints its path.
FIRST_PID_NAMESPACE=4026531836 # 0xEFFFFFFC, PROC_PID_INIT_INO
mpi_plant_dir() {
	start=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20)
	ns=$(stat -L -c %i /proc/self/ns/pid)
	[ "$ns" = "$FIRST_PID_NAMESPACE" ] && ns= || ns=-n$ns
	d=/dev/shm/proclab-mpi-$1-$start-$(printf '%016d' "$(date +%N)")$ns
	mkdir -m 0700 "$d" && : >"$d/vader_segment.planted" && echo "$d"
}

# mpi_plant_stale_dir: a directory as a controller that is gone would
# leave it: planted for a child while it runs (its start time is read
# then), and the child ended and reaped after. Prints its path.
mpi_plant_stale_dir() {
	sleep 60 &
	p=$!
	d=$(mpi_plant_dir "$p")
	kill "$p"
	wait "$p" 2>/dev/null
	echo "$d"
}

# mpi_clean PID: controller PID left nothing: no process with our token
# (a rank, mpirun, an orted), no directory in /dev/shm, no file in our
# $TMPDIR (Open MPI's session directory). mpi_why PID says what is left.
mpi_clean() { [ -z "$(token_pids)$(mpi_dirs_of "$1")$(ls -A "$TMPDIR")" ]; }
mpi_why() {
	why_left
	diag "in /dev/shm: $(mpi_dirs_of "$1")" "in TMPDIR: $(ls -A "$TMPDIR")"
}

# The PID of the mpirun started by controller PID, and its ranks.
mpirun_of() {
	for p in $(token_children_of "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = mpirun ] && echo "$p"
	done
}
ranks_of() { token_children_of "$1"; }
# has_ranks PID N: controller PID's mpirun has N ranks running.
has_ranks() {
	m=$(mpirun_of "$1")
	[ -n "$m" ] && [ "$(ranks_of "$m" | wc -l)" -ge "$2" ]
}

# keys_unique FILE: no event of a --json run gives a name twice (the
# envelope's t, pid, role and event included): tests/json-keys.
keys_unique() { "$top_builddir/tests/json-keys" "$1"; }
