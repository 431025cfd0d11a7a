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

// The double sum of terms in Encode's order (engine/encode_rows.h), written out independently:
// 32 partial sums by index mod 32, eight sums of four partials, then pairs.
inline double BlockedSum(const std::vector<double>& terms) {
  double p[32] = {};
  for (size_t j = 0; j < terms.size(); ++j) p[j % 32] += terms[j];
  double s[8];
  for (int k = 0; k < 8; ++k) s[k] = (p[k] + p[k + 8]) + (p[k + 16] + p[k + 24]);
  const double even = (s[0] + s[4]) + (s[2] + s[6]);
  const double odd = (s[1] + s[5]) + (s[3] + s[7]);
  return even + odd;
}

}  // namespace tq::testing_util

#endif  // TQ_TESTS_ENGINE_TEST_UTIL_H_
