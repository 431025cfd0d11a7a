// .fvecs/.ivecs/.bvecs: size and dimension checks at open, row slices streamed through a
// bounded buffer with every row's dimension header checked, and writers that add the headers.
#include "io/vecs_file.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "platform/atomic_file_writer.h"

namespace tq::io {

using internal::MulFits;
using internal::PathError;

namespace {

// Bytes per pread (and per write): large enough that system-call overhead vanishes against
// the copy, small enough that a slice of a 100 GB file costs a megabyte of memory.
constexpr int64_t kSliceBytes = int64_t{1} << 20;
constexpr int64_t kHeaderBytes = 4;  // the int32 dimension in front of every row

ElementType ElementOf(VecsFormat format) {
  switch (format) {
    case VecsFormat::kFvecs:
      return ElementType::kFloat32;
    case VecsFormat::kIvecs:
      return ElementType::kInt32;
    case VecsFormat::kBvecs:
      return ElementType::kUint8;
  }
  return ElementType::kFloat32;
}

std::string_view ExtensionOf(VecsFormat format) {
  switch (format) {
    case VecsFormat::kFvecs:
      return ".fvecs";
    case VecsFormat::kIvecs:
      return ".ivecs";
    case VecsFormat::kBvecs:
      return ".bvecs";
  }
  return ".fvecs";
}

int64_t LoadDimension(const std::byte* p) {
  int64_t value = 0;
  internal::DecodeToInt64(ElementType::kInt32, p, 1, &value);
  return value;
}

}  // namespace

absl::StatusOr<VecsFormat> VecsFormatFromPath(std::string_view path) {
  const std::string extension = internal::LowerExtension(path);
  if (extension == ".fvecs") return VecsFormat::kFvecs;
  if (extension == ".ivecs") return VecsFormat::kIvecs;
  if (extension == ".bvecs") return VecsFormat::kBvecs;
  return PathError(absl::StatusCode::kInvalidArgument, std::string(path),
                   "not a .fvecs, .ivecs or .bvecs file name");
}

// ---------------------------------------------------------------------------------------------
// Reading.

absl::StatusOr<VecsReader> VecsReader::Open(std::string_view path) {
  absl::StatusOr<VecsFormat> format = VecsFormatFromPath(path);
  if (!format.ok()) return format.status();
  return Open(path, *format);
}

absl::StatusOr<VecsReader> VecsReader::Open(std::string_view path, VecsFormat format) {
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  if (!file.ok()) return file.status();
  const int64_t size = file->size();
  if (size == 0) {
    return PathError(absl::StatusCode::kFailedPrecondition, file->path(),
                     "empty file (no rows, so no dimension)");
  }
  if (size < kHeaderBytes) {
    return PathError(
        absl::StatusCode::kDataLoss, file->path(),
        absl::StrCat("truncated: ", size, " bytes, too short for the 4-byte dimension of row 0"));
  }
  std::byte header[kHeaderBytes];
  if (absl::Status s = file->ReadAt(0, header); !s.ok()) return s;
  const int64_t dim = LoadDimension(header);
  if (dim < 1 || dim > kMaxVectorDim) {
    return PathError(
        absl::StatusCode::kFailedPrecondition, file->path(),
        absl::StrCat("row 0 has dimension ", dim, ", expected 1 to ", kMaxVectorDim,
                     " (is this really a ", std::string(ExtensionOf(format)), " file?)"));
  }
  // At most 4 + 2^20 * 4 bytes: no overflow.
  const int64_t row_bytes = kHeaderBytes + dim * ElementTypeBytes(ElementOf(format));
  if (size % row_bytes != 0) {
    return PathError(
        absl::StatusCode::kDataLoss, file->path(),
        absl::StrCat("truncated last row (or rows of mixed dimensions): ", size,
                     " bytes is not a whole number of ", row_bytes, "-byte rows of dimension ", dim,
                     " (row 0's); ", size % row_bytes, " bytes left over"));
  }
  const int64_t rows = size / row_bytes;
  // Holds for any file that exists, but every byte count downstream (rows * dim * 8 for int64
  // output) relies on it.
  int64_t elements = 0;
  int64_t bytes = 0;
  if (!MulFits(rows, dim, &elements) || !MulFits(elements, 8, &bytes)) {
    return PathError(absl::StatusCode::kFailedPrecondition, file->path(),
                     absl::StrCat(rows, " rows of dimension ", dim, " are too many"));
  }
  // The last row's header costs one more read and catches most files that mix dimensions
  // before a long streaming run starts; the rows between are checked as they are read.
  if (rows > 1) {
    if (absl::Status s = file->ReadAt((rows - 1) * row_bytes, header); !s.ok()) return s;
    const int64_t last_dim = LoadDimension(header);
    if (last_dim != dim) {
      return PathError(absl::StatusCode::kDataLoss, file->path(),
                       absl::StrCat("row ", rows - 1, " (the last) has dimension ", last_dim,
                                    ", expected ", dim, " (row 0's)"));
    }
  }
  return VecsReader(std::move(*file), format, rows, dim);
}

ElementType VecsReader::element_type() const { return ElementOf(format_); }

int64_t VecsReader::row_bytes() const {
  return kHeaderBytes + dim_ * ElementTypeBytes(element_type());
}

template <typename Decode>
absl::Status VecsReader::ReadSlices(int64_t begin, int64_t count, Decode decode) const {
  const int64_t stride = row_bytes();
  const int64_t slice_rows = std::min(count, std::max<int64_t>(1, kSliceBytes / stride));
  std::vector<std::byte> buffer(static_cast<size_t>(slice_rows * stride));
  for (int64_t done = 0; done < count;) {
    const int64_t n = std::min(slice_rows, count - done);
    const std::span<std::byte> bytes(buffer.data(), static_cast<size_t>(n * stride));
    if (absl::Status s = file_.ReadAt((begin + done) * stride, bytes); !s.ok()) return s;
    for (int64_t r = 0; r < n; ++r) {
      const std::byte* row = bytes.data() + r * stride;
      const int64_t row_dim = LoadDimension(row);
      if (row_dim != dim_) {
        return PathError(
            absl::StatusCode::kDataLoss, file_.path(),
            absl::StrCat("row ", begin + done + r, " has dimension ", row_dim, ", expected ", dim_,
                         " (row 0's; every row must have the same dimension)"));
      }
      if (absl::Status s = decode(begin + done + r, row + kHeaderBytes, (done + r) * dim_);
          !s.ok()) {
        return s;
      }
    }
    done += n;
  }
  return absl::OkStatus();
}

absl::Status VecsReader::ReadRows(int64_t begin, int64_t count, std::span<float> out) const {
  if (absl::Status s = CheckSlice(begin, count, out.size()); !s.ok()) return s;
  const ElementType type = element_type();
  return ReadSlices(begin, count, [&](int64_t row, const std::byte* payload, int64_t out_offset) {
    const int64_t bad = internal::DecodeToFloat(type, payload, dim_, out.data() + out_offset);
    if (bad < 0) return absl::OkStatus();
    int64_t value = 0;
    internal::DecodeToInt64(type, payload + bad * ElementTypeBytes(type), 1, &value);
    return PathError(absl::StatusCode::kFailedPrecondition, file_.path(),
                     absl::StrCat("row ", row, " holds ", value,
                                  ", which float32 cannot represent exactly (ids are read "
                                  "as int64)"));
  });
}

absl::Status VecsReader::ReadInt64Rows(int64_t begin, int64_t count, std::span<int64_t> out) const {
  if (format_ == VecsFormat::kFvecs) {
    return PathError(absl::StatusCode::kFailedPrecondition, file_.path(),
                     "holds float32 vectors, not integers (ids come from .ivecs files)");
  }
  if (absl::Status s = CheckSlice(begin, count, out.size()); !s.ok()) return s;
  const ElementType type = element_type();
  return ReadSlices(begin, count, [&](int64_t, const std::byte* payload, int64_t out_offset) {
    internal::DecodeToInt64(type, payload, dim_, out.data() + out_offset);
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Writing.

namespace {

template <typename T>
void StoreElement(T value, std::byte* out) {
  if constexpr (std::is_same_v<T, float>) {
    internal::StoreLittle32(std::bit_cast<uint32_t>(value), out);
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    out[0] = static_cast<std::byte>(value);
  } else {
    // int32, or int64 already checked to fit.
    internal::StoreLittle32(static_cast<uint32_t>(static_cast<int32_t>(value)), out);
  }
}

template <typename T>
absl::Status WriteVecs(std::string_view path_view, const MatrixView<T>& matrix) {
  const std::string path(path_view);
  int64_t elements = 0;
  if (matrix.rows < 1 || matrix.cols < 1 || matrix.cols > kMaxVectorDim ||
      !MulFits(matrix.rows, matrix.cols, &elements) ||
      elements != static_cast<int64_t>(matrix.data.size())) {
    return PathError(
        absl::StatusCode::kInvalidArgument, path,
        absl::StrCat("cannot write a ", matrix.rows, " x ", matrix.cols, " matrix holding ",
                     matrix.data.size(), " values (need at least 1 row, dimension 1 to ",
                     kMaxVectorDim, ", and rows * dimension values)"));
  }
  if constexpr (std::is_same_v<T, int64_t>) {
    // Checked before the file is created, so a bad id leaves no partial output behind.
    for (int64_t i = 0; i < elements; ++i) {
      const int64_t value = matrix.data[static_cast<size_t>(i)];
      if (value < std::numeric_limits<int32_t>::min() ||
          value > std::numeric_limits<int32_t>::max()) {
        return PathError(absl::StatusCode::kInvalidArgument, path,
                         absl::StrCat("value ", value, " in row ", i / matrix.cols,
                                      " does not fit int32 (.ivecs holds 32-bit integers)"));
      }
    }
  }
  absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Create(path);
  if (!writer.ok()) return writer.status();
  const int64_t element_bytes = std::is_same_v<T, uint8_t> ? 1 : 4;
  const int64_t stride = kHeaderBytes + matrix.cols * element_bytes;
  const int64_t slice_rows = std::min(matrix.rows, std::max<int64_t>(1, kSliceBytes / stride));
  std::vector<std::byte> buffer(static_cast<size_t>(slice_rows * stride));
  for (int64_t done = 0; done < matrix.rows;) {
    const int64_t n = std::min(slice_rows, matrix.rows - done);
    for (int64_t r = 0; r < n; ++r) {
      std::byte* row = buffer.data() + r * stride;
      internal::StoreLittle32(static_cast<uint32_t>(matrix.cols), row);
      const T* values = matrix.data.data() + (done + r) * matrix.cols;
      for (int64_t c = 0; c < matrix.cols; ++c) {
        StoreElement(values[c], row + kHeaderBytes + c * element_bytes);
      }
    }
    if (absl::Status s = writer->Append(std::span<const std::byte>(buffer.data(), n * stride));
        !s.ok()) {
      return s;
    }
    done += n;
  }
  return writer->Commit();
}

}  // namespace

absl::Status WriteFvecs(std::string_view path, const MatrixView<float>& matrix) {
  return WriteVecs(path, matrix);
}

absl::Status WriteIvecs(std::string_view path, const MatrixView<int32_t>& matrix) {
  return WriteVecs(path, matrix);
}

absl::Status WriteIvecs(std::string_view path, const MatrixView<int64_t>& matrix) {
  return WriteVecs(path, matrix);
}

absl::Status WriteBvecs(std::string_view path, const MatrixView<uint8_t>& matrix) {
  return WriteVecs(path, matrix);
}

}  // namespace tq::io
