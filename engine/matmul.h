// Dense float matrix product out = A * B (row-major), the workhorse of the Haar rotation and
// the Gaussian QJL transform; register-tiled AVX-512 / AVX2 kernels plus a scalar reference.
#ifndef TQ_ENGINE_MATMUL_H_
#define TQ_ENGINE_MATMUL_H_

#include <cstdint>

#include "engine/simd_level.h"

namespace tq {

// out[i * m + j] = sum_c a[i * k + c] * b[c * m + j] for A n x k and B k x m. `out` must not
// alias the inputs. The SIMD kernels use FMA, so they match the scalar reference to rounding.
void MatMul(const float* a, int64_t n, int k, const float* b, int m, float* out);

// The same with an explicit kernel (tests compare every level with the scalar reference).
void MatMulAt(SimdLevel level, const float* a, int64_t n, int k, const float* b, int m,
              float* out);

}  // namespace tq

#endif  // TQ_ENGINE_MATMUL_H_
