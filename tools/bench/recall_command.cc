// `tq-bench recall`: the paper's Figure 5 on an ann-benchmarks file. TurboQuant (tq::Index),
// PQ and RaBitQ at matched bits: build time, bytes per vector, recall@1@k, recall@10, QPS.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/bench/commands.h"
#include "tools/bench/recall_data.h"
#include "tools/bench/recall_measure.h"
#include "tools/bench/recall_methods.h"
#include "tools/bench/recall_report.h"

// Flags of recall alone.
ABSL_FLAG(std::string, methods, "",
          "comma-separated: tqB, tqB-mse|prod|corrected (B 1..4), pqB (B 1, 2, 4, 8), rabitqB "
          "(B 1..8)");
ABSL_FLAG(std::string, variant, "corrected", "TurboQuant variant of tqB: mse, prod, corrected or all");
ABSL_FLAG(int, k, 64, "deepest k of recall@1@k");
ABSL_FLAG(int, rerank, 0, "also report recall@10 after exactly rescoring the best R (0 = off)");
ABSL_FLAG(int64_t, n, 0, "use only the first N train rows (0 = all); forces brute-force truth");
// Shared with `tq-bench distortion`, which defines them (Abseil flags are process-wide). Their
// meaning and defaults for recall are in RecallHelp below.
ABSL_DECLARE_FLAG(std::string, data);
ABSL_DECLARE_FLAG(int, queries);
ABSL_DECLARE_FLAG(int, threads);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, report);

namespace tq::bench {
namespace {

constexpr char kCommand[] = "tq-bench recall";

struct FlagInfo {
  const char* name;
  const char* value;  // empty for booleans
  const char* help;
};

// Every flag recall accepts; any other (another command's included) is a usage error.
constexpr FlagInfo kFlags[] = {
    {"data", "FILE.hdf5",
     "ann-benchmarks file: train = base, test = queries, metric from its `distance`"},
    {"methods", "LIST", "tqB, tqB-mse|prod|corrected (B 1..4), pqB (B 1,2,4,8), rabitqB (B 1..8)"},
    {"variant", "V", "variant of tqB: mse, prod, corrected (default) or all (each tqB x 3)"},
    {"k", "K", "deepest k of recall@1@k, 1..1024 (default 64)"},
    {"rerank", "R", "also recall@10 after exactly rescoring the best R, 0 or 10..100000 "
                    "(default 0 = off)"},
    {"threads", "T", "threads for building and for the T-thread QPS (default 0 = all cores)"},
    {"queries", "N", "use the first N test rows (default: all)"},
    {"n", "N", "use the first N train rows (default 0 = all); forces brute-force ground truth"},
    {"seed", "S", "seed of TurboQuant's rotation and of PQ and RaBitQ (default 42)"},
    {"json", "", "print one JSON object instead of the table (and nothing on stderr)"},
    {"report", "DIR", "write DIR/results.md, results.csv and recall.svg"},
};

void PrintHelp(FILE* out) {
  std::fprintf(out,
               "%s: recall@1@k (paper Fig. 5), recall@10@10 and QPS of TurboQuant, PQ and "
               "RaBitQ on an ann-benchmarks file\n\n"
               "usage: %s --data FILE.hdf5 --methods tq2,tq4,pq2,pq4,rabitq1,rabitq2,rabitq4 "
               "[--variant mse|prod|corrected|all] [--k 64] [--rerank R] [--threads T] "
               "[--queries N] [--n N] [--seed S] [--json] [--report DIR]\n\nflags:\n",
               kCommand, kCommand);
  for (const FlagInfo& f : kFlags) {
    const std::string left = absl::StrCat("--", f.name, *f.value ? "=" : "", f.value);
    std::fprintf(out, "  %-20s %s\n", left.c_str(), f.help);
  }
  std::fprintf(out,
               "\nexit codes: 0 ok, 1 bad input (file, data, a method failing to build), "
               "2 usage (flags).\n");
}

bool IsRecallFlag(const std::string& name) {
  return std::any_of(std::begin(kFlags), std::end(kFlags),
                     [&](const FlagInfo& f) { return name == f.name; });
}

// Sets the flags of args (`--name=value`, `--name value`, `--json`, `--nojson`); records the
// names given. Abseil's own parser exits with 1 on a bad value; here it is a usage error.
absl::Status ParseFlags(int argc, char** argv, std::vector<std::string>* given) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    const size_t start = arg.rfind("--", 0) == 0 ? 2 : 1;
    const size_t equals = arg.find('=');
    std::string name = arg.substr(start, std::min(equals, arg.size()) - start);
    bool negated = false;
    if (!IsRecallFlag(name) && name.rfind("no", 0) == 0 && IsRecallFlag(name.substr(2))) {
      negated = true;
      name = name.substr(2);
    }
    absl::CommandLineFlag* flag = IsRecallFlag(name) ? absl::FindCommandLineFlag(name) : nullptr;
    if (flag == nullptr || (negated && !flag->IsOfType<bool>())) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "' (see --help)"));
    }
    std::string value;
    if (flag->IsOfType<bool>()) {
      if (negated && equals != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("'", arg, "' takes no value"));
      }
      value = negated ? "false" : equals != std::string::npos ? arg.substr(equals + 1) : "true";
    } else if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag '--", name, "' needs a value"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value '", value, "' for --", name, ": ", error));
    }
    given->push_back(name);
  }
  return absl::OkStatus();
}

