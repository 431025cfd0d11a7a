// Block-scan rate (vectors/s, GB/s of codes) per SIMD level, bits and dimension, beside a plain
// memory read (sum of uint64) of the same bytes. Run: build/benchmarks/tq_scan_benchmark
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "benchmarks/memory/memory_read.h"
#include "engine/block_layout.h"
#include "engine/block_scan.h"
#include "engine/codebook.h"
#include "engine/lookup_table.h"
#include "engine/random.h"
#include "engine/simd_level.h"

namespace tq {
namespace {

constexpr int64_t kTargetVectors = 1 << 20;      // ~1M vectors ...
constexpr int64_t kMaxBytes = int64_t{2} << 30;  // ... or as many as fit in 2 GB
constexpr int64_t kHotBytes = int64_t{1} << 20;  // "in cache": 1 MB of codes (L2)
// Blocks per ScanBlocks call: 64 blocks = 8 KB of sums, which stay in L1 like an index's
// per-thread scratch would.
constexpr int64_t kBlocksPerCall = 64;
constexpr int kMaxQueries = 8;

// One data set alive at a time (the largest is 768 MB): benchmarks are registered so that
// those sharing (bits, dim, size) run one after another.
struct Data {
  int bits = 0;
  int dim = 0;
  bool hot = false;
  std::unique_ptr<BlockLayout> layout;
  int64_t num_blocks = 0;
  std::vector<uint8_t, CacheAlignedAllocator<uint8_t>> codes;
  std::vector<QuantizedLut> luts;          // kMaxQueries random queries
  std::vector<QuantizedLut> product_luts;  // the same queries as LutForm::kProducts (4 bits)
};

const Data& GetData(int bits, int dim, bool hot) {
  static Data* data = new Data;
  if (data->layout && data->bits == bits && data->dim == dim && data->hot == hot) return *data;
  delete data;
  data = new Data;
  data->bits = bits;
  data->dim = dim;
  data->hot = hot;
  data->layout = std::make_unique<BlockLayout>(*BlockLayout::Create(dim, bits));
  const int64_t block_bytes = data->layout->code_bytes_per_block();
  const int64_t budget = hot ? kHotBytes : std::min(kMaxBytes, kTargetVectors / 32 * block_bytes);
  data->num_blocks =
      std::max<int64_t>(kBlocksPerCall, budget / block_bytes / kBlocksPerCall * kBlocksPerCall);
  // Random bytes are valid codes for every nibble (padding nibbles aside, which only changes
  // the sums, not the work).
  data->codes.resize(data->num_blocks * block_bytes);
  uint64_t state = 12345;
  for (size_t i = 0; i + 8 <= data->codes.size(); i += 8) {
    const uint64_t word = SplitMix64(state);
    std::copy_n(reinterpret_cast<const uint8_t*>(&word), 8, data->codes.data() + i);
  }
  const std::shared_ptr<const Codebook> book = *Codebook::Get(dim, bits);
  const LutCodebook lut_book = *LutCodebook::Create(*data->layout, book->centroids());
  std::vector<float> query(dim);
  Rng rng(dim);
  data->luts.resize(kMaxQueries);
  data->product_luts.resize(bits == 4 ? kMaxQueries : 0);
  for (int q = 0; q < kMaxQueries; ++q) {
    for (float& x : query) x = static_cast<float>(rng.NextGaussian());
    BuildQuantizedLut(*data->layout, lut_book, query.data(), &data->luts[q]);
    if (bits == 4) {
      BuildQuantizedLut(*data->layout, lut_book, query.data(), LutForm::kProducts,
                        &data->product_luts[q]);
    }
  }
  return *data;
}

// vectors_per_s counts (vector, query) scores; GB_per_s is code bytes per second per query
// (read once per pass for several queries, so it can exceed the memory read).
void SetRates(benchmark::State& state, int64_t vectors, int64_t bytes, int64_t vector_bytes,
              int queries = 1) {
  state.counters["vectors_per_s"] = benchmark::Counter(
      static_cast<double>(vectors) * queries * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["GB_per_s"] =
      benchmark::Counter(static_cast<double>(bytes) * queries * state.iterations() * 1e-9,
                         benchmark::Counter::kIsRate);
  state.counters["bytes_per_vector"] = static_cast<double>(vector_bytes);
  state.counters["MB"] = static_cast<double>(bytes) / (1 << 20);
}

// Args: level (0 scalar, 1 avx2, 2 avx512, 3 avx512vbmi), bits, dim, hot (0: ~1M vectors, 1: 1 MB),
// queries per pass (1: ScanBlocks, more: ScanBlocksMulti), form (0 tables, 1 products: 4 bits
// only).
void BM_Scan(benchmark::State& state) {
  const auto level = static_cast<SimdLevel>(state.range(0));
  if (static_cast<int>(level) > static_cast<int>(DetectedSimdLevel())) {
    state.SkipWithError("SIMD level not supported by this CPU");
    return;
  }
  const Data& data =
      GetData(static_cast<int>(state.range(1)), static_cast<int>(state.range(2)), state.range(3));
  const int queries = static_cast<int>(state.range(4));
  const bool products = state.range(5) == 1;
  const size_t stride = data.layout->code_bytes_per_block();
  std::vector<uint32_t> out(kMaxQueries * kBlocksPerCall * kBlockVectors);
  const QuantizedLut* luts[kMaxQueries];
  uint32_t* outs[kMaxQueries];
  for (int q = 0; q < kMaxQueries; ++q) {
    luts[q] = products ? &data.product_luts[q] : &data.luts[q];
    outs[q] = out.data() + q * kBlocksPerCall * kBlockVectors;
  }
  for (auto _ : state) {
    for (int64_t b = 0; b < data.num_blocks; b += kBlocksPerCall) {
      const uint8_t* codes = data.codes.data() + b * stride;
      if (queries == 1) {
        ScanBlocksAt(level, *data.layout, codes, stride, kBlocksPerCall, *luts[0], outs[0]);
      } else {
        ScanBlocksMultiAt(level, *data.layout, codes, stride, kBlocksPerCall,
                          std::span<const QuantizedLut* const>(luts, queries), outs);
      }
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  SetRates(state, data.num_blocks * kBlockVectors, static_cast<int64_t>(data.codes.size()),
           data.layout->code_bytes_per_block() / kBlockVectors, queries);
  state.SetLabel(std::string(SimdLevelName(level)) + (products ? " products" : "") +
                 (queries > 1 ? " x" + std::to_string(queries) + " queries" : ""));
}

// The same bytes read and summed as uint64 at the best SIMD level: the ceiling for a scan.
void BM_MemoryRead(benchmark::State& state) {
  const Data& data =
      GetData(static_cast<int>(state.range(1)), static_cast<int>(state.range(2)), state.range(3));
  const uint64_t* words = reinterpret_cast<const uint64_t*>(data.codes.data());
  const size_t count = data.codes.size() / 8 / 32 * 32;  // code areas are multiples of 32 bytes
  for (auto _ : state) benchmark::DoNotOptimize(SumWords(words, count));
  SetRates(state, data.num_blocks * kBlockVectors, static_cast<int64_t>(data.codes.size()),
           data.layout->code_bytes_per_block() / kBlockVectors);
  state.SetLabel("memory read");
}

}  // namespace
}  // namespace tq

// Registered per (hot, bits, dim): the scans at each level, then the memory read, so that one
// data set serves them all. Interleaving needs one registration per configuration.
int main(int argc, char** argv) {
  for (int hot : {0, 1}) {
    for (int bits : {1, 2, 4}) {
      for (int dim : {100, 200, 1536}) {
        const std::string suffix =
            "/b" + std::to_string(bits) + "/d" + std::to_string(dim) + (hot ? "/hot" : "/1M");
        for (int level = 0; level <= static_cast<int>(tq::DetectedSimdLevel()); ++level) {
          const std::string name(tq::SimdLevelName(static_cast<tq::SimdLevel>(level)));
          benchmark::RegisterBenchmark(("BM_Scan/" + name + suffix).c_str(), tq::BM_Scan)
              ->Args({level, bits, dim, hot, 1, 0})
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
        // The products form (4 bits) where the index uses it: VNNI, 1 and 8 queries per pass.
        if (bits == 4 && tq::DetectedSimdLevel() == tq::SimdLevel::kAvx512Vbmi) {
          const int vbmi = static_cast<int>(tq::SimdLevel::kAvx512Vbmi);
          for (int queries : {1, 8}) {
            const std::string name = queries == 1 ? "BM_ScanProducts" : "BM_ScanProductsMulti8";
            benchmark::RegisterBenchmark((name + "/avx512vbmi" + suffix).c_str(), tq::BM_Scan)
                ->Args({vbmi, bits, dim, hot, queries, 1})
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
          }
        }
        for (int level = 1; level <= static_cast<int>(tq::DetectedSimdLevel()); ++level) {
          const std::string name(tq::SimdLevelName(static_cast<tq::SimdLevel>(level)));
          // 8 per pass only where one pass serves 8 (VBMI); elsewhere it is two passes of 4.
          for (int queries : {4, 8}) {
            if (queries == 8 && level < static_cast<int>(tq::SimdLevel::kAvx512Vbmi)) continue;
            benchmark::RegisterBenchmark(
                ("BM_ScanMulti" + std::to_string(queries) + "/" + name + suffix).c_str(),
                tq::BM_Scan)
                ->Args({level, bits, dim, hot, queries, 0})
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
          }
        }
        benchmark::RegisterBenchmark(("BM_MemoryRead" + suffix).c_str(), tq::BM_MemoryRead)
            ->Args({-1, bits, dim, hot, 1, 0})
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
