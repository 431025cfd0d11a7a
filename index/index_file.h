// Reading an index file's header without loading the index (tq-index info), and the quantizer
// fingerprint a file carries. Index::Save and Index::Open live in index_file.cc.
#ifndef TQ_INDEX_INDEX_FILE_H_
#define TQ_INDEX_INDEX_FILE_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "engine/turbo_quantizer.h"
#include "index/file_format.h"

namespace tq {

// The parsed and checked header and section table of the file at `path` (nothing else read).
absl::StatusOr<IndexFileHeader> ReadIndexFileHeader(std::string_view path);

// The values of `quantizer` a file records so that a reader can tell that its own
// recomputation gives the same codebook, rotation and QJL projection.
QuantizerFingerprint ComputeFingerprint(const TurboQuantizer& quantizer);

// OkStatus when `actual` (this build) reproduces `recorded` (the file) within rounding.
absl::Status CheckFingerprint(std::string_view path, const QuantizerFingerprint& recorded,
                              const QuantizerFingerprint& actual, int dim);

}  // namespace tq

#endif  // TQ_INDEX_INDEX_FILE_H_
