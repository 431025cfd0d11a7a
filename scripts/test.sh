#!/usr/bin/env bash
# Install what is missing, build from scratch in build-test/, and run every default test
# through ctest (label `unit`); then the concurrency test again under ThreadSanitizer
# (build-tsan/, only that test's targets, one OpenMP thread since libgomp is not instrumented).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build-test
ctest --test-dir build-test -L unit --output-on-failure -j"$(nproc)" --timeout 900
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DTQ_SANITIZE=thread \
      -DTQ_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-tsan -j"$(nproc)" --target index_concurrency_test
OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 \
  ctest --test-dir build-tsan -L concurrency --output-on-failure --timeout 900
