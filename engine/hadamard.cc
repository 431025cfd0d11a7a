// One butterfly loop, compiled three times with different target attributes so that the
// compiler vectorises it for each ISA; no reassociation, so the results are bit-identical.
#include "engine/hadamard.h"

namespace tq {
namespace {

__attribute__((always_inline)) inline void Butterflies(float* __restrict x, int log2_n) {
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

__attribute__((target("avx2,fma"))) void HadamardAvx2(float* x, int log2_n) {
  Butterflies(x, log2_n);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))) void HadamardAvx512(
    float* x, int log2_n) {
  Butterflies(x, log2_n);
}

}  // namespace

void WalshHadamardAt(SimdLevel level, float* x, int log2_n) {
  switch (level) {
    case SimdLevel::kAvx512:
      return HadamardAvx512(x, log2_n);
    case SimdLevel::kAvx2:
      return HadamardAvx2(x, log2_n);
    case SimdLevel::kScalar:
      return HadamardScalar(x, log2_n);
  }
}

void WalshHadamard(float* x, int log2_n) { WalshHadamardAt(ActiveSimdLevel(), x, log2_n); }

}  // namespace tq
