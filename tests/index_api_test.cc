// Tests of tq::Index's contract at its edges: options, bad input (nothing stored on error),
// ids (caller-chosen, automatic, duplicates), padding, the empty index, exact stats, float16.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "engine/float16.h"
#include "index/index.h"
#include "index_test_util.h"

namespace tq {
namespace {

using ::tq::testing::MakeIndex;
using ::tq::testing::Options;
using ::tq::testing::RandomVectors;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(IndexOptionsTest, RejectsBadOptions) {
  EXPECT_FALSE(Index::Create(Options(1, 4, Metric::kL2)).ok());
  EXPECT_FALSE(Index::Create(Options(16, 0, Metric::kL2)).ok());
  EXPECT_FALSE(Index::Create(Options(16, 5, Metric::kL2)).ok());
  IndexOptions bad = Options(16, 4, Metric::kL2);
  bad.metric = static_cast<Metric>(7);
  EXPECT_EQ(Index::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
  for (int bits = 1; bits <= 4; ++bits) {
    for (Variant v : {Variant::kMse, Variant::kProd, Variant::kCorrected}) {
      EXPECT_TRUE(Index::Create(Options(16, bits, Metric::kCosine, v)).ok()) << bits;
    }
  }
}

TEST(IndexOptionsTest, NamesRoundTrip) {
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    EXPECT_EQ(*ParseMetric(MetricName(m)), m);
  }
  EXPECT_EQ(*ParseMetric("angular"), Metric::kCosine);
  EXPECT_EQ(*ParseMetric("Euclidean"), Metric::kL2);
  EXPECT_FALSE(ParseMetric("hamming").ok());
  for (KeepVectors k : {KeepVectors::kNone, KeepVectors::kFloat32, KeepVectors::kFloat16}) {
    EXPECT_EQ(*ParseKeepVectors(KeepVectorsName(k)), k);
  }
  EXPECT_EQ(*ParseKeepVectors("float16"), KeepVectors::kFloat16);
  EXPECT_FALSE(ParseKeepVectors("f8").ok());
}

TEST(IndexApiTest, EmptyIndexGivesPaddingOnly) {
  for (Metric metric : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    auto index = MakeIndex(Options(8, 4, metric));
    const std::vector<float> q = RandomVectors(2, 8, 1);
    SearchResults r;
    ASSERT_TRUE(index->Search(q, 3, {}, &r).ok());
    ASSERT_EQ(r.num_queries, 2);
    ASSERT_EQ(r.k, 3);
    const float worst = metric == Metric::kL2 ? kInf : -kInf;
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(r.ids[i], -1);
      EXPECT_EQ(r.scores[i], worst);
    }
    EXPECT_EQ(index->size(), 0);
  }
}

TEST(IndexApiTest, FewerThanKHitsArePadded) {
  for (Metric metric : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    auto index = MakeIndex(Options(16, 4, metric));
    ASSERT_TRUE(index->Add(RandomVectors(5, 16, 2)).ok());
    SearchResults r;
    ASSERT_TRUE(index->Search(RandomVectors(1, 16, 3), 8, {}, &r).ok());
    for (int i = 0; i < 5; ++i) {
      EXPECT_GE(r.id(0, i), 0);
      EXPECT_TRUE(std::isfinite(r.score(0, i)));
      if (i > 0) {
        if (metric == Metric::kL2) {
          EXPECT_LE(r.score(0, i - 1), r.score(0, i));
        } else {
          EXPECT_GE(r.score(0, i - 1), r.score(0, i));
        }
      }
    }
    for (int i = 5; i < 8; ++i) {
      EXPECT_EQ(r.id(0, i), -1);
      EXPECT_EQ(r.score(0, i), metric == Metric::kL2 ? kInf : -kInf);
    }
  }
}

TEST(IndexApiTest, IdsAreAssignedConsecutivelyAfterTheLargest) {
  auto index = MakeIndex(Options(8, 2, Metric::kInnerProduct));
  ASSERT_TRUE(index->Add(RandomVectors(3, 8, 1)).ok());  // 0, 1, 2
  const std::vector<uint64_t> chosen = {10, 7};
  ASSERT_TRUE(index->Add(RandomVectors(2, 8, 2), chosen).ok());
  ASSERT_TRUE(index->Add(RandomVectors(2, 8, 3)).ok());  // 11, 12
  const uint64_t gone = 12;
  ASSERT_TRUE(index->Remove(&gone, 1).ok());
  ASSERT_TRUE(index->Add(RandomVectors(1, 8, 4)).ok());  // 13: removed ids are not reused
  SearchParams params;
  SearchResults r;
  ASSERT_TRUE(index->Search(RandomVectors(1, 8, 5), 10, params, &r).ok());
  std::vector<int64_t> ids(r.ids.begin(), r.ids.end());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{-1, -1, -1, 0, 1, 2, 7, 10, 11, 13}));
}

