// tq-bench speed --faiss with libfaiss-dev: IndexPQ (train, add, search, recall) and IndexFlat.
#include "tools/bench/speed_faiss.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "faiss/IndexFlat.h"
#include "faiss/IndexPQ.h"

namespace tq::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

faiss::MetricType MetricOf(const RecallData& data) {
  return data.l2() ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

}  // namespace

bool FaissAvailable() { return true; }

absl::StatusOr<FaissPqRow> MeasureFaissPq(const RecallData& data, int bits, int k,
                                          const std::vector<int64_t>& truth) {
  if (bits != 1 && bits != 2 && bits != 4 && bits != 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("--faiss: no 8-bit PQ shape for ", bits, " bits per dimension"));
  }
  if (data.dim * bits % 8 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("--faiss: ", data.dim, " dimensions at ", bits,
                                                   " bits are not whole 8-bit sub-quantizers"));
  }
  FaissPqRow row;
  const size_t m = static_cast<size_t>(data.dim * bits / 8);
  faiss::IndexPQ index(data.dim, m, 8, MetricOf(data));
  row.bytes_per_vector = static_cast<double>(m);
  Clock::time_point start = Clock::now();
  index.train(data.n, data.base.data());
  row.train_seconds = SecondsSince(start);
  start = Clock::now();
  index.add(data.n, data.base.data());
  row.add_seconds = SecondsSince(start);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  std::vector<float> distances(k);
  std::vector<faiss::Index::idx_t> labels(k);
  int64_t hits = 0;
  start = Clock::now();
  for (int64_t q = 0; q < data.nq; ++q) {
    index.search(1, data.queries.data() + q * data.dim, k, distances.data(), labels.data());
    for (int r = 0; r < k; ++r) {
      hits += std::count(truth.begin() + q * k, truth.begin() + (q + 1) * k, labels[r]);
    }
  }
  row.qps_1t = data.nq / SecondsSince(start);
  omp_set_num_threads(threads);
  row.recall = static_cast<double>(hits) / (static_cast<double>(data.nq) * k);
  return row;
}

absl::StatusOr<double> FaissFlatVectorsPerSecond(const RecallData& data, int k,
                                                 int64_t max_queries) {
  std::unique_ptr<faiss::IndexFlat> index;
  if (data.l2()) {
    index = std::make_unique<faiss::IndexFlatL2>(data.dim);
  } else {
    index = std::make_unique<faiss::IndexFlatIP>(data.dim);
  }
  index->add(data.n, data.base.data());
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const int64_t nq = std::min(data.nq, max_queries);
  std::vector<float> distances(k);
  std::vector<faiss::Index::idx_t> labels(k);
  const Clock::time_point start = Clock::now();
  for (int64_t q = 0; q < nq; ++q) {
    index->search(1, data.queries.data() + q * data.dim, k, distances.data(), labels.data());
  }
  const double seconds = SecondsSince(start);
  omp_set_num_threads(threads);
  return static_cast<double>(data.n) * nq / seconds;
}

}  // namespace tq::bench
