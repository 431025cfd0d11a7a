// BlockCandidates at each SIMD level. Every level performs, per lane, the same IEEE operations in
// the same order as the scalar reference (this target builds with -ffp-contract=off: the fused
// multiply-adds are the explicit std::fma and _fmadd_ intrinsics, the same at every level; AVX2
// here means AVX2 + FMA, as DetectedSimdLevel requires), so keys are equal bit for bit.
//
// Why it matters: once the lookups ran in SIMD, this per-block work, done a lane at a time,
// took 1.5x to 3x the time of the lookups themselves (perf, GloVe-100 at 4 bits, k = 64); and
// walking each block's passing lanes with a branch per lane (live? accepted?) took as long
// again, so the candidates come out packed, for a loop without a branch on them.
#include "index/block_keys.h"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__)  // GCC's avx512fintrin.h placeholders
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tq {
namespace {

// Block i's inputs, from block 0's.
inline BlockKeyInputs Advance(const BlockKeyInputs& in, int64_t i) {
  const auto column = [&](const float* c) {
    return c ? reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(c) + i * in.stride)
             : nullptr;
  };
  const auto sums = [&](const uint32_t* s) { return s ? s + i * kBlockVectors : nullptr; };
  BlockKeyInputs at = in;
  at.mse_sums = sums(in.mse_sums);
  at.upper_sums = sums(in.upper_sums);
  at.qjl_sums = sums(in.qjl_sums);
  at.residual = column(in.residual);
  at.scale = column(in.scale);
  at.mean_dots = column(in.mean_dots);
  at.squared = column(in.squared);
  if (in.live) at.live = in.live + i * in.stride;
  return at;
}

inline uint32_t LiveMask(const BlockKeyInputs& in) {
  uint32_t mask = ~0u;
  if (in.live) std::memcpy(&mask, in.live, sizeof(mask));
  return mask;
}

// Appends the lanes of `pass` (their keys in key[0..32)) without a branch per lane: every lane
// is written, the count only advances for the passing ones.
inline int64_t Emit(const float* key, uint32_t pass, uint32_t first_lane, float* keys,
                    uint32_t* lanes) {
  int64_t n = 0;
  for (int l = 0; l < kBlockVectors; ++l) {
    keys[n] = key[l];
    lanes[n] = first_lane + l;
    n += (pass >> l) & 1;
  }
  return n;
}

inline uint32_t KeysScalar(const KeyTerms& t, const BlockKeyInputs& in, float threshold,
                           float* key) {
  uint32_t pass = 0;
  const auto part = [](const uint32_t* sums, int l, float a, float c) {
    return std::fma(a, static_cast<float>(static_cast<int32_t>(sums[l])), c);
  };
  for (int l = 0; l < kBlockVectors; ++l) {
    float k = 0.0f;
    if (in.mse_sums) k = part(in.mse_sums, l, t.mse_a, t.mse_c);
    if (in.upper_sums) k = k + part(in.upper_sums, l, t.upper_a, t.upper_c);
    if (in.qjl_sums) {
      k = std::fma(t.qjl_scale * in.residual[l], part(in.qjl_sums, l, t.qjl_a, t.qjl_c), k);
    }
    if (in.mean_dots) {
      k = std::fma(k, in.scale[l], in.mean_dots[l] + t.offset);
    } else if (t.offset != 0.0f) {
      k = std::fma(k, in.scale[l], t.offset);
    } else {
      k = k * in.scale[l];
    }
    if (t.l2) k = 2.0f * k - in.squared[l];
    key[l] = k;
    pass |= static_cast<uint32_t>(k >= threshold) << l;
  }
  return pass;
}

#define TQ_AVX2 __attribute__((target("avx2,fma")))

TQ_AVX2 inline __m256 PartAvx2(const uint32_t* sums, int l, float a, float c) {
  const __m256 s =
      _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + l)));
  return _mm256_fmadd_ps(_mm256_set1_ps(a), s, _mm256_set1_ps(c));
}

