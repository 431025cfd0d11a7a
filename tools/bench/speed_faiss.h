// tq-bench speed --faiss: FAISS's IndexPQ and IndexFlat on the same vectors, when the build
// found Debian's libfaiss-dev (optional; tools/bench/CMakeLists.txt). Debian builds FAISS for
// SSE2 only, so its fast kernels run an emulated path: use its speed as a lower bound, its PQ
// training time and recall as references.
#ifndef TQ_TOOLS_BENCH_SPEED_FAISS_H_
#define TQ_TOOLS_BENCH_SPEED_FAISS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/speed_measure.h"

namespace tq::bench {

// Whether this build links FAISS.
bool FaissAvailable();

struct FaissPqRow {
  double bytes_per_vector = 0;  // M code bytes, no floats
  double train_seconds = 0;
  double add_seconds = 0;
  double qps_1t = 0;  // one query per call, one thread
  double recall = 0;  // recall@k against `truth`
};

// IndexPQ with d * bits / 8 sub-quantizers of 8 bits (bits in 1, 2, 4, 8 and d * bits divisible
// by 8, else InvalidArgument), trained and filled with the whole base, searched for every query.
absl::StatusOr<FaissPqRow> MeasureFaissPq(const RecallData& data, int bits, int k,
                                          const std::vector<int64_t>& truth);

// IndexFlatIP (IndexFlatL2 under l2): vectors scored per second, one query per call, one thread.
absl::StatusOr<double> FaissFlatVectorsPerSecond(const RecallData& data, int k,
                                                 int64_t max_queries);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_SPEED_FAISS_H_
