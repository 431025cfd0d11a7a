// The measurements of `tq-bench speed`: for one bit width, how fast tq::Index adds, answers one
// query and a batch, and how its scan compares with reading the same bytes and with an exact
// float scan of the same vectors, all in one process so that the ratios mean something.
#ifndef TQ_TOOLS_BENCH_SPEED_MEASURE_H_
#define TQ_TOOLS_BENCH_SPEED_MEASURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/recall_data.h"

namespace tq::bench {

// The data is tq-bench recall's (LoadRecallData with ground_truth = false: train rows as the
// base, test rows as queries, the file's metric, unit rows under angular), or this stand-in:
// n + nq Gaussian vectors of dimension dim from `seed`, inner product, named
// "random NxD (Gaussian, seed S)" in `path` (the scan's speed does not depend on the values).
RecallData RandomData(int64_t n, int dim, int64_t nq, uint64_t seed);

struct SpeedOptions {
  int k = 10;
  int rerank = 0;   // > 0: the index keeps float16 vectors and latency includes the rerank
  int threads = 2;  // the "all threads" measurements; 1 thread is always measured too
  uint64_t seed = 42;
};

struct SpeedRow {
  double bits = 0;
  double bytes_per_vector = 0;        // codes + per-vector floats
  double block_bytes_per_vector = 0;  // what a scan reads: + live mask and block padding
  double add_vectors_per_s_1t = 0;    // median of >= 3 whole-base adds, after an untimed one
  double add_vectors_per_s = 0;       // the same on options.threads threads
  double latency_p50_ms = 0;          // one query per call, one thread
  double latency_p99_ms = 0;
  double scan_vectors_per_s_1t = 0;  // n x queries/s of those single-query calls
  double scan_gbps_1t = 0;           // the same in bytes of blocks
  double memory_read_gbps = 0;       // one thread summing as many bytes as the blocks hold
  double flat_vectors_per_s_1t = 0;  // exact float search, one query per call, one thread
  double qps_1t = 0;                 // the whole batch in one Search call, one thread (median
                                     // of >= 3 calls)
  double qps = 0;                    // the same on options.threads threads
  double recall = 0;                 // recall@k of the batch against exact search
};

// Builds the index at `rate` bits (whole or not) and measures every field but the flat search,
// which does not depend on the bits (ExactSearch::VectorsPerSecond, once per run). `truth`:
// ExactSearch::AllTopK(options.k), for the recall.
absl::StatusOr<SpeedRow> MeasureSpeed(const RecallData& data, double rate,
                                      const SpeedOptions& options,
                                      const std::vector<int64_t>& truth);

// One thread summing `bytes` bytes (best of several passes, after one to warm the cache and the
// page tables): the ceiling of a scan that reads that much.
double MemoryReadGbps(int64_t bytes);

// Exact float search with the engine's AVX-512/AVX2 matrix kernel (engine/matmul.h) over the
// base transposed once (as a flat index stores it): the ground truth and the exact baseline.
class ExactSearch {
 public:
  explicit ExactSearch(const RecallData& data);
  // The k nearest rows of one query, nearest first, ties to the lower row (-1 pads).
  void TopK(const float* query, int k, int64_t* ids, std::vector<float>* scores,
            std::vector<int64_t>* order) const;
  // Every query's TopK (nq x k), OpenMP over the queries.
  std::vector<int64_t> AllTopK(int k) const;
  // Vectors scored per second, one query per call on one thread, top-k selection included,
  // over the first min(nq, max_queries) queries.
  double VectorsPerSecond(int k, int64_t max_queries) const;

 private:
  const RecallData& data_;
  std::vector<float> transposed_;  // d x n
  std::vector<float> norms_;       // |x|^2 under l2
};

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_SPEED_MEASURE_H_
