// Shared helpers of the index tests: random data, index creation, brute-force ground truth.
#ifndef TQ_TESTS_INDEX_TEST_UTIL_H_
#define TQ_TESTS_INDEX_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "engine/random.h"
#include "index/index.h"

namespace tq::testing {

// Gaussian vectors with a per-vector norm spread (0.5 .. 2), so norms matter for ip and l2.
inline std::vector<float> RandomVectors(int64_t n, int dim, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n * dim);
  for (int64_t i = 0; i < n; ++i) {
    const float scale = static_cast<float>(0.5 + 1.5 * rng.NextDouble());
    for (int j = 0; j < dim; ++j) x[i * dim + j] = scale * static_cast<float>(rng.NextGaussian());
  }
  return x;
}

inline std::unique_ptr<Index> MakeIndex(const IndexOptions& options) {
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Create(options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

inline IndexOptions Options(int dim, int bits, Metric metric, Variant variant = Variant::kCorrected,
                            KeepVectors keep = KeepVectors::kNone) {
  IndexOptions options;
  options.dim = dim;
  options.bits = bits;
  options.metric = metric;
  options.variant = variant;
  options.keep_vectors = keep;
  return options;
}

// The metric's exact score of vector x for query q (cosine normalises both).
inline double ExactScore(Metric metric, const float* q, const float* x, int dim) {
  double dot = 0, qq = 0, xx = 0, l2 = 0;
  for (int j = 0; j < dim; ++j) {
    dot += double{q[j]} * x[j];
    qq += double{q[j]} * q[j];
    xx += double{x[j]} * x[j];
    l2 += (double{q[j]} - x[j]) * (double{q[j]} - x[j]);
  }
  switch (metric) {
    case Metric::kInnerProduct:
      return dot;
    case Metric::kCosine:
      return dot / std::sqrt(qq * xx);
    case Metric::kL2:
      return l2;
  }
  return 0;
}

// Row indices of the k best rows of `x` for query q, nearest first (ties: lower row).
inline std::vector<int64_t> BruteForce(Metric metric, const float* q, const float* x, int64_t n,
                                       int dim, int k) {
  std::vector<double> score(n);
  for (int64_t i = 0; i < n; ++i) score[i] = ExactScore(metric, q, x + i * dim, dim);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const int64_t top = std::min<int64_t>(k, n);
  const bool smaller = metric == Metric::kL2;
  std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](int64_t a, int64_t b) {
    if (score[a] != score[b]) return smaller ? score[a] < score[b] : score[a] > score[b];
    return a < b;
  });
  order.resize(top);
  return order;
}

// |found ∩ truth| / |truth|.
inline double Overlap(const std::vector<int64_t>& found, const std::vector<int64_t>& truth) {
  int hits = 0;
  for (int64_t t : truth) hits += std::count(found.begin(), found.end(), t) > 0;
  return truth.empty() ? 1.0 : static_cast<double>(hits) / truth.size();
}

inline std::vector<int64_t> Row(const SearchResults& r, int64_t q) {
  return std::vector<int64_t>(r.ids_of(q).begin(), r.ids_of(q).end());
}

// The 8-bit scan loses nothing: for every query, a top `k` search equals the head of the whole
// ranking (a search for every live vector, which the exact estimator orders), ids and scores.
inline void ExpectTopKIsTheHeadOfTheFullRanking(const Index& index,
                                                const std::vector<float>& queries, int k) {
  SearchResults top, all;
  ASSERT_TRUE(index.Search(queries, k, {}, &top).ok());
  ASSERT_TRUE(index.Search(queries, static_cast<int>(index.size()), {}, &all).ok());
  for (int64_t q = 0; q < top.num_queries; ++q) {
    for (int r = 0; r < k; ++r) {
      EXPECT_EQ(top.id(q, r), all.id(q, r)) << "query " << q << " rank " << r;
      EXPECT_EQ(top.score(q, r), all.score(q, r)) << "query " << q << " rank " << r;
    }
  }
}

}  // namespace tq::testing

#endif  // TQ_TESTS_INDEX_TEST_UTIL_H_
