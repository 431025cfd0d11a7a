// Seeded pseudo-random numbers that every machine reproduces bit for bit.
// std:: distributions differ between standard libraries, so rotations use these instead.
#ifndef TQ_ENGINE_RANDOM_H_
#define TQ_ENGINE_RANDOM_H_

#include <cmath>
#include <cstdint>
#include <numbers>

namespace tq {

// SplitMix64: used to expand one 64-bit seed into generator state and to derive
// independent sub-seeds (rotation, QJL transform, ...) from one user seed.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Derives a seed for a named purpose so that, e.g., the rotation and the QJL matrix of
// one index are independent even though the user gave a single seed.
inline uint64_t DeriveSeed(uint64_t seed, uint64_t purpose) {
  uint64_t state = seed ^ (purpose * 0xD1B54A32D192ED03ULL);
  SplitMix64(state);
  return SplitMix64(state);
}

// xoshiro256** (Blackman & Vigna): fast, 256-bit state, good statistical quality.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t& s : s_) s = SplitMix64(sm);
  }

  uint64_t NextU64() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, bound) without modulo bias (Lemire's method, with rejection).
  uint64_t NextBelow(uint64_t bound) {
    unsigned __int128 m = static_cast<unsigned __int128>(NextU64()) * bound;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < bound) {
      const uint64_t threshold = -bound % bound;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(NextU64()) * bound;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  // Only std::log/sqrt/cos/sin of double are used, which glibc computes correctly rounded
  // or nearly so on every x86-64, so the sequence is reproducible across machines.
  double NextGaussian() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1;
    do {
      u1 = NextDouble();
    } while (u1 <= 0.0);
    const double u2 = NextDouble();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  bool NextBool() { return (NextU64() >> 63) != 0; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Purposes for DeriveSeed, fixed forever: changing one changes every stored index.
inline constexpr uint64_t kSeedPurposeRotation = 1;
inline constexpr uint64_t kSeedPurposeQjl = 2;

}  // namespace tq

#endif  // TQ_ENGINE_RANDOM_H_