TQ_AVX2 inline uint32_t KeysAvx2(const KeyTerms& t, const BlockKeyInputs& in, float threshold,
                                 float* key) {
  uint32_t pass = 0;
  for (int l = 0; l < kBlockVectors; l += 8) {
    __m256 k = _mm256_setzero_ps();
    if (in.mse_sums) k = PartAvx2(in.mse_sums, l, t.mse_a, t.mse_c);
    if (in.upper_sums) k = _mm256_add_ps(k, PartAvx2(in.upper_sums, l, t.upper_a, t.upper_c));
    if (in.qjl_sums) {
      const __m256 weight =
          _mm256_mul_ps(_mm256_set1_ps(t.qjl_scale), _mm256_loadu_ps(in.residual + l));
      k = _mm256_fmadd_ps(weight, PartAvx2(in.qjl_sums, l, t.qjl_a, t.qjl_c), k);
    }
    const __m256 scale = _mm256_loadu_ps(in.scale + l);
    if (in.mean_dots) {
      k = _mm256_fmadd_ps(
          k, scale, _mm256_add_ps(_mm256_loadu_ps(in.mean_dots + l), _mm256_set1_ps(t.offset)));
    } else if (t.offset != 0.0f) {
      k = _mm256_fmadd_ps(k, scale, _mm256_set1_ps(t.offset));
    } else {
      k = _mm256_mul_ps(k, scale);
    }
    if (t.l2) {
      k = _mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(2.0f), k), _mm256_loadu_ps(in.squared + l));
    }
    _mm256_storeu_ps(key + l, k);
    const __m256 reached = _mm256_cmp_ps(k, _mm256_set1_ps(threshold), _CMP_GE_OQ);
    pass |= static_cast<uint32_t>(_mm256_movemask_ps(reached)) << l;
  }
  return pass;
}

TQ_AVX2 int64_t ManyAvx2(const KeyTerms& t, const BlockKeyInputs& in, int64_t count,
                         float threshold, float* keys, uint32_t* lanes) {
  int64_t n = 0;
  for (int64_t i = 0; i < count; ++i) {
    const BlockKeyInputs at = Advance(in, i);
    float key[kBlockVectors];
    const uint32_t pass = KeysAvx2(t, at, threshold, key) & LiveMask(at);
    n += Emit(key, pass, static_cast<uint32_t>(i * kBlockVectors), keys + n, lanes + n);
  }
  return n;
}

#undef TQ_AVX2
#define TQ_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma,popcnt")))

TQ_AVX512 inline __m512 PartAvx512(const uint32_t* sums, int l, float a, float c) {
  const __m512 s = _mm512_cvtepi32_ps(_mm512_loadu_si512(sums + l));
  return _mm512_fmadd_ps(_mm512_set1_ps(a), s, _mm512_set1_ps(c));
}

// Keys of lanes [l, l + 16) of a block.
TQ_AVX512 inline __m512 KeysAvx512(const KeyTerms& t, const BlockKeyInputs& in, int l) {
  __m512 k = _mm512_setzero_ps();
  if (in.mse_sums) k = PartAvx512(in.mse_sums, l, t.mse_a, t.mse_c);
  if (in.upper_sums) k = _mm512_add_ps(k, PartAvx512(in.upper_sums, l, t.upper_a, t.upper_c));
  if (in.qjl_sums) {
    const __m512 weight =
        _mm512_mul_ps(_mm512_set1_ps(t.qjl_scale), _mm512_loadu_ps(in.residual + l));
    k = _mm512_fmadd_ps(weight, PartAvx512(in.qjl_sums, l, t.qjl_a, t.qjl_c), k);
  }
  const __m512 scale = _mm512_loadu_ps(in.scale + l);
  if (in.mean_dots) {
    k = _mm512_fmadd_ps(k, scale,
                        _mm512_add_ps(_mm512_loadu_ps(in.mean_dots + l), _mm512_set1_ps(t.offset)));
  } else if (t.offset != 0.0f) {
    k = _mm512_fmadd_ps(k, scale, _mm512_set1_ps(t.offset));
  } else {
    k = _mm512_mul_ps(k, scale);
  }
  if (t.l2) {
    k = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(2.0f), k), _mm512_loadu_ps(in.squared + l));
  }
  return k;
}

// Appends the lanes of `pass` among [first_lane, first_lane + 16) with their keys k.
TQ_AVX512 inline int64_t CompressAvx512(__m512 k, __mmask16 pass, uint32_t first_lane, float* keys,
                                        uint32_t* lanes) {
  const __m512i lane =
      _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first_lane)),
                       _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  _mm512_storeu_ps(keys, _mm512_maskz_compress_ps(pass, k));
  _mm512_storeu_si512(lanes, _mm512_maskz_compress_epi32(pass, lane));
  return std::popcount(static_cast<uint32_t>(pass));
}

