// Reading side of the ann-benchmarks HDF5 support: opening files, shape and type checks, and
// hyperslab reads of row slices, plus the `distance` metric names.
#include "io/ann_hdf5.h"

#include <hdf5.h>

#include <cstddef>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "io/hdf5_util.h"

namespace tq::io {

using internal::CheckElementType;
using internal::DescribeType;
using internal::ElementKind;
using internal::FileError;
using internal::Hdf5Failure;
using internal::LinkExists;
using internal::OpenDataset;
using internal::ScopedHid;
using internal::ShapeOf;

// ---------------------------------------------------------------------------------------------
// Metric names.

absl::StatusOr<DatasetMetric> ParseDatasetMetric(std::string_view name) {
  const std::string key = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(name.data(), name.size())));
  if (key == "angular" || key == "cosine") return DatasetMetric::kCosine;
  if (key == "euclidean" || key == "l2") return DatasetMetric::kL2;
  if (key == "ip" || key == "dot" || key == "inner_product") return DatasetMetric::kInnerProduct;
  return absl::InvalidArgumentError(absl::StrCat("unknown distance '", std::string(name),
                                                 "' (expected angular, euclidean or ip)"));
}

std::string_view DatasetMetricName(DatasetMetric metric) {
  switch (metric) {
    case DatasetMetric::kCosine:
      return "angular";
    case DatasetMetric::kL2:
      return "euclidean";
    case DatasetMetric::kInnerProduct:
      return "ip";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Dataset access shared by the read methods.

namespace {

// A dataset checked for rank, element kind and the requested slice, ready to read.
struct PreparedRead {
  ScopedHid dataset;
  DatasetShape shape;
};

absl::StatusOr<PreparedRead> PrepareRead(const std::string& path, hid_t file,
                                         const std::string& name, int64_t row_begin,
                                         int64_t row_count, ElementKind kind) {
  if (row_begin < 0 || row_count < 0) {
    return FileError(absl::StatusCode::kInvalidArgument, path,
                     absl::StrCat("invalid slice of '", name, "': row_begin ", row_begin,
                                  ", row_count ", row_count));
  }
  absl::StatusOr<ScopedHid> dataset = OpenDataset(path, file, name);
  if (!dataset.ok()) return dataset.status();
  absl::StatusOr<DatasetShape> shape = ShapeOf(path, name, dataset->get());
  if (!shape.ok()) return shape.status();
  if (absl::Status s = CheckElementType(path, name, dataset->get(), kind); !s.ok()) return s;
  // Written as a subtraction so that a huge row_count cannot overflow row_begin + row_count.
  if (row_begin > shape->rows || row_count > shape->rows - row_begin) {
    int64_t row_end = 0;
    const std::string end = __builtin_add_overflow(row_begin, row_count, &row_end)
                                ? absl::StrCat(row_begin, "+", row_count)
                                : absl::StrCat(row_end);
    return FileError(absl::StatusCode::kOutOfRange, path,
                     absl::StrCat("rows [", row_begin, ", ", end, ") out of range for dataset '",
                                  name, "' with ", shape->rows, " rows"));
  }
  return PreparedRead{std::move(*dataset), *shape};
}

absl::Status ReadPrepared(const std::string& path, const std::string& name,
                          const PreparedRead& prepared, int64_t row_begin, int64_t row_count,
                          hid_t mem_type, void* out) {
  // A zero-sized hyperslab is rejected by HDF5 1.10, and there is nothing to read anyway.
  if (row_count == 0 || prepared.shape.cols == 0) return absl::OkStatus();
  ScopedHid file_space;
  ScopedHid mem_space;
  if (absl::Status s = internal::SelectRows(path, prepared.dataset.get(), row_begin, row_count,
                                            prepared.shape.cols, &file_space, &mem_space);
      !s.ok()) {
    return s;
  }
  if (H5Dread(prepared.dataset.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT,
              out) < 0) {
    return Hdf5Failure(absl::StatusCode::kDataLoss, path,
                       absl::StrCat("reading rows [", row_begin, ", ", row_begin + row_count,
                                    ") of '", name, "' failed"));
  }
  return absl::OkStatus();
}

absl::Status CheckReadBudget(const std::string& path, const std::string& name, int64_t row_begin,
                             int64_t row_count, int64_t cols, int64_t element_bytes,
                             int64_t max_bytes) {
  if (max_bytes < 0) {
    return FileError(absl::StatusCode::kInvalidArgument, path,
                     absl::StrCat("max_bytes must be non-negative, got ", max_bytes));
  }
  // Cannot overflow: row_count <= rows and ShapeOf bounded rows * cols * 8.
  const int64_t bytes = row_count * cols * element_bytes;
  if (bytes <= max_bytes) return absl::OkStatus();
  return FileError(absl::StatusCode::kResourceExhausted, path,
                   absl::StrCat("reading rows [", row_begin, ", ", row_begin + row_count, ") of '",
                                name, "' (", cols, " columns) needs ", bytes,
                                " bytes, over the limit of ", max_bytes, "; read smaller slices"));
}

template <typename T>
absl::StatusOr<std::vector<T>> ReadRowsAllocating(const std::string& path, hid_t file,
                                                  const std::string& name, int64_t row_begin,
                                                  int64_t row_count, int64_t max_bytes,
                                                  ElementKind kind, hid_t mem_type) {
  absl::StatusOr<PreparedRead> prepared = PrepareRead(path, file, name, row_begin, row_count, kind);
  if (!prepared.ok()) return prepared.status();
  const int64_t cols = prepared->shape.cols;
  if (absl::Status s =
          CheckReadBudget(path, name, row_begin, row_count, cols, sizeof(T), max_bytes);
      !s.ok()) {
    return s;
  }
  std::vector<T> out(static_cast<size_t>(row_count * cols));
  if (absl::Status s =
          ReadPrepared(path, name, *prepared, row_begin, row_count, mem_type, out.data());
      !s.ok()) {
    return s;
  }
  return out;
}

template <typename T>
absl::Status ReadRowsInto(const std::string& path, hid_t file, const std::string& name,
                          int64_t row_begin, int64_t row_count, std::span<T> out, ElementKind kind,
                          hid_t mem_type) {
  absl::StatusOr<PreparedRead> prepared = PrepareRead(path, file, name, row_begin, row_count, kind);
  if (!prepared.ok()) return prepared.status();
  const int64_t needed = row_count * prepared->shape.cols;
  if (static_cast<int64_t>(out.size()) != needed) {
    return FileError(
        absl::StatusCode::kInvalidArgument, path,
        absl::StrCat("buffer for ", row_count, " rows of '", name, "' (", prepared->shape.cols,
                     " columns) has ", out.size(), " elements, expected ", needed));
  }
  return ReadPrepared(path, name, *prepared, row_begin, row_count, mem_type, out.data());
}

// Opens a root attribute and checks it holds exactly one value; nullopt if absent.
absl::StatusOr<std::optional<ScopedHid>> OpenScalarAttribute(const std::string& path, hid_t file,
                                                             const std::string& name) {
  const htri_t exists = H5Aexists(file, name.c_str());
  if (exists < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot look up attribute '", name, "'"));
  }
  if (exists == 0) return std::nullopt;
  ScopedHid attr(H5Aopen(file, name.c_str(), H5P_DEFAULT), H5Aclose);
  ScopedHid space(attr.valid() ? H5Aget_space(attr.get()) : H5I_INVALID_HID, H5Sclose);
  if (!space.valid()) {
    return Hdf5Failure(absl::StatusCode::kDataLoss, path,
                       absl::StrCat("cannot open attribute '", name, "'"));
  }
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points != 1) {
    return FileError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("attribute '", name, "' holds ", points, " values, expected 1"));
  }
  return std::optional<ScopedHid>(std::move(attr));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// AnnHdf5Reader.

absl::StatusOr<AnnHdf5Reader> AnnHdf5Reader::Open(std::string_view path) {
  internal::SilenceHdf5Errors();
  std::string file_path(path);
  if (file_path.empty()) return absl::InvalidArgumentError("empty HDF5 file path");
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(file_path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return FileError(absl::StatusCode::kNotFound, file_path, "file not found");
  }
  if (error) {
    return FileError(absl::StatusCode::kFailedPrecondition, file_path,
                     absl::StrCat("cannot access file: ", error.message()));
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return FileError(absl::StatusCode::kFailedPrecondition, file_path,
                     "is a directory, not an HDF5 file");
  }
#if H5_VERSION_GE(1, 12, 0)
  const htri_t is_hdf5 = H5Fis_accessible(file_path.c_str(), H5P_DEFAULT);
#else
  const htri_t is_hdf5 = H5Fis_hdf5(file_path.c_str());
#endif
  if (is_hdf5 < 0) {
    return Hdf5Failure(absl::StatusCode::kFailedPrecondition, file_path, "cannot read file");
  }
  if (is_hdf5 == 0) {
    internal::TakeHdf5ErrorDetail();  // H5Fis_hdf5 may leave noise on the stack
    return FileError(absl::StatusCode::kFailedPrecondition, file_path, "not an HDF5 file");
  }
  ScopedHid access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!access.valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, file_path, "cannot create access plist");
  }
#if (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10 && H5_VERS_RELEASE >= 7) || H5_VERSION_GE(1, 12, 1)
  // Keep HDF5's shared lock against a concurrent writer, but do not fail where the filesystem
  // has no locking at all (ENOSYS, e.g. some NFS and read-only mounts holding datasets).
  H5Pset_file_locking(access.get(), /*use_file_locking=*/true, /*ignore_when_disabled=*/true);
#endif
  const hid_t file = H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, access.get());
  if (file < 0) {
    return Hdf5Failure(absl::StatusCode::kFailedPrecondition, file_path, "cannot open HDF5 file");
  }
  return AnnHdf5Reader(std::move(file_path), file);
}

