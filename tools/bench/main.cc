// tq-bench: the research runner. `tq-bench distortion ...` reproduces the paper's Figure 3,
// `recall` its Figure 5 against PQ and RaBitQ, `subset` cuts ann-benchmarks files for them.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/bench/commands.h"

namespace {

using tq::cli::CommandSpec;

struct Command {
  const CommandSpec& (*spec)();
  int (*run)(const std::vector<std::string>& args, const std::vector<std::string>& given);
};

const Command kCommands[] = {
    {tq::bench::DistortionSpec, tq::bench::RunDistortion},
    {tq::bench::SubsetSpec, tq::bench::RunSubset},
    {tq::bench::RecallSpec, tq::bench::RunRecall},
};

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: tq-bench COMMAND [flags]\ncommands:\n");
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-12s %s\n", c.spec().name.c_str(), c.spec().summary.c_str());
  }
  std::fprintf(out, "run `tq-bench COMMAND --help` for the flags of a command.\n");
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
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (tq::cli::WantsHelp(args)) {
      tq::cli::PrintCommandHelp(spec, stdout);
      return tq::cli::kExitOk;
    }
    std::vector<std::string> given;
    if (!tq::cli::ParseCommandFlags(spec, args, &given)) return tq::cli::kExitUsage;
    return command.run(args, given);
  }
  std::fprintf(stderr, "tq-bench: unknown command '%s'\n", name.c_str());
  PrintUsage(stderr);
  return tq::cli::kExitUsage;
}
