#!/usr/bin/env bash
# Regenerates README "Results" (recall against PQ and RaBitQ): for every ann-benchmarks file
# given (default: every ../shared/datasets/*.hdf5) and 2, 3 and 4 bits per dimension, one
# tq-bench recall run measuring, side by side, TurboQuant as recommended (corrected +
# centering), its levers one at a time, the paper's variants, PQ, RaBitQ at the same bits per
# dimension and RaBitQ padded as its papers do, and TurboQuant at that padded RaBitQ's bytes
# (a non-integer rate). Reports land in out/results/<file>/b<B>/ (results.md, .csv, recall.svg),
# the plots also in docs/results/<file>-b<B>.svg, which the README shows.
# Assumes a build in build/ (scripts/build.sh), or TQ_BENCH=path/to/tq-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${TQ_BENCH:-build/tools/bench/tq-bench}
files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(../shared/datasets/*.hdf5); fi

# TurboQuant's rate with the bytes of RaBitQ at B bits padded to 64 dimensions: RaBitQ keeps
# ceil(d/64)*64*B/8 code bytes + 4; centered TurboQuant keeps 8 bytes of floats (cosine, ip).
rate_at_rabitq_bytes() {
  local d=$1 b=$2
  awk -v d="$d" -v b="$b" 'BEGIN {
    rb = int((d + 63) / 64) * 64 * b / 8 + 4; r = 8 * (rb - 8) / d;
    if (r > 4 || r < 1) print ""; else printf "%.4g\n", r }'
}

for file in "${files[@]}"; do
  name=$(basename "$file" .hdf5)
  dim=$("$bench" recall --data "$file" --methods tq1 --queries 1 --json 2>/dev/null |
    sed -n 's/.*"d":\([0-9]*\),.*/\1/p')
  for b in 2 3 4; do
    methods="tq$b,tq$b-corrected-nocenter,tq$b-mse-nocenter,tq$b-prod-nocenter"
    if [ "$b" -ge 3 ]; then methods="$methods,tq$b-maxcos"; fi
    if [ "$b" -ne 3 ]; then methods="$methods,pq$b"; fi  # PQ has no 3-bit 256-centroid shape
    methods="$methods,rabitq$b-pad8,rabitq$b"
    rate=$(rate_at_rabitq_bytes "$dim" "$b")
    if [ -n "$rate" ] && [ "$rate" != "$b" ]; then methods="$methods,tq$rate"; fi
    echo "== $name, $b bits: $methods" >&2
    "$bench" recall --data "$file" --methods "$methods" --rerank 100 \
      --report "out/results/$name/b$b"
    mkdir -p docs/results
    cp "out/results/$name/b$b/recall.svg" "docs/results/$name-b$b.svg"  # the README's plots
  done
done
