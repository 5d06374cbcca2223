#!/bin/sh
# labs.sh [LAB/lab.spec]... - each lab holds to its instructor/VERDICTS:
# the starter builds and fails as written there, the reference solution
# passes, and each known-wrong version fails exactly the checks written
# there. make check runs it once a lab (labs/local.mk lists each lab's
# lab.spec as a test), so the labs run side by side and each stays well
# within the suite's time limit; without an argument it runs them all.
. "$top_srcdir/tests/lib.sh"
need_jq

bin="$top_builddir/proclab-judge"
if [ $# -gt 0 ]; then
	labs=""
	for spec in "$@"; do
		# make gives the spec as it found it: from the build folder,
		# "../labs/NN/lab.spec" or, in the source tree, "labs/NN/lab.spec".
		[ -f "$spec" ] || spec="$top_srcdir/$spec"
		labs="$labs $(cd "$(dirname "$spec")" && pwd)"
	done
else
	labs=$(ls -d "$top_srcdir"/labs/[0-9]*/ 2>/dev/null)
fi
# A lab whose VERDICTS says "needs mpi" is graded only where proclab
# was configured with Open MPI (its MPI demos were built) and mpirun is
# on PATH, as the MPI demos' tests (tests/mpi-lib.sh).
have_mpi() { [ -x "$(demo_bin mpi-ring)" ] && command -v mpirun >/dev/null 2>&1; }
kept=""
for lab in $labs; do
	if grep -q '^needs mpi$' "$lab/instructor/VERDICTS" && ! have_mpi; then
		diag "$(basename "$lab"): built without MPI or no mpirun: skipped" \
			"(apt-get install openmpi-bin libopenmpi-dev, then run configure again)"
		continue
	fi
	kept="$kept $lab"
done
labs=$kept
[ -n "$labs" ] || skip_all "no labs to grade here (an MPI lab needs proclab configured with Open MPI)"
n=0
for lab in $labs; do
	n=$((n + $(grep '^[a-z]' "$lab/instructor/VERDICTS" | grep -vc '^\(file\|needs\) ')))
done
plan $((n + 1))

for lab in $labs; do
	name=$(basename "$lab")
	file=$(sed -n 's/^file  *//p' "$lab/instructor/VERDICTS")
	lab=${lab%/}
	grep '^[a-z]' "$lab/instructor/VERDICTS" | grep -v '^\(file\|needs\) ' >"$WORK/versions"
	while read -r version expected; do
		# A submission: the lab's files, with this version as FILE.
		sub="$WORK/$name-$version"
		mkdir -p "$sub"
		find "$lab" -maxdepth 1 -type f -exec cp {} "$sub/" \;
		[ "$version" = starter ] || cp "$lab/instructor/$version" "$sub/$file"
		env PROCLAB_TEST_TOKEN="$TOKEN" timeout 300 "$bin" --json "$lab" "$sub" \
			>"$sub.json" 2>"$sub.err"
		rc=$?
		# A check the judge could not time on a busy machine (a speedup:
		# "inconclusive") says nothing of this version: it is left out
		# of both lists, and the assertion is a skip if the rest holds.
		busy=$($JQ -r 'select(.event == "check" and .inconclusive) | .check' "$sub.json" |
			sort | tr '\n' ' ' | sed 's/ $//')
		failed=$($JQ -r 'select(.event == "check" and (.ok | not) and (.inconclusive | not)) | .check' \
			"$sub.json" | sort | tr '\n' ' ' | sed 's/ $//')
		want=$(echo "$expected" | tr ' ' '\n' | grep -v '^-$' | sort | tr '\n' ' ' | sed 's/ $//')
		[ -n "$want" ] && want_rc=1 || want_rc=0
		desc="$name: $version fails ${want:-nothing}"
		if [ -n "$busy" ]; then
			for b in $busy; do
				want=$(echo "$want" | tr ' ' '\n' | grep -vxF "$b" | tr '\n' ' ' | sed 's/ $//')
			done
			want_rc=1 # a check that gave no verdict still failed
		fi
		if [ -n "$busy" ] && [ "$rc" -eq 1 ] && [ "$failed" = "$want" ] &&
			! grep -q "the build failed" "$sub.json"; then
			tap_count=$((tap_count + 1))
			echo "ok $tap_count - $desc # SKIP $busy: no verdict, the machine was busy;" \
				"the other checks are as written"
			$JQ -r 'select(.event == "check" and .inconclusive) | "\(.check): \(.evidence)"' \
				"$sub.json" | sed 's/.*no verdict on the speedup: /#   /'
			continue
		fi
		if ! check "$desc" eval \
			'[ "$rc" -eq "$want_rc" ] && [ "$failed" = "$want" ] &&
			! grep -q "the build failed" "$sub.json"'; then
			diag "exit $rc; failed: ${failed:-nothing}"
			$JQ -r 'select(.event == "check" and (.ok | not)) | "\(.check): \(.evidence)"' \
				"$sub.json" | sed 's/^/#   /' | head -n 20
			sed 's/^/#   /' "$sub.err" | head -n 5
		fi
	done <"$WORK/versions"
done
check "after every lab: nothing left" poll 5 nothing_left
finish
