// Which SIMD kernels run: detected once from the CPU, overridable with TQ_SIMD=scalar|avx2|avx512
// so that tests exercise every path on one machine (TQ_SIMD=avx512vbmi is the top level). One
// binary runs on any x86-64.
#ifndef TQ_ENGINE_SIMD_LEVEL_H_
#define TQ_ENGINE_SIMD_LEVEL_H_

#include <string_view>
#include <vector>

namespace tq {

// kAvx512Vbmi is AVX-512 plus VBMI (vpermb) and VNNI (vpdpbusd), Ice Lake and Zen 4 onwards:
// only the block scan has a kernel of its own there; everything else runs its AVX-512 one.
enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kAvx512Vbmi = 3 };

std::string_view SimdLevelName(SimdLevel level);

// The best level this CPU supports (AVX2 needs FMA too; AVX-512 needs F, BW, VL, DQ;
// AVX-512 VBMI needs VBMI and VNNI besides).
SimdLevel DetectedSimdLevel();

// The level kernels use: the detected one, lowered by TQ_SIMD if set (an override above what
// the CPU supports is clamped, with a warning on stderr, rather than crashing later).
SimdLevel ActiveSimdLevel();

// Every level this CPU can run, scalar first (tests and benchmarks iterate over them).
std::vector<SimdLevel> AvailableSimdLevels();

// Forces a level for the lifetime of the object (tests); restores the previous one after.
class ScopedSimdLevel {
 public:
  explicit ScopedSimdLevel(SimdLevel level);
  ~ScopedSimdLevel();
  ScopedSimdLevel(const ScopedSimdLevel&) = delete;
  ScopedSimdLevel& operator=(const ScopedSimdLevel&) = delete;

 private:
  SimdLevel previous_;
};

}  // namespace tq

#endif  // TQ_ENGINE_SIMD_LEVEL_H_
