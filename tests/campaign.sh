#!/bin/bash
# Campaigns: the merged results do not depend on the number of ranks, on worker groups of
# several ranks, on interruptions (a stop signal to one rank, kill -9) and restarts, or on
# splitting the tasks into job-array parts merged afterwards; a YAML campaign file equals the
# options file; SK campaigns too; bad campaign files and misuse get one-line errors and leave
# nothing behind.
. "${top_srcdir:-.}/tests/common.sh"

# Two sizes, 6 tasks; L=6 runs on groups of 2 ranks where the job has them.
campaign() { # campaign FILE OUTDIR [EXTRA LINES...]
  local f=$1 dir=$2; shift 2
  {
    echo "# test campaign"
    echo "-model ea"
    echo "-dim 3"
    echo "-couplings bimodal"
    echo "-sizes 4,6"
    echo "-samples 24,16"
    echo "-batch 8"
    echo "-tmin 0.8"
    echo "-tmax 2.0"
    echo "-ntemps 5,6"
    echo "-equilibration_sweeps 6000,8000"
    echo "-measurement_sweeps 6000,8000"
    echo "-checkpoint_interval 0.2"
    echo "-output_dir $dir"
    for line in "$@"; do echo "$line"; done
  } > "$f"
}
# compare DIR WHAT: DIR/results.h5 equals the reference, size by size.
compare() {
  local g
  [ -f "$1/results.h5" ] || fail "$2: no $1/results.h5"
  for g in L4 L6; do
    for x in observables pt logbins; do
      "$H5DIFF" "$WORK/ref/results.h5" "$1/results.h5" /$g/$x /$g/$x > "$WORK/diff" 2>&1 || { head "$WORK/diff"; fail "$2: /$g/$x differs"; }
    done
  done
  echo "ok: $2"
}
# until_header LOG: wait until the campaign has started its tasks.
until_header() { for _ in $(seq 200); do grep -q "^glassy: campaign .*tasks" "$1" 2>/dev/null && break; sleep 0.05; done; }

GLASSY=$(realpath "$GLASSY")
SRC=$(realpath "$top_srcdir")
cd "$WORK" || fail "no work directory"

