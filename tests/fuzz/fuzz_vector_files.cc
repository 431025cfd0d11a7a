// libFuzzer target: the flat vector files. Input byte 0 picks the extension (.npy, .fvecs,
// .ivecs, .bvecs by its value mod 4; bit 2 upper-cases it), the rest is the file, opened with
// OpenVectorFile and read to the end in bounded slices as float32 and as int64.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "io/vector_file.h"

namespace {

// Elements per slice and per input: a header may promise a million dimensions, but the file
// must hold them, so these only bound the time one input takes.
constexpr int64_t kSliceElements = int64_t{1} << 18;
constexpr int64_t kMaxElementsPerInput = int64_t{1} << 22;

const char* const kExtensions[] = {".npy", ".fvecs", ".ivecs", ".bvecs"};
const char* const kUpperExtensions[] = {".NPY", ".FVECS", ".IVECS", ".BVECS"};

void ReadEverything(const tq::io::VectorFileReader& reader) {
  const int64_t rows = reader.rows(), dim = reader.dim();
  TQ_FUZZ_CHECK(rows >= 0);
  TQ_FUZZ_CHECK(dim >= 1 && dim <= tq::io::kMaxVectorDim);
  absl::StatusOr<std::optional<tq::io::DatasetMetric>> metric = reader.metric();
  TQ_FUZZ_CHECK(metric.ok() && !metric->has_value());  // flat formats carry no metadata

  // Slices outside the file or of the wrong size are refused, never read.
  std::vector<float> one_row(dim);
  std::vector<int64_t> one_id_row(dim);
  TQ_FUZZ_CHECK(!reader.ReadRows(rows, 1, one_row).ok());
  TQ_FUZZ_CHECK(!reader.ReadRows(-1, 1, one_row).ok());
  TQ_FUZZ_CHECK(!reader.ReadInt64Rows(rows, 1, one_id_row).ok());
  if (rows > 0) {
    TQ_FUZZ_CHECK(!reader.ReadRows(0, 1, std::span<float>(one_row).first(dim - 1)).ok());
  }

  const int64_t slice_rows = std::max<int64_t>(1, kSliceElements / dim);
  std::vector<float> floats;
  std::vector<int64_t> ints;
  int64_t budget = kMaxElementsPerInput;
  for (int64_t begin = 0; begin < rows && budget > 0; begin += slice_rows) {
    const int64_t count = std::min(slice_rows, rows - begin);
    floats.assign(count * dim, 0.0f);
    ints.assign(count * dim, 0);
    budget -= count * dim;
    const absl::Status as_float = reader.ReadRows(begin, count, floats);
    const absl::Status as_int = reader.ReadInt64Rows(begin, count, ints);
    // Integers are converted exactly or refused, so where both reads succeed they agree.
    if (as_float.ok() && as_int.ok()) {
      for (size_t i = 0; i < floats.size(); ++i) {
        TQ_FUZZ_CHECK(floats[i] == static_cast<float>(ints[i]));
      }
    }
    if (!as_float.ok() && !as_int.ok()) break;  // a bad row ends the useful part of the file
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int format = data[0] % 4;
  const bool upper = (data[0] & 4) != 0;
  // One scratch file per extension, each named after the target and the process.
  static std::unique_ptr<tq::fuzz::ScratchFile> files[8];
  const int slot = format + (upper ? 4 : 0);
  if (files[slot] == nullptr) {
    files[slot] = std::make_unique<tq::fuzz::ScratchFile>(
        "vector_files", upper ? kUpperExtensions[format] : kExtensions[format]);
  }
  const tq::fuzz::ScratchFile& file = *files[slot];
  file.Write(data + 1, size - 1);
  absl::StatusOr<std::unique_ptr<tq::io::VectorFileReader>> reader =
      tq::io::OpenVectorFile(file.path(), "train");
  if (reader.ok()) ReadEverything(**reader);
  return 0;
}
