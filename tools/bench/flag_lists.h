// Parsing of flag values shared by the tq-bench commands: comma-separated lists such as
// --bits 1,2,3,4 or --variants mse,prod, and --threads, with errors that name the flag.
#ifndef TQ_TOOLS_BENCH_FLAG_LISTS_H_
#define TQ_TOOLS_BENCH_FLAG_LISTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tq::bench {

// "1,2,4" -> {1, 2, 4}; every value must lie in [min, max].
absl::StatusOr<std::vector<int>> ParseIntList(const std::string& flag, const std::string& text,
                                              int min, int max);
// "a,b" -> {"a", "b"}; empty items are an error.
absl::StatusOr<std::vector<std::string>> ParseNameList(const std::string& flag,
                                                       const std::string& text);
// --threads: 0 means every core (omp_get_max_threads()); otherwise 1..4096.
absl::StatusOr<int> ParseThreads(int value);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_FLAG_LISTS_H_
