// Reads and writes ann-benchmarks HDF5 files: `train`/`test` vectors, `neighbors`/`distances`
// ground truth and the `distance` metric attribute, streamed in bounded row slices.
#ifndef TQ_IO_ANN_HDF5_H_
#define TQ_IO_ANN_HDF5_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tq::io {

// ---------------------------------------------------------------------------------------------
// Metric named by the file's `distance` attribute.

enum class DatasetMetric { kInnerProduct, kCosine, kL2 };

// Accepts the names found in the wild, case-insensitively and ignoring surrounding whitespace:
// "angular"/"cosine" -> kCosine, "euclidean"/"l2" -> kL2, "ip"/"dot"/"inner_product" ->
// kInnerProduct. Anything else (e.g. "hamming", "jaccard") is InvalidArgument.
absl::StatusOr<DatasetMetric> ParseDatasetMetric(std::string_view name);

// The ann-benchmarks spelling: "angular", "euclidean", or "ip" (ann-benchmarks itself has no
// inner-product name; "ip" is what big-ann-benchmarks and FAISS use, and parses back).
std::string_view DatasetMetricName(DatasetMetric metric);

// ---------------------------------------------------------------------------------------------
// Reading.

struct DatasetShape {
  int64_t rows = 0;
  int64_t cols = 0;
  friend bool operator==(const DatasetShape&, const DatasetShape&) = default;
};

// A whole 2-D float dataset, row-major: element (r, c) is data[r * cols + c].
struct FloatMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> data;
};

// Upper bound on the bytes a single allocating read may return, so a corrupt or unexpectedly
// huge file fails with a clear error instead of exhausting memory (cf. hnswlib#677).
inline constexpr int64_t kDefaultMaxReadBytes = int64_t{8} << 30;  // 8 GiB

// Read-only view of one HDF5 file. Datasets are addressed by name ("train", "test",
// "neighbors", "distances"; nested paths like "group/data" also work).
//
// Every error message starts with the file path, e.g.
//   "glove.hdf5: dataset 'train' not found"
//   "x.hdf5: dataset 'train' has rank 3, expected 2"
//   "x.hdf5: not an HDF5 file"
// Status codes: NotFound (file, dataset), FailedPrecondition (file content of the wrong kind:
// not HDF5, wrong rank or type), InvalidArgument (negative slice bounds, bad buffer size),
// OutOfRange (slice past the end), ResourceExhausted (slice above max_bytes), DataLoss (HDF5
// failed reading data that exists).
//
// Thread safety: const methods may be called concurrently when the HDF5 library is built
// thread-safe (Debian's is); HDF5 then serialises the calls under its global lock.
class AnnHdf5Reader {
 public:
  // Opens `path` read-only. NotFound if it does not exist; FailedPrecondition if it is not an
  // HDF5 file or cannot be opened.
  static absl::StatusOr<AnnHdf5Reader> Open(std::string_view path);

  AnnHdf5Reader(AnnHdf5Reader&& other) noexcept;
  AnnHdf5Reader& operator=(AnnHdf5Reader&& other) noexcept;
  AnnHdf5Reader(const AnnHdf5Reader&) = delete;
  AnnHdf5Reader& operator=(const AnnHdf5Reader&) = delete;
  ~AnnHdf5Reader();

  const std::string& path() const { return path_; }

  // True iff `name` exists and is a dataset (a group of that name is false).
  absl::StatusOr<bool> HasDataset(std::string_view name) const;

  // (rows, cols) of a 2-D dataset. Also rejects shapes whose byte size would overflow int64.
  absl::StatusOr<DatasetShape> Shape(std::string_view name) const;

  // Rows [row_begin, row_begin + row_count) of a float32 or float64 dataset (chunked or
  // contiguous) as float32, row-major. Only the selected rows are read from disk, so huge
  // files stream in slices. ResourceExhausted if the result would exceed max_bytes.
  absl::StatusOr<std::vector<float>> ReadFloatRows(std::string_view name, int64_t row_begin,
                                                   int64_t row_count,
                                                   int64_t max_bytes = kDefaultMaxReadBytes) const;

  // As ReadFloatRows, into caller memory; out.size() must equal row_count * cols. Lets a
  // streaming loop reuse one buffer.
  absl::Status ReadFloatRowsInto(std::string_view name, int64_t row_begin, int64_t row_count,
                                 std::span<float> out) const;

  // Rows of an integer dataset (int32 or int64 on disk, e.g. `neighbors`) as int64. Unsigned
  // 64-bit data is rejected because it may not fit.
  absl::StatusOr<std::vector<int64_t>> ReadInt64Rows(
      std::string_view name, int64_t row_begin, int64_t row_count,
      int64_t max_bytes = kDefaultMaxReadBytes) const;

  absl::Status ReadInt64RowsInto(std::string_view name, int64_t row_begin, int64_t row_count,
                                 std::span<int64_t> out) const;

  // A root-group string attribute (fixed- or variable-length, as h5py writes for numpy bytes
  // and Python str respectively); nullopt if absent, FailedPrecondition if not a string.
  absl::StatusOr<std::optional<std::string>> ReadStringAttribute(std::string_view name) const;

