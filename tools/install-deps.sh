#!/bin/bash
# Install the Debian 12 packages glassy needs to build, test and analyse, if any is missing.
# Uses apt-get (through sudo when not root).  Safe to run again: it does nothing when all is there.
set -euo pipefail
PACKAGES=(
  build-essential autoconf automake libtool pkg-config git
  openmpi-bin libopenmpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libfftw3-dev libfftw3-mpi-dev
  petsc-dev
  librandom123-dev
  python3-h5py python3-numpy python3-scipy python3-matplotlib
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "glassy: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