TEST(IndexApiTest, DuplicateIdsAreRejectedAndNothingIsStored) {
  auto index = MakeIndex(Options(8, 4, Metric::kL2));
  const std::vector<uint64_t> ids = {1, 2, 3};
  ASSERT_TRUE(index->Add(RandomVectors(3, 8, 1), ids).ok());
  const std::vector<uint64_t> again = {4, 2};
  EXPECT_EQ(index->Add(RandomVectors(2, 8, 2), again).code(), absl::StatusCode::kAlreadyExists);
  const std::vector<uint64_t> twice = {5, 6, 5};
  EXPECT_EQ(index->Add(RandomVectors(3, 8, 3), twice).code(), absl::StatusCode::kInvalidArgument);
  const std::vector<uint64_t> huge = {uint64_t{1} << 63};
  EXPECT_EQ(index->Add(RandomVectors(1, 8, 4), huge).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->size(), 3);
  EXPECT_EQ(index->stats().size, 3);
  // 4, 5 and 6 were not stored, so they are free.
  const std::vector<uint64_t> fresh = {4, 5, 6};
  EXPECT_TRUE(index->Add(RandomVectors(3, 8, 5), fresh).ok());
  // The largest id allowed works, and then automatic ids have nowhere to go.
  const std::vector<uint64_t> largest = {kMaxIndexId};
  ASSERT_TRUE(index->Add(RandomVectors(1, 8, 6), largest).ok());
  EXPECT_EQ(index->Add(RandomVectors(1, 8, 7)).code(), absl::StatusCode::kOutOfRange);
  SearchResults r;
  ASSERT_TRUE(index->Search(RandomVectors(1, 8, 8), 7, {}, &r).ok());
  EXPECT_NE(std::find(r.ids.begin(), r.ids.end(), static_cast<int64_t>(kMaxIndexId)), r.ids.end());
}

