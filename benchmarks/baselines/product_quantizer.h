// Product Quantization (Jegou, Douze, Schmid 2011) as TurboQuant's paper runs it: 256 centroids
// per sub-space, k-means trained on the base set, asymmetric-distance lookup-table scan.
#ifndef TQ_BENCHMARKS_BASELINES_PRODUCT_QUANTIZER_H_
#define TQ_BENCHMARKS_BASELINES_PRODUCT_QUANTIZER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmarks/baselines/flat_code_index.h"
#include "benchmarks/baselines/kmeans.h"

namespace tq::baselines {

struct ProductQuantizerOptions {
  // Input dimension. PqIndex::Build fills it from its own argument when left 0.
  int dim = 0;
  // Code bits per input coordinate: one byte per sub-space of 8 / bits_per_dim coordinates
  // (4 -> 2 coordinates, 2 -> 4, 1 -> 8; 8 -> 1, a per-coordinate k-means scalar quantizer).
  int bits_per_dim = 4;
  // Codebook size per sub-space, at most 256 so a code fits a byte. Fewer leaves bits unused:
  // the byte per sub-space (and bits_per_dim, the name's promise) stays the same.
  int centroids = 256;
  int iterations = 25;  // Lloyd iterations per sub-space (stops early only on convergence)
  uint64_t seed = 0;
  int64_t max_train = 0;      // train on a random subsample of at most this many rows; 0 = all
  ProgressCallback progress;  // lines about training progress; none by default
};

class ProductQuantizer {
 public:
  // Every sub-space table has this many entries, whatever `centroids` is, so the scan indexes
  // tables[m * kTableStride + code].
  static constexpr int kTableStride = 256;

  // InvalidArgument unless dim >= 1, bits_per_dim in {1, 2, 4, 8}, 1 <= centroids <= 256,
  // iterations >= 1, max_train >= 0.
  static absl::Status ValidateOptions(const ProductQuantizerOptions& options);

  // One k-means per sub-space on n rows of options.dim floats (row-major). Deterministic for a
  // given seed, whatever the number of OpenMP threads.
  static absl::StatusOr<ProductQuantizer> Train(const float* data, int64_t n,
                                                const ProductQuantizerOptions& options);

  int dim() const { return dim_; }
  int bits_per_dim() const { return bits_per_dim_; }
  // Coordinates per sub-space. When it does not divide dim, the last sub-space is completed
  // with zero coordinates (in training data, codes and queries alike), so any dimension works;
  // the zeros cost nothing in accuracy but round the code up to a whole byte.
  int sub_dim() const { return sub_dim_; }
  int num_subspaces() const { return num_subspaces_; }
  int padded_dim() const { return num_subspaces_ * sub_dim_; }
  int num_centroids() const { return num_centroids_; }
  // Bytes per code: one per sub-space.
  int code_size() const { return num_subspaces_; }

  // num_subspaces x num_centroids x sub_dim floats: centroid j of sub-space m starts at
  // (m * num_centroids + j) * sub_dim.
  std::span<const float> centroids() const { return centroids_; }

  // Codes of n vectors (dim floats each) into n * code_size() bytes. OpenMP over vectors.
  void Encode(const float* vectors, int64_t n, uint8_t* codes) const;
  // The vector a code stands for (dim floats; the padding coordinates are dropped).
  void Decode(const uint8_t* code, float* vector) const;

  // Asymmetric-distance tables for one query, num_subspaces x kTableStride floats:
  // tables[m * kTableStride + j] is <q_m, c_mj> (kInnerProduct) or |q_m - c_mj|^2 (kL2), so the
  // estimate for a code is the sum of its num_subspaces entries. Entries j >= num_centroids are 0.
  void ComputeTables(const float* query, Similarity similarity, float* tables) const;

 private:
  ProductQuantizer() = default;

  int dim_ = 0;
  int bits_per_dim_ = 0;
  int sub_dim_ = 0;
  int num_subspaces_ = 0;
  int num_centroids_ = 0;
  std::vector<float> centroids_;
  // Per sub-space, the codebook transposed (sub_dim x num_centroids), for encoding.
  std::vector<float> centroids_by_dim_;
};

// A flat PQ index: every base vector as a PQ code (one byte per sub-space; PQ keeps no
// per-vector floats such as norms, so bytes_per_vector is exactly the code), searched by an
// asymmetric-distance scan of all codes with a float lookup table per query.
class PqIndex final : public FlatCodeIndex {
 public:
  // Trains the quantizer on `base` (or a subsample, see max_train), then encodes all of it.
  // options.dim must be 0 or equal to dim. train_seconds and encode_seconds are measured apart.
  static absl::StatusOr<std::unique_ptr<PqIndex>> Build(const float* base, int64_t n, int dim,
                                                        Similarity similarity,
                                                        ProductQuantizerOptions options);

  std::string name() const override;  // "pq4", "pq2", ...
  double bits_per_dim() const override { return quantizer_.bits_per_dim(); }
  double bytes_per_vector() const override { return quantizer_.code_size(); }
  BuildTimes build_times() const override { return times_; }
  int64_t size() const override { return size_; }
  void Search(const float* query, int k, int64_t* ids, float* scores) const override;

  const ProductQuantizer& quantizer() const { return quantizer_; }
  Similarity similarity() const { return similarity_; }
  // size() * code_size() bytes, vector after vector.
  std::span<const uint8_t> codes() const { return codes_; }
  // Decoded base vector `id` (dim floats).
  void Reconstruct(int64_t id, float* vector) const;

 private:
  PqIndex(ProductQuantizer quantizer, Similarity similarity)
      : quantizer_(std::move(quantizer)), similarity_(similarity) {}

  ProductQuantizer quantizer_;
  Similarity similarity_;
  int64_t size_ = 0;
  std::vector<uint8_t> codes_;
  BuildTimes times_;
};

}  // namespace tq::baselines

#endif  // TQ_BENCHMARKS_BASELINES_PRODUCT_QUANTIZER_H_
