#!/bin/bash
# Interrupt a run again and again at random moments -- with SIGUSR1, SIGTERM, SIGINT (checkpoint
# and exit 75) or kill -9 (no warning) -- and restart it with -restart on 1, 2 or 4 ranks until it
# finishes; then its results must be identical to an uninterrupted run's.
#
# usage: tests/interrupt.sh [INTERRUPTIONS]   (default 3; tools/soak-restarts.sh runs 20)
. "${top_srcdir:-.}/tests/common.sh"
WANT=${1:-${INTERRUPTIONS:-3}}
RUN="-dim 3 -L 8 -samples 64 -ntemps 6 -tmin 0.9 -tmax 2.0 -measure_interval 5 -pt_interval 5 -structure_factor -seed 4242 -quiet"
# Long enough to be interrupted WANT times: about 0.6 s of work per interruption on 2 ranks
# (at 1.6 ns per attempt; at most 0.5 s of it is done before each interruption).
SWEEPS=$(( 1500 + WANT * 1000 ))
RUN="$RUN -equilibration_sweeps $SWEEPS -measurement_sweeps $SWEEPS"
CK="$WORK/ck.h5"
TAG="$WORK/interrupted.h5" # unique, to find our processes with pkill -f

run_glassy 2 $RUN -output "$WORK/reference.h5" > "$WORK/reference.log" 2>&1 || { cat "$WORK/reference.log"; fail "reference run"; }

interruptions=0 signals=0 kills=0 attempt=0 ck_seen=0
ranks=(2 1 4 2 4 1)
signals_list=(USR1 TERM INT)
while :; do
  n=${ranks[$((attempt % ${#ranks[@]}))]}
  attempt=$((attempt + 1))
  [ $attempt -le $((WANT * 3 + 20)) ] || fail "the run did not finish after $attempt starts"
  # Open MPI's mpiexec has been seen to hang (rarely) after all its ranks were killed with -9:
  # a run that is interrupted must not stall the test, so each start has a hard time limit.
  timeout -k 5 120 "$MPIEXEC" --oversubscribe -n "$n" "$GLASSY" $RUN -checkpoint "$CK" -checkpoint_interval 0.2 -restart -output "$TAG" > "$WORK/run.log" 2>&1 &
  pid=$!
  if [ $interruptions -lt "$WANT" ]; then
    if [ $((RANDOM % 2)) = 0 ]; then
      # A catchable signal is sent once the run has printed its header: by then every rank is past
      # MPI_Init and has its handlers.  (A signal that lands while a rank is still being loaded,
      # before main, kills it with the default action: seen once with 4 ranks on 2 cores.)
      for _ in $(seq 100); do grep -q "^glassy: EA" "$WORK/run.log" 2>/dev/null && break; sleep 0.05; done
      sleep "0.$((RANDOM % 5))" # 0 .. 0.4 s more: a first checkpoint, some sweeps
      sig=${signals_list[$((RANDOM % 3))]}
      pkill -"$sig" -f -- "^$GLASSY .*-output $TAG" && how="SIG$sig"
    else
      sleep "0.$((RANDOM % 6 + 4))" # 0.4 .. 0.9 s: start-up, a first checkpoint, some sweeps
      pkill -KILL -f -- "^$GLASSY .*-output $TAG" && how="kill -9"
    fi
  fi
  rc=0
  wait $pid || rc=$?
  if [ $rc = 0 ]; then
    break
  fi
  case "$how" in
    SIG*) [ $rc = 75 ] || { cat "$WORK/run.log"; fail "stopped by $how on $n ranks but the exit status was $rc, not 75"; }
          grep -q "stopped by signal" "$WORK/run.log" || { cat "$WORK/run.log"; fail "no message after $how"; }
          signals=$((signals + 1)) ;;
    *)    kills=$((kills + 1)) ;;
  esac
  interruptions=$((interruptions + 1))
  [ -e "$CK" ] && ck_seen=1 # a kill -9 during start-up may come before the first checkpoint
  echo "interruption $interruptions: $how on $n ranks ($(grep -o 'continuing from .*' "$WORK/run.log" || echo 'fresh start'))"
  how=""
done
grep -q "continuing from" "$WORK/run.log" || [ $ck_seen = 0 ] || fail "the final run did not restart from a checkpoint, although an interrupted run had written one"
same_results "$WORK/reference.h5" "$TAG" "after $interruptions interruptions, against the uninterrupted run"
"$H5DIFF" --delta=1e-12 "$WORK/reference.h5" "$TAG" /observables/structure_factor /observables/structure_factor > /dev/null || fail "structure factor differs"
[ $interruptions -ge "$WANT" ] || fail "only $interruptions interruptions happened (wanted $WANT)"
echo "$interruptions interruptions ($signals by signal, $kills by kill -9), restarts on 1, 2 and 4 ranks: results identical to the uninterrupted run"
