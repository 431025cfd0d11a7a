// `tq-bench recall`: the paper's Figure 5 on an ann-benchmarks file. TurboQuant (tq::Index),
// PQ and RaBitQ at matched bits: build time, bytes per vector, recall@1@k, recall@10, QPS.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/bench/commands.h"
#include "tools/bench/flag_lists.h"
#include "tools/bench/flags.h"
#include "tools/bench/recall_data.h"
#include "tools/bench/recall_measure.h"
#include "tools/bench/recall_methods.h"
#include "tools/bench/recall_report.h"

namespace tq::bench {

const cli::CommandSpec& RecallSpec() {
  static const cli::CommandSpec spec{
      "tq-bench",
      "recall",
      "recall@1@k (paper Fig. 5), recall@10@10 and QPS of TurboQuant, PQ and RaBitQ",
      "--data FILE.hdf5 --methods tq2,tq4,pq2,pq4,rabitq1,rabitq2,rabitq4 "
      "[--variant mse|prod|corrected|all] [--k 64] [--rerank R] [--threads T] [--queries N] "
      "[--n N] [--seed S] [--json] [--report DIR]",
      {{"data", "FILE.hdf5",
        "ann-benchmarks file: train = base, test = queries, metric from its `distance`"},
       {"methods", "LIST",
        "tqB, tqB-mse|prod|corrected (B 1..4), pqB (B 1,2,4,8), rabitqB (B 1..8)"},
       {"variant", "V", "variant of tqB: mse, prod, corrected (default) or all (each tqB x 3)"},
       {"k", "K", "deepest k of recall@1@k, 1..1024 (default 64)"},
       {"rerank", "R",
        "also recall@10 after exactly rescoring the best R, 0 or 10..100000 (default 0 = off)"},
       {"threads", "T", "threads for building and for the T-thread QPS (default 0 = all cores)"},
       {"queries", "N", "use the first N test rows (default: all)"},
       {"n", "N", "use the first N train rows (default 0 = all); forces brute-force ground truth"},
       {"seed", "S", "seed of TurboQuant's rotation and of PQ and RaBitQ (default 42)"},
       {"json", "", "print one JSON object instead of the table (and nothing on stderr)"},
       {"report", "DIR", "write DIR/results.md, results.csv and recall.svg"}},
      "exit codes: 0 ok, 1 bad input (file, data, a method failing to build), 2 usage (flags)."};
  return spec;
}

namespace {

constexpr char kCommand[] = "tq-bench recall";

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
  const int64_t k = absl::GetFlag(FLAGS_k);
  if (k < 1 || k > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--k ", k, " outside [1, 1024]"));
  }
  s.k = static_cast<int>(k);
  s.rerank = absl::GetFlag(FLAGS_rerank);
  if (s.rerank != 0 && (s.rerank < kTruthDepth || s.rerank > 100000)) {
    return absl::InvalidArgumentError(absl::StrCat("--rerank ", s.rerank, ": 0 (off) or ",
                                                   kTruthDepth, " .. 100000 (it feeds recall@10)"));
  }
  absl::StatusOr<int> threads = ParseThreads(absl::GetFlag(FLAGS_threads));
  if (!threads.ok()) return threads.status();
  s.threads = *threads;
  // --queries is shared with distortion, whose default (32) is not recall's (all).
  if (cli::WasGiven(given, "queries")) {
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

int RunRecall(const std::vector<std::string>& args, const std::vector<std::string>& given) {
  absl::StatusOr<Settings> settings = ReadSettings(given);
  if (!settings.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCommand, std::string(settings.status().message()).c_str());
    return kExitUsage;
  }
  const Settings& s = *settings;
  std::vector<std::string> words = {"tq-bench"};
  words.insert(words.end(), args.begin(), args.end());
  const std::string command = ShellCommandLine(words);

  // One knob for every parallel step: training, encoding, ground truth, the T-thread search.
  omp_set_num_threads(s.threads);
  StepLog log;
  if (!s.json)
    log = [](std::string_view line) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
  const int result_depth = std::max(s.k, kTruthDepth);
  absl::StatusOr<RecallData> data = LoadRecallData({.path = s.path,
                                                    .max_base = s.n,
                                                    .max_queries = s.queries,
                                                    .result_depth = result_depth,
                                                    .log = log});
  if (!data.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCommand, std::string(data.status().message()).c_str());
    return kExitBadInput;
  }

  RecallRun run{.dataset = BaseName(s.path),
                .data = &*data,
                .k = s.k,
                .rerank = s.rerank,
                .threads = s.threads};
  for (const MethodSpec& spec : s.methods) {
    const auto start = std::chrono::steady_clock::now();
    // One method in memory at a time: TurboQuant's kept vectors alone are another n x d floats.
    absl::StatusOr<std::unique_ptr<RecallMethod>> method =
        BuildMethod(spec, *data, {.seed = s.seed, .keep_vectors = s.rerank > 0, .log = log});
    if (!method.ok()) {
      std::fprintf(stderr, "%s: %s\n", kCommand, std::string(method.status().message()).c_str());
      return kExitBadInput;
    }
    if (log) {
      const baselines::BuildTimes times = (*method)->build_times();
      log(absl::StrFormat(
          "%s: built in %.1f s (train %.1f s, encode %.1f s), %.1f bytes/vector", spec.name,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          times.train_seconds, times.encode_seconds, (*method)->bytes_per_vector()));
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