// The candidates of blocks [0, count) from block_keys(i, &low, &high), which computes block i's
// 32 keys and returns its live mask. Two passes over up to 64 blocks: every block's keys are
// stored in place (keys[32 i ..]) with its pass mask, then only the blocks with a candidate are
// compressed, found by bit scan. A branch per block on "any candidate?" (a coin flip once the
// threshold has settled: 16% of GloVe's blocks have one at k = 64) mispredicted about twice per
// such block; without it GloVe answered 1.13x the queries per second at k = 64 (paired runs).
template <typename BlockKeys>
TQ_AVX512 inline int64_t CandidatesAvx512(int64_t count, float threshold, BlockKeys block_keys,
                                          float* keys, uint32_t* lanes) {
  const __m512 bar = _mm512_set1_ps(threshold);
  int64_t n = 0;
  for (int64_t i0 = 0; i0 < count; i0 += 64) {
    const int64_t i1 = std::min<int64_t>(count, i0 + 64);
    uint32_t pass[64];
    uint64_t any = 0;  // bit i - i0: block i has a candidate
    for (int64_t i = i0; i < i1; ++i) {
      __m512 low, high;
      const uint32_t live = block_keys(i, &low, &high);
      const __mmask16 pass_low =
          _mm512_mask_cmp_ps_mask(static_cast<__mmask16>(live), low, bar, _CMP_GE_OQ);
      const __mmask16 pass_high =
          _mm512_mask_cmp_ps_mask(static_cast<__mmask16>(live >> 16), high, bar, _CMP_GE_OQ);
      _mm512_storeu_ps(keys + i * kBlockVectors, low);
      _mm512_storeu_ps(keys + i * kBlockVectors + 16, high);
      pass[i - i0] = static_cast<uint32_t>(pass_low) | static_cast<uint32_t>(pass_high) << 16;
      any |= static_cast<uint64_t>(pass[i - i0] != 0) << (i - i0);
    }
    // Compressed in place: n <= 32 i, so each whole-register store ends where the half it
    // came from (already loaded) ends, before anything still to be read.
    for (; any != 0; any &= any - 1) {
      const int64_t i = i0 + std::countr_zero(any);
      const uint32_t first_lane = static_cast<uint32_t>(i * kBlockVectors);
      const __m512 low = _mm512_loadu_ps(keys + first_lane);
      const __m512 high = _mm512_loadu_ps(keys + first_lane + 16);
      const uint32_t p = pass[i - i0];
      n += CompressAvx512(low, static_cast<__mmask16>(p), first_lane, keys + n, lanes + n);
      n += CompressAvx512(high, static_cast<__mmask16>(p >> 16), first_lane + 16, keys + n,
                          lanes + n);
    }
  }
  return n;
}

// Keys of 16 lanes for MseAvx512: sums of those lanes, their scale column at `columns`, the
// other columns at fixed byte distances from it.
template <bool kDots, bool kOffset, bool kL2>
TQ_AVX512 inline __m512 MseHalfAvx512(const uint32_t* sums, const uint8_t* columns, __m512 a,
                                      __m512 c, __m512 offset, ptrdiff_t dots, ptrdiff_t squared) {
  __m512 k = _mm512_fmadd_ps(a, _mm512_cvtepi32_ps(_mm512_loadu_si512(sums)), c);
  const __m512 scale = _mm512_loadu_ps(reinterpret_cast<const float*>(columns));
  if constexpr (kDots) {
    k = _mm512_fmadd_ps(
        k, scale,
        _mm512_add_ps(_mm512_loadu_ps(reinterpret_cast<const float*>(columns + dots)), offset));
  } else if constexpr (kOffset) {
    k = _mm512_fmadd_ps(k, scale, offset);
  } else {
    k = _mm512_mul_ps(k, scale);
  }
  if constexpr (kL2) {
    k = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(2.0f), k),
                      _mm512_loadu_ps(reinterpret_cast<const float*>(columns + squared)));
  }
  return k;
}

