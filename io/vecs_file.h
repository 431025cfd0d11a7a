// The TEXMEX formats of SIFT1M, GIST1M and BIGANN (.fvecs, .ivecs, .bvecs): every row is an
// int32 little-endian dimension followed by that many float32, int32 or uint8 values.
#ifndef TQ_IO_VECS_FILE_H_
#define TQ_IO_VECS_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/ann_hdf5.h"
#include "io/vector_file.h"
#include "platform/read_only_file.h"

namespace tq::io {

enum class VecsFormat {
  kFvecs,  // float32 vectors
  kIvecs,  // int32, usually ground-truth neighbour ids
  kBvecs,  // uint8 vectors (BIGANN)
};

// The format named by the extension of `path` (case-insensitive); InvalidArgument otherwise.
absl::StatusOr<VecsFormat> VecsFormatFromPath(std::string_view path);

// Reads a .fvecs / .ivecs / .bvecs file. Open checks what it can without reading every row:
// the file is non-empty, row 0's dimension is in [1, kMaxVectorDim], the size is a whole number
// of rows of that dimension, and the last row declares the same dimension. The other rows'
// dimension headers are checked as they are read; a mismatch is DataLoss naming the row.
// See VectorFileReader for the conversions, status codes and thread safety.
class VecsReader final : public VectorFileReader {
 public:
  // The format comes from the extension.
  static absl::StatusOr<VecsReader> Open(std::string_view path);
  static absl::StatusOr<VecsReader> Open(std::string_view path, VecsFormat format);

  VecsReader(VecsReader&&) = default;
  VecsReader& operator=(VecsReader&&) = default;

  const std::string& path() const override { return file_.path(); }
  int64_t rows() const override { return rows_; }
  int64_t dim() const override { return dim_; }
  VecsFormat format() const { return format_; }
  ElementType element_type() const;

  // bvecs converts exactly; ivecs values must be exact in float32 (|v| <= 2^24).
  absl::Status ReadRows(int64_t begin, int64_t count, std::span<float> out) const override;
  // ivecs and bvecs; fvecs is FailedPrecondition.
  absl::Status ReadInt64Rows(int64_t begin, int64_t count, std::span<int64_t> out) const override;

 private:
  VecsReader(ReadOnlyFile file, VecsFormat format, int64_t rows, int64_t dim)
      : file_(std::move(file)), format_(format), rows_(rows), dim_(dim) {}

  int64_t row_bytes() const;
  // Streams rows [begin, begin + count) through a bounded buffer, checking every row's
  // dimension header and handing each row's payload to `decode(row, payload, out_row_index)`.
  template <typename Decode>
  absl::Status ReadSlices(int64_t begin, int64_t count, Decode decode) const;

  ReadOnlyFile file_;
  VecsFormat format_;
  int64_t rows_ = 0;
  int64_t dim_ = 0;
};

// Writers. Each writes a temporary file beside `path` (tq::AtomicFileWriter) and renames it
// into place once complete, replacing any file at `path`; a failed write leaves nothing behind.
// The matrix must hold rows * cols values with rows >= 1 (an empty file has no dimension, so no
// reader could open it) and cols in [1, kMaxVectorDim]; InvalidArgument otherwise. Errors start
// with the path.
absl::Status WriteFvecs(std::string_view path, const MatrixView<float>& matrix);
absl::Status WriteIvecs(std::string_view path, const MatrixView<int32_t>& matrix);
// Ids as search returns them (int64, -1 for padding); a value outside int32 is InvalidArgument
// and nothing is written, since .ivecs cannot hold it.
absl::Status WriteIvecs(std::string_view path, const MatrixView<int64_t>& matrix);
absl::Status WriteBvecs(std::string_view path, const MatrixView<uint8_t>& matrix);

}  // namespace tq::io

#endif  // TQ_IO_VECS_FILE_H_
