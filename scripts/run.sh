#!/usr/bin/env bash
# The main job: install what is missing, build, and reproduce the paper's Figure 3
# (TurboQuant distortion and inner-product bias at d = 1536, bits 1..4) with a report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
build/tools/bench/tq-bench distortion --dim 1536 --bits 1,2,3,4 --samples 20000 \
  --rotation fast --variants mse,prod,prod-orthogonal,corrected --report out/distortion
echo "report: out/distortion/distortion.md (plots: distortion.svg, distortion_prod.svg)"
