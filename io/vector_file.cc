// The by-extension front door, the HDF5 adapter behind it, and the little-endian element
// decoding shared by the .fvecs/.ivecs/.bvecs and .npy readers.
#include "io/vector_file.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/float16.h"
#include "io/npy_file.h"
#include "io/vecs_file.h"

namespace tq::io {

using internal::PathError;

std::string_view ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kFloat16:
      return "float16";
    case ElementType::kFloat32:
      return "float32";
    case ElementType::kFloat64:
      return "float64";
    case ElementType::kUint8:
      return "uint8";
    case ElementType::kInt32:
      return "int32";
    case ElementType::kInt64:
      return "int64";
  }
  return "unknown";
}

int64_t ElementTypeBytes(ElementType type) {
  switch (type) {
    case ElementType::kUint8:
      return 1;
    case ElementType::kFloat16:
      return 2;
    case ElementType::kFloat32:
    case ElementType::kInt32:
      return 4;
    case ElementType::kFloat64:
    case ElementType::kInt64:
      return 8;
  }
  return 1;
}

bool IsIntegerType(ElementType type) {
  return type == ElementType::kUint8 || type == ElementType::kInt32 || type == ElementType::kInt64;
}

absl::Status VectorFileReader::CheckSlice(int64_t begin, int64_t count, size_t out_size) const {
  if (begin < 0 || count < 0) {
    return PathError(absl::StatusCode::kInvalidArgument, path(),
                     absl::StrCat("invalid slice: begin ", begin, ", count ", count));
  }
  // Written as a subtraction so that a huge count cannot overflow begin + count.
  if (begin > rows() || count > rows() - begin) {
    int64_t end = 0;
    const std::string end_text = __builtin_add_overflow(begin, count, &end)
                                     ? absl::StrCat(begin, "+", count)
                                     : absl::StrCat(end);
    return PathError(absl::StatusCode::kOutOfRange, path(),
                     absl::StrCat("rows [", begin, ", ", end_text, ") out of range for a file of ",
                                  rows(), " rows"));
  }
  // Cannot overflow: count <= rows() and every reader bounds rows() * dim() * 8.
  const int64_t needed = count * dim();
  if (static_cast<int64_t>(out_size) != needed) {
    return PathError(absl::StatusCode::kInvalidArgument, path(),
                     absl::StrCat("buffer for ", count, " rows of dimension ", dim(), " has ",
                                  out_size, " elements, expected ", needed));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// HDF5 behind the common interface.

namespace {

// Integer datasets read as float go through int64 in slices of this many bytes, so the exact
// conversion check costs a bounded buffer, not a copy of the slice.
constexpr int64_t kConvertSliceBytes = int64_t{1} << 20;

class Hdf5VectorFile final : public VectorFileReader {
 public:
  Hdf5VectorFile(AnnHdf5Reader reader, std::string dataset, DatasetShape shape, bool integer)
      : reader_(std::move(reader)),
        dataset_(std::move(dataset)),
        shape_(shape),
        integer_(integer) {}

  const std::string& path() const override { return reader_.path(); }
  int64_t rows() const override { return shape_.rows; }
  int64_t dim() const override { return shape_.cols; }

  absl::Status ReadRows(int64_t begin, int64_t count, std::span<float> out) const override {
    if (absl::Status s = CheckSlice(begin, count, out.size()); !s.ok()) return s;
    if (!integer_) return reader_.ReadFloatRowsInto(dataset_, begin, count, out);
    // AnnHdf5Reader never turns integers into floats; the flat formats do when it is exact, and
    // the front door behaves the same for every format.
    const int64_t slice_rows = std::max<int64_t>(1, kConvertSliceBytes / (8 * dim()));
    std::vector<int64_t> buffer;
    for (int64_t done = 0; done < count;) {
      const int64_t n = std::min(slice_rows, count - done);
      buffer.resize(static_cast<size_t>(n * dim()));
      if (absl::Status s = reader_.ReadInt64RowsInto(dataset_, begin + done, n, buffer); !s.ok()) {
        return s;
      }
      for (size_t i = 0; i < buffer.size(); ++i) {
        const int64_t value = buffer[i];
        if (value < -(int64_t{1} << 24) || value > (int64_t{1} << 24)) {
          return PathError(absl::StatusCode::kFailedPrecondition, path(),
                           absl::StrCat("dataset '", dataset_, "' row ",
                                        begin + done + static_cast<int64_t>(i) / dim(), " holds ",
                                        value, ", which float32 cannot represent exactly"));
        }
        out[static_cast<size_t>(done * dim()) + i] = static_cast<float>(value);
      }
      done += n;
    }
    return absl::OkStatus();
  }

  absl::Status ReadInt64Rows(int64_t begin, int64_t count, std::span<int64_t> out) const override {
    if (absl::Status s = CheckSlice(begin, count, out.size()); !s.ok()) return s;
    return reader_.ReadInt64RowsInto(dataset_, begin, count, out);
  }

  absl::StatusOr<std::optional<DatasetMetric>> metric() const override {
    return reader_.ReadMetric();
  }

 private:
  AnnHdf5Reader reader_;
  std::string dataset_;
  DatasetShape shape_;
  bool integer_ = false;
};

absl::StatusOr<std::unique_ptr<VectorFileReader>> OpenHdf5(const std::string& path,
                                                           const std::string& dataset) {
  if (dataset.empty()) {
    return PathError(absl::StatusCode::kInvalidArgument, path,
                     "an HDF5 file needs a dataset name (e.g. 'train' or 'test')");
  }
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(path);
  if (!reader.ok()) return reader.status();
  absl::StatusOr<DatasetShape> shape = reader->Shape(dataset);
  if (!shape.ok()) return shape.status();
  if (shape->cols < 1 || shape->cols > kMaxVectorDim) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("dataset '", dataset, "' has dimension ", shape->cols,
                                  ", expected 1 to ", kMaxVectorDim));
  }
  // An empty integer read still checks the element kind, which tells ids from vectors.
  const bool integer = reader->ReadInt64RowsInto(dataset, 0, 0, {}).ok();
  if (!integer) {
    // A float dataset: make sure ReadRows will accept it, so type problems (strings, compounds)
    // surface at open rather than mid-stream.
    if (absl::Status s = reader->ReadFloatRowsInto(dataset, 0, 0, {}); !s.ok()) return s;
  }
  return std::make_unique<Hdf5VectorFile>(std::move(*reader), dataset, *shape, integer);
}

}  // namespace