AnnHdf5Reader::AnnHdf5Reader(AnnHdf5Reader&& other) noexcept
    : path_(std::move(other.path_)), file_id_(std::exchange(other.file_id_, -1)) {}

AnnHdf5Reader& AnnHdf5Reader::operator=(AnnHdf5Reader&& other) noexcept {
  if (this != &other) {
    if (file_id_ >= 0) H5Fclose(file_id_);
    path_ = std::move(other.path_);
    file_id_ = std::exchange(other.file_id_, -1);
  }
  return *this;
}

AnnHdf5Reader::~AnnHdf5Reader() {
  if (file_id_ >= 0) H5Fclose(file_id_);
}

absl::StatusOr<bool> AnnHdf5Reader::HasDataset(std::string_view name_view) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  absl::StatusOr<bool> exists = LinkExists(path_, file_id_, name);
  if (!exists.ok() || !*exists) return exists;
  ScopedHid object(H5Oopen(file_id_, name.c_str(), H5P_DEFAULT), H5Oclose);
  if (!object.valid()) {
    // A dangling soft or external link exists as a name but holds no dataset.
    internal::TakeHdf5ErrorDetail();
    return false;
  }
  return H5Iget_type(object.get()) == H5I_DATASET;
}

absl::StatusOr<DatasetShape> AnnHdf5Reader::Shape(std::string_view name_view) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  absl::StatusOr<ScopedHid> dataset = OpenDataset(path_, file_id_, name);
  if (!dataset.ok()) return dataset.status();
  return ShapeOf(path_, name, dataset->get());
}

