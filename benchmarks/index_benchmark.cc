// End-to-end index throughput: Search (scan + top-k + exact rescoring) in vectors/s and GB/s of
// blocks, beside a plain read of as many bytes in the same binary, Add in vectors/s, and Open
// of a saved index (copied, mapped, mapped without checksums) in GB/s of file.
// Run: build/benchmarks/tq_index_benchmark
#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "benchmarks/memory/memory_read.h"
#include "engine/random.h"
#include "engine/simd_level.h"
#include "index/index.h"

namespace tq {
namespace {

std::vector<float> GaussianRows(int64_t rows, int dim, uint64_t seed) {
  std::vector<float> out(rows * dim);
  Rng rng(seed);
  for (float& v : out) v = static_cast<float>(rng.NextGaussian());
  return out;
}

// Vectors indexed per dimension: about 100-400 MB of blocks, beyond L2, like a real index.
int64_t IndexedVectors(int dim) { return dim <= 200 ? 1'000'000 : 200'000; }

const Index& GetIndex(int dim, int bits) {
  static auto* cache = new std::map<std::pair<int, int>, std::unique_ptr<Index>>();
  std::unique_ptr<Index>& slot = (*cache)[{dim, bits}];
  if (!slot) {
    IndexOptions options;
    options.dim = dim;
    options.bits = bits;
    options.metric = Metric::kInnerProduct;
    slot = *Index::Create(options);
    const int64_t n = IndexedVectors(dim);
    constexpr int64_t kBatch = 100'000;
    for (int64_t begin = 0; begin < n; begin += kBatch) {
      const std::vector<float> rows = GaussianRows(std::min(kBatch, n - begin), dim, begin + 1);
      if (!slot->Add(rows.data(), std::min(kBatch, n - begin)).ok()) std::abort();
    }
  }
  return *slot;
}

// Args: dim, bits, queries per call, threads.
void BM_Search(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  const Index& index = GetIndex(dim, static_cast<int>(state.range(1)));
  const int nq = static_cast<int>(state.range(2));
  const std::vector<float> queries = GaussianRows(nq, dim, 99);
  SearchParams params;
  params.threads = static_cast<int>(state.range(3));
  SearchResults results;
  for (auto _ : state) {
    if (!index.Search(queries.data(), nq, 10, params, &results).ok()) std::abort();
  }
  const IndexStats stats = index.stats();
  const double scanned = static_cast<double>(stats.size) * nq * state.iterations();
  state.counters["vectors_per_s"] = benchmark::Counter(scanned, benchmark::Counter::kIsRate);
  state.counters["GB_per_s"] =
      benchmark::Counter(static_cast<double>(stats.block_bytes) * nq * state.iterations() * 1e-9,
                         benchmark::Counter::kIsRate);
  state.counters["bytes_per_vector"] = static_cast<double>(stats.block_bytes) / stats.size;
}

// The memory-bandwidth ceiling: sum the same number of bytes as the index's blocks.
void BM_MemoryRead(benchmark::State& state) {
  const Index& index = GetIndex(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const int64_t bytes = index.stats().block_bytes;
  static auto* buffers = new std::map<int64_t, std::vector<uint64_t>>();
  std::vector<uint64_t>& words = (*buffers)[bytes];
  if (words.empty()) words.assign(bytes / 8, 1);
  for (auto _ : state) benchmark::DoNotOptimize(SumWords(words.data(), words.size()));
  state.counters["GB_per_s"] = benchmark::Counter(
      static_cast<double>(bytes) * state.iterations() * 1e-9, benchmark::Counter::kIsRate);
}

// Args: dim, threads (b = 4, corrected, fast rotation, batches of 10k).
void BM_Add(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  constexpr int64_t kBatch = 10'000;
  const std::vector<float> rows = GaussianRows(kBatch, dim, 5);
  IndexOptions options;
  options.dim = dim;
  options.bits = 4;
  omp_set_num_threads(static_cast<int>(state.range(1)));
  std::unique_ptr<Index> index;
  for (auto _ : state) {
    state.PauseTiming();
    index.reset();  // the previous iteration's index is freed outside the timing too
    index = *Index::Create(options);
    state.ResumeTiming();
    if (!index->Add(rows.data(), kBatch).ok()) std::abort();
  }
  state.counters["vectors_per_s"] = benchmark::Counter(
      static_cast<double>(kBatch) * state.iterations(), benchmark::Counter::kIsRate);
}

// Args: dim, mode (0 copy, 1 mmap with checksums, 2 mmap without). The file is in the page
// cache after the first iteration, so this is the CPU cost of opening: copying the blocks,
// checksumming them, or neither (ids, tombstones and live masks are checked in every mode).
void BM_Open(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  const int mode = static_cast<int>(state.range(1));
  static auto* paths = new std::map<int, std::string>();
  std::string& path = (*paths)[dim];
  if (path.empty()) {
    path = (std::filesystem::temp_directory_path() /
            ("tq_index_benchmark_" + std::to_string(dim) + ".tqi"))
               .string();
    if (!GetIndex(dim, 4).Save(path).ok()) std::abort();
  }
  OpenOptions options;
  options.mmap = mode != 0;
  options.verify_checksums = mode != 2;
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(path, options);
    if (!index.ok()) std::abort();
    benchmark::DoNotOptimize(index->get());
  }
  const double bytes = static_cast<double>(std::filesystem::file_size(path));
  state.counters["file_GBps"] =
      benchmark::Counter(bytes * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["file_MB"] = bytes / 1e6;
}

BENCHMARK(BM_Search)
    ->ArgsProduct({{100, 200, 1536}, {1, 2, 4}, {1, 16}, {1}})
    ->Args({200, 4, 16, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemoryRead)->ArgsProduct({{100, 200, 1536}, {4}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Add)->ArgsProduct({{200, 1536}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Open)
    ->ArgsProduct({{200, 1536}, {0, 1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tq

BENCHMARK_MAIN();
