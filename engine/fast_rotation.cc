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

// The four-vector path (FastRotation::ApplyQuad): x[4j + r] is vector r's coordinate j, so a
// permutation moves 16-byte quads with plain loads instead of gathers, and each vector's two
// lowest Hadamard strides need no in-register shuffles. The same products and moves as the
// one-vector path, so the same bits. Measured against the two-vector path it replaced (pairs
// moved by 64-bit gathers), paired runs: rotation 1.19x at d = 1536, 1.06x at 200, even at 3072
// (whose 48 KB quad buffers leave L1); BM_Add/1536/1 1.07x.

// Within each 128-bit lane, the 4 x 4 transpose of the lanes of a, b, c, d: lane L of the k-th
// result holds element k of lane L of a, b, c and d, in that order.
TQ_AVX512 inline void TransposeInLanes(__m512& a, __m512& b, __m512& c, __m512& d) {
  const __m512 ab_low = _mm512_unpacklo_ps(a, b), ab_high = _mm512_unpackhi_ps(a, b);
  const __m512 cd_low = _mm512_unpacklo_ps(c, d), cd_high = _mm512_unpackhi_ps(c, d);
  const __m512d ab_low_d = _mm512_castps_pd(ab_low), ab_high_d = _mm512_castps_pd(ab_high);
  const __m512d cd_low_d = _mm512_castps_pd(cd_low), cd_high_d = _mm512_castps_pd(cd_high);
  a = _mm512_castpd_ps(_mm512_unpacklo_pd(ab_low_d, cd_low_d));
  b = _mm512_castpd_ps(_mm512_unpackhi_pd(ab_low_d, cd_low_d));
  c = _mm512_castpd_ps(_mm512_unpacklo_pd(ab_high_d, cd_high_d));
  d = _mm512_castpd_ps(_mm512_unpackhi_pd(ab_high_d, cd_high_d));
}

// The 4 x 4 transpose of 128-bit lanes: lane L of the k-th result is lane k of the L-th input.
TQ_AVX512 inline void TransposeLanes(__m512& a, __m512& b, __m512& c, __m512& d) {
  const __m512 ab_low = _mm512_shuffle_f32x4(a, b, 0x44),
               ab_high = _mm512_shuffle_f32x4(a, b, 0xEE);
  const __m512 cd_low = _mm512_shuffle_f32x4(c, d, 0x44),
               cd_high = _mm512_shuffle_f32x4(c, d, 0xEE);
  a = _mm512_shuffle_f32x4(ab_low, cd_low, 0x88);
  b = _mm512_shuffle_f32x4(ab_low, cd_low, 0xDD);
  c = _mm512_shuffle_f32x4(ab_high, cd_high, 0x88);
  d = _mm512_shuffle_f32x4(ab_high, cd_high, 0xDD);
}

// out[4j + r] = rows[r][j] * signs[j].
TQ_AVX512 void InterleaveQuadsScaledAvx512(const float* const* rows, const float* signs, int d,
                                           float* out) {
  int j = 0;
  for (; j + 16 <= d; j += 16) {
    const __m512 s = _mm512_loadu_ps(signs + j);
    __m512 v[4];
    for (int r = 0; r < 4; ++r) v[r] = _mm512_mul_ps(_mm512_loadu_ps(rows[r] + j), s);
    // In-lane transpose: v[k] lane L = quad of coordinate j + 4L + k; then the lanes': quads of
    // j + 4k .. j + 4k + 3 in v[k].
    TransposeInLanes(v[0], v[1], v[2], v[3]);
    TransposeLanes(v[0], v[1], v[2], v[3]);
    for (int k = 0; k < 4; ++k) _mm512_storeu_ps(out + 4 * j + 16 * k, v[k]);
  }
  for (; j < d; ++j) {
    for (int r = 0; r < 4; ++r) out[4 * j + r] = rows[r][j] * signs[j];
  }
}

