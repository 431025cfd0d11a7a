// The scan's reservoir: KthLargestAt is the k-th value of a descending sort, and a Reservoir keeps
// exactly the best `capacity` candidates by Better whatever order they are pushed (or offered,
// one at a time or in batches) in, ties included (the index's results must not depend on thread
// count or SIMD level), at every level.
#include "index/top_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <vector>

#include "engine/random.h"
#include "engine/simd_level.h"

namespace tq {
namespace {

TEST(KthLargestTest, EqualsTheSortedValueForEveryK) {
  for (SimdLevel level : AvailableSimdLevels()) {
    Rng rng(5);
    for (int64_t n : {1, 2, 3, 16, 17, 33, 256, 300}) {
      for (int distinct : {1, 3, 1000}) {  // many ties, some, none
        std::vector<float> values(n);
        for (float& v : values) v = static_cast<float>(rng.NextBelow(distinct)) - distinct / 2.0f;
        std::vector<float> sorted = values;
        std::sort(sorted.begin(), sorted.end(), std::greater<float>());
        for (int64_t k = 0; k < n; ++k) {
          std::vector<float> x = values, a(n + 16), b(n + 16);
          x.resize(n + 16);
          EXPECT_EQ(KthLargestAt(level, x.data(), a.data(), b.data(), n, k), sorted[k])
              << SimdLevelName(level) << " n " << n << " distinct " << distinct << " k " << k;
        }
      }
    }
  }
}

TEST(ReservoirTest, KeepsTheBestByBetterInAnyPushOrder) {
  for (SimdLevel level : AvailableSimdLevels()) {
    const ScopedSimdLevel scoped(level);
    Rng rng(6);
    for (int64_t capacity : {1, 5, 64, 100}) {
      for (int distinct : {4, 100000}) {
        std::vector<Candidate> all(2000);
        for (int64_t i = 0; i < static_cast<int64_t>(all.size()); ++i) {
          all[i] = {static_cast<float>(rng.NextBelow(distinct)), i};
        }
        std::vector<Candidate> expected = all;
        std::sort(expected.begin(), expected.end(), Better);
        expected.resize(capacity);
        // 3 orders, by Push, by OfferMany one at a time and in batches of 1 to 64
        for (int order = 0; order < 9; ++order) {
          std::vector<Candidate> pushed = all;
          if (order % 3 == 1) std::reverse(pushed.begin(), pushed.end());
          if (order % 3 == 2) {
            for (size_t i = pushed.size() - 1; i > 0; --i) {
              std::swap(pushed[i], pushed[rng.NextBelow(i + 1)]);
            }
          }
          Reservoir reservoir(capacity);
          if (order / 3 == 0) {
            for (const Candidate& c : pushed) {
              if (c.key >= reservoir.threshold_key() && reservoir.Accepts(c.key, c.pos)) {
                reservoir.Push(c.key, c.pos);
              }
            }
          } else {
            for (size_t c0 = 0; c0 < pushed.size();) {
              const size_t n =
                  order / 3 == 1 ? 1 : std::min<size_t>(1 + rng.NextBelow(64), pushed.size() - c0);
              std::vector<float> keys;
              std::vector<uint32_t> lanes;
              for (size_t c = c0; c < c0 + n; ++c) {
                keys.push_back(pushed[c].key);
                lanes.push_back(static_cast<uint32_t>(pushed[c].pos));
              }
              reservoir.OfferMany(keys.data(), lanes.data(), 0, static_cast<int64_t>(n));
              c0 += n;
            }
          }
          std::vector<Candidate> kept = reservoir.TakeBest();
          EXPECT_TRUE(
              std::is_sorted(kept.begin(), kept.end(),
                             [](const Candidate& a, const Candidate& b) { return a.pos < b.pos; }));
          std::sort(kept.begin(), kept.end(), Better);
          ASSERT_EQ(kept.size(), expected.size());
          for (size_t i = 0; i < kept.size(); ++i) {
            EXPECT_EQ(kept[i].key, expected[i].key)
                << SimdLevelName(level) << " " << capacity << " " << distinct << " " << order;
            EXPECT_EQ(kept[i].pos, expected[i].pos)
                << SimdLevelName(level) << " " << capacity << " " << distinct << " " << order;
          }
        }
      }
    }
  }
}

TEST(ReservoirTest, NanKeysRankLastWhenPushedAndNeverGetInWhenOffered) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Reservoir pushed(2), offered(2);
  for (Reservoir* r : {&pushed, &offered}) {
    r->Push(1.0f, 0);
    EXPECT_FALSE(r->Accepts(nan, 1));
  }
  pushed.Push(nan, 1);
  const float keys[2] = {nan, 2.0f};
  const uint32_t lanes[2] = {0, 1};
  offered.OfferMany(keys, lanes, 1, 2);
  const std::vector<Candidate> from_push = pushed.TakeBest();
  ASSERT_EQ(from_push.size(), 2u);
  EXPECT_EQ(from_push[1].key, -std::numeric_limits<float>::infinity());
  const std::vector<Candidate> from_many = offered.TakeBest();
  ASSERT_EQ(from_many.size(), 2u);
  EXPECT_EQ(from_many[1].key, 2.0f);
  EXPECT_EQ(from_many[1].pos, 2);
}

}  // namespace
}  // namespace tq
