// Writing side of the ann-benchmarks HDF5 support: datasets in either layout and type, string
// and integer attributes, and a commit that renames a finished file into place.
#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <system_error>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "io/ann_hdf5.h"
#include "io/hdf5_util.h"

namespace tq::io {

using internal::CheckedMul;
using internal::CheckElementType;
using internal::ElementKind;
using internal::FileError;
using internal::Hdf5Failure;
using internal::ScopedHid;

namespace {

// Little-endian explicitly, as h5py writes on every platform this project targets.
hid_t FileTypeOf(DiskType type) {
  switch (type) {
    case DiskType::kFloat32:
      return H5T_IEEE_F32LE;
    case DiskType::kFloat64:
      return H5T_IEEE_F64LE;
    case DiskType::kInt32:
      return H5T_STD_I32LE;
    case DiskType::kInt64:
      return H5T_STD_I64LE;
  }
  return H5T_IEEE_F32LE;
}

size_t ElementBytes(DiskType type) {
  return type == DiskType::kFloat32 || type == DiskType::kInt32 ? 4 : 8;
}

bool IsFloat(DiskType type) { return type == DiskType::kFloat32 || type == DiskType::kFloat64; }

// Default chunks of about 1 MiB: large enough that per-chunk overhead vanishes in a scan, small
// enough that HDF5's default 1 MiB chunk cache holds one.
constexpr int64_t kDefaultChunkBytes = int64_t{1} << 20;
// HDF5 cannot store a chunk of 4 GiB or more.
constexpr int64_t kMaxChunkBytes = (int64_t{1} << 32) - 1;

absl::StatusOr<ScopedHid> MakeCreationPlist(const std::string& path, const std::string& name,
                                            int64_t rows, int64_t cols, DiskType type,
                                            const DatasetOptions& options) {
  ScopedHid plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!plist.valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, path, "cannot create dataset plist");
  }
  // An empty dataset has nothing to chunk, and HDF5 refuses chunks larger than fixed dims.
  if (options.layout != StorageLayout::kChunked || rows == 0 || cols == 0) return plist;
  const int64_t row_bytes = cols * static_cast<int64_t>(ElementBytes(type));
  if (row_bytes > kMaxChunkBytes) {
    return FileError(absl::StatusCode::kInvalidArgument, path,
                     absl::StrCat("dataset '", name, "': one row is ", row_bytes,
                                  " bytes, over HDF5's 4 GiB chunk limit; use contiguous"));
  }
  int64_t chunk_rows = options.chunk_rows > 0
                           ? options.chunk_rows
                           : std::max<int64_t>(1, kDefaultChunkBytes / row_bytes);
  chunk_rows = std::min({chunk_rows, rows, kMaxChunkBytes / row_bytes});
  const hsize_t chunk[2] = {static_cast<hsize_t>(chunk_rows), static_cast<hsize_t>(cols)};
  if (H5Pset_chunk(plist.get(), 2, chunk) < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot set chunking of '", name, "'"));
  }
  return plist;
}

