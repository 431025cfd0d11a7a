// In-place fast Walsh-Hadamard transform of a power-of-two length, the O(n log n) core of the
// structured `fast` rotation. Only additions and subtractions: every SIMD level gives the same bits.
#ifndef TQ_ENGINE_HADAMARD_H_
#define TQ_ENGINE_HADAMARD_H_

#include "engine/simd_level.h"

namespace tq {

// x <- H x with H the unnormalised 2^log2_n Hadamard matrix (entries +-1; H H = n I).
void WalshHadamard(float* x, int log2_n);
void WalshHadamardAt(SimdLevel level, float* x, int log2_n);

}  // namespace tq

#endif  // TQ_ENGINE_HADAMARD_H_
