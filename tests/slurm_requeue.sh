#!/bin/bash
# jobs/glassy-ea-requeue.sbatch on a real (local) SLURM: submit it as a user would (only account,
# partition and resources given on the sbatch command line), send SIGUSR1 to the batch script as
# SLURM does before a time limit, and check that the job checkpoints, requeues itself, continues
# with -restart and finishes with the results of an uninterrupted run.
# Needs root (it installs and starts slurmctld/slurmd); run by `make check-slurm` and by .ci/run.
. "${top_srcdir:-.}/tests/common.sh"
SLURM="$top_srcdir/tools/local-slurm.sh"
export GLASSY_SLURM_DIR="$WORK/slurm"
"$SLURM" start > "$WORK/slurm-start.log" 2>&1 || { cat "$WORK/slurm-start.log"; fail "could not start a local SLURM"; }
trap '"$SLURM" stop > /dev/null 2>&1; rm -rf "$WORK"' EXIT
eval "$("$SLURM" env)"

cat > "$WORK/run.opts" <<OPTS
-dim 3
-L 8
-samples 64
-ntemps 6
-tmin 0.9
-tmax 2.0
-equilibration_sweeps 12000
-measurement_sweeps 12000
-measure_interval 5
-pt_interval 5
-seed 31
OPTS
run_glassy 2 -options_file "$WORK/run.opts" -quiet -output "$WORK/reference.h5" > "$WORK/reference.log" 2>&1 || { cat "$WORK/reference.log"; fail "reference run"; }

GLASSY_ABS=$(cd "$top_builddir" && pwd)/glassy
cd "$WORK"
job=$(GLASSY="$GLASSY_ABS" OPTIONS="$WORK/run.opts" NAME=requeue-test \
      sbatch --parsable --account=test --partition=debug --ntasks=2 --time=10 "$top_srcdir/jobs/glassy-ea-requeue.sbatch") \
  || fail "sbatch refused the job script"
echo "submitted job $job"
state() { scontrol show job "$job" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
wait_for() { # predicate-description seconds command...
  local what=$1 limit=$2; shift 2
  for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done
  cat "$WORK"/glassy-ea-"$job".out 2> /dev/null
  fail "timed out after $limit s waiting for $what"
}
running_glassy() { [ "$(state)" = RUNNING ] && grep -q "glassy: EA" "$WORK/glassy-ea-$job.out" 2> /dev/null; }
wait_for "the job to start glassy" 60 running_glassy
sleep 3
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch failed"
echo "sent SIGUSR1 to the batch script of job $job"
requeued() { grep -q "requeueing job $job" "$WORK/glassy-ea-$job.out"; }
wait_for "the job to checkpoint and requeue itself" 60 requeued
finished() { [ "$(state)" = COMPLETED ]; }
wait_for "the requeued job to finish" 240 finished
log="$WORK/glassy-ea-$job.out"
grep -q "glassy: stopped by signal 10" "$log" || { cat "$log"; fail "glassy did not report the signal"; }
grep -q "continuing from requeue-test.ckpt.h5 at sweep" "$log" || { cat "$log"; fail "the second run did not continue from the checkpoint"; }
grep -q "glassy finished with status 0" "$log" || { cat "$log"; fail "the job did not finish cleanly"; }
restarts=$(scontrol show job "$job" | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
[ "$restarts" = 1 ] || fail "expected one restart, SLURM counted $restarts"
same_results "$WORK/reference.h5" "$WORK/requeue-test.h5" "the requeued job against the uninterrupted run"
grep -E "start [0-9]+ of job|SIGUSR1|USR1 received|requeueing|continuing from|finished with" "$log"
echo "the requeueing job survived a pre-time-limit signal and matches the uninterrupted run"
