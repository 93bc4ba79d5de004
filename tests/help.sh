#!/bin/bash
# `glassy -help` lists every option of the command-line contract, with its default, and exits 0.
. "${top_srcdir:-.}/tests/common.sh"
"$GLASSY" -help > "$WORK/help" 2>&1 || { cat "$WORK/help"; fail "glassy -help exited non-zero"; }
for o in model dim L N checkpoint checkpoint_interval restart couplings couplings_file export_couplings seed samples sample_offset temperatures tmin tmax ntemps \
         replicas update kernel equilibration_sweeps measurement_sweeps measure_interval pt_interval bins output \
         progress_interval quiet structure_factor campaign campaign_part campaign_parts campaign_merge; do
  grep -q -- "^ *-$o[ <:]" "$WORK/help" || { cat "$WORK/help"; fail "-help does not list -$o"; }
done
grep -q -- "-L <now 8 : formerly 8>\|-L <8>" "$WORK/help" || { grep -- " -L" "$WORK/help"; fail "-help does not show the default of -L"; }
[ ! -e glassy.h5 ] || [ glassy.h5 -ot "$WORK/help" ] || fail "-help wrote an output file"
echo "-help lists every option"
