// tq-bench: the research runner. `tq-bench distortion ...` reproduces the paper's Figure 3;
// later commands (recall, speed) compare against PQ and RaBitQ on ann-benchmarks files.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/bench/commands.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: tq-bench COMMAND [flags]\n"
               "commands:\n"
               "  distortion   D_mse, D_prod and inner-product bias per bit width (paper Fig. 3)\n"
               "run `tq-bench COMMAND --help` for the flags of a command.\n");
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
  // The command sees itself as argv[0], so absl's flag parser starts after it.
  if (command == "distortion") return tq::bench::RunDistortion(argc - 1, argv + 1);
  std::fprintf(stderr, "tq-bench: unknown command '%s'\n", command.c_str());
  PrintUsage(stderr);
  return tq::bench::kExitUsage;
}
