// Tests of removal, filters and compaction: removed or filtered ids never come back, filtered
// exact search equals brute force over the allowed ids, and Compact changes no result.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/container/flat_hash_set.h"
#include "engine/random.h"
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

// Rows of x whose ids pass `keep`, and their ids.
struct Subset {
  std::vector<float> x;
  std::vector<int64_t> ids;
};
template <typename Keep>
Subset Select(const std::vector<float>& x, int dim, Keep keep) {
  Subset s;
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()) / dim; ++i) {
    if (!keep(i)) continue;
    s.x.insert(s.x.end(), x.begin() + i * dim, x.begin() + (i + 1) * dim);
    s.ids.push_back(i);
  }
  return s;
}

std::vector<int64_t> TruthIds(Metric metric, const float* q, const Subset& s, int dim, int k) {
  std::vector<int64_t> rows = BruteForce(metric, q, s.x.data(), s.ids.size(), dim, k);
  for (int64_t& r : rows) r = s.ids[r];
  return rows;
}

TEST(IndexMutationTest, RemovedIdsNeverReturnAndCompactChangesNothing) {
  constexpr int kDim = 20, kN = 3000, kQueries = 25, kK = 40;
  const std::vector<float> x = RandomVectors(kN, kDim, 1);
  const std::vector<float> q = RandomVectors(kQueries, kDim, 2);
  for (Metric metric : kMetrics) {
    for (Variant variant : {Variant::kProd, Variant::kCorrected}) {
      SCOPED_TRACE(std::string(MetricName(metric)) + "/" + std::string(VariantName(variant)));
      auto index = MakeIndex(Options(kDim, 3, metric, variant, KeepVectors::kFloat32));
      ASSERT_TRUE(index->Add(x).ok());
      // Remove a third at random and every vector of block 5 (a fully dead block).
      Rng rng(3);
      absl::flat_hash_set<uint64_t> removed;
      for (int i = 0; i < kN; ++i) {
        if (rng.NextBelow(3) == 0 || i / 32 == 5) removed.insert(i);
      }
      const std::vector<uint64_t> list(removed.begin(), removed.end());
      ASSERT_TRUE(index->Remove(list).ok());
      EXPECT_EQ(index->size(), kN - static_cast<int64_t>(removed.size()));
      const Subset live = Select(x, kDim, [&](int64_t i) { return !removed.contains(i); });

      for (int rerank : {0, kN}) {
        SearchParams params;
        params.rerank = rerank;
        SearchResults before, after;
        ASSERT_TRUE(index->Search(q, kK, params, &before).ok());
        for (int64_t id : before.ids) {
          ASSERT_GE(id, 0);
          ASSERT_FALSE(removed.contains(id)) << id;
        }
        if (rerank > 0) {
          for (int i = 0; i < kQueries; ++i) {
            EXPECT_EQ(
                Overlap(Row(before, i), TruthIds(metric, q.data() + i * kDim, live, kDim, kK)),
                1.0);
          }
        }
        auto copy = MakeIndex(Options(kDim, 3, metric, variant, KeepVectors::kFloat32));
        ASSERT_TRUE(copy->Add(x).ok());
        ASSERT_TRUE(copy->Remove(list).ok());
        ASSERT_TRUE(copy->Compact().ok());
        EXPECT_EQ(copy->stats().size, live.ids.size());
        ASSERT_TRUE(copy->Search(q, kK, params, &after).ok());
        EXPECT_EQ(after.ids, before.ids);
        EXPECT_EQ(after.scores, before.scores);
      }
    }
  }
}

TEST(IndexMutationTest, FiltersNeverReturnFilteredIds) {
  constexpr int kDim = 16, kN = 2500, kQueries = 20, kK = 30;
  const std::vector<float> x = RandomVectors(kN, kDim, 11);
  const std::vector<float> q = RandomVectors(kQueries, kDim, 12);
  absl::flat_hash_set<uint64_t> even;
  for (uint64_t i = 0; i < kN; i += 2) even.insert(i);
  const auto multiple_of_3 = [](uint64_t id) { return id % 3 == 0; };
  for (Metric metric : kMetrics) {
    SCOPED_TRACE(std::string(MetricName(metric)));
    auto index = MakeIndex(Options(kDim, 4, metric, Variant::kCorrected, KeepVectors::kFloat32));
    ASSERT_TRUE(index->Add(x).ok());
    struct Case {
      const absl::flat_hash_set<uint64_t>* allow;
      bool predicate;
    };
    for (const Case c : {Case{&even, false}, Case{nullptr, true}, Case{&even, true}}) {
      const auto allowed = [&](int64_t id) {
        return (!c.allow || c.allow->contains(id)) && (!c.predicate || multiple_of_3(id));
      };
      const Subset subset = Select(x, kDim, allowed);
      for (int rerank : {0, kN}) {
        SearchParams params;
        params.rerank = rerank;
        params.allow_list = c.allow;
        if (c.predicate) params.predicate = multiple_of_3;
        SearchResults r;
        ASSERT_TRUE(index->Search(q, kK, params, &r).ok());
        for (int64_t id : r.ids) {
          ASSERT_GE(id, 0);
          ASSERT_TRUE(allowed(id)) << id;
        }
        if (rerank > 0) {
          for (int i = 0; i < kQueries; ++i) {
            EXPECT_EQ(Overlap(Row(r, i), TruthIds(metric, q.data() + i * kDim, subset, kDim, kK)),
                      1.0);
          }
        }
      }
    }
    // A filter that passes almost nothing pads the rest.
    const absl::flat_hash_set<uint64_t> few = {3, 777, 2400, 99999};
    SearchParams params;
    params.allow_list = &few;
    SearchResults r;
    ASSERT_TRUE(index->Search(q, 5, params, &r).ok());
    for (int i = 0; i < kQueries; ++i) {
      std::vector<int64_t> got = Row(r, i);
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, (std::vector<int64_t>{-1, -1, 3, 777, 2400}));
    }
  }
}

