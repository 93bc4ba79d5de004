#!/bin/bash
# The SK model: Monte Carlo against exact enumeration (e, e^2, |m|, q2, q4 and the whole P(q)) at
# four temperatures; bit-identical results on 1, 2 and 4 ranks and between the reference and
# optimised kernels; a checkpoint written on 2 ranks
# continues on 3 with identical results; bad input rejected cleanly.
. "${top_srcdir:-.}/tests/common.sh"
TEMPS=0.3,0.5,0.8,1.5
RUN="-model sk -samples 64 -temperatures $TEMPS -equilibration_sweeps 2000 -measurement_sweeps 20000 -measure_interval 2 -pt_interval 1 -quiet"

exact() { # name instance N ranks options...
  local name=$1 inst=$2 N=$3 ranks=$4; shift 4
  "$top_builddir/tests/enumerate" "$INSTANCES/$inst" "$N" ${TEMPS//,/ } > "$WORK/$name.exact" || fail "$name: enumerate"
  run_glassy "$ranks" $RUN -N "$N" -couplings_file "$INSTANCES/$inst" -output "$WORK/$name.h5" "$@" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log"; fail "$name: glassy"; }
  echo "== $name"
  "$PYTHON3" "$top_srcdir/tests/check_exact.py" "$WORK/$name.h5" "$WORK/$name.exact" --skip link_overlap | tail -5 || true
  "$PYTHON3" "$top_srcdir/tests/check_exact.py" "$WORK/$name.h5" "$WORK/$name.exact" --skip link_overlap > /dev/null || fail "$name: Monte Carlo disagrees with exact enumeration"
}
exact sk12-gaussian-metropolis sk_N12_gaussian.txt 12 1
exact sk16-bimodal-heatbath sk_N16_bimodal.txt 16 2 -update heatbath -seed 3 -replicas 3

# Identical on 1, 2 and 4 ranks (generated couplings, several samples, three replicas), for the
# double-precision path (Gaussian) and the integer path (+-1 couplings).
for couplings in gaussian bimodal; do
ID="-model sk -N 40 -samples 3 -replicas 3 -ntemps 5 -tmin 0.4 -tmax 1.5 -equilibration_sweeps 300 -measurement_sweeps 600 -measure_interval 3 -pt_interval 2 -couplings $couplings -seed 8 -quiet"
for n in 1 2 4; do
  run_glassy $n $ID -output "$WORK/id-$n.h5" > "$WORK/id-$n.log" 2>&1 || { cat "$WORK/id-$n.log"; fail "SK on $n ranks"; }
done
for n in 2 4; do
  same_results "$WORK/id-1.h5" "$WORK/id-$n.h5" "SK on 1 and $n ranks"
done
"$PYTHON3" - "$WORK/id-1.h5" <<'PY' || fail "SK output is degenerate"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
pq = f["observables/pq"][...]
assert pq.shape == (3, 5, 41), pq.shape
assert np.allclose(pq.sum(axis=2), 1.0), "P(q) is not normalised"
assert np.allclose(pq, pq[:, :, ::-1], atol=0.2), "P(q) is far from symmetric"
assert f["pt/swap_acceptance"][...].mean() > 0.05
PY
echo "SK ($couplings): identical on 1, 2 and 4 ranks"
done

# The optimised kernels (blocked for real couplings, popcount for +-1) against the plain reference
# kernel: same random numbers, same decisions, so bit-identical output.  N = 70 and 131 leave
# partial blocks, vector tails and a partial last word of spin bits.
for couplings in gaussian bimodal; do
for N in 70 131; do
KR="-model sk -N $N -samples 2 -replicas 2 -ntemps 6 -tmin 0.3 -tmax 1.5 -equilibration_sweeps 200 -measurement_sweeps 400 -measure_interval 2 -pt_interval 2 -couplings $couplings -seed 21 -quiet"
for k in reference auto; do
  run_glassy 2 $KR -kernel $k -output "$WORK/k-$k.h5" > "$WORK/k-$k.log" 2>&1 || { cat "$WORK/k-$k.log"; fail "SK -kernel $k"; }
done
same_results "$WORK/k-reference.h5" "$WORK/k-auto.h5" "SK $couplings N=$N, -kernel reference against the optimised kernel"
done
echo "SK ($couplings): the optimised kernel equals the reference kernel bit for bit (N = 70, 131)"
done

# Checkpoints: stop a 2-rank run with SIGUSR1 after its first checkpoint, continue on 3 ranks,
# and compare with the uninterrupted run (both paths).
for couplings in gaussian bimodal; do
rm -f "$WORK"/sk.ckpt.h5*
CK="-model sk -N 64 -samples 8 -replicas 2 -ntemps 8 -tmin 0.4 -tmax 1.5 -equilibration_sweeps 20000 -measurement_sweeps 20000 -measure_interval 4 -pt_interval 4 -couplings $couplings -seed 12 -quiet"
run_glassy 2 $CK -output "$WORK/ck-ref.h5" > "$WORK/ck-ref.log" 2>&1 || { cat "$WORK/ck-ref.log"; fail "SK reference run"; }
run_glassy 2 $CK -checkpoint "$WORK/sk.ckpt.h5" -checkpoint_interval 0.2 -output "$WORK/ck-int.h5" > "$WORK/ck-a.log" 2>&1 &
pid=$!
for _ in $(seq 300); do [ -e "$WORK/sk.ckpt.h5" ] && break; sleep 0.05; done
pkill -USR1 -f -- "^$GLASSY .*-output $WORK/ck-int.h5"
rc=0; wait $pid || rc=$?
[ $rc = 75 ] || { cat "$WORK/ck-a.log"; fail "the SK run stopped by SIGUSR1 exited with $rc, not 75"; }
run_glassy 3 $CK -checkpoint "$WORK/sk.ckpt.h5" -restart -output "$WORK/ck-int.h5" > "$WORK/ck-b.log" 2>&1 || { cat "$WORK/ck-b.log"; fail "SK restart on 3 ranks"; }
grep -q "continuing from $WORK/sk.ckpt.h5 at sweep" "$WORK/ck-b.log" || { cat "$WORK/ck-b.log"; fail "the SK restart did not continue from the checkpoint"; }
same_results "$WORK/ck-ref.h5" "$WORK/ck-int.h5" "SK restart against the uninterrupted run"
echo "SK ($couplings): stopped on 2 ranks ($(grep -o 'stopped by signal.*' "$WORK/ck-a.log")), $(grep -o 'continuing from .*' "$WORK/ck-b.log" | sed "s|$WORK/||") on 3 ranks: identical results"
done

# Bad input.
bad() { # expected options...
  local want=$1; shift
  rm -f "$WORK/bad.h5"
  if run_glassy 2 -model sk -quiet -output "$WORK/bad.h5" "$@" > "$WORK/out" 2> "$WORK/err"; then fail "accepted: $*"; fi
  grep "glassy: error: " "$WORK/err" | grep -qF -- "$want" || { cat "$WORK/err"; fail "expected 'glassy: error: ...$want' for: $*"; }
  [ "$(grep -c 'glassy: error' "$WORK/err")" = 1 ] || { cat "$WORK/err"; fail "expected one error line for: $*"; }
  [ ! -e "$WORK/bad.h5" ] || fail "output written for: $*"
  echo "rejected: $(grep 'glassy: error' "$WORK/err")"
}
bad "-N 1: the SK model needs -N between 2 and 65536 spins" -N 1
bad "-N 0: the SK model needs -N" 
bad "the instance couples spins 0..11 but the run has -N 14" -N 14 -couplings_file "$INSTANCES/sk_N12_gaussian.txt"
printf '0 1 0.5\n2 3 1\n1 0 0.25\n' > "$WORK/twice.txt"
bad "twice.txt:3: the pair 1 0 is listed twice" -N 4 -couplings_file "$WORK/twice.txt"
printf '0 1 0.5\n2 2 1\n' > "$WORK/self.txt"
bad "self.txt:2: a coupling of spin 2 with itself" -N 4 -couplings_file "$WORK/self.txt"
printf '0 1 0.5\n2 7 1\n' > "$WORK/range.txt"
bad "range.txt:2: spin 7 is out of range 0..3 for -N 4" -N 4 -couplings_file "$WORK/range.txt"
echo "SK checks passed"
