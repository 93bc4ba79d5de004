#!/bin/bash
# glassy's job scripts on a real (local) SLURM, submitted as a user would (only account, partition
# and resources given on the sbatch command line):
# 1. jobs/glassy-ea-requeue.sbatch: send SIGUSR1 to the batch script as SLURM does before a time
#    limit; the job checkpoints, requeues itself, continues with -restart and finishes with the
#    results of an uninterrupted run.
# 2. jobs/glassy-campaign.sbatch: the same for a campaign.
# 3. jobs/glassy-campaign-array.sbatch in two parts, and jobs/glassy-campaign-merge.sbatch after
#    them (--dependency=afterok): the merged results equal an uninterrupted campaign's.
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
-equilibration_sweeps 120000
-measurement_sweeps 120000
-measure_interval 5
-pt_interval 5
-seed 31
OPTS
run_glassy 2 -options_file "$WORK/run.opts" -quiet -output "$WORK/reference.h5" > "$WORK/reference.log" 2>&1 || { cat "$WORK/reference.log"; fail "reference run"; }

GLASSY_ABS=$(cd "$top_builddir" && pwd)/glassy
cd "$WORK"
job=$(GLASSY="$GLASSY_ABS" OPTIONS="$WORK/run.opts" NAME=requeue-test GLASSY_JOBS="$top_srcdir/jobs" \
      sbatch --parsable --account=test --partition=debug --ntasks=2 --time=10 "$top_srcdir/jobs/glassy-ea-requeue.sbatch") \
  || fail "sbatch refused the job script"
echo "submitted job $job"
state() { scontrol show job "$job" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
wait_for() { # predicate-description seconds command...
  local what=$1 limit=$2; shift 2
  for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done
  cat "$WORK"/glassy-*"$job"*.out 2> /dev/null
  fail "timed out after $limit s waiting for $what"
}
finished() { [ "$(state)" = COMPLETED ]; }
# signal_requeue_finish LOG STARTED: once LOG shows the pattern STARTED (glassy is running), send
# SIGUSR1 to the batch script as SLURM does before a time limit; wait for the job to requeue
# itself and for the requeued job to finish.
signal_requeue_finish() {
  local log=$1 started=$2
  running() { [ "$(state)" = RUNNING ] && grep -q "$started" "$log" 2> /dev/null; }
  requeued() { grep -q "requeueing job $job" "$log"; }
  wait_for "job $job to start glassy" 60 running
  sleep 1.5
  scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch failed"
  echo "sent SIGUSR1 to the batch script of job $job"
  wait_for "job $job to checkpoint and requeue itself" 90 requeued
  wait_for "the requeued job $job to finish" 300 finished
}
log="$WORK/glassy-ea-$job.out"
signal_requeue_finish "$log" "glassy: EA"
grep -q "glassy: stopped by signal 10" "$log" || { cat "$log"; fail "glassy did not report the signal"; }
grep -q "continuing from requeue-test.ckpt.h5 at sweep" "$log" || { cat "$log"; fail "the second run did not continue from the checkpoint"; }
grep -q "glassy finished with status 0" "$log" || { cat "$log"; fail "the job did not finish cleanly"; }
restarts=$(scontrol show job "$job" | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
[ "$restarts" = 1 ] || fail "expected one restart, SLURM counted $restarts"
same_results "$WORK/reference.h5" "$WORK/requeue-test.h5" "the requeued job against the uninterrupted run"
grep -E "start [0-9]+ of job|SIGUSR1|USR1 received|requeueing|continuing from|finished with" "$log"
echo "ok: the requeueing job survived a pre-time-limit signal and matches the uninterrupted run"

# 2. A campaign job, signalled before its limit.  The campaign must outlast the 1.5 s between the
#    job's start and the signal by a wide margin: 200000 + 200000 sweeps take about 15 s (6000 +
#    6000, then 40000 + 40000 finished first once the kernels got faster).
cat > "$WORK/c.opts" <<OPTS
-dim 3
-couplings bimodal
-sizes 4,6
-samples 24,16
-batch 8
-ntemps 5
-tmin 0.9
-tmax 2.0
-equilibration_sweeps 200000
-measurement_sweeps 200000
-checkpoint_interval 1
-seed 32
-output_dir campaign
OPTS
sed 's/-output_dir campaign/-output_dir reference-campaign/' "$WORK/c.opts" > "$WORK/ref.opts"
run_glassy 2 -campaign "$WORK/ref.opts" -quiet > "$WORK/ref-campaign.log" 2>&1 || { cat "$WORK/ref-campaign.log"; fail "reference campaign"; }
same_campaign() { # DIR WHAT
  local g x
  for g in L4 L6; do
    for x in observables pt logbins; do
      "$H5DIFF" "$WORK/reference-campaign/results.h5" "$1/results.h5" /$g/$x /$g/$x > "$WORK/diff" 2>&1 || { head "$WORK/diff"; fail "$2: /$g/$x differs"; }
    done
  done
}
job=$(GLASSY="$GLASSY_ABS" CAMPAIGN="$WORK/c.opts" GLASSY_JOBS="$top_srcdir/jobs" \
      sbatch --parsable --account=test --partition=debug --ntasks=2 --time=20 "$top_srcdir/jobs/glassy-campaign.sbatch") \
  || fail "sbatch refused the campaign job script"
echo "submitted campaign job $job"
log="$WORK/glassy-campaign-$job.out"
signal_requeue_finish "$log" "glassy: campaign .* tasks"
grep -q "campaign stopping" "$log" || { cat "$log"; fail "the campaign did not report the stop"; }
[ "$(grep -c "USR1 received" "$log")" = 1 ] || { cat "$log"; fail "the campaign job was signalled more than once (only the test's signal was expected)"; }
grep -q "continuing from" "$log" || { cat "$log"; fail "no task of the requeued campaign continued from a checkpoint"; }
grep -q "glassy finished with status 0" "$log" || { cat "$log"; fail "the campaign job did not finish cleanly"; }
same_campaign "$WORK/campaign" "the requeued campaign job against the uninterrupted campaign"
grep -E "start [0-9]+ of job|USR1 received|requeueing|tasks \(|finished with" "$log"
echo "ok: the requeueing campaign job survived a pre-time-limit signal and matches the uninterrupted campaign"

# 3. The campaign as a job array of two parts, and the merge job after them.
sed 's/-output_dir campaign/-output_dir array-campaign/' "$WORK/c.opts" > "$WORK/a.opts"
array=$(GLASSY="$GLASSY_ABS" CAMPAIGN="$WORK/a.opts" GLASSY_JOBS="$top_srcdir/jobs" \
        sbatch --parsable --array=0-1 --account=test --partition=debug --ntasks=1 --time=20 "$top_srcdir/jobs/glassy-campaign-array.sbatch") \
  || fail "sbatch refused the array job script"
job=$(GLASSY="$GLASSY_ABS" CAMPAIGN="$WORK/a.opts" \
      sbatch --parsable --dependency=afterok:"$array" --account=test --partition=debug --time=10 "$top_srcdir/jobs/glassy-campaign-merge.sbatch") \
  || fail "sbatch refused the merge job script"
echo "submitted array job $array (2 parts) and merge job $job"
wait_for "the merge job to finish" 300 finished
grep -q "merged the 5 tasks" "$WORK/glassy-merge-$job.out" || { cat "$WORK"/glassy-part-*.out "$WORK/glassy-merge-$job.out"; fail "the merge job did not merge"; }
same_campaign "$WORK/array-campaign" "the job-array campaign against the uninterrupted campaign"
echo "ok: a job array of 2 parts and the merge job match the uninterrupted campaign"
