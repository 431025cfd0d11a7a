// The Product Quantization baseline: k-means finds clusters and never worsens its objective; PQ
// codes, padding, the asymmetric-distance scan, code sizes, determinism and recall on GloVe.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "benchmarks/baselines/kmeans.h"
#include "benchmarks/baselines/product_quantizer.h"
#include "engine/random.h"
#include "io/ann_hdf5.h"

namespace tq::baselines {
namespace {

std::vector<float> Gaussian(int64_t n, int dim, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (float& x : v) x = static_cast<float>(rng.NextGaussian());
  return v;
}

double Score(Similarity similarity, const float* q, const float* x, int dim) {
  double sum = 0.0;
  for (int c = 0; c < dim; ++c) {
    sum += similarity == Similarity::kInnerProduct
               ? static_cast<double>(q[c]) * x[c]
               : (static_cast<double>(q[c]) - x[c]) * (static_cast<double>(q[c]) - x[c]);
  }
  return sum;
}

// Ids of the k best rows of `base` for q by exact scores, best first (ties: lower id).
std::vector<int64_t> BruteForce(Similarity similarity, const float* q, const float* base, int64_t n,
                                int dim, int k) {
  std::vector<double> s(n);
  for (int64_t i = 0; i < n; ++i) {
    const double v = Score(similarity, q, base + i * dim, dim);
    s[i] = similarity == Similarity::kInnerProduct ? -v : v;
  }
  std::vector<int64_t> ids(n);
  std::iota(ids.begin(), ids.end(), int64_t{0});
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int64_t a, int64_t b) { return s[a] < s[b] || (s[a] == s[b] && a < b); });
  ids.resize(k);
  return ids;
}

