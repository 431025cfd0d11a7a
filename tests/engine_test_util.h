// Small helpers shared by the engine test suites: seeded Gaussian data and vector norms.
// Header-only and test-only; the library never depends on it.
#ifndef TQ_TESTS_ENGINE_TEST_UTIL_H_
#define TQ_TESTS_ENGINE_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/random.h"

namespace tq::testing_util {

// rows x dim standard normal values from the project's own generator (reproducible).
inline std::vector<float> GaussianMatrix(int64_t rows, int dim, uint64_t seed) {
  std::vector<float> x(rows * dim);
  Rng rng(seed);
  for (float& v : x) v = static_cast<float>(rng.NextGaussian());
  return x;
}

inline double Dot(const float* a, const float* b, int d) {
  double s = 0;
  for (int j = 0; j < d; ++j) s += static_cast<double>(a[j]) * b[j];
  return s;
}

inline double Norm(const float* x, int d) { return std::sqrt(Dot(x, x, d)); }

}  // namespace tq::testing_util

#endif  // TQ_TESTS_ENGINE_TEST_UTIL_H_
