#!/usr/bin/env bash
# Install what is missing, build from scratch in build-test/, and run every default test
# through ctest (label `unit`; longer suites have their own labels, see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build-test
ctest --test-dir build-test -L unit --output-on-failure -j"$(nproc)" --timeout 900
