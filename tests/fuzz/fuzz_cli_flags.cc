// libFuzzer target: the command-line flag parser of tq-index and tq-bench. The bytes, split
// on NUL, are the arguments after the command name; ParseCommandFlags checks them against a
// spec of string, int, bool, uint64 and double flags defined here (as tools/index_cli/flags.cc
// defines the real ones), and every flag is reset to its default before the next input.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "fuzz_util.h"
#include "tools/cli/command_line.h"

ABSL_FLAG(std::string, data, "", "vector file");
ABSL_FLAG(std::string, keep_vectors, "none", "none, f32 or f16");
ABSL_FLAG(int, bits, 4, "bits per coordinate, 1..4");
ABSL_FLAG(int, threads, 0, "threads (0 = all cores)");
ABSL_FLAG(bool, quiet, false, "no progress line");
ABSL_FLAG(bool, json, false, "JSON output");
ABSL_FLAG(uint64_t, seed, 42, "seed of the rotation and QJL projection");
ABSL_FLAG(double, ratio, 0.5, "a fraction");
// Defined but not in the spec: the parser must refuse it like an unknown flag.
ABSL_FLAG(int, unlisted, 7, "a flag of another command");

namespace {

const tq::cli::CommandSpec& Spec() {
  static const tq::cli::CommandSpec spec{
      "tq-fuzz",
      "parse",
      "fuzz the flag parser",
      "[--data=FILE] [--keep-vectors=K] [--bits=B] [--threads=T] [--quiet] [--json] "
      "[--seed=S] [--ratio=R]",
      {{"data", "FILE", "vector file"},
       {"keep-vectors", "K", "none, f32 or f16"},
       {"bits", "B", "bits per coordinate"},
       {"threads", "T", "threads"},
       {"quiet", "", "no progress line"},
       {"json", "", "JSON output"},
       {"seed", "S", "seed"},
       {"ratio", "R", "a fraction"},
       // Listed but never defined as an Abseil flag (a spec out of step with the flags).
       {"ghost", "G", "not defined"},
       // Listed under a name that starts with "no", next to a real boolean.
       {"nojson-at-all", "", "not defined either"}}};
  return spec;
}

// Abseil's FlagSaver would do, but it logs every value it restores.
void ResetFlags() {
  absl::SetFlag(&FLAGS_data, "");
  absl::SetFlag(&FLAGS_keep_vectors, "none");
  absl::SetFlag(&FLAGS_bits, 4);
  absl::SetFlag(&FLAGS_threads, 0);
  absl::SetFlag(&FLAGS_quiet, false);
  absl::SetFlag(&FLAGS_json, false);
  absl::SetFlag(&FLAGS_seed, 42);
  absl::SetFlag(&FLAGS_ratio, 0.5);
  absl::SetFlag(&FLAGS_unlisted, 7);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args = {"parse"};
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (size > 0) args.push_back(current);
  ResetFlags();  // each input starts from the defaults
  (void)tq::cli::WantsHelp(args);
  std::vector<std::string> given;
  (void)tq::cli::ParseCommandFlags(Spec(), args, &given);
  // `given` names listed flags, each once; a flag outside the spec is never set.
  for (size_t i = 0; i < given.size(); ++i) {
    TQ_FUZZ_CHECK(tq::cli::WasGiven(given, given[i]));
    for (size_t j = i + 1; j < given.size(); ++j) TQ_FUZZ_CHECK(given[i] != given[j]);
    bool listed = false;
    for (const tq::cli::FlagHelp& f : Spec().flags) listed |= f.name == given[i];
    TQ_FUZZ_CHECK(listed);
  }
  TQ_FUZZ_CHECK(absl::GetFlag(FLAGS_unlisted) == 7);
  TQ_FUZZ_CHECK(given.size() <= args.size() - 1);
  // A flag not given keeps its default, whether or not the parse failed later on.
  if (!tq::cli::WasGiven(given, "bits")) TQ_FUZZ_CHECK(absl::GetFlag(FLAGS_bits) == 4);
  if (!tq::cli::WasGiven(given, "seed")) TQ_FUZZ_CHECK(absl::GetFlag(FLAGS_seed) == 42);
  if (!tq::cli::WasGiven(given, "quiet")) TQ_FUZZ_CHECK(!absl::GetFlag(FLAGS_quiet));
  if (!tq::cli::WasGiven(given, "keep-vectors")) {
    TQ_FUZZ_CHECK(absl::GetFlag(FLAGS_keep_vectors) == "none");
  }
  return 0;
}
