// tq-bench: the research runner. `tq-bench distortion ...` reproduces the paper's Figure 3;
// later commands (recall, speed) compare against PQ and RaBitQ on ann-benchmarks files.
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/flags/reflection.h"
#include "tools/bench/commands.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: tq-bench COMMAND [flags]\n"
               "commands:\n"
               "  distortion   D_mse, D_prod and inner-product bias per bit width (paper Fig. 3)\n"
               "  subset       first N train and Q test rows, with exact neighbours recomputed\n"
               "  recall       recall@1@k, recall@10 and QPS of TurboQuant, PQ and RaBitQ (Fig. 5)\n"
               "run `tq-bench COMMAND --help` for the flags of a command.\n");
}

// Abseil's parser exits with 1 on an unknown flag; the tools promise 2 for usage errors, so
// flag names are checked here first (`--name`, `--name=v`, `--noname` for booleans).
bool UnknownFlag(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.rfind("-", 0) != 0 || arg == "-") continue;
    arg.erase(0, arg.rfind("--", 0) == 0 ? 2 : 1);
    const std::string name = arg.substr(0, arg.find('='));
    // Abseil's built-in usage flags are parsed specially and not in the registry.
    static const char* const kBuiltin[] = {"h", "help", "helpfull", "helpshort", "helppackage",
                                           "version", "only_check_args", "flagfile", "fromenv",
                                           "tryfromenv", "undefok"};
    bool builtin = false;
    for (const char* b : kBuiltin) builtin = builtin || name == b;
    if (builtin || absl::FindCommandLineFlag(name) != nullptr) continue;
    if (name.rfind("no", 0) == 0 && absl::FindCommandLineFlag(name.substr(2)) != nullptr) {
      continue;
    }
    std::fprintf(stderr, "tq-bench %s: unknown flag '%s' (see --help)\n", argv[1], argv[i]);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return tq::bench::kExitUsage;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    PrintUsage(stdout);
    return tq::bench::kExitOk;
  }
  // subset parses and checks its own flags: its --k and --queries differ (in meaning and
  // default) from other commands' Abseil flags of the same names.
  if (command == "subset") return tq::bench::RunSubset(argc - 1, argv + 1);
  if (UnknownFlag(argc, argv)) return tq::bench::kExitUsage;
  // The command sees itself as argv[0], so absl's flag parser starts after it.
  if (command == "distortion") return tq::bench::RunDistortion(argc - 1, argv + 1);
  if (command == "recall") return tq::bench::RunRecall(argc - 1, argv + 1);
  std::fprintf(stderr, "tq-bench: unknown command '%s'\n", command.c_str());
  PrintUsage(stderr);
  return tq::bench::kExitUsage;
}