TEST(IndexApiTest, BadVectorsAreRejectedAndNothingIsStored) {
  auto index =
      MakeIndex(Options(4, 4, Metric::kCosine, Variant::kCorrected, KeepVectors::kFloat16));
  ASSERT_TRUE(index->Add(RandomVectors(2, 4, 1)).ok());
  std::vector<float> batch = RandomVectors(3, 4, 2);
  batch[9] = kNaN;
  EXPECT_EQ(index->Add(batch).code(), absl::StatusCode::kInvalidArgument);
  batch[9] = kInf;
  EXPECT_EQ(index->Add(batch).code(), absl::StatusCode::kInvalidArgument);
  batch[9] = -kInf;
  EXPECT_EQ(index->Add(batch).code(), absl::StatusCode::kInvalidArgument);
  batch[9] = 1;
  std::fill(batch.begin() + 4, batch.begin() + 8, 0.0f);  // a zero vector has no cosine
  EXPECT_EQ(index->Add(batch).code(), absl::StatusCode::kInvalidArgument);
  // Sizes: not a whole number of vectors, ids of the wrong count, negative n, null data.
  EXPECT_EQ(index->Add(std::vector<float>(7, 1.0f)).code(), absl::StatusCode::kInvalidArgument);
  const std::vector<uint64_t> one_id = {100};
  EXPECT_EQ(index->Add(RandomVectors(2, 4, 3), one_id).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(batch.data(), -1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(nullptr, 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(index->Add(nullptr, 0).ok());
  EXPECT_EQ(index->size(), 2);
  EXPECT_EQ(index->stats().size, 2);

  // Cosine stores unit vectors, so large values fit float16; ip must reject them.
  std::vector<float> big = {1e6f, 2e6f, 0, 1};
  EXPECT_TRUE(index->Add(big).ok());
  auto ip =
      MakeIndex(Options(4, 4, Metric::kInnerProduct, Variant::kCorrected, KeepVectors::kFloat16));
  EXPECT_EQ(ip->Add(big).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ip->size(), 0);
  // The error names the first row and coordinate beyond float16 in a large batch.
  std::vector<float> many = RandomVectors(3000, 4, 5);
  many[2500 * 4 + 3] = -1e6f;
  many[2900 * 4 + 1] = 1e6f;
  const absl::Status status = ip->Add(many);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("vector 2500 has -1e+06 at coordinate 3"), std::string::npos)
      << status;
  EXPECT_EQ(ip->size(), 0);
}

// The error names the first non-finite row whatever the metric and kept vectors (ip and l2
// without float16 check finiteness only when the quantizer's validation fails, where a NaN row
// in the centering sample has also made the mean NaN).
TEST(IndexApiTest, TheFirstNonFiniteRowIsNamed) {
  for (Metric metric : {Metric::kInnerProduct, Metric::kL2, Metric::kCosine}) {
    for (KeepVectors keep : {KeepVectors::kNone, KeepVectors::kFloat16}) {
      auto index = MakeIndex(Options(4, 4, metric, Variant::kCorrected, keep));
      std::vector<float> many = RandomVectors(3000, 4, 5);
      many[2500 * 4 + 3] = kNaN;
      many[2900 * 4 + 1] = kInf;
      for (int i = 0; i < 3000; i += 100) many[i * 4] = -kInf;  // in the mean's sample
      many[0] = 1.0f;
      const absl::Status status = index->Add(many);
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(status.message().find("vector 100 has a non-finite value at coordinate 0"),
                std::string::npos)
          << status;
      EXPECT_EQ(index->size(), 0);
    }
  }
}

// Add validates a large batch slice by slice as it encodes: a bad row in a late slice is named
// with its batch number, nothing is stored, and the next batch goes in as if nothing happened.
TEST(IndexApiTest, ABadRowInALateSliceStoresNothing) {
  for (KeepVectors keep : {KeepVectors::kNone, KeepVectors::kFloat32}) {
    auto index = MakeIndex(Options(8, 4, Metric::kL2, Variant::kCorrected, keep));
    ASSERT_TRUE(index->Add(RandomVectors(5, 8, 1)).ok());
    std::vector<float> batch = RandomVectors(10000, 8, 2);
    std::fill(batch.begin() + 9000 * 8, batch.begin() + 9001 * 8, 3e38f);  // |x| > FLT_MAX
    absl::Status status = index->Add(batch);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("vector 9000 has a norm above the float range"),
              std::string::npos)
        << status;
    std::fill(batch.begin() + 9000 * 8, batch.begin() + 9001 * 8, 0.5f);
    batch[9500 * 8 + 2] = kNaN;
    status = index->Add(batch);
    EXPECT_NE(status.message().find("vector 9500 has a non-finite value at coordinate 2"),
              std::string::npos)
        << status;
    EXPECT_EQ(index->size(), 5);
    batch[9500 * 8 + 2] = 0.5f;
    ASSERT_TRUE(index->Add(batch).ok());
    EXPECT_EQ(index->size(), 10005);
    // The last row is stored where it belongs: with its kept copy it is its own nearest.
    SearchResults r;
    SearchParams params;
    params.rerank = keep == KeepVectors::kNone ? 0 : 200;
    ASSERT_TRUE(index->Search(batch.data() + 9999 * 8, 1, 1, params, &r).ok());
    ASSERT_EQ(r.ids.size(), 1u);
    if (keep != KeepVectors::kNone) {
      EXPECT_EQ(r.ids[0], 5 + 9999);
      EXPECT_EQ(r.scores[0], 0.0f);
    }
  }
}

// Cosine checks each slice as it normalises it: a zero or non-finite row in a late slice is
// named as the whole-batch check names it, with the first batch's mean not yet fixed.
TEST(IndexApiTest, ABadCosineRowInALateSliceStoresNothing) {
  for (KeepVectors keep : {KeepVectors::kNone, KeepVectors::kFloat16}) {
    auto index = MakeIndex(Options(8, 4, Metric::kCosine, Variant::kCorrected, keep));
    std::vector<float> batch = RandomVectors(10000, 8, 3);
    std::fill(batch.begin() + 9000 * 8, batch.begin() + 9001 * 8, 0.0f);
    absl::Status status = index->Add(batch);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("vector 9000 is zero, which has no cosine"), std::string::npos)
        << status;
    batch[9000 * 8] = 1.0f;
    batch[9700 * 8 + 7] = -std::numeric_limits<float>::infinity();
    status = index->Add(batch);
    EXPECT_NE(status.message().find("vector 9700 has a non-finite value at coordinate 7"),
              std::string::npos)
        << status;
    EXPECT_EQ(index->size(), 0);
    EXPECT_TRUE(index->mean().empty());  // the rejected first batch fixed nothing
    batch[9700 * 8 + 7] = 1.0f;
    ASSERT_TRUE(index->Add(batch).ok());
    EXPECT_EQ(index->size(), 10000);
  }
}

