// Structured rotation: each round is orthogonal (signs, two overlapping normalised Hadamard
// windows covering all d coordinates, a permutation), so their product is too.
#include "engine/fast_rotation.h"

#include <immintrin.h>

#include <cmath>
#include <numeric>
#include <utility>

#include "engine/hadamard.h"
#include "engine/random.h"
#include "engine/simd_level.h"

// GCC 12's avx512fintrin.h trips -Wmaybe-uninitialized in _mm512_i32gather_ps's placeholder.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tq {
namespace {

// out[i] = in[i] * signs[i].
void ScaleBySigns(SimdLevel level, const float* in, const float* signs, int d, float* out);
// out[i] = in[permutation[i]] (* signs[i] unless signs is null); in and out do not overlap.
void PermuteAndScale(SimdLevel level, const float* in, const int32_t* permutation,
                     const float* signs, int d, float* out);

#define TQ_AVX512 __attribute__((target("avx512f,avx2")))

TQ_AVX512 void ScaleBySignsAvx512(const float* in, const float* signs, int d, float* out) {
  int i = 0;
  for (; i + 16 <= d; i += 16) {
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(in + i), _mm512_loadu_ps(signs + i)));
  }
  for (; i < d; ++i) out[i] = in[i] * signs[i];
}

TQ_AVX512 void PermuteAndScaleAvx512(const float* in, const int32_t* permutation,
                                     const float* signs, int d, float* out) {
  int i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m512i index = _mm512_loadu_si512(permutation + i);
    __m512 v = _mm512_i32gather_ps(index, in, 4);
    if (signs) v = _mm512_mul_ps(v, _mm512_loadu_ps(signs + i));
    _mm512_storeu_ps(out + i, v);
  }
  for (; i < d; ++i) out[i] = signs ? in[permutation[i]] * signs[i] : in[permutation[i]];
}

TQ_AVX512 void ScaleInPlaceAvx512(float* x, int n, float scale) {
  const __m512 factor = _mm512_set1_ps(scale);
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), factor));
  for (; i < n; ++i) x[i] *= scale;
}

#undef TQ_AVX512

// x[i] *= scale.
void ScaleInPlace(SimdLevel level, float* x, int n, float scale) {
  if (level >= SimdLevel::kAvx512) return ScaleInPlaceAvx512(x, n, scale);
  for (int i = 0; i < n; ++i) x[i] *= scale;
}

void ScaleBySigns(SimdLevel level, const float* in, const float* signs, int d, float* out) {
  if (level >= SimdLevel::kAvx512) return ScaleBySignsAvx512(in, signs, d, out);
  for (int i = 0; i < d; ++i) out[i] = in[i] * signs[i];
}

void PermuteAndScale(SimdLevel level, const float* in, const int32_t* permutation,
                     const float* signs, int d, float* out) {
  if (level >= SimdLevel::kAvx512) return PermuteAndScaleAvx512(in, permutation, signs, d, out);
  if (signs) {
    for (int i = 0; i < d; ++i) out[i] = in[permutation[i]] * signs[i];
  } else {
    for (int i = 0; i < d; ++i) out[i] = in[permutation[i]];
  }
}

}  // namespace

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
  ScaleInPlace(ActiveSimdLevel(), tail, window, window_scale_);
  WalshHadamard(tail, log2_window_);
}

void FastRotation::ApplyOne(const float* in, float* out, float* scratch) const {
  // Each round's permutation is fused with the next round's signs: a[i] = b[perm[i]] * s[i],
  // the same products as permuting, then scaling. scratch holds two buffers of d.
  const int d = dim();
  const SimdLevel level = ActiveSimdLevel();
  float* current = scratch;
  float* next = scratch + d;
  ScaleBySigns(level, in, rounds_[0].signed_scale.data(), d, current);
  for (size_t r = 0; r < rounds_.size(); ++r) {
    HadamardWindows(current);
    if (r + 1 == rounds_.size()) {
      PermuteAndScale(level, current, rounds_[r].permutation.data(), nullptr, d, out);
    } else {
      PermuteAndScale(level, current, rounds_[r].permutation.data(),
                      rounds_[r + 1].signed_scale.data(), d, next);
      std::swap(current, next);
    }
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
  std::vector<float> scratch(2 * dim());
  for (int64_t v = 0; v < n; ++v) ApplyOne(in + v * dim(), out + v * dim(), scratch.data());
}

void FastRotation::ApplyInverse(const float* in, int64_t n, float* out) const {
  std::vector<float> scratch(dim());
  for (int64_t v = 0; v < n; ++v) {
    ApplyInverseOne(in + v * dim(), out + v * dim(), scratch.data());
  }
}

}  // namespace tq
