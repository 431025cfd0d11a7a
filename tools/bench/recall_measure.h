// What `tq-bench recall` measures per method: recall@1@k (the paper's Figure 5), recall@10@10,
// recall@10 after an exact rerank, and queries per second on one thread and on T threads.
#ifndef TQ_TOOLS_BENCH_RECALL_MEASURE_H_
#define TQ_TOOLS_BENCH_RECALL_MEASURE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/recall_data.h"
#include "tools/bench/recall_methods.h"

namespace tq::bench {

struct MethodResult {
  MethodSpec spec;
  double bytes_per_vector = 0.0;
  double train_seconds = 0.0;
  double encode_seconds = 0.0;
  // (k, fraction of queries whose true nearest neighbour is among the k returned), k ascending.
  std::vector<std::pair<int, double>> recall_1_at;
  double recall_10_at_10 = 0.0;            // |top 10 returned ∩ true top 10| / 10, averaged
  std::optional<double> recall_10_rerank;  // the same after the exact rerank (--rerank only)
  double qps_1t = 0.0;                     // one query per call on one thread
  double qps = 0.0;                        // all queries on T threads
  std::string batch_note;                  // how the T threads were used (RecallMethod::batch_note)
};

struct MeasureOptions {
  int k = 64;       // deepest k of recall@1@k
  int rerank = 0;   // 0: no reranked search
  int threads = 1;  // T
  StepLog log;
};

// 1, 2, 4, ... up to k, and k itself when it is not a power of two.
std::vector<int> RecallDepths(int k);

// Times only the searches: every query once, one per call on this thread (whose results give
// the recalls), then the whole batch on T threads; then, with rerank, the reranked search.
absl::StatusOr<MethodResult> MeasureMethod(const MethodSpec& spec, const RecallMethod& method,
                                           const RecallData& data, const MeasureOptions& options);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_RECALL_MEASURE_H_
