// Non-integer rates (QuantizerOptions::upper_coords): the first m rotated coordinates get one
// bit more. Sizes, the codes of both parts, the estimator, and distortion between the rates.
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "engine/bit_pack.h"
#include "engine/codebook.h"
#include "engine/turbo_quantizer.h"
#include "tests/engine_test_util.h"

namespace tq {
namespace {

using testing_util::Dot;
using testing_util::GaussianMatrix;
using testing_util::Norm;

std::unique_ptr<TurboQuantizer> Make(int dim, int bits, int upper, Variant variant) {
  QuantizerOptions options;
  options.dim = dim;
  options.bits = bits;
  options.upper_coords = upper;
  options.variant = variant;
  absl::StatusOr<std::unique_ptr<TurboQuantizer>> q = TurboQuantizer::Create(options);
  EXPECT_TRUE(q.ok()) << q.status();
  return q.ok() ? *std::move(q) : nullptr;
}

EncodedVectors Encode(const TurboQuantizer& q, const std::vector<float>& x) {
  EncodedVectors out;
  EXPECT_TRUE(q.Encode(x.data(), static_cast<int64_t>(x.size() / q.dim()), &out).ok());
  return out;
}

TEST(MixedRate, SizesAndRate) {
  const auto q = Make(100, 2, 24, Variant::kCorrected);
  EXPECT_EQ(q->upper_coords(), 24);
  EXPECT_DOUBLE_EQ(q->rate(), 2.24);
  EXPECT_EQ(q->upper_bytes(), static_cast<int>(PackedBytes(24, 3)));
  EXPECT_EQ(q->code_bytes(), static_cast<int>(PackedBytes(24, 3) + PackedBytes(76, 2)));
  EXPECT_EQ(q->bits_per_vector(), 8 * q->code_bytes() + 32);
  EXPECT_EQ(q->upper_codebook()->size(), 8);
  EXPECT_EQ(Make(100, 2, 0, Variant::kCorrected)->upper_codebook(), nullptr);
}

TEST(MixedRate, EachPartHoldsTheNearestCentroidOfItsOwnCodebook) {
  constexpr int d = 37, m = 11, n = 12;
  for (int bits = 1; bits <= 3; ++bits) {
    SCOPED_TRACE(bits);
    const auto q = Make(d, bits, m, Variant::kMse);
    const std::vector<float> x = GaussianMatrix(n, d, 3);
    const EncodedVectors encoded = Encode(*q, x);
    std::vector<float> unit(x), y(n * d);
    for (int64_t i = 0; i < n; ++i) {
      const double norm = Norm(&x[i * d], d);
      for (int j = 0; j < d; ++j) unit[i * d + j] = static_cast<float>(x[i * d + j] * (1.0 / norm));
    }
    q->rotation().Apply(unit.data(), n, y.data());
    const Codebook& upper = *Codebook::Get(d, bits + 1).value();
    const Codebook& lower = *Codebook::Get(d, bits).value();
    for (int64_t i = 0; i < n; ++i) {
      std::vector<uint8_t> codes(d), expected(d);
      UnpackCodes(encoded.code(i), m, bits + 1, codes.data());
      UnpackCodes(encoded.code(i) + q->upper_bytes(), d - m, bits, codes.data() + m);
      upper.QuantizeMany(&y[i * d], m, expected.data());
      lower.QuantizeMany(&y[i * d + m], d - m, expected.data() + m);
      EXPECT_EQ(codes, expected) << "vector " << i;
    }
  }
}

TEST(MixedRate, EstimateEqualsInnerProductWithDecoded) {
  constexpr int d = 64, n = 40;
  for (Variant variant : {Variant::kMse, Variant::kCorrected}) {
    const auto q = Make(d, 2, 29, variant);
    const std::vector<float> x = GaussianMatrix(n, d, 5);
    const EncodedVectors encoded = Encode(*q, x);
    std::vector<float> z(n * d), x_hat(n * d);
    q->DecodeRotated(encoded, 0, n, z.data());
    q->Decode(encoded, 0, n, x_hat.data());
    const std::vector<float> queries = GaussianMatrix(3, d, 6);
    for (int qi = 0; qi < 3; ++qi) {
      const PreparedQuery prepared = q->PrepareQuery(&queries[qi * d]);
      for (int64_t i = 0; i < n; ++i) {
        const double estimate = q->EstimateInnerProduct(prepared, encoded, i);
        const double tolerance = 2e-5 * Norm(&queries[qi * d], d) * Norm(&z[i * d], d);
        EXPECT_NEAR(estimate, Dot(prepared.rotated.data(), &z[i * d], d), tolerance);
        EXPECT_NEAR(estimate, Dot(&queries[qi * d], &x_hat[i * d], d), tolerance);
      }
    }
  }
}

// D_mse of unit vectors: each extra coordinate bit moves it from D(b) toward D(b + 1) by 1/d.
TEST(MixedRate, DistortionFallsLinearlyBetweenTheIntegerRates) {
  constexpr int d = 128, n = 2000;
  const std::vector<float> x = GaussianMatrix(n, d, 7);
  auto distortion = [&](int bits, int upper) {
    const auto q = Make(d, bits, upper, Variant::kMse);
    const EncodedVectors encoded = Encode(*q, x);
    std::vector<float> x_hat(n * d);
    q->Decode(encoded, 0, n, x_hat.data());
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double norm = Norm(&x[i * d], d);
      for (int j = 0; j < d; ++j) total += std::pow((x[i * d + j] - x_hat[i * d + j]) / norm, 2);
    }
    return total / n;
  };
  for (int bits = 1; bits <= 3; ++bits) {
    SCOPED_TRACE(bits);
    const double low = distortion(bits, 0), high = distortion(bits + 1, 0);
    const double quarter = distortion(bits, d / 4), half = distortion(bits, d / 2);
    EXPECT_GT(low, quarter);
    EXPECT_GT(quarter, half);
    EXPECT_GT(half, high);
    EXPECT_NEAR(half, (low + high) / 2, 0.05 * (low + high) / 2);
    EXPECT_NEAR(quarter, 0.75 * low + 0.25 * high, 0.05 * quarter);
  }
}

// The corrected estimate stays unbiased: over many vectors its mean error is noise.
TEST(MixedRate, CorrectedStaysUnbiased) {
  constexpr int d = 96, n = 4000;
  const auto q = Make(d, 1, 40, Variant::kCorrected);
  const std::vector<float> x = GaussianMatrix(n, d, 8);
  const std::vector<float> query = GaussianMatrix(1, d, 9);
  const EncodedVectors encoded = Encode(*q, x);
  const PreparedQuery prepared = q->PrepareQuery(query.data());
  double sum = 0, squares = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double error =
        q->EstimateInnerProduct(prepared, encoded, i) - Dot(query.data(), &x[i * d], d);
    sum += error;
    squares += error * error;
  }
  const double mean = sum / n, sd = std::sqrt(squares / n - mean * mean);
  EXPECT_LT(std::abs(mean), 4 * sd / std::sqrt(n)) << mean << " sd " << sd;
}

TEST(MixedRate, CreateRejectsWhatHasNoNonIntegerRate) {
  QuantizerOptions options;
  options.dim = 16;
  options.bits = 2;
  for (int upper : {-1, 16, 17}) {
    options.upper_coords = upper;
    EXPECT_FALSE(TurboQuantizer::Create(options).ok()) << upper;
  }
  options.upper_coords = 4;
  EXPECT_TRUE(TurboQuantizer::Create(options).ok());
  options.variant = Variant::kProd;
  EXPECT_FALSE(TurboQuantizer::Create(options).ok());
  options.variant = Variant::kCorrected;
  options.encoder = CorrectedEncoder::kMaxCosine;
  EXPECT_FALSE(TurboQuantizer::Create(options).ok());
  options.encoder = CorrectedEncoder::kNearest;
  options.bits = 4;
  EXPECT_FALSE(TurboQuantizer::Create(options).ok());
}

}  // namespace
}  // namespace tq