absl::StatusOr<std::vector<float>> AnnHdf5Reader::ReadFloatRows(std::string_view name_view,
                                                                int64_t row_begin,
                                                                int64_t row_count,
                                                                int64_t max_bytes) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  return ReadRowsAllocating<float>(path_, file_id_, name, row_begin, row_count, max_bytes,
                                   ElementKind::kFloat, H5T_NATIVE_FLOAT);
}

absl::Status AnnHdf5Reader::ReadFloatRowsInto(std::string_view name_view, int64_t row_begin,
                                              int64_t row_count, std::span<float> out) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  return ReadRowsInto<float>(path_, file_id_, name, row_begin, row_count, out, ElementKind::kFloat,
                             H5T_NATIVE_FLOAT);
}

absl::StatusOr<std::vector<int64_t>> AnnHdf5Reader::ReadInt64Rows(std::string_view name_view,
                                                                  int64_t row_begin,
                                                                  int64_t row_count,
                                                                  int64_t max_bytes) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  return ReadRowsAllocating<int64_t>(path_, file_id_, name, row_begin, row_count, max_bytes,
                                     ElementKind::kInteger, H5T_NATIVE_INT64);
}

absl::Status AnnHdf5Reader::ReadInt64RowsInto(std::string_view name_view, int64_t row_begin,
                                              int64_t row_count, std::span<int64_t> out) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  return ReadRowsInto<int64_t>(path_, file_id_, name, row_begin, row_count, out,
                               ElementKind::kInteger, H5T_NATIVE_INT64);
}

