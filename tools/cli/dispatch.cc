#include "tools/cli/dispatch.h"

#include <algorithm>
#include <cstdio>

namespace tq::cli {
namespace {

void PrintUsage(std::string_view program, std::span<const Command> commands, FILE* out) {
  const std::string name(program);
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, c.spec().name.size());
  std::fprintf(out, "usage: %s COMMAND [flags]\ncommands:\n", name.c_str());
  for (const Command& c : commands) {
    std::fprintf(out, "  %-*s  %s\n", static_cast<int>(width), c.spec().name.c_str(),
                 c.spec().summary.c_str());
  }
  std::fprintf(out, "run `%s COMMAND --help` for the flags of a command.\n", name.c_str());
}

}  // namespace

int Dispatch(std::string_view program, std::span<const Command> commands, int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(program, commands, stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(program, commands, stdout);
    return kExitOk;
  }
  for (const Command& command : commands) {
    const CommandSpec& spec = command.spec();
    if (spec.name != name) continue;
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (WantsHelp(args)) {
      PrintCommandHelp(spec, stdout);
      return kExitOk;
    }
    std::vector<std::string> given;
    if (!ParseCommandFlags(spec, args, &given)) return kExitUsage;
    return command.run(args, given);
  }
  std::fprintf(stderr, "%s: unknown command '%s'\n", std::string(program).c_str(), name.c_str());
  PrintUsage(program, commands, stderr);
  return kExitUsage;
}

}  // namespace tq::cli
