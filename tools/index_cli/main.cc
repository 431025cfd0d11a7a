// tq-index: build an index from a vector file, add to it, query it, describe it.
#include "tools/cli/dispatch.h"
#include "tools/index_cli/commands.h"

int main(int argc, char** argv) {
  static const tq::cli::Command kCommands[] = {
      {tq::cli::BuildSpec, tq::cli::RunBuild},
      {tq::cli::AddSpec, tq::cli::RunAdd},
      {tq::cli::QuerySpec, tq::cli::RunQuery},
      {tq::cli::InfoSpec, tq::cli::RunInfo},
  };
  return tq::cli::Dispatch("tq-index", kCommands, argc, argv);
}