absl::StatusOr<std::optional<std::string>> AnnHdf5Reader::ReadStringAttribute(
    std::string_view name_view) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  absl::StatusOr<std::optional<ScopedHid>> attr = OpenScalarAttribute(path_, file_id_, name);
  if (!attr.ok()) return attr.status();
  if (!attr->has_value()) return std::nullopt;
  const hid_t attr_id = (*attr)->get();
  ScopedHid type(H5Aget_type(attr_id), H5Tclose);
  if (!type.valid()) {
    return Hdf5Failure(absl::StatusCode::kDataLoss, path_,
                       absl::StrCat("cannot get the type of attribute '", name, "'"));
  }
  if (H5Tget_class(type.get()) != H5T_STRING) {
    return FileError(absl::StatusCode::kFailedPrecondition, path_,
                     absl::StrCat("attribute '", name, "' is ", DescribeType(type.get()),
                                  ", expected a string"));
  }
  const H5T_cset_t cset = H5Tget_cset(type.get());
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) {
    return Hdf5Failure(absl::StatusCode::kDataLoss, path_,
                       absl::StrCat("cannot inspect attribute '", name, "'"));
  }
  // The memory type keeps the file's character set: HDF5 has no ASCII <-> UTF-8 conversion.
  if (variable > 0) {
    ScopedHid mem_type(H5Tcopy(H5T_C_S1), H5Tclose);
    char* value = nullptr;
    if (!mem_type.valid() || H5Tset_size(mem_type.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(mem_type.get(), cset) < 0 || H5Aread(attr_id, mem_type.get(), &value) < 0) {
      return Hdf5Failure(absl::StatusCode::kDataLoss, path_,
                         absl::StrCat("cannot read attribute '", name, "'"));
    }
    std::string result = value != nullptr ? value : "";
    H5free_memory(value);
    return result;
  }
  // Bounded before allocating: a metric name is a few bytes, a megabyte means a broken file.
  constexpr size_t kMaxFixedStringBytes = size_t{1} << 20;
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > kMaxFixedStringBytes) {
    return FileError(absl::StatusCode::kFailedPrecondition, path_,
                     absl::StrCat("attribute '", name, "' has an implausible string size ", size));
  }
  const H5T_str_t padding = H5Tget_strpad(type.get());
  ScopedHid mem_type(H5Tcopy(H5T_C_S1), H5Tclose);
  std::string result(size, '\0');
  if (!mem_type.valid() || H5Tset_size(mem_type.get(), size) < 0 ||
      H5Tset_cset(mem_type.get(), cset) < 0 || H5Tset_strpad(mem_type.get(), padding) < 0 ||
      H5Aread(attr_id, mem_type.get(), result.data()) < 0) {
    return Hdf5Failure(absl::StatusCode::kDataLoss, path_,
                       absl::StrCat("cannot read attribute '", name, "'"));
  }
  result.resize(result.find('\0') == std::string::npos ? size : result.find('\0'));
  if (padding == H5T_STR_SPACEPAD) {
    result.erase(result.find_last_not_of(' ') + 1);  // npos + 1 == 0 clears an all-space value
  }
  return result;
}

absl::StatusOr<std::optional<int64_t>> AnnHdf5Reader::ReadIntAttribute(
    std::string_view name_view) const {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  absl::StatusOr<std::optional<ScopedHid>> attr = OpenScalarAttribute(path_, file_id_, name);
  if (!attr.ok()) return attr.status();
  if (!attr->has_value()) return std::nullopt;
  const hid_t attr_id = (*attr)->get();
  ScopedHid type(H5Aget_type(attr_id), H5Tclose);
  if (!type.valid()) {
    return Hdf5Failure(absl::StatusCode::kDataLoss, path_,
                       absl::StrCat("cannot get the type of attribute '", name, "'"));
  }
  const bool fits_int64 = H5Tget_sign(type.get()) != H5T_SGN_NONE || H5Tget_size(type.get()) < 8;
  if (H5Tget_class(type.get()) != H5T_INTEGER || !fits_int64) {
    return FileError(absl::StatusCode::kFailedPrecondition, path_,
                     absl::StrCat("attribute '", name, "' is ", DescribeType(type.get()),
                                  ", expected an integer"));
  }
  int64_t value = 0;
  if (H5Aread(attr_id, H5T_NATIVE_INT64, &value) < 0) {
    return Hdf5Failure(absl::StatusCode::kDataLoss, path_,
                       absl::StrCat("cannot read attribute '", name, "'"));
  }
  return value;
}

absl::StatusOr<std::optional<std::string>> AnnHdf5Reader::ReadDistance() const {
  return ReadStringAttribute("distance");
}

absl::StatusOr<std::optional<DatasetMetric>> AnnHdf5Reader::ReadMetric() const {
  absl::StatusOr<std::optional<std::string>> distance = ReadDistance();
  if (!distance.ok()) return distance.status();
  if (!distance->has_value()) return std::nullopt;
  absl::StatusOr<DatasetMetric> metric = ParseDatasetMetric(**distance);
  if (!metric.ok()) {
    return FileError(absl::StatusCode::kFailedPrecondition, path_,
                     absl::StrCat("attribute 'distance': ", metric.status().message()));
  }
  return *metric;
}

absl::StatusOr<FloatMatrix> ReadAll(std::string_view path, std::string_view dataset,
                                    int64_t max_bytes) {
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(path);
  if (!reader.ok()) return reader.status();
  absl::StatusOr<DatasetShape> shape = reader->Shape(dataset);
  if (!shape.ok()) return shape.status();
  absl::StatusOr<std::vector<float>> data =
      reader->ReadFloatRows(dataset, 0, shape->rows, max_bytes);
  if (!data.ok()) return data.status();
  return FloatMatrix{shape->rows, shape->cols, std::move(*data)};
}

}  // namespace tq::io
