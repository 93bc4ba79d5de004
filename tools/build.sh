#!/bin/bash
# Build glassy in the source tree if it is not built yet (or is out of date).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x configure ] || ./autogen.sh > /dev/null
[ -f Makefile ] || ./configure -q
make -j"$(nproc)" -s
