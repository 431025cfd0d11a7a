// Tests for engine/qjl: the scale constants, S and S^T as adjoints, the documented Gaussian
// draw order, and the estimator's unbiasedness over the random S (checked statistically).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "engine/qjl.h"
#include "engine/random.h"
#include "engine/rotation.h"
#include "engine/sphere_density.h"

namespace tq {
namespace {

std::vector<float> GaussianVector(int dim, uint64_t seed) {
  std::vector<float> x(dim);
  Rng rng(seed);
  for (float& v : x) v = static_cast<float>(rng.NextGaussian());
  return x;
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t j = 0; j < a.size(); ++j) s += static_cast<double>(a[j]) * b[j];
  return s;
}

std::unique_ptr<Qjl> MustCreate(QjlTransform transform, int dim, RotationKind rotation,
                                uint64_t seed) {
  absl::StatusOr<std::unique_ptr<Qjl>> qjl = Qjl::Create(transform, dim, rotation, seed);
  EXPECT_TRUE(qjl.ok()) << qjl.status();
  return qjl.ok() ? *std::move(qjl) : nullptr;
}

TEST(QjlTest, ScaleConstants) {
  for (int d : {2, 3, 8, 64, 200, 1536}) {
    SCOPED_TRACE(d);
    std::unique_ptr<Qjl> gaussian = MustCreate(QjlTransform::kGaussian, d, RotationKind::kFast, 1);
    ASSERT_NE(gaussian, nullptr);
    EXPECT_EQ(gaussian->transform(), QjlTransform::kGaussian);
    EXPECT_EQ(gaussian->dim(), d);
    // E[sign(<s, r>) <s, q>] = sqrt(2/pi) <r, q> / |r| for a standard Gaussian row s.
    EXPECT_FLOAT_EQ(gaussian->scale(), std::sqrt(std::numbers::pi / 2) / d);
    for (RotationKind kind : {RotationKind::kHaar, RotationKind::kFast}) {
      if (kind == RotationKind::kHaar && d > 200) continue;  // seconds to build
      std::unique_ptr<Qjl> orthogonal = MustCreate(QjlTransform::kOrthogonal, d, kind, 1);
      ASSERT_NE(orthogonal, nullptr);
      EXPECT_EQ(orthogonal->transform(), QjlTransform::kOrthogonal);
      // Rows uniform on the sphere: E[sign(<s, r>) <s, q>] = E|t| <r, q> / |r|.
      EXPECT_FLOAT_EQ(orthogonal->scale(), 1.0 / (d * SphereDensity(d).MeanAbs()));
    }
  }
  // Closed form at d = 3 (E|t| = 1/2): scale = 2/3.
  EXPECT_FLOAT_EQ(MustCreate(QjlTransform::kOrthogonal, 3, RotationKind::kHaar, 1)->scale(),
                  2.0f / 3.0f);
}

TEST(QjlTest, RejectsBadArguments) {
  for (QjlTransform t : {QjlTransform::kGaussian, QjlTransform::kOrthogonal}) {
    EXPECT_EQ(Qjl::Create(t, 1, RotationKind::kFast, 1).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Qjl::Create(t, 0, RotationKind::kHaar, 1).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(Qjl::Create(QjlTransform::kOrthogonal, 16385, RotationKind::kHaar, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(QjlTest, ProjectTransposedIsTheAdjoint) {
  for (QjlTransform t : {QjlTransform::kGaussian, QjlTransform::kOrthogonal}) {
    for (RotationKind kind : {RotationKind::kHaar, RotationKind::kFast}) {
      for (int d : {3, 100, 257}) {
        SCOPED_TRACE(testing::Message()
                     << QjlTransformName(t) << " " << RotationKindName(kind) << " d=" << d);
        std::unique_ptr<Qjl> qjl = MustCreate(t, d, kind, 9);
        const std::vector<float> x = GaussianVector(d, 1), z = GaussianVector(d, 2);
        std::vector<float> sx(d), stz(d);
        qjl->Project(x.data(), 1, sx.data());
        qjl->ProjectTransposed(z.data(), 1, stz.data());
        const double magnitude = std::sqrt(Dot(sx, sx) * Dot(z, z));
        EXPECT_NEAR(Dot(sx, z), Dot(x, stz), 1e-5 * magnitude);
        if (t == QjlTransform::kOrthogonal) {
          // A rotation: norms are kept and S^T undoes S.
          EXPECT_NEAR(Dot(sx, sx), Dot(x, x), 1e-5 * Dot(x, x));
          std::vector<float> back(d);
          qjl->ProjectTransposed(sx.data(), 1, back.data());
          for (int j = 0; j < d; ++j) EXPECT_NEAR(back[j], x[j], 1e-5 * std::sqrt(Dot(x, x)));
        }
      }
    }
  }
}

TEST(QjlTest, GaussianMatrixFollowsTheSeed) {
  // S[r][c] = the (r * d + c)-th draw of Rng(seed).NextGaussian(), rounded to float: stored
  // sign bits depend on it.
  constexpr int d = 50;
  std::unique_ptr<Qjl> qjl = MustCreate(QjlTransform::kGaussian, d, RotationKind::kFast, 1234);
  const std::vector<float> x = GaussianVector(d, 5);
  std::vector<float> sx(d);
  qjl->Project(x.data(), 1, sx.data());
  Rng rng(1234);
  for (int r = 0; r < d; ++r) {
    double want = 0, magnitude = 0;
    for (int c = 0; c < d; ++c) {
      const double s = static_cast<float>(rng.NextGaussian());
      want += s * x[c];
      magnitude += std::abs(s * x[c]);
    }
    EXPECT_NEAR(sx[r], want, 1e-6 * magnitude) << r;
  }
}

// Over many independent S, scale |r| <S q, sign(S r)> averages to <q, r>. The tolerance is
// four standard errors of the sample mean.
void ExpectUnbiasedOverSeeds(QjlTransform transform, RotationKind kind, int d, int seeds) {
  const std::vector<float> q = GaussianVector(d, 11);
  std::vector<float> r = GaussianVector(d, 12);
  for (int j = 0; j < d; ++j) r[j] = 0.8f * r[j] + 0.6f * q[j];  // correlated with q
  const double truth = Dot(q, r);
  const double r_norm = std::sqrt(Dot(r, r));
  double sum = 0, sum2 = 0;
  std::vector<float> sq(d), sr(d);
  for (int s = 0; s < seeds; ++s) {
    std::unique_ptr<Qjl> qjl = MustCreate(transform, d, kind, 1000 + s);
    qjl->Project(q.data(), 1, sq.data());
    qjl->Project(r.data(), 1, sr.data());
    double correlation = 0;
    for (int j = 0; j < d; ++j) correlation += sr[j] >= 0 ? sq[j] : -sq[j];
    const double estimate = qjl->scale() * r_norm * correlation;
    sum += estimate;
    sum2 += estimate * estimate;
  }
  const double mean = sum / seeds;
  const double standard_error = std::sqrt((sum2 / seeds - mean * mean) / seeds);
  std::printf("%s/%s d=%d: mean/truth - 1 = %+.4f, SE/truth = %.4f\n",
              std::string(QjlTransformName(transform)).c_str(),
              std::string(RotationKindName(kind)).c_str(), d, mean / truth - 1,
              standard_error / truth);
  EXPECT_NEAR(mean, truth, 4 * standard_error)
      << "mean/truth - 1 = " << mean / truth - 1 << ", SE/truth = " << standard_error / truth;
}

TEST(QjlTest, GaussianIsUnbiasedOverSeeds) {
  ExpectUnbiasedOverSeeds(QjlTransform::kGaussian, RotationKind::kFast, 16, 20000);
}

TEST(QjlTest, OrthogonalHaarIsUnbiasedOverSeeds) {
  // d = 8: E|t| = 2 C_8 / 7 differs from sqrt(2 / (pi d)) by 3%, so the exact constant matters.
  ExpectUnbiasedOverSeeds(QjlTransform::kOrthogonal, RotationKind::kHaar, 8, 20000);
}

TEST(QjlTest, OrthogonalFastIsUnbiasedOverSeeds) {
  ExpectUnbiasedOverSeeds(QjlTransform::kOrthogonal, RotationKind::kFast, 64, 20000);
}

}  // namespace
}  // namespace tq
