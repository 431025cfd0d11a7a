// RaBitQ / Extended RaBitQ baseline: the published properties of the estimator (unbiased, error
// ~ 1/sqrt(D) at 1 bit and ~halving per extra bit, <o_bar, o> ~ 0.8), the exact code search, and
// the flat index (factors, bytes, ranking against a float reference, determinism, recall).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "benchmarks/baselines/rabitq.h"
#include "benchmarks/baselines/rabitq_encoder.h"
#include "engine/random.h"
#include "gtest/gtest.h"
#include "io/ann_hdf5.h"
#include "tests/engine_test_util.h"

namespace tq::baselines {
namespace {

using testing_util::Dot;
using testing_util::GaussianMatrix;

// A uniformly random unit vector.
std::vector<double> RandomUnit(Rng& rng, int dim) {
  std::vector<double> v(dim);
  double norm_sq = 0;
  for (double& x : v) {
    x = rng.NextGaussian();
    norm_sq += x * x;
  }
  const double inv = 1.0 / std::sqrt(norm_sq);
  for (double& x : v) x *= inv;
  return v;
}

// (o, q) unit vectors with <o, q> = cosine, uniformly distributed given that: the same law as
// (P o, P q) for fixed o, q and a Haar-random P, so averaging over pairs averages over P.
void RandomPair(Rng& rng, int dim, double cosine, std::vector<float>& o, std::vector<float>& q) {
  const std::vector<double> a = RandomUnit(rng, dim);
  std::vector<double> e = RandomUnit(rng, dim);
  double along = 0;
  for (int j = 0; j < dim; ++j) along += a[j] * e[j];
  double norm_sq = 0;
  for (int j = 0; j < dim; ++j) {
    e[j] -= along * a[j];
    norm_sq += e[j] * e[j];
  }
  const double inv = 1.0 / std::sqrt(norm_sq);
  const double ortho = std::sqrt(1.0 - cosine * cosine);
  o.resize(dim);
  q.resize(dim);
  for (int j = 0; j < dim; ++j) {
    o[j] = static_cast<float>(a[j]);
    q[j] = static_cast<float>(cosine * a[j] + ortho * e[j] * inv);
  }
}

// <y, v> for the grid codeword y of `levels`.
double GridDot(const std::vector<uint8_t>& levels, int bits, const float* v) {
  const double offset = RabitqGridOffset(bits);
  double s = 0;
  for (size_t j = 0; j < levels.size(); ++j) s += (levels[j] - offset) * v[j];
  return s;
}

double GridNorm(const std::vector<uint8_t>& levels, int bits) {
  const double offset = RabitqGridOffset(bits);
  double s = 0;
  for (uint8_t u : levels) s += (u - offset) * (u - offset);
  return std::sqrt(s);
}

struct ErrorStats {
  double mean = 0;
  double sd = 0;
  double standard_error = 0;
  double mean_cosine = 0;  // <o_bar, o>
  double sd_cosine = 0;
};

// The estimator <o_bar, q> / <o_bar, o> of <o, q> over `samples` random pairs.
ErrorStats EstimatorError(int dim, int bits, double cosine, int samples, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> o, q;
  std::vector<uint8_t> levels(dim);
  double sum = 0, sum_sq = 0, cos_sum = 0, cos_sum_sq = 0;
  for (int s = 0; s < samples; ++s) {
    RandomPair(rng, dim, cosine, o, q);
    const double y_dot_o = QuantizeToRabitqGrid(o.data(), dim, bits, levels.data());
    EXPECT_NEAR(y_dot_o, GridDot(levels, bits, o.data()), 1e-9);
    const double error = GridDot(levels, bits, q.data()) / y_dot_o - Dot(o.data(), q.data(), dim);
    sum += error;
    sum_sq += error * error;
    const double c = y_dot_o / GridNorm(levels, bits);
    cos_sum += c;
    cos_sum_sq += c * c;
  }
  ErrorStats stats;
  stats.mean = sum / samples;
  stats.sd = std::sqrt(std::max(0.0, sum_sq / samples - stats.mean * stats.mean));
  stats.standard_error = stats.sd / std::sqrt(static_cast<double>(samples));
  stats.mean_cosine = cos_sum / samples;
  stats.sd_cosine =
      std::sqrt(std::max(0.0, cos_sum_sq / samples - stats.mean_cosine * stats.mean_cosine));
  return stats;
}

// ---------------------------------------------------------------------------------------------
// The code search.

TEST(RabitqCodeSearch, OneBitIsTheSignCode) {
  Rng rng(1);
  const int dim = 64;
  std::vector<float> x(dim);
  for (float& v : x) v = static_cast<float>(rng.NextGaussian());
  std::vector<uint8_t> levels(dim);
  const double y_dot_x = QuantizeToRabitqGrid(x.data(), dim, 1, levels.data());
  double l1 = 0;
  for (int j = 0; j < dim; ++j) {
    EXPECT_EQ(levels[j], x[j] >= 0 ? 1 : 0) << j;
    l1 += std::fabs(x[j]);
  }
  EXPECT_NEAR(y_dot_x, 0.5 * l1, 1e-9);  // <sign(x)/2, x>
}

// Every codeword of the grid (2^(bits * dim) of them), for tiny dim.
double BruteForceBestCosine(const std::vector<float>& x, int bits) {
  const int dim = static_cast<int>(x.size());
  const int levels_per_coord = 1 << bits;
  int64_t total = 1;
  for (int j = 0; j < dim; ++j) total *= levels_per_coord;
  double x_norm = 0;
  for (float v : x) x_norm += static_cast<double>(v) * v;
  x_norm = std::sqrt(x_norm);
  double best = -2;
  std::vector<uint8_t> levels(dim);
  for (int64_t c = 0; c < total; ++c) {
    int64_t rest = c;
    for (int j = 0; j < dim; ++j) {
      levels[j] = static_cast<uint8_t>(rest % levels_per_coord);
      rest /= levels_per_coord;
    }
    best = std::max(best, GridDot(levels, bits, x.data()) / (GridNorm(levels, bits) * x_norm));
  }
  return best;
}

TEST(RabitqCodeSearch, FindsTheMaximalCosineCodeword) {
  struct Case {
    int dim;
    int bits;
  };
  Rng rng(7);
  for (const Case& c : {Case{4, 2}, Case{6, 2}, Case{4, 3}, Case{3, 4}, Case{2, 8}}) {
    for (int trial = 0; trial < 60; ++trial) {
      std::vector<float> x(c.dim);
      for (float& v : x) v = static_cast<float>(rng.NextGaussian());
      if (trial == 0) {  // ties between coordinates and a zero coordinate
        for (int j = 0; j < c.dim; ++j) x[j] = (j % 3 == 2) ? 0.0f : (j % 2 ? -1.0f : 1.0f);
      }
      std::vector<uint8_t> levels(c.dim);
      const double y_dot_x = QuantizeToRabitqGrid(x.data(), c.dim, c.bits, levels.data());
      const double cosine =
          y_dot_x / (GridNorm(levels, c.bits) * testing_util::Norm(x.data(), c.dim));
      for (uint8_t u : levels) ASSERT_LT(u, 1 << c.bits);
      EXPECT_NEAR(cosine, BruteForceBestCosine(x, c.bits), 1e-9)
          << "dim " << c.dim << " bits " << c.bits << " trial " << trial;
    }
  }
}

TEST(RabitqCodeSearch, ZeroVectorGivesAValidCodeAndZeroDot) {
  std::vector<float> x(16, 0.0f);
  std::vector<uint8_t> levels(16, 99);
  EXPECT_EQ(QuantizeToRabitqGrid(x.data(), 16, 3, levels.data()), 0.0);
  for (uint8_t u : levels) EXPECT_LT(u, 8);
}

TEST(RabitqCodeSearch, PlanesRoundTripAndLutDotIsExact) {
  Rng rng(3);
  for (int bits : {1, 2, 3, 4, 8}) {
    const int dim = 77;  // not a multiple of 8: the last byte is partial
    const int n = 5;
    const int plane_bytes = RabitqPlaneBytes(dim);
    std::vector<uint8_t> codes(static_cast<size_t>(n) * bits * plane_bytes);
    std::vector<std::vector<uint8_t>> all(n, std::vector<uint8_t>(dim));
    for (int i = 0; i < n; ++i) {
      for (uint8_t& u : all[i]) u = static_cast<uint8_t>(rng.NextBelow(1u << bits));
      PackRabitqPlanes(all[i].data(), dim, bits, codes.data() + i * bits * plane_bytes);
      std::vector<uint8_t> back(dim);
      UnpackRabitqPlanes(codes.data() + i * bits * plane_bytes, dim, bits, back.data());
      EXPECT_EQ(back, all[i]);
    }
    std::vector<float> q(dim);
    for (float& v : q) v = static_cast<float>(rng.NextGaussian());
    std::vector<float> lut(plane_bytes * 256);
    BuildRabitqLut(q.data(), dim, lut.data());
    std::vector<float> dots(n);
    ScanRabitqCodes(lut.data(), codes.data(), n, plane_bytes, bits, dots.data());
    for (int i = 0; i < n; ++i) {
      double expected = 0;
      for (int j = 0; j < dim; ++j) expected += static_cast<double>(all[i][j]) * q[j];
      EXPECT_NEAR(dots[i], expected, 1e-4 * (1 << bits) * std::sqrt(dim)) << bits;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The estimator's published behaviour.

TEST(RabitqEstimator, IsUnbiasedAtEveryBitWidth) {
  for (int bits : {1, 2, 3, 4}) {
    for (double cosine : {0.5, 0.9}) {  // at 0 it is unbiased by symmetry alone
      const ErrorStats s = EstimatorError(128, bits, cosine, 15000, 100 + bits);
      EXPECT_LT(std::fabs(s.mean), 4 * s.standard_error)
          << "bits " << bits << " <o,q> " << cosine << " mean " << s.mean << " se "
          << s.standard_error;
    }
  }
}

TEST(RabitqEstimator, OneBitErrorShrinksLikeInverseSqrtDim) {
  const ErrorStats d128 = EstimatorError(128, 1, 0.5, 4000, 11);
  const ErrorStats d512 = EstimatorError(512, 1, 0.5, 4000, 12);
  const ErrorStats d2048 = EstimatorError(2048, 1, 0.5, 4000, 13);
  EXPECT_NEAR(d128.sd / d512.sd, 2.0, 0.15);
  EXPECT_NEAR(d512.sd / d2048.sd, 2.0, 0.15);
  // sd = sqrt(1 - <o,q>^2) * sqrt(1 - c^2) / (c sqrt(D - 1)) with c = <o_bar, o> ~ 0.8.
  const double c = d512.mean_cosine;
  const double predicted = std::sqrt(1 - 0.25) * std::sqrt(1 - c * c) / (c * std::sqrt(511.0));
  EXPECT_NEAR(d512.sd / predicted, 1.0, 0.05);
}

TEST(RabitqEstimator, OneBitCosineConcentratesNearPointEight) {
  const ErrorStats s = EstimatorError(1024, 1, 0.0, 2000, 21);
  // E <o_bar, o> = E |o|_1 / sqrt(D) -> sqrt(2 / pi) = 0.798 (the paper's "about 0.8").
  EXPECT_NEAR(s.mean_cosine, std::sqrt(2.0 / M_PI), 0.005);
  EXPECT_LT(s.sd_cosine, 0.02);
}

TEST(RabitqEstimator, ExtendedErrorRoughlyHalvesPerBit) {
  double previous_sd = 0, previous_cosine = 0;
  for (int bits = 1; bits <= 6; ++bits) {
    const ErrorStats s = EstimatorError(256, bits, 0.5, 4000, 30 + bits);
    if (bits > 1) {
      EXPECT_GT(previous_sd / s.sd, 1.7) << bits;
      EXPECT_LT(previous_sd / s.sd, 2.4) << bits;
      EXPECT_GT(s.mean_cosine, previous_cosine) << bits;
    }
    previous_sd = s.sd;
    previous_cosine = s.mean_cosine;
  }
}

// ---------------------------------------------------------------------------------------------
// The flat index.

// n x dim Gaussian vectors around a far-off mean (so centring matters), optionally normalised.
std::vector<float> OffsetData(int64_t n, int dim, uint64_t seed, bool normalise) {
  std::vector<float> x = GaussianMatrix(n, dim, seed);
  for (int64_t i = 0; i < n; ++i) {
    float* row = x.data() + i * dim;
    for (int j = 0; j < dim; ++j) row[j] += (j % 2 ? 2.0f : -1.0f);
    if (normalise) {
      const double inv = 1.0 / testing_util::Norm(row, dim);
      for (int j = 0; j < dim; ++j) row[j] = static_cast<float>(row[j] * inv);
    }
  }
  return x;
}

std::unique_ptr<RabitqIndex> MustBuild(const std::vector<float>& base, int dim, Similarity sim,
                                       const RabitqOptions& options) {
  const int64_t n = static_cast<int64_t>(base.size()) / dim;
  absl::StatusOr<std::unique_ptr<RabitqIndex>> index =
      RabitqIndex::Build(base.data(), n, dim, sim, options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

TEST(RabitqIndex, RejectsBadInput) {
  const std::vector<float> base = GaussianMatrix(10, 8, 1);
  for (int bits : {0, 9}) {
    EXPECT_FALSE(RabitqIndex::Build(base.data(), 10, 8, Similarity::kL2, {.bits = bits}).ok());
  }
  EXPECT_FALSE(RabitqIndex::Build(base.data(), 10, 0, Similarity::kL2, {}).ok());
  EXPECT_FALSE(RabitqIndex::Build(base.data(), 10, 8, Similarity::kL2, {.pad_to = 12}).ok());
  std::vector<float> bad = base;
  bad[17] = std::nanf("");
  const absl::StatusOr<std::unique_ptr<RabitqIndex>> index =
      RabitqIndex::Build(bad.data(), 10, 8, Similarity::kL2, {});
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RabitqIndex, NameBitsAndHonestBytes) {
  const int dim = 100;
  const std::vector<float> base = GaussianMatrix(50, dim, 2);
  struct Case {
    int bits;
    int pad_to;
    Similarity sim;
    double bytes;
  };
  for (const Case& c : {Case{1, 64, Similarity::kInnerProduct, 16 + 4},  // 128 dims
                        Case{1, 64, Similarity::kL2, 16 + 8}, Case{4, 64, Similarity::kL2, 64 + 8},
                        Case{3, 8, Similarity::kInnerProduct, 39 + 4},  // 104 dims
                        Case{8, 8, Similarity::kL2, 104 + 8}}) {
    auto index = MustBuild(base, dim, c.sim, {.bits = c.bits, .pad_to = c.pad_to});
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->name(), "rabitq" + std::to_string(c.bits));
    EXPECT_EQ(index->bits_per_dim(), c.bits);
    EXPECT_EQ(index->bytes_per_vector(), c.bytes) << c.bits << " " << c.pad_to;
    EXPECT_EQ(index->size(), 50);
    EXPECT_GE(index->build_times().train_seconds, 0.0);
  }
}

// The float reference of the score of base row i, from the stored levels and factors.
double ReferenceScore(const RabitqIndex& index, const float* query, int64_t i) {
  const int dim = index.dim();
  const int pd = index.padded_dim();
  const bool l2 = index.similarity() == Similarity::kL2;
  std::vector<float> w(pd, 0.0f), rotated(pd);
  double term = 0;
  for (int j = 0; j < dim; ++j) {
    w[j] = l2 ? query[j] - index.centroid()[j] : query[j];
    term +=
        l2 ? static_cast<double>(w[j]) * w[j] : static_cast<double>(index.centroid()[j]) * query[j];
  }
  index.rotation().Apply(w.data(), 1, rotated.data());
  const double estimate = index.rescale(i) * GridDot(index.Levels(i), index.bits(), rotated.data());
  return l2 ? index.norm_sq(i) + term - 2 * estimate : term + estimate;
}

TEST(RabitqIndex, ScanMatchesTheFloatReferenceAndRanksByIt) {
  const int dim = 40;  // padded to 64
  const int64_t n = 300;
  for (Similarity sim : {Similarity::kL2, Similarity::kInnerProduct}) {
    const std::vector<float> base = OffsetData(n, dim, 5, sim == Similarity::kInnerProduct);
    const std::vector<float> queries = OffsetData(3, dim, 6, sim == Similarity::kInnerProduct);
    for (int bits : {1, 2, 3, 4, 8}) {
      auto index = MustBuild(base, dim, sim, {.bits = bits});
      ASSERT_NE(index, nullptr);
      for (int qi = 0; qi < 3; ++qi) {
        const float* q = queries.data() + qi * dim;
        std::vector<int64_t> ids(n);
        std::vector<float> scores(n);
        index->Search(q, n, ids.data(), scores.data());
        std::vector<int64_t> sorted = ids;
        std::sort(sorted.begin(), sorted.end());
        std::vector<int64_t> all(n);
        std::iota(all.begin(), all.end(), 0);
        ASSERT_EQ(sorted, all);  // every row exactly once
        double previous = 0;
        for (int64_t r = 0; r < n; ++r) {
          const double ref = ReferenceScore(*index, q, ids[r]);
          const double tolerance = 1e-4 * (1 + std::fabs(ref));
          EXPECT_NEAR(scores[r], ref, tolerance) << bits << " rank " << r;
          if (r > 0) {  // best first by the reference, up to float rounding
            if (sim == Similarity::kL2) {
              EXPECT_GE(ref, previous - 2 * tolerance);
            } else {
              EXPECT_LE(ref, previous + 2 * tolerance);
            }
          }
          previous = ref;
        }
      }
    }
  }
}

TEST(RabitqIndex, EstimatesThroughTheIndexAreUnbiased) {
  // Mean of (estimated - true) <o_r - c, q_r - c> over vectors, queries and rotations ~ 0.
  const int dim = 64;
  const int64_t n = 400;
  const int nq = 10;
  const std::vector<float> base = GaussianMatrix(n, dim, 40);
  const std::vector<float> queries = GaussianMatrix(nq, dim, 41);
  for (int bits : {1, 3}) {
    double sum = 0, sum_sq = 0;
    int64_t count = 0;
    for (uint64_t seed = 0; seed < 8; ++seed) {
      auto index = MustBuild(base, dim, Similarity::kL2, {.bits = bits, .seed = seed});
      ASSERT_NE(index, nullptr);
      const std::vector<float>& c = index->centroid();
      std::vector<int64_t> ids(n);
      std::vector<float> scores(n);
      for (int qi = 0; qi < nq; ++qi) {
        const float* q = queries.data() + qi * dim;
        index->Search(q, n, ids.data(), scores.data());
        double q_sq = 0;
        for (int j = 0; j < dim; ++j) q_sq += (q[j] - c[j]) * (q[j] - c[j]);
        for (int64_t r = 0; r < n; ++r) {
          const float* o = base.data() + ids[r] * dim;
          double exact = 0;
          for (int j = 0; j < dim; ++j) exact += (o[j] - c[j]) * (q[j] - c[j]);
          const double estimate = (index->norm_sq(ids[r]) + q_sq - scores[r]) / 2;
          sum += estimate - exact;
          sum_sq += (estimate - exact) * (estimate - exact);
          ++count;
        }
      }
    }
    const double mean = sum / count;
    const double se = std::sqrt((sum_sq / count - mean * mean) / count);
    EXPECT_LT(std::fabs(mean), 5 * se) << bits << " mean " << mean << " se " << se;
  }
}

double RecallAt1(const RabitqIndex& index, const std::vector<float>& queries,
                 const std::vector<int64_t>& truth, int dim, int k) {
  const int nq = static_cast<int>(truth.size());
  std::vector<int64_t> ids(k);
  std::vector<float> scores(k);
  int hits = 0;
  for (int qi = 0; qi < nq; ++qi) {
    index.Search(queries.data() + qi * dim, k, ids.data(), scores.data());
    hits += std::find(ids.begin(), ids.end(), truth[qi]) != ids.end();
  }
  return static_cast<double>(hits) / nq;
}

TEST(RabitqIndex, FindsTheNearestOnEasyData) {
  // Queries are base rows plus small noise: the row itself is the true nearest neighbour.
  const int dim = 96;
  const int64_t n = 2000;
  const int nq = 100;
  for (Similarity sim : {Similarity::kL2, Similarity::kInnerProduct}) {
    const bool ip = sim == Similarity::kInnerProduct;
    const std::vector<float> base = OffsetData(n, dim, 50, ip);
    const std::vector<float> noise = GaussianMatrix(nq, dim, 51);
    std::vector<float> queries(nq * dim);
    std::vector<int64_t> truth(nq);
    for (int qi = 0; qi < nq; ++qi) {
      truth[qi] = (qi * 37) % n;
      for (int j = 0; j < dim; ++j) {
        queries[qi * dim + j] =
            base[truth[qi] * dim + j] + (ip ? 0.02f : 0.1f) * noise[qi * dim + j];
      }
    }
    for (int bits : {1, 4}) {
      auto index = MustBuild(base, dim, sim, {.bits = bits});
      ASSERT_NE(index, nullptr);
      EXPECT_GE(RecallAt1(*index, queries, truth, dim, 1), 0.95)
          << (ip ? "ip" : "l2") << " bits " << bits;
    }
  }
}

TEST(RabitqIndex, DeterministicForASeedWhateverTheThreads) {
  const int dim = 50;
  const int64_t n = 700;  // several encoding chunks
  const std::vector<float> base = OffsetData(n, dim, 60, false);
  const std::vector<float> query = OffsetData(1, dim, 61, false);
  auto one = MustBuild(base, dim, Similarity::kL2, {.bits = 3, .seed = 9, .threads = 1});
  auto two = MustBuild(base, dim, Similarity::kL2, {.bits = 3, .seed = 9, .threads = 2});
  auto other = MustBuild(base, dim, Similarity::kL2, {.bits = 3, .seed = 10, .threads = 2});
  ASSERT_TRUE(one && two && other);
  bool any_code_differs = false;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(one->Levels(i), two->Levels(i)) << i;
    ASSERT_EQ(one->rescale(i), two->rescale(i)) << i;
    any_code_differs |= one->Levels(i) != other->Levels(i);
  }
  EXPECT_TRUE(any_code_differs);
  std::vector<int64_t> ids_a(20), ids_b(20);
  std::vector<float> scores_a(20), scores_b(20);
  one->Search(query.data(), 20, ids_a.data(), scores_a.data());
  two->Search(query.data(), 20, ids_b.data(), scores_b.data());
  EXPECT_EQ(ids_a, ids_b);
  EXPECT_EQ(scores_a, scores_b);
}

TEST(RabitqIndex, PadsWhenKExceedsSize) {
  const int dim = 16;
  const std::vector<float> base = GaussianMatrix(3, dim, 70);
  for (Similarity sim : {Similarity::kL2, Similarity::kInnerProduct}) {
    auto index = MustBuild(base, dim, sim, {.bits = 2});
    ASSERT_NE(index, nullptr);
    std::vector<int64_t> ids(5);
    std::vector<float> scores(5);
    index->Search(base.data(), 5, ids.data(), scores.data());
    for (int r = 0; r < 3; ++r) EXPECT_GE(ids[r], 0);
    EXPECT_EQ(ids[3], -1);
    EXPECT_EQ(ids[4], -1);
  }
}

TEST(RabitqIndex, RecallGrowsWithBitsOnGlove) {
  const std::string path = std::string(TQ_SHARED_DATASETS) + "/glove-100-angular.hdf5";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent";
  absl::StatusOr<io::AnnHdf5Reader> reader = io::AnnHdf5Reader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const int dim = 100;
  const int64_t n = 5000;
  const int nq = 200;
  absl::StatusOr<std::vector<float>> base = reader->ReadFloatRows("train", 0, n);
  absl::StatusOr<std::vector<float>> queries = reader->ReadFloatRows("test", 0, nq);
  ASSERT_TRUE(base.ok() && queries.ok());
  for (std::vector<float>* m : {&*base, &*queries}) {  // angular: normalise, rank by <o, q>
    for (size_t i = 0; i < m->size() / dim; ++i) {
      float* row = m->data() + i * dim;
      const double inv = 1.0 / testing_util::Norm(row, dim);
      for (int j = 0; j < dim; ++j) row[j] = static_cast<float>(row[j] * inv);
    }
  }
  std::vector<int64_t> truth(nq);
  for (int qi = 0; qi < nq; ++qi) {
    double best = -2;
    for (int64_t i = 0; i < n; ++i) {
      const double s = Dot(base->data() + i * dim, queries->data() + qi * dim, dim);
      if (s > best) {
        best = s;
        truth[qi] = i;
      }
    }
  }
  double recall[5] = {};
  for (int bits : {1, 2, 4}) {
    auto index = MustBuild(*base, dim, Similarity::kInnerProduct, {.bits = bits});
    ASSERT_NE(index, nullptr);
    recall[bits] = RecallAt1(*index, *queries, truth, dim, 10);
  }
  EXPECT_GT(recall[2], recall[1]);
  EXPECT_GT(recall[4], recall[2]);
  EXPECT_GE(recall[4], 0.9);
  RecordProperty("recall_1_10_bits1", std::to_string(recall[1]));
  RecordProperty("recall_1_10_bits4", std::to_string(recall[4]));
}

}  // namespace
}  // namespace tq::baselines
