#!/usr/bin/env bash
# Installs the Debian 12 packages tq-index builds with, plus any named as arguments (fuzz.sh
# adds clang's), only those that are missing (so a machine that has them needs no network).
# Run as root.
set -euo pipefail
packages=(cmake make g++ libabsl-dev libhdf5-dev libgtest-dev libbenchmark-dev "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
