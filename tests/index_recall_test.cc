// Recall on real embeddings (GloVe-100, cosine): the index's 8-bit scan + exact rescoring
// ranks as well as a brute-force scan with TurboQuantizer::EstimateInnerProduct on the same
// codes, and rerank with kept vectors is nearly exact. Skipped when the file is absent.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "index/index.h"
#include "index_test_util.h"
#include "io/ann_hdf5.h"

namespace tq {
namespace {

using ::tq::testing::BruteForce;
using ::tq::testing::MakeIndex;
using ::tq::testing::Options;
using ::tq::testing::Overlap;
using ::tq::testing::Row;

constexpr int64_t kRows = 30000;
constexpr int64_t kQueries = 300;
constexpr int kK = 10;

class GloveRecallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string path = std::string(TQ_SHARED_DATASETS) + "/glove-100-angular.hdf5";
    if (!std::filesystem::exists(path)) return;
    absl::StatusOr<io::AnnHdf5Reader> reader = io::AnnHdf5Reader::Open(path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    absl::StatusOr<io::DatasetShape> shape = reader->Shape("train");
    ASSERT_TRUE(shape.ok()) << shape.status();
    dim_ = static_cast<int>(shape->cols);
    absl::StatusOr<std::vector<float>> train = reader->ReadFloatRows("train", 0, kRows);
    absl::StatusOr<std::vector<float>> test = reader->ReadFloatRows("test", 0, kQueries);
    ASSERT_TRUE(train.ok()) << train.status();
    ASSERT_TRUE(test.ok()) << test.status();
    train_ = new std::vector<float>(*std::move(train));
    test_ = new std::vector<float>(*std::move(test));
    // GloVe has a few all-zero rows, which have no cosine: replace them with a tiny e_0.
    for (int64_t i = 0; i < kRows; ++i) {
      bool zero = true;
      for (int j = 0; j < dim_; ++j) zero &= (*train_)[i * dim_ + j] == 0.0f;
      if (zero) (*train_)[i * dim_] = 1e-6f;
    }
    truth_ = new std::vector<std::vector<int64_t>>(kQueries);
#pragma omp parallel for schedule(dynamic)
    for (int64_t q = 0; q < kQueries; ++q) {
      (*truth_)[q] =
          BruteForce(Metric::kCosine, test_->data() + q * dim_, train_->data(), kRows, dim_, kK);
    }
  }
  static void TearDownTestSuite() {
    delete train_;
    delete test_;
    delete truth_;
  }
  void SetUp() override {
    if (train_ == nullptr) GTEST_SKIP() << "glove-100-angular.hdf5 not in " TQ_SHARED_DATASETS;
  }

  static double Recall(const SearchResults& r) {
    double sum = 0;
    for (int64_t q = 0; q < kQueries; ++q) sum += Overlap(Row(r, q), (*truth_)[q]);
    return sum / kQueries;
  }

  static inline int dim_ = 0;
  static inline std::vector<float>* train_ = nullptr;
  static inline std::vector<float>* test_ = nullptr;
  static inline std::vector<std::vector<int64_t>>* truth_ = nullptr;
};

TEST_F(GloveRecallTest, ScanLosesNothingAgainstTheFloatEstimator) {
  for (Variant variant : {Variant::kCorrected, Variant::kProd}) {
    SCOPED_TRACE(std::string(VariantName(variant)));
    // Uncentered, so that the quantizer's own estimator is the reference.
    IndexOptions options = Options(dim_, 4, Metric::kCosine, variant);
    options.center = Centering::kNone;
    auto index = MakeIndex(options);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(index->Add(*train_).ok());
    const auto added = std::chrono::steady_clock::now();
    SearchResults r;
    ASSERT_TRUE(index->Search(*test_, kK, {}, &r).ok());
    const auto searched = std::chrono::steady_clock::now();
    const double index_recall = Recall(r);

    // Brute force over the same codes (the index encodes the unit vectors).
    std::vector<float> unit(*train_);
    for (int64_t i = 0; i < kRows; ++i) {
      double norm = 0;
      for (int j = 0; j < dim_; ++j) norm += double{unit[i * dim_ + j]} * unit[i * dim_ + j];
      const double inverse = 1.0 / std::sqrt(norm);
      for (int j = 0; j < dim_; ++j) {
        unit[i * dim_ + j] = static_cast<float>(unit[i * dim_ + j] * inverse);
      }
    }
    EncodedVectors encoded;
    ASSERT_TRUE(index->quantizer().Encode(unit.data(), kRows, &encoded).ok());
    std::vector<std::vector<int64_t>> estimated(kQueries);
#pragma omp parallel for schedule(dynamic)
    for (int64_t q = 0; q < kQueries; ++q) {
      const PreparedQuery prepared = index->quantizer().PrepareQuery(test_->data() + q * dim_);
      std::vector<std::pair<float, int64_t>> scores(kRows);
      for (int64_t i = 0; i < kRows; ++i) {
        scores[i] = {-index->quantizer().EstimateInnerProduct(prepared, encoded, i), i};
      }
      std::partial_sort(scores.begin(), scores.begin() + kK, scores.end());
      for (int i = 0; i < kK; ++i) estimated[q].push_back(scores[i].second);
    }
    double brute_recall = 0;
    for (int64_t q = 0; q < kQueries; ++q) brute_recall += Overlap(estimated[q], (*truth_)[q]);
    brute_recall /= kQueries;

    std::printf(
        "glove-100 %lld rows, %s 4 bits: recall@10 index %.4f, brute-force estimator "
        "%.4f (add %.0f ms, %lld queries %.0f ms)\n",
        static_cast<long long>(kRows), std::string(VariantName(variant)).c_str(), index_recall,
        brute_recall, std::chrono::duration<double, std::milli>(added - start).count(),
        static_cast<long long>(kQueries),
        std::chrono::duration<double, std::milli>(searched - added).count());
    EXPECT_NEAR(index_recall, brute_recall, 0.01);
    EXPECT_GE(index_recall, 0.6);
  }
}

TEST_F(GloveRecallTest, RerankWithKeptVectorsIsNearlyExact) {
  for (KeepVectors keep : {KeepVectors::kFloat32, KeepVectors::kFloat16}) {
    auto index = MakeIndex(Options(dim_, 4, Metric::kCosine, Variant::kCorrected, keep));
    ASSERT_TRUE(index->Add(*train_).ok());
    SearchParams params;
    params.rerank = 100;
    SearchResults r;
    ASSERT_TRUE(index->Search(*test_, kK, params, &r).ok());
    const double recall = Recall(r);
    std::printf("glove-100 corrected 4 bits, rerank 100 (%s): recall@10 %.4f\n",
                std::string(KeepVectorsName(keep)).c_str(), recall);
    EXPECT_GE(recall, 0.98);
  }
}

}  // namespace
}  // namespace tq
