// Centering (IndexOptions::center): the mean estimate, the smaller estimate error it buys on
// data with a common component, exact scores after it, and the mean's life in the file.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <omp.h>

#include "engine/random.h"
#include "index/centering.h"
#include "index/index.h"
#include "tests/engine_test_util.h"
#include "tests/index_test_util.h"
#include "tests/scratch_dir.h"

namespace tq {
namespace {

using testing::ExactScore;
using testing::MakeIndex;
using testing::Options;

double SquaredNorm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double{x} * x;
  return s;
}

// Gaussian rows plus a common component of squared length `offset_energy` * dim.
std::vector<float> OffsetVectors(int64_t n, int dim, double offset_energy, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> common(dim);
  for (float& c : common) c = static_cast<float>(rng.NextGaussian());
  const double scale = std::sqrt(offset_energy * dim / SquaredNorm(common));
  std::vector<float> x(n * dim);
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < dim; ++j) {
      x[i * dim + j] = static_cast<float>(scale * common[j] + rng.NextGaussian());
    }
  }
  return x;
}

std::vector<float> SampleMean(const std::vector<float>& x, int64_t rows, int dim) {
  std::vector<double> sum(dim, 0.0);
  for (int64_t i = 0; i < rows; ++i) {
    for (int j = 0; j < dim; ++j) sum[j] += x[i * dim + j];
  }
  std::vector<float> mean(dim);
  for (int j = 0; j < dim; ++j) mean[j] = static_cast<float>(sum[j] / rows);
  return mean;
}

TEST(EstimateMean, OneVectorSaysNothingAboutTheSpread) {
  const std::vector<float> x = OffsetVectors(1, 16, 4.0, 1);
  EXPECT_EQ(SquaredNorm(EstimateMean(x.data(), 1, 16)), 0.0);
}

TEST(EstimateMean, KeepsAClearCommonComponent) {
  const int d = 32;
  const std::vector<float> x = OffsetVectors(3000, d, 3.0, 2);
  const std::vector<float> mean = EstimateMean(x.data(), 3000, d);
  const std::vector<float> sample = SampleMean(x, 3000, d);
  // Shrink factor 1 - (d / 3000) / (3 d) ~ 0.9999.
  for (int j = 0; j < d; ++j) EXPECT_NEAR(mean[j], sample[j], 1e-3 * std::abs(sample[j]) + 1e-6);
}

TEST(EstimateMean, ShrinksTheMeanOfPureNoise) {
  const int d = 64;
  const std::vector<float> x = OffsetVectors(10, d, 0.0, 3);
  const double shrunk = SquaredNorm(EstimateMean(x.data(), 10, d));
  const double sample = SquaredNorm(SampleMean(x, 10, d));
  EXPECT_GT(sample, 0.0);
  EXPECT_LT(shrunk, 0.25 * sample);
}

TEST(EstimateMean, SamplesRowsSpreadOverTheWholeBatch) {
  const int d = 8;
  const int64_t n = 2 * kMeanSampleRows;
  std::vector<float> x = OffsetVectors(n, d, 2.0, 4);
  const std::vector<float> before = EstimateMean(x.data(), n, d);
  // The sample is every other row; the others do not count...
  for (int64_t i = 1; i < n; i += 2) std::fill(x.begin() + i * d, x.begin() + (i + 1) * d, 1e6f);
  EXPECT_EQ(EstimateMean(x.data(), n, d), before);
  // ...but the last half does: a batch sorted by anything is not judged by its head.
  for (int64_t j = (n / 2) * d; j < n * d; j += 2 * d) x[j] += 100.0f;
  EXPECT_NE(EstimateMean(x.data(), n, d), before);
}

