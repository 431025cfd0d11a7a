// Small file helpers for the tools: write a text file (creating its folder) with a Status
// naming the path on failure.
#ifndef TQ_TOOLS_BENCH_TEXT_FILES_H_
#define TQ_TOOLS_BENCH_TEXT_FILES_H_

#include <string>

#include "absl/status/status.h"

namespace tq::bench {

absl::Status CreateDirectories(const std::string& dir);
absl::Status WriteTextFile(const std::string& path, const std::string& content);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_TEXT_FILES_H_
