// Structured rotation: each round is orthogonal (signs, two overlapping normalised Hadamard
// windows covering all d coordinates, a permutation), so their product is too.
#include "engine/fast_rotation.h"

#include <cmath>
#include <numeric>
#include <utility>

#include "engine/hadamard.h"
#include "engine/random.h"

namespace tq {

FastRotation::FastRotation(int dim, uint64_t seed) : Rotation(dim, seed) {
  while ((2 << log2_window_) <= dim) ++log2_window_;
  const int window = 1 << log2_window_;
  window_scale_ = static_cast<float>(1.0 / std::sqrt(static_cast<double>(window)));
  Rng rng(seed);
  rounds_.resize(window == dim ? kRoundsPowerOfTwo : kRoundsOtherwise);
  for (Round& round : rounds_) {
    round.signed_scale.resize(dim);
    for (int i = 0; i < dim; ++i) {
      const float magnitude = i < window ? window_scale_ : 1.0f;
      round.signed_scale[i] = rng.NextBool() ? magnitude : -magnitude;
    }
    round.permutation.resize(dim);
    std::iota(round.permutation.begin(), round.permutation.end(), 0);
    // Fisher-Yates with the project's own generator (std::shuffle is not reproducible).
    for (int i = dim - 1; i > 0; --i) {
      std::swap(round.permutation[i], round.permutation[rng.NextBelow(i + 1)]);
    }
    round.inverse_permutation.resize(dim);
    for (int i = 0; i < dim; ++i) round.inverse_permutation[round.permutation[i]] = i;
  }
}

void FastRotation::HadamardWindows(float* x) const {
  const int window = 1 << log2_window_;
  WalshHadamard(x, log2_window_);  // the head's 1/sqrt(p) is in signed_scale
  if (window == dim()) return;
  float* tail = x + dim() - window;
  for (int i = 0; i < window; ++i) tail[i] *= window_scale_;
  WalshHadamard(tail, log2_window_);
}

void FastRotation::ApplyOne(const float* in, float* out, float* scratch) const {
  const int d = dim();
  const float* src = in;
  for (const Round& round : rounds_) {
    for (int i = 0; i < d; ++i) scratch[i] = src[i] * round.signed_scale[i];
    HadamardWindows(scratch);
    for (int i = 0; i < d; ++i) out[i] = scratch[round.permutation[i]];
    src = out;
  }
}

void FastRotation::ApplyInverseOne(const float* in, float* out, float* scratch) const {
  const int d = dim();
  const int window = 1 << log2_window_;
  const float* src = in;
  for (auto it = rounds_.rbegin(); it != rounds_.rend(); ++it) {
    for (int i = 0; i < d; ++i) scratch[i] = src[it->inverse_permutation[i]];
    // The windows are undone in reverse order; a normalised window is its own inverse.
    if (window != d) {
      float* tail = scratch + d - window;
      WalshHadamard(tail, log2_window_);
      for (int i = 0; i < window; ++i) tail[i] *= window_scale_;
    }
    WalshHadamard(scratch, log2_window_);
    for (int i = 0; i < d; ++i) out[i] = scratch[i] * it->signed_scale[i];
    src = out;
  }
}

void FastRotation::Apply(const float* in, int64_t n, float* out) const {
  std::vector<float> scratch(dim());
  for (int64_t v = 0; v < n; ++v) ApplyOne(in + v * dim(), out + v * dim(), scratch.data());
}

void FastRotation::ApplyInverse(const float* in, int64_t n, float* out) const {
  std::vector<float> scratch(dim());
  for (int64_t v = 0; v < n; ++v) {
    ApplyInverseOne(in + v * dim(), out + v * dim(), scratch.data());
  }
}

}  // namespace tq
