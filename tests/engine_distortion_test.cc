// Tests for engine/distortion and the paper's fidelity claims at d = 1536 on 20k random unit
// vectors: D_mse of `mse`, bias and D_prod of `prod` (Gaussian and orthogonal S), and the
// unbiasedness of `corrected`. Each claim is also checked against its closed-form prediction.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/engine_test_util.h"
#include "engine/codebook.h"
#include "engine/distortion.h"
#include "engine/random.h"
#include "engine/turbo_quantizer.h"

namespace tq {
namespace {

using testing_util::GaussianMatrix;

constexpr double kPi = std::numbers::pi;
constexpr int kDim = 1536;
constexpr int64_t kVectors = 20000;
constexpr int64_t kQueries = 32;


// 20k isotropic vectors (normalised by MeasureDistortion) and 32 Gaussian queries, shared by
// every test of one process.
const std::vector<float>& Vectors() {
  static const auto* vectors = new std::vector<float>(GaussianMatrix(kVectors, kDim, 2026));
  return *vectors;
}
const std::vector<float>& Queries() {
  static const auto* queries = new std::vector<float>(GaussianMatrix(kQueries, kDim, 7));
  return *queries;
}

DistortionResult Measure(const QuantizerOptions& options) {
  absl::StatusOr<std::unique_ptr<TurboQuantizer>> quantizer = TurboQuantizer::Create(options);
  EXPECT_TRUE(quantizer.ok()) << quantizer.status();
  if (!quantizer.ok()) return {};
  absl::StatusOr<DistortionResult> result =
      MeasureDistortion(**quantizer, Vectors().data(), kVectors, Queries().data(), kQueries);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return {};
  EXPECT_EQ(result->pairs, kVectors * kQueries);
  std::string label(VariantName(options.variant));
  if (options.variant == Variant::kProd) label.append(" S=").append(QjlTransformName(options.qjl));
  if (options.variant == Variant::kCorrected) {
    label.append(" ").append(CorrectedEncoderName(options.encoder));
  }
  std::printf("%s b=%d: d_mse %.5f d_prod %.5f ip_bias %.5f\n", label.c_str(), options.bits,
              result->d_mse, result->d_prod, result->ip_bias);
  return *result;
}

QuantizerOptions Options(Variant variant, int bits) {
  QuantizerOptions options;
  options.dim = kDim;
  options.bits = bits;
  options.variant = variant;
  options.rotation = RotationKind::kFast;
  options.seed = 42;
  return options;
}

// The codebook's D_mse at d = 1536; 1 at zero bits (nothing stored: the residual is y).
double ExpectedDistortion(int bits) {
  if (bits == 0) return 1.0;
  absl::StatusOr<std::shared_ptr<const Codebook>> book = Codebook::Get(kDim, bits);
  EXPECT_TRUE(book.ok());
  return (*book)->expected_distortion();
}

// ---- mse ----

TEST(PaperDistortionTest, MseMatchesPaperAndIsBiasedLow) {
  const double paper[] = {0.363, 0.117, 0.0345, 0.0095};
  for (int b = 1; b <= 4; ++b) {
    SCOPED_TRACE(testing::Message() << "b=" << b);
    const DistortionResult r = Measure(Options(Variant::kMse, b));
    const double expected = ExpectedDistortion(b);
    EXPECT_NEAR(r.d_mse, paper[b - 1], 0.03 * paper[b - 1]);
    EXPECT_NEAR(r.d_mse, expected, 0.01 * expected);
    // Lloyd-Max centroids are conditional means, so E<y, y_hat> = E|y_hat|^2 = 1 - D_mse:
    // the slope of the estimate on the truth (2/pi at 1 bit).
    EXPECT_NEAR(r.ip_bias, 1 - expected, 0.01 * (1 - expected));
    if (b == 1) {
      EXPECT_NEAR(r.ip_bias, 2 / kPi, 0.02 * 2 / kPi);
    }
    // Against random queries the error <q, u_hat - u> has variance |q|^2 D_mse / d.
    EXPECT_NEAR(r.d_prod, r.d_mse, 0.03 * r.d_mse);
  }
}

// ---- prod, one test per bit width (each measures both S) ----

class ProdDistortionTest : public ::testing::TestWithParam<int> {};

TEST_P(ProdDistortionTest, UnbiasedWithPaperVarianceAndOrthogonalSIsBetter) {
  const int b = GetParam();
  const double paper[] = {1.57, 0.57, 0.18, 0.054};
  // QJL on the residual r of the (b-1)-bit stage: d Var / |q|^2 = c |r|^2 with c = pi/2 for
  // Gaussian rows and pi/2 - 1 for orthonormal ones (the rows' sum of squares is exact).
  const double residual = ExpectedDistortion(b - 1);

  QuantizerOptions gaussian_options = Options(Variant::kProd, b);
  gaussian_options.qjl = QjlTransform::kGaussian;
  const DistortionResult gaussian = Measure(gaussian_options);
  EXPECT_NEAR(gaussian.ip_bias, 1.0, 0.01);
  EXPECT_NEAR(gaussian.d_prod, paper[b - 1], 0.10 * paper[b - 1]);
  EXPECT_NEAR(gaussian.d_prod, kPi / 2 * residual, 0.03 * kPi / 2 * residual);

  QuantizerOptions orthogonal_options = Options(Variant::kProd, b);
  orthogonal_options.qjl = QjlTransform::kOrthogonal;
  const DistortionResult orthogonal = Measure(orthogonal_options);
  EXPECT_NEAR(orthogonal.ip_bias, 1.0, 0.01);
  EXPECT_LT(orthogonal.d_prod, gaussian.d_prod);
  EXPECT_NEAR(orthogonal.d_prod, (kPi / 2 - 1) * residual, 0.03 * (kPi / 2 - 1) * residual);
}

INSTANTIATE_TEST_SUITE_P(Bits, ProdDistortionTest, ::testing::Values(1, 2, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("b", info.param);
                         });

// ---- corrected, one test per bit width (both encoders) ----

class CorrectedDistortionTest : public ::testing::TestWithParam<int> {};

TEST_P(CorrectedDistortionTest, UnbiasedForBothEncodersWithLessVarianceThanQjl) {
  const int b = GetParam();
  const double expected = ExpectedDistortion(b);
  DistortionResult results[2];
  int e = 0;
  for (CorrectedEncoder encoder : {CorrectedEncoder::kNearest, CorrectedEncoder::kMaxCosine}) {
    SCOPED_TRACE(CorrectedEncoderName(encoder));
    QuantizerOptions options = Options(Variant::kCorrected, b);
    options.encoder = encoder;
    const DistortionResult r = Measure(options);
    EXPECT_NEAR(r.ip_bias, 1.0, 0.01);
    // The error is |x| <q', e> with e = y_hat / <y, y_hat> - y orthogonal to y and
    // |e|^2 = tan^2 angle(y, y_hat); for nearest codes that is about D / (1 - D).
    if (encoder == CorrectedEncoder::kNearest) {
      EXPECT_NEAR(r.d_prod, expected / (1 - expected), 0.03 * expected / (1 - expected));
    }
    // The reconstruction |x| y_hat / <y, y_hat> misses u by exactly e, so D_mse = E tan^2 too.
    EXPECT_NEAR(r.d_mse, r.d_prod, 0.03 * r.d_prod);
    // Far less variance than QJL at the same bits (prod with orthogonal S: (pi/2 - 1) times
    // the (b-1)-bit D_mse); at 1 bit both are pi/2 - 1.
    if (b >= 2) {
      EXPECT_LT(r.d_prod, 0.8 * (kPi / 2 - 1) * ExpectedDistortion(b - 1));
    }
    results[e++] = r;
  }
  // The max-cosine codes have the smaller angle, so never more variance.
  EXPECT_LE(results[1].d_prod, results[0].d_prod * 1.002);
}

INSTANTIATE_TEST_SUITE_P(Bits, CorrectedDistortionTest, ::testing::Values(1, 2, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("b", info.param);
                         });

// ---- MeasureDistortion itself, against a direct computation ----

TEST(MeasureDistortionTest, MatchesDirectComputation) {
  constexpr int d = 64;
  constexpr int64_t n = 300, nq = 5;
  for (Variant variant : {Variant::kMse, Variant::kProd, Variant::kCorrected}) {
    SCOPED_TRACE(VariantName(variant));
    QuantizerOptions options;
    options.dim = d;
    options.bits = 2;
    options.variant = variant;
    absl::StatusOr<std::unique_ptr<TurboQuantizer>> q = TurboQuantizer::Create(options);
    ASSERT_TRUE(q.ok());
    std::vector<float> x = GaussianMatrix(n, d, 1);
    for (int64_t i = 0; i < n; ++i) {
      for (int j = 0; j < d; ++j) x[i * d + j] *= 0.1f * (1 + i % 9);  // not unit
    }
    const std::vector<float> queries = GaussianMatrix(nq, d, 2);
    absl::StatusOr<DistortionResult> measured =
        MeasureDistortion(**q, x.data(), n, queries.data(), nq);
    ASSERT_TRUE(measured.ok()) << measured.status();

    // Direct: normalise, encode, decode, and estimate every pair with the scalar estimator.
    std::vector<float> unit(x);
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int j = 0; j < d; ++j) s += static_cast<double>(x[i * d + j]) * x[i * d + j];
      const float inverse = static_cast<float>(1.0 / std::sqrt(s));
      for (int j = 0; j < d; ++j) unit[i * d + j] = x[i * d + j] * inverse;
    }
    EncodedVectors encoded;
    ASSERT_TRUE((*q)->Encode(unit.data(), n, &encoded).ok());
    std::vector<float> x_hat(n * d);
    (*q)->Decode(encoded, 0, n, x_hat.data());
    double mse = 0, prod = 0, cross = 0, true2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int j = 0; j < d; ++j) {
        const double e = static_cast<double>(unit[i * d + j]) - x_hat[i * d + j];
        mse += e * e;
      }
    }
    for (int64_t k = 0; k < nq; ++k) {
      const float* query = &queries[k * d];
      const PreparedQuery prepared = (*q)->PrepareQuery(query);
      double q2 = 0;
      for (int j = 0; j < d; ++j) q2 += static_cast<double>(query[j]) * query[j];
      for (int64_t i = 0; i < n; ++i) {
        double truth = 0;
        for (int j = 0; j < d; ++j) truth += static_cast<double>(query[j]) * unit[i * d + j];
        const double estimate = (*q)->EstimateInnerProduct(prepared, encoded, i);
        prod += (estimate - truth) * (estimate - truth) * d / q2;
        cross += estimate * truth;
        true2 += truth * truth;
      }
    }
    EXPECT_EQ(measured->pairs, n * nq);
    EXPECT_NEAR(measured->d_mse, mse / n, 1e-4 * mse / n);
    EXPECT_NEAR(measured->d_prod, prod / (n * nq), 1e-3 * prod / (n * nq));
    EXPECT_NEAR(measured->ip_bias, cross / true2, 1e-4);
  }
}

TEST(MeasureDistortionTest, RejectsEmptyAndNonFiniteInput) {
  QuantizerOptions options;
  options.dim = 16;
  absl::StatusOr<std::unique_ptr<TurboQuantizer>> q = TurboQuantizer::Create(options);
  ASSERT_TRUE(q.ok());
  std::vector<float> x = GaussianMatrix(4, 16, 3), queries = GaussianMatrix(2, 16, 4);
  EXPECT_EQ(MeasureDistortion(**q, x.data(), 0, queries.data(), 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MeasureDistortion(**q, x.data(), 4, queries.data(), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  x[2 * 16 + 5] = std::nanf("");
  EXPECT_EQ(MeasureDistortion(**q, x.data(), 4, queries.data(), 2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tq
