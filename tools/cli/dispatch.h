// The main() of a multi-command tool: picks the command named by argv[1], prints the tool's or
// the command's help, parses the command's flags and runs it, with the shared exit codes.
#ifndef TQ_TOOLS_CLI_DISPATCH_H_
#define TQ_TOOLS_CLI_DISPATCH_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cli/command_line.h"

namespace tq::cli {

struct Command {
  const CommandSpec& (*spec)();
  // `args` is the command line after the program name (the command, then its flags as typed);
  // `given` names the flags it set (WasGiven). Returns the exit code.
  int (*run)(const std::vector<std::string>& args, const std::vector<std::string>& given);
};

// `program COMMAND [flags]`: no command or an unknown one is a usage error (2) with the list
// of commands; `program --help` lists them (0); `program COMMAND --help` prints its help (0).
int Dispatch(std::string_view program, std::span<const Command> commands, int argc, char** argv);

}  // namespace tq::cli

#endif  // TQ_TOOLS_CLI_DISPATCH_H_
