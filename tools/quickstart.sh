#!/bin/bash
# From a fresh Debian 12 machine to a first result: install what is missing, build, run a small
# finite-size-scaling campaign of the 3D Edwards-Anderson spin glass on all local cores
# (jobs/campaign-quickstart.opts), and analyse it: the crossing temperatures of the Binder
# cumulant and of xi_L/L, an equilibration table and figures.
# Files: quickstart-campaign/ (results.h5; analysis/report.txt and analysis/*.png).
# Running it again continues or reuses the campaign already there (-restart).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
export OMPI_MCA_rmaps_base_oversubscribe=1
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpiexec -n "$(nproc)" ./glassy -campaign jobs/campaign-quickstart.opts -restart "$@"
exec /usr/bin/python3 tools/campaign_analysis.py quickstart-campaign
