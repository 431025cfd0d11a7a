// IEEE binary16 conversion (vectors kept at half precision, float16 .npy files).
// Portable bit manipulation, round to nearest even, so every machine stores the same bits.
#ifndef TQ_ENGINE_FLOAT16_H_
#define TQ_ENGINE_FLOAT16_H_

#include <bit>
#include <cstdint>

#include "engine/simd_level.h"

namespace tq {

inline constexpr float kFloat16Max = 65504.0f;

// Values above kFloat16Max in magnitude become +-inf (Index::Add rejects them first).
inline uint16_t FloatToHalf(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN (NaN keeps a quiet payload bit)
    return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (abs < 0x38800000u) {               // below 2^-14: a subnormal half (or zero)
    if (abs < 0x33000000u) return sign;  // below half the smallest subnormal: rounds to 0
    const uint32_t exponent = abs >> 23;
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(exponent);  // 14..24
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to even.
  uint32_t half = ((abs - 0x38000000u) >> 13);
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into exponent
  return static_cast<uint16_t>(sign | half);
}

// out[i] = FloatToHalf(in[i]) for every finite in[i] (F16C when the CPU has it; float16.cc).
void FloatsToHalves(const float* in, int64_t n, uint16_t* out);
void FloatsToHalvesAt(SimdLevel level, const float* in, int64_t n, uint16_t* out);

inline float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return std::bit_cast<float>(sign);
    // Subnormal: exact in float as mantissa * 2^-24.
    const float magnitude = static_cast<float>(mantissa) * 0x1.0p-24f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

}  // namespace tq

#endif  // TQ_ENGINE_FLOAT16_H_
