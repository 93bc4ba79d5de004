#!/bin/bash
# The SK runs behind doc/sk.md: samples of N = 32 .. 512 spins, 2 replicas at 16 temperatures
# from 0.3 to 1.5, Gaussian couplings.  Results go to ${1:-sk-study}/sk-N*.h5; then
#   /usr/bin/python3 tools/sk_analysis.py ${1:-sk-study}/sk-N*.h5
# draws the figures.  About 8 minutes on one core; set RANKS to use more.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-sk-study}
mkdir -p "$out"
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
RANKS=${RANKS:-1}
for spec in "32 128 2000" "64 128 2000" "128 64 3000" "256 32 3000" "512 16 4000"; do
  set -- $spec # N samples sweeps-per-phase
  mpiexec -n "$RANKS" ./glassy -model sk -N "$1" -samples "$2" -couplings gaussian -seed 2026 \
    -tmin 0.3 -tmax 1.5 -ntemps 16 -replicas 2 -equilibration_sweeps "$3" -measurement_sweeps "$3" \
    -measure_interval 4 -pt_interval 4 -quiet -output "$out/sk-N$1.h5" | grep -E "^glassy: (SK|memory|[0-9]+ sweeps)"
done
