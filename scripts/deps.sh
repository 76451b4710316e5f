#!/usr/bin/env bash
# Install the Debian 12 packages arena needs, only those that are missing.
set -euo pipefail
pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev libcurl4-openssl-dev libjansson-dev
libwebsockets-dev libhdf5-dev libgsl-dev libcmocka-dev libssl-dev zlib1g-dev hdf5-tools
python3-h5py python3-numpy chromium openmpi-bin libopenmpi-dev valgrind"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
