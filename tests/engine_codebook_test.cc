// Tests for engine/codebook and engine/sphere_density: the Lloyd-Max fixed point, closed forms
// for small d, high-precision reference levels (computed independently with mpmath), the cache.
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "engine/codebook.h"
#include "engine/random.h"
#include "engine/simd_level.h"
#include "engine/sphere_density.h"

namespace tq {
namespace {

using ::testing::HasSubstr;

constexpr double kPi = std::numbers::pi;

// Debian's Abseil has its own absl::string_view, which gMock's string matchers do not take.
std::string Message(const absl::Status& status) { return std::string(status.message()); }

Codebook MustCompute(int dim, int bits) {
  absl::StatusOr<Codebook> book = Codebook::Compute(dim, bits);
  EXPECT_TRUE(book.ok()) << book.status();
  return *std::move(book);
}

// Composite Simpson rule with `intervals` (even) panels: independent of the engine's
// Gauss-Kronrod and of its t = sin(theta) substitution.
template <typename F>
double Simpson(const F& f, double a, double b, int intervals) {
  const double h = (b - a) / intervals;
  double sum = f(a) + f(b);
  for (int i = 1; i < intervals; ++i) sum += f(a + i * h) * (i % 2 == 1 ? 4.0 : 2.0);
  return sum * h / 3.0;
}

// ---- SphereDensity ----

TEST(SphereDensityTest, TotalMassIsOne) {
  for (int d : {2, 3, 4, 7, 20, 100, 200, 1536, 3072}) {
    SCOPED_TRACE(d);
    const SphereDensity density(d);
    EXPECT_NEAR(density.Mass(-1.0, 1.0), 1.0, 1e-12);
    // Symmetric halves.
    EXPECT_NEAR(density.Mass(-1.0, 0.0), 0.5, 1e-12);
    EXPECT_NEAR(density.Mass(0.0, 1.0), 0.5, 1e-12);
  }
}

TEST(SphereDensityTest, ClosedFormsForSmallDimensions) {
  // d = 2: f(t) = 1 / (pi sqrt(1 - t^2)), so P(a <= T <= b) = (asin b - asin a) / pi.
  const SphereDensity two(2);
  EXPECT_NEAR(two.Pdf(0.0), 1.0 / kPi, 1e-15);
  EXPECT_NEAR(two.Pdf(0.6), 1.0 / (kPi * 0.8), 1e-14);
  EXPECT_NEAR(two.Mass(-0.3, 0.9), (std::asin(0.9) - std::asin(-0.3)) / kPi, 1e-13);
  EXPECT_NEAR(two.MeanAbs(), 2.0 / kPi, 1e-15);
  // d = 3: uniform on [-1, 1] (Archimedes).
  const SphereDensity three(3);
  EXPECT_NEAR(three.Pdf(0.0), 0.5, 1e-15);
  EXPECT_NEAR(three.Pdf(-0.99), 0.5, 1e-15);
  EXPECT_NEAR(three.Mass(-0.2, 0.7), 0.45, 1e-13);
  EXPECT_NEAR(three.FirstMoment(0.2, 0.6), (0.36 - 0.04) / 4, 1e-15);
  EXPECT_NEAR(three.MeanAbs(), 0.5, 1e-15);
  // d = 7: f(t) = 15/16 (1 - t^2)^2, E|T| = 5/16.
  const SphereDensity seven(7);
  EXPECT_NEAR(seven.Pdf(0.5), 15.0 / 16.0 * 0.5625, 1e-14);
  EXPECT_NEAR(seven.MeanAbs(), 5.0 / 16.0, 1e-15);
  // P(0 <= T <= x) = 15/16 (x - 2x^3/3 + x^5/5).
  const double x = 0.4;
  EXPECT_NEAR(seven.Mass(0.0, x), 15.0 / 16.0 * (x - 2 * x * x * x / 3 + std::pow(x, 5) / 5),
              1e-13);
}

TEST(SphereDensityTest, PdfOutsideSupportIsZero) {
  for (int d : {2, 3, 20}) {
    const SphereDensity density(d);
    EXPECT_EQ(density.Pdf(1.0), 0.0);
    EXPECT_EQ(density.Pdf(-1.0), 0.0);
    EXPECT_EQ(density.Pdf(1.5), 0.0);
    EXPECT_EQ(density.Pdf(-7.0), 0.0);
  }
}

TEST(SphereDensityTest, MassAndMomentsAgreeWithSimpsonOfPdf) {
  const SphereDensity density(20);
  auto pdf = [&](double t) { return density.Pdf(t); };
  for (auto [a, b] :
       {std::pair{-0.3, 0.5}, std::pair{0.1, 0.2}, std::pair{-1.0, -0.4}, std::pair{0.35, 1.0}}) {
    SCOPED_TRACE(testing::Message() << "[" << a << ", " << b << "]");
    EXPECT_NEAR(density.Mass(a, b), Simpson(pdf, a, b, 20000), 1e-12);
    EXPECT_NEAR(density.FirstMoment(a, b),
                Simpson([&](double t) { return t * density.Pdf(t); }, a, b, 20000), 1e-12);
  }
  EXPECT_NEAR(density.MeanAbs(),
              2.0 * Simpson([&](double t) { return t * density.Pdf(t); }, 0.0, 1.0, 20000), 1e-12);
  // Second moment: E[T^2] = 1/d exactly.
  EXPECT_NEAR(Simpson([&](double t) { return t * t * density.Pdf(t); }, -1.0, 1.0, 20000), 1.0 / 20,
              1e-12);
}

TEST(SphereDensityTest, MeanAbsApproachesGaussianValue) {
  // E|T| sqrt(d) / sqrt(2/pi) - 1, from mpmath: 8.1384e-5 at 3072, 1.6277e-4 at 1536.
  const double gaussian = std::sqrt(2.0 / kPi);
  EXPECT_NEAR(SphereDensity(3072).MeanAbs() * std::sqrt(3072.0) / gaussian, 1.00008138351835497,
              1e-12);
  EXPECT_NEAR(SphereDensity(1536).MeanAbs() * std::sqrt(1536.0) / gaussian, 1.00016277365136225,
              1e-12);
}

// ---- Codebook: closed forms and reference values ----

// The normaliser C_d must stay accurate at the largest dimensions the quantizer accepts
// (65536): E|T| = 2 C_d / (d - 1) and the total mass are checked against mpmath to 1e-12.
TEST(SphereDensityTest, NormalizerIsAccurateAtLargeDimension) {
  const struct {
    int dim;
    double mean_abs;  // mpmath, 20 digits
  } cases[] = {{65536, 0.0031167484550653242129}, {100000, 0.0025231388298593497892}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dim);
    const SphereDensity density(c.dim);
    EXPECT_NEAR(density.MeanAbs(), c.mean_abs, 1e-12 * c.mean_abs);
    EXPECT_NEAR(density.Mass(-1.0, 1.0), 1.0, 1e-12);
    // The 1-bit centroid is a ratio of integrals in which C_d cancels.
    EXPECT_NEAR(MustCompute(c.dim, 1).centroids_f64()[1], c.mean_abs, 1e-12 * c.mean_abs);
  }
}

TEST(CodebookTest, OneBitCentroidIsMeanAbs) {
  // b = 1: the only positive cell is (0, 1], so the centroid is E[T | T > 0] = E|T|.
  for (int d : {2, 3, 7, 20, 100, 200, 1536, 3072}) {
    SCOPED_TRACE(d);
    const Codebook book = MustCompute(d, 1);
    ASSERT_EQ(book.size(), 2);
    const double mean_abs = SphereDensity(d).MeanAbs();
    EXPECT_NEAR(book.centroids_f64()[1], mean_abs, 1e-12 * mean_abs);
    EXPECT_NEAR(book.centroids_f64()[0], -mean_abs, 1e-12 * mean_abs);
    EXPECT_EQ(book.boundaries_f64()[0], 0.0);
    // D_mse = d (1/d - c^2) = 1 - d E|T|^2.
    EXPECT_NEAR(book.expected_distortion(), 1.0 - d * mean_abs * mean_abs, 1e-12);
  }
  EXPECT_NEAR(MustCompute(2, 1).centroids_f64()[1], 2.0 / kPi, 1e-14);
  EXPECT_NEAR(MustCompute(3, 1).centroids_f64()[1], 0.5, 1e-14);
  EXPECT_NEAR(MustCompute(7, 1).centroids_f64()[1], 5.0 / 16.0, 1e-14);
  EXPECT_NEAR(MustCompute(100000, 1).centroids_f64()[1] * std::sqrt(100000.0), std::sqrt(2.0 / kPi),
              1e-5);
}

TEST(CodebookTest, DimensionThreeIsTheUniformQuantizer) {
  // f_3 is uniform on [-1, 1]: Lloyd-Max is the uniform quantizer with cells of width
  // 2 / 2^b, centroids -1 + (2k + 1) / 2^b, and D_mse = 3 * width^2 / 12 = 4^-b.
  for (int b = 1; b <= kMaxCodebookBits; ++b) {
    SCOPED_TRACE(b);
    const Codebook book = MustCompute(3, b);
    const int levels = 1 << b;
    ASSERT_EQ(book.size(), levels);
    for (int k = 0; k < levels; ++k) {
      EXPECT_NEAR(book.centroids_f64()[k], -1.0 + (2.0 * k + 1) / levels, 1e-9) << k;
    }
    EXPECT_NEAR(book.expected_distortion(), std::pow(4.0, -b), 1e-9);
  }
}

// Positive levels times sqrt(d), computed independently to 30 digits with mpmath (Lloyd's
// iteration on f_d with exact masses, run to a step below 1e-18).
TEST(CodebookTest, MatchesHighPrecisionReferenceLevels) {
  struct Reference {
    int dim;
    int bits;
    std::vector<double> positive;
  };
  const std::vector<Reference> references = {
      {3072, 2, {0.452766568886318944, 1.51019979243564178}},
      {100000, 2, {0.452779621163274618, 1.51041091703383456}},
      {3072, 3, {0.24506633586141301, 0.75589376248463341, 1.3436035983824009, 2.1510862453624834}},
      {3072,
       4,
       {0.12837326880201561, 0.3879787363420041, 0.65662797958068998, 0.94212118111598715,
        1.2558767807040768, 1.6174711742639277, 2.0680454407946312, 2.7307422218564476}},
      {1536, 2, {0.45275309006396736, 1.5099819868562196}},
      {1536,
       4,
       {0.12835150907450408, 0.38790918068499216, 0.65649686624079838, 0.94190197487028115,
        1.2555225279999299, 1.6168963308087375, 2.0670744967875518, 2.7288970876707298}},
  };
  for (const Reference& ref : references) {
    SCOPED_TRACE(testing::Message() << "d=" << ref.dim << " b=" << ref.bits);
    const Codebook book = MustCompute(ref.dim, ref.bits);
    const int m = static_cast<int>(ref.positive.size());
    ASSERT_EQ(book.size(), 2 * m);
    const double root_d = std::sqrt(static_cast<double>(ref.dim));
    for (int k = 0; k < m; ++k) {
      EXPECT_NEAR(book.centroids_f64()[m + k] * root_d, ref.positive[k], 1e-9 * ref.positive[k])
          << k;
    }
  }
}

TEST(CodebookTest, LevelsNearTheGaussianLloydMaxValues) {
  // The classic N(0, 1) Lloyd-Max levels (Max 1960), to the digits usually printed.
  for (int d : {3072, 100000}) {
    SCOPED_TRACE(d);
    const double root_d = std::sqrt(static_cast<double>(d));
    const Codebook two = MustCompute(d, 2);
    EXPECT_NEAR(two.centroids_f64()[2] * root_d, 0.4528, 1e-4);
    EXPECT_NEAR(two.centroids_f64()[3] * root_d, 1.510, 1e-3);
    EXPECT_NEAR(two.centroids_f64()[1] * root_d, -0.4528, 1e-4);
    EXPECT_NEAR(two.centroids_f64()[0] * root_d, -1.510, 1e-3);
    const Codebook four = MustCompute(d, 4);
    EXPECT_NEAR(four.centroids_f64()[15] * root_d, 2.733, 5e-3);
    EXPECT_NEAR(four.centroids_f64()[0] * root_d, -2.733, 5e-3);
  }
}

TEST(CodebookTest, ExpectedDistortionMatchesPaperAndReference) {
  // mpmath reference at d = 1536, and the paper's rounded values.
  const double reference[] = {0.363172960915, 0.117358086269, 0.0344990182555, 0.0094853770787};
  const double paper[] = {0.363, 0.117, 0.0345, 0.0095};
  for (int b = 1; b <= 4; ++b) {
    SCOPED_TRACE(b);
    const Codebook book = MustCompute(1536, b);
    EXPECT_NEAR(book.expected_distortion(), reference[b - 1], 1e-9 * reference[b - 1]);
    EXPECT_NEAR(book.expected_distortion(), paper[b - 1], 0.01 * paper[b - 1]);
    // Between the Shannon lower bound 4^-b and the paper's upper bound sqrt(3) pi / 2 4^-b.
    EXPECT_GT(book.expected_distortion(), std::pow(4.0, -b));
    EXPECT_LT(book.expected_distortion(), std::sqrt(3.0) * kPi / 2 * std::pow(4.0, -b));
  }
}

// ---- Codebook: the Lloyd-Max fixed point for every (d, b) the brief lists ----

TEST(CodebookTest, IsLloydMaxFixedPoint) {
  for (int d : {2, 3, 7, 100, 200, 1536, 3072}) {
    const SphereDensity density(d);
    const double root_d = std::sqrt(static_cast<double>(d));
    for (int b = 1; b <= kMaxCodebookBits; ++b) {
      SCOPED_TRACE(testing::Message() << "d=" << d << " b=" << b);
      const Codebook book = MustCompute(d, b);
      const int levels = 1 << b;
      ASSERT_EQ(book.size(), levels);
      ASSERT_EQ(book.dim(), d);
      ASSERT_EQ(book.bits(), b);
      ASSERT_EQ(book.centroids().size(), levels);
      ASSERT_EQ(book.centroids_f64().size(), levels);
      ASSERT_EQ(book.boundaries().size(), levels - 1);
      ASSERT_EQ(book.boundaries_f64().size(), levels - 1);
      EXPECT_GE(book.iterations(), 1);
      EXPECT_LT(book.iterations(), 200000);
      const auto c = book.centroids_f64();
      const auto edge = book.boundaries_f64();
      double explained = 0;
      for (int k = 0; k < levels; ++k) {
        // Symmetric, strictly ascending, inside (-1, 1).
        EXPECT_EQ(c[levels - 1 - k], -c[k]) << k;
        if (k > 0) {
          EXPECT_LT(c[k - 1], c[k]) << k;
        }
        EXPECT_GT(c[k], -1.0);
        EXPECT_LT(c[k], 1.0);
        // Floats are the doubles rounded.
        EXPECT_EQ(book.centroids()[k], static_cast<float>(c[k])) << k;
        // Centroid condition: the conditional mean of its cell.
        const double lo = k == 0 ? -1.0 : edge[k - 1];
        const double hi = k + 1 == levels ? 1.0 : edge[k];
        const double mass = density.Mass(lo, hi);
        ASSERT_GT(mass, 0.0) << k;
        const double mean = density.FirstMoment(lo, hi) / mass;
        EXPECT_NEAR(c[k] * root_d, mean * root_d, 1e-10 * std::max(1.0, std::abs(mean * root_d)))
            << k;
        explained += mass * c[k] * c[k];
      }
      for (int k = 0; k + 1 < levels; ++k) {
        // Nearest-neighbour condition: boundaries are midpoints.
        EXPECT_EQ(edge[k], 0.5 * (c[k] + c[k + 1])) << k;
        EXPECT_EQ(book.boundaries()[k], static_cast<float>(edge[k])) << k;
      }
      // expected_distortion is the density's, recomputed here.
      EXPECT_NEAR(book.expected_distortion(), d * (1.0 / d - explained), 1e-12);
    }
  }
}

TEST(CodebookTest, DistortionDecreasesWithBitsAndApproachesGaussian) {
  // Gaussian Lloyd-Max MSE: 0.3634, 0.1175, 0.03454, 0.009497.
  const double gaussian[] = {1 - 2 / kPi, 0.11748, 0.034548, 0.0094963};
  // The finite-d correction is O(1/d): about 1% at d = 200, 0.1% at d = 1536.
  for (auto [d, tolerance] :
       {std::pair{200, 0.02}, std::pair{1536, 0.002}, std::pair{3072, 0.001}}) {
    double previous = 1.0;
    for (int b = 1; b <= 4; ++b) {
      SCOPED_TRACE(testing::Message() << "d=" << d << " b=" << b);
      const double dist = MustCompute(d, b).expected_distortion();
      EXPECT_LT(dist, previous);
      EXPECT_NEAR(dist, gaussian[b - 1], tolerance * gaussian[b - 1]);
      previous = dist;
    }
  }
}

TEST(CodebookTest, QuantizeReturnsNearestCentroidTiesUp) {
  const Codebook book = MustCompute(200, 3);
  const auto c = book.centroids();
  Rng rng(7);
  for (int i = 0; i < 20000; ++i) {
    const float t = static_cast<float>(rng.NextGaussian() * 2.0 / std::sqrt(200.0));
    int best = 0;
    for (int k = 1; k < book.size(); ++k) {
      if (std::abs(t - c[k]) < std::abs(t - c[best])) best = k;
    }
    // Only a t within float rounding of a boundary may legitimately differ.
    const uint8_t got = book.Quantize(t);
    if (got != best) {
      EXPECT_NEAR(std::abs(t - c[got]), std::abs(t - c[best]), 1e-7) << t;
    }
  }
  EXPECT_EQ(book.Quantize(-1.0f), 0);
  EXPECT_EQ(book.Quantize(1.0f), book.size() - 1);
  EXPECT_EQ(book.Quantize(-100.0f), 0);
  EXPECT_EQ(book.Quantize(100.0f), book.size() - 1);
  EXPECT_EQ(book.Quantize(0.0f), book.size() / 2);  // 0 is a boundary: ties go up
  for (int k = 0; k + 1 < book.size(); ++k) {
    EXPECT_EQ(book.Quantize(book.boundaries()[k]), k + 1);
    EXPECT_EQ(book.Quantize(std::nextafter(book.boundaries()[k], -1.0f)), k);
    EXPECT_EQ(book.Quantize(c[k]), k);
  }
}

TEST(CodebookTest, QuantizeManyAtEveryLevelEqualsQuantize) {
  // Every width, odd lengths for the tails; values on and next to every boundary, signed
  // zeros, beyond +-1, infinities and NaN.
  for (int bits = 1; bits <= 4; ++bits) {
    const Codebook book = MustCompute(200, bits);
    std::vector<float> values;
    for (float boundary : book.boundaries()) {
      values.push_back(boundary);
      values.push_back(std::nextafter(boundary, -2.0f));
      values.push_back(std::nextafter(boundary, 2.0f));
    }
    for (float c : book.centroids()) values.push_back(c);
    for (float v : {0.0f, -0.0f, 1.0f, -1.0f, 3.5f, -3.5f, INFINITY, -INFINITY, NAN}) {
      values.push_back(v);
    }
    Rng rng(40 + bits);
    for (int i = 0; i < 1000; ++i) {
      values.push_back(static_cast<float>(rng.NextGaussian() * 2.0 / std::sqrt(200.0)));
    }
    for (size_t n : {values.size(), size_t{1}, size_t{15}, size_t{17}, size_t{33}}) {
      std::vector<uint8_t> expected(n);
      for (size_t i = 0; i < n; ++i) expected[i] = book.Quantize(values[i]);
      for (SimdLevel level : AvailableSimdLevels()) {
        SCOPED_TRACE(testing::Message()
                     << "bits " << bits << " n " << n << " level " << SimdLevelName(level));
        ScopedSimdLevel forced(level);
        std::vector<uint8_t> got(n + 1, 0xEE);
        book.QuantizeMany(values.data(), static_cast<int64_t>(n), got.data());
        EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.begin() + n), expected);
        EXPECT_EQ(got[n], 0xEE);  // nothing written past n
      }
    }
  }
}

