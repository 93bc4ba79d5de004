#!/bin/bash
# Monte Carlo averages of e, e^2, |m|, q2, q4 and the link overlap agree with exact enumeration
# within 4 standard errors, at four temperatures, for every kernel and update (bimodal multispin
# and reference, real couplings) in 2, 3 and 4 dimensions.
. "${top_srcdir:-.}/tests/common.sh"
TEMPS=0.6,0.9,1.3,2.0
RUN="-samples 64 -temperatures $TEMPS -equilibration_sweeps 2000 -measurement_sweeps 16000 -measure_interval 2 -pt_interval 1 -quiet"

check() { # name instance dim L N ranks extra-options...
  local name=$1 inst=$2 dim=$3 L=$4 N=$5 ranks=$6; shift 6
  local skip=""
  case $inst in *diluted*) skip="--skip link_overlap" ;; esac # enumerate averages over listed bonds only
  echo "== $name"
  "$top_builddir/tests/enumerate" "$INSTANCES/$inst" "$N" ${TEMPS//,/ } > "$WORK/$name.exact" || fail "$name: enumerate"
  run_glassy "$ranks" -dim "$dim" -L "$L" -couplings_file "$INSTANCES/$inst" $RUN -output "$WORK/$name.h5" "$@" > "$WORK/$name.log" 2>&1 \
    || { cat "$WORK/$name.log"; fail "$name: glassy"; }
  "$PYTHON3" "$top_srcdir/tests/check_exact.py" "$WORK/$name.h5" "$WORK/$name.exact" $skip || fail "$name: Monte Carlo disagrees with exact enumeration"
}

check gauss2d-metropolis ea2d_L4_gaussian.txt 2 4 16 1 -update metropolis
check gauss2d-heatbath   ea2d_L4_gaussian.txt 2 4 16 2 -update heatbath -seed 5
check bimodal2d-multispin ea2d_L4_bimodal.txt 2 4 16 1 -kernel multispin
check bimodal2d-reference ea2d_L4_bimodal.txt 2 4 16 1 -kernel reference -seed 3
check bimodal2d-heatbath  ea2d_L4_bimodal.txt 2 4 16 2 -update heatbath -replicas 3 -seed 9
check diluted2d          ea2d_L4_diluted.txt  2 4 16 1
check gauss3d-L2         ea3d_L2_gaussian.txt 3 2 8 2
check bimodal4d-L2       ea4d_L2_bimodal.txt  4 2 16 1 -seed 21
echo "all exact-enumeration checks passed"