// Values that do not fit the on-disk integer would be clamped by HDF5's conversion; ids must
// never change silently.
absl::Status CheckFitsDisk(const std::string& path, const std::string& name, hid_t dataset,
                           std::span<const int64_t> values) {
  ScopedHid type(H5Dget_type(dataset), H5Tclose);
  if (!type.valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot get the type of '", name, "'"));
  }
  if (H5Tget_size(type.get()) >= 8) return absl::OkStatus();
  for (int64_t value : values) {
    if (value < std::numeric_limits<int32_t>::min() ||
        value > std::numeric_limits<int32_t>::max()) {
      return FileError(absl::StatusCode::kInvalidArgument, path,
                       absl::StrCat("value ", value, " does not fit int32 dataset '", name, "'"));
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status WriteRowsImpl(const std::string& path, hid_t file, const std::string& name,
                           int64_t row_begin, std::span<const T> values, ElementKind kind,
                           hid_t mem_type) {
  absl::StatusOr<ScopedHid> dataset = internal::OpenDataset(path, file, name);
  if (!dataset.ok()) return dataset.status();
  absl::StatusOr<DatasetShape> shape = internal::ShapeOf(path, name, dataset->get());
  if (!shape.ok()) return shape.status();
  if (absl::Status s = CheckElementType(path, name, dataset->get(), kind); !s.ok()) return s;
  const int64_t size = static_cast<int64_t>(values.size());
  if (shape->cols == 0 ? size != 0 : size % shape->cols != 0) {
    return FileError(absl::StatusCode::kInvalidArgument, path,
                     absl::StrCat(size, " values are not whole rows of dataset '", name, "' with ",
                                  shape->cols, " columns"));
  }
  const int64_t row_count = shape->cols == 0 ? 0 : size / shape->cols;
  if (row_begin < 0 || row_begin > shape->rows || row_count > shape->rows - row_begin) {
    return FileError(absl::StatusCode::kOutOfRange, path,
                     absl::StrCat("writing ", row_count, " rows at row ", row_begin,
                                  " overruns dataset '", name, "' with ", shape->rows, " rows"));
  }
  if constexpr (std::is_same_v<T, int64_t>) {
    if (absl::Status s = CheckFitsDisk(path, name, dataset->get(), values); !s.ok()) return s;
  }
  if (row_count == 0) return absl::OkStatus();
  ScopedHid file_space;
  ScopedHid mem_space;
  if (absl::Status s = internal::SelectRows(path, dataset->get(), row_begin, row_count, shape->cols,
                                            &file_space, &mem_space);
      !s.ok()) {
    return s;
  }
  if (H5Dwrite(dataset->get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT,
               values.data()) < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("writing rows [", row_begin, ", ", row_begin + row_count,
                                    ") of '", name, "' failed"));
  }
  return absl::OkStatus();
}

// Replaces attribute `name` on the root group with a scalar of `file_type`, written from
// `buffer` as `mem_type`.
absl::Status WriteScalarAttribute(const std::string& path, hid_t file, const std::string& name,
                                  hid_t file_type, hid_t mem_type, const void* buffer) {
  if (name.empty()) {
    return FileError(absl::StatusCode::kInvalidArgument, path, "empty attribute name");
  }
  const htri_t exists = H5Aexists(file, name.c_str());
  if (exists < 0 || (exists > 0 && H5Adelete(file, name.c_str()) < 0)) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot replace attribute '", name, "'"));
  }
  ScopedHid space(H5Screate(H5S_SCALAR), H5Sclose);
  ScopedHid attr(space.valid() ? H5Acreate2(file, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                            H5P_DEFAULT)
                               : H5I_INVALID_HID,
                 H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), mem_type, buffer) < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot write attribute '", name, "'"));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status CheckView(const std::string& path, absl::string_view what, const MatrixView<T>& view) {
  int64_t elements = 0;
  if (view.rows < 0 || view.cols < 0 || !CheckedMul(view.rows, view.cols, &elements) ||
      elements != static_cast<int64_t>(view.data.size())) {
    return FileError(absl::StatusCode::kInvalidArgument, path,
                     absl::StrCat(what, " is ", view.rows, " x ", view.cols, " but holds ",
                                  view.data.size(), " values"));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status WriteMatrix(AnnHdf5Writer& writer, std::string_view name, DiskType type,
                         const MatrixView<T>& view, const DatasetOptions& options) {
  if (absl::Status s = writer.CreateDataset(name, type, view.rows, view.cols, options); !s.ok()) {
    return s;
  }
  return writer.WriteRows(name, 0, view.data);
}

}  // namespace

absl::StatusOr<AnnHdf5Writer> AnnHdf5Writer::Create(std::string_view path) {
  internal::SilenceHdf5Errors();
  if (path.empty()) return absl::InvalidArgumentError("empty HDF5 file path");
  std::string file_path(path);
  std::string partial_path = absl::StrCat(file_path, ".partial");
  // Strong close degree makes H5Fclose close the file for real even if an object slipped
  // through, so Commit never renames a file HDF5 is still writing.
  ScopedHid access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!access.valid() || H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG) < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, file_path, "cannot create access plist");
  }
  const hid_t file = H5Fcreate(partial_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
  if (file < 0) {
    return Hdf5Failure(absl::StatusCode::kFailedPrecondition, file_path,
                       absl::StrCat("cannot create '", partial_path, "'"));
  }
  return AnnHdf5Writer(std::move(file_path), std::move(partial_path), file);
}

