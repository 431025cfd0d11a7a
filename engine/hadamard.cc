// Butterflies of the Walsh-Hadamard transform: a scalar reference and AVX2 / AVX-512 kernels
// that perform the same additions in the same order, so every level gives identical bits.
#include "engine/hadamard.h"

#include <immintrin.h>

// GCC 12's own avx512fintrin.h trips -Wmaybe-uninitialized inside _mm512_permutexvar_ps.
#if defined(__GNUC__) && !defined(__clang__)  // GCC only: clang has its own headers
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tq {
namespace {

inline void Butterflies(float* __restrict x, int log2_n) {
  const int n = 1 << log2_n;
  for (int h = 1; h < n; h <<= 1) {
    for (int i = 0; i < n; i += 2 * h) {
      float* __restrict lo = x + i;
      float* __restrict hi = x + i + h;
      for (int j = 0; j < h; ++j) {
        const float a = lo[j];
        const float b = hi[j];
        lo[j] = a + b;
        hi[j] = a - b;
      }
    }
  }
}

void HadamardScalar(float* x, int log2_n) { Butterflies(x, log2_n); }

// SIMD versions run the same butterflies in the same stage order: strides below the vector
// width inside each register (lane i meets lane i ^ h through a permute), wider strides
// between registers. lo + hi and lo - hi are computed exactly as in the scalar loop: inside a
// register as one FMA, v * (+1 or -1) + partner, whose product is exact, so it rounds once as
// lo + hi (lower lanes) and lo - hi (upper lanes) do, signed zeros included. That is one
// instruction fewer per stage than an add, a subtract and a blend.

__attribute__((target("avx2,fma"))) void HadamardAvx2(float* x, int log2_n) {
  constexpr int kLanes = 8;
  const int n = 1 << log2_n;
  if (n < kLanes) return Butterflies(x, log2_n);
  const __m256i swap1 = _mm256_setr_epi32(1, 0, 3, 2, 5, 4, 7, 6);
  const __m256i swap2 = _mm256_setr_epi32(2, 3, 0, 1, 6, 7, 4, 5);
  const __m256i swap4 = _mm256_setr_epi32(4, 5, 6, 7, 0, 1, 2, 3);
  const __m256 sign1 = _mm256_setr_ps(1, -1, 1, -1, 1, -1, 1, -1);
  const __m256 sign2 = _mm256_setr_ps(1, 1, -1, -1, 1, 1, -1, -1);
  const __m256 sign4 = _mm256_setr_ps(1, 1, 1, 1, -1, -1, -1, -1);
  for (int i = 0; i < n; i += kLanes) {
    __m256 v = _mm256_loadu_ps(x + i);
    v = _mm256_fmadd_ps(v, sign1, _mm256_permutevar8x32_ps(v, swap1));
    v = _mm256_fmadd_ps(v, sign2, _mm256_permutevar8x32_ps(v, swap2));
    v = _mm256_fmadd_ps(v, sign4, _mm256_permutevar8x32_ps(v, swap4));
    _mm256_storeu_ps(x + i, v);
  }
  for (int h = kLanes; h < n; h <<= 1) {
    for (int i = 0; i < n; i += 2 * h) {
      for (int j = i; j < i + h; j += kLanes) {
        const __m256 a = _mm256_loadu_ps(x + j);
        const __m256 b = _mm256_loadu_ps(x + j + h);
        _mm256_storeu_ps(x + j, _mm256_add_ps(a, b));
        _mm256_storeu_ps(x + j + h, _mm256_sub_ps(a, b));
      }
    }
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))) void HadamardAvx512(float* x,
                                                                                      int log2_n) {
  constexpr int kLanes = 16;
  const int n = 1 << log2_n;
  if (n < kLanes) return HadamardAvx2(x, log2_n);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i partner[4];
  __m512 sign[4];  // +1 in the lower lane of each pair, -1 in the upper
  for (int s = 0; s < 4; ++s) {
    partner[s] = _mm512_xor_si512(lane, _mm512_set1_epi32(1 << s));
    const __mmask16 upper = _mm512_test_epi32_mask(lane, _mm512_set1_epi32(1 << s));
    sign[s] = _mm512_mask_blend_ps(upper, _mm512_set1_ps(1.0f), _mm512_set1_ps(-1.0f));
  }
  for (int i = 0; i < n; i += kLanes) {
    __m512 v = _mm512_loadu_ps(x + i);
    for (int s = 0; s < 4; ++s) {
      v = _mm512_fmadd_ps(v, sign[s], _mm512_permutexvar_ps(partner[s], v));
    }
    _mm512_storeu_ps(x + i, v);
  }
  // Strides from 16 up: three stages per pass over memory while eight registers hold the
  // values they combine (then two, then one), the same additions as one stage per pass.
  // Measured: one stage per pass spent most of its time loading and storing (d = 1536).
  int h = kLanes;
  for (; 8 * h <= n; h *= 8) {
    for (int i = 0; i < n; i += 8 * h) {
      for (int j = i; j < i + h; j += kLanes) {
        __m512 a[8];
        for (int k = 0; k < 8; ++k) a[k] = _mm512_loadu_ps(x + j + k * h);
        for (int stride = 1; stride < 8; stride *= 2) {  // stages h, 2h, 4h
          for (int k = 0; k < 8; ++k) {
            if (k & stride) continue;
            const __m512 lo = a[k], hi = a[k + stride];
            a[k] = _mm512_add_ps(lo, hi);
            a[k + stride] = _mm512_sub_ps(lo, hi);
          }
        }
        for (int k = 0; k < 8; ++k) _mm512_storeu_ps(x + j + k * h, a[k]);
      }
    }
  }
  for (; h < n; h <<= 1) {
    for (int i = 0; i < n; i += 2 * h) {
      for (int j = i; j < i + h; j += kLanes) {
        const __m512 a = _mm512_loadu_ps(x + j);
        const __m512 b = _mm512_loadu_ps(x + j + h);
        _mm512_storeu_ps(x + j, _mm512_add_ps(a, b));
        _mm512_storeu_ps(x + j + h, _mm512_sub_ps(a, b));
      }
    }
  }
}

}  // namespace

void WalshHadamardAt(SimdLevel level, float* x, int log2_n) {
  switch (level) {
    case SimdLevel::kAvx512:
    case SimdLevel::kAvx512Vbmi:
      return HadamardAvx512(x, log2_n);
    case SimdLevel::kAvx2:
      return HadamardAvx2(x, log2_n);
    case SimdLevel::kScalar:
      return HadamardScalar(x, log2_n);
  }
}

void WalshHadamard(float* x, int log2_n) { WalshHadamardAt(ActiveSimdLevel(), x, log2_n); }

}  // namespace tq
