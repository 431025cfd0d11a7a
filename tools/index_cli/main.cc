// tq-index: build an index from a vector file, add to it, query it, describe it.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/index_cli/commands.h"

namespace {

using tq::cli::CommandSpec;

struct Command {
  const CommandSpec& (*spec)();
  int (*run)();
};

const Command kCommands[] = {
    {tq::cli::BuildSpec, tq::cli::RunBuild},
    {tq::cli::AddSpec, tq::cli::RunAdd},
    {tq::cli::QuerySpec, tq::cli::RunQuery},
    {tq::cli::InfoSpec, tq::cli::RunInfo},
};

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: tq-index COMMAND [flags]\ncommands:\n");
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-8s %s\n", c.spec().name.c_str(), c.spec().summary.c_str());
  }
  std::fprintf(out, "run `tq-index COMMAND --help` for the flags of a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return tq::cli::kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return tq::cli::kExitOk;
  }
  for (const Command& command : kCommands) {
    const CommandSpec& spec = command.spec();
    if (spec.name != name) continue;
    // args[0] is the command's name, flags follow.
    std::vector<std::string> args(argv + 1, argv + argc);
    if (tq::cli::WantsHelp(args)) {
      tq::cli::PrintCommandHelp(spec, stdout);
      return tq::cli::kExitOk;
    }
    if (!tq::cli::ParseCommandFlags(spec, args)) return tq::cli::kExitUsage;
    return command.run();
  }
  std::fprintf(stderr, "tq-index: unknown command '%s'\n", name.c_str());
  PrintUsage(stderr);
  return tq::cli::kExitUsage;
}
