// tq-bench: the research runner. `tq-bench distortion ...` reproduces the paper's Figure 3,
// `recall` its Figure 5 against PQ and RaBitQ, `subset` cuts ann-benchmarks files for them,
// `speed` times the index against the memory-read ceiling and exact search.
#include "tools/bench/commands.h"
#include "tools/cli/dispatch.h"

int main(int argc, char** argv) {
  static const tq::cli::Command kCommands[] = {
      {tq::bench::DistortionSpec, tq::bench::RunDistortion},
      {tq::bench::SubsetSpec, tq::bench::RunSubset},
      {tq::bench::RecallSpec, tq::bench::RunRecall},
      {tq::bench::SpeedSpec, tq::bench::RunSpeed},
  };
  return tq::cli::Dispatch("tq-bench", kCommands, argc, argv);
}
