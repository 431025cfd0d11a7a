// The scan's reservoir: KthLargest is the k-th value of a descending sort, and a Reservoir keeps
// exactly the best `capacity` candidates by Better whatever order they are pushed in, ties
// included (the index's results must not depend on thread count or SIMD level).
#include "index/top_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "engine/random.h"

namespace tq {
namespace {

TEST(KthLargestTest, EqualsTheSortedValueForEveryK) {
  Rng rng(5);
  for (int64_t n : {1, 2, 3, 17, 256}) {
    for (int distinct : {1, 3, 1000}) {  // many ties, some, none
      std::vector<float> values(n);
      for (float& v : values) v = static_cast<float>(rng.NextBelow(distinct)) - distinct / 2.0f;
      std::vector<float> sorted = values;
      std::sort(sorted.begin(), sorted.end(), std::greater<float>());
      for (int64_t k = 0; k < n; ++k) {
        std::vector<float> x = values, a(n), b(n);
        EXPECT_EQ(KthLargest(x.data(), a.data(), b.data(), n, k), sorted[k])
            << "n " << n << " distinct " << distinct << " k " << k;
      }
    }
  }
}

TEST(ReservoirTest, KeepsTheBestByBetterInAnyPushOrder) {
  Rng rng(6);
  for (int64_t capacity : {1, 5, 64}) {
    for (int distinct : {4, 100000}) {
      std::vector<Candidate> all(2000);
      for (int64_t i = 0; i < static_cast<int64_t>(all.size()); ++i) {
        all[i] = {static_cast<float>(rng.NextBelow(distinct)), i};
      }
      std::vector<Candidate> expected = all;
      std::sort(expected.begin(), expected.end(), Better);
      expected.resize(capacity);
      for (int order = 0; order < 3; ++order) {
        std::vector<Candidate> pushed = all;
        if (order == 1) std::reverse(pushed.begin(), pushed.end());
        if (order == 2) {
          for (size_t i = pushed.size() - 1; i > 0; --i) {
            std::swap(pushed[i], pushed[rng.NextBelow(i + 1)]);
          }
        }
        Reservoir reservoir(capacity);
        for (const Candidate& c : pushed) {
          if (c.key >= reservoir.threshold_key() && reservoir.Accepts(c.key, c.pos)) {
            reservoir.Push(c.key, c.pos);
          }
        }
        const std::vector<Candidate> kept = reservoir.TakeSorted();
        ASSERT_EQ(kept.size(), expected.size());
        for (size_t i = 0; i < kept.size(); ++i) {
          EXPECT_EQ(kept[i].key, expected[i].key) << capacity << " " << distinct << " " << order;
          EXPECT_EQ(kept[i].pos, expected[i].pos) << capacity << " " << distinct << " " << order;
        }
      }
    }
  }
}

}  // namespace
}  // namespace tq
