#!/usr/bin/env bash
# tq-bench's contract at the command line: exit 0 ok, 1 bad input, 2 usage; --json is one
# object with every documented field; --report writes its four files.
# Usage: tq_bench_cli_test.sh TQ_BENCH SHARED_DATASETS
set -u
bench=$1
datasets=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
expect() {  # expect CODE ARGS...
  local want=$1
  shift
  "$bench" "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: tq-bench $* exited $got, expected $want"; cat "$work/err"; failures=$((failures + 1))
  fi
}
expect 2
expect 2 nonsense
expect 0 --help
expect 0 distortion --help
expect 2 distortion --bogus
expect 2 distortion --bits=9
expect 2 distortion --variants=mse,,prod
expect 2 distortion --rotation=spiral
expect 2 distortion --dim=70000 --samples=10
expect 2 distortion --samples=2000000000
expect 2 distortion --queries=0
expect 1 distortion --data="$work/missing.hdf5"
echo "not hdf5" >"$work/bad.hdf5"
expect 1 distortion --data="$work/bad.hdf5"
expect 0 distortion --dim=16 --samples=300 --queries=4 --bits=1,2 --json --report="$work/report"
for field in '"dim":16' '"samples":300' '"rotation":"haar"' '"variant":"mse"' '"variant":"prod"' \
             '"variant":"corrected"' '"d_mse":' '"d_prod":' '"ip_bias":' '"lower_bound":' \
             '"upper_bound":' '"prod_upper_bound":'; do
  grep -q "$field" "$work/out" || { echo "FAIL: --json lacks $field"; failures=$((failures + 1)); }
done
[ "$(grep -o '"bits":' "$work/out" | wc -l)" = 6 ] || { echo "FAIL: expected 6 rows"; failures=$((failures + 1)); }
for f in distortion.md distortion.csv distortion.svg distortion_prod.svg; do
  [ -s "$work/report/$f" ] || { echo "FAIL: report lacks $f"; failures=$((failures + 1)); }
done
if [ -f "$datasets/minilm-384-angular.hdf5" ]; then
  expect 0 distortion --data="$datasets/minilm-384-angular.hdf5" --samples=200 --bits=2 --json
  grep -q '"dim":384' "$work/out" || { echo "FAIL: minilm dim"; failures=$((failures + 1)); }
fi
echo "$failures failures"
[ "$failures" = 0 ]
