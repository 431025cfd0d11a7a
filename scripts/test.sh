#!/usr/bin/env bash
# Install what is missing, build from scratch in build-test/, and run every default test
# through ctest (label `unit`) and the stress test (label `stress`); then the suites that read
# hostile files again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/: index
# file and log corruption, malformed vector files), the concurrency test under ThreadSanitizer
# (build-tsan/, one OpenMP thread since libgomp is not instrumented), and the fuzz targets for a
# bounded time (scripts/fuzz.sh, clang). Only those targets are built more than once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh libfaiss-dev  # optional for the build; the tests cover tq-bench speed --faiss
scripts/build.sh build-test
ctest --test-dir build-test -L unit --output-on-failure -j"$(nproc)" --timeout 900
# Searchers checking every result against a model while a writer runs (about a minute).
ctest --test-dir build-test -L stress --output-on-failure --timeout 900

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DTQ_SANITIZE=address,undefined \
      -DTQ_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j"$(nproc)" --target index_file_test index_wal_test io_vector_file_test platform_file_test \
      io_ann_hdf5_test
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan -R '^(index_file_test|index_wal_test|io_vector_file_test|io_ann_hdf5_test|platform_file_test)\.' \
        --output-on-failure -j"$(nproc)" --timeout 900

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DTQ_SANITIZE=thread \
      -DTQ_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-tsan -j"$(nproc)" --target index_concurrency_test
OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 \
  ctest --test-dir build-tsan -L concurrency --output-on-failure --timeout 900

# The libFuzzer targets (clang, ASan + UBSan; build-fuzz/), 20 s each from their seed corpora.
scripts/fuzz.sh 20
