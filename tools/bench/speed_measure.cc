// tq-bench speed's measurements: timed Add, single-query latency, batch QPS, the memory-read
// ceiling and exact float search, each on the same vectors in the same process.
#include "tools/bench/speed_measure.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <optional>

#include "absl/strings/str_cat.h"
#include "benchmarks/memory/memory_read.h"
#include "engine/matmul.h"
#include "engine/random.h"
#include "index/index.h"
#include "io/vector_file.h"

namespace tq::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

absl::StatusOr<std::vector<float>> ReadRows(const std::string& path, const std::string& dataset,
                                            int64_t limit, int64_t* rows, int* dim) {
  absl::StatusOr<std::unique_ptr<io::VectorFileReader>> file = io::OpenVectorFile(path, dataset);
  if (!file.ok()) return file.status();
  *rows = limit > 0 ? std::min(limit, (*file)->rows()) : (*file)->rows();
  *dim = static_cast<int>((*file)->dim());
  std::vector<float> out(*rows * *dim);
  if (absl::Status s = (*file)->ReadRows(0, *rows, out); !s.ok()) return s;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", dataset, " row ",
                                                     i / *dim, " has a non-finite value"));
    }
  }
  return out;
}

void NormalizeRows(std::vector<float>& x, int dim) {
  for (size_t i = 0; i < x.size(); i += dim) {
    double s = 0;
    for (int j = 0; j < dim; ++j) s += static_cast<double>(x[i + j]) * x[i + j];
    const double inverse = s > 0 ? 1.0 / std::sqrt(s) : 0.0;
    for (int j = 0; j < dim; ++j) x[i + j] = static_cast<float>(x[i + j] * inverse);
  }
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[at];
}

}  // namespace

absl::StatusOr<SpeedData> LoadSpeedData(const std::string& path, int64_t n, int64_t nq) {
  SpeedData data;
  const size_t slash = path.find_last_of('/');
  data.label = slash == std::string::npos ? path : path.substr(slash + 1);
  absl::StatusOr<std::unique_ptr<io::VectorFileReader>> file = io::OpenVectorFile(path, "train");
  if (!file.ok()) return file.status();
  absl::StatusOr<std::optional<io::DatasetMetric>> metric = (*file)->metric();
  if (!metric.ok()) return metric.status();
  if (metric->has_value()) {
    data.metric = **metric == io::DatasetMetric::kCosine ? Metric::kCosine : Metric::kL2;
  }
  int query_dim = 0;
  absl::StatusOr<std::vector<float>> base = ReadRows(path, "train", n, &data.n, &data.dim);
  if (!base.ok()) return base.status();
  absl::StatusOr<std::vector<float>> queries = ReadRows(path, "test", nq, &data.nq, &query_dim);
  if (!queries.ok()) return queries.status();
  if (query_dim != data.dim || data.n == 0 || data.nq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", data.n, " train rows of dimension ",
                                                   data.dim, ", ", data.nq, " test rows of ",
                                                   query_dim));
  }
  data.base = *std::move(base);
  data.queries = *std::move(queries);
  if (data.metric == Metric::kCosine) {
    NormalizeRows(data.base, data.dim);
    NormalizeRows(data.queries, data.dim);
  }
  return data;
}

SpeedData RandomSpeedData(int64_t n, int dim, int64_t nq, uint64_t seed) {
  SpeedData data;
  data.label = absl::StrCat("random ", n, "x", dim, " (Gaussian, seed ", seed, ")");
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
  if (sink == 42) std::fprintf(stderr, " ");  // keeps the sums from being optimised away
  return best;
}

double FlatVectorsPerSecond(const SpeedData& data, int k, int64_t max_queries) {
  const int d = data.dim;
  const int64_t n = data.n;
  // MatMul wants B as d x n: the base transposed once (not timed, as a flat index stores it).
  std::vector<float> transposed(d * n);
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) transposed[j * n + i] = data.base[i * d + j];
  }
  std::vector<float> norms(data.metric == Metric::kL2 ? n : 0);
  for (int64_t i = 0; i < static_cast<int64_t>(norms.size()); ++i) {
    double s = 0;
    for (int j = 0; j < d; ++j) s += static_cast<double>(data.base[i * d + j]) * data.base[i * d + j];
    norms[i] = static_cast<float>(s);
  }
  const int64_t nq = std::min(data.nq, max_queries);
  std::vector<float> scores(n);
  std::vector<int64_t> order(n);
  const int depth = static_cast<int>(std::min<int64_t>(k, n));
  int64_t checksum = 0;
  const Clock::time_point start = Clock::now();
  for (int64_t q = 0; q < nq; ++q) {
    MatMul(data.queries.data() + q * d, 1, d, transposed.data(), static_cast<int>(n),
           scores.data());
    if (!norms.empty()) {
      for (int64_t i = 0; i < n; ++i) scores[i] = 2 * scores[i] - norms[i];
    }
    std::iota(order.begin(), order.end(), int64_t{0});
    std::nth_element(order.begin(), order.begin() + (depth - 1), order.end(),
                     [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
    std::sort(order.begin(), order.begin() + depth,
              [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
    checksum += order[0];
  }
  const double seconds = SecondsSince(start);
  if (checksum < 0) std::fprintf(stderr, " ");
  return static_cast<double>(n) * nq / seconds;
}

absl::StatusOr<SpeedRow> MeasureSpeed(const SpeedData& data, double rate,
                                      const SpeedOptions& options) {
  IndexOptions index_options;
  index_options.dim = data.dim;
  index_options.metric = data.metric;
  index_options.seed = options.seed;
  index_options.keep_vectors = options.rerank > 0 ? KeepVectors::kFloat16 : KeepVectors::kNone;
  if (absl::Status s = RateToBits(rate, data.dim, &index_options); !s.ok()) return s;
  SpeedRow row;
  row.bits = rate;

  // Add: the whole base in one call, on one thread, then on all; the second index is measured.
  std::unique_ptr<Index> index;
  for (int pass = 0; pass < 2; ++pass) {
    absl::StatusOr<std::unique_ptr<Index>> created = Index::Create(index_options);
    if (!created.ok()) return created.status();
    omp_set_num_threads(pass == 0 ? 1 : options.threads);
    const Clock::time_point start = Clock::now();
    absl::Status added = (*created)->Add(data.base.data(), data.n);
    const double seconds = SecondsSince(start);
    if (!added.ok()) return added;
    (pass == 0 ? row.add_vectors_per_s_1t : row.add_vectors_per_s) = data.n / seconds;
    index = *std::move(created);
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

  // The whole batch in one call: queries share passes over the codes.
  for (int pass = 0; pass < 2; ++pass) {
    SearchParams batch;
    batch.threads = pass == 0 ? 1 : options.threads;
    batch.rerank = options.rerank;
    const Clock::time_point start = Clock::now();
    absl::Status s = index->Search(data.queries.data(), data.nq, options.k, batch, &results);
    const double seconds = SecondsSince(start);
    if (!s.ok()) return s;
    (pass == 0 ? row.qps_1t : row.qps) = data.nq / seconds;
  }
  return row;
}

}  // namespace tq::bench
