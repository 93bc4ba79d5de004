#!/bin/bash
# Interrupt a run twenty times at random moments (SIGUSR1/SIGTERM/SIGINT and kill -9), restarting
# it each time on 1, 2 or 4 ranks, and check that the final results equal an uninterrupted run's.
# Prints each interruption and the count.  Same as `make soak-restarts`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
top_srcdir=. top_builddir=. MPIEXEC=mpiexec H5DIFF=h5diff PYTHON3=/usr/bin/python3 exec tests/interrupt.sh "${1:-20}"
