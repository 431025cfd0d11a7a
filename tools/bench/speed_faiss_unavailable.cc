// tq-bench speed --faiss in a build without libfaiss-dev: every measurement says so.
#include "tools/bench/speed_faiss.h"

namespace tq::bench {
namespace {

absl::Status NotBuilt() {
  return absl::UnimplementedError(
      "--faiss: this build has no FAISS (apt-get install libfaiss-dev, then rebuild)");
}

}  // namespace

bool FaissAvailable() { return false; }

absl::StatusOr<FaissPqRow> MeasureFaissPq(const RecallData&, int, int,
                                          const std::vector<int64_t>&) {
  return NotBuilt();
}

absl::StatusOr<double> FaissFlatVectorsPerSecond(const RecallData&, int, int64_t) {
  return NotBuilt();
}

}  // namespace tq::bench
