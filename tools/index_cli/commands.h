// The tq-index commands. Each has a spec (its flags and --help text) and a Run function called
// after main has parsed the flags; Run returns the exit code (command_line.h).
#ifndef TQ_TOOLS_INDEX_CLI_COMMANDS_H_
#define TQ_TOOLS_INDEX_CLI_COMMANDS_H_

#include "tools/cli/command_line.h"

namespace tq::cli {

const CommandSpec& BuildSpec();
const CommandSpec& AddSpec();
const CommandSpec& QuerySpec();
const CommandSpec& InfoSpec();

int RunBuild();
int RunAdd();
int RunQuery();
int RunInfo();

}  // namespace tq::cli

#endif  // TQ_TOOLS_INDEX_CLI_COMMANDS_H_
