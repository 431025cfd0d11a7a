// Nearest-centroid quantization of many values at once: count the decision thresholds at or
// below each value, 16 (AVX-512, by binary search up to 32 centroids) or 8 (AVX2) values per
// step. Comparisons are exact, so every level returns the same indices as Codebook::Quantize.
#include <immintrin.h>

#include <cmath>

// GCC 12's own avx512fintrin.h trips -Wmaybe-uninitialized inside _mm512_cvtepi32_epi8.
#if defined(__GNUC__) && !defined(__clang__)  // GCC only: clang has its own headers
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "engine/codebook.h"
#include "engine/simd_level.h"

namespace tq {
namespace {

void QuantizeScalar(const Codebook& book, const float* values, int64_t n, uint8_t* indices) {
  for (int64_t i = 0; i < n; ++i) indices[i] = book.Quantize(values[i]);
}

__attribute__((target("avx2,fma"))) void QuantizeAvx2(const Codebook& book, const float* values,
                                                      int64_t n, uint8_t* indices) {
  const std::span<const float> edges = book.boundaries();
  const __m256i one = _mm256_set1_epi32(1);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(values + i);
    __m256i count = _mm256_setzero_si256();
    for (float edge : edges) {
      const __m256 ge = _mm256_cmp_ps(v, _mm256_set1_ps(edge), _CMP_GE_OQ);
      count = _mm256_add_epi32(count, _mm256_and_si256(_mm256_castps_si256(ge), one));
    }
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), count);
    for (int k = 0; k < 8; ++k) indices[i + k] = static_cast<uint8_t>(lanes[k]);
  }
  QuantizeScalar(book, values + i, n - i, indices + i);
}

#define TQ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

TQ_AVX512 void QuantizeLinearAvx512(const Codebook& book, const float* values, int64_t n,
                                    uint8_t* indices) {
  const std::span<const float> edges = book.boundaries();
  const __m512i one = _mm512_set1_epi32(1);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t lanes = n - i < 16 ? n - i : 16;
    const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(mask, values + i);
    __m512i count = _mm512_setzero_si512();
    for (float edge : edges) {
      const __mmask16 ge = _mm512_cmp_ps_mask(v, _mm512_set1_ps(edge), _CMP_GE_OQ);
      count = _mm512_mask_add_epi32(count, ge, count, one);
    }
    _mm_mask_storeu_epi8(indices + i, mask, _mm512_cvtepi32_epi8(count));
  }
}

// Codebooks of up to 32 centroids (5 bits): the same count by binary search, the boundaries in
// two registers. The boundaries ascend, so "v >= boundary k" holds for a prefix of k and the
// search finds its length; the padding past the last boundary is NaN, which no v reaches, as no
// boundary is reached by a NaN v (index 0 either way). 4 steps of 4 instructions per 16 values at
// 4 bits instead of 15 of 2.
TQ_AVX512 void QuantizeAvx512(const Codebook& book, const float* values, int64_t n,
                              uint8_t* indices) {
  const std::span<const float> edges = book.boundaries();
  const int count = static_cast<int>(edges.size());
  if (count > 31) return QuantizeLinearAvx512(book, values, n, indices);
  alignas(64) float table[32];
  for (int k = 0; k < 32; ++k) table[k] = k < count ? edges[k] : std::nanf("");
  const __m512 low = _mm512_load_ps(table);
  const __m512 high = _mm512_load_ps(table + 16);
  int first_step = 1;  // half the smallest power of two above count
  while (2 * first_step <= count) first_step *= 2;
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t lanes = n - i < 16 ? n - i : 16;
    const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(mask, values + i);
    __m512i index = _mm512_setzero_si512();
    for (int step = first_step; step >= 1; step /= 2) {
      const __m512i probe = _mm512_add_epi32(index, _mm512_set1_epi32(step - 1));
      const __m512 edge = _mm512_permutex2var_ps(low, probe, high);
      const __mmask16 ge = _mm512_cmp_ps_mask(v, edge, _CMP_GE_OQ);
      index = _mm512_mask_add_epi32(index, ge, index, _mm512_set1_epi32(step));
    }
    _mm_mask_storeu_epi8(indices + i, mask, _mm512_cvtepi32_epi8(index));
  }
}

#undef TQ_AVX512

}  // namespace

void Codebook::QuantizeMany(const float* values, int64_t n, uint8_t* indices) const {
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512:
    case SimdLevel::kAvx512Vbmi:
      return QuantizeAvx512(*this, values, n, indices);
    case SimdLevel::kAvx2:
      return QuantizeAvx2(*this, values, n, indices);
    case SimdLevel::kScalar:
      return QuantizeScalar(*this, values, n, indices);
  }
}

}  // namespace tq
