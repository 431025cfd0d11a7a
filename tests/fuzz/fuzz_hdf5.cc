// libFuzzer target: ann-benchmarks HDF5 files. The bytes become a .hdf5 file read with
// AnnHdf5Reader: every dataset of the format probed, a bounded number of rows read as float32
// and as int64, and the metric and dimension attributes.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "io/ann_hdf5.h"

namespace {

// Bytes one read may return; the row count is cut to fit so that the read itself happens.
constexpr int64_t kMaxReadBytes = int64_t{4} << 20;

void Probe(const tq::io::AnnHdf5Reader& reader, const char* name) {
  absl::StatusOr<bool> has = reader.HasDataset(name);
  if (!has.ok() || !*has) return;
  absl::StatusOr<tq::io::DatasetShape> shape = reader.Shape(name);
  if (!shape.ok()) return;
  TQ_FUZZ_CHECK(shape->rows >= 0 && shape->cols >= 0);
  const int64_t row_bytes = std::max<int64_t>(1, shape->cols * 8);
  const int64_t rows = std::min(shape->rows, std::max<int64_t>(1, kMaxReadBytes / row_bytes));
  absl::StatusOr<std::vector<float>> floats = reader.ReadFloatRows(name, 0, rows, kMaxReadBytes);
  if (floats.ok()) TQ_FUZZ_CHECK(static_cast<int64_t>(floats->size()) == rows * shape->cols);
  absl::StatusOr<std::vector<int64_t>> ints = reader.ReadInt64Rows(name, 0, rows, kMaxReadBytes);
  if (ints.ok()) TQ_FUZZ_CHECK(static_cast<int64_t>(ints->size()) == rows * shape->cols);
  // A slice past the end is refused, not read.
  TQ_FUZZ_CHECK(!reader.ReadFloatRows(name, shape->rows, 1, kMaxReadBytes).ok());
  // The last row alone, through the caller-buffer path.
  if (shape->rows > 0 && shape->cols > 0 && shape->cols * 8 <= kMaxReadBytes) {
    std::vector<float> last(shape->cols);
    (void)reader.ReadFloatRowsInto(name, shape->rows - 1, 1, last);
    std::vector<int64_t> last_ids(shape->cols);
    (void)reader.ReadInt64RowsInto(name, shape->rows - 1, 1, last_ids);
  }
}

}  // namespace

// libhdf5 itself leaks on some malformed files (e.g. inside H5Fopen when the root group's
// object header is damaged: H5G_mkroot -> H5O_protect); README.md. Leaks whose allocation
// stack passes through libhdf5 are HDF5's, not ours, and are not reported.
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5\n"; }
// libhdf5 also asks malloc for absurd sizes read from a damaged file (H5C_protect) and copes
// with the null it gets in production; AddressSanitizer would abort there instead.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tq::fuzz::ScratchFile file("hdf5", ".hdf5");
  file.Write(data, size);
  absl::StatusOr<tq::io::AnnHdf5Reader> reader = tq::io::AnnHdf5Reader::Open(file.path());
  if (!reader.ok()) return 0;
  for (const char* name : {"train", "test", "neighbors", "distances"}) Probe(*reader, name);
  (void)reader->ReadMetric();
  (void)reader->ReadDistance();
  (void)reader->ReadIntAttribute("dimension");
  (void)reader->ReadStringAttribute("point_type");
  return 0;
}