// Quad i of out = quad permutation[i] of in, times signs[i].
TQ_AVX512 void PermuteQuadsAvx512(const float* in, const int32_t* permutation, const float* signs,
                                  int d, float* out) {
  // Each of four signs to the four floats of its quad.
  const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  int i = 0;
  for (; i + 4 <= d; i += 4) {
    __m512 v = _mm512_castps128_ps512(_mm_loadu_ps(in + 4 * permutation[i]));
    v = _mm512_mask_broadcast_f32x4(v, 0x00F0, _mm_loadu_ps(in + 4 * permutation[i + 1]));
    v = _mm512_mask_broadcast_f32x4(v, 0x0F00, _mm_loadu_ps(in + 4 * permutation[i + 2]));
    v = _mm512_mask_broadcast_f32x4(v, 0xF000, _mm_loadu_ps(in + 4 * permutation[i + 3]));
    const __m512 s = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(_mm_loadu_ps(signs + i)));
    _mm512_storeu_ps(out + 4 * i, _mm512_mul_ps(v, s));
  }
  for (; i < d; ++i) {
    for (int r = 0; r < 4; ++r) out[4 * i + r] = in[4 * permutation[i] + r] * signs[i];
  }
}

// outs[r][i] = element r of quad permutation[i] of in: the last round's permutation,
// de-interleaved.
TQ_AVX512 void PermuteSplitQuadsAvx512(const float* in, const int32_t* permutation, int d,
                                       float* const* outs) {
  int i = 0;
  for (; i + 16 <= d; i += 16) {
    __m512 v[4];  // v[k]: quads i + 4k .. i + 4k + 3
    for (int k = 0; k < 4; ++k) {
      const int32_t* p = permutation + i + 4 * k;
      v[k] = _mm512_castps128_ps512(_mm_loadu_ps(in + 4 * p[0]));
      v[k] = _mm512_insertf32x4(v[k], _mm_loadu_ps(in + 4 * p[1]), 1);
      v[k] = _mm512_insertf32x4(v[k], _mm_loadu_ps(in + 4 * p[2]), 2);
      v[k] = _mm512_insertf32x4(v[k], _mm_loadu_ps(in + 4 * p[3]), 3);
    }
    // The lanes' transpose: v[k] lane L = quad i + 4L + k; then in lanes: row k's i .. i + 15.
    TransposeLanes(v[0], v[1], v[2], v[3]);
    TransposeInLanes(v[0], v[1], v[2], v[3]);
    for (int r = 0; r < 4; ++r) _mm512_storeu_ps(outs[r] + i, v[r]);
  }
  for (; i < d; ++i) {
    for (int r = 0; r < 4; ++r) outs[r][i] = in[4 * permutation[i] + r];
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

void FastRotation::HadamardQuadWindows(float* x) const {
  const int window = 1 << log2_window_;
  WalshHadamardInterleavedAt(SimdLevel::kAvx512, x, log2_window_, 2);
  if (window == dim()) return;
  WalshHadamardInterleavedAt(SimdLevel::kAvx512, x + 4 * (dim() - window), log2_window_, 2,
                             window_scale_);
}

void FastRotation::ApplyQuad(const float* const* in, float* const* out, float* scratch) const {
  const int d = dim();
  float* current = scratch;
  float* next = scratch + 4 * d;
  InterleaveQuadsScaledAvx512(in, rounds_[0].signed_scale.data(), d, current);
  for (size_t r = 0; r < rounds_.size(); ++r) {
    HadamardQuadWindows(current);
    if (r + 1 == rounds_.size()) {
      PermuteSplitQuadsAvx512(current, rounds_[r].permutation.data(), d, out);
    } else {
      PermuteQuadsAvx512(current, rounds_[r].permutation.data(), rounds_[r + 1].signed_scale.data(),
                         d, next);
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
  std::vector<float> scratch(8 * d);
  int64_t v = 0;
  // Four at a time under AVX-512 (windows of at least 4: 16 interleaved floats per register).
  if (ActiveSimdLevel() >= SimdLevel::kAvx512 && log2_window_ >= 2) {
    for (; v + 4 <= n; v += 4) {
      const float* rows[4] = {in + v * d, in + (v + 1) * d, in + (v + 2) * d, in + (v + 3) * d};
      float* outs[4] = {out + v * d, out + (v + 1) * d, out + (v + 2) * d, out + (v + 3) * d};
      ApplyQuad(rows, outs, scratch.data());
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
