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

// The two-vector path (FastRotation::ApplyPair): both vectors interleaved, x[2j] and x[2j + 1],
// so that a permutation moves pairs, one 64-bit gather element for a coordinate of both: half
// the gathers' loads per float, which were as much time as the Hadamard windows (perf, d = 1536).
// The same products and moves as the one-vector path, so the same bits.

// out[2j] = a[j] * signs[j], out[2j + 1] = b[j] * signs[j].
TQ_AVX512 void InterleaveScaledAvx512(const float* a, const float* b, const float* signs, int d,
                                      float* out) {
  const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high =
      _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  int j = 0;
  for (; j + 16 <= d; j += 16) {
    const __m512 s = _mm512_loadu_ps(signs + j);
    const __m512 va = _mm512_mul_ps(_mm512_loadu_ps(a + j), s);
    const __m512 vb = _mm512_mul_ps(_mm512_loadu_ps(b + j), s);
    _mm512_storeu_ps(out + 2 * j, _mm512_permutex2var_ps(va, low, vb));
    _mm512_storeu_ps(out + 2 * j + 16, _mm512_permutex2var_ps(va, high, vb));
  }
  for (; j < d; ++j) {
    out[2 * j] = a[j] * signs[j];
    out[2 * j + 1] = b[j] * signs[j];
  }
}

// Pair i of out = pair permutation[i] of in, times pair_signs[2i] (= pair_signs[2i + 1]).
TQ_AVX512 void PermutePairsAvx512(const float* in, const int32_t* permutation,
                                  const float* pair_signs, int d, float* out) {
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    const __m256i index = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(permutation + i));
    const __m512 v = _mm512_castpd_ps(_mm512_i32gather_pd(index, in, 8));
    _mm512_storeu_ps(out + 2 * i, _mm512_mul_ps(v, _mm512_loadu_ps(pair_signs + 2 * i)));
  }
  for (; i < d; ++i) {
    out[2 * i] = in[2 * permutation[i]] * pair_signs[2 * i];
    out[2 * i + 1] = in[2 * permutation[i] + 1] * pair_signs[2 * i + 1];
  }
}

// out_a[i], out_b[i] = pair permutation[i] of in: the last round's permutation, de-interleaved.
TQ_AVX512 void PermuteSplitPairsAvx512(const float* in, const int32_t* permutation, int d,
                                       float* out_a, float* out_b) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  int i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m512 first = _mm512_castpd_ps(_mm512_i32gather_pd(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(permutation + i)), in, 8));
    const __m512 second = _mm512_castpd_ps(_mm512_i32gather_pd(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(permutation + i + 8)), in, 8));
    _mm512_storeu_ps(out_a + i, _mm512_permutex2var_ps(first, even, second));
    _mm512_storeu_ps(out_b + i, _mm512_permutex2var_ps(first, odd, second));
  }
  for (; i < d; ++i) {
    out_a[i] = in[2 * permutation[i]];
    out_b[i] = in[2 * permutation[i] + 1];
  }
}

#undef TQ_AVX512

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
    round.pair_signed_scale.resize(2 * dim);
    for (int i = 0; i < 2 * dim; ++i) round.pair_signed_scale[i] = round.signed_scale[i / 2];
  }
}

void FastRotation::HadamardWindows(float* x) const {
  const int window = 1 << log2_window_;
  const SimdLevel level = ActiveSimdLevel();
  WalshHadamardAt(level, x, log2_window_);  // the head's 1/sqrt(p) is in signed_scale
  if (window == dim()) return;
  WalshHadamardAt(level, x + dim() - window, log2_window_, window_scale_);
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

void FastRotation::HadamardPairWindows(float* x) const {
  const int window = 1 << log2_window_;
  WalshHadamardPairsAt(SimdLevel::kAvx512, x, log2_window_);
  if (window == dim()) return;
  WalshHadamardPairsAt(SimdLevel::kAvx512, x + 2 * (dim() - window), log2_window_, window_scale_);
}

void FastRotation::ApplyPair(const float* a, const float* b, float* out_a, float* out_b,
                             float* scratch) const {
  const int d = dim();
  float* current = scratch;
  float* next = scratch + 2 * d;
  InterleaveScaledAvx512(a, b, rounds_[0].signed_scale.data(), d, current);
  for (size_t r = 0; r < rounds_.size(); ++r) {
    HadamardPairWindows(current);
    if (r + 1 == rounds_.size()) {
      PermuteSplitPairsAvx512(current, rounds_[r].permutation.data(), d, out_a, out_b);
    } else {
      PermutePairsAvx512(current, rounds_[r].permutation.data(),
                         rounds_[r + 1].pair_signed_scale.data(), d, next);
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
  const int d = dim();
  std::vector<float> scratch(4 * d);
  int64_t v = 0;
  // Pairs under AVX-512 (windows of at least 8: 16 interleaved floats per register).
  if (ActiveSimdLevel() >= SimdLevel::kAvx512 && log2_window_ >= 3) {
    for (; v + 2 <= n; v += 2) {
      ApplyPair(in + v * d, in + (v + 1) * d, out + v * d, out + (v + 1) * d, scratch.data());
    }
  }
  for (; v < n; ++v) ApplyOne(in + v * d, out + v * d, scratch.data());
}

void FastRotation::ApplyInverse(const float* in, int64_t n, float* out) const {
  std::vector<float> scratch(dim());
  for (int64_t v = 0; v < n; ++v) {
    ApplyInverseOne(in + v * dim(), out + v * dim(), scratch.data());
  }
}

}  // namespace tq
