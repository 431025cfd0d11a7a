// `tq-bench speed`: per bit width, add throughput, single-query latency, batch QPS and the scan
// rate beside a plain memory read of the same bytes and an exact float scan of the same vectors.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tools/bench/commands.h"
#include "tools/bench/flag_lists.h"
#include "tools/bench/flags.h"
#include "tools/bench/speed_faiss.h"
#include "tools/bench/speed_measure.h"
#include "tools/report/json_writer.h"
#include "tools/report/markdown_table.h"
#include "tools/report/number_format.h"

namespace tq::bench {

const cli::CommandSpec& SpeedSpec() {
  static const cli::CommandSpec spec{
      "tq-bench",
      "speed",
      "add rate, latency, QPS and scan rate of tq::Index against the memory-read ceiling and "
      "exact float search",
      "(--data FILE.hdf5 | --random NxD) [--bits 1,2,3,4] [--threads T] [--k 10] [--rerank R] "
      "[--queries N] [--n N] [--seed S] [--faiss] [--json]",
      {{"data", "FILE.hdf5",
        "ann-benchmarks file: train = base, test = queries, metric from its `distance`"},
       {"random", "NxD", "instead of --data: N Gaussian vectors of dimension D (and the queries)"},
       {"bits", "LIST", "bit widths, each 1..4, fractions allowed (default 1,2,3,4)"},
       {"threads", "T",
        "the multi-thread figures use T threads (default 0 = all cores); "
        "1 thread is always measured"},
       {"k", "K", "neighbours per query (default 10)"},
       {"rerank", "R", "rescore the best R exactly with kept float16 vectors (default 0)"},
       {"queries", "N", "queries (test rows, or random ones) (default 1000)"},
       {"n", "N", "base rows to use (default 0 = all)"},
       {"seed", "S", "seed of the rotation and of --random (default 42)"},
       {"faiss", "",
        "also FAISS's IndexPQ (train, add, recall, QPS at each whole bit width with 8-bit "
        "sub-quantizers) and IndexFlat; needs a build with libfaiss-dev, whose Debian package "
        "has no AVX kernels (its speed is a lower bound)"},
       {"json", "", "print one JSON object instead of the table"}},
      "exit codes: 0 ok, 1 bad input, 2 usage. Add rates are the median of at least three adds "
      "of the whole base into a new index, after an untimed one; batch QPS the median of at "
      "least three searches of all the queries. Seconds are wall-clock on a "
      "machine that may be shared: read the ratios, measured in one run, rather than the "
      "absolute rates."};
  return spec;
}

namespace {

constexpr char kCommand[] = "tq-bench speed";

struct Settings {
  std::string path;
  int64_t random_n = 0;
  int random_dim = 0;
  std::vector<double> bits;
  SpeedOptions options;
  int64_t queries = 1000;
  int64_t n = 0;
  bool faiss = false;
  bool json = false;
};

absl::StatusOr<Settings> ReadSettings(const std::vector<std::string>& given) {
  Settings s;
  s.path = absl::GetFlag(FLAGS_data);
  const std::string random = absl::GetFlag(FLAGS_random);
  if (s.path.empty() == random.empty()) {
    return absl::InvalidArgumentError("give exactly one of --data FILE and --random NxD");
  }
  if (!random.empty()) {
    const std::vector<std::string> parts = absl::StrSplit(random, 'x');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &s.random_n) ||
        !absl::SimpleAtoi(parts[1], &s.random_dim) || s.random_n < 1 ||
        s.random_n > (int64_t{1} << 32) || s.random_dim < 2 || s.random_dim > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("--random '", random, "': expected NxD, N >= 1, D in 2..65536"));
    }
    // The same memory bound as a file's (tools/bench/recall_data.h).
    if (s.random_n * s.random_dim * int64_t{4} > kMaxBaseBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("--random '", random, "': above ", kMaxBaseBytes >> 30, " GiB of vectors"));
    }
  }
  const std::vector<std::string> words = absl::StrSplit(absl::GetFlag(FLAGS_bits), ',');
  for (const std::string& word : words) {
    double rate = 0;
    if (!absl::SimpleAtod(word, &rate) || !(rate >= 1 && rate <= 4)) {
      return absl::InvalidArgumentError(absl::StrCat("--bits: '", word, "' is not in 1..4"));
    }
    s.bits.push_back(rate);
  }
  absl::StatusOr<int> threads = ParseThreads(absl::GetFlag(FLAGS_threads));
  if (!threads.ok()) return threads.status();
  s.options.threads = *threads;
  // --k and --queries are shared with other commands, whose defaults are not speed's.
  if (cli::WasGiven(given, "k")) {
    const int64_t k = absl::GetFlag(FLAGS_k);
    if (k < 1 || k > 1024)
      return absl::InvalidArgumentError(absl::StrCat("--k ", k, " outside [1, 1024]"));
    s.options.k = static_cast<int>(k);
  }
  if (cli::WasGiven(given, "queries")) {
    s.queries = absl::GetFlag(FLAGS_queries);
    if (s.queries < 1)
      return absl::InvalidArgumentError(absl::StrCat("--queries ", s.queries, " < 1"));
  }
  if (s.random_dim > 0 && s.queries * s.random_dim * int64_t{4} > kMaxQueryBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--queries ", s.queries, ": above ", kMaxQueryBytes >> 30, " GiB of queries"));
  }
  s.options.rerank = absl::GetFlag(FLAGS_rerank);
  if (s.options.rerank < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--rerank ", s.options.rerank, " < 0"));
  }
  s.n = absl::GetFlag(FLAGS_n);
  if (s.n < 0) return absl::InvalidArgumentError(absl::StrCat("--n ", s.n, " < 0"));
  s.options.seed = absl::GetFlag(FLAGS_seed);
  s.faiss = absl::GetFlag(FLAGS_faiss);
  if (s.faiss && !FaissAvailable()) {
    return absl::InvalidArgumentError(
        "--faiss: this build has no FAISS (apt-get install libfaiss-dev, then rebuild)");
  }
  s.json = absl::GetFlag(FLAGS_json);
  return s;
}