# The reference: 3 ranks, groups of 1 (L=4) and 2 (L=6) ranks.
campaign ref.opts ref "-ranks_per_group 1,2"
run_glassy 3 -campaign ref.opts -progress_interval 1 > ref.log 2>&1 || { cat ref.log; fail "reference campaign"; }
grep -q "campaign 5/5 tasks done" ref.log || { cat ref.log; fail "no final progress line"; }
grep -q "tasks done (L4 .*/3, L6 .*/2), .* attempts/s, .* elapsed, about .* left" ref.log || { cat ref.log; fail "no progress line with tasks per size and rate"; }
[ -f ref/index.h5 ] || fail "no index file"
"$H5DUMP" -d /tasks/state ref/index.h5 | grep -q "(0): 3, 3, 3, 3, 3$" || fail "index: not every task is done"
ls ref/tasks/L6/*.ckpt.h5 > /dev/null 2>&1 && fail "checkpoints of finished tasks were left behind"
echo "ok: reference campaign on 3 ranks (groups of 1 and 2), index and merged results"
"$PYTHON3" "$SRC/tools/campaign_analysis.py" ref --bootstrap 20 > analysis.log 2>&1 || { cat analysis.log; fail "campaign_analysis.py on the campaign"; }
for f in report.txt binder.png xi_over_L.png swap_acceptance.png equilibration.png; do
  [ -s "ref/analysis/$f" ] || fail "campaign_analysis.py wrote no $f"
done
grep -q "L=4/L=6" ref/analysis/report.txt || fail "the analysis report has no crossing of L=4 and L=6"
echo "ok: campaign_analysis.py on the merged results: report and figures"

# The same campaign on 1 rank and on 2 (groups of 1).
campaign one.opts one
run_glassy 1 -campaign one.opts -quiet > one.log 2>&1 || { cat one.log; fail "campaign on 1 rank"; }
compare one "1 rank equals 3 ranks with 2-rank groups"

# A YAML campaign file, on 2 ranks.
sed -e '/^#/d' -e 's/^-\([a-z_]*\) \(.*\)$/\1: \2/' -e 's/output_dir: one/output_dir: yaml/' one.opts > y.yaml
run_glassy 2 -campaign y.yaml -quiet > y.log 2>&1 || { cat y.log; fail "YAML campaign"; }
compare yaml "YAML campaign file on 2 ranks"

# Interruptions: a stop signal to one rank of 3, kill -9 of a run on 2, the end on 2.
campaign int.opts int "-ranks_per_group 1,2"
"$MPIEXEC" --oversubscribe -n 3 "$GLASSY" -campaign int.opts -quiet > int1.log 2>&1 &
pid=$!
until_header int1.log
# Stop once a task has written a checkpoint (not after a fixed time: faster kernels would finish first).
for _ in $(seq 200); do ls int/tasks/L*/*.ckpt.h5 > /dev/null 2>&1 && break; sleep 0.05; done
sleep 0.2
kill -USR1 "$(pgrep -f -- "^$GLASSY -campaign int.opts" | tail -1)"
rc=0; wait $pid || rc=$?
[ $rc = 75 ] || { cat int1.log; fail "a campaign stopped by a signal exited with $rc, not 75"; }
grep -q "continue" int1.log || { cat int1.log; fail "no message after the stop"; }
timeout -k 5 120 "$MPIEXEC" --oversubscribe -n 2 "$GLASSY" -campaign int.opts -restart -quiet > int2.log 2>&1 &
pid=$!
until_header int2.log
# Kill once a task has written a checkpoint in this run.
for _ in $(seq 200); do [ -n "$(find int/tasks -name '*.ckpt.h5' -newer int2.log 2> /dev/null)" ] && break; sleep 0.05; done
pkill -KILL -f -- "^$GLASSY -campaign int.opts"
wait $pid
ls int/tasks/L*/*.ckpt.h5 > /dev/null 2>&1 || { cat int1.log int2.log; ls -R int; fail "no checkpoints after the interruptions"; }
run_glassy 2 -campaign int.opts -restart -quiet > int3.log 2>&1 || { cat int3.log; fail "restarted campaign"; }
grep -q "continuing from" int2.log int3.log || fail "no task continued from a checkpoint"
compare int "stopped by SIGUSR1 to one rank, then kill -9, restarted on 2 ranks"

# Job-array parts on different rank counts, merged afterwards.
campaign parts.opts parts
run_glassy 1 -campaign parts.opts -campaign_parts 3 -campaign_part 2 -quiet > p2.log 2>&1 || { cat p2.log; fail "part 2"; }
run_glassy 2 -campaign parts.opts -campaign_parts 3 -campaign_part 0 -quiet > p0.log 2>&1 || { cat p0.log; fail "part 0"; }
run_glassy 1 -campaign parts.opts -campaign_merge > m1.log 2>&1 && fail "merging with a part missing succeeded"
grep -q "error: cannot merge: task .* is pending" m1.log || { cat m1.log; fail "merge with a part missing: no error naming the task"; }
[ -f parts/results.h5 ] && fail "a failed merge left a results file"
run_glassy 1 -campaign parts.opts -campaign_parts 3 -campaign_part 1 -quiet > p1.log 2>&1 || { cat p1.log; fail "part 1"; }
run_glassy 2 -campaign parts.opts -campaign_merge > m2.log 2>&1 || { cat m2.log; fail "merge"; }
compare parts "three job-array parts on 1 and 2 ranks, merged"

# SK: 1 rank and 2 ranks (one group of 2).
sk() {
  printf -- "-model sk\n-couplings gaussian\n-sizes 16,24\n-samples 6\n-batch 3\n-ntemps 4\n-tmin 0.4\n-tmax 1.2\n-equilibration_sweeps 500\n-measurement_sweeps 500\n-output_dir %s\n%s\n" "$2" "${3:-}" > "$1"
}
sk sk1.opts sk1
sk sk2.opts sk2 "-ranks_per_group 2"
run_glassy 1 -campaign sk1.opts -quiet > sk1.log 2>&1 || { cat sk1.log; fail "SK campaign on 1 rank"; }
run_glassy 2 -campaign sk2.opts -quiet > sk2.log 2>&1 || { cat sk2.log; fail "SK campaign on 2 ranks"; }
for g in N16 N24; do
  "$H5DIFF" sk1/results.h5 sk2/results.h5 /$g/observables /$g/observables > "$WORK/diff" 2>&1 || { head "$WORK/diff"; fail "SK $g differs between 1 and 2 ranks"; }
done
"$H5DUMP" -H -d /N24/observables/pq sk1/results.h5 | grep -q "( 6, 4, 25 )" || fail "SK: no merged P(q) [6][4][25]"
echo "ok: SK campaign, 1 rank equals a group of 2"

# A stop signal to a rank that has no task stops the campaign too (2 ranks, 1 long task).
printf -- "-dim 3\n-sizes 6\n-samples 8\n-ntemps 4\n-equilibration_sweeps 200000\n-measurement_sweeps 200000\n-checkpoint_interval 1\n-output_dir idle\n" > idle.opts
"$MPIEXEC" --oversubscribe -n 2 "$GLASSY" -campaign idle.opts -quiet > idle.log 2>&1 &
pid=$!
until_header idle.log
sleep 0.5
idle_rank=""
for p in $(pgrep -f -- "^$GLASSY -campaign idle.opts"); do
  tr '\0' '\n' < /proc/"$p"/environ 2> /dev/null | grep -q "^OMPI_COMM_WORLD_RANK=1$" && idle_rank=$p
done
[ -n "$idle_rank" ] || fail "could not find rank 1"
kill -USR1 "$idle_rank"
rc=0; timeout 60 tail --pid=$pid -f /dev/null || true
wait $pid || rc=$?
[ $rc = 75 ] || { cat idle.log; fail "a signal to the idle rank: exit status $rc, not 75"; }
ls idle/tasks/L6/*.ckpt.h5 > /dev/null 2>&1 || fail "a signal to the idle rank: the running task wrote no checkpoint"
echo "ok: a signal to a rank without a task stops the campaign with checkpoints"

# The structure factor (a per-task average) is left out of the merge.
printf -- "-dim 3\n-sizes 4\n-samples 3\n-batch 2\n-ntemps 2\n-structure_factor\n-equilibration_sweeps 100\n-measurement_sweeps 100\n-output_dir sf\n" > sf.opts
run_glassy 1 -campaign sf.opts -quiet > sf.log 2>&1 || { cat sf.log; fail "campaign with -structure_factor"; }
"$H5DUMP" -n sf/results.h5 | grep -q structure_factor && fail "the structure factor was merged"
"$H5DUMP" -H -d /L4/observables/q2 sf/results.h5 | grep -q "( 3, 2 )" || fail "-structure_factor campaign: no merged q2 [3][2]"
echo "ok: a -structure_factor campaign merges without the batch-averaged structure factor"

# Bad input: one line naming the file, key or value; exit 1 on every rank; nothing created.
bad() { # bad WHAT PATTERN RANKS ARGS...
  local what=$1 pattern=$2 n=$3; shift 3
  local rc=0
  run_glassy "$n" "$@" > bad.log 2>&1 || rc=$?
  [ $rc = 1 ] || { cat bad.log; fail "$what: exit status $rc, not 1"; }
  grep -q "^glassy: error: .*$pattern" bad.log || { cat bad.log; fail "$what: no one-line error matching '$pattern'"; }
  [ "$(grep -c '^glassy: error' bad.log)" = 1 ] || { cat bad.log; fail "$what: more than one error line"; }
  echo "ok: rejected $what"
}
bad "an existing campaign without -restart" "output_dir ref already holds" 2 -campaign ref.opts
bad "a missing campaign file" "-campaign nothere.opts: cannot read" 2 -campaign nothere.opts
campaign b1.opts b1 "-L 8"
bad "L in a campaign file" "'l' cannot be set in a campaign file" 2 -campaign b1.opts
campaign b2.opts b2 "-ntemps 4,5,6"
bad "a per-size list of the wrong length" "ntemps has 3 values for 2 sizes" 1 -campaign b2.opts
campaign b3.opts b3 "-sweeps 100"
bad "an unknown run option" "b3.opts, size 4: -sweeps 100: unknown option" 2 -campaign b3.opts
campaign b4.opts b4 "-ranks_per_group 4"
bad "groups larger than the job" "ranks_per_group 4 for size 4 exceeds the 2 ranks" 2 -campaign b4.opts
campaign b5.opts b5 "-tmin -1"
bad "a bad value for one size" "size 4: -tmin -1: must be a positive temperature" 1 -campaign b5.opts
campaign b6.opts b6 "-Temperatures 0.5,3"
bad "a forbidden key in other letter case" "'temperatures' cannot be set in a campaign file" 1 -campaign b6.opts
bad "a run option on the command line" "-L 8: not an option of a campaign run" 2 -campaign one.opts -L 8
sed -i 's/^-sizes .*/-sizes 4,x/' b5.opts
bad "a size that is not a number" "sizes value 'x'" 1 -campaign b5.opts
for d in b1 b2 b3 b4 b5 b6; do [ -e $d ] && fail "a rejected campaign created $d"; done
# A restart after the run options changed: the finished task, or the interrupted task's
# checkpoint, is named before any work; nothing is overwritten.
sed -i 's/^-measurement_sweeps .*/-measurement_sweeps 200001/' idle.opts
bad "a restart of an interrupted task with changed run options" "the checkpoint idle/tasks/L6/s000000-000007.ckpt.h5 was written with different run options" 2 -campaign idle.opts -restart
sed -i 's/^-measurement_sweeps .*/-measurement_sweeps 6000,8001/' one.opts
cp one/results.h5 saved.h5
bad "a restart with changed run options" "one/tasks/L6/s000000-000007.h5 holds results of different run options" 1 -campaign one.opts -restart
cmp -s saved.h5 one/results.h5 || fail "a rejected restart changed the results"
echo "campaign tests passed"
