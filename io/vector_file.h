// One way to open any vector file the tools accept (.hdf5/.h5, .fvecs, .ivecs, .bvecs, .npy),
// chosen by extension, behind one interface that reads bounded row slices.
#ifndef TQ_IO_VECTOR_FILE_H_
#define TQ_IO_VECTOR_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "io/ann_hdf5.h"

namespace tq::io {

// Every reader refuses dimensions outside [1, kMaxVectorDim]: a corrupt header must not become
// a multi-gigabyte row buffer, and no embedding model comes near a million dimensions.
inline constexpr int64_t kMaxVectorDim = int64_t{1} << 20;

// Element types found on disk in the flat formats (HDF5 files are converted by HDF5 itself).
enum class ElementType { kFloat16, kFloat32, kFloat64, kUint8, kInt32, kInt64 };

// "float16", "float32", "float64", "uint8", "int32", "int64".
std::string_view ElementTypeName(ElementType type);
int64_t ElementTypeBytes(ElementType type);
bool IsIntegerType(ElementType type);

// A 2-D array of vectors (rows x dim) read in row slices. Implementations hold an open file and
// no row data, so a file larger than memory streams through a caller-sized buffer.
//
// Error messages start with the file path ("base.fvecs: row 7 has dimension 5, expected 4").
// Status codes: NotFound (missing file or dataset), InvalidArgument (unknown extension, negative
// slice bounds, wrong buffer size), OutOfRange (slice past the end), FailedPrecondition (content
// of the wrong kind: empty file, unsupported element type or layout, dimension out of range,
// integers that float32 cannot hold exactly, floats read as integers), DataLoss (truncated or
// inconsistent data, failed reads).
//
// Thread safety: the const methods may be called concurrently (reads are positional; HDF5 files
// serialise on the HDF5 library's global lock).
class VectorFileReader {
 public:
  virtual ~VectorFileReader() = default;

  virtual const std::string& path() const = 0;
  virtual int64_t rows() const = 0;
  virtual int64_t dim() const = 0;

  // Rows [begin, begin + count) as float32, row-major; out.size() must be count * dim().
  // float16 and float64 are converted (float64 rounds to nearest); integer elements must be
  // exact in float32 (|v| <= 2^24), so ids never turn into different numbers silently. After an
  // error `out` may hold part of the slice.
  virtual absl::Status ReadRows(int64_t begin, int64_t count, std::span<float> out) const = 0;

  // Rows of an integer file (ids, ground-truth neighbours) as int64, exactly. Files of floats
  // are FailedPrecondition: converting them would invent ids.
  virtual absl::Status ReadInt64Rows(int64_t begin, int64_t count,
                                     std::span<int64_t> out) const = 0;

  // The metric the file declares: HDF5's `distance` attribute (nullopt if absent;
  // FailedPrecondition for a name ParseDatasetMetric rejects, such as "hamming", so a caller
  // defaulting the metric from the file never falls back silently). Always nullopt for the
  // flat formats, which carry no metadata.
  virtual absl::StatusOr<std::optional<DatasetMetric>> metric() const { return std::nullopt; }

 protected:
  VectorFileReader() = default;
  VectorFileReader(const VectorFileReader&) = default;
  VectorFileReader& operator=(const VectorFileReader&) = default;
  VectorFileReader(VectorFileReader&&) = default;
  VectorFileReader& operator=(VectorFileReader&&) = default;

  // The checks every ReadRows / ReadInt64Rows starts with: non-negative bounds inside rows(),
  // and a buffer of exactly count * dim() elements.
  absl::Status CheckSlice(int64_t begin, int64_t count, size_t out_size) const;
};

// Opens `path` by its extension, case-insensitively:
//   .hdf5, .h5             AnnHdf5Reader on dataset `dataset` ("train", "test", "neighbors")
//   .fvecs, .ivecs, .bvecs VecsReader (io/vecs_file.h)
//   .npy                   NpyReader (io/npy_file.h)
// `dataset` is ignored for the flat formats, which hold a single array. Any other extension is
// InvalidArgument: "x.txt: unknown vector file extension '.txt' (expected .hdf5, .h5, .fvecs,
// .bvecs, .ivecs or .npy)". Every format is held to a dimension in [1, kMaxVectorDim] and a
// size whose rows * dim * 8 bytes fits int64.
absl::StatusOr<std::unique_ptr<VectorFileReader>> OpenVectorFile(std::string_view path,
                                                                 std::string_view dataset);

// ---------------------------------------------------------------------------------------------
// Plumbing shared by the flat-format readers and writers (vecs_file.cc, npy_file.cc); not part
// of the public API. Their files are tq::ReadOnlyFile and tq::AtomicFileWriter (platform/).

namespace internal {

// "<path>: <what>". Paths are absl::string_view: Debian's Abseil has its own string_view, which
// absl::StrCat requires (see io/hdf5_util.h).
absl::Status PathError(absl::StatusCode code, absl::string_view path, absl::string_view what);

// Sets *out = a * b for non-negative a and b; false if the product overflows int64.
inline bool MulFits(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

// Decodes `count` little-endian elements of `type` into float32 (see ReadRows for the rules).
// Returns the index of the first integer that float32 cannot hold exactly, or -1 if all fit.
int64_t DecodeToFloat(ElementType type, const std::byte* in, int64_t count, float* out);

// Decodes `count` little-endian elements of an integer `type` into int64.
void DecodeToInt64(ElementType type, const std::byte* in, int64_t count, int64_t* out);

// Stores `value` as 4 little-endian bytes, whatever the host's byte order.
inline void StoreLittle32(uint32_t value, std::byte* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>(value >> (8 * i));
}

// Lower-case extension of the file name in `path`, with its dot (".fvecs"); empty if none.
std::string LowerExtension(std::string_view path);

}  // namespace internal

}  // namespace tq::io

#endif  // TQ_IO_VECTOR_FILE_H_
