// Bandwidth-bound uint64 sums per ISA (see memory_read.h).
#include "benchmarks/memory/memory_read.h"

#include <immintrin.h>

#include "engine/simd_level.h"

// GCC 12's own avx512fintrin.h trips -Wuninitialized inside _mm512_reduce_add_epi64.
#if defined(__GNUC__) && !defined(__clang__)  // GCC only: clang has its own headers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tq {
namespace {

// Sums n uint64 (n a multiple of 32) with four independent vector accumulators, so that only
// the memory system limits it.
__attribute__((target("avx512f"))) uint64_t SumWordsAvx512(const uint64_t* words, size_t n) {
  __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()};
  for (size_t i = 0; i < n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm512_add_epi64(acc[k], _mm512_loadu_si512(words + i + 8 * k));
    }
  }
  return _mm512_reduce_add_epi64(
      _mm512_add_epi64(_mm512_add_epi64(acc[0], acc[1]), _mm512_add_epi64(acc[2], acc[3])));
}

__attribute__((target("avx2"))) uint64_t SumWordsAvx2(const uint64_t* words, size_t n) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256()};
  for (size_t i = 0; i < n; i += 16) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_add_epi64(
          acc[k], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(words + i + 4 * k)));
    }
  }
  const __m256i sum =
      _mm256_add_epi64(_mm256_add_epi64(acc[0], acc[1]), _mm256_add_epi64(acc[2], acc[3]));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

}  // namespace

uint64_t SumWords(const uint64_t* words, size_t n) {
  const size_t head = n / 32 * 32;
  uint64_t sum = 0;
  if (DetectedSimdLevel() >= SimdLevel::kAvx512) {
    sum = SumWordsAvx512(words, head);
  } else if (DetectedSimdLevel() == SimdLevel::kAvx2) {
    sum = SumWordsAvx2(words, head);
  } else {
    for (size_t i = 0; i < head; ++i) sum += words[i];
  }
  for (size_t i = head; i < n; ++i) sum += words[i];
  return sum;
}

}  // namespace tq
