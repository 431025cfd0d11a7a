// NumPy .npy files (format versions 1.0, 2.0 and 3.0) holding one 2-D array of vectors or ids:
// a reader that streams row slices and a float32 writer.
#ifndef TQ_IO_NPY_FILE_H_
#define TQ_IO_NPY_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/ann_hdf5.h"
#include "io/vector_file.h"
#include "platform/read_only_file.h"

namespace tq::io {

// The header dict of a .npy file is bounded before it is read; a 2-D array's takes under 128
// bytes, and numpy itself refuses headers over 10000 bytes by default.
inline constexpr int64_t kMaxNpyHeaderBytes = int64_t{1} << 16;

// Reads a C-order rank-2 .npy array of dtype '<f4', '<f2', '<f8', '<i4', '<i8' or '|u1'.
// Open parses the header dict ('descr', 'fortran_order', 'shape', in any order, either quote
// style, trailing commas and Python 2's 3L integers allowed; any other key is refused, as numpy
// refuses it) and checks that the file holds all the data the shape promises. Bytes after that data
// are allowed: np.save called twice on one open file writes two arrays back to back, and np.load
// reads the first.
//
// Refused with a message saying why: big-endian ('>f4'), Fortran order, rank other than 2,
// structured or other dtypes, dimensions outside [1, kMaxVectorDim], shapes whose byte size
// overflows int64, and truncated data ("truncated: header promises N bytes of data, file has
// M"). See VectorFileReader for the conversions, status codes and thread safety.
class NpyReader final : public VectorFileReader {
 public:
  static absl::StatusOr<NpyReader> Open(std::string_view path);

  NpyReader(NpyReader&&) = default;
  NpyReader& operator=(NpyReader&&) = default;

  const std::string& path() const override { return file_.path(); }
  int64_t rows() const override { return rows_; }
  int64_t dim() const override { return dim_; }
  ElementType element_type() const { return type_; }
  int major_version() const { return major_version_; }
  int64_t data_offset() const { return data_offset_; }  // bytes before the array data

  absl::Status ReadRows(int64_t begin, int64_t count, std::span<float> out) const override;
  // '<i4', '<i8' and '|u1' arrays; float arrays are FailedPrecondition.
  absl::Status ReadInt64Rows(int64_t begin, int64_t count, std::span<int64_t> out) const override;

 private:
  NpyReader(ReadOnlyFile file, ElementType type, int major_version, int64_t data_offset,
            int64_t rows, int64_t dim)
      : file_(std::move(file)),
        type_(type),
        major_version_(major_version),
        data_offset_(data_offset),
        rows_(rows),
        dim_(dim) {}

  // Streams rows [begin, begin + count) through a bounded buffer, handing each run of whole
  // rows to `decode(first_row, bytes, elements, out_offset)`.
  template <typename Decode>
  absl::Status ReadSlices(int64_t begin, int64_t count, Decode decode) const;

  ReadOnlyFile file_;
  ElementType type_;
  int major_version_ = 1;
  int64_t data_offset_ = 0;
  int64_t rows_ = 0;
  int64_t dim_ = 0;
};

// Writes a float32 ('<f4') C-order 2-D array as np.save does: format 1.0, the header padded with
// spaces to a multiple of 64 bytes and ending in '\n'. Zero rows are allowed (shape (0, cols));
// cols must be in [1, kMaxVectorDim] and data.size() == rows * cols. The file is written beside
// `path` (tq::AtomicFileWriter) and renamed into place. Errors start with the path.
absl::Status WriteNpy(std::string_view path, const MatrixView<float>& matrix);

}  // namespace tq::io

#endif  // TQ_IO_NPY_FILE_H_
