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

// Two vectors of 2^log2_n interleaved (x[2j] the first's coordinate j, x[2j + 1] the second's),
// each transformed (and scaled) with the same bits as WalshHadamardAt gives it alone. AVX-512
// only (other levels run the scalar butterflies): the `fast` rotation's two-vector path.
void WalshHadamardPairsAt(SimdLevel level, float* x, int log2_n, float scale = 1.0f);

}  // namespace tq

#endif  // TQ_ENGINE_HADAMARD_H_