absl::StatusOr<std::unique_ptr<VectorFileReader>> OpenVectorFile(std::string_view path_view,
                                                                 std::string_view dataset) {
  const std::string path(path_view);
  if (path.empty()) return absl::InvalidArgumentError("empty vector file path");
  const std::string extension = internal::LowerExtension(path);
  if (extension == ".hdf5" || extension == ".h5") return OpenHdf5(path, std::string(dataset));
  if (extension == ".fvecs" || extension == ".ivecs" || extension == ".bvecs") {
    absl::StatusOr<VecsReader> reader = VecsReader::Open(path);
    if (!reader.ok()) return reader.status();
    return std::make_unique<VecsReader>(std::move(*reader));
  }
  if (extension == ".npy") {
    absl::StatusOr<NpyReader> reader = NpyReader::Open(path);
    if (!reader.ok()) return reader.status();
    return std::make_unique<NpyReader>(std::move(*reader));
  }
  return PathError(absl::StatusCode::kInvalidArgument, path,
                   absl::StrCat(extension.empty() ? std::string("no file extension")
                                                  : absl::StrCat("unknown vector file extension '",
                                                                 extension, "'"),
                                " (expected .hdf5, .h5, .fvecs, .bvecs, .ivecs or .npy)"));
}

// ---------------------------------------------------------------------------------------------
// Plumbing.