TEST(IndexApiTest, BadQueriesAreRejected) {
  auto index = MakeIndex(Options(4, 4, Metric::kCosine));
  ASSERT_TRUE(index->Add(RandomVectors(10, 4, 1)).ok());
  std::vector<float> q = RandomVectors(2, 4, 2);
  SearchResults r;
  EXPECT_EQ(index->Search(q, 0, {}, &r).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Search(q, -3, {}, &r).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Search(std::vector<float>(5, 1.0f), 1, {}, &r).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Search(q, 1, {}, nullptr).code(), absl::StatusCode::kInvalidArgument);
  SearchParams negative;
  negative.rerank = -1;
  EXPECT_EQ(index->Search(q, 1, negative, &r).code(), absl::StatusCode::kInvalidArgument);
  q[6] = kNaN;
  EXPECT_EQ(index->Search(q, 1, {}, &r).code(), absl::StatusCode::kInvalidArgument);
  q[6] = kInf;
  EXPECT_EQ(index->Search(q, 1, {}, &r).code(), absl::StatusCode::kInvalidArgument);
  std::fill(q.begin(), q.begin() + 4, 0.0f);
  q[6] = 1;
  EXPECT_EQ(index->Search(q, 1, {}, &r).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(index->Search(q.data(), 0, 1, {}, &r).ok());
  EXPECT_EQ(r.num_queries, 0);
  EXPECT_TRUE(r.ids.empty());
}

TEST(IndexApiTest, RemoveOfAnUnknownIdRemovesNothing) {
  auto index = MakeIndex(Options(8, 3, Metric::kInnerProduct));
  ASSERT_TRUE(index->Add(RandomVectors(40, 8, 1)).ok());
  const std::vector<uint64_t> ids = {3, 99, 5};
  EXPECT_EQ(index->Remove(ids).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(index->size(), 40);
  const std::vector<uint64_t> known = {3, 5, 3};  // a repeat removes once
  EXPECT_TRUE(index->Remove(known).ok());
  EXPECT_EQ(index->size(), 38);
  EXPECT_EQ(index->Remove(known).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(index->Remove(nullptr, -1).code(), absl::StatusCode::kInvalidArgument);
}

TEST(IndexApiTest, StatsAreExact) {
  struct Case {
    int dim, bits;
    Metric metric;
    Variant variant;
    KeepVectors keep;
    int code_bytes_per_vector, floats;
  };
  // Code bytes per vector = chunks per block: ceil(groups / 2) per plane, groups =
  // ceil(dim * bits / 4) (b = 3: a 2-bit plane and a 1-bit plane; prod: b-1 bits + 1 bit).
  const Case cases[] = {
      {100, 4, Metric::kCosine, Variant::kCorrected, KeepVectors::kNone, 50, 1},
      {100, 3, Metric::kL2, Variant::kMse, KeepVectors::kFloat32, 25 + 13, 2},
      {100, 2, Metric::kInnerProduct, Variant::kProd, KeepVectors::kFloat16, 13 + 13, 2},
      {200, 1, Metric::kL2, Variant::kProd, KeepVectors::kNone, 25, 3},
      {7, 4, Metric::kInnerProduct, Variant::kMse, KeepVectors::kNone, 4, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.dim << " " << c.bits << " " << VariantName(c.variant));
    auto index = MakeIndex(Options(c.dim, c.bits, c.metric, c.variant, c.keep));
    ASSERT_TRUE(index->Add(RandomVectors(70, c.dim, 1)).ok());
    const std::vector<uint64_t> gone = {4, 9};
    ASSERT_TRUE(index->Remove(gone).ok());
    IndexStats s = index->stats();
    EXPECT_EQ(s.size, 70);
    EXPECT_EQ(s.live, 68);
    EXPECT_EQ(index->size(), 68);
    EXPECT_EQ(s.blocks, 3);
    EXPECT_EQ(s.code_bytes_per_vector, c.code_bytes_per_vector);
    // ip and cosine under the default centering keep <mu, x - mu> too.
    const int floats = c.floats + (c.metric == Metric::kL2 ? 0 : 1);
    EXPECT_EQ(s.floats_per_vector, floats);
    EXPECT_EQ(s.bits_per_vector, 8 * c.code_bytes_per_vector + 32 * floats);
    EXPECT_EQ(s.code_bytes, 70 * c.code_bytes_per_vector);
    EXPECT_EQ(s.float_bytes, 70 * 4 * floats);
    // Block: codes, 32 floats per column, a 4-byte mask, padded to 64 bytes.
    const int64_t stride = (32 * c.code_bytes_per_vector + 128 * floats + 4 + 63) / 64 * 64;
    EXPECT_EQ(s.block_bytes, 3 * stride);
    const int element = c.keep == KeepVectors::kFloat32   ? 4
                        : c.keep == KeepVectors::kFloat16 ? 2
                                                          : 0;
    EXPECT_EQ(s.raw_vector_bytes, 70LL * c.dim * element);
    EXPECT_EQ(s.id_bytes, 70 * 8);
    ASSERT_TRUE(index->Compact().ok());
    s = index->stats();
    EXPECT_EQ(s.size, 68);
    EXPECT_EQ(s.live, 68);
    EXPECT_EQ(s.blocks, 3);
    EXPECT_EQ(s.code_bytes, 68 * c.code_bytes_per_vector);
  }
}

TEST(Float16Test, ConvertsExactlyAndRoundsToNearestEven) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);  // halfway to 65536: rounds to even = inf
  EXPECT_EQ(FloatToHalf(kInf), 0x7c00);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(kNaN))));
  EXPECT_EQ(FloatToHalf(0x1.0p-24f), 0x0001);         // smallest subnormal
  EXPECT_EQ(FloatToHalf(0x1.0p-25f), 0x0000);         // halfway to it: even = 0
  EXPECT_EQ(FloatToHalf(0x1.8p-24f), 0x0002);         // 1.5 ulp: even = 2
  EXPECT_EQ(FloatToHalf(1.0f + 0x1.0p-11f), 0x3c00);  // halfway: even
  EXPECT_EQ(FloatToHalf(1.0f + 0x1.8p-11f), 0x3c01);
  // Every finite half survives a round trip.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00) continue;
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    ASSERT_EQ(FloatToHalf(f), h) << h;
  }
  // And the rounding error of any value in range is at most half an ulp (relative 2^-11).
  Rng rng(3);
  for (int i = 0; i < 100000; ++i) {
    const float x = static_cast<float>((rng.NextDouble() - 0.5) * 1000);
    EXPECT_LE(std::abs(HalfToFloat(FloatToHalf(x)) - x), std::abs(x) * 0x1.0p-11f + 0x1.0p-25f);
  }
}

}  // namespace
}  // namespace tq
