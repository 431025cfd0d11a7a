// `tq-index add`: appends the rows of a vector file to an index opened for writing: each batch
// goes through the write-ahead log, and a checkpoint folds them into the file at the end.
#include <omp.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "index/index.h"
#include "io/vector_file.h"
#include "tools/index_cli/cli_util.h"
#include "tools/index_cli/commands.h"
#include "tools/index_cli/flags.h"
#include "tools/index_cli/ingest.h"

namespace tq::cli {

const CommandSpec& AddSpec() {
  static const CommandSpec spec{
      "tq-index",
      "add",
      "append the vectors of a file to an index",
      "--index=INDEX --data=FILE [--dataset=train] [--ids=FILE] [--threads=T] [--quiet]",
      {{"index", "INDEX",
        "index file, opened for writing: each batch is logged to INDEX.wal before it counts, and "
        "the file is rewritten atomically once every vector is in (required)"},
       {"data", "FILE",
        "vectors: .hdf5/.h5, .fvecs, .bvecs or .npy, of the index's dimension "
        "(required)"},
       {"dataset", "NAME", "HDF5 dataset holding the vectors (default train)"},
       {"ids", "FILE",
        "one new id per vector: .txt (a number per line), .ivecs/.npy of one "
        "column (default: after the largest id ever added)"},
       {"threads", "T", "encoding threads (default 0 = all cores)"},
       {"quiet", "", "no progress line or summary on stderr"}}};
  return spec;
}

int RunAdd(const std::vector<std::string>& /*args*/, const std::vector<std::string>& /*given*/) {
  const std::string index_path = absl::GetFlag(FLAGS_index);
  const std::string data_path = absl::GetFlag(FLAGS_data);
  if (index_path.empty() || data_path.empty()) {
    return UsageError("add", "--index and --data are required");
  }
  if (absl::GetFlag(FLAGS_threads) < 0) return UsageError("add", "--threads must be >= 0");
  if (absl::GetFlag(FLAGS_threads) > 0) omp_set_num_threads(absl::GetFlag(FLAGS_threads));
  const bool quiet = absl::GetFlag(FLAGS_quiet);

  Stopwatch open;
  // Mapped: only the segments the new vectors land in are copied; the checkpoint writes a new
  // file. Writable: every batch is in the log before it counts, so a crash loses none of them.
  OpenOptions open_options;
  open_options.mmap = true;
  open_options.writable = true;
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(index_path, open_options);
  if (!index.ok()) return InputError("add", index.status());
  const double open_seconds = open.seconds();
  if (const WalRecovery& r = (*index)->recovery(); r.records_replayed > 0 && !quiet) {
    std::fprintf(stderr,
                 "tq-index add: replayed %lld logged batches of an earlier run (%lld "
                 "vectors added, %lld removed)\n",
                 static_cast<long long>(r.records_replayed),
                 static_cast<long long>(r.vectors_added), static_cast<long long>(r.ids_removed));
  }
  absl::StatusOr<std::unique_ptr<io::VectorFileReader>> data =
      io::OpenVectorFile(data_path, DatasetOr("train"));
  if (!data.ok()) return InputError("add", data.status());
  std::vector<uint64_t> ids;
  if (!absl::GetFlag(FLAGS_ids).empty()) {
    absl::StatusOr<std::vector<uint64_t>> read =
        ReadIds(absl::GetFlag(FLAGS_ids), "ids", (*data)->rows());
    if (!read.ok()) return InputError("add", read.status());
    ids = *std::move(read);
  }
  // Everything is checked before the first batch is logged: a bad row or id changes nothing.
  if (absl::Status status = CheckFile(**index, **data, ids.empty() ? nullptr : &ids);
      !status.ok()) {
    return InputError("add", status);
  }
  const int64_t before = (*index)->size();
  Stopwatch encode;
  if (absl::Status status = AddFile(**index, **data, ids.empty() ? nullptr : &ids, "add", quiet);
      !status.ok()) {
    const int code = InputError("add", status);
    if ((*index)->size() > before) {
      std::fprintf(stderr, "  the %lld vectors added before the error are in %s.wal and stay\n",
                   static_cast<long long>((*index)->size() - before), index_path.c_str());
    }
    return code;
  }
  const double encode_seconds = encode.seconds();
  Stopwatch save;
  if (absl::Status status = (*index)->Checkpoint(); !status.ok()) {
    return InputError("add", status);
  }
  if (!quiet) {
    const int64_t n = (*data)->rows();
    std::fprintf(stderr,
                 "tq-index add: %lld vectors from %s -> %s (%lld -> %lld live)\n"
                 "  open %.2f s, encode %.2f s (%.0f vectors/s), save %.2f s, file %s\n",
                 static_cast<long long>(n), data_path.c_str(), index_path.c_str(),
                 static_cast<long long>(before), static_cast<long long>((*index)->size()),
                 open_seconds, encode_seconds, encode_seconds > 0 ? n / encode_seconds : 0.0,
                 save.seconds(), FormatBytes(FileSize(index_path)).c_str());
  }
  return kExitOk;
}

}  // namespace tq::cli
