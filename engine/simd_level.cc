// CPU feature detection and the TQ_SIMD override (see simd_level.h).
// The active level is an atomic so that a test's ScopedSimdLevel is seen by OpenMP workers.
#include "engine/simd_level.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tq {
namespace {

SimdLevel Detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    if (__builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vnni")) {
      return SimdLevel::kAvx512Vbmi;
    }
    return SimdLevel::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

SimdLevel FromEnvironment(SimdLevel detected) {
  const char* env = std::getenv("TQ_SIMD");
  if (env == nullptr || *env == '\0') return detected;
  const std::string value(env);
  SimdLevel wanted;
  if (value == "scalar") {
    wanted = SimdLevel::kScalar;
  } else if (value == "avx2") {
    wanted = SimdLevel::kAvx2;
  } else if (value == "avx512") {
    wanted = SimdLevel::kAvx512;
  } else if (value == "avx512vbmi") {
    wanted = SimdLevel::kAvx512Vbmi;
  } else {
    std::fprintf(stderr, "tq: ignoring TQ_SIMD=%s (expected scalar, avx2, avx512 or avx512vbmi)\n",
                 env);
    return detected;
  }
  if (static_cast<int>(wanted) > static_cast<int>(detected)) {
    std::fprintf(stderr, "tq: TQ_SIMD=%s is not supported by this CPU; using %s\n", env,
                 std::string(SimdLevelName(detected)).c_str());
    return detected;
  }
  return wanted;
}

std::atomic<int>& ActiveLevelStorage() {
  static std::atomic<int> level{static_cast<int>(FromEnvironment(DetectedSimdLevel()))};
  return level;
}

}  // namespace

std::string_view SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
    case SimdLevel::kAvx512Vbmi:
      return "avx512vbmi";
  }
  return "unknown";
}

SimdLevel DetectedSimdLevel() {
  static const SimdLevel detected = Detect();
  return detected;
}

std::vector<SimdLevel> AvailableSimdLevels() {
  std::vector<SimdLevel> levels;
  for (int level = 0; level <= static_cast<int>(DetectedSimdLevel()); ++level) {
    levels.push_back(static_cast<SimdLevel>(level));
  }
  return levels;
}

SimdLevel ActiveSimdLevel() {
  return static_cast<SimdLevel>(ActiveLevelStorage().load(std::memory_order_relaxed));
}

ScopedSimdLevel::ScopedSimdLevel(SimdLevel level) : previous_(ActiveSimdLevel()) {
  ActiveLevelStorage().store(static_cast<int>(level), std::memory_order_relaxed);
}

ScopedSimdLevel::~ScopedSimdLevel() {
  ActiveLevelStorage().store(static_cast<int>(previous_), std::memory_order_relaxed);
}

}  // namespace tq
