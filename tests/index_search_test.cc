// Tests that search returns what it promises: exact neighbours with full rerank, scores equal
// to TurboQuantizer::EstimateInnerProduct without it, and the same bits at every SIMD level
// and thread count.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/lookup_table.h"
#include "engine/simd_level.h"
#include "index/index.h"
#include "index_test_util.h"

namespace tq {
namespace {

using ::tq::testing::BruteForce;
using ::tq::testing::MakeIndex;
using ::tq::testing::Options;
using ::tq::testing::Overlap;
using ::tq::testing::RandomVectors;
using ::tq::testing::Row;

constexpr Metric kMetrics[] = {Metric::kInnerProduct, Metric::kCosine, Metric::kL2};
constexpr Variant kVariants[] = {Variant::kMse, Variant::kProd, Variant::kCorrected};

std::string Name(Metric m, Variant v, int bits) {
  return std::string(MetricName(m)) + "/" + std::string(VariantName(v)) + "/" +
         std::to_string(bits);
}

TEST(IndexSearchTest, FullRerankFindsTheExactNeighbours) {
  constexpr int kDim = 24, kN = 1000, kQueries = 20, kK = 10;
  const std::vector<float> x = RandomVectors(kN, kDim, 11);
  const std::vector<float> q = RandomVectors(kQueries, kDim, 12);
  for (Metric metric : kMetrics) {
    for (Variant variant : kVariants) {
      for (int bits : {1, 3, 4}) {
        SCOPED_TRACE(Name(metric, variant, bits));
        auto index = MakeIndex(Options(kDim, bits, metric, variant, KeepVectors::kFloat32));
        ASSERT_TRUE(index->Add(x).ok());
        SearchParams params;
        params.rerank = kN;
        SearchResults r;
        ASSERT_TRUE(index->Search(q, kK, params, &r).ok());
        for (int i = 0; i < kQueries; ++i) {
          const std::vector<int64_t> truth =
              BruteForce(metric, q.data() + i * kDim, x.data(), kN, kDim, kK);
          EXPECT_EQ(Overlap(Row(r, i), truth), 1.0) << "query " << i;
          // Reranked scores are the exact ones.
          const double exact =
              testing::ExactScore(metric, q.data() + i * kDim, x.data() + truth[0] * kDim, kDim);
          EXPECT_NEAR(r.score(i, 0), exact, 1e-4 * (1 + std::abs(exact)));
        }
      }
    }
  }
}

TEST(IndexSearchTest, Float16RerankIsNearlyExact) {
  constexpr int kDim = 32, kN = 2000, kQueries = 30, kK = 10;
  const std::vector<float> x = RandomVectors(kN, kDim, 21);
  const std::vector<float> q = RandomVectors(kQueries, kDim, 22);
  for (Metric metric : kMetrics) {
    SCOPED_TRACE(std::string(MetricName(metric)));
    auto index = MakeIndex(Options(kDim, 2, metric, Variant::kCorrected, KeepVectors::kFloat16));
    ASSERT_TRUE(index->Add(x).ok());
    SearchParams params;
    params.rerank = 400;
    SearchResults r;
    ASSERT_TRUE(index->Search(q, kK, params, &r).ok());
    double recall = 0;
    for (int i = 0; i < kQueries; ++i) {
      recall += Overlap(Row(r, i), BruteForce(metric, q.data() + i * kDim, x.data(), kN, kDim, kK));
    }
    EXPECT_GE(recall / kQueries, 0.98);
  }
}

// Without rerank every score is the quantizer's own estimate of the same codes, and when the
// reservoir holds every vector (n <= 64) the ranking is exactly the estimator's.
TEST(IndexSearchTest, ScoresAreTheQuantizersEstimates) {
  constexpr int kQueries = 8, kK = 10;
  for (int dim : {7, 100}) {
    for (int n : {50, 700}) {
      const std::vector<float> x = RandomVectors(n, dim, 31 + n);
      const std::vector<float> q = RandomVectors(kQueries, dim, 32);
      for (Variant variant : kVariants) {
        for (int bits = 1; bits <= 4; ++bits) {
          SCOPED_TRACE(Name(Metric::kInnerProduct, variant, bits) + " d=" + std::to_string(dim) +
                       " n=" + std::to_string(n));
          // Without centering the scores are the quantizer's own estimates of <q, x>.
          IndexOptions options = Options(dim, bits, Metric::kInnerProduct, variant);
          options.center = Centering::kNone;
          auto index = MakeIndex(options);
          ASSERT_TRUE(index->Add(x).ok());
          EncodedVectors encoded;
          ASSERT_TRUE(index->quantizer().Encode(x.data(), n, &encoded).ok());
          SearchResults r;
          ASSERT_TRUE(index->Search(q, kK, {}, &r).ok());
          double overlap = 0;
          for (int i = 0; i < kQueries; ++i) {
            const PreparedQuery prepared = index->quantizer().PrepareQuery(q.data() + i * dim);
            std::vector<float> estimate(n);
            for (int v = 0; v < n; ++v) {
              estimate[v] = index->quantizer().EstimateInnerProduct(prepared, encoded, v);
            }
            for (int rank = 0; rank < kK; ++rank) {
              ASSERT_GE(r.id(i, rank), 0);
              ASSERT_EQ(r.score(i, rank), estimate[r.id(i, rank)]) << "query " << i;
            }
            std::vector<int64_t> best(n);
            std::iota(best.begin(), best.end(), 0);
            std::stable_sort(best.begin(), best.end(),
                             [&](int64_t a, int64_t b) { return estimate[a] > estimate[b]; });
            best.resize(kK);
            if (n <= 64) {
              EXPECT_EQ(Row(r, i), best) << "query " << i;
            }
            overlap += Overlap(Row(r, i), best);
          }
          // The 8-bit pass loses (almost) nothing of the estimator's top 10.
          EXPECT_GE(overlap / kQueries, bits == 1 ? 0.85 : 0.95);
        }
      }
    }
  }
}

// Large d (uint16 accumulators flushed in the kernel) and the dense haar rotation.
TEST(IndexSearchTest, LargeDimensionsAndHaarRotation) {
  struct Case {
    int dim, bits;
    Variant variant;
    RotationKind rotation;
  };
  for (const Case c : {Case{3072, 4, Variant::kCorrected, RotationKind::kFast},
                       Case{1536, 3, Variant::kProd, RotationKind::kFast},
                       Case{200, 4, Variant::kCorrected, RotationKind::kHaar},
                       Case{200, 2, Variant::kProd, RotationKind::kHaar}}) {
    SCOPED_TRACE(std::to_string(c.dim) + " " + std::string(RotationKindName(c.rotation)));
    constexpr int kN = 64, kK = 10;
    const std::vector<float> x = RandomVectors(kN, c.dim, 81);
    const std::vector<float> q = RandomVectors(2, c.dim, 82);
    IndexOptions options = Options(c.dim, c.bits, Metric::kInnerProduct, c.variant);
    options.rotation = c.rotation;
    options.center = Centering::kNone;  // scores are then the quantizer's estimates
    auto index = MakeIndex(options);
    ASSERT_TRUE(index->Add(x).ok());
    EncodedVectors encoded;
    ASSERT_TRUE(index->quantizer().Encode(x.data(), kN, &encoded).ok());
    SearchResults r;
    ASSERT_TRUE(index->Search(q, kK, {}, &r).ok());
    for (int i = 0; i < 2; ++i) {
      const PreparedQuery prepared = index->quantizer().PrepareQuery(q.data() + i * c.dim);
      std::vector<float> estimate(kN);
      for (int v = 0; v < kN; ++v) {
        estimate[v] = index->quantizer().EstimateInnerProduct(prepared, encoded, v);
      }
      std::vector<int64_t> best(kN);
      std::iota(best.begin(), best.end(), 0);
      std::stable_sort(best.begin(), best.end(),
                       [&](int64_t a, int64_t b) { return estimate[a] > estimate[b]; });
      best.resize(kK);
      EXPECT_EQ(Row(r, i), best);
      for (int rank = 0; rank < kK; ++rank) {
        EXPECT_EQ(r.score(i, rank), estimate[r.id(i, rank)]);
      }
    }
  }
}

// Cosine and l2 scores derive from the same estimate: <q/|q|, x/|x|>, |q|^2 + |x|^2 - 2 <q, x>.
TEST(IndexSearchTest, CosineAndL2ScoresDeriveFromTheEstimate) {
  constexpr int kDim = 40, kN = 60;
  const std::vector<float> x = RandomVectors(kN, kDim, 41);
  const std::vector<float> q = RandomVectors(1, kDim, 42);
  // Uncentered: with a mean, ip may estimate <q, x - mu> where l2 uses <q - mu, x - mu>.
  IndexOptions l2_options = Options(kDim, 4, Metric::kL2),
               ip_options = Options(kDim, 4, Metric::kInnerProduct);
  l2_options.center = ip_options.center = Centering::kNone;
  auto l2 = MakeIndex(l2_options);
  auto ip = MakeIndex(ip_options);
  ASSERT_TRUE(l2->Add(x).ok());
  ASSERT_TRUE(ip->Add(x).ok());
  SearchResults rl2, rip;
  ASSERT_TRUE(l2->Search(q, kN, {}, &rl2).ok());
  ASSERT_TRUE(ip->Search(q, kN, {}, &rip).ok());
  std::vector<float> ip_of(kN);
  for (int i = 0; i < kN; ++i) ip_of[rip.id(0, i)] = rip.score(0, i);
  double qq = 0;
  for (float v : q) qq += double{v} * v;
  for (int i = 0; i < kN; ++i) {
    const int64_t id = rl2.id(0, i);
    double xx = 0;
    for (int j = 0; j < kDim; ++j) xx += double{x[id * kDim + j]} * x[id * kDim + j];
    EXPECT_NEAR(rl2.score(0, i), qq + xx - 2 * ip_of[id], 1e-3 * (qq + xx));
    if (i > 0) {
      EXPECT_LE(rl2.score(0, i - 1), rl2.score(0, i));
    }
  }

  // Cosine: scaling a query or a vector changes nothing.
  auto cos = MakeIndex(Options(kDim, 4, Metric::kCosine));
  std::vector<float> scaled = x;
  for (int j = 0; j < kDim; ++j) scaled[5 * kDim + j] *= 1000.0f;
  ASSERT_TRUE(cos->Add(scaled).ok());
  std::vector<float> q2 = q;
  for (float& v : q2) v *= 0.01f;
  SearchResults a, b;
  ASSERT_TRUE(cos->Search(q, 10, {}, &a).ok());
  ASSERT_TRUE(cos->Search(q2, 10, {}, &b).ok());
  EXPECT_EQ(a.ids, b.ids);
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(a.score(0, i), b.score(0, i), 1e-5);
    EXPECT_LE(std::abs(a.score(0, i)), 1.1f);
  }
}

// Each level against the scalar reference of the same scan form: 4-bit parts are scanned as
// products with VNNI and with tables elsewhere (engine/lookup_table.h, LutForm), two different
// roundings that may keep different candidates, so each form is forced in turn.
TEST(IndexSearchTest, ResultsAreIdenticalAtEverySimdLevel) {
  constexpr int kDim = 100, kN = 3000, kQueries = 10, kK = 20;
  const std::vector<float> x = RandomVectors(kN, kDim, 51);
  const std::vector<float> q = RandomVectors(kQueries, kDim, 52);
  for (Variant variant : kVariants) {
    for (int bits = 1; bits <= 4; ++bits) {
      for (LutForm form : {LutForm::kTables, LutForm::kProducts}) {
        if (bits != 4 && form == LutForm::kProducts) continue;  // only 4-bit parts have it
        SCOPED_TRACE(Name(Metric::kL2, variant, bits) +
                     (form == LutForm::kProducts ? " products" : " tables"));
        ScopedLutForm forced(form);
        SearchResults reference;
        for (int level = 0; level <= static_cast<int>(DetectedSimdLevel()); ++level) {
          ScopedSimdLevel scoped(static_cast<SimdLevel>(level));
          auto index = MakeIndex(Options(kDim, bits, Metric::kL2, variant));
          ASSERT_TRUE(index->Add(x).ok());
          SearchResults r;
          ASSERT_TRUE(index->Search(q, kK, {}, &r).ok());
          if (level == 0) {
            reference = r;
          } else {
            EXPECT_EQ(r.ids, reference.ids) << SimdLevelName(static_cast<SimdLevel>(level));
            EXPECT_EQ(r.scores, reference.scores) << SimdLevelName(static_cast<SimdLevel>(level));
          }
        }
      }
    }
  }
}

// A finite query so large that its rotation overflows float has no finite table in either
// form: nothing ranks, the results are padding, at every level (no NaN is converted to an
// integer on the way).
TEST(IndexSearchTest, AQueryWhoseRotationOverflowsFindsNothing) {
  constexpr int kDim = 64;
  const std::vector<float> x = RandomVectors(500, kDim, 71);
  const std::vector<float> q(kDim, 3e38f);
  for (int bits : {2, 4}) {
    for (LutForm form : {LutForm::kTables, LutForm::kProducts}) {
      ScopedLutForm forced(form);
      for (SimdLevel level : AvailableSimdLevels()) {
        ScopedSimdLevel scoped(level);
        auto index = MakeIndex(Options(kDim, bits, Metric::kInnerProduct));
        ASSERT_TRUE(index->Add(x).ok());
        SearchResults r;
        ASSERT_TRUE(index->Search(q, 5, {}, &r).ok());
        for (int i = 0; i < 5; ++i) {
          EXPECT_EQ(r.id(0, i), -1) << bits << " " << SimdLevelName(level) << " " << i;
        }
      }
    }
  }
}

TEST(IndexSearchTest, ThreadCountDoesNotChangeResults) {
  // 6000 vectors = 188 blocks: fewer queries than threads split the blocks by segments.
  constexpr int kDim = 16, kN = 6000, kK = 25;
  const std::vector<float> x = RandomVectors(kN, kDim, 61);
  const std::vector<float> q = RandomVectors(5, kDim, 62);
  for (Metric metric : kMetrics) {
    auto index = MakeIndex(Options(kDim, 2, metric, Variant::kCorrected, KeepVectors::kFloat32));
    ASSERT_TRUE(index->Add(x).ok());
    for (int rerank : {0, 100}) {
      SearchParams params;
      params.rerank = rerank;
      params.threads = 1;
      SearchResults one;
      ASSERT_TRUE(index->Search(q, kK, params, &one).ok());
      for (int threads : {2, 3, 4}) {
        params.threads = threads;
        SearchResults batch, single;
        ASSERT_TRUE(index->Search(q, kK, params, &batch).ok());
        EXPECT_EQ(batch.ids, one.ids) << threads;
        EXPECT_EQ(batch.scores, one.scores) << threads;
        for (int i = 0; i < 5; ++i) {
          ASSERT_TRUE(index->Search(q.data() + i * kDim, 1, kK, params, &single).ok());
          EXPECT_EQ(Row(single, 0), Row(one, i)) << threads;
        }
        // Fewer queries than threads: they share passes and the threads split the blocks.
        SearchResults few;
        ASSERT_TRUE(index->Search(q.data(), threads - 1, kK, params, &few).ok());
        for (int i = 0; i < threads - 1; ++i) EXPECT_EQ(Row(few, i), Row(one, i)) << threads;
      }
    }
  }
}

// Many small batches fill partial blocks lane by lane; the result is the same index.
TEST(IndexSearchTest, SmallBatchesEqualOneBatch) {
  constexpr int kDim = 33, kN = 500;
  const std::vector<float> x = RandomVectors(kN, kDim, 71);
  const std::vector<float> q = RandomVectors(4, kDim, 72);
  for (Variant variant : kVariants) {
    for (int bits : {1, 3}) {
      SCOPED_TRACE(Name(Metric::kL2, variant, bits));
      // A given mean: a first batch of one would fix a different one than the whole batch.
      IndexOptions options = Options(kDim, bits, Metric::kL2, variant, KeepVectors::kFloat16);
      options.center = Centering::kGiven;
      options.mean.assign(kDim, 0.25f);
      auto whole = MakeIndex(options);
      auto pieces = MakeIndex(options);
      ASSERT_TRUE(whole->Add(x).ok());
      for (int begin = 0, step = 1; begin < kN; begin += step, step = step % 40 + 3) {
        const int count = std::min(step, kN - begin);
        ASSERT_TRUE(pieces->Add(x.data() + begin * kDim, count).ok());
      }
      for (int rerank : {0, 50}) {
        SearchParams params;
        params.rerank = rerank;
        SearchResults a, b;
        ASSERT_TRUE(whole->Search(q, 30, params, &a).ok());
        ASSERT_TRUE(pieces->Search(q, 30, params, &b).ok());
        EXPECT_EQ(a.ids, b.ids);
        EXPECT_EQ(a.scores, b.scores);
      }
    }
  }
}

}  // namespace
}  // namespace tq
