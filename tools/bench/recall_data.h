// The workload of `tq-bench recall`: an ann-benchmarks file's train rows as the base, its test
// rows as the queries, the metric from its `distance` attribute, and the true top 10 per query.
#ifndef TQ_TOOLS_BENCH_RECALL_DATA_H_
#define TQ_TOOLS_BENCH_RECALL_DATA_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "index/index_options.h"
#include "io/ann_hdf5.h"

namespace tq::bench {

// One human-readable line per finished step; empty = silent (the command's --json).
using StepLog = std::function<void(std::string_view)>;

// Neighbours per query kept as ground truth: enough for recall@10@10 and recall@1@k.
inline constexpr int kTruthDepth = 10;

// The base and queries are held in memory as float32 (plus, with --rerank, TurboQuant's own
// float32 copy): bounded before anything is allocated, as hnswlib#677 taught.
inline constexpr int64_t kMaxBaseBytes = int64_t{4} << 30;
inline constexpr int64_t kMaxQueryBytes = int64_t{1} << 30;

struct RecallDataOptions {
  std::string path;
  int64_t max_base = 0;     // first rows of `train`; 0 = all
  int64_t max_queries = 0;  // first rows of `test`; 0 = all
  // Result ids held per query by the measurement (max(k, 10)), for the memory bound.
  int result_depth = 64;
  // false: no ground truth at all (tq-bench speed computes its own, at its k).
  bool ground_truth = true;
  StepLog log;
};

struct RecallData {
  std::string path;
  io::DatasetMetric metric = io::DatasetMetric::kL2;
  int dim = 0;
  int64_t n = 0;
  int64_t nq = 0;
  std::vector<float> base;     // n x dim, row-major; unit rows under angular
  std::vector<float> queries;  // nq x dim; unit rows under angular
  // nq x truth_depth true neighbour rows, nearest first (truth_depth = min(10, n)).
  int truth_depth = 0;
  std::vector<int64_t> truth;
  bool truth_from_file = false;
  std::string truth_note;  // why brute force was used, or which dataset was read

  // Whether base and queries are compared by squared L2 (else by inner product).
  bool l2() const { return metric == io::DatasetMetric::kL2; }
  const float* base_row(int64_t i) const { return base.data() + i * dim; }
  const float* query_row(int64_t q) const { return queries.data() + q * dim; }
};

// Reads and checks the file (every error starts with its path): `train` and `test` present,
// 2 <= dim <= 65536, sizes within the bounds above, every value finite, no zero vector under
// angular, neighbour ids within the base. The file's `neighbors` are the ground truth when they
// cover these exact rows (the whole train set, at least min(10, n) per query); otherwise the
// truth is computed by brute force (OpenMP over queries, double accumulation).
absl::StatusOr<RecallData> LoadRecallData(const RecallDataOptions& options);

// The tq::Index metric of a file's: cosine for angular (the rows are unit already), l2, ip.
Metric IndexMetric(io::DatasetMetric metric);

// Exact nearness of two rows, larger is nearer: the inner product, or minus the squared
// distance under L2. Accumulated in double, so ranking by it is the ground truth's ranking.
double ExactNearness(const float* a, const float* b, int dim, bool l2);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_RECALL_DATA_H_
