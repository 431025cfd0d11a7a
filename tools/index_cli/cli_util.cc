#include "tools/index_cli/cli_util.h"

#include <sys/stat.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "tools/cli/command_line.h"
#include "tools/index_cli/flags.h"

namespace tq::cli {

int UsageError(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "tq-index %.*s: %.*s (see tq-index %.*s --help)\n",
               static_cast<int>(command.size()), command.data(), static_cast<int>(message.size()),
               message.data(), static_cast<int>(command.size()), command.data());
  return kExitUsage;
}

int InputError(std::string_view command, const absl::Status& status) {
  std::fprintf(stderr, "tq-index %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               std::string(status.message()).c_str());
  return kExitBadInput;
}

std::string DatasetOr(const std::string& fallback) {
  const std::string dataset = absl::GetFlag(FLAGS_dataset);
  return dataset.empty() ? fallback : dataset;
}

absl::StatusOr<Metric> FileMetric(const io::VectorFileReader& data) {
  absl::StatusOr<std::optional<io::DatasetMetric>> declared = data.metric();
  if (!declared.ok()) return declared.status();
  if (!declared->has_value()) return Metric::kInnerProduct;
  switch (**declared) {
    case io::DatasetMetric::kCosine:
      return Metric::kCosine;
    case io::DatasetMetric::kL2:
      return Metric::kL2;
    case io::DatasetMetric::kInnerProduct:
      break;
  }
  return Metric::kInnerProduct;
}

int64_t FileSize(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : -1;
}

std::string FormatBytes(int64_t bytes) {
  char text[32];
  if (bytes >= 1000LL * 1000 * 1000) {
    std::snprintf(text, sizeof(text), "%.2f GB", bytes / 1e9);
  } else if (bytes >= 1000LL * 1000) {
    std::snprintf(text, sizeof(text), "%.1f MB", bytes / 1e6);
  } else if (bytes >= 1000) {
    std::snprintf(text, sizeof(text), "%.0f kB", bytes / 1e3);
  } else {
    std::snprintf(text, sizeof(text), "%lld B", static_cast<long long>(bytes));
  }
  return text;
}

}  // namespace tq::cli