AnnHdf5Writer::AnnHdf5Writer(AnnHdf5Writer&& other) noexcept
    : path_(std::move(other.path_)),
      partial_path_(std::move(other.partial_path_)),
      file_id_(std::exchange(other.file_id_, -1)) {}

AnnHdf5Writer& AnnHdf5Writer::operator=(AnnHdf5Writer&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    partial_path_ = std::move(other.partial_path_);
    file_id_ = std::exchange(other.file_id_, -1);
  }
  return *this;
}

AnnHdf5Writer::~AnnHdf5Writer() { Abandon(); }

void AnnHdf5Writer::Abandon() {
  if (file_id_ < 0) return;
  H5Fclose(file_id_);
  file_id_ = -1;
  std::error_code ignored;
  std::filesystem::remove(partial_path_, ignored);
}

absl::Status AnnHdf5Writer::CheckOpen() const {
  if (file_id_ >= 0) return absl::OkStatus();
  return FileError(absl::StatusCode::kFailedPrecondition, path_, "writer already committed");
}

absl::Status AnnHdf5Writer::CreateDataset(std::string_view name_view, DiskType type, int64_t rows,
                                          int64_t cols, const DatasetOptions& options) {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  int64_t elements = 0;
  int64_t bytes = 0;
  if (name.empty() || rows < 0 || cols < 0 || options.chunk_rows < 0 ||
      !CheckedMul(rows, cols, &elements) || !CheckedMul(elements, 8, &bytes)) {
    return FileError(absl::StatusCode::kInvalidArgument, path_,
                     absl::StrCat("invalid dataset '", name, "' of ", rows, " x ", cols,
                                  " (chunk_rows ", options.chunk_rows, ")"));
  }
  absl::StatusOr<bool> exists = internal::LinkExists(path_, file_id_, name);
  if (!exists.ok()) return exists.status();
  if (*exists) {
    return FileError(absl::StatusCode::kAlreadyExists, path_,
                     absl::StrCat("dataset '", name, "' already exists"));
  }
  absl::StatusOr<ScopedHid> plist = MakeCreationPlist(path_, name, rows, cols, type, options);
  if (!plist.ok()) return plist.status();
  const hsize_t dims[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  ScopedHid space(H5Screate_simple(2, dims, nullptr), H5Sclose);
  // Nested names like "group/data" get their groups created, mirroring h5py.
  ScopedHid link_plist(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!space.valid() || !link_plist.valid() ||
      H5Pset_create_intermediate_group(link_plist.get(), 1) < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path_, "cannot prepare dataset creation");
  }
  ScopedHid dataset(H5Dcreate2(file_id_, name.c_str(), FileTypeOf(type), space.get(),
                               link_plist.get(), plist->get(), H5P_DEFAULT),
                    H5Dclose);
  if (!dataset.valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, path_,
                       absl::StrCat("cannot create dataset '", name, "'"));
  }
  return absl::OkStatus();
}

absl::Status AnnHdf5Writer::WriteRows(std::string_view name_view, int64_t row_begin,
                                      std::span<const float> values) {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  return WriteRowsImpl<float>(path_, file_id_, name, row_begin, values, ElementKind::kFloat,
                              H5T_NATIVE_FLOAT);
}

absl::Status AnnHdf5Writer::WriteRows(std::string_view name_view, int64_t row_begin,
                                      std::span<const int32_t> values) {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  return WriteRowsImpl<int32_t>(path_, file_id_, name, row_begin, values, ElementKind::kInteger,
                                H5T_NATIVE_INT32);
}

absl::Status AnnHdf5Writer::WriteRows(std::string_view name_view, int64_t row_begin,
                                      std::span<const int64_t> values) {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  return WriteRowsImpl<int64_t>(path_, file_id_, name, row_begin, values, ElementKind::kInteger,
                                H5T_NATIVE_INT64);
}

