// tq-bench speed's measurements: timed Add, single-query latency, batch QPS, the memory-read
// ceiling and exact float search, each on the same vectors in the same process.
#include "tools/bench/speed_measure.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "benchmarks/memory/memory_read.h"
#include "engine/matmul.h"
#include "engine/random.h"
#include "index/index.h"

namespace tq::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[at];
}

}  // namespace

RecallData RandomData(int64_t n, int dim, int64_t nq, uint64_t seed) {
  RecallData data;
  data.path = absl::StrCat("random ", n, "x", dim, " (Gaussian, seed ", seed, ")");
  data.metric = io::DatasetMetric::kInnerProduct;
  data.dim = dim;
  data.n = n;
  data.nq = nq;
  data.base.resize(n * dim);
  data.queries.resize(nq * dim);
  Rng rng(seed);
  for (float& v : data.base) v = static_cast<float>(rng.NextGaussian());
  for (float& v : data.queries) v = static_cast<float>(rng.NextGaussian());
  return data;
}

double MemoryReadGbps(int64_t bytes) {
  const size_t words = std::max<int64_t>(1, bytes / 8);
  std::vector<uint64_t> buffer(words);
  std::iota(buffer.begin(), buffer.end(), uint64_t{1});
  uint64_t sink = SumWords(buffer.data(), words);  // warm: caches and page tables
  double best = 0;
  // At least 5 passes and 0.2 s, so that small (cached) buffers are timed over many reads.
  const Clock::time_point start = Clock::now();
  for (int pass = 0; pass < 5 || SecondsSince(start) < 0.2; ++pass) {
    const Clock::time_point t = Clock::now();
    sink += SumWords(buffer.data(), words);
    best = std::max(best, static_cast<double>(words * 8) / SecondsSince(t) / 1e9);
  }
  asm volatile("" : : "r"(sink));  // the sums must not be optimised away
  return best;
}

ExactSearch::ExactSearch(const RecallData& data) : data_(data) {
  const int d = data.dim;
  const int64_t n = data.n;
  transposed_.resize(d * n);
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) transposed_[j * n + i] = data.base[i * d + j];
  }
  if (data.l2()) {
    norms_.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int j = 0; j < d; ++j)
        s += static_cast<double>(data.base[i * d + j]) * data.base[i * d + j];
      norms_[i] = static_cast<float>(s);
    }
  }
}

void ExactSearch::TopK(const float* query, int k, int64_t* ids, std::vector<float>* scores,
                       std::vector<int64_t>* order) const {
  const int64_t n = data_.n;
  scores->resize(n);
  order->resize(n);
  MatMul(query, 1, data_.dim, transposed_.data(), static_cast<int>(n), scores->data());
  float* s = scores->data();
  if (!norms_.empty()) {
    for (int64_t i = 0; i < n; ++i) s[i] = 2 * s[i] - norms_[i];
  }
  std::iota(order->begin(), order->end(), int64_t{0});
  const int depth = static_cast<int>(std::min<int64_t>(k, n));
  // Nearest first, ties to the lower row, as the index breaks them.
  auto nearer = [s](int64_t a, int64_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); };
  std::nth_element(order->begin(), order->begin() + (depth - 1), order->end(), nearer);
  std::sort(order->begin(), order->begin() + depth, nearer);
  for (int r = 0; r < k; ++r) ids[r] = r < depth ? (*order)[r] : -1;
}

std::vector<int64_t> ExactSearch::AllTopK(int k) const {
  std::vector<int64_t> ids(data_.nq * k);
#pragma omp parallel
  {
    std::vector<float> scores;
    std::vector<int64_t> order;
#pragma omp for schedule(dynamic, 4)
    for (int64_t q = 0; q < data_.nq; ++q) {
      TopK(data_.queries.data() + q * data_.dim, k, ids.data() + q * k, &scores, &order);
    }
  }
  return ids;
}

double ExactSearch::VectorsPerSecond(int k, int64_t max_queries) const {
  const int64_t nq = std::min(data_.nq, max_queries);
  std::vector<float> scores;
  std::vector<int64_t> order, ids(k);
  const Clock::time_point start = Clock::now();
  for (int64_t q = 0; q < nq; ++q) {
    TopK(data_.queries.data() + q * data_.dim, k, ids.data(), &scores, &order);
  }
  return static_cast<double>(data_.n) * nq / SecondsSince(start);
}

