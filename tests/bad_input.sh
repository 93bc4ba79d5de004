#!/bin/bash
# Every invalid option value gives one error line naming the option and the value, a non-zero
# exit on every rank without a hang, and no output file.
. "${top_srcdir:-.}/tests/common.sh"
OUT="$WORK/out.h5"
checks=0

expect_error() { # ranks "expected text" options...
  local n=$1 want=$2; shift 2
  rm -f "$OUT"
  local start=$SECONDS rc=0
  if [ "$n" = 1 ]; then # a singleton run, as a user might start it without mpiexec
    timeout 120 "$GLASSY" -L 6 -output "$OUT" -quiet "$@" > "$WORK/stdout" 2> "$WORK/stderr" || rc=$?
  else
    run_glassy "$n" -L 6 -output "$OUT" -quiet "$@" > "$WORK/stdout" 2> "$WORK/stderr" || rc=$?
  fi
  [ $rc -ne 0 ] || fail "accepted: $*"
  [ $rc -ne 124 ] || fail "hung (killed by the time limit): $*"
  grep -qF -- "glassy: error: $want" "$WORK/stderr" || { cat "$WORK/stderr"; fail "expected 'glassy: error: $want' for: $*"; }
  [ "$(grep -c 'glassy: error' "$WORK/stderr")" = 1 ] || { cat "$WORK/stderr"; fail "expected exactly one error line on $n ranks for: $*"; }
  [ ! -e "$OUT" ] || fail "an output file was written for: $*"
  ls "$WORK" | grep -q 'out.h5.tmp' && fail "a temporary output file was left behind for: $*"
  checks=$((checks + 1))
  echo "ok ($n ranks, $((SECONDS - start)) s): $(grep 'glassy: error' "$WORK/stderr")"
}

for n in 1 3; do
  expect_error $n "-L 1: must be even and at least 2" -L 1
  expect_error $n "-L -4: must be even and at least 2" -L -4
  expect_error $n "-L 7: must be even" -L 7
  expect_error $n "-L abc:" -L abc
  expect_error $n "-dim 5: must be 2, 3 or 4" -dim 5
  expect_error $n "-model xy: Unknown option xy for -model" -model xy
  expect_error $n "-couplings lorentzian:" -couplings lorentzian
  expect_error $n "-update glauber:" -update glauber
  expect_error $n "-replicas 0: must be at least 1" -replicas 0
  expect_error $n "-samples 0: must be between 1 and 65536" -samples 0
  expect_error $n "-seed -3: must be an integer from 0 to 4294967295" -seed -3
  expect_error $n "-temperatures: values must increase strictly, but 0.5 follows 1" -temperatures 1.0,0.5,2.0
  expect_error $n "-temperatures: value -1 at position 1 is not a positive number" -temperatures -1,1
  expect_error $n "-temperatures 1,x: Input string x has no numeric value" -temperatures 1,x
  expect_error $n "-temperatures: value 0 at position 2 is not a positive number" -temperatures 0.5,0,1
  expect_error $n "-tmin -0.5: must be a positive temperature" -tmin -0.5
  expect_error $n "-tmax 0.5: must be above -tmin 1" -tmin 1 -tmax 0.5
  expect_error $n "-ntemps 0: must be between 1 and" -ntemps 0
  expect_error $n "-temperatures: give either -temperatures or -tmin/-tmax/-ntemps" -temperatures 1,2 -tmin 0.5
  expect_error $n "-measure_interval 0: must be at least 1" -measure_interval 0
  expect_error $n "-pt_interval -1: must be at least 0" -pt_interval -1
  expect_error $n "-equilibration_sweeps -5: must be at least 0" -equilibration_sweeps -5
  expect_error $n "-LL 8: unknown option" -LL 8
  expect_error $n "-couplings_file $WORK/none.txt: cannot open" -couplings_file "$WORK/none.txt"
  expect_error $n "-output /nonexistent-dir/x.h5: cannot be written" -output /nonexistent-dir/x.h5
  expect_error $n "-output $WORK: is a directory" -output "$WORK"
  expect_error $n "-options_file $WORK/none.opts: cannot read" -options_file "$WORK/none.opts"
  expect_error $n "-samples 100000: must be between 1 and 65536" -samples 100000
  expect_error $n "-structure_factor: needs overlaps, so -replicas must be at least 2" -structure_factor -replicas 1
  expect_error $n "-temperatures: more than 1024 values" -temperatures "$(seq -s, 1 1100)"
done
expect_error 3 "-L 8: does not split over the 1 x 1 x 3 grid of 3 ranks" -L 8
expect_error 5 "-L 6: does not split over the 1 x 5 grid of 5 ranks" -dim 2 -L 6
# An existing results file is never replaced by a failed run.
echo "precious" > "$WORK/keep.h5"
run_glassy 2 -L 7 -output "$WORK/keep.h5" > /dev/null 2>&1 && fail "accepted -L 7"
[ "$(cat "$WORK/keep.h5")" = precious ] || fail "a failed run damaged an existing output file"
echo "$checks bad inputs rejected"
