// `tq-index add`: appends the rows of a vector file to an existing index and saves it back
// atomically; on any error the index file is left exactly as it was.
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
      {{"index", "INDEX", "index file, rewritten atomically once every vector is in (required)"},
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
  // Mapped: only the segments the new vectors land in are copied; Save writes a new file.
  OpenOptions open_options;
  open_options.mmap = true;
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(index_path, open_options);
  if (!index.ok()) return InputError("add", index.status());
  const double open_seconds = open.seconds();
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
  const int64_t before = (*index)->size();
  Stopwatch encode;
  if (absl::Status status = AddFile(**index, **data, ids.empty() ? nullptr : &ids, "add", quiet);
      !status.ok()) {
    return InputError("add", status);
  }
  const double encode_seconds = encode.seconds();
  Stopwatch save;
  if (absl::Status status = (*index)->Save(index_path); !status.ok()) {
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
