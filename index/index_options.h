// What an Index is created from: dimension, bits, metric, TurboQuant variant, rotation, seed
// and whether the original vectors are kept for exact reranking. No training data, ever.
#ifndef TQ_INDEX_INDEX_OPTIONS_H_
#define TQ_INDEX_INDEX_OPTIONS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/rotation.h"
#include "engine/turbo_quantizer.h"

namespace tq {

// The score of a hit: inner product <q, x> (larger is nearer), cosine <q/|q|, x/|x|> (larger is
// nearer; vectors are normalised at Add), or squared L2 |q - x|^2 (smaller is nearer).
enum class Metric { kInnerProduct, kCosine, kL2 };
std::string_view MetricName(Metric metric);                 // "ip", "cosine", "l2"
absl::StatusOr<Metric> ParseMetric(std::string_view name);  // also "angular", "euclidean", ...

// Original vectors kept beside the codes, for exact rerank (SearchParams::rerank).
enum class KeepVectors { kNone, kFloat32, kFloat16 };
std::string_view KeepVectorsName(KeepVectors keep);                   // "none", "f32", "f16"
absl::StatusOr<KeepVectors> ParseKeepVectors(std::string_view name);  // also "float32", ...

struct IndexOptions {
  int dim = 0;   // 2 .. 65536
  int bits = 4;  // bits per coordinate, 1..4 (prod: b - 1 Lloyd-Max bits + 1 QJL bit)
  Metric metric = Metric::kInnerProduct;
  Variant variant = Variant::kCorrected;
  RotationKind rotation = RotationKind::kFast;
  uint64_t seed = 42;  // (dim, bits, variant, rotation, seed) fix the codes of every vector
  KeepVectors keep_vectors = KeepVectors::kNone;
};

// InvalidArgument naming the first bad field.
absl::Status ValidateIndexOptions(const IndexOptions& options);

}  // namespace tq

#endif  // TQ_INDEX_INDEX_OPTIONS_H_
