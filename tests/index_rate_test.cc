// Indexes at non-integer rates (IndexOptions::upper_coords): the rate parser, sizes, the
// two-part scan against the exact estimator, accuracy between the integer rates, the file.
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/bit_pack.h"
#include "engine/block_layout.h"
#include "index/index.h"
#include "tests/index_test_util.h"
#include "tests/scratch_dir.h"

namespace tq {
namespace {

using testing::ExactScore;
using testing::MakeIndex;
using testing::Options;
using testing::RandomVectors;

IndexOptions AtRate(double rate, int dim, Metric metric) {
  IndexOptions options = Options(dim, 4, metric);
  EXPECT_TRUE(RateToBits(rate, dim, &options).ok()) << rate;
  return options;
}

TEST(RateToBits, SplitsARateIntoBitsAndUpperCoordinates) {
  struct Case {
    double rate;
    int dim, bits, upper;
  } cases[] = {{2.5, 100, 2, 50},  {2.24, 100, 2, 24}, {1.0, 10, 1, 0}, {4.0, 10, 4, 0},
               {3.999, 100, 4, 0}, {1.01, 10, 1, 0},   {3.3, 7, 3, 2}};
  for (const Case& c : cases) {
    IndexOptions options;
    ASSERT_TRUE(RateToBits(c.rate, c.dim, &options).ok()) << c.rate;
    EXPECT_EQ(options.bits, c.bits) << c.rate;
    EXPECT_EQ(options.upper_coords, c.upper) << c.rate;
  }
  IndexOptions options;
  for (double bad : {0.5, 4.01, std::nan("")}) EXPECT_FALSE(RateToBits(bad, 10, &options).ok());
}

TEST(IndexRate, ValidationNamesWhatCannotHaveANonIntegerRate) {
  IndexOptions options = Options(16, 2, Metric::kL2);
  options.upper_coords = 16;
  EXPECT_FALSE(Index::Create(options).ok());
  options.upper_coords = 3;
  EXPECT_TRUE(Index::Create(options).ok());
  options.variant = Variant::kProd;
  EXPECT_FALSE(Index::Create(options).ok());
  options.variant = Variant::kMse;
  options.bits = 4;
  EXPECT_FALSE(Index::Create(options).ok());
}

TEST(IndexRate, StatsCountBothParts) {
  const int d = 50;
  std::unique_ptr<Index> index = MakeIndex(AtRate(2.5, d, Metric::kL2));
  ASSERT_TRUE(index->Add(RandomVectors(40, d, 1)).ok());
  const IndexStats s = index->stats();
  // What the blocks hold: each part's nibble groups, a padding nibble per odd plane included.
  const int code_bytes = (BlockLayout::Create(25, 3)->code_bytes_per_block() +
                          BlockLayout::Create(25, 2)->code_bytes_per_block()) /
                         kBlockVectors;
  EXPECT_GE(code_bytes, static_cast<int>(PackedBytes(25, 3) + PackedBytes(25, 2)));
  EXPECT_EQ(s.code_bytes_per_vector, code_bytes);
  EXPECT_EQ(s.bits_per_vector, 8 * code_bytes + 32 * s.floats_per_vector);
}

// The 8-bit tables of both parts and the exact estimator rank alike: a top 10 is the head of
// the whole ranking (which the exact estimator orders), at rates whose parts have 1..4 bits.
TEST(IndexRate, TheScanLosesNothingAgainstTheExactEstimator) {
  const int d = 40;
  const int64_t n = 2000;
  const std::vector<float> x = RandomVectors(n, d, 2);
  const std::vector<float> queries = RandomVectors(6, d, 3);
  for (double rate : {1.5, 2.3, 3.7}) {
    for (Metric metric : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
      SCOPED_TRACE(::testing::Message() << rate << " " << MetricName(metric));
      std::unique_ptr<Index> index = MakeIndex(AtRate(rate, d, metric));
      ASSERT_TRUE(index->Add(x).ok());
      testing::ExpectTopKIsTheHeadOfTheFullRanking(*index, queries, 10);
    }
  }
}

// Mean squared error of the ip estimates over every vector: falls as the rate rises.
TEST(IndexRate, EstimateErrorFallsBetweenTheIntegerRates) {
  const int d = 64;
  const int64_t n = 1500;
  const std::vector<float> x = RandomVectors(n, d, 4);
  const std::vector<float> queries = RandomVectors(8, d, 5);
  auto error = [&](double rate) {
    std::unique_ptr<Index> index = MakeIndex(AtRate(rate, d, Metric::kInnerProduct));
    EXPECT_TRUE(index->Add(x).ok());
    SearchResults all;
    EXPECT_TRUE(index->Search(queries, static_cast<int>(n), {}, &all).ok());
    double sum = 0;
    for (int64_t q = 0; q < 8; ++q) {
      for (int r = 0; r < all.k; ++r) {
        const double exact = ExactScore(Metric::kInnerProduct, queries.data() + q * d,
                                        x.data() + all.id(q, r) * d, d);
        sum += std::pow(all.score(q, r) - exact, 2);
      }
    }
    return sum / (8.0 * n);
  };
  const double e2 = error(2.0), e25 = error(2.5), e3 = error(3.0);
  EXPECT_GT(e2, 1.2 * e25);
  EXPECT_GT(e25, 1.2 * e3);
}

class IndexRateFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeScratchDir("tq_index_rate_test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(IndexRateFile, SavedIndexesReopenWithTheirRate) {
  const int d = 30;
  const std::vector<float> x = RandomVectors(500, d, 6);
  const std::vector<float> queries = RandomVectors(4, d, 7);
  IndexOptions options = AtRate(1.4, d, Metric::kCosine);
  options.center = Centering::kNone;  // the rate alone makes the file 1.1
  options.keep_vectors = KeepVectors::kFloat16;
  std::unique_ptr<Index> index = MakeIndex(options);
  ASSERT_TRUE(index->Add(x).ok());
  const std::string path = dir_ + "/rate.tqi";
  ASSERT_TRUE(index->Save(path).ok());
  for (bool mmap : {false, true}) {
    absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path, {.mmap = mmap});
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ((*opened)->options().bits, 1);
    EXPECT_EQ((*opened)->options().upper_coords, 12);
    for (int rerank : {0, 40}) {
      SearchParams params;
      params.rerank = rerank;
      SearchResults a, b;
      ASSERT_TRUE(index->Search(queries, 15, params, &a).ok());
      ASSERT_TRUE((*opened)->Search(queries, 15, params, &b).ok());
      EXPECT_EQ(a.ids, b.ids);
      EXPECT_EQ(a.scores, b.scores);
    }
  }
}

}  // namespace
}  // namespace tq
