#!/bin/bash
# From a fresh Debian 12 machine to a first result: install what is missing, build, and run a
# small parallel-tempering simulation of the 3D Edwards-Anderson spin glass on all local cores.
# Results go to ea3d-example.h5; the summary is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
export OMPI_MCA_rmaps_base_oversubscribe=1
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
exec mpiexec -n "$(nproc)" ./glassy -options_file jobs/example-ea3d.opts "$@"
