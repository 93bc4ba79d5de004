#!/bin/bash
# The whole trajectory is independent of the number of ranks: observables, tempering statistics
# and logarithmic bins are bit-identical on 1, 2, 4 and 8 (oversubscribed) ranks, in 2, 3 and 4
# dimensions, for bimodal (multispin) and Gaussian couplings.  The FFTW structure factor is
# compared to within 1e-12 (absolute; its values are at most 1) (its floating-point sums follow FFTW's plan for each layout).
. "${top_srcdir:-.}/tests/common.sh"

compare() { # name options...
  local name=$1; shift
  for n in 1 2 4 8; do
    run_glassy $n "$@" -quiet -output "$WORK/$name-$n.h5" > "$WORK/$name-$n.log" 2>&1 || { cat "$WORK/$name-$n.log"; fail "$name on $n ranks"; }
  done
  grep "ranks as a" "$WORK/$name-8.log"
  for n in 2 4 8; do
    for group in /temperatures /observables/energy /observables/q2 /observables/q4 /observables/link_overlap /observables/qk2 \
                 /observables/abs_magnetization /observables/energy2 /observables/link_overlap2 /pt /logbins; do
      "$H5DIFF" "$WORK/$name-1.h5" "$WORK/$name-$n.h5" "$group" "$group" > "$WORK/diff" 2>&1 \
        || { cat "$WORK/diff" | head -20; fail "$name: $group differs between 1 and $n ranks"; }
    done
    for o in energy q2 qk2; do # all per-sample observables and their errors
      "$H5DIFF" "$WORK/$name-1.h5" "$WORK/$name-$n.h5" "/observables/${o}_err" "/observables/${o}_err" > /dev/null || fail "$name: ${o}_err differs on $n ranks"
    done
    if "$PYTHON3" -c "import h5py,sys; sys.exit(0 if \"observables/structure_factor\" in h5py.File(sys.argv[1],\"r\") else 1)" "$WORK/$name-1.h5"; then
      "$H5DIFF" --delta=1e-12 "$WORK/$name-1.h5" "$WORK/$name-$n.h5" /observables/structure_factor /observables/structure_factor > "$WORK/diff" 2>&1 \
        || { head "$WORK/diff"; fail "$name: structure factor differs on $n ranks"; }
    fi
  done
  # The run must have measured something non-trivial.
  "$PYTHON3" - "$WORK/$name-1.h5" <<'PY' || fail "$name: degenerate output"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
q2 = f["observables/q2"][...]
assert np.all(np.isfinite(q2)) and q2.std() > 0, "q2 is constant or not finite"
assert f["pt/swap_acceptance"][...].mean() > 0.05, "no tempering swaps accepted"
if "observables/structure_factor" in f:  # its k = 0 mode is the sample average of <q^2>
    sf0 = f["observables/structure_factor"][...].reshape(len(f["temperatures"]), -1)[:, 0]
    assert np.allclose(sf0, q2.mean(axis=0), rtol=1e-10, atol=0), (sf0, q2.mean(axis=0))
PY
  echo "$name: identical on 1, 2, 4 and 8 ranks"
}

compare ea3d-bimodal -dim 3 -L 8 -samples 70 -ntemps 5 -tmin 0.8 -tmax 2.0 -equilibration_sweeps 60 -measurement_sweeps 120 -measure_interval 4 -pt_interval 3 -structure_factor
compare ea2d-gaussian -dim 2 -L 8 -samples 5 -couplings gaussian -ntemps 4 -tmin 0.5 -tmax 2.0 -equilibration_sweeps 40 -measurement_sweeps 60 -measure_interval 3 -pt_interval 2 -update heatbath -replicas 3
compare ea4d-bimodal -dim 4 -L 4 -samples 64 -ntemps 4 -tmin 2.2 -tmax 3.0 -equilibration_sweeps 30 -measurement_sweeps 60 -measure_interval 5 -pt_interval 5 -structure_factor