TEST(EstimateMean, SameBitsAtEveryThreadCount) {
  // Each column's sums keep their row order whichever thread takes the column.
  for (int d : {13, 100, 1536}) {
    const int64_t n = kMeanSampleRows + 100;  // large enough for the threads to split columns
    const std::vector<float> x = OffsetVectors(n, d, 2.0, 5);
    omp_set_num_threads(1);
    const std::vector<float> reference = EstimateMean(x.data(), n, d);
    for (int threads : {2, 3}) {
      omp_set_num_threads(threads);
      EXPECT_EQ(EstimateMean(x.data(), n, d), reference) << "d " << d << ", " << threads;
    }
    omp_set_num_threads(omp_get_num_procs());
  }
}

// Mean squared error of the returned estimates over every stored vector, for 8 queries.
double EstimateError(const Index& index, Metric metric, const std::vector<float>& x, int64_t n,
                     const std::vector<float>& queries) {
  const int d = index.dim();
  SearchParams params;
  params.threads = 1;
  SearchResults results;
  EXPECT_TRUE(index.Search(queries, static_cast<int>(n), params, &results).ok());
  double error = 0;
  for (int64_t q = 0; q < 8; ++q) {
    for (int r = 0; r < results.k; ++r) {
      const int64_t id = results.id(q, r);
      const double exact = ExactScore(metric, queries.data() + q * d, x.data() + id * d, d);
      error += std::pow(results.score(q, r) - exact, 2);
    }
  }
  return error / (8.0 * results.k);
}

TEST(IndexCentering, LowersTheEstimateErrorOnDataWithACommonComponent) {
  const int d = 64;
  const int64_t n = 1500;
  // |mu|^2 = 3 d against a spread of d: quantizing x - mu leaves a quarter of the energy.
  // The queries come from the same distribution (l2 centers them too).
  const std::vector<float> rows = OffsetVectors(n + 8, d, 3.0, 5);
  const std::vector<float> x(rows.begin(), rows.begin() + n * d);
  const std::vector<float> queries(rows.begin() + n * d, rows.end());
  for (Metric metric : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    SCOPED_TRACE(std::string(MetricName(metric)));
    IndexOptions centered = Options(d, 2, metric);
    centered.center = Centering::kFirstBatch;
    IndexOptions plain = centered;
    plain.center = Centering::kNone;
    std::unique_ptr<Index> a = MakeIndex(centered), b = MakeIndex(plain);
    ASSERT_TRUE(a->Add(x).ok());
    ASSERT_TRUE(b->Add(x).ok());
    const double with = EstimateError(*a, metric, x, n, queries);
    const double without = EstimateError(*b, metric, x, n, queries);
    EXPECT_LT(with, 0.5 * without) << with << " vs " << without;
  }
}

// The 8-bit scan's keys carry the same offsets as the exact estimator's: a top 10 equals the
// first 10 of the whole ranking by the exact estimator, for both per-query forms (queries near
// the mean and near the origin).
TEST(IndexCentering, TheScanLosesNothingAgainstTheExactEstimator) {
  const int d = 48;
  const int64_t n = 3000;
  const std::vector<float> rows = OffsetVectors(n + 4, d, 2.0, 17);
  const std::vector<float> x(rows.begin(), rows.begin() + n * d);
  std::vector<float> queries(rows.begin() + n * d, rows.end());
  const std::vector<float> far = testing::RandomVectors(4, d, 18);
  queries.insert(queries.end(), far.begin(), far.end());
  for (Metric metric : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    SCOPED_TRACE(std::string(MetricName(metric)));
    std::unique_ptr<Index> index = MakeIndex(Options(d, 2, metric));
    ASSERT_TRUE(index->Add(x).ok());
    testing::ExpectTopKIsTheHeadOfTheFullRanking(*index, queries, 10);
  }
}

