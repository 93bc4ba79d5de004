# Sourced by glassy's requeueing job scripts: run_requeueable COMMAND... starts the command in the
# background, forwards SIGUSR1 (sent by SLURM before the time limit, with --signal=B:USR1@...) and
# SIGTERM (preemption) to it, waits for it to exit, and requeues the job when it exits with
# glassy's "checkpointed, continue with -restart" status 75.  The job keeps its id when requeued,
# so its file names stay the same.  Returns the command's status (0 after a requeue).
EXIT_INTERRUPTED=75

run_requeueable() {
  echo "$(date '+%F %T') start $((${SLURM_RESTART_COUNT:-0} + 1)) of job $SLURM_JOB_ID on $SLURM_JOB_NODELIST"
  "$@" &
  local pid=$! status s
  trap 'echo "$(date "+%F %T") USR1 received: asking glassy to checkpoint and stop"; kill -USR1 '"$pid"' 2> /dev/null' USR1
  trap 'echo "$(date "+%F %T") TERM received: asking glassy to checkpoint and stop"; kill -TERM '"$pid"' 2> /dev/null' TERM
  # bash runs a trap only between commands, and a trap ends `wait` early (status > 128): wait
  # again until glassy has really exited, and take its own exit status.
  while :; do
    wait "$pid"
    status=$?
    if [ "$status" -gt 128 ]; then
      kill -0 "$pid" 2> /dev/null && continue
      wait "$pid" 2> /dev/null
      s=$?
      [ "$s" -eq 127 ] || status=$s
    fi
    break
  done
  trap - USR1 TERM
  if [ "$status" -eq "$EXIT_INTERRUPTED" ]; then
    echo "$(date '+%F %T') glassy checkpointed; requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
    return 0
  fi
  echo "$(date '+%F %T') glassy finished with status $status"
  return "$status"
}
