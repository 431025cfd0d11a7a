// Row reductions: AllFinite / AllZero / MaxAbs agree with the obvious per-element loops, and
// RowSums gives each row the bits of its own serial sum whatever the row count.
#include "engine/row_reductions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tests/engine_test_util.h"

namespace tq {
namespace {

std::vector<float> Gaussian(int64_t n, uint64_t seed) {
  return testing_util::GaussianMatrix(1, static_cast<int>(n), seed);
}

TEST(RowReductionsTest, AllFiniteFindsEveryKindOfNonFiniteAnywhere) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int n : {1, 7, 16, 33, 1536}) {
    std::vector<float> x = Gaussian(n, n);
    EXPECT_TRUE(AllFinite(x.data(), n));
    for (float bad : {kInf, -kInf, std::numeric_limits<float>::quiet_NaN(),
                      -std::numeric_limits<float>::signaling_NaN()}) {
      for (int at : {0, n / 2, n - 1}) {
        std::vector<float> y = x;
        y[at] = bad;
        EXPECT_FALSE(AllFinite(y.data(), n)) << n << " " << at;
      }
    }
    x[n - 1] = std::numeric_limits<float>::max();
    x[0] = std::numeric_limits<float>::denorm_min();
    EXPECT_TRUE(AllFinite(x.data(), n));
  }
  EXPECT_TRUE(AllFinite(nullptr, 0));
}

TEST(RowReductionsTest, AllZeroAcceptsSignedZerosOnly) {
  std::vector<float> x(100, 0.0f);
  x[3] = -0.0f;
  EXPECT_TRUE(AllZero(x.data(), 100));
  x[99] = std::numeric_limits<float>::denorm_min();
  EXPECT_FALSE(AllZero(x.data(), 100));
  x[99] = -1e-30f;
  EXPECT_FALSE(AllZero(x.data(), 100));
}

TEST(RowReductionsTest, MaxAbsIsTheLargestMagnitude) {
  for (int n : {1, 5, 64, 1000}) {
    const std::vector<float> x = Gaussian(n, 3 * n);
    float expected = 0.0f;
    for (float v : x) expected = std::max(expected, std::abs(v));
    EXPECT_EQ(MaxAbs(x.data(), n), expected);
  }
  const float values[] = {-3.5f, 2.0f, -0.0f};
  EXPECT_EQ(MaxAbs(values, 3), 3.5f);
  EXPECT_EQ(MaxAbs(values, 0), 0.0f);
}

TEST(RowReductionsTest, RowSumsHasTheBitsOfEachRowsSerialSum) {
  constexpr int d = 301;
  for (int64_t rows : {1, 7, 8, 9, 23}) {
    const std::vector<float> x = Gaussian(rows * d, rows);
    std::vector<double> sums(rows);
    RowSums(
        rows, d, [&](int64_t r, int j) { return static_cast<double>(x[r * d + j]) * x[r * d + j]; },
        sums.data());
    for (int64_t r = 0; r < rows; ++r) {
      double serial = 0.0;
      for (int j = 0; j < d; ++j) serial += static_cast<double>(x[r * d + j]) * x[r * d + j];
      EXPECT_EQ(sums[r], serial) << rows << " " << r;  // equal bits, not just close
    }
  }
}

}  // namespace
}  // namespace tq
