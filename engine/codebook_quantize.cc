// Nearest-centroid quantization of many values at once: count the decision thresholds at or
// below each value, 16 (AVX-512) or 8 (AVX2) values per step. Comparisons are exact, so every
// level returns the same indices as Codebook::Quantize.
#include <immintrin.h>

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

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))) void QuantizeAvx512(
    const Codebook& book, const float* values, int64_t n, uint8_t* indices) {
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
