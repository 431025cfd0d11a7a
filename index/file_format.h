// The index file, format 1.0. All integers and floats little-endian.
//
//   [0, 256)                    header: magic, version, what the codes mean, counts, and a
//                               fingerprint of the quantizer (see IndexFileHeader)
//   [256, 256 + 32 * sections)  section table: kind, flags, offset, size, CRC32C per section
//   sections                    each at a 64-byte aligned offset (blocks at 4096, a page), in
//                               table order, zero bytes between them and after the table
//
// Sections of format 1.0:
//   blocks      num_blocks * stride bytes: the 32-vector blocks exactly as the scan reads them
//               (index/block_format.h), live masks included; mappable read-only
//   ids         size uint64: the id of each stored vector, position order
//   tombstones  ceil(size / 64) uint64 words: bit p set = vector p was removed; must agree
//               with the blocks' live masks
//   raw         size * dim float32 or float16 (KeepVectors): the vectors kept for rerank
// Added in 1.1:
//   mean        dim float32: the mean subtracted before quantization (IndexOptions::center);
//               required, present once the mean is fixed. The header's byte 216 (reserved in
//               1.0) holds the centering mode, bytes [220, 224) the upper coordinates of a
//               non-integer rate (IndexOptions::upper_coords). A file using neither is still
//               written as 1.0, byte for byte, so 1.0 readers keep reading it.
//
// The header CRC32C covers [0, header_bytes) with its own field zeroed. A reader refuses a
// major version it does not know and reads any minor version of its major (minors only add
// optional sections, which a reader skips unless flagged required). The codebook and the
// rotation are never read from disk: they are recomputed from (dim, bits, variant, rotation,
// seed) and checked against the fingerprint, so a file from a build whose quantizer differs
// is refused instead of silently answering wrong.
#ifndef TQ_INDEX_FILE_FORMAT_H_
#define TQ_INDEX_FILE_FORMAT_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/qjl.h"
#include "engine/turbo_quantizer.h"
#include "index/index_options.h"

namespace tq {

inline constexpr uint16_t kIndexFormatMajor = 1;
inline constexpr uint16_t kIndexFormatMinor = 1;  // written only by files that need 1.1
// "\x89TQINDX\n": a non-ASCII first byte and a newline catch text-mode mangling, as PNG does.
inline constexpr std::array<uint8_t, 8> kIndexFileMagic = {0x89, 'T', 'Q', 'I',
                                                           'N',  'D', 'X', '\n'};
inline constexpr int64_t kIndexHeaderBytes = 256;
inline constexpr int64_t kSectionEntryBytes = 32;
inline constexpr int kMaxSections = 32;
inline constexpr int64_t kSectionAlignment = 64;
inline constexpr int64_t kBlockSectionAlignment = 4096;

enum class SectionKind : uint32_t {
  kBlocks = 1,
  kIds = 2,
  kTombstones = 3,
  kRawVectors = 4,
  kMean = 5,
};
std::string_view SectionKindName(SectionKind kind);  // "blocks", ..., "unknown"

// A reader that does not know a section's kind must refuse the file when this flag is set.
inline constexpr uint32_t kSectionRequired = 1;

struct SectionEntry {
  SectionKind kind = SectionKind::kBlocks;
  uint32_t flags = kSectionRequired;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t crc32c = 0;
};

// Values a build's quantizer must reproduce to read a file (compared with a tolerance: the
// rotation may round differently on another CPU, a different algorithm differs wildly).
struct QuantizerFingerprint {
  std::array<float, 16> centroids{};       // Lloyd-Max centroids; unused entries zero
  std::array<float, 8> rotated_probe{};    // coordinates of P u for a fixed unit vector u
  std::array<float, 8> projected_probe{};  // prod: of S P u; zero otherwise
};

struct IndexFileHeader {
  uint16_t major = kIndexFormatMajor;
  uint16_t minor = kIndexFormatMinor;
  IndexOptions options;
  QjlTransform qjl = QjlTransform::kOrthogonal;
  CorrectedEncoder encoder = CorrectedEncoder::kNearest;
  int64_t size = 0;      // vectors stored, removed ones included
  int64_t live = 0;      // vectors a search can return
  uint64_t next_id = 0;  // the first automatic id of the next Add
  uint32_t block_vectors = 0;
  uint32_t stride = 0;  // bytes per block
  uint32_t code_bytes_per_vector = 0;
  uint32_t floats_per_vector = 0;
  QuantizerFingerprint fingerprint;
  std::vector<SectionEntry> sections;
  // Filled by ParseIndexFileHeader: the header's own CRC32C as stored, which names this exact
  // state of the file (the write-ahead log records it). Serialisation computes it afresh.
  uint32_t header_crc = 0;

  int64_t header_bytes() const {
    return kIndexHeaderBytes + kSectionEntryBytes * static_cast<int64_t>(sections.size());
  }
  int64_t num_blocks() const {
    return block_vectors == 0 ? 0 : (size + block_vectors - 1) / block_vectors;
  }
  const SectionEntry* Find(SectionKind kind) const;
};

// Header and section table, header_bytes() long, CRC filled in.
std::vector<uint8_t> SerializeIndexFileHeader(const IndexFileHeader& header);

// Parses and checks what the header alone can tell: magic, version, CRC, field ranges, and
// that the sections are aligned, inside a file of file_size bytes, in order and apart.
// `bytes` is the start of the file (at least kIndexHeaderBytes, or the whole file if shorter);
// if the table runs past it, OutOfRange says how many bytes are needed. Errors start with path.
absl::StatusOr<IndexFileHeader> ParseIndexFileHeader(std::string_view path,
                                                     std::span<const uint8_t> bytes,
                                                     int64_t file_size);

}  // namespace tq

#endif  // TQ_INDEX_FILE_FORMAT_H_
