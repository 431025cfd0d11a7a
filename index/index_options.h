// What an Index is created from: dimension, bits, metric, TurboQuant variant, rotation, seed
// and whether the original vectors are kept for exact reranking. No training data, ever.
#ifndef TQ_INDEX_INDEX_OPTIONS_H_
#define TQ_INDEX_INDEX_OPTIONS_H_

#include <cstdint>
#include <string_view>
#include <vector>

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

// What is subtracted from every vector before it is rotated and quantized. Quantization error
// scales with the length of what is quantized, and real embeddings share a large common
// component (|mean| is 0.5 of unit length on word2vec and USE); <q, x> = <q, mu> + <q, x - mu>
// with <q, mu> exact, so only x - mu carries error. The mean is fixed once and recorded in the
// index, so no code is ever re-encoded.
//   none:        nothing subtracted (the paper's TurboQuant)
//   first-batch: the mean of the first Add (index/centering.h; shrunk toward zero for tiny
//                batches, where a noisy mean would hurt more than help)
//   given:       IndexOptions::mean, chosen by the caller
enum class Centering { kNone, kFirstBatch, kGiven };
std::string_view CenteringName(Centering centering);  // "none", "first-batch", "given"
absl::StatusOr<Centering> ParseCentering(std::string_view name);

struct IndexOptions {
  int dim = 0;   // 2 .. 65536
  int bits = 4;  // bits per coordinate, 1..4 (prod: b - 1 Lloyd-Max bits + 1 QJL bit)
  // Non-integer rates: this many coordinates (of the rotated vector) get bits + 1 bits, for
  // bits + upper_coords / dim bits per coordinate; 0 .. dim - 1, with bits <= 3 and the mse
  // or corrected variant (QuantizerOptions::upper_coords). RateToBits makes it from a rate.
  int upper_coords = 0;
  Metric metric = Metric::kInnerProduct;
  Variant variant = Variant::kCorrected;
  RotationKind rotation = RotationKind::kFast;
  uint64_t seed = 42;  // (dim, bits, variant, rotation, seed) fix the codes of every vector
  KeepVectors keep_vectors = KeepVectors::kNone;
  Centering center = Centering::kFirstBatch;
  // corrected only: nearest centroid (instant), or the cosine-optimal sweep (engine/
  // cosine_encoder.h; lower estimate variance, mostly at 3-4 bits and low dimension, but 3-5x
  // slower to encode). Integer rates only.
  CorrectedEncoder encoder = CorrectedEncoder::kNearest;
  std::vector<float> mean;  // dim values with Centering::kGiven, empty otherwise
};

// bits and upper_coords for `rate` bits per coordinate (1 <= rate <= 4) at dimension dim:
// bits = floor(rate), upper_coords = round((rate - bits) * dim); a rate that rounds up to the
// next whole number of bits becomes it. InvalidArgument outside [1, 4].
absl::Status RateToBits(double rate, int dim, IndexOptions* options);

// InvalidArgument naming the first bad field.
absl::Status ValidateIndexOptions(const IndexOptions& options);

}  // namespace tq

#endif  // TQ_INDEX_INDEX_OPTIONS_H_
