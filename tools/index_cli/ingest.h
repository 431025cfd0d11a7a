// Streaming a vector file into an index for `build` and `add`: bounded batches, rows checked
// so that an error names the file and the row, optional ids from a file.
#ifndef TQ_TOOLS_INDEX_CLI_INGEST_H_
#define TQ_TOOLS_INDEX_CLI_INGEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/index.h"
#include "io/vector_file.h"

namespace tq::cli {

// Ids from `path`: a text file (.txt, .tsv, .csv: one unsigned integer per line) or an integer
// vector file of dimension 1 (.ivecs, .npy, an HDF5 dataset `dataset`). There must be exactly
// `expected` of them, each at most 2^63 - 1.
absl::StatusOr<std::vector<uint64_t>> ReadIds(const std::string& path, const std::string& dataset,
                                              int64_t expected);

// Checks, without changing the index, that adding `data` (with `ids`, if given) would succeed:
// every row finite (and non-zero under cosine), the ids distinct and none already in the
// index. Lets `add` on a writable index fail before its first batch is logged.
absl::Status CheckFile(const Index& index, const io::VectorFileReader& data,
                       const std::vector<uint64_t>* ids);

// The mean `build --center=auto` gives the index: EstimateMean (index/centering.h) of
// kMeanSampleRows rows spread over the whole file, unit-normalised under cosine. The whole file,
// not the first batch, because files are often sorted (GloVe by word frequency). Rows are
// checked as AddFile checks them.
absl::StatusOr<std::vector<float>> SampleMean(const io::VectorFileReader& data, Metric metric);

// Adds every row of `data` to `index` (ids[i] for row i when ids is non-null) in bounded
// batches, showing progress under `label`. Stops at the first bad row, naming it; the batches
// before it stay added (and, on a writable index, logged).
absl::Status AddFile(Index& index, const io::VectorFileReader& data,
                     const std::vector<uint64_t>* ids, const std::string& label, bool quiet);

}  // namespace tq::cli

#endif  // TQ_TOOLS_INDEX_CLI_INGEST_H_
