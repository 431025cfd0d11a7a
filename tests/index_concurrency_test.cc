// Concurrency smoke tests: four threads search while one thread adds (then also removes and
// compacts). Results hold only ids already added, never an acknowledged removal, and the size
// seen by searchers only grows while vectors are only added.
// Also meant for ThreadSanitizer (label `concurrency`; build with -DTQ_SANITIZE=thread).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "index/index.h"
#include "index_test_util.h"

namespace tq {
namespace {

using ::tq::testing::MakeIndex;
using ::tq::testing::Options;
using ::tq::testing::RandomVectors;

constexpr int kDim = 32, kBatch = 300, kBatches = 40, kK = 10, kSearchers = 4;

// Runs kSearchers threads calling `search_and_check` until the writer is done.
class Searchers {
 public:
  template <typename Fn>
  explicit Searchers(Fn fn) {
    for (int t = 0; t < kSearchers; ++t) {
      threads_.emplace_back([this, fn, t] {
        while (!done_.load()) {
          fn(t);
          ++searches_;
        }
      });
    }
  }
  int64_t Join() {
    done_.store(true);
    for (std::thread& t : threads_) t.join();
    return searches_.load();
  }

 private:
  std::atomic<bool> done_{false};
  std::atomic<int64_t> searches_{0};
  std::vector<std::thread> threads_;
};

SearchParams ParamsFor(int thread) {
  SearchParams params;
  params.threads = thread % 2 == 0 ? 1 : 0;  // 0: OpenMP's default (set OMP_NUM_THREADS=1 for TSan)
  params.rerank = thread >= 2 ? 20 : 0;
  return params;
}

TEST(IndexConcurrencyTest, SearchersSeeAConsistentPrefixOfTheAdds) {
  auto index = MakeIndex(Options(kDim, 4, Metric::kL2, Variant::kCorrected, KeepVectors::kFloat16));
  const std::vector<float> x = RandomVectors(int64_t{kBatch} * kBatches, kDim, 1);
  const std::vector<float> queries = RandomVectors(8, kDim, 2);
  std::atomic<int64_t> started{0};       // ids below this may have been added
  std::atomic<int64_t> acknowledged{0};  // ids below this were added (Add returned)
  std::atomic<int> failures{0};
  std::vector<int64_t> last_size(kSearchers, 0);
  Searchers searchers([&](int t) {
    const int64_t floor = acknowledged.load();
    SearchResults r;
    if (!index->Search(queries, kK, ParamsFor(t), &r).ok()) ++failures;
    const int64_t size = index->size();
    const int64_t ceiling = started.load();
    for (int64_t id : r.ids) {
      if (id < -1 || id >= ceiling) ++failures;  // ids are 0, 1, ... in add order
      if (floor >= kK && id == -1) ++failures;   // what was acknowledged is visible
    }
    if (size < last_size[t] || size < floor || size > ceiling) ++failures;
    last_size[t] = size;
  });
  for (int b = 0; b < kBatches; ++b) {
    started.store(int64_t{kBatch} * (b + 1));
    ASSERT_TRUE(index->Add(x.data() + int64_t{b} * kBatch * kDim, kBatch).ok());
    acknowledged.store(int64_t{kBatch} * (b + 1));
  }
  const int64_t searches = searchers.Join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(searches, kSearchers);
  EXPECT_EQ(index->size(), int64_t{kBatch} * kBatches);
  std::printf("%lld searches during %d adds\n", static_cast<long long>(searches), kBatches);
}

TEST(IndexConcurrencyTest, RemovedIdsStayRemovedWhileWriting) {
  auto index = MakeIndex(Options(kDim, 3, Metric::kCosine, Variant::kProd, KeepVectors::kFloat32));
  const std::vector<float> x = RandomVectors(int64_t{kBatch} * kBatches, kDim, 3);
  const std::vector<float> queries = RandomVectors(8, kDim, 4);
  std::atomic<int64_t> started{0};
  std::atomic<int64_t> settled{0};  // below this, every multiple of 7 has been removed
  std::atomic<int> failures{0};
  Searchers searchers([&](int t) {
    const int64_t floor = settled.load();
    SearchResults r;
    if (!index->Search(queries, kK, ParamsFor(t), &r).ok()) ++failures;
    const int64_t ceiling = started.load();
    for (int64_t id : r.ids) {
      if (id < -1 || id >= ceiling) ++failures;
      if (id >= 0 && id % 7 == 0 && id < floor) ++failures;
    }
  });
  for (int b = 0; b < kBatches; ++b) {
    started.store(int64_t{kBatch} * (b + 1));
    ASSERT_TRUE(index->Add(x.data() + int64_t{b} * kBatch * kDim, kBatch).ok());
    std::vector<uint64_t> gone;
    for (int64_t id = int64_t{b} * kBatch; id < int64_t{b + 1} * kBatch; ++id) {
      if (id % 7 == 0) gone.push_back(id);
    }
    ASSERT_TRUE(index->Remove(gone).ok());
    settled.store(int64_t{kBatch} * (b + 1));
    if (b % 10 == 9) {
      ASSERT_TRUE(index->Compact().ok());
    }
  }
  const int64_t searches = searchers.Join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(searches, kSearchers);
}

}  // namespace
}  // namespace tq
