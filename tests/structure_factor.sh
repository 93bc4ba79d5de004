#!/bin/bash
# The FFTW-MPI structure factor equals the direct sum, on 1, 2 and 4 ranks.
. "${top_srcdir:-.}/tests/common.sh"
for n in 1 2 4; do
  timeout 300 "$MPIEXEC" --oversubscribe -n $n "$top_builddir/tests/test_structure_factor" || fail "test_structure_factor on $n ranks"
done
