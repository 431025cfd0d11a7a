// Internal helpers shared by the ann-benchmarks HDF5 reader and writer: handle ownership, error
// capture from the HDF5 error stack, and hyperslab row selection.
#include "io/hdf5_util.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tq::io::internal {

ScopedHid& ScopedHid::operator=(ScopedHid&& other) noexcept {
  if (this != &other) {
    Reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

herr_t ScopedHid::Close() {
  herr_t result = 0;
  if (id_ >= 0 && closer_ != nullptr) result = closer_(id_);
  id_ = H5I_INVALID_HID;
  return result;
}

void SilenceHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace {

// Walking upward starts at the innermost frame, where HDF5 says what actually went wrong (for
// example "errno = 2, error message = 'No such file or directory'"); the outer frames only
// repeat "unable to open file".
herr_t KeepInnermost(unsigned n, const H5E_error2_t* error, void* client_data) {
  if (n == 0 && error != nullptr && error->desc != nullptr) {
    *static_cast<std::string*>(client_data) = error->desc;
  }
  return 0;
}

}  // namespace

std::string TakeHdf5ErrorDetail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, KeepInnermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail;
}

absl::Status Hdf5Failure(absl::StatusCode code, absl::string_view path, absl::string_view what) {
  std::string detail = TakeHdf5ErrorDetail();
  if (detail.empty()) return FileError(code, path, what);
  return absl::Status(code, absl::StrCat(path, ": ", what, " (HDF5: ", detail, ")"));
}

absl::Status FileError(absl::StatusCode code, absl::string_view path, absl::string_view what) {
  return absl::Status(code, absl::StrCat(path, ": ", what));
}

std::string DescribeType(hid_t type) {
  const size_t bytes = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return absl::StrCat(H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int", 8 * bytes);
    case H5T_FLOAT:
      return absl::StrCat("float", 8 * bytes);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_REFERENCE:
      return "reference";
    default:
      return "unknown type";
  }
}

bool CheckedMul(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }

absl::Status SelectRows(const std::string& path, hid_t dataset, int64_t row_begin,
                        int64_t row_count, int64_t cols, ScopedHid* file_space,
                        ScopedHid* mem_space) {
  *file_space = ScopedHid(H5Dget_space(dataset), H5Sclose);
  if (!file_space->valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, path, "cannot get dataspace");
  }
  const hsize_t start[2] = {static_cast<hsize_t>(row_begin), 0};
  const hsize_t count[2] = {static_cast<hsize_t>(row_count), static_cast<hsize_t>(cols)};
  if (H5Sselect_hyperslab(file_space->get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0) {
    return Hdf5Failure(
        absl::StatusCode::kInternal, path,
        absl::StrCat("cannot select rows [", row_begin, ", ", row_begin + row_count, ")"));
  }
  *mem_space = ScopedHid(H5Screate_simple(2, count, nullptr), H5Sclose);
  if (!mem_space->valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, path, "cannot create memory dataspace");
  }
  return absl::OkStatus();
}

// H5Lexists fails (rather than returning false) when an intermediate group of a nested path is
// missing, so each prefix is checked in turn.
absl::StatusOr<bool> LinkExists(const std::string& path, hid_t file, const std::string& name) {
  std::string prefix;
  bool any = false;
  for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
    absl::StrAppend(&prefix, "/", part);
    const htri_t exists = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (exists < 0) {
      return Hdf5Failure(absl::StatusCode::kInternal, path,
                         absl::StrCat("cannot look up '", prefix, "'"));
    }
    if (exists == 0) return false;
    any = true;
  }
  return any;
}

absl::StatusOr<ScopedHid> OpenDataset(const std::string& path, hid_t file,
                                      const std::string& name) {
  absl::StatusOr<bool> exists = LinkExists(path, file, name);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return FileError(absl::StatusCode::kNotFound, path,
                     absl::StrCat("dataset '", name, "' not found"));
  }
  ScopedHid object(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
  if (!object.valid()) {
    return Hdf5Failure(absl::StatusCode::kFailedPrecondition, path,
                       absl::StrCat("cannot open '", name, "'"));
  }
  if (H5Iget_type(object.get()) != H5I_DATASET) {
    return FileError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("'", name, "' is not a dataset"));
  }
  return object;
}

absl::StatusOr<DatasetShape> ShapeOf(const std::string& path, const std::string& name,
                                     hid_t dataset) {
  ScopedHid space(H5Dget_space(dataset), H5Sclose);
  if (!space.valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot get the dataspace of '", name, "'"));
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot get the rank of '", name, "'"));
  }
  if (rank != 2) {
    return FileError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("dataset '", name, "' has rank ", rank, ", expected 2"));
  }
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot get the shape of '", name, "'"));
  }
  // Every later byte count is at most rows * cols * 8, so bounding that here once makes all of
  // them overflow-free.
  constexpr uint64_t kMaxDim = static_cast<uint64_t>(INT64_MAX);
  int64_t elements = 0;
  int64_t bytes = 0;
  if (dims[0] > kMaxDim || dims[1] > kMaxDim ||
      !CheckedMul(static_cast<int64_t>(dims[0]), static_cast<int64_t>(dims[1]), &elements) ||
      !CheckedMul(elements, 8, &bytes)) {
    return FileError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("dataset '", name, "' shape ", dims[0], " x ", dims[1],
                                  " is too large (its size overflows 64 bits)"));
  }
  return DatasetShape{static_cast<int64_t>(dims[0]), static_cast<int64_t>(dims[1])};
}

absl::Status CheckElementType(const std::string& path, const std::string& name, hid_t dataset,
                              ElementKind kind) {
  ScopedHid type(H5Dget_type(dataset), H5Tclose);
  if (!type.valid()) {
    return Hdf5Failure(absl::StatusCode::kInternal, path,
                       absl::StrCat("cannot get the type of '", name, "'"));
  }
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (kind == ElementKind::kFloat) {
    if (type_class == H5T_FLOAT) return absl::OkStatus();
    return FileError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("dataset '", name, "' is ", DescribeType(type.get()),
                                  ", expected float32 or float64"));
  }
  // uint64 ids above INT64_MAX would be clamped by HDF5's conversion, silently corrupting
  // ground truth, so they are refused rather than converted.
  const bool fits_int64 = H5Tget_sign(type.get()) != H5T_SGN_NONE || H5Tget_size(type.get()) < 8;
  if (type_class == H5T_INTEGER && fits_int64) return absl::OkStatus();
  return FileError(absl::StatusCode::kFailedPrecondition, path,
                   absl::StrCat("dataset '", name, "' is ", DescribeType(type.get()),
                                ", expected int32 or int64"));
}

}  // namespace tq::io::internal
