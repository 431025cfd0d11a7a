// The Abseil flags of tq-bench, defined once and shared by the commands (Abseil flags are
// process-wide); each command's CommandSpec says which apply to it and what its defaults are.
#ifndef TQ_TOOLS_BENCH_FLAGS_H_
#define TQ_TOOLS_BENCH_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"

// Shared by several commands.
ABSL_DECLARE_FLAG(std::string, data);
ABSL_DECLARE_FLAG(int64_t, queries);
ABSL_DECLARE_FLAG(int, threads);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, report);
ABSL_DECLARE_FLAG(int64_t, n);
ABSL_DECLARE_FLAG(int64_t, k);
// distortion.
ABSL_DECLARE_FLAG(int, dim);
ABSL_DECLARE_FLAG(std::string, bits);
ABSL_DECLARE_FLAG(int, samples);
ABSL_DECLARE_FLAG(std::string, rotation);
ABSL_DECLARE_FLAG(std::string, variants);
ABSL_DECLARE_FLAG(std::string, dataset);
// recall.
ABSL_DECLARE_FLAG(std::string, methods);
ABSL_DECLARE_FLAG(std::string, variant);
ABSL_DECLARE_FLAG(int, rerank);
// subset.
ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, random);
ABSL_DECLARE_FLAG(bool, faiss);

#endif  // TQ_TOOLS_BENCH_FLAGS_H_
