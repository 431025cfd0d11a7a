// The tq-index commands. Each has a spec (its flags and --help text) and a Run function called
// after main has parsed the flags (tools/cli/dispatch.h); Run returns the exit code.
#ifndef TQ_TOOLS_INDEX_CLI_COMMANDS_H_
#define TQ_TOOLS_INDEX_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/cli/command_line.h"

namespace tq::cli {

const CommandSpec& BuildSpec();
const CommandSpec& AddSpec();
const CommandSpec& QuerySpec();
const CommandSpec& InfoSpec();

int RunBuild(const std::vector<std::string>& args, const std::vector<std::string>& given);
int RunAdd(const std::vector<std::string>& args, const std::vector<std::string>& given);
int RunQuery(const std::vector<std::string>& args, const std::vector<std::string>& given);
int RunInfo(const std::vector<std::string>& args, const std::vector<std::string>& given);

}  // namespace tq::cli

#endif  // TQ_TOOLS_INDEX_CLI_COMMANDS_H_