TEST(IndexMutationTest, ARemovedIdCanBeAddedAgain) {
  constexpr int kDim = 8;
  auto index = MakeIndex(Options(kDim, 4, Metric::kCosine));
  const std::vector<float> x = RandomVectors(100, kDim, 21);
  ASSERT_TRUE(index->Add(x).ok());
  const uint64_t id = 42;
  ASSERT_TRUE(index->Remove(&id, 1).ok());
  // Re-add id 42 with the direction of row 7: a query along it finds 42 (and 7) first.
  ASSERT_TRUE(index->Add(x.data() + 7 * kDim, 1, &id).ok());
  EXPECT_EQ(index->size(), 100);
  SearchResults r;
  ASSERT_TRUE(index->Search(x.data() + 7 * kDim, 1, 2, {}, &r).ok());
  std::vector<int64_t> top = Row(r, 0);
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (std::vector<int64_t>{7, 42}));
  EXPECT_EQ(index->Add(x.data(), 1, &id).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(index->Compact().ok());
  EXPECT_EQ(index->stats().size, 100);
  ASSERT_TRUE(index->Search(x.data() + 7 * kDim, 1, 2, {}, &r).ok());
  std::vector<int64_t> again = Row(r, 0);
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, top);
  // The id map was rebuilt: 42 can be removed at its new position.
  ASSERT_TRUE(index->Remove(&id, 1).ok());
  ASSERT_TRUE(index->Search(x.data() + 7 * kDim, 1, 2, {}, &r).ok());
  EXPECT_EQ(r.id(0, 0), 7);
}

// Automatic ids are mapped to positions only when something looks one up: several runs of
// them, explicit ids between, removals and a compaction must all see the same ids.
TEST(IndexMutationTest, AutomaticIdRunsAreFoundByEveryLookup) {
  constexpr int kDim = 8;
  auto index = MakeIndex(Options(kDim, 4, Metric::kL2, Variant::kCorrected, KeepVectors::kFloat32));
  const std::vector<float> x = RandomVectors(300, kDim, 31);
  ASSERT_TRUE(index->Add(x.data(), 100).ok());              // ids 0..99
  ASSERT_TRUE(index->Add(x.data() + 100 * kDim, 50).ok());  // ids 100..149, a second run
  const uint64_t explicit_id = 1000;
  EXPECT_EQ(index->Add(x.data(), 1, &explicit_id).code(), absl::StatusCode::kOk);
  const uint64_t taken = 120;  // in the second run, not yet mapped when this Add checks it
  EXPECT_EQ(index->Add(x.data(), 1, &taken).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(index->Add(x.data() + 151 * kDim, 49).ok());  // ids 1001..1049
  for (uint64_t id : {0u, 99u, 100u, 149u, 1000u, 1001u, 1049u})
    EXPECT_TRUE(index->Contains(id)) << id;
  for (uint64_t id : {150u, 999u, 1050u}) EXPECT_FALSE(index->Contains(id)) << id;
  const uint64_t gone[] = {5, 130, 1020};
  ASSERT_TRUE(index->Remove(gone, 3).ok());
  for (uint64_t id : gone) EXPECT_FALSE(index->Contains(id)) << id;
  EXPECT_EQ(index->Remove(gone, 1).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(index->Add(x.data() + 200 * kDim, 10).ok());  // ids 1050..1059, after a lookup
  ASSERT_TRUE(index->Compact().ok());
  EXPECT_EQ(index->size(), 207);
  for (uint64_t id : {0u, 131u, 1000u, 1059u}) EXPECT_TRUE(index->Contains(id)) << id;
  const uint64_t after_compact = 1055;
  ASSERT_TRUE(index->Remove(&after_compact, 1).ok());
  // Search answers with the automatic ids: with an exact rerank each stored row finds itself.
  SearchParams params;
  params.rerank = 50;
  SearchResults r;
  for (int row : {0, 120, 151, 203}) {
    ASSERT_TRUE(index->Search(x.data() + row * kDim, 1, 1, params, &r).ok());
    EXPECT_EQ(r.id(0, 0), row < 150 ? row : row + 850) << row;
  }
}

TEST(IndexMutationTest, RemovingEverythingLeavesAnEmptyIndex) {
  constexpr int kDim = 12;
  auto index = MakeIndex(Options(kDim, 2, Metric::kL2, Variant::kMse, KeepVectors::kFloat16));
  ASSERT_TRUE(index->Add(RandomVectors(70, kDim, 31)).ok());
  std::vector<uint64_t> all(70);
  std::iota(all.begin(), all.end(), 0);
  ASSERT_TRUE(index->Remove(all).ok());
  SearchResults r;
  ASSERT_TRUE(index->Search(RandomVectors(1, kDim, 32), 3, {}, &r).ok());
  EXPECT_EQ(r.ids, (std::vector<int64_t>{-1, -1, -1}));
  ASSERT_TRUE(index->Compact().ok());
  EXPECT_EQ(index->stats().size, 0);
  EXPECT_EQ(index->stats().blocks, 0);
  EXPECT_EQ(index->stats().raw_vector_bytes, 0);
  ASSERT_TRUE(index->Add(RandomVectors(3, kDim, 33)).ok());  // ids go on after the largest
  ASSERT_TRUE(index->Search(RandomVectors(1, kDim, 34), 5, {}, &r).ok());
  std::vector<int64_t> got = Row(r, 0);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int64_t>{-1, -1, 70, 71, 72}));
}

}  // namespace
}  // namespace tq
