// Small pieces the tq-index commands share: error reporting with the exit code it implies,
// flag defaults that depend on the file, timing and sizes for the summaries.
#ifndef TQ_TOOLS_INDEX_CLI_CLI_UTIL_H_
#define TQ_TOOLS_INDEX_CLI_CLI_UTIL_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/index_options.h"
#include "io/vector_file.h"

namespace tq::cli {

// "tq-index COMMAND: message" on stderr; returns kExitUsage.
int UsageError(std::string_view command, std::string_view message);
// The status message (which names the file) on stderr; returns kExitBadInput.
int InputError(std::string_view command, const absl::Status& status);

// --dataset, or `fallback` when it was not given.
std::string DatasetOr(const std::string& fallback);
// The metric of `data`'s `distance` attribute (HDF5), else inner product. --metric, when
// given, is parsed by the caller first and wins.
absl::StatusOr<Metric> FileMetric(const io::VectorFileReader& data);

// Bytes of the file at `path`, or -1.
int64_t FileSize(const std::string& path);
// "1.5 MB", "312 kB", "880 B".
std::string FormatBytes(int64_t bytes);

class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace tq::cli

#endif  // TQ_TOOLS_INDEX_CLI_CLI_UTIL_H_
