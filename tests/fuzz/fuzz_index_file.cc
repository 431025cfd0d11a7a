// libFuzzer target: index files. The bytes go to ParseIndexFileHeader as they are, then, with
// their checksums recomputed so that mutations get past them, to Index::Open copied and mapped;
// an index that opens must answer a search and take an add, a remove and a compaction.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "fuzz_util.h"
#include "index/crc32c.h"
#include "index/file_format.h"
#include "index/index.h"

namespace tq {
namespace {

// Header fields the checksum repair needs (index/file_format.cc).
constexpr size_t kHeaderBytesAt = 12, kNumSectionsAt = 16, kCrcAt = 20;
// A reserved header byte (ignored by readers): bit 0 set keeps the section checksums as they
// are, so that Open's own checksum refusals stay reachable.
constexpr size_t kKeepSectionCrcsAt = 255;

// The quantizer is recomputed from the header before anything else is checked, so a header
// naming a large dimension costs seconds (a Haar rotation is a dim x dim QR) however small the
// file. Such headers are legitimate; they are only too slow to be worth fuzzing.
constexpr int kMaxFuzzDim = 1024;
constexpr int kMaxFuzzHaarDim = 128;

template <typename T>
T Load(const std::vector<uint8_t>& bytes, size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}
template <typename T>
void Store(std::vector<uint8_t>& bytes, size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

// Recomputes the CRC32C of every section inside the file and then of the header, where the
// layout is sane enough to tell where they are; anything else is left for Open to refuse.
void RepairChecksums(std::vector<uint8_t>& bytes) {
  if (bytes.size() < static_cast<size_t>(kIndexHeaderBytes)) return;
  const uint32_t header_bytes = Load<uint32_t>(bytes, kHeaderBytesAt);
  const uint32_t num_sections = Load<uint32_t>(bytes, kNumSectionsAt);
  if (num_sections > kMaxSections ||
      header_bytes != kIndexHeaderBytes + kSectionEntryBytes * num_sections ||
      header_bytes > bytes.size()) {
    return;
  }
  if ((bytes[kKeepSectionCrcsAt] & 1) == 0) {
    for (uint32_t i = 0; i < num_sections; ++i) {
      const size_t at = kIndexHeaderBytes + i * kSectionEntryBytes;
      const uint64_t offset = Load<uint64_t>(bytes, at + 8);
      const uint64_t size = Load<uint64_t>(bytes, at + 16);
      if (offset > bytes.size() || size > bytes.size() - offset) continue;
      Store<uint32_t>(bytes, at + 24, Crc32c(0, bytes.data() + offset, size));
    }
  }
  Store<uint32_t>(bytes, kCrcAt, 0);
  Store<uint32_t>(bytes, kCrcAt, Crc32c(0, bytes.data(), header_bytes));
}

// An opened index must behave: a search, an add (which copies a mapped segment), a remove, a
// compaction and a last search, none of which may crash; their statuses may be errors.
void Exercise(Index& index) {
  const int dim = index.dim();
  std::vector<float> query(dim);
  for (int j = 0; j < dim; ++j) query[j] = 1.0f + 0.25f * static_cast<float>(j % 7);
  SearchParams params;
  params.threads = 1;
  params.rerank = 16;
  SearchResults results;
  const int64_t live = index.size();
  if (index.Search(query, 5, params, &results).ok()) {
    TQ_FUZZ_CHECK(results.ids.size() == 5 && results.scores.size() == 5);
    // Distinct hits first, then padding; never more hits than live vectors.
    int64_t hits = 0;
    for (int64_t id : results.ids) hits += id >= 0 ? 1 : 0;
    TQ_FUZZ_CHECK(hits <= live);
    for (int64_t r = 0; r < hits; ++r) {
      TQ_FUZZ_CHECK(results.ids[r] >= 0);
      for (int64_t q = 0; q < r; ++q) TQ_FUZZ_CHECK(results.ids[q] != results.ids[r]);
    }
    // Nearest first, where the scores are numbers (a file with valid checksums may still hold
    // NaN scales, which nothing checks on open).
    bool finite = true;
    for (int64_t r = 0; r < hits; ++r) finite &= std::isfinite(results.scores[r]);
    const bool l2 = index.options().metric == Metric::kL2;
    for (int64_t r = 1; finite && r < hits; ++r) {
      const float a = results.scores[r - 1], b = results.scores[r];
      TQ_FUZZ_CHECK(l2 ? a <= b : a >= b);
    }
  }
  (void)index.stats();
  if (index.Add(query).ok()) TQ_FUZZ_CHECK(index.size() == live + 1);
  // An id a search returns is live, so removing it cannot be NotFound.
  if (index.Search(query, 1, params, &results).ok() && results.ids[0] >= 0) {
    const uint64_t id = static_cast<uint64_t>(results.ids[0]);
    TQ_FUZZ_CHECK(index.Remove(std::span<const uint64_t>(&id, 1)).code() !=
                  absl::StatusCode::kNotFound);
  }
  if (index.Compact().ok()) TQ_FUZZ_CHECK(index.stats().size == index.size());
  (void)index.Search(query, 3, params, &results);
}

}  // namespace
}  // namespace tq

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  omp_set_num_threads(1);  // one core per fuzzing process
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tq::fuzz::ScratchFile file("index_file", ".tqi");
  const std::span<const uint8_t> raw(data, size);
  const int64_t file_size = static_cast<int64_t>(size);
  // The header parser alone, on the bytes as they came (checksum refusals included) and on
  // prefixes, which must either parse or ask for more (OutOfRange), never read past the span.
  (void)tq::ParseIndexFileHeader("fuzz.tqi", raw, file_size);
  if (size > 300) (void)tq::ParseIndexFileHeader("fuzz.tqi", raw.first(300), file_size);

  std::vector<uint8_t> bytes(data, data + size);
  tq::RepairChecksums(bytes);
  absl::StatusOr<tq::IndexFileHeader> header =
      tq::ParseIndexFileHeader("fuzz.tqi", bytes, file_size);
  if (!header.ok()) return 0;
  const tq::IndexOptions& options = header->options;
  if (options.dim > tq::kMaxFuzzDim ||
      (options.rotation == tq::RotationKind::kHaar && options.dim > tq::kMaxFuzzHaarDim)) {
    return 0;
  }
  file.Write(bytes.data(), bytes.size());
  // Rotations are shared while an index holds them (engine/rotation.h): the copied open stays
  // alive for the mapped one, and the last index for the next input, which is usually a
  // mutation with the same quantizer, so the O(dim^3) Haar rotation is not rebuilt each time.
  static std::unique_ptr<tq::Index> previous;
  std::unique_ptr<tq::Index> opened[2];
  for (const bool mmap : {false, true}) {
    tq::OpenOptions open_options;
    open_options.mmap = mmap;
    open_options.verify_checksums = !mmap;
    absl::StatusOr<std::unique_ptr<tq::Index>> index = tq::Index::Open(file.path(), open_options);
    if (!index.ok()) continue;
    TQ_FUZZ_CHECK((*index)->dim() == options.dim);
    TQ_FUZZ_CHECK((*index)->size() == header->live);
    tq::Exercise(**index);
    opened[mmap] = *std::move(index);
  }
  if (opened[1] != nullptr || opened[0] != nullptr) {
    previous = std::move(opened[1] != nullptr ? opened[1] : opened[0]);
  }
  return 0;
}
