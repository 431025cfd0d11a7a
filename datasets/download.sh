#!/usr/bin/env bash
# Fetches a public ann-benchmarks HDF5 file and checks its SHA-256 against checksums.sha256.
# Usage: download.sh NAME [DIR]     (DIR defaults to this folder)
#        download.sh --list         (names, shapes and approximate sizes)
# Exit codes: 0 ok, 1 download or checksum failure, 2 usage.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checksums="$here/checksums.sha256"
# Another mirror can be used by setting ANN_BENCHMARKS_URL (files are fetched as URL/NAME.hdf5).
base_url=${ANN_BENCHMARKS_URL:-https://ann-benchmarks.com}

# name|train rows|test rows|dimension|metric|approximate download size (ann-benchmarks README)
datasets="\
deep-image-96-angular|9990000|10000|96|angular|3.6 GB
fashion-mnist-784-euclidean|60000|10000|784|euclidean|217 MB
gist-960-euclidean|1000000|1000|960|euclidean|3.6 GB
glove-25-angular|1183514|10000|25|angular|121 MB
glove-50-angular|1183514|10000|50|angular|235 MB
glove-100-angular|1183514|10000|100|angular|463 MB
glove-200-angular|1183514|10000|200|angular|918 MB
nytimes-256-angular|290000|10000|256|angular|301 MB
sift-128-euclidean|1000000|10000|128|euclidean|501 MB
dbpedia-openai-1000k-angular|990000|10000|1536|angular|size not recorded (>= 6.1 GB)"

usage() {
  echo "usage: $0 NAME [DIR]   fetch NAME.hdf5 into DIR (default $here)"
  echo "       $0 --list       the names this script knows"
}

list() {
  printf '%-30s %10s %7s %5s  %-10s %s\n' name train test dim metric size
  while IFS='|' read -r name n nq d metric size; do
    printf '%-30s %10s %7s %5s  %-10s %s\n' "$name" "$n" "$nq" "$d" "$metric" "$size"
  done <<<"$datasets"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    echo "download.sh: neither sha256sum nor shasum found" >&2
    return 1
  fi
}

# The recorded SHA-256 of FILE_NAME, or nothing. Lines are `sha256sum` output: "HASH  NAME".
recorded() {
  [ -f "$checksums" ] || return 0
  awk -v f="$1" '$0 !~ /^#/ && ($2 == f || $2 == "*" f) { print $1; exit }' "$checksums"
}

# verify PATH FILE_NAME: prints the verdict; fails only on a mismatch.
verify() {
  local path=$1 file_name=$2 actual expected
  actual=$(sha256 "$path") || return 1
  expected=$(recorded "$file_name")
  if [ -z "$expected" ]; then
    echo "$file_name: sha256 $actual"
    echo "$file_name: not verified: no recorded checksum (add the line above to $checksums" \
         "once you trust the file)"
    return 0
  fi
  if [ "$actual" != "$expected" ]; then
    echo "download.sh: $path: sha256 $actual does not match the recorded $expected" >&2
    return 1
  fi
  echo "$file_name: sha256 $actual verified"
}

fetch() {  # fetch URL OUT: resumes a partial download when the tool can
  if command -v curl >/dev/null 2>&1; then
    # ann-benchmarks sits behind Cloudflare, which refuses some default user agents.
    curl -fL --retry 3 -C - -A "Mozilla/5.0" -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -c --tries=3 --user-agent="Mozilla/5.0" -O "$2" "$1"
  else
    echo "download.sh: neither curl nor wget found" >&2
    return 1
  fi
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  usage >&2
  exit 2
fi
case $1 in
  --list) list; exit 0 ;;
  -h|--help) usage; echo; list; exit 0 ;;
  -*) echo "download.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
esac
name=$1
if ! grep -q "^$name|" <<<"$datasets"; then
  echo "download.sh: unknown dataset '$name'; known:" >&2
  list >&2
  exit 2
fi
dir=${2:-$here}
mkdir -p "$dir" || exit 1
target="$dir/$name.hdf5"

if [ -f "$target" ]; then
  echo "$target exists; checking it"
  verify "$target" "$name.hdf5" || exit 1
  exit 0
fi
# Downloaded to NAME.hdf5.partial and renamed only once complete and verified, so an
# interrupted or corrupt download never sits where a reader expects the file.
partial="$target.partial"
echo "downloading $base_url/$name.hdf5 -> $target"
if ! fetch "$base_url/$name.hdf5" "$partial"; then
  if [ -s "$partial" ]; then
    echo "download.sh: download of $base_url/$name.hdf5 failed; run again to resume" \
         "$partial" >&2
  else
    rm -f "$partial"
    echo "download.sh: download of $base_url/$name.hdf5 failed" >&2
  fi
  exit 1
fi
if ! verify "$partial" "$name.hdf5"; then
  rm -f "$partial"
  exit 1
fi
mv -f "$partial" "$target" || exit 1
IFS='|' read -r _ rows test_rows _ <<<"$(grep "^$name|" <<<"$datasets")"
n=$((rows < 100000 ? rows : 100000))
q=$((test_rows < 1000 ? test_rows : 1000))
echo "$target ready; e.g. the paper's 100k x 1k setting, exact neighbours recomputed:"
echo "  tq-bench subset --data $target --n $n --queries $q --out $dir/$name-$((n / 1000))k.hdf5"
