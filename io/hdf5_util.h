// Internal helpers shared by the ann-benchmarks HDF5 reader and writer: RAII for hid_t handles,
// HDF5 error-stack capture, dataset lookup and shape/type checks. Not part of the public API.
#ifndef TQ_IO_HDF5_UTIL_H_
#define TQ_IO_HDF5_UTIL_H_

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "io/ann_hdf5.h"

namespace tq::io::internal {

// The public headers store file handles as int64_t so that users need no HDF5 include path.
static_assert(sizeof(hid_t) == sizeof(int64_t), "hid_t must be 64-bit (HDF5 >= 1.10)");

// Owns one HDF5 identifier and closes it with the matching H5?close on every exit path, so an
// early `return status;` can never leak a file, dataset, dataspace, type, attribute or plist.
class ScopedHid {
 public:
  using Closer = herr_t (*)(hid_t);

  ScopedHid() = default;
  ScopedHid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ScopedHid(const ScopedHid&) = delete;
  ScopedHid& operator=(const ScopedHid&) = delete;
  ScopedHid(ScopedHid&& other) noexcept : id_(other.id_), closer_(other.closer_) {
    other.id_ = H5I_INVALID_HID;
  }
  ScopedHid& operator=(ScopedHid&& other) noexcept;
  ~ScopedHid() { Reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

  // Closes now; negative if HDF5 reports a failure.
  herr_t Close();
  void Reset() { (void)Close(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Turns off HDF5's automatic printing of its error stack to stderr. The setting is per thread in
// thread-safe HDF5 builds (Debian's is one), so every public entry point calls this.
void SilenceHdf5Errors();

// The most specific message on the calling thread's HDF5 error stack (empty if none); clears the
// stack so a later failure does not report a stale cause.
std::string TakeHdf5ErrorDetail();

// "<path>: <what>[ (HDF5: <detail>)]", consuming the HDF5 error stack for the detail.
// Paths and names are absl::string_view or std::string here, never std::string_view: Debian
// builds Abseil with its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), which absl::StrCat
// does not accept, so public entry points copy std::string_view arguments into std::string.
absl::Status Hdf5Failure(absl::StatusCode code, absl::string_view path, absl::string_view what);

// "<path>: <what>" without HDF5 detail; for problems we detect ourselves.
absl::Status FileError(absl::StatusCode code, absl::string_view path, absl::string_view what);

// Human-readable on-disk type such as "float32", "int64", "uint8", "string" or "compound".
std::string DescribeType(hid_t type);

// Sets *out = a * b for non-negative a and b; false if the product overflows int64.
bool CheckedMul(int64_t a, int64_t b, int64_t* out);

// Dataspace selecting rows [row_begin, row_begin + row_count) of a rows x cols dataset, and the
// matching in-memory dataspace; row_count and cols must be positive.
absl::Status SelectRows(const std::string& path, hid_t dataset, int64_t row_begin,
                        int64_t row_count, int64_t cols, ScopedHid* file_space,
                        ScopedHid* mem_space);

// Whether every component of a '/'-separated path exists in `file`; false for an empty path.
absl::StatusOr<bool> LinkExists(const std::string& path, hid_t file, const std::string& name);

// Opens dataset `name`: NotFound if absent, FailedPrecondition if it names a group.
absl::StatusOr<ScopedHid> OpenDataset(const std::string& path, hid_t file, const std::string& name);

// (rows, cols) of a rank-2 dataset whose byte size at 8 bytes per element fits int64.
absl::StatusOr<DatasetShape> ShapeOf(const std::string& path, const std::string& name,
                                     hid_t dataset);

// Element kinds callers read and write. HDF5 converts width and precision within a kind, but
// floats are never converted to integers or back, since that would silently turn vectors into
// ids.
enum class ElementKind { kFloat, kInteger };

// FailedPrecondition unless `dataset` holds floats (kFloat) or integers that fit int64
// (kInteger).
absl::Status CheckElementType(const std::string& path, const std::string& name, hid_t dataset,
                              ElementKind kind);

}  // namespace tq::io::internal

#endif  // TQ_IO_HDF5_UTIL_H_