// ---- Arguments and the cache ----

TEST(CodebookTest, RejectsInvalidArguments) {
  for (auto [d, b] : {std::pair{1, 2}, std::pair{0, 2}, std::pair{-4, 2}, std::pair{100, 0},
                      std::pair{100, 5}, std::pair{100, -1}, std::pair{2, 9}}) {
    SCOPED_TRACE(testing::Message() << "d=" << d << " b=" << b);
    absl::StatusOr<Codebook> computed = Codebook::Compute(d, b);
    EXPECT_EQ(computed.status().code(), absl::StatusCode::kInvalidArgument);
    absl::StatusOr<std::shared_ptr<const Codebook>> got = Codebook::Get(d, b);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(Message(Codebook::Compute(1, 2).status()), HasSubstr("dimension"));
  EXPECT_THAT(Message(Codebook::Compute(10, 5).status()), HasSubstr("bits"));
}

TEST(CodebookTest, GetCachesAndMatchesCompute) {
  absl::StatusOr<std::shared_ptr<const Codebook>> first = Codebook::Get(300, 3);
  absl::StatusOr<std::shared_ptr<const Codebook>> second = Codebook::Get(300, 3);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->get(), second->get());
  absl::StatusOr<std::shared_ptr<const Codebook>> other = Codebook::Get(300, 2);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->get(), first->get());
  EXPECT_EQ((*other)->bits(), 2);
  const Codebook computed = MustCompute(300, 3);
  for (int k = 0; k < computed.size(); ++k) {
    EXPECT_EQ((*first)->centroids_f64()[k], computed.centroids_f64()[k]);
  }
}

TEST(CodebookTest, GetIsSafeFromSeveralThreads) {
  // Every thread asks for the same fresh (d, b) at once: all must see one shared object.
  constexpr int kThreads = 8;
  for (auto [d, b] : {std::pair{777, 4}, std::pair{778, 1}, std::pair{779, 3}}) {
    std::vector<const Codebook*> seen(kThreads, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t, d = d, b = b] {
        absl::StatusOr<std::shared_ptr<const Codebook>> got = Codebook::Get(d, b);
        if (got.ok()) seen[t] = got->get();
      });
    }
    for (std::thread& thread : threads) thread.join();
    ASSERT_NE(seen[0], nullptr);
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t], seen[0]) << t;
    EXPECT_EQ(Codebook::Get(d, b)->get(), seen[0]);
    EXPECT_EQ(seen[0]->dim(), d);
    EXPECT_EQ(seen[0]->bits(), b);
  }
}

}  // namespace
}  // namespace tq
