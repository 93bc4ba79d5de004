#!/bin/bash
# Reference and multispin kernels agree bit for bit; incremental energies equal recomputed ones.
. "${top_srcdir:-.}/tests/common.sh"
for n in 1 2; do
  timeout 300 "$MPIEXEC" --oversubscribe -n $n "$top_builddir/tests/test_kernels" || fail "test_kernels on $n ranks"
done
