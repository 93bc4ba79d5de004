#!/bin/bash
# Instances round-trip: a run on generated couplings equals, bit for bit, a run on the same
# couplings exported to a text edge list or to HDF5 and loaded back.  Malformed instance files
# give one error line naming the file and line, on every rank, and no output file.
. "${top_srcdir:-.}/tests/common.sh"
COMMON="-equilibration_sweeps 40 -measurement_sweeps 80 -measure_interval 4 -pt_interval 4 -ntemps 3 -tmin 0.8 -tmax 1.6 -quiet -seed 77"

for kind in gaussian bimodal; do
  run_glassy 2 -dim 3 -L 4 -samples 1 -couplings $kind $COMMON -export_couplings "$WORK/$kind.txt" -output "$WORK/gen-$kind.h5" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "$kind: generated run"; }
  run_glassy 1 -dim 3 -L 4 -samples 1 -couplings $kind $COMMON -export_couplings "$WORK/$kind.h5" -equilibration_sweeps 0 -measurement_sweeps 0 -output "$WORK/unused.h5" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "$kind: export to HDF5"; }
  [ "$(grep -vc '^#' "$WORK/$kind.txt")" = 192 ] || fail "$kind: the text export does not hold 4^3 x 3 = 192 bonds"
  for fmt in txt h5; do
    run_glassy 2 -dim 3 -L 4 -samples 1 $COMMON -couplings_file "$WORK/$kind.$fmt" -output "$WORK/load-$kind-$fmt.h5" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "$kind: run on the $fmt instance"; }
    same_results "$WORK/gen-$kind.h5" "$WORK/load-$kind-$fmt.h5" "$kind: after the round trip through $fmt"
  done
  echo "$kind: generated, text and HDF5 instances give identical runs"
done

# Several samples need a %d in the export path; each sample gets its own file.
run_glassy 1 -dim 2 -L 4 -samples 3 -sample_offset 5 -export_couplings "$WORK/many-%d.txt" -equilibration_sweeps 0 -measurement_sweeps 0 -output "$WORK/unused.h5" -quiet > /dev/null 2>&1 || fail "export of several samples"
for s in 5 6 7; do [ -s "$WORK/many-$s.txt" ] || fail "sample $s was not exported"; done

# Bad instance files: message names file and line; non-zero exit; no results file.
bad() { # expected-message-part file-content
  local want=$1 content=$2 f="$WORK/bad.txt" out="$WORK/bad-out.h5"
  printf '%b' "$content" > "$f"
  for n in 1 4; do
    rm -f "$out"
    if run_glassy $n -dim 2 -L 4 -couplings_file "$f" -output "$out" -quiet > "$WORK/out" 2> "$WORK/err"; then fail "accepted a bad file ($want)"; fi
    grep -q "glassy: error: .*$want" "$WORK/err" || { cat "$WORK/err"; fail "no error naming '$want'"; }
    [ "$(grep -c 'glassy: error' "$WORK/err")" = 1 ] || { cat "$WORK/err"; fail "expected exactly one error line for '$want' on $n ranks"; }
    [ ! -e "$out" ] || fail "an output file was written despite the bad instance ($want)"
  done
  echo "rejected: $(grep 'glassy: error' "$WORK/err")"
}
bad "bad.txt:2: malformed line" "0 1 1.0\n0 4 x\n"
bad "bad.txt:3: malformed line" "# comment\n0 1 1.0\n0 1\n"
bad "bad.txt:1: site 16 is out of range" "16 1 1.0\n"
bad "bad.txt:2: sites 0 and 5 are not nearest neighbours" "0 1 1\n0 5 1\n"
bad "bad.txt:3: the bond between sites 1 and 0 is listed twice (first on line 1)" "0 1 1\n1 2 1\n1 0 -1\n"
bad "bad.txt:1: malformed line" "0 1 1.0 extra\n"
bad "no bonds in the file" "# nothing here\n"
bad "bad.txt:1: coupling inf is not a finite number" "0 1 inf\n"
bad "bad.txt: the sum of |J| over all bonds is 2e+09, above the 2^30" "0 1 1e9\n1 2 -1e9\n"
# An HDF5 instance without bonds.
"$PYTHON3" -c "
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    f.attrs['dim'] = 2; f.attrs['L'] = 4
    for n in 'ij': f[n] = np.zeros(0, dtype=np.int64)
    f['J'] = np.zeros(0)
" "$WORK/empty.h5"
if run_glassy 2 -dim 2 -L 4 -couplings_file "$WORK/empty.h5" -output "$WORK/o.h5" > /dev/null 2> "$WORK/err"; then fail "accepted an HDF5 instance without bonds"; fi
grep -q "empty.h5: no bonds in the file" "$WORK/err" || { cat "$WORK/err"; fail "empty HDF5 message"; }
rm -f "$WORK/missing.txt"
if run_glassy 2 -dim 2 -L 4 -couplings_file "$WORK/missing.txt" -output "$WORK/o.h5" > /dev/null 2> "$WORK/err"; then fail "accepted a missing file"; fi
grep -q "glassy: error: -couplings_file .*missing.txt: cannot open" "$WORK/err" || { cat "$WORK/err"; fail "missing file message"; }
# An HDF5 instance for another lattice size.
if run_glassy 2 -dim 3 -L 6 -couplings_file "$WORK/gaussian.h5" -output "$WORK/o.h5" > /dev/null 2> "$WORK/err"; then fail "accepted an instance of the wrong size"; fi
grep -q "the instance has L 4 but the run has -L 6" "$WORK/err" || { cat "$WORK/err"; fail "wrong-size HDF5 message"; }
# A text file with an .h5 name.
cp "$WORK/gaussian.txt" "$WORK/fake.h5"
if run_glassy 1 -dim 3 -L 4 -couplings_file "$WORK/fake.h5" -output "$WORK/o.h5" > /dev/null 2> "$WORK/err"; then fail "accepted a fake HDF5 file"; fi
grep -q "not an HDF5 file" "$WORK/err" || { cat "$WORK/err"; fail "fake HDF5 message"; }
[ ! -e "$WORK/o.h5" ] || fail "output written despite bad instances"
echo "instance files: all checks passed"
