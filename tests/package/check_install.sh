#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then configures, builds and runs a consumer
# project that only knows find_package(tq). Usage: check_install.sh BUILD_DIR SOURCE_DIR [SANITIZE]
# SANITIZE (TQ_SANITIZE of the build): its libraries are instrumented, so the consumer is compiled
# and linked with the same -fsanitize (else its link misses the sanitizer runtimes).
set -euo pipefail
build_dir=$1
source_dir=$2
sanitize_flags=()
if [[ -n "${3:-}" ]]; then
  sanitize_flags=("-DCMAKE_CXX_FLAGS=-fsanitize=$3" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=$3")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/package/consumer" -B "$work/consumer" \
      -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release "${sanitize_flags[@]}" \
      >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
