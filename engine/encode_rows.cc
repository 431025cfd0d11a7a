// Encode's row passes: the scalar reference and AVX-512. AVX-512 keeps the 32 partial sums in
// four registers of eight doubles (register q, lane k: partial 8q + k) and adds each exact
// float x float product with one FMA, which rounds once as the reference's addition does (the
// product of two floats is exact in double). AVX2 machines run the reference.
#include "engine/encode_rows.h"

#include <immintrin.h>

#include <cassert>

// GCC 12's avx512fintrin.h placeholders trip -Wmaybe-uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tq {
namespace {

RowSquares CenterRowScalar(const float* x, const float* center, int d, float* u) {
  double squares[kSumLanes] = {};
  double dots[kSumLanes] = {};
  for (int j = 0; j < d; ++j) {
    float v = x[j];
    if (center) {
      v = v - center[j];
      u[j] = v;
      dots[j % kSumLanes] += static_cast<double>(center[j]) * v;
    }
    squares[j % kSumLanes] += static_cast<double>(v) * v;
  }
  return {SumPartials(squares), center ? SumPartials(dots) : 0.0};
}

void ScaleRowScalar(const float* u, double inverse, int d, float* out) {
  for (int j = 0; j < d; ++j) out[j] = static_cast<float>(u[j] * inverse);
}

double CodebookDotScalar(const float* y, const uint8_t* index, int d, int m, const float* upper,
                         const float* centroids) {
  double partial[kSumLanes] = {};
  for (int j = 0; j < d; ++j) {
    const float c = j < m ? upper[index[j]] : centroids[index[j]];
    partial[j % kSumLanes] += static_cast<double>(y[j]) * c;
  }
  return SumPartials(partial);
}

#define TQ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

// The mask of the first `count` (may be <= 0 or > 16) of 16 lanes.
TQ_AVX512 inline __mmask16 FirstLanes(int count) {
  if (count >= 16) return 0xFFFF;
  return count <= 0 ? 0 : static_cast<__mmask16>((1u << count) - 1);
}

// Partials lo (lanes 0..7 of a, b) and hi (8..15) += a * b, in double, where mask is set.
TQ_AVX512 inline void AddProducts(__m512 a, __m512 b, __mmask16 mask, __m512d& lo, __m512d& hi) {
  const __m512d a_lo = _mm512_cvtps_pd(_mm512_castps512_ps256(a));
  const __m512d b_lo = _mm512_cvtps_pd(_mm512_castps512_ps256(b));
  const __m512d a_hi =
      _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  const __m512d b_hi =
      _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b), 1)));
  lo = _mm512_mask3_fmadd_pd(a_lo, b_lo, lo, static_cast<__mmask8>(mask));
  hi = _mm512_mask3_fmadd_pd(a_hi, b_hi, hi, static_cast<__mmask8>(mask >> 8));
}

// SumPartials of the four registers.
TQ_AVX512 inline double SumRegisters(const __m512d (&p)[4]) {
  const __m512d s = _mm512_add_pd(_mm512_add_pd(p[0], p[1]), _mm512_add_pd(p[2], p[3]));
  const __m256d quarter =  // s_k + s_k+4
      _mm256_add_pd(_mm512_castpd512_pd256(s), _mm512_extractf64x4_pd(s, 1));
  const __m128d half =  // (s0 + s4) + (s2 + s6), (s1 + s5) + (s3 + s7)
      _mm_add_pd(_mm256_castpd256_pd128(quarter), _mm256_extractf128_pd(quarter, 1));
  return _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
}

