// Butterflies of the Walsh-Hadamard transform: a scalar reference and AVX2 / AVX-512 kernels
// that perform the same additions in the same order, so every level gives identical bits.
#include "engine/hadamard.h"

#include <immintrin.h>

// GCC 12's own avx512fintrin.h trips -W(maybe-)uninitialized inside _mm512_permutexvar_ps.
#if defined(__GNUC__) && !defined(__clang__)  // GCC only: clang has its own headers
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tq {
namespace {

// Stages from stride first_h up (first_h = R leaves R interleaved vectors apart:
// WalshHadamardInterleavedAt).
inline void Butterflies(float* __restrict x, int log2_n, int first_h = 1) {
  const int n = 1 << log2_n;
  for (int h = first_h; h < n; h <<= 1) {
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

#define TQ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

// The lane permutations and +-1 factors of the in-register stages (strides 1, 2, 4, 8).
struct InRegisterStages {
  __m512i partner[4];
  __m512 sign[4];  // +1 in the lower lane of each pair, -1 in the upper
};

TQ_AVX512 inline InRegisterStages MakeInRegisterStages() {
  InRegisterStages stages;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int s = 0; s < 4; ++s) {
    stages.partner[s] = _mm512_xor_si512(lane, _mm512_set1_epi32(1 << s));
    const __mmask16 upper = _mm512_test_epi32_mask(lane, _mm512_set1_epi32(1 << s));
    stages.sign[s] = _mm512_mask_blend_ps(upper, _mm512_set1_ps(1.0f), _mm512_set1_ps(-1.0f));
  }
  return stages;
}

// Butterflies between registers a[k] and a[k + stride] for stride = 1, 2, .. < kRegs.
// Fully unrolled (GCC leaves sixteen registers' loops rolled, with a[] on the stack, unless told).
template <int kRegs>
TQ_AVX512 inline void RegisterStages(__m512 (&a)[kRegs]) {
#pragma GCC unroll 4
  for (int stride = 1; stride < kRegs; stride *= 2) {
#pragma GCC unroll 16
    for (int k = 0; k < kRegs; ++k) {
      if (k & stride) continue;
      const __m512 lo = a[k], hi = a[k + stride];
      a[k] = _mm512_add_ps(lo, hi);
      a[k + stride] = _mm512_fnmadd_ps(hi, _mm512_set1_ps(1.0f), lo);
    }
  }
}

// The first pass over memory: each group of kRegs consecutive registers is loaded (times scale,
// if not 1), goes through the in-register stages from kFirstStage, then the stages between its
// registers (strides 16 .. 8 kRegs), and is stored. The first stage is a template argument so
// that the in-register stages unroll with their constants in registers (a run-time bound left
// a compare per stage and spilled the constants).
template <int kRegs, int kFirstStage>
TQ_AVX512 void FirstPassAvx512(float* x, int n, float scale) {
  const InRegisterStages stages = MakeInRegisterStages();
  const __m512 factor = _mm512_set1_ps(scale);
  for (int i = 0; i < n; i += 16 * kRegs) {
    __m512 a[kRegs];
#pragma GCC unroll 16
    for (int k = 0; k < kRegs; ++k) {
      a[k] = _mm512_loadu_ps(x + i + 16 * k);
      if (scale != 1.0f) a[k] = _mm512_mul_ps(a[k], factor);
#pragma GCC unroll 4
      for (int s = kFirstStage; s < 4; ++s) {
        a[k] =
            _mm512_fmadd_ps(a[k], stages.sign[s], _mm512_permutexvar_ps(stages.partner[s], a[k]));
      }
    }
    RegisterStages(a);
#pragma GCC unroll 16
    for (int k = 0; k < kRegs; ++k) _mm512_storeu_ps(x + i + 16 * k, a[k]);
  }
}

template <int kRegs>
TQ_AVX512 void FirstPassAt(float* x, int n, int first_stage, float scale) {
  switch (first_stage) {
    case 0:
      return FirstPassAvx512<kRegs, 0>(x, n, scale);
    case 1:
      return FirstPassAvx512<kRegs, 1>(x, n, scale);
    case 2:
      return FirstPassAvx512<kRegs, 2>(x, n, scale);
    case 3:
      return FirstPassAvx512<kRegs, 3>(x, n, scale);
    default:
      return FirstPassAvx512<kRegs, 4>(x, n, scale);
  }
}

// log2(kRadix) stages from stride h, with kRadix registers holding the values they combine.
template <int kRadix>
TQ_AVX512 void RadixPassAvx512(float* x, int n, int h) {
  for (int i = 0; i < n; i += kRadix * h) {
    for (int j = i; j < i + h; j += 16) {
      __m512 a[kRadix];
#pragma GCC unroll 16
      for (int k = 0; k < kRadix; ++k) a[k] = _mm512_loadu_ps(x + j + k * h);
      RegisterStages(a);
#pragma GCC unroll 16
      for (int k = 0; k < kRadix; ++k) _mm512_storeu_ps(x + j + k * h, a[k]);
    }
  }
}

// x <- H (scale x); first_stage s skips the strides below 2^s (2^s interleaved vectors). n >= 16.
// Passes over memory: the first does the strides below 16 (inside registers) and 16 .. 64 or
// 16 .. 128 (eight or sixteen consecutive registers), later ones up to four stages each, as few
// passes as that allows, the stages spread evenly over them. The same additions in the same stage
// order as one stage per pass; measured at d = 1536: one stage per pass spent most of its time
// loading and storing; folding the first three between-register stages and the tail window's
// scaling into the first pass, and four stages per later pass, made the rotation 1.12x faster
// (sixteen registers against eight: 1.05x of that). Four interleaved vectors (windows of 4096
// floats) take two passes with a sixteen-register first pass where eight left a third.
TQ_AVX512 void HadamardAvx512(float* x, int log2_n, int first_stage, float scale) {
  const int n = 1 << log2_n;
  const auto passes_after = [&](int covered) { return (log2_n - covered + 3) / 4; };
  int covered;  // log2 of the floats the first pass transforms
  if (log2_n >= 8 && passes_after(8) < passes_after(7)) {
    FirstPassAt<16>(x, n, first_stage, scale);
    covered = 8;
  } else if (log2_n >= 7) {
    FirstPassAt<8>(x, n, first_stage, scale);
    covered = 7;
  } else if (log2_n == 6) {
    FirstPassAt<4>(x, n, first_stage, scale);
    covered = 6;
  } else if (log2_n == 5) {
    FirstPassAt<2>(x, n, first_stage, scale);
    covered = 5;
  } else {
    FirstPassAt<1>(x, n, first_stage, scale);
    covered = 4;
  }
  for (int left = log2_n - covered; left > 0;) {
    const int passes = (left + 3) / 4;
    const int stages = (left + passes - 1) / passes;
    const int h = 1 << (log2_n - left);
    switch (stages) {
      case 4:
        RadixPassAvx512<16>(x, n, h);
        break;
      case 3:
        RadixPassAvx512<8>(x, n, h);
        break;
      case 2:
        RadixPassAvx512<4>(x, n, h);
        break;
      default:
        RadixPassAvx512<2>(x, n, h);
        break;
    }
    left -= stages;
  }
}

#undef TQ_AVX512

}  // namespace

void WalshHadamardAt(SimdLevel level, float* x, int log2_n, float scale) {
  const int n = 1 << log2_n;
  if (level >= SimdLevel::kAvx512 && n >= 16) return HadamardAvx512(x, log2_n, 0, scale);
  if (scale != 1.0f) {
    for (int i = 0; i < n; ++i) x[i] *= scale;
  }
  if (level == SimdLevel::kScalar) return HadamardScalar(x, log2_n);
  HadamardAvx2(x, log2_n);
}

void WalshHadamard(float* x, int log2_n) { WalshHadamardAt(ActiveSimdLevel(), x, log2_n); }

void WalshHadamardInterleavedAt(SimdLevel level, float* x, int log2_n, int log2_rows, float scale) {
  // R interleaved vectors of n are one array of R n in which a stride-h stage of each is the
  // stride-R h stage of the whole: all of the whole's stages from stride R, in the same order.
  const int log2_total = log2_n + log2_rows;
  if (level >= SimdLevel::kAvx512 && log2_total >= 4 && log2_rows <= 4) {
    return HadamardAvx512(x, log2_total, log2_rows, scale);
  }
  if (scale != 1.0f) {
    for (int i = 0; i < 1 << log2_total; ++i) x[i] *= scale;
  }
  Butterflies(x, log2_total, 1 << log2_rows);
}

}  // namespace tq
