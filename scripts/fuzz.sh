#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and UBSan in
# build-fuzz/ and runs each for $1 seconds (default 30) from its seed corpus: ctest -L fuzz.
# Installs clang, libFuzzer and clang's OpenMP when missing (run as root then), as
# install-deps.sh does for the rest. See tests/fuzz/README.md for longer runs and crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi

scripts/install-deps.sh clang libclang-rt-14-dev libomp-14-dev

# Only the fuzz targets and the libraries they link are built; the suites and benchmarks
# are left to the gcc builds.
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Release -DTQ_FUZZ=ON -DTQ_SANITIZE=address,undefined \
  -DTQ_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target tq_fuzz
# One core per target: as many targets at once as there are cores.
ctest --test-dir build-fuzz -L fuzz --output-on-failure -j"$(nproc)"