absl::Status AnnHdf5Writer::WriteStringAttribute(std::string_view name_view, std::string_view value,
                                                 StringStorage storage) {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (value.find('\0') != std::string_view::npos) {
    return FileError(absl::StatusCode::kInvalidArgument, path_,
                     absl::StrCat("attribute '", name, "' value contains a NUL byte"));
  }
  ScopedHid type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid()) return Hdf5Failure(absl::StatusCode::kInternal, path_, "cannot copy type");
  std::string buffer(value);
  if (storage == StringStorage::kVariableLength) {
    // What h5py writes for a Python str.
    if (H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0) {
      return Hdf5Failure(absl::StatusCode::kInternal, path_, "cannot make string type");
    }
    const char* pointer = buffer.c_str();
    return WriteScalarAttribute(path_, file_id_, name, type.get(), type.get(), &pointer);
  }
  // What h5py writes for numpy bytes: ASCII, NUL-padded, no terminator when full. HDF5 has no
  // zero-size string type, so an empty value is one NUL.
  buffer.resize(std::max<size_t>(1, value.size()), '\0');
  if (H5Tset_size(type.get(), buffer.size()) < 0 ||
      H5Tset_strpad(type.get(), H5T_STR_NULLPAD) < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path_, "cannot make string type");
  }
  return WriteScalarAttribute(path_, file_id_, name, type.get(), type.get(), buffer.data());
}

absl::Status AnnHdf5Writer::WriteIntAttribute(std::string_view name_view, int64_t value) {
  const std::string name(name_view);
  internal::SilenceHdf5Errors();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  return WriteScalarAttribute(path_, file_id_, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

absl::Status AnnHdf5Writer::Commit() {
  internal::SilenceHdf5Errors();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  const hid_t file = std::exchange(file_id_, -1);
  std::error_code error;
  if (H5Fclose(file) < 0) {
    absl::Status status = Hdf5Failure(absl::StatusCode::kDataLoss, path_,
                                      absl::StrCat("closing '", partial_path_, "' failed"));
    std::filesystem::remove(partial_path_, error);
    return status;
  }
  std::filesystem::rename(partial_path_, path_, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(partial_path_, ignored);
    return FileError(
        absl::StatusCode::kFailedPrecondition, path_,
        absl::StrCat("cannot move '", partial_path_, "' into place: ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status WriteAnnHdf5(std::string_view path_view, const AnnData& data,
                          const AnnWriteOptions& options) {
  const std::string path(path_view);
  if (absl::Status s = CheckView(path, "train", data.train); !s.ok()) return s;
  if (absl::Status s = CheckView(path, "test", data.test); !s.ok()) return s;
  if (absl::Status s = CheckView(path, "neighbors", data.neighbors); !s.ok()) return s;
  if (absl::Status s = CheckView(path, "distances", data.distances); !s.ok()) return s;
  if (data.test.cols != data.train.cols || data.neighbors.rows != data.test.rows ||
      data.distances.rows != data.neighbors.rows || data.distances.cols != data.neighbors.cols) {
    return FileError(absl::StatusCode::kInvalidArgument, path,
                     absl::StrCat("inconsistent shapes: train ", data.train.rows, " x ",
                                  data.train.cols, ", test ", data.test.rows, " x ", data.test.cols,
                                  ", neighbors ", data.neighbors.rows, " x ", data.neighbors.cols,
                                  ", distances ", data.distances.rows, " x ", data.distances.cols));
  }
  if (!IsFloat(options.float_type) || IsFloat(options.neighbors_type)) {
    return FileError(absl::StatusCode::kInvalidArgument, path,
                     "float_type must be a float type and neighbors_type an integer type");
  }
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(path);
  if (!writer.ok()) return writer.status();
  const DatasetOptions& layout = options.float_layout;
  if (absl::Status s = WriteMatrix(*writer, "train", options.float_type, data.train, layout);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteMatrix(*writer, "test", options.float_type, data.test, layout);
      !s.ok()) {
    return s;
  }
  // Ground truth stays contiguous like ann-benchmarks' own files; only the vector layout is
  // what readers need to be robust against.
  if (absl::Status s =
          WriteMatrix(*writer, "neighbors", options.neighbors_type, data.neighbors, {});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          WriteMatrix(*writer, "distances", options.float_type, data.distances, layout);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          writer->WriteStringAttribute("distance", data.distance, options.distance_storage);
      !s.ok()) {
    return s;
  }
  if (options.write_dimension) {
    if (absl::Status s = writer->WriteIntAttribute("dimension", data.train.cols); !s.ok()) {
      return s;
    }
  }
  return writer->Commit();
}

}  // namespace tq::io