TQ_AVX512 RowSquares CenterRowAvx512(const float* x, const float* center, int d, float* u) {
  __m512d squares[4], dots[4];
  for (int q = 0; q < 4; ++q) squares[q] = dots[q] = _mm512_setzero_pd();
  for (int j = 0; j < d; j += kSumLanes) {
    for (int h = 0; h < 2; ++h) {  // coordinates j + 16 h .. j + 16 h + 15: partials 16 h ..
      const int at = j + 16 * h;
      const __mmask16 mask = FirstLanes(d - at);
      __m512 v = _mm512_maskz_loadu_ps(mask, x + at);
      if (center) {
        const __m512 c = _mm512_maskz_loadu_ps(mask, center + at);
        v = _mm512_sub_ps(v, c);
        _mm512_mask_storeu_ps(u + at, mask, v);
        AddProducts(c, v, mask, dots[2 * h], dots[2 * h + 1]);
      }
      AddProducts(v, v, mask, squares[2 * h], squares[2 * h + 1]);
    }
  }
  return {SumRegisters(squares), center ? SumRegisters(dots) : 0.0};
}

TQ_AVX512 void ScaleRowAvx512(const float* u, double inverse, int d, float* out) {
  const __m512d factor = _mm512_set1_pd(inverse);
  for (int j = 0; j < d; j += 16) {
    const __mmask16 mask = FirstLanes(d - j);
    const __m512 v = _mm512_maskz_loadu_ps(mask, u + j);
    const __m256 lo =
        _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), factor));
    const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))), factor));
    const __m512 scaled = _mm512_castpd_ps(
        _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
    _mm512_mask_storeu_ps(out + j, mask, scaled);
  }
}

// A table of up to 32 floats as two registers, zero past its size.
struct Table32 {
  __m512 lo, hi;
};

TQ_AVX512 inline Table32 LoadTable(const float* table, int size) {
  return {_mm512_maskz_loadu_ps(FirstLanes(size), table),
          _mm512_maskz_loadu_ps(FirstLanes(size - 16), table + 16)};
}

TQ_AVX512 double CodebookDotAvx512(const float* y, const uint8_t* index, int d, int m,
                                   const float* upper, int upper_size, const float* centroids,
                                   int centroids_size) {
  const Table32 rest = LoadTable(centroids, centroids_size);
  const Table32 head = m > 0 ? LoadTable(upper, upper_size) : rest;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512d partial[4];
  for (__m512d& p : partial) p = _mm512_setzero_pd();
  for (int j = 0; j < d; j += kSumLanes) {
    for (int h = 0; h < 2; ++h) {
      const int at = j + 16 * h;
      const __mmask16 mask = FirstLanes(d - at);
      const __m512i i = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, index + at));
      __m512 c = _mm512_permutex2var_ps(rest.lo, i, rest.hi);
      if (at < m) {  // coordinates below m take the upper codebook's centroid
        const __mmask16 in_head = _mm512_cmplt_epi32_mask(
            _mm512_add_epi32(lane, _mm512_set1_epi32(at)), _mm512_set1_epi32(m));
        c = _mm512_mask_mov_ps(c, in_head, _mm512_permutex2var_ps(head.lo, i, head.hi));
      }
      AddProducts(_mm512_maskz_loadu_ps(mask, y + at), c, mask, partial[2 * h], partial[2 * h + 1]);
    }
  }
  return SumRegisters(partial);
}

#undef TQ_AVX512

}  // namespace

RowSquares CenterRowAt(SimdLevel level, const float* x, const float* center, int d, float* u) {
  if (level >= SimdLevel::kAvx512) return CenterRowAvx512(x, center, d, u);
  return CenterRowScalar(x, center, d, u);
}

void ScaleRowAt(SimdLevel level, const float* u, double inverse, int d, float* out) {
  if (level >= SimdLevel::kAvx512) return ScaleRowAvx512(u, inverse, d, out);
  ScaleRowScalar(u, inverse, d, out);
}

double CodebookDotAt(SimdLevel level, const float* y, const uint8_t* index, int d, int m,
                     const float* upper, int upper_size, const float* centroids,
                     int centroids_size) {
  assert(centroids_size <= 32 && (m == 0 || upper_size <= 32));
  if (level >= SimdLevel::kAvx512) {
    return CodebookDotAvx512(y, index, d, m, upper, upper_size, centroids, centroids_size);
  }
  return CodebookDotScalar(y, index, d, m, upper, centroids);
}

}  // namespace tq
