// RaBitQ (1 bit/dim, Gao & Long SIGMOD 2024) and Extended RaBitQ (B bits/dim, Gao et al.
// SIGMOD 2025) as flat baselines: one centroid (the base mean), one Haar rotation, a full scan.
#ifndef TQ_BENCHMARKS_BASELINES_RABITQ_H_
#define TQ_BENCHMARKS_BASELINES_RABITQ_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/baselines/flat_code_index.h"
#include "engine/rotation.h"

namespace tq::baselines {

struct RabitqOptions {
  int bits = 1;        // B: 1 is RaBitQ, 2 .. 8 Extended RaBitQ
  uint64_t seed = 42;  // of the rotation
  int threads = 0;     // for encoding; 0 = OpenMP's default
  // The rotation and the codes work in the dimension rounded up to this multiple, the vectors
  // zero-padded, as both papers' implementations do with 64; a positive multiple of 8 (8 keeps
  // the code at about dim * B bits). The padding is paid for in bytes_per_vector().
  int pad_to = 64;
  // Encode o_r - c with c the base mean (a one-cluster IVF; RaBitQ loses recall without it).
  // false encodes o_r itself (c = 0), as the RaBitQ authors' flat TurboQuant comparison does.
  bool center = true;
};

// Per vector the index keeps the code (B bit planes of padded_dim bits) and, as float32:
//   rescale = |o_r - c|^2 / <y, P (o_r - c)>   (kL2 and kInnerProduct)
//   norm_sq = |o_r - c|^2                       (kL2 only)
// where y = u - (2^B - 1)/2 is the grid codeword (u the stored B-bit integers) whose direction
// has maximal cosine with P (o_r - c). For any fixed vector w, RaBitQ's estimator
//   <o, w> ~ <o_bar, w> / <o_bar, o>,   o = (o_r - c)/|o_r - c|, o_bar = P^T y / |y|,
// is unbiased over the random rotation, with error O(1/sqrt(D)) at 1 bit (Gao & Long 2024) and
// shrinking ~2x per extra bit (Gao et al. 2025); |y| cancels, so <o_r - c, w> ~ rescale * <y, P w>,
//   <y, P w> = <u, P w> - (2^B - 1)/2 * sum_j (P w)_j.
// The query stays float32 (no 4-bit randomized query quantization): exact <u, P w> can only
// help recall, and costs the scan a float lookup table instead of popcounts.
//   kL2:           |o_r - q_r|^2 = |o_r - c|^2 + |q_r - c|^2 - 2 <o_r - c, q_r - c>,
//                  with w = q_r - c (the paper's formula times |q_r - c|, which cancels).
//   kInnerProduct: <o_r, q_r> = <c, q_r> + <o_r - c, q_r>, with w = q_r itself (not centred,
//                  not normalised: the estimator is linear in w), so one float per vector.
//                  Why not w = q_r - c plus an exact <o_r - c, c> (RaBitQ-Library's IP, two
//                  floats)? On unit GloVe-100 vectors that ranks like kL2 here, and kL2 had
//                  lower recall@1 (0.29 vs 0.315 at 1 bit, 20k base rows) with more bytes.
class RabitqIndex final : public FlatCodeIndex {
 public:
  // base: n x dim row-major. InvalidArgument for bits outside 1..8, dim < 1, n < 0, a bad
  // pad_to, or a NaN/Inf in base. train_seconds is the mean (RaBitQ's only training);
  // encode_seconds covers the rotation's construction and every vector's code.
  static absl::StatusOr<std::unique_ptr<RabitqIndex>> Build(const float* base, int64_t n, int dim,
                                                            Similarity similarity,
                                                            const RabitqOptions& options);

  std::string name() const override { return "rabitq" + std::to_string(bits_); }
  double bits_per_dim() const override { return bits_; }
  // code_bytes() + 4 * floats_per_vector(): the code of padded_dim() coordinates plus every
  // float the scan reads per vector.
  double bytes_per_vector() const override { return code_bytes_ + 4.0 * floats_per_vector(); }
  BuildTimes build_times() const override { return times_; }
  int64_t size() const override { return size_; }
  void Search(const float* query, int k, int64_t* ids, float* scores) const override;

  int dim() const { return dim_; }
  int padded_dim() const { return padded_dim_; }
  int bits() const { return bits_; }
  Similarity similarity() const { return similarity_; }
  int code_bytes() const { return code_bytes_; }
  int floats_per_vector() const { return similarity_ == Similarity::kL2 ? 2 : 1; }
  const std::vector<float>& centroid() const { return centroid_; }
  const Rotation& rotation() const { return *rotation_; }
  const uint8_t* code(int64_t i) const { return codes_.data() + i * code_bytes_; }
  float rescale(int64_t i) const { return rescale_[i]; }
  float norm_sq(int64_t i) const { return norm_sq_.empty() ? 0.0f : norm_sq_[i]; }
  // The B-bit integers u_j (padded_dim() of them) of vector i, for tests.
  std::vector<uint8_t> Levels(int64_t i) const;

 private:
  RabitqIndex() = default;

  int dim_ = 0;
  int padded_dim_ = 0;
  int bits_ = 1;
  Similarity similarity_ = Similarity::kL2;
  int plane_bytes_ = 0;
  int code_bytes_ = 0;
  int64_t size_ = 0;
  BuildTimes times_;
  std::vector<float> centroid_;  // dim() floats; zeros when not centring
  std::shared_ptr<const Rotation> rotation_;
  std::vector<uint8_t> codes_;  // size() * code_bytes(), back to back
  std::vector<float> rescale_;  // size()
  std::vector<float> norm_sq_;  // size() for kL2, empty for kInnerProduct
};

}  // namespace tq::baselines

#endif  // TQ_BENCHMARKS_BASELINES_RABITQ_H_
