// The Abseil flags of tq-index, defined once and shared by the commands (each command's
// CommandSpec says which apply to it).
#ifndef TQ_TOOLS_INDEX_CLI_FLAGS_H_
#define TQ_TOOLS_INDEX_CLI_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, data);
ABSL_DECLARE_FLAG(std::string, dataset);
ABSL_DECLARE_FLAG(std::string, ids);
ABSL_DECLARE_FLAG(std::string, index);
ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, queries);
ABSL_DECLARE_FLAG(double, bits);
ABSL_DECLARE_FLAG(std::string, metric);
ABSL_DECLARE_FLAG(std::string, variant);
ABSL_DECLARE_FLAG(std::string, rotation);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(std::string, keep_vectors);
ABSL_DECLARE_FLAG(std::string, center);
ABSL_DECLARE_FLAG(std::string, encoder);
ABSL_DECLARE_FLAG(int, threads);
ABSL_DECLARE_FLAG(int, k);
ABSL_DECLARE_FLAG(int, rerank);
ABSL_DECLARE_FLAG(bool, quiet);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(bool, verify);

#endif  // TQ_TOOLS_INDEX_CLI_FLAGS_H_
