// The tq-bench commands. Each has a spec (its flags and --help text) and a Run function called
// after main has parsed the flags; Run returns the exit code (tools/cli/command_line.h).
#ifndef TQ_TOOLS_BENCH_COMMANDS_H_
#define TQ_TOOLS_BENCH_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/cli/command_line.h"

namespace tq::bench {

using cli::kExitBadInput;
using cli::kExitOk;
using cli::kExitUsage;

const cli::CommandSpec& DistortionSpec();
const cli::CommandSpec& SubsetSpec();
const cli::CommandSpec& RecallSpec();
const cli::CommandSpec& SpeedSpec();

// `args` is the command line after "tq-bench" (the command's name, then its flags as typed), for
// reports that say how to regenerate them; `given` names the flags it set (cli::WasGiven).
int RunDistortion(const std::vector<std::string>& args, const std::vector<std::string>& given);
int RunSubset(const std::vector<std::string>& args, const std::vector<std::string>& given);
int RunRecall(const std::vector<std::string>& args, const std::vector<std::string>& given);
int RunSpeed(const std::vector<std::string>& args, const std::vector<std::string>& given);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_COMMANDS_H_
