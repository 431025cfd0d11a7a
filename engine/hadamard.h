// In-place fast Walsh-Hadamard transform of a power-of-two length, the O(n log n) core of the
// structured `fast` rotation. Only additions and subtractions: every SIMD level gives the same
// bits.
#ifndef TQ_ENGINE_HADAMARD_H_
#define TQ_ENGINE_HADAMARD_H_

#include "engine/simd_level.h"

namespace tq {

// x <- H x with H the unnormalised 2^log2_n Hadamard matrix (entries +-1; H H = n I).
void WalshHadamard(float* x, int log2_n);
// x <- H (scale x): each x_i * scale rounded to float first, then the transform (the scaling
// rides along the first pass over memory).
void WalshHadamardAt(SimdLevel level, float* x, int log2_n, float scale = 1.0f);

// 2^log2_rows vectors of 2^log2_n interleaved (x[R j + r] is vector r's coordinate j, R =
// 2^log2_rows), each transformed (and scaled) with the same bits as WalshHadamardAt gives it
// alone. AVX-512 only (other levels run the scalar butterflies): the `fast` rotation's
// several-vector paths.
void WalshHadamardInterleavedAt(SimdLevel level, float* x, int log2_n, int log2_rows,
                                float scale = 1.0f);

}  // namespace tq

#endif  // TQ_ENGINE_HADAMARD_H_