absl::StatusOr<SpeedRow> MeasureSpeed(const RecallData& data, double rate,
                                      const SpeedOptions& options,
                                      const std::vector<int64_t>& truth) {
  IndexOptions index_options;
  index_options.dim = data.dim;
  index_options.metric = IndexMetric(data.metric);
  index_options.seed = options.seed;
  index_options.keep_vectors = options.rerank > 0 ? KeepVectors::kFloat16 : KeepVectors::kNone;
  if (absl::Status s = RateToBits(rate, data.dim, &index_options); !s.ok()) return s;
  SpeedRow row;
  row.bits = rate;

  // Add: the whole base in one call into a new index, first untimed on all threads, then timed
  // on one thread and on all, each at least three times and for half a second, the median
  // taken (one add of GloVe's 100k vectors takes 30-70 ms, and a single one was at the mercy of
  // the other tenant of a shared machine); the last index is measured. Each index is freed
  // before the next is made, so the timed adds reuse memory the process has touched: a
  // process's first touch of fresh memory is the machine's cost, not the add's (on the 2-core VM
  // the README's tables come from, up to 0.3 s per 78 MB, the blocks of 100k vectors of
  // d = 1536 at 4 bits, when the hypervisor had taken those pages back), and it had fallen on one
  // pass or the other at random.
  std::unique_ptr<Index> index;
  const auto add_seconds = [&](int threads) -> absl::StatusOr<double> {
    index.reset();
    absl::StatusOr<std::unique_ptr<Index>> created = Index::Create(index_options);
    if (!created.ok()) return created.status();
    omp_set_num_threads(threads);
    const Clock::time_point start = Clock::now();
    absl::Status added = (*created)->Add(data.base.data(), data.n);
    const double seconds = SecondsSince(start);
    if (!added.ok()) return added;
    index = *std::move(created);
    return seconds;
  };
  if (absl::StatusOr<double> warm = add_seconds(options.threads); !warm.ok()) {
    return warm.status();
  }
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<double> seconds;
    double total = 0;
    while (seconds.size() < 3 || (total < 0.5 && seconds.size() < 15)) {
      absl::StatusOr<double> s = add_seconds(pass == 0 ? 1 : options.threads);
      if (!s.ok()) return s.status();
      seconds.push_back(*s);
      total += *s;
    }
    (pass == 0 ? row.add_vectors_per_s_1t : row.add_vectors_per_s) =
        data.n / Percentile(seconds, 0.5);
  }
  omp_set_num_threads(options.threads);
  const IndexStats stats = index->stats();
  row.bytes_per_vector = stats.bits_per_vector / 8.0;
  row.block_bytes_per_vector = static_cast<double>(stats.block_bytes) / stats.size;

  // One query per call on one thread: latency and the scan rate it implies.
  SearchParams single;
  single.threads = 1;
  single.rerank = options.rerank;
  SearchResults results;
  std::vector<double> latency(data.nq);
  const float* first = data.queries.data();
  if (absl::Status s = index->Search(first, 1, options.k, single, &results); !s.ok()) return s;
  const Clock::time_point all_single = Clock::now();
  for (int64_t q = 0; q < data.nq; ++q) {
    const Clock::time_point start = Clock::now();
    absl::Status s = index->Search(first + q * data.dim, 1, options.k, single, &results);
    latency[q] = SecondsSince(start) * 1e3;
    if (!s.ok()) return s;
  }
  const double single_seconds = SecondsSince(all_single);
  row.latency_p50_ms = Percentile(latency, 0.50);
  row.latency_p99_ms = Percentile(latency, 0.99);
  row.scan_vectors_per_s_1t = static_cast<double>(data.n) * data.nq / single_seconds;
  row.scan_gbps_1t = row.scan_vectors_per_s_1t * row.block_bytes_per_vector / 1e9;
  row.memory_read_gbps = MemoryReadGbps(stats.block_bytes);

  // The whole batch in one call: queries share passes over the codes. As for the adds, each
  // rate is the median of at least three calls and half a second: one call of GloVe's 1000
  // queries takes 40-150 ms, and single calls gave two threads 1.72-1.96x one thread where
  // medians of 15 gave 1.87-2.32x.
  for (int pass = 0; pass < 2; ++pass) {
    SearchParams batch;
    batch.threads = pass == 0 ? 1 : options.threads;
    batch.rerank = options.rerank;
    std::vector<double> seconds;
    double total = 0;
    while (seconds.size() < 3 || (total < 0.5 && seconds.size() < 15)) {
      const Clock::time_point start = Clock::now();
      absl::Status s = index->Search(data.queries.data(), data.nq, options.k, batch, &results);
      seconds.push_back(SecondsSince(start));
      total += seconds.back();
      if (!s.ok()) return s;
    }
    (pass == 0 ? row.qps_1t : row.qps) = data.nq / Percentile(seconds, 0.5);
  }
  int64_t hits = 0;
  for (int64_t q = 0; q < data.nq; ++q) {
    for (int r = 0; r < options.k; ++r) {
      const int64_t id = results.id(q, r);
      hits += id >= 0 && std::count(truth.begin() + q * options.k,
                                    truth.begin() + (q + 1) * options.k, id) > 0;
    }
  }
  row.recall = static_cast<double>(hits) / (static_cast<double>(data.nq) * options.k);
  return row;
}

}  // namespace tq::bench