std::unique_ptr<PqIndex> BuildOrDie(const std::vector<float>& base, int dim, Similarity sim,
                                    ProductQuantizerOptions options) {
  absl::StatusOr<std::unique_ptr<PqIndex>> index =
      PqIndex::Build(base.data(), static_cast<int64_t>(base.size()) / dim, dim, sim, options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

// ---------------------------------------------------------------------------------------------
// k-means

TEST(KMeansTest, FindsWellSeparatedClusters) {
  constexpr int kDim = 4, kClusters = 8, kPerCluster = 250;
  Rng rng(7);
  std::vector<float> centers(kClusters * kDim);
  for (int j = 0; j < kClusters; ++j) {
    for (int c = 0; c < kDim; ++c) centers[j * kDim + c] = ((j >> (c % 3)) & 1) * 50.0f + 20.0f * c;
  }
  std::vector<float> points;
  std::vector<int> label;
  for (int i = 0; i < kClusters * kPerCluster; ++i) {
    const int j = i % kClusters;  // interleaved, so the order says nothing
    for (int c = 0; c < kDim; ++c) {
      points.push_back(centers[j * kDim + c] + static_cast<float>(rng.NextGaussian()));
    }
    label.push_back(j);
  }
  KMeansOptions options;
  options.k = kClusters;
  options.seed = 3;
  absl::StatusOr<KMeansResult> r = RunKMeans(points.data(), kClusters * kPerCluster, kDim, options);
  ASSERT_TRUE(r.ok()) << r.status();
  // Each true cluster maps to one found cluster, and no two share one.
  std::vector<int> found_for(kClusters, -1);
  for (int i = 0; i < kClusters * kPerCluster; ++i) {
    if (found_for[label[i]] < 0) found_for[label[i]] = r->assignment[i];
    EXPECT_EQ(found_for[label[i]], r->assignment[i]) << "point " << i;
  }
  std::vector<int> sorted = found_for;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  // Centroids sit at the true centres (250 points of unit noise: standard error ~0.06).
  for (int j = 0; j < kClusters; ++j) {
    for (int c = 0; c < kDim; ++c) {
      EXPECT_NEAR(r->centroids[found_for[j] * kDim + c], centers[j * kDim + c], 0.3);
    }
  }
  EXPECT_LT(r->iterations_run, 25);  // converges, and says so
}

TEST(KMeansTest, ObjectiveNeverIncreases) {
  constexpr int kDim = 4;
  constexpr int64_t kN = 6000;
  const std::vector<float> points = Gaussian(kN, kDim, 11);
  KMeansOptions options;
  options.k = 256;
  options.seed = 5;
  absl::StatusOr<KMeansResult> r = RunKMeans(points.data(), kN, kDim, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->objective.size(), static_cast<size_t>(r->iterations_run));
  ASSERT_GE(r->iterations_run, 10);
  for (size_t t = 1; t < r->objective.size(); ++t) {
    EXPECT_LE(r->objective[t], r->objective[t - 1] * (1 + 1e-6)) << "iteration " << t;
  }
  EXPECT_LT(r->objective.back(), 0.8 * r->objective.front());
  // The recorded objective is the true one for the final assignment (before the last update).
  double recomputed = 0.0;
  std::vector<float> by_dim = TransposeCentroids(r->centroids.data(), 256, kDim);
  for (int64_t i = 0; i < kN; ++i) {
    float d;
    NearestCentroid(by_dim.data(), 256, kDim, points.data() + i * kDim, &d);
    recomputed += d;
  }
  EXPECT_LE(recomputed, r->objective.back() * (1 + 1e-6));
}

TEST(KMeansTest, SameResultForAnyThreadCount) {
  constexpr int kDim = 8;
  constexpr int64_t kN = 9000;  // several k-means++ blocks, and enough work to go parallel
  const std::vector<float> points = Gaussian(kN, kDim, 12);
  KMeansOptions options;
  options.k = 64;
  options.seed = 9;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  absl::StatusOr<KMeansResult> one = RunKMeans(points.data(), kN, kDim, options);
  omp_set_num_threads(3);
  absl::StatusOr<KMeansResult> three = RunKMeans(points.data(), kN, kDim, options);
  omp_set_num_threads(saved);
  ASSERT_TRUE(one.ok() && three.ok());
  EXPECT_EQ(one->centroids, three->centroids);
  EXPECT_EQ(one->objective, three->objective);
  options.seed = 10;
  absl::StatusOr<KMeansResult> other = RunKMeans(points.data(), kN, kDim, options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(one->centroids, other->centroids);
}

TEST(KMeansTest, FewerDistinctPointsThanClusters) {
  // 10 distinct points, each 5 times, into 16 clusters: every point ends on a centroid.
  constexpr int kDim = 3;
  const std::vector<float> distinct = Gaussian(10, kDim, 13);
  std::vector<float> points;
  for (int rep = 0; rep < 5; ++rep) points.insert(points.end(), distinct.begin(), distinct.end());
  KMeansOptions options;
  options.k = 16;
  absl::StatusOr<KMeansResult> r = RunKMeans(points.data(), 50, kDim, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->objective.back(), 0.0);
  for (int i = 0; i < 50; ++i) {
    for (int c = 0; c < kDim; ++c) {
      EXPECT_EQ(r->centroids[r->assignment[i] * kDim + c], points[i * kDim + c]);
    }
  }
  // And fewer points than clusters works too.
  r = RunKMeans(distinct.data(), 10, kDim, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->objective.back(), 0.0);
}

TEST(KMeansTest, RepairsEmptyClusters) {
  // All 32 centroids start on one spot: the first assignment puts every point in cluster 0
  // (ties go to the lowest index) and leaves 31 empty, each reseeded from a far point.
  constexpr int kDim = 2, kK = 32;
  const std::vector<float> points = Gaussian(400, kDim, 14);
  const std::vector<float> start(kK * kDim, 0.5f);
  KMeansOptions options;
  options.k = kK;
  options.initial_centroids = start.data();
  absl::StatusOr<KMeansResult> r = RunKMeans(points.data(), 400, kDim, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->empty_clusters_repaired, kK - 1);
  std::vector<int> count(kK);
  for (int32_t a : r->assignment) ++count[a];
  for (int j = 0; j < kK; ++j) EXPECT_GT(count[j], 0) << "cluster " << j;
  for (size_t t = 1; t < r->objective.size(); ++t) {
    EXPECT_LE(r->objective[t], r->objective[t - 1] * (1 + 1e-6)) << "iteration " << t;
  }
  // As good as a k-means++ start, give or take.
  options.initial_centroids = nullptr;
  absl::StatusOr<KMeansResult> plus = RunKMeans(points.data(), 400, kDim, options);
  ASSERT_TRUE(plus.ok());
  EXPECT_LT(r->objective.back(), 1.5 * plus->objective.back());
}

TEST(KMeansTest, MaxTrainSubsamples) {
  const std::vector<float> points = Gaussian(1000, 2, 15);
  KMeansOptions options;
  options.k = 8;
  options.max_train = 300;
  absl::StatusOr<KMeansResult> r = RunKMeans(points.data(), 1000, 2, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->train_rows.size(), 300u);
  EXPECT_EQ(r->assignment.size(), 300u);
  EXPECT_TRUE(std::is_sorted(r->train_rows.begin(), r->train_rows.end()));
  EXPECT_EQ(std::adjacent_find(r->train_rows.begin(), r->train_rows.end()), r->train_rows.end());
  EXPECT_LT(r->train_rows.back(), 1000);
  EXPECT_GT(r->train_rows.back(), 500);  // spread over the rows, not a prefix
}

TEST(KMeansTest, RejectsBadInput) {
  std::vector<float> points = Gaussian(10, 2, 16);
  KMeansOptions options;
  options.k = 0;
  EXPECT_EQ(RunKMeans(points.data(), 10, 2, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.k = 4;
  points[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(RunKMeans(points.data(), 10, 2, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunKMeans(points.data(), 0, 2, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Product Quantization

struct ExactCase {
  int dim;
  int bits;
};

// 256 distinct points and 256 centroids: every point is its own centroid in every sub-space, so
// codes are lossless and the ADC scan ranks exactly as brute force. Odd dims exercise padding.
TEST(PqIndexTest, ExactOn256Points) {
  for (const ExactCase& tc : {ExactCase{16, 4}, ExactCase{16, 2}, ExactCase{16, 1},
                              ExactCase{25, 2}, ExactCase{25, 4}, ExactCase{13, 1}}) {
    for (Similarity sim : {Similarity::kInnerProduct, Similarity::kL2}) {
      SCOPED_TRACE(::testing::Message()
                   << "dim " << tc.dim << " bits " << tc.bits << " sim " << static_cast<int>(sim));
      const std::vector<float> base = Gaussian(256, tc.dim, 100 + tc.dim);
      ProductQuantizerOptions options;
      options.bits_per_dim = tc.bits;
      options.seed = 1;
      std::unique_ptr<PqIndex> index = BuildOrDie(base, tc.dim, sim, options);
      ASSERT_NE(index, nullptr);
      std::vector<float> decoded(tc.dim);
      for (int64_t i = 0; i < 256; ++i) {
        index->Reconstruct(i, decoded.data());
        for (int c = 0; c < tc.dim; ++c) ASSERT_EQ(decoded[c], base[i * tc.dim + c]) << i;
      }
      const std::vector<float> queries = Gaussian(20, tc.dim, 200 + tc.dim);
      constexpr int kK = 10;
      std::vector<int64_t> ids(kK);
      std::vector<float> scores(kK);
      for (int q = 0; q < 20; ++q) {
        index->Search(queries.data() + q * tc.dim, kK, ids.data(), scores.data());
        EXPECT_EQ(ids, BruteForce(sim, queries.data() + q * tc.dim, base.data(), 256, tc.dim, kK))
            << "query " << q;
      }
    }
  }
}

TEST(PqIndexTest, ScoresAreExactDistancesToDecodedVectors) {
  constexpr int kDim = 30;  // 2 bits: 4 coordinates per sub-space, the last padded with 2 zeros
  constexpr int64_t kN = 3000;
  constexpr int kK = 25;
  const std::vector<float> base = Gaussian(kN, kDim, 21);
  const std::vector<float> queries = Gaussian(10, kDim, 22);
  for (Similarity sim : {Similarity::kInnerProduct, Similarity::kL2}) {
    ProductQuantizerOptions options;
    options.bits_per_dim = 2;
    std::unique_ptr<PqIndex> index = BuildOrDie(base, kDim, sim, options);
    ASSERT_NE(index, nullptr);
    std::vector<float> decoded(kN * kDim);
    for (int64_t i = 0; i < kN; ++i) index->Reconstruct(i, decoded.data() + i * kDim);
    std::vector<int64_t> ids(kK);
    std::vector<float> scores(kK);
    for (int q = 0; q < 10; ++q) {
      const float* query = queries.data() + q * kDim;
      index->Search(query, kK, ids.data(), scores.data());
      const std::vector<int64_t> truth = BruteForce(sim, query, decoded.data(), kN, kDim, kK);
      for (int j = 0; j < kK; ++j) {
        const double exact = Score(sim, query, decoded.data() + ids[j] * kDim, kDim);
        EXPECT_NEAR(scores[j], exact, 1e-4 * (1 + std::abs(exact))) << "query " << q;
        if (j > 0 && sim == Similarity::kInnerProduct) {
          EXPECT_GE(scores[j - 1], scores[j]);
        } else if (j > 0) {
          EXPECT_LE(scores[j - 1], scores[j]);
        }
        // Same ranking as brute force on the decoded vectors, up to float rounding.
        const double truth_score = Score(sim, query, decoded.data() + truth[j] * kDim, kDim);
        EXPECT_NEAR(exact, truth_score, 1e-4 * (1 + std::abs(exact)));
      }
    }
  }
}

TEST(PqIndexTest, FewerVectorsThanK) {
  const std::vector<float> base = Gaussian(5, 8, 23);
  std::unique_ptr<PqIndex> index = BuildOrDie(base, 8, Similarity::kL2, {.bits_per_dim = 4});
  ASSERT_NE(index, nullptr);
  std::vector<int64_t> ids(8);
  std::vector<float> scores(8);
  index->Search(base.data(), 8, ids.data(), scores.data());
  EXPECT_EQ(ids[0], 0);
  EXPECT_EQ(scores[0], 0.0f);  // 5 points, 256 centroids: exact
  for (int j = 5; j < 8; ++j) EXPECT_EQ(ids[j], -1);
  std::vector<int64_t> sorted(ids.begin(), ids.begin() + 5);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(PqIndexTest, CodeSizesAndNames) {
  struct Case {
    int dim;
    int bits;
    int bytes;
  };
  for (const Case& tc : {Case{100, 2, 25}, Case{100, 4, 50}, Case{25, 2, 7}, Case{25, 4, 13},
                         Case{25, 1, 4}, Case{200, 2, 50}, Case{960, 4, 480}, Case{1536, 2, 384},
                         Case{3072, 4, 1536}, Case{256, 1, 32}}) {
    SCOPED_TRACE(::testing::Message() << "dim " << tc.dim << " bits " << tc.bits);
    const std::vector<float> base = Gaussian(64, tc.dim, tc.dim);
    ProductQuantizerOptions options;
    options.bits_per_dim = tc.bits;
    options.centroids = 16;  // keep the big dims quick; the code is still one byte per sub-space
    options.iterations = 2;
    std::unique_ptr<PqIndex> index = BuildOrDie(base, tc.dim, Similarity::kL2, options);
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->bytes_per_vector(), tc.bytes);
    EXPECT_EQ(index->bits_per_dim(), tc.bits);
    EXPECT_EQ(index->name(), "pq" + std::to_string(tc.bits));
    EXPECT_EQ(index->size(), 64);
    EXPECT_EQ(index->codes().size(), 64u * tc.bytes);
    EXPECT_EQ(index->quantizer().sub_dim(), 8 / tc.bits);
    for (uint8_t c : index->codes()) ASSERT_LT(c, 16);
    EXPECT_GE(index->build_times().train_seconds, 0.0);
    EXPECT_GE(index->build_times().encode_seconds, 0.0);
  }
}

double ReconstructionMse(const PqIndex& index, const std::vector<float>& base, int dim) {
  std::vector<float> decoded(dim);
  double sum = 0.0;
  const int64_t n = static_cast<int64_t>(base.size()) / dim;
  for (int64_t i = 0; i < n; ++i) {
    index.Reconstruct(i, decoded.data());
    for (int c = 0; c < dim; ++c) sum += std::pow(decoded[c] - base[i * dim + c], 2);
  }
  return sum / (n * dim);
}

TEST(PqIndexTest, FourBitsReconstructBetterThanTwo) {
  constexpr int kDim = 64;
  const std::vector<float> base = Gaussian(8000, kDim, 31);
  std::unique_ptr<PqIndex> pq2 = BuildOrDie(base, kDim, Similarity::kL2, {.bits_per_dim = 2});
  std::unique_ptr<PqIndex> pq4 = BuildOrDie(base, kDim, Similarity::kL2, {.bits_per_dim = 4});
  ASSERT_TRUE(pq2 && pq4);
  const double mse2 = ReconstructionMse(*pq2, base, kDim);
  const double mse4 = ReconstructionMse(*pq4, base, kDim);
  // Per coordinate of N(0, 1): 2 bits leave about 0.1 (4-d k-means, 256 cells), 4 bits ~0.01.
  EXPECT_LT(mse2, 0.2);
  EXPECT_LT(mse4, 0.4 * mse2);
}

TEST(PqIndexTest, DeterministicForSeedAndThreadCount) {
  constexpr int kDim = 20;
  const std::vector<float> base = Gaussian(3000, kDim, 41);
  ProductQuantizerOptions options;
  options.bits_per_dim = 2;
  options.seed = 77;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  std::unique_ptr<PqIndex> a = BuildOrDie(base, kDim, Similarity::kL2, options);
  omp_set_num_threads(2);
  std::unique_ptr<PqIndex> b = BuildOrDie(base, kDim, Similarity::kL2, options);
  omp_set_num_threads(saved);
  std::unique_ptr<PqIndex> c = BuildOrDie(base, kDim, Similarity::kL2, options);
  options.seed = 78;
  std::unique_ptr<PqIndex> other = BuildOrDie(base, kDim, Similarity::kL2, options);
  ASSERT_TRUE(a && b && c && other);
  auto same = [](const PqIndex& x, const PqIndex& y) {
    return std::ranges::equal(x.codes(), y.codes()) &&
           std::ranges::equal(x.quantizer().centroids(), y.quantizer().centroids());
  };
  EXPECT_TRUE(same(*a, *b));
  EXPECT_TRUE(same(*a, *c));
  EXPECT_FALSE(same(*a, *other));
}

TEST(PqIndexTest, MaxTrainAndProgress) {
  constexpr int kDim = 16;
  const std::vector<float> base = Gaussian(4000, kDim, 51);
  std::vector<std::string> lines;
  ProductQuantizerOptions options;
  options.bits_per_dim = 4;
  options.max_train = 1000;
  options.progress = [&](std::string_view line) { lines.emplace_back(line); };
  std::unique_ptr<PqIndex> index = BuildOrDie(base, kDim, Similarity::kL2, options);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->size(), 4000);  // trained on 1000, encodes all
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("8/8 sub-spaces on 1000 rows"), std::string::npos) << lines.back();
  // Still a sensible quantizer on the rows it never saw.
  EXPECT_LT(ReconstructionMse(*index, base, kDim), 0.05);
}

TEST(PqIndexTest, RejectsBadOptions) {
  const std::vector<float> base = Gaussian(100, 8, 61);
  auto code = [&](ProductQuantizerOptions o, int dim = 8) {
    return PqIndex::Build(base.data(), 100, dim, Similarity::kL2, o).status().code();
  };
  EXPECT_EQ(code({.bits_per_dim = 3}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.bits_per_dim = 4, .centroids = 257}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.dim = 7, .bits_per_dim = 4}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.bits_per_dim = 4, .iterations = 0}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.bits_per_dim = 4}, 0), absl::StatusCode::kInvalidArgument);
  std::vector<float> bad = base;
  bad[123] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(PqIndex::Build(bad.data(), 100, 8, Similarity::kL2, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Real embeddings: the first rows of GloVe-100 (angular: normalised, inner product).

TEST(PqIndexTest, GloveFourBitsRecallAboveTwoBits) {
  const std::string path = std::string(TQ_SHARED_DATASETS) + "/glove-100-angular.hdf5";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  constexpr int64_t kRows = 5000, kQueries = 200;
  constexpr int kK = 10;
  absl::StatusOr<io::AnnHdf5Reader> reader = io::AnnHdf5Reader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<float>> train = reader->ReadFloatRows("train", 0, kRows);
  absl::StatusOr<std::vector<float>> test = reader->ReadFloatRows("test", 0, kQueries);
  ASSERT_TRUE(train.ok() && test.ok());
  const int dim = static_cast<int>(train->size() / kRows);
  auto normalise = [dim](std::vector<float>& v) {
    for (size_t i = 0; i < v.size(); i += dim) {
      double norm = 0.0;
      for (int c = 0; c < dim; ++c) norm += static_cast<double>(v[i + c]) * v[i + c];
      if (norm == 0.0) continue;  // GloVe has a few all-zero rows
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (int c = 0; c < dim; ++c) v[i + c] *= inv;
    }
  };
  normalise(*train);
  normalise(*test);
  std::vector<std::vector<int64_t>> truth(kQueries);
  for (int64_t q = 0; q < kQueries; ++q) {
    truth[q] = BruteForce(Similarity::kInnerProduct, test->data() + q * dim, train->data(), kRows,
                          dim, kK);
  }
  auto recall = [&](int bits) {
    std::unique_ptr<PqIndex> index =
        BuildOrDie(*train, dim, Similarity::kInnerProduct, {.bits_per_dim = bits});
    if (index == nullptr) return 0.0;
    std::vector<int64_t> ids(kK);
    std::vector<float> scores(kK);
    int64_t hits = 0;
    for (int64_t q = 0; q < kQueries; ++q) {
      index->Search(test->data() + q * dim, kK, ids.data(), scores.data());
      for (int64_t id : ids) hits += std::count(truth[q].begin(), truth[q].end(), id);
    }
    return static_cast<double>(hits) / (kQueries * kK);
  };
  const double recall2 = recall(2);
  const double recall4 = recall(4);
  std::printf("GloVe-100 first %lld rows, recall 10@10: pq2 %.3f, pq4 %.3f\n",
              static_cast<long long>(kRows), recall2, recall4);
  EXPECT_GT(recall2, 0.2);
  EXPECT_GT(recall4, recall2 + 0.15);
}

}  // namespace
}  // namespace tq::baselines
