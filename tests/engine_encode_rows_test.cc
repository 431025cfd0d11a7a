// Encode's row passes (engine/encode_rows): every SIMD level gives the scalar reference's bits,
// and the sums follow the documented order (written out again in tests/engine_test_util.h).
#include "engine/encode_rows.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "engine/random.h"
#include "engine/simd_level.h"
#include "tests/engine_test_util.h"

namespace tq {
namespace {

using testing_util::BlockedSum;
using testing_util::GaussianMatrix;

// Lengths around the 16-float registers and the 32 partial sums, and the d of real embeddings.
constexpr int kDims[] = {1, 2, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 384, 1536};

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

TEST(EncodeRowsTest, CenterRowSumsInTheDocumentedOrderAtEveryLevel) {
  for (int d : kDims) {
    const std::vector<float> x = GaussianMatrix(1, d, 100 + d);
    std::vector<float> center = GaussianMatrix(1, d, 200 + d);
    center[0] = -0.0f;  // a signed zero in the products
    std::vector<double> squares, centered_squares, dots;
    std::vector<float> expected_u(d);
    for (int j = 0; j < d; ++j) {
      const float u = x[j] - center[j];
      expected_u[j] = u;
      squares.push_back(static_cast<double>(x[j]) * x[j]);
      centered_squares.push_back(static_cast<double>(u) * u);
      dots.push_back(static_cast<double>(center[j]) * u);
    }
    for (SimdLevel level : AvailableSimdLevels()) {
      SCOPED_TRACE(testing::Message() << "d " << d << " " << SimdLevelName(level));
      std::vector<float> u(d + 1, 7.0f);
      const RowSquares plain = CenterRowAt(level, x.data(), nullptr, d, u.data());
      EXPECT_TRUE(SameBits(plain.squared_norm, BlockedSum(squares)));
      EXPECT_EQ(plain.center_dot, 0.0);
      EXPECT_EQ(u[0], 7.0f);  // nothing written without a center
      const RowSquares centered = CenterRowAt(level, x.data(), center.data(), d, u.data());
      EXPECT_TRUE(SameBits(centered.squared_norm, BlockedSum(centered_squares)));
      EXPECT_TRUE(SameBits(centered.center_dot, BlockedSum(dots)));
      EXPECT_EQ(std::memcmp(u.data(), expected_u.data(), d * sizeof(float)), 0);
      EXPECT_EQ(u[d], 7.0f);  // nothing written past d
    }
  }
}

TEST(EncodeRowsTest, TheOrderIsNotTheSerialOne) {
  // 2^60 then 32 terms of 64 (an ulp of 2^60 is 256): serially each 64 is a tie that rounds back
  // to 2^60; in the documented order most of them meet in partials of their own first.
  std::vector<float> x(33, 8.0f);
  x[0] = 0x1p30f;
  std::vector<double> terms;
  double serial = 0;
  for (float v : x) {
    terms.push_back(static_cast<double>(v) * v);
    serial += terms.back();
  }
  EXPECT_EQ(serial, 0x1p60);
  EXPECT_EQ(BlockedSum(terms), 0x1p60 + 1792);  // closer to the exact 2^60 + 2048
  for (SimdLevel level : AvailableSimdLevels()) {
    std::vector<float> unused(33);
    EXPECT_EQ(CenterRowAt(level, x.data(), nullptr, 33, unused.data()).squared_norm, 0x1p60 + 1792);
  }
}

TEST(EncodeRowsTest, ScaleRowIsTheDoubleProductRoundedToFloat) {
  for (int d : kDims) {
    const std::vector<float> u = GaussianMatrix(1, d, 300 + d);
    for (double inverse : {1.0 / 3.0, 1e-30, 1e30, 0.0}) {
      std::vector<float> expected(d);
      for (int j = 0; j < d; ++j) expected[j] = static_cast<float>(u[j] * inverse);
      for (SimdLevel level : AvailableSimdLevels()) {
        SCOPED_TRACE(testing::Message() << "d " << d << " " << SimdLevelName(level));
        std::vector<float> out(d + 1, 7.0f);
        ScaleRowAt(level, u.data(), inverse, d, out.data());
        EXPECT_EQ(std::memcmp(out.data(), expected.data(), d * sizeof(float)), 0);
        EXPECT_EQ(out[d], 7.0f);
        std::vector<float> in_place = u;
        ScaleRowAt(level, in_place.data(), inverse, d, in_place.data());
        EXPECT_EQ(std::memcmp(in_place.data(), expected.data(), d * sizeof(float)), 0);
      }
    }
  }
}

TEST(EncodeRowsTest, CodebookDotTakesEachCoordinatesTableInTheDocumentedOrder) {
  Rng rng(5);
  for (int d : kDims) {
    const std::vector<float> y = GaussianMatrix(1, d, 400 + d);
    for (int size : {2, 4, 8, 16, 32}) {
      const std::vector<float> centroids = GaussianMatrix(1, size, 500 + size);
      const std::vector<float> upper = GaussianMatrix(1, 32, 600 + size);
      for (int m : {0, d / 3, d}) {
        const int upper_size = m > 0 ? 32 : 0;
        std::vector<uint8_t> index(d);
        std::vector<double> terms;
        for (int j = 0; j < d; ++j) {
          index[j] = static_cast<uint8_t>(rng.NextBelow(j < m ? 32 : size));
          const float c = j < m ? upper[index[j]] : centroids[index[j]];
          terms.push_back(static_cast<double>(y[j]) * c);
        }
        for (SimdLevel level : AvailableSimdLevels()) {
          SCOPED_TRACE(testing::Message() << "d " << d << " size " << size << " m " << m << " "
                                          << SimdLevelName(level));
          const double got = CodebookDotAt(level, y.data(), index.data(), d, m, upper.data(),
                                           upper_size, centroids.data(), size);
          EXPECT_TRUE(SameBits(got, BlockedSum(terms))) << got << " " << BlockedSum(terms);
        }
      }
    }
  }
}

}  // namespace
}  // namespace tq
