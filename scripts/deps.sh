#!/usr/bin/env bash
# deps.sh - install the Debian packages conviz needs to build, run and test (we run as root).
# Installs only what is missing, so a second run costs one dpkg query.
set -eu
pkgs=(build-essential cmake pkg-config libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libcjson-dev
      fonts-dejavu-core python3 xvfb xauth imagemagick valgrind clang libclang-rt-14-dev
      lttng-tools liblttng-ust-dev babeltrace2 libbabeltrace2-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