// The default variant's case (Lloyd-Max codes only), with the terms fixed at compile time and
// the inputs' pointers in registers: the same operations as KeysAvx512 without a branch or a
// reload per block. This step took about half the time of the lookups at k = 64 (perf,
// GloVe-100, 4 bits); this loop gave 6-10% more queries per second at k = 10 and 64.
template <bool kDots, bool kOffset, bool kL2>
TQ_AVX512 int64_t MseAvx512(const KeyTerms& t, const BlockKeyInputs& in, int64_t count,
                            float threshold, float* keys, uint32_t* lanes) {
  const __m512 a = _mm512_set1_ps(t.mse_a);
  const __m512 c = _mm512_set1_ps(t.mse_c);
  const __m512 offset = _mm512_set1_ps(t.offset);
  const uint8_t* const scale = reinterpret_cast<const uint8_t*>(in.scale);
  const ptrdiff_t dots = kDots ? reinterpret_cast<const uint8_t*>(in.mean_dots) - scale : 0;
  const ptrdiff_t squared = kL2 ? reinterpret_cast<const uint8_t*>(in.squared) - scale : 0;
  const uint8_t* const live = in.live;
  const uint32_t* const sums = in.mse_sums;
  const size_t stride = in.stride;
  return CandidatesAvx512(
      count, threshold,
      [&](int64_t i, __m512* low, __m512* high) TQ_AVX512 {
        const uint8_t* columns = scale + i * stride;
        const uint32_t* s = sums + i * kBlockVectors;
        *low = MseHalfAvx512<kDots, kOffset, kL2>(s, columns, a, c, offset, dots, squared);
        *high = MseHalfAvx512<kDots, kOffset, kL2>(s + 16, columns + 16 * sizeof(float), a, c,
                                                   offset, dots, squared);
        uint32_t mask = ~0u;
        if (live) std::memcpy(&mask, live + i * stride, sizeof(mask));
        return mask;
      },
      keys, lanes);
}

TQ_AVX512 int64_t ManyAvx512(const KeyTerms& t, const BlockKeyInputs& in, int64_t count,
                             float threshold, float* keys, uint32_t* lanes) {
  if (in.mse_sums && !in.upper_sums && !in.qjl_sums) {
    const bool dots = in.mean_dots != nullptr;
    const bool offset = t.offset != 0.0f;
    const int which = dots * 4 + offset * 2 + t.l2;
    switch (which) {
      case 0:
        return MseAvx512<false, false, false>(t, in, count, threshold, keys, lanes);
      case 1:
        return MseAvx512<false, false, true>(t, in, count, threshold, keys, lanes);
      case 2:
        return MseAvx512<false, true, false>(t, in, count, threshold, keys, lanes);
      case 3:
        return MseAvx512<false, true, true>(t, in, count, threshold, keys, lanes);
      default:
        break;  // with mean dots the offset goes in with them
    }
    if (t.l2) return MseAvx512<true, false, true>(t, in, count, threshold, keys, lanes);
    return MseAvx512<true, false, false>(t, in, count, threshold, keys, lanes);
  }
  return CandidatesAvx512(
      count, threshold,
      [&](int64_t i, __m512* low, __m512* high) TQ_AVX512 {
        const BlockKeyInputs at = Advance(in, i);
        *low = KeysAvx512(t, at, 0);
        *high = KeysAvx512(t, at, 16);
        return LiveMask(at);
      },
      keys, lanes);
}

#undef TQ_AVX512

}  // namespace

int64_t BlockCandidatesAt(SimdLevel level, const KeyTerms& terms, const BlockKeyInputs& in,
                          int64_t count, float threshold, float* keys, uint32_t* lanes) {
  switch (level) {
    case SimdLevel::kAvx512:
    case SimdLevel::kAvx512Vbmi:
      return ManyAvx512(terms, in, count, threshold, keys, lanes);
    case SimdLevel::kAvx2:
      return ManyAvx2(terms, in, count, threshold, keys, lanes);
    case SimdLevel::kScalar:
      break;
  }
  int64_t n = 0;
  for (int64_t i = 0; i < count; ++i) {
    const BlockKeyInputs at = Advance(in, i);
    float key[kBlockVectors];
    const uint32_t pass = KeysScalar(terms, at, threshold, key) & LiveMask(at);
    n += Emit(key, pass, static_cast<uint32_t>(i * kBlockVectors), keys + n, lanes + n);
  }
  return n;
}

}  // namespace tq
