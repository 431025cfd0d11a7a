#!/usr/bin/env bash
# The main job: install what is missing, build, and compare TurboQuant with Product
# Quantization and RaBitQ on the bundled GloVe sample (20k base vectors, 500 queries, exact
# neighbours; datasets/README.md): recall@1@k as in the paper's Figure 5, recall@10, bytes per
# vector, build time and QPS, all measured in one run. Takes a minute or two (PQ trains k-means).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
build/tools/bench/tq-bench recall --data datasets/glove-100-angular-20k.hdf5 \
  --methods tq2,tq4,tq2-mse-nocenter,tq4-mse-nocenter,pq2,pq4,rabitq2,rabitq4 --report out/recall
echo "report: out/recall/results.md (plot: out/recall/recall.svg)"