namespace internal {

absl::Status PathError(absl::StatusCode code, absl::string_view path, absl::string_view what) {
  return absl::Status(code, absl::StrCat(path, ": ", what));
}

std::string LowerExtension(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  // A leading dot names a hidden file (".npy" alone has no stem), not an extension.
  if (dot == std::string_view::npos || dot == 0) return "";
  return absl::AsciiStrToLower(absl::string_view(name.data() + dot, name.size() - dot));
}

// Element decoding -------------------------------------------------------------------------------

namespace {

// The formats are little-endian on disk whatever the host; on x86-64 and ARM these compile to
// plain loads.
template <typename U>
U LoadLittle(const std::byte* p) {
  U value;
  std::memcpy(&value, p, sizeof(U));
  if constexpr (std::endian::native == std::endian::big) {
    if constexpr (sizeof(U) == 2) value = __builtin_bswap16(value);
    if constexpr (sizeof(U) == 4) value = __builtin_bswap32(value);
    if constexpr (sizeof(U) == 8) value = __builtin_bswap64(value);
  }
  return value;
}

// Integers of larger magnitude are not all representable in float32's 24-bit significand.
constexpr int64_t kMaxExactFloatInteger = int64_t{1} << 24;

template <typename I, typename U>
int64_t DecodeIntegersToFloat(const std::byte* in, int64_t count, float* out) {
  for (int64_t i = 0; i < count; ++i) {
    const int64_t value = static_cast<I>(LoadLittle<U>(in + i * sizeof(U)));
    if (value < -kMaxExactFloatInteger || value > kMaxExactFloatInteger) return i;
    out[i] = static_cast<float>(value);
  }
  return -1;
}

// Rounds to nearest like the hardware, but spells out overflow to +-inf: C++ leaves a double
// outside float's range undefined when converted, and a corrupt file must not reach that.
float DoubleToFloat(double value) {
  // FLT_MAX plus half its ulp: from here on, round-to-nearest-even gives infinity.
  constexpr double kOverflow = 0x1.ffffffp+127;
  if (value >= kOverflow) return std::numeric_limits<float>::infinity();
  if (value <= -kOverflow) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(value);  // NaN stays NaN
}

}  // namespace

int64_t DecodeToFloat(ElementType type, const std::byte* in, int64_t count, float* out) {
  switch (type) {
    case ElementType::kFloat32:
      for (int64_t i = 0; i < count; ++i) {
        out[i] = std::bit_cast<float>(LoadLittle<uint32_t>(in + 4 * i));
      }
      return -1;
    case ElementType::kFloat16:
      for (int64_t i = 0; i < count; ++i) out[i] = HalfToFloat(LoadLittle<uint16_t>(in + 2 * i));
      return -1;
    case ElementType::kFloat64:
      for (int64_t i = 0; i < count; ++i) {
        out[i] = DoubleToFloat(std::bit_cast<double>(LoadLittle<uint64_t>(in + 8 * i)));
      }
      return -1;
    case ElementType::kUint8:
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(std::to_integer<int>(in[i]));
      return -1;
    case ElementType::kInt32:
      return DecodeIntegersToFloat<int32_t, uint32_t>(in, count, out);
    case ElementType::kInt64:
      return DecodeIntegersToFloat<int64_t, uint64_t>(in, count, out);
  }
  return 0;
}

void DecodeToInt64(ElementType type, const std::byte* in, int64_t count, int64_t* out) {
  switch (type) {
    case ElementType::kUint8:
      for (int64_t i = 0; i < count; ++i) out[i] = std::to_integer<int64_t>(in[i]);
      return;
    case ElementType::kInt32:
      for (int64_t i = 0; i < count; ++i) {
        out[i] = static_cast<int32_t>(LoadLittle<uint32_t>(in + 4 * i));
      }
      return;
    case ElementType::kInt64:
      for (int64_t i = 0; i < count; ++i) {
        out[i] = static_cast<int64_t>(LoadLittle<uint64_t>(in + 8 * i));
      }
      return;
    case ElementType::kFloat16:
    case ElementType::kFloat32:
    case ElementType::kFloat64:
      return;  // callers refuse float files before decoding
  }
}

}  // namespace internal

}  // namespace tq::io
