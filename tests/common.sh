# Shared by the shell tests: where things are, and how to run glassy under MPI.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}" "${MPIEXEC:=mpiexec}" "${PYTHON3:=/usr/bin/python3}" "${H5DIFF:=h5diff}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

export OMPI_MCA_rmaps_base_oversubscribe=1
GLASSY="$top_builddir/glassy"
INSTANCES="$top_srcdir/tests/instances"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/glassy-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# same_results A B WHAT: the results files A and B hold identical /observables, /pt and /logbins,
# bit for bit; otherwise fail, naming the group and WHAT.
same_results() {
  local g
  for g in /observables /pt /logbins; do
    "$H5DIFF" "$1" "$2" $g $g > "$WORK/diff" 2>&1 || { head -20 "$WORK/diff"; fail "$3: $g differs"; }
  done
}

# run_glassy NRANKS ARGS...: run under MPI with a time limit (no test may hang).
run_glassy() {
  local n=$1; shift
  timeout 300 "$MPIEXEC" --oversubscribe -n "$n" "$GLASSY" "$@"
}