struct Settings {
  std::string path;
  std::vector<MethodSpec> methods;
  int k = 64;
  int rerank = 0;
  int threads = 1;
  int64_t queries = 0;  // 0 = all
  int64_t n = 0;        // 0 = all
  uint64_t seed = 42;
  bool json = false;
  std::string report;
};

absl::StatusOr<Settings> ReadSettings(const std::vector<std::string>& given) {
  auto was_given = [&](const char* name) {
    return std::find(given.begin(), given.end(), name) != given.end();
  };
  Settings s;
  s.path = absl::GetFlag(FLAGS_data);
  if (s.path.empty()) return absl::InvalidArgumentError("--data FILE.hdf5 is required");
  const std::string methods = absl::GetFlag(FLAGS_methods);
  if (methods.empty()) {
    return absl::InvalidArgumentError(
        "--methods is required, e.g. --methods tq2,tq4,pq2,pq4,rabitq1,rabitq2,rabitq4");
  }
  absl::StatusOr<std::vector<MethodSpec>> specs =
      ParseMethods(methods, absl::GetFlag(FLAGS_variant));
  if (!specs.ok()) return specs.status();
  s.methods = *std::move(specs);
  s.k = absl::GetFlag(FLAGS_k);
  if (s.k < 1 || s.k > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--k ", s.k, " outside [1, 1024]"));
  }
  s.rerank = absl::GetFlag(FLAGS_rerank);
  if (s.rerank != 0 && (s.rerank < kTruthDepth || s.rerank > 100000)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rerank ", s.rerank, ": 0 (off) or ", kTruthDepth, " .. 100000 (it feeds recall@10)"));
  }
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 0 || threads > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("--threads ", threads, " outside [0, 4096]"));
  }
  s.threads = threads > 0 ? threads : omp_get_max_threads();
  // --queries is shared with distortion, whose default (32) is not recall's (all).
  if (was_given("queries")) {
    s.queries = absl::GetFlag(FLAGS_queries);
    if (s.queries < 1) {
      return absl::InvalidArgumentError(absl::StrCat("--queries ", s.queries, " < 1"));
    }
  }
  s.n = absl::GetFlag(FLAGS_n);
  if (s.n < 0) return absl::InvalidArgumentError(absl::StrCat("--n ", s.n, " < 0"));
  s.seed = absl::GetFlag(FLAGS_seed);
  s.json = absl::GetFlag(FLAGS_json);
  s.report = absl::GetFlag(FLAGS_report);
  return s;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int RunRecall(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpshort" || arg == "--helpfull") {
      PrintHelp(stdout);
      return kExitOk;
    }
  }
  std::vector<std::string> given;
  absl::Status parsed = ParseFlags(argc, argv, &given);
  absl::StatusOr<Settings> settings =
      parsed.ok() ? ReadSettings(given) : absl::StatusOr<Settings>(parsed);
  if (!settings.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCommand, std::string(settings.status().message()).c_str());
    return kExitUsage;
  }
  const Settings& s = *settings;
  std::vector<std::string> args = {"tq-bench", "recall"};
  args.insert(args.end(), argv + 1, argv + argc);
  const std::string command = ShellCommandLine(args);

  // One knob for every parallel step: training, encoding, ground truth, the T-thread search.
  omp_set_num_threads(s.threads);
  StepLog log;
  if (!s.json) log = [](std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  const int result_depth = std::max(s.k, kTruthDepth);
  absl::StatusOr<RecallData> data = LoadRecallData(
      {.path = s.path, .max_base = s.n, .max_queries = s.queries, .result_depth = result_depth,
       .log = log});
  if (!data.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCommand, std::string(data.status().message()).c_str());
    return kExitBadInput;
  }

  RecallRun run{.dataset = BaseName(s.path), .data = &*data, .k = s.k, .rerank = s.rerank,
                .threads = s.threads};
  for (const MethodSpec& spec : s.methods) {
    const auto start = std::chrono::steady_clock::now();
    // One method in memory at a time: TurboQuant's kept vectors alone are another n x d floats.
    absl::StatusOr<std::unique_ptr<RecallMethod>> method = BuildMethod(
        spec, *data, {.seed = s.seed, .keep_vectors = s.rerank > 0, .log = log});
    if (!method.ok()) {
      std::fprintf(stderr, "%s: %s\n", kCommand, std::string(method.status().message()).c_str());
      return kExitBadInput;
    }
    if (log) {
      const baselines::BuildTimes times = (*method)->build_times();
      log(absl::StrFormat("%s: built in %.1f s (train %.1f s, encode %.1f s), %.1f bytes/vector",
                          spec.name,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                              .count(),
                          times.train_seconds, times.encode_seconds,
                          (*method)->bytes_per_vector()));
    }
    absl::StatusOr<MethodResult> result = MeasureMethod(
        spec, **method, *data, {.k = s.k, .rerank = s.rerank, .threads = s.threads, .log = log});
    if (!result.ok()) {
      std::fprintf(stderr, "%s: %s: %s\n", kCommand, spec.name.c_str(),
                   std::string(result.status().message()).c_str());
      return kExitBadInput;
    }
    run.methods.push_back(*std::move(result));
  }

  if (s.json) {
    std::printf("%s\n", RecallJson(run).c_str());
  } else {
    std::printf("%s\n%s", RecallSummary(run).c_str(), RecallTable(run).ToMarkdown().c_str());
  }
  if (!s.report.empty()) {
    if (absl::Status w = WriteRecallReport(s.report, run, command); !w.ok()) {
      std::fprintf(stderr, "%s: %s\n", kCommand, std::string(w.message()).c_str());
      return kExitBadInput;
    }
  }
  return kExitOk;
}

}  // namespace tq::bench
