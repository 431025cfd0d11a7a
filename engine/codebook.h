// The Lloyd-Max scalar quantizer of the sphere-coordinate density f_d, for b = 1..4 bits.
// It depends on (d, b) only, never on data: this is why TurboQuant needs no training.
#ifndef TQ_ENGINE_CODEBOOK_H_
#define TQ_ENGINE_CODEBOOK_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace tq {

inline constexpr int kMinCodebookBits = 1;
// 1..4 is what the index scans; Lloyd converges in under 1000 steps there (b >= 6 needs
// 10^5 and a better start, e.g. Panter-Dite companding, before it is worth offering).
inline constexpr int kMaxCodebookBits = 4;

class Codebook {
 public:
  // The codebook for coordinates of unit vectors in dimension `dim` (>= 2) at `bits` bits.
  // Computed once per (dim, bits) per process (a few ms) and cached; thread-safe.
  static absl::StatusOr<std::shared_ptr<const Codebook>> Get(int dim, int bits);

  int dim() const { return dim_; }
  int bits() const { return bits_; }
  int size() const { return static_cast<int>(centroids_.size()); }

  // 2^b levels, ascending and symmetric about 0 (c_{2^b-1-k} = -c_k).
  std::span<const float> centroids() const { return centroids_; }
  std::span<const double> centroids_f64() const { return centroids_f64_; }
  // 2^b - 1 decision thresholds, the midpoints of neighbouring centroids.
  std::span<const float> boundaries() const { return boundaries_; }
  std::span<const double> boundaries_f64() const { return boundaries_f64_; }

  // Expected squared error E|u - Q(u)|^2 over a uniform unit vector u (all d coordinates),
  // the paper's D_mse, computed from the density (1/d - sum of mass_k c_k^2, times d).
  double expected_distortion() const { return expected_distortion_; }
  // Lloyd iterations used and the last step size (scaled by sqrt(d)), for diagnostics.
  int iterations() const { return iterations_; }

  // Index of the nearest centroid (ties go to the upper one).
  uint8_t Quantize(float t) const {
    // Branch-free count of boundaries below t: at most 255 comparisons, 15 for 4 bits.
    int index = 0;
    for (float boundary : boundaries_) index += (t >= boundary);
    return static_cast<uint8_t>(index);
  }

  // Quantize() for n values at once with the active SIMD kernel (identical results).
  void QuantizeMany(const float* values, int64_t n, uint8_t* indices) const;

  // Builds the codebook without the cache (what Get() calls); exposed for tests.
  static absl::StatusOr<Codebook> Compute(int dim, int bits);

 private:
  Codebook() = default;

  int dim_ = 0;
  int bits_ = 0;
  int iterations_ = 0;
  double expected_distortion_ = 0;
  std::vector<float> centroids_;
  std::vector<double> centroids_f64_;
  std::vector<float> boundaries_;
  std::vector<double> boundaries_f64_;
};

}  // namespace tq

#endif  // TQ_ENGINE_CODEBOOK_H_