  // A root-group integer attribute such as `dimension`; nullopt if absent.
  absl::StatusOr<std::optional<int64_t>> ReadIntAttribute(std::string_view name) const;

  // The `distance` attribute, raw and parsed. ReadMetric fails on an unknown metric name.
  absl::StatusOr<std::optional<std::string>> ReadDistance() const;
  absl::StatusOr<std::optional<DatasetMetric>> ReadMetric() const;

 private:
  AnnHdf5Reader(std::string path, int64_t file_id) : path_(std::move(path)), file_id_(file_id) {}

  std::string path_;
  int64_t file_id_ = -1;  // hid_t; kept as int64_t so this header needs no HDF5 include path
};

// Opens `path` and reads all of the 2-D float dataset `dataset`.
absl::StatusOr<FloatMatrix> ReadAll(std::string_view path, std::string_view dataset,
                                    int64_t max_bytes = kDefaultMaxReadBytes);

// ---------------------------------------------------------------------------------------------
// Writing.

enum class DiskType { kFloat32, kFloat64, kInt32, kInt64 };
enum class StorageLayout { kContiguous, kChunked };
enum class StringStorage { kVariableLength, kFixedLength };

struct DatasetOptions {
  StorageLayout layout = StorageLayout::kContiguous;
  // Rows per chunk when chunked; 0 picks about 1 MiB per chunk. Clamped to the row count.
  int64_t chunk_rows = 0;
};

// Builds an HDF5 file at `path`. Data goes to "<path>.partial" and is renamed over `path` only
// by Commit(), so a failed or abandoned write never leaves a truncated file where a reader
// expects a complete one. Destroying an uncommitted writer deletes the partial file.
class AnnHdf5Writer {
 public:
  static absl::StatusOr<AnnHdf5Writer> Create(std::string_view path);

  AnnHdf5Writer(AnnHdf5Writer&& other) noexcept;
  AnnHdf5Writer& operator=(AnnHdf5Writer&& other) noexcept;
  AnnHdf5Writer(const AnnHdf5Writer&) = delete;
  AnnHdf5Writer& operator=(const AnnHdf5Writer&) = delete;
  ~AnnHdf5Writer();

  const std::string& path() const { return path_; }

  // Creates an empty rows x cols dataset, filled later by WriteRows (possibly in slices).
  absl::Status CreateDataset(std::string_view name, DiskType type, int64_t rows, int64_t cols,
                             const DatasetOptions& options = {});

  // Writes values.size() / cols whole rows starting at row_begin. Floats go only to float
  // datasets and integers only to integer datasets; int64 values must fit an int32 dataset.
  absl::Status WriteRows(std::string_view name, int64_t row_begin, std::span<const float> values);
  absl::Status WriteRows(std::string_view name, int64_t row_begin, std::span<const int32_t> values);
  absl::Status WriteRows(std::string_view name, int64_t row_begin, std::span<const int64_t> values);

  // Root-group attributes; an existing attribute of the same name is replaced. Variable-length
  // UTF-8 is what h5py writes for a Python str.
  absl::Status WriteStringAttribute(std::string_view name, std::string_view value,
                                    StringStorage storage = StringStorage::kVariableLength);
  absl::Status WriteIntAttribute(std::string_view name, int64_t value);

  // Flushes, closes and renames the file into place. The writer is spent afterwards.
  absl::Status Commit();

 private:
  AnnHdf5Writer(std::string path, std::string partial_path, int64_t file_id)
      : path_(std::move(path)), partial_path_(std::move(partial_path)), file_id_(file_id) {}
  absl::Status CheckOpen() const;
  void Abandon();

  std::string path_;
  std::string partial_path_;
  int64_t file_id_ = -1;  // hid_t of the partial file; -1 once committed or abandoned
};

// Row-major matrix borrowed from the caller.
template <typename T>
struct MatrixView {
  std::span<const T> data;
  int64_t rows = 0;
  int64_t cols = 0;
};

// The four datasets of an ann-benchmarks file plus its metric.
struct AnnData {
  MatrixView<float> train;
  MatrixView<float> test;
  MatrixView<int32_t> neighbors;  // ids into train, nq x k
  MatrixView<float> distances;    // nq x k, same shape as neighbors
  std::string distance = "angular";
};

struct AnnWriteOptions {
  // Layout and on-disk type of train, test and distances. Chunked float64 reproduces what
  // h5py makes of a numpy float64 array with chunks=True.
  DatasetOptions float_layout;
  DiskType float_type = DiskType::kFloat32;
  DiskType neighbors_type = DiskType::kInt32;
  StringStorage distance_storage = StringStorage::kVariableLength;
  // ann-benchmarks writes `dimension` = train cols; off reproduces files without it.
  bool write_dimension = true;
};

// Writes a complete ann-benchmarks file to `path` (replacing it) after checking that the
// shapes agree: test.cols == train.cols, distances shape == neighbors shape, neighbors.rows ==
// test.rows, and every data.size() == rows * cols.
absl::Status WriteAnnHdf5(std::string_view path, const AnnData& data,
                          const AnnWriteOptions& options = {});

}  // namespace tq::io

#endif  // TQ_IO_ANN_HDF5_H_
