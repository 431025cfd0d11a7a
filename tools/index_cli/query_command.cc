// `tq-index query`: the k nearest neighbours of every query row, as TSV or .ivecs; with an
// ann-benchmarks file that has `neighbors`, also recall@k and queries per second on stderr.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "index/index.h"
#include "io/ann_hdf5.h"
#include "io/vecs_file.h"
#include "io/vector_file.h"
#include "platform/atomic_file_writer.h"
#include "tools/index_cli/cli_util.h"
#include "tools/index_cli/commands.h"
#include "tools/index_cli/flags.h"

namespace tq::cli {
namespace {

enum class OutputKind { kStdout, kTsv, kIvecs };

// Queries searched per call: bounded memory for any number of queries, and enough per call
// for the index to share each pass over the codes between several of them.
constexpr int64_t kQueryBatch = 4096;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void AppendTsv(const SearchResults& results, int64_t first_query, std::string* out) {
  char line[96];
  for (int64_t q = 0; q < results.num_queries; ++q) {
    for (int r = 0; r < results.k; ++r) {
      const int64_t id = results.ids[q * results.k + r];
      if (id < 0) break;  // fewer live vectors than k: padding is not printed
      const int n = std::snprintf(line, sizeof(line), "%lld\t%d\t%lld\t%.9g\n",
                                  static_cast<long long>(first_query + q), r,
                                  static_cast<long long>(id), results.scores[q * results.k + r]);
      out->append(line, n);
    }
  }
}

// Mean over queries of |found top-k ∩ true top-k| / k, the ann-benchmarks recall.
double Recall(const std::vector<int64_t>& found, int k, const std::vector<int64_t>& truth,
              int64_t truth_cols, int64_t nq) {
  double sum = 0.0;
  for (int64_t q = 0; q < nq; ++q) {
    absl::flat_hash_set<int64_t> want(truth.begin() + q * truth_cols,
                                      truth.begin() + q * truth_cols + k);
    int hits = 0;
    for (int r = 0; r < k; ++r) hits += want.contains(found[q * k + r]);
    sum += static_cast<double>(hits) / k;
  }
  return nq > 0 ? sum / nq : 0.0;
}

}  // namespace

const CommandSpec& QuerySpec() {
  static const CommandSpec spec{
      "tq-index",
      "query",
      "the k nearest neighbours of each query vector",
      "--index=INDEX --queries=FILE [--dataset=test] --k=K [--rerank=R] [--threads=T] "
      "[--out=FILE.tsv|FILE.ivecs] [--quiet]",
      {{"index", "INDEX", "index file, memory-mapped (required)"},
       {"queries", "FILE", "query vectors: .hdf5/.h5, .fvecs, .bvecs or .npy (required)"},
       {"dataset", "NAME", "HDF5 dataset holding the queries (default test)"},
       {"k", "K", "neighbours per query (default 10)"},
       {"rerank", "R",
        "rescore the best R candidates exactly with the kept vectors (default 0; "
        "needs an index built with --keep-vectors)"},
       {"threads", "T", "search threads (default 0 = all cores)"},
       {"out", "FILE",
        "FILE.tsv: query, rank, id, score per line with a header line; "
        "FILE.ivecs: k ids per query, -1 padding (default: TSV on stdout)"},
       {"quiet", "", "no summary (QPS, recall) on stderr"}}};
  return spec;
}

int RunQuery(const std::vector<std::string>& /*args*/, const std::vector<std::string>& /*given*/) {
  const std::string index_path = absl::GetFlag(FLAGS_index);
  const std::string queries_path = absl::GetFlag(FLAGS_queries);
  const std::string out_path = absl::GetFlag(FLAGS_out);
  const int k = absl::GetFlag(FLAGS_k);
  SearchParams params;
  params.rerank = absl::GetFlag(FLAGS_rerank);
  params.threads = absl::GetFlag(FLAGS_threads);
  if (index_path.empty() || queries_path.empty()) {
    return UsageError("query", "--index and --queries are required");
  }
  if (k < 1 || k > 100000) return UsageError("query", "--k must be in 1..100000");
  if (params.rerank < 0) return UsageError("query", "--rerank must be >= 0");
  if (params.threads < 0) return UsageError("query", "--threads must be >= 0");
  OutputKind output = OutputKind::kStdout;
  if (!out_path.empty()) {
    if (absl::EndsWith(Lower(out_path), ".tsv")) {
      output = OutputKind::kTsv;
    } else if (absl::EndsWith(Lower(out_path), ".ivecs")) {
      output = OutputKind::kIvecs;
    } else {
      return UsageError("query", "--out must end in .tsv or .ivecs");
    }
  }
  const bool quiet = absl::GetFlag(FLAGS_quiet);

  Stopwatch open;
  OpenOptions open_options;
  open_options.mmap = true;
  absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(index_path, open_options);
  if (!opened.ok()) return InputError("query", opened.status());
  const Index& index = **opened;
  const double open_seconds = open.seconds();
  if (params.rerank > 0 && index.options().keep_vectors == KeepVectors::kNone) {
    return InputError("query", absl::FailedPreconditionError(
                                   absl::StrCat(index_path,
                                                ": --rerank needs kept vectors; this index was "
                                                "built with --keep-vectors=none")));
  }
  const std::string dataset = DatasetOr("test");
  absl::StatusOr<std::unique_ptr<io::VectorFileReader>> queries =
      io::OpenVectorFile(queries_path, dataset);
  if (!queries.ok()) return InputError("query", queries.status());
  const int64_t nq = (*queries)->rows(), d = (*queries)->dim();
  if (d != index.dim()) {
    return InputError(
        "query", absl::InvalidArgumentError(absl::StrCat(queries_path, ": queries of dimension ", d,
                                                         ", the index has ", index.dim())));
  }
  if (output == OutputKind::kIvecs && nq * k > (int64_t{1} << 28)) {
    return UsageError("query", "more than 2^28 results for .ivecs; use --out=FILE.tsv");
  }

  std::string tsv = "query\trank\tid\tscore\n";
  std::vector<int64_t> all_ids;  // for .ivecs and recall
  std::vector<float> buffer;
  double search_seconds = 0.0;
  std::optional<AtomicFileWriter> tsv_file;  // .tsv appears only once complete
  if (output == OutputKind::kTsv) {
    absl::StatusOr<AtomicFileWriter> created = AtomicFileWriter::Create(out_path);
    if (!created.ok()) return InputError("query", created.status());
    tsv_file.emplace(*std::move(created));
  }
  for (int64_t begin = 0; begin < nq; begin += kQueryBatch) {
    const int64_t n = std::min(kQueryBatch, nq - begin);
    buffer.resize(n * d);
    if (absl::Status status = (*queries)->ReadRows(begin, n, std::span<float>(buffer));
        !status.ok()) {
      return InputError("query", status);
    }
    SearchResults results;
    Stopwatch search;
    absl::Status status = index.Search(buffer.data(), n, k, params, &results);
    search_seconds += search.seconds();
    if (!status.ok()) {
      return InputError(
          "query", absl::Status(status.code(),
                                absl::StrCat(queries_path, ": rows ", begin, "..", begin + n - 1,
                                             ": ", std::string(status.message()))));
    }
    all_ids.insert(all_ids.end(), results.ids.begin(), results.ids.end());
    if (output != OutputKind::kIvecs) AppendTsv(results, begin, &tsv);
    if (output == OutputKind::kStdout) {
      std::fwrite(tsv.data(), 1, tsv.size(), stdout);
      tsv.clear();
    } else if (output == OutputKind::kTsv && tsv.size() > (1 << 20)) {
      if (absl::Status s = tsv_file->Append(tsv.data(), tsv.size()); !s.ok()) {
        return InputError("query", s);
      }
      tsv.clear();
    }
  }
  if (output == OutputKind::kTsv) {
    absl::Status status = tsv_file->Append(tsv.data(), tsv.size());
    if (status.ok()) status = tsv_file->Commit();
    if (!status.ok()) return InputError("query", status);
  } else if (output == OutputKind::kIvecs) {
    if (nq == 0) {
      return InputError("query", absl::InvalidArgumentError(absl::StrCat(
                                     queries_path, ": no queries, and .ivecs cannot be empty")));
    }
    absl::Status status =
        io::WriteIvecs(out_path, io::MatrixView<int64_t>{std::span<const int64_t>(all_ids), nq, k});
    if (!status.ok()) return InputError("query", status);
  }
  std::fflush(stdout);
  if (quiet) return kExitOk;

  const int threads = params.threads > 0 ? params.threads : omp_get_max_threads();
  std::fprintf(stderr,
               "tq-index query: %lld queries, k=%d, rerank %d, %d threads: open %.3f s, "
               "search %.3f s, %.0f QPS\n",
               static_cast<long long>(nq), k, params.rerank, threads, open_seconds, search_seconds,
               search_seconds > 0 ? nq / search_seconds : 0.0);
  // Ground truth: an ann-benchmarks file's `neighbors` rows for its `test` queries.
  const std::string lower = Lower(queries_path);
  if (dataset == "test" && (absl::EndsWith(lower, ".hdf5") || absl::EndsWith(lower, ".h5"))) {
    absl::StatusOr<io::AnnHdf5Reader> file = io::AnnHdf5Reader::Open(queries_path);
    absl::StatusOr<bool> has = file.ok() ? file->HasDataset("neighbors") : false;
    if (has.ok() && *has) {
      absl::StatusOr<io::DatasetShape> shape = file->Shape("neighbors");
      if (shape.ok() && shape->rows == nq && shape->cols >= 1) {
        const int depth = static_cast<int>(std::min<int64_t>(k, shape->cols));
        absl::StatusOr<std::vector<int64_t>> truth = file->ReadInt64Rows("neighbors", 0, nq);
        if (truth.ok()) {
          std::vector<int64_t> found(nq * depth);
          for (int64_t q = 0; q < nq; ++q) {
            std::copy_n(all_ids.begin() + q * k, depth, found.begin() + q * depth);
          }
          std::fprintf(stderr, "  recall@%d %.4f against the file's `neighbors`\n", depth,
                       Recall(found, depth, *truth, shape->cols, nq));
        }
      }
    }
  }
  return kExitOk;
}

}  // namespace tq::cli