// FAISS's figures for one row, when --faiss measured them.
struct FaissColumns {
  bool measured = false;
  FaissPqRow pq;  // valid when measured
};

std::string Json(const RecallData& data, const SpeedOptions& options,
                 const std::vector<SpeedRow>& rows, const std::vector<FaissColumns>& faiss,
                 double faiss_flat) {
  report::JsonWriter w;
  w.BeginObject();
  w.Key("data").String(std::filesystem::path(data.path).filename().string());
  w.Key("n").Int(data.n);
  w.Key("d").Int(data.dim);
  w.Key("nq").Int(data.nq);
  w.Key("metric").String(io::DatasetMetricName(data.metric));
  w.Key("k").Int(options.k);
  w.Key("rerank").Int(options.rerank);
  w.Key("threads").Int(options.threads);
  if (faiss_flat > 0) w.Key("faiss_flat_vectors_per_s_1t").Double(faiss_flat);
  w.Key("rows").BeginArray();
  for (size_t i = 0; i < rows.size(); ++i) {
    const SpeedRow& r = rows[i];
    w.BeginObject();
    if (r.bits == static_cast<int>(r.bits)) {
      w.Key("bits").Int(static_cast<int>(r.bits));
    } else {
      w.Key("bits").Double(r.bits);
    }
    w.Key("bytes_per_vector").Double(r.bytes_per_vector);
    w.Key("block_bytes_per_vector").Double(r.block_bytes_per_vector);
    w.Key("add_vectors_per_s_1t").Double(r.add_vectors_per_s_1t);
    w.Key("add_vectors_per_s").Double(r.add_vectors_per_s);
    w.Key("scan_vectors_per_s_1t").Double(r.scan_vectors_per_s_1t);
    w.Key("scan_gbps_1t").Double(r.scan_gbps_1t);
    w.Key("memory_read_gbps").Double(r.memory_read_gbps);
    w.Key("flat_vectors_per_s_1t").Double(r.flat_vectors_per_s_1t);
    w.Key("qps_1t").Double(r.qps_1t);
    w.Key("qps").Double(r.qps);
    w.Key("latency_p50_ms").Double(r.latency_p50_ms);
    w.Key("latency_p99_ms").Double(r.latency_p99_ms);
    w.Key("recall").Double(r.recall);
    if (!faiss.empty()) {
      w.Key("faiss_pq");
      if (!faiss[i].measured) {
        w.Null();
      } else {
        const FaissPqRow& f = faiss[i].pq;
        w.BeginObject();
        w.Key("bytes_per_vector").Double(f.bytes_per_vector);
        w.Key("train_seconds").Double(f.train_seconds);
        w.Key("add_seconds").Double(f.add_seconds);
        w.Key("qps_1t").Double(f.qps_1t);
        w.Key("recall").Double(f.recall);
        w.EndObject();
      }
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.json() + "\n";
}

std::string Table(const SpeedOptions& options, const std::vector<SpeedRow>& rows,
                  const std::vector<FaissColumns>& faiss) {
  const std::string t = absl::StrCat(options.threads, "t");
  std::vector<std::string> header = {"bits",
                                     "bytes/vector",
                                     "add/s 1t",
                                     "add/s " + t,
                                     "add x",
                                     "p50 ms",
                                     "p99 ms",
                                     "scan vectors/s 1t",
                                     "scan GB/s 1t",
                                     "memory read GB/s",
                                     "scan / read",
                                     "flat vectors/s 1t",
                                     "scan / flat",
                                     "QPS 1t",
                                     "QPS " + t,
                                     "QPS x",
                                     absl::StrCat("recall@", options.k)};
  if (!faiss.empty()) {
    for (const char* h :
         {"FAISS PQ bytes", "FAISS PQ train + add s", "FAISS PQ QPS 1t", "FAISS PQ recall"}) {
      header.push_back(h);
    }
  }
  report::MarkdownTable table(header);
  for (size_t c = 0; c < header.size(); ++c) table.SetNumeric(c);
  for (size_t i = 0; i < rows.size(); ++i) {
    const SpeedRow& r = rows[i];
    std::vector<std::string> cells = {
        report::FormatShortest(r.bits),
        report::FormatFixed(r.bytes_per_vector, 1),
        absl::StrFormat("%.3g", r.add_vectors_per_s_1t),
        absl::StrFormat("%.3g", r.add_vectors_per_s),
        report::FormatFixed(r.add_vectors_per_s / r.add_vectors_per_s_1t, 2),
        report::FormatFixed(r.latency_p50_ms, 3),
        report::FormatFixed(r.latency_p99_ms, 3),
        absl::StrFormat("%.3g", r.scan_vectors_per_s_1t),
        report::FormatFixed(r.scan_gbps_1t, 1),
        report::FormatFixed(r.memory_read_gbps, 1),
        report::FormatFixed(r.scan_gbps_1t / r.memory_read_gbps, 2),
        absl::StrFormat("%.3g", r.flat_vectors_per_s_1t),
        report::FormatFixed(r.scan_vectors_per_s_1t / r.flat_vectors_per_s_1t, 1),
        absl::StrFormat("%.0f", r.qps_1t),
        absl::StrFormat("%.0f", r.qps),
        report::FormatFixed(r.qps / r.qps_1t, 2),
        report::FormatFixed(r.recall, 3)};
    if (!faiss.empty()) {
      const bool m = faiss[i].measured;
      const FaissPqRow& f = faiss[i].pq;
      cells.push_back(m ? report::FormatFixed(f.bytes_per_vector, 1) : "-");
      cells.push_back(m ? report::FormatFixed(f.train_seconds + f.add_seconds, 2) : "-");
      cells.push_back(m ? absl::StrFormat("%.0f", f.qps_1t) : "-");
      cells.push_back(m ? report::FormatFixed(f.recall, 3) : "-");
    }
    table.AddRow(std::move(cells));
  }
  return table.ToMarkdown();
}

}  // namespace

int RunSpeed(const std::vector<std::string>& /*args*/, const std::vector<std::string>& given) {
  absl::StatusOr<Settings> settings = ReadSettings(given);
  if (!settings.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCommand, std::string(settings.status().message()).c_str());
    return kExitUsage;
  }
  const Settings& s = *settings;
  absl::StatusOr<RecallData> data = s.path.empty()
                                        ? absl::StatusOr<RecallData>(RandomData(
                                              s.random_n, s.random_dim, s.queries, s.options.seed))
                                        : LoadRecallData({.path = s.path,
                                                          .max_base = s.n,
                                                          .max_queries = s.queries,
                                                          .result_depth = s.options.k,
                                                          .ground_truth = false});
  if (!data.ok()) {
    std::fprintf(stderr, "%s: %s\n", kCommand, std::string(data.status().message()).c_str());
    return kExitBadInput;
  }
  if (!s.json) {
    std::fprintf(stderr, "%s: %s, n = %lld, d = %d, %lld queries, %s, k = %d, rerank %d\n",
                 kCommand, data->path.c_str(), static_cast<long long>(data->n), data->dim,
                 static_cast<long long>(data->nq),
                 std::string(io::DatasetMetricName(data->metric)).c_str(), s.options.k,
                 s.options.rerank);
  }
  // Exact search: the ground truth of every row's recall, and (on up to 100 queries, once: it
  // does not depend on the bits) the exact baseline's speed.
  const ExactSearch exact(*data);
  const std::vector<int64_t> truth = exact.AllTopK(s.options.k);
  const double flat = exact.VectorsPerSecond(s.options.k, 100);
  double faiss_flat = 0;
  if (s.faiss) {
    absl::StatusOr<double> measured = FaissFlatVectorsPerSecond(*data, s.options.k, 100);
    if (!measured.ok()) {
      std::fprintf(stderr, "%s: %s\n", kCommand, std::string(measured.status().message()).c_str());
      return kExitBadInput;
    }
    faiss_flat = *measured;
    if (!s.json) {
      std::fprintf(stderr, "  FAISS IndexFlat: %.3g vectors/s on one thread (ours: %.3g)\n",
                   faiss_flat, flat);
    }
  }
  std::vector<SpeedRow> rows;
  std::vector<FaissColumns> faiss;
  for (double rate : s.bits) {
    absl::StatusOr<SpeedRow> row = MeasureSpeed(*data, rate, s.options, truth);
    if (!row.ok()) {
      std::fprintf(stderr, "%s: %s\n", kCommand, std::string(row.status().message()).c_str());
      return kExitBadInput;
    }
    row->flat_vectors_per_s_1t = flat;
    rows.push_back(*row);
    if (s.faiss) {
      FaissColumns columns;
      // Only whole bit widths with a PQ shape (8-bit sub-quantizers of 8 / bits dimensions).
      if (rate == static_cast<int>(rate)) {
        absl::StatusOr<FaissPqRow> pq =
            MeasureFaissPq(*data, static_cast<int>(rate), s.options.k, truth);
        if (pq.ok()) {
          columns.measured = true;
          columns.pq = *pq;
        } else if (!s.json) {
          std::fprintf(stderr, "  %s\n", std::string(pq.status().message()).c_str());
        }
      }
      faiss.push_back(columns);
    }
    if (!s.json) std::fprintf(stderr, "  %g bits done\n", rate);
  }
  if (s.json) {
    std::fputs(Json(*data, s.options, rows, faiss, faiss_flat).c_str(), stdout);
  } else {
    std::fputs(Table(s.options, rows, faiss).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace tq::bench
