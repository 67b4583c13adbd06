#!/usr/bin/env bash
# Makes sure the Debian packages the build needs are installed (make deps).
# As root it installs what is missing non-interactively; otherwise it prints the apt-get line.
set -euo pipefail
packages=(cmake g++ make pkg-config libopenblas-dev nlohmann-json3-dev libgtest-dev libgmock-dev
          libbenchmark-dev libstb-dev libpugixml-dev clang libclang-rt-14-dev libboost-context-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "deps: missing Debian packages; run as root:"
  echo "  sudo apt-get update && sudo $line"
  exit 1
fi
