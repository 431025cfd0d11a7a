// Encode throughput (vectors/s) of TurboQuant per dimension, rotation, variant and thread
// count; the rotation benchmarks isolate the cost of P x. Run: build/benchmarks/tq_encode_benchmark
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "engine/random.h"
#include "engine/rotation.h"
#include "engine/turbo_quantizer.h"

namespace tq {
namespace {

std::vector<float> GaussianRows(int64_t rows, int dim) {
  std::vector<float> out(rows * dim);
  Rng rng(7);
  for (float& v : out) v = static_cast<float>(rng.NextGaussian());
  return out;
}

// Args: dim, rotation (0 haar, 1 fast), variant (0 mse, 1 prod, 2 corrected), threads,
// encoder for corrected (0 nearest, 1 max-cosine).
void BM_Encode(benchmark::State& state) {
  QuantizerOptions options;
  options.dim = static_cast<int>(state.range(0));
  options.bits = 4;
  options.rotation = state.range(1) == 0 ? RotationKind::kHaar : RotationKind::kFast;
  options.variant = static_cast<Variant>(state.range(2));
  options.encoder = state.range(4) == 0 ? CorrectedEncoder::kNearest : CorrectedEncoder::kMaxCosine;
  const int threads = static_cast<int>(state.range(3));
  auto quantizer = TurboQuantizer::Create(options);
  if (!quantizer.ok()) {
    state.SkipWithError("cannot create quantizer");
    return;
  }
  constexpr int64_t kBatch = 8192;
  const std::vector<float> data = GaussianRows(kBatch, options.dim);
  EncodedVectors encoded;
  for (auto _ : state) {
    benchmark::DoNotOptimize((*quantizer)->Encode(data.data(), kBatch, &encoded, threads).ok());
  }
  state.counters["vectors_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch) * state.iterations(),
                         benchmark::Counter::kIsRate);
  state.SetLabel(std::string(RotationKindName(options.rotation)) + "/" +
                 std::string(VariantName(options.variant)) + "/" + std::to_string(threads) + "t");
}

void EncodeArgs(benchmark::internal::Benchmark* b) {
  for (int dim : {200, 1536}) {
    for (int rotation : {0, 1}) {
      for (int threads : {1, 2}) {
        b->Args({dim, rotation, 0, threads, 0});  // mse
        b->Args({dim, rotation, 2, threads, 0});  // corrected, nearest
        b->Args({dim, rotation, 2, threads, 1});  // corrected, max-cosine
      }
    }
  }
  b->Args({1536, 1, 1, 2, 0});  // prod, orthogonal QJL
}
BENCHMARK(BM_Encode)->Apply(EncodeArgs)->UseRealTime()->Unit(benchmark::kMillisecond);

// Args: dim, rotation (0 haar, 1 fast).
void BM_Rotate(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  auto rotation = MakeRotation(state.range(1) == 0 ? RotationKind::kHaar : RotationKind::kFast,
                               dim, 1);
  constexpr int64_t kBatch = 1024;
  const std::vector<float> data = GaussianRows(kBatch, dim);
  std::vector<float> out(data.size());
  for (auto _ : state) {
    (*rotation)->Apply(data.data(), kBatch, out.data());
    benchmark::ClobberMemory();
  }
  state.counters["vectors_per_s"] = benchmark::Counter(
      static_cast<double>(kBatch) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Rotate)->ArgsProduct({{200, 1536, 3072}, {0, 1}})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tq

BENCHMARK_MAIN();