TEST(IndexCentering, RerankedScoresStayExact) {
  const int d = 24;
  const int64_t n = 300;
  const std::vector<float> x = OffsetVectors(n, d, 2.0, 6);
  for (Metric metric : {Metric::kInnerProduct, Metric::kCosine, Metric::kL2}) {
    SCOPED_TRACE(std::string(MetricName(metric)));
    std::unique_ptr<Index> index =
        MakeIndex(Options(d, 3, metric, Variant::kCorrected, KeepVectors::kFloat32));
    ASSERT_TRUE(index->Add(x).ok());
    const std::vector<float> queries = testing::RandomVectors(4, d, 7);
    SearchParams params;
    params.rerank = static_cast<int>(n);
    SearchResults results;
    ASSERT_TRUE(index->Search(queries, 10, params, &results).ok());
    for (int64_t q = 0; q < 4; ++q) {
      const std::vector<int64_t> truth =
          testing::BruteForce(metric, queries.data() + q * d, x.data(), n, d, 10);
      EXPECT_EQ(testing::Row(results, q), truth);
      for (int r = 0; r < 10; ++r) {
        const double exact =
            ExactScore(metric, queries.data() + q * d, x.data() + results.id(q, r) * d, d);
        EXPECT_NEAR(results.score(q, r), exact, 1e-4 * (1 + std::abs(exact)));
      }
    }
  }
}

TEST(IndexCentering, TheFirstBatchFixesTheMean) {
  const int d = 16;
  const std::vector<float> first = OffsetVectors(200, d, 2.0, 8);
  const std::vector<float> second = OffsetVectors(200, d, 9.0, 9);
  std::unique_ptr<Index> index = MakeIndex(Options(d, 4, Metric::kInnerProduct));
  EXPECT_TRUE(index->mean().empty());
  ASSERT_TRUE(index->Add(first).ok());
  const std::vector<float> mean = index->mean();
  EXPECT_EQ(mean, EstimateMean(first.data(), 200, d));
  ASSERT_TRUE(index->Add(second).ok());
  EXPECT_EQ(index->mean(), mean);

  IndexOptions none = Options(d, 4, Metric::kInnerProduct);
  none.center = Centering::kNone;
  std::unique_ptr<Index> plain = MakeIndex(none);
  ASSERT_TRUE(plain->Add(first).ok());
  EXPECT_TRUE(plain->mean().empty());
}

// 5000 rows: the sample (4096 rows spread over the batch) and more than one of Add's slices.
TEST(IndexCentering, CosineTakesTheMeanOfTheUnitVectors) {
  const int d = 16;
  const int64_t n = 5000;
  std::vector<float> x = OffsetVectors(n, d, 2.0, 10);
  std::unique_ptr<Index> index = MakeIndex(Options(d, 4, Metric::kCosine));
  ASSERT_TRUE(index->Add(x).ok());
  for (int64_t i = 0; i < n; ++i) {  // as the index normalises: times 1 / |x| in double
    std::vector<double> squares;
    for (int j = 0; j < d; ++j) squares.push_back(double{x[i * d + j]} * x[i * d + j]);
    const double inverse = 1.0 / std::sqrt(testing_util::BlockedSum(squares));
    for (int j = 0; j < d; ++j) x[i * d + j] = static_cast<float>(x[i * d + j] * inverse);
  }
  EXPECT_EQ(index->mean(), EstimateMean(x.data(), n, d));
}

TEST(IndexCentering, AGivenMeanIsUsedAndChecked) {
  const int d = 8;
  IndexOptions options = Options(d, 2, Metric::kL2);
  options.center = Centering::kGiven;
  options.mean.assign(d, 0.5f);
  std::unique_ptr<Index> index = MakeIndex(options);
  EXPECT_EQ(index->mean(), options.mean);
  ASSERT_TRUE(index->Add(OffsetVectors(50, d, 1.0, 11)).ok());
  EXPECT_EQ(index->mean(), options.mean);

  options.mean.assign(d - 1, 0.5f);
  EXPECT_FALSE(Index::Create(options).ok());
  options.mean.assign(d, 0.5f);
  options.mean[3] = std::nanf("");
  EXPECT_FALSE(Index::Create(options).ok());
  options.mean.assign(d, 0.5f);
  options.center = Centering::kFirstBatch;
  EXPECT_FALSE(Index::Create(options).ok());
}

class IndexCenteringFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeScratchDir("tq_index_centering_test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

SearchResults SearchAll(const Index& index, const std::vector<float>& queries) {
  SearchParams params;
  params.threads = 1;
  SearchResults results;
  EXPECT_TRUE(index.Search(queries, 20, params, &results).ok());
  return results;
}

TEST_F(IndexCenteringFile, SavedMeansReopenAndAddsAfterwardUseThem) {
  const int d = 20;
  const std::vector<float> first = OffsetVectors(300, d, 2.0, 12);
  const std::vector<float> later = OffsetVectors(100, d, 5.0, 13);
  const std::vector<float> queries = testing::RandomVectors(5, d, 14);
  for (Centering center : {Centering::kFirstBatch, Centering::kGiven}) {
    SCOPED_TRACE(std::string(CenteringName(center)));
    IndexOptions options = Options(d, 3, Metric::kL2);
    options.center = center;
    if (center == Centering::kGiven) options.mean.assign(d, -0.25f);
    std::unique_ptr<Index> index = MakeIndex(options);
    ASSERT_TRUE(index->Add(first).ok());
    const std::string path = dir_ + "/centered.tqi";
    ASSERT_TRUE(index->Save(path).ok());
    ASSERT_TRUE(index->Add(later).ok());
    for (bool mmap : {false, true}) {
      absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path, {.mmap = mmap});
      ASSERT_TRUE(opened.ok()) << opened.status();
      EXPECT_EQ((*opened)->options().center, center);
      EXPECT_EQ((*opened)->mean(), index->mean());
      ASSERT_TRUE((*opened)->Add(later).ok());
      const SearchResults a = SearchAll(*index, queries), b = SearchAll(**opened, queries);
      EXPECT_EQ(a.ids, b.ids);
      EXPECT_EQ(a.scores, b.scores);
    }
  }
}

TEST_F(IndexCenteringFile, AnIndexSavedBeforeItsFirstAddTakesTheMeanLater) {
  const int d = 12;
  const std::vector<float> x = OffsetVectors(200, d, 3.0, 15);
  const std::string path = dir_ + "/empty.tqi";
  ASSERT_TRUE(MakeIndex(Options(d, 2, Metric::kInnerProduct))->Save(path).ok());
  absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE((*opened)->mean().empty());
  ASSERT_TRUE((*opened)->Add(x).ok());
  EXPECT_EQ((*opened)->mean(), EstimateMean(x.data(), 200, d));
}

TEST_F(IndexCenteringFile, AFileWithoutCenteringIsStillFormatOneZero) {
  IndexOptions options = Options(16, 2, Metric::kCosine);
  options.center = Centering::kNone;
  std::unique_ptr<Index> index = MakeIndex(options);
  ASSERT_TRUE(index->Add(OffsetVectors(40, 16, 1.0, 16)).ok());
  const std::string plain = dir_ + "/plain.tqi", centered = dir_ + "/centered.tqi";
  ASSERT_TRUE(index->Save(plain).ok());
  options.center = Centering::kFirstBatch;
  std::unique_ptr<Index> other = MakeIndex(options);
  ASSERT_TRUE(other->Add(OffsetVectors(40, 16, 1.0, 16)).ok());
  ASSERT_TRUE(other->Save(centered).ok());
  auto minor = [](const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    unsigned char bytes[12] = {};
    EXPECT_EQ(std::fread(bytes, 1, 12, f), 12u);
    std::fclose(f);
    return bytes[10] | (bytes[11] << 8);
  };
  EXPECT_EQ(minor(plain), 0);
  EXPECT_EQ(minor(centered), 1);
}

}  // namespace
}  // namespace tq
