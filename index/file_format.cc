// Header (de)serialisation with explicit little-endian offsets, never a memcpy of a struct, so
// the bytes on disk do not depend on the compiler's padding.
#include "index/file_format.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "index/crc32c.h"

namespace tq {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the index file is little-endian and read by memcpy");

// Header field offsets (format 1.0; 1.1 adds the centering mode at 216 and the upper
// coordinates of a non-integer rate at 220). Bytes [217, 220) and [224, 256) are reserved:
// written as zero, ignored on read so that a later minor version may use them.
constexpr size_t kMagicAt = 0, kMajorAt = 8, kMinorAt = 10, kHeaderBytesAt = 12,
                 kNumSectionsAt = 16, kCrcAt = 20, kDimAt = 24, kBitsAt = 28, kMetricAt = 32,
                 kVariantAt = 33, kRotationAt = 34, kKeepAt = 35, kQjlAt = 36, kEncoderAt = 37,
                 kSeedAt = 40, kSizeAt = 48, kLiveAt = 56, kNextIdAt = 64, kBlockVectorsAt = 72,
                 kStrideAt = 76, kCodeBytesAt = 80, kFloatsAt = 84, kCentroidsAt = 88,
                 kRotatedProbeAt = 152, kProjectedProbeAt = 184, kCenterAt = 216,
                 kUpperCoordsAt = 220;
static_assert(kProjectedProbeAt + 8 * sizeof(float) <= kCenterAt);

// The enums are stored as their values; these pin the values the format defines.
static_assert(static_cast<int>(Metric::kInnerProduct) == 0 && static_cast<int>(Metric::kL2) == 2);
static_assert(static_cast<int>(Variant::kMse) == 0 && static_cast<int>(Variant::kCorrected) == 2);
static_assert(static_cast<int>(RotationKind::kHaar) == 0 &&
              static_cast<int>(RotationKind::kFast) == 1);
static_assert(static_cast<int>(KeepVectors::kNone) == 0 &&
              static_cast<int>(KeepVectors::kFloat16) == 2);
static_assert(static_cast<int>(Centering::kNone) == 0 &&
              static_cast<int>(Centering::kFirstBatch) == 1 &&
              static_cast<int>(Centering::kGiven) == 2);
static_assert(static_cast<int>(QjlTransform::kGaussian) == 0 &&
              static_cast<int>(CorrectedEncoder::kMaxCosine) == 1);

template <typename T>
void Put(std::vector<uint8_t>& out, size_t at, T value) {
  std::memcpy(out.data() + at, &value, sizeof(T));
}
template <typename T>
T Get(std::span<const uint8_t> in, size_t at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof(T));
  return value;
}
template <size_t N>
void PutFloats(std::vector<uint8_t>& out, size_t at, const std::array<float, N>& values) {
  std::memcpy(out.data() + at, values.data(), N * sizeof(float));
}
template <size_t N>
void GetFloats(std::span<const uint8_t> in, size_t at, std::array<float, N>* values) {
  std::memcpy(values->data(), in.data() + at, N * sizeof(float));
}

}  // namespace

std::string_view SectionKindName(SectionKind kind) {
  switch (kind) {
    case SectionKind::kBlocks:
      return "blocks";
    case SectionKind::kIds:
      return "ids";
    case SectionKind::kTombstones:
      return "tombstones";
    case SectionKind::kRawVectors:
      return "raw";
    case SectionKind::kMean:
      return "mean";
  }
  return "unknown";
}

const SectionEntry* IndexFileHeader::Find(SectionKind kind) const {
  for (const SectionEntry& s : sections) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

std::vector<uint8_t> SerializeIndexFileHeader(const IndexFileHeader& h) {
  std::vector<uint8_t> out(static_cast<size_t>(h.header_bytes()), 0);
  std::memcpy(out.data() + kMagicAt, kIndexFileMagic.data(), kIndexFileMagic.size());
  Put<uint16_t>(out, kMajorAt, h.major);
  Put<uint16_t>(out, kMinorAt, h.minor);
  Put<uint8_t>(out, kCenterAt, static_cast<uint8_t>(h.options.center));
  Put<uint32_t>(out, kUpperCoordsAt, static_cast<uint32_t>(h.options.upper_coords));
  Put<uint32_t>(out, kHeaderBytesAt, static_cast<uint32_t>(h.header_bytes()));
  Put<uint32_t>(out, kNumSectionsAt, static_cast<uint32_t>(h.sections.size()));
  Put<uint32_t>(out, kDimAt, static_cast<uint32_t>(h.options.dim));
  Put<uint32_t>(out, kBitsAt, static_cast<uint32_t>(h.options.bits));
  Put<uint8_t>(out, kMetricAt, static_cast<uint8_t>(h.options.metric));
  Put<uint8_t>(out, kVariantAt, static_cast<uint8_t>(h.options.variant));
  Put<uint8_t>(out, kRotationAt, static_cast<uint8_t>(h.options.rotation));
  Put<uint8_t>(out, kKeepAt, static_cast<uint8_t>(h.options.keep_vectors));
  Put<uint8_t>(out, kQjlAt, static_cast<uint8_t>(h.qjl));
  Put<uint8_t>(out, kEncoderAt, static_cast<uint8_t>(h.encoder));
  Put<uint64_t>(out, kSeedAt, h.options.seed);
  Put<uint64_t>(out, kSizeAt, static_cast<uint64_t>(h.size));
  Put<uint64_t>(out, kLiveAt, static_cast<uint64_t>(h.live));
  Put<uint64_t>(out, kNextIdAt, h.next_id);
  Put<uint32_t>(out, kBlockVectorsAt, h.block_vectors);
  Put<uint32_t>(out, kStrideAt, h.stride);
  Put<uint32_t>(out, kCodeBytesAt, h.code_bytes_per_vector);
  Put<uint32_t>(out, kFloatsAt, h.floats_per_vector);
  PutFloats(out, kCentroidsAt, h.fingerprint.centroids);
  PutFloats(out, kRotatedProbeAt, h.fingerprint.rotated_probe);
  PutFloats(out, kProjectedProbeAt, h.fingerprint.projected_probe);
  for (size_t i = 0; i < h.sections.size(); ++i) {
    const size_t at = kIndexHeaderBytes + i * kSectionEntryBytes;
    const SectionEntry& s = h.sections[i];
    Put<uint32_t>(out, at, static_cast<uint32_t>(s.kind));
    Put<uint32_t>(out, at + 4, s.flags);
    Put<uint64_t>(out, at + 8, s.offset);
    Put<uint64_t>(out, at + 16, s.size);
    Put<uint32_t>(out, at + 24, s.crc32c);
  }
  Put<uint32_t>(out, kCrcAt, Crc32c(0, out.data(), out.size()));
  return out;
}

absl::StatusOr<IndexFileHeader> ParseIndexFileHeader(std::string_view path,
                                                     std::span<const uint8_t> bytes,
                                                     int64_t file_size) {
  auto bad = [&](auto&&... parts) {
    return absl::DataLossError(absl::StrCat(std::string(path), ": ", parts...));
  };
  if (bytes.size() < kIndexFileMagic.size() ||
      std::memcmp(bytes.data(), kIndexFileMagic.data(), kIndexFileMagic.size()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(path), ": not a tq-index file (no index magic at its start)"));
  }
  if (file_size < kIndexHeaderBytes || static_cast<int64_t>(bytes.size()) < kIndexHeaderBytes) {
    return bad("truncated: ", file_size, " bytes, shorter than the ", kIndexHeaderBytes,
               "-byte header");
  }
  IndexFileHeader h;
  h.major = Get<uint16_t>(bytes, kMajorAt);
  h.minor = Get<uint16_t>(bytes, kMinorAt);
  if (h.major != kIndexFormatMajor) {
    return absl::FailedPreconditionError(absl::StrCat(
        std::string(path), ": index format ", h.major, ".", h.minor,
        " is not readable by this build, which ", "reads format ", kIndexFormatMajor, ".x",
        h.major > kIndexFormatMajor ? " (the file was written by a newer tq-index)" : ""));
  }
  const uint32_t num_sections = Get<uint32_t>(bytes, kNumSectionsAt);
  const uint32_t header_bytes = Get<uint32_t>(bytes, kHeaderBytesAt);
  if (num_sections > kMaxSections ||
      header_bytes != kIndexHeaderBytes + kSectionEntryBytes * num_sections) {
    return bad("corrupt header: ", num_sections, " sections in a ", header_bytes, "-byte header");
  }
  if (header_bytes > file_size) {
    return bad("truncated: the header and section table need ", header_bytes, " bytes, file has ",
               file_size);
  }
  if (bytes.size() < header_bytes) {
    return absl::OutOfRangeError(absl::StrCat(std::string(path), ": need the first ", header_bytes,
                                              " bytes to parse the header"));
  }
  {
    std::vector<uint8_t> copy(bytes.begin(), bytes.begin() + header_bytes);
    const uint32_t stored = Get<uint32_t>(bytes, kCrcAt);
    Put<uint32_t>(copy, kCrcAt, 0);
    if (Crc32c(0, copy.data(), copy.size()) != stored) {
      return bad("header checksum mismatch: the header or section table is corrupt");
    }
    h.header_crc = stored;
  }

  // 1.0 wrote zero here: no centering.
  const uint8_t center = h.minor >= 1 ? Get<uint8_t>(bytes, kCenterAt) : 0;
  if (center > 2) return bad("corrupt header: unknown centering code ", int{center});
  const uint8_t metric = Get<uint8_t>(bytes, kMetricAt), variant = Get<uint8_t>(bytes, kVariantAt),
                rotation = Get<uint8_t>(bytes, kRotationAt), keep = Get<uint8_t>(bytes, kKeepAt),
                qjl = Get<uint8_t>(bytes, kQjlAt), encoder = Get<uint8_t>(bytes, kEncoderAt);
  if (metric > 2 || variant > 2 || rotation > 1 || keep > 2 || qjl > 1 || encoder > 1) {
    return bad(
        "corrupt header: unknown metric, variant, rotation, kept-vector, QJL or encoder "
        "code (",
        int{metric}, ", ", int{variant}, ", ", int{rotation}, ", ", int{keep}, ", ", int{qjl}, ", ",
        int{encoder}, ")");
  }
  h.options.metric = static_cast<Metric>(metric);
  h.options.variant = static_cast<Variant>(variant);
  h.options.rotation = static_cast<RotationKind>(rotation);
  h.options.keep_vectors = static_cast<KeepVectors>(keep);
  h.qjl = static_cast<QjlTransform>(qjl);
  h.encoder = static_cast<CorrectedEncoder>(encoder);
  const uint32_t dim = Get<uint32_t>(bytes, kDimAt), bits = Get<uint32_t>(bytes, kBitsAt);
  if (dim > 65536 || bits > 8) return bad("corrupt header: dim ", dim, ", bits ", bits);
  h.options.dim = static_cast<int>(dim);
  h.options.bits = static_cast<int>(bits);
  h.options.seed = Get<uint64_t>(bytes, kSeedAt);
  if (h.minor >= 1) {
    const uint32_t upper = Get<uint32_t>(bytes, kUpperCoordsAt);
    if (upper >= dim) return bad("corrupt header: ", upper, " upper coordinates of ", dim);
    h.options.upper_coords = static_cast<int>(upper);
  }
  h.options.center = Centering::kNone;  // a given mean comes from its section, later
  if (absl::Status status = ValidateIndexOptions(h.options); !status.ok()) {
    return bad("corrupt header: ", std::string(status.message()));
  }
  h.options.center = static_cast<Centering>(center);
  const uint64_t size = Get<uint64_t>(bytes, kSizeAt), live = Get<uint64_t>(bytes, kLiveAt);
  if (size > (uint64_t{1} << 48) || live > size) {
    return bad("corrupt header: ", live, " live of ", size, " vectors");
  }
  h.size = static_cast<int64_t>(size);
  h.live = static_cast<int64_t>(live);
  h.next_id = Get<uint64_t>(bytes, kNextIdAt);
  h.block_vectors = Get<uint32_t>(bytes, kBlockVectorsAt);
  h.stride = Get<uint32_t>(bytes, kStrideAt);
  h.code_bytes_per_vector = Get<uint32_t>(bytes, kCodeBytesAt);
  h.floats_per_vector = Get<uint32_t>(bytes, kFloatsAt);
  if (h.block_vectors == 0 || h.stride == 0 || h.stride % kSectionAlignment != 0) {
    return bad("corrupt header: ", h.block_vectors, " vectors per block of ", h.stride, " bytes");
  }
  GetFloats(bytes, kCentroidsAt, &h.fingerprint.centroids);
  GetFloats(bytes, kRotatedProbeAt, &h.fingerprint.rotated_probe);
  GetFloats(bytes, kProjectedProbeAt, &h.fingerprint.projected_probe);

  uint64_t end_of_previous = header_bytes;
  for (uint32_t i = 0; i < num_sections; ++i) {
    const size_t at = kIndexHeaderBytes + i * kSectionEntryBytes;
    SectionEntry s;
    const uint32_t kind = Get<uint32_t>(bytes, at);
    s.kind = static_cast<SectionKind>(kind);
    s.flags = Get<uint32_t>(bytes, at + 4);
    s.offset = Get<uint64_t>(bytes, at + 8);
    s.size = Get<uint64_t>(bytes, at + 16);
    s.crc32c = Get<uint32_t>(bytes, at + 24);
    const bool known = kind >= 1 && kind <= 5;
    if (!known && (s.flags & kSectionRequired)) {
      return absl::FailedPreconditionError(
          absl::StrCat(std::string(path), ": section ", i, " has kind ", kind,
                       ", which this build does not ", "know and the file marks as required"));
    }
    if (known && h.Find(s.kind) != nullptr) {
      return bad("corrupt section table: two '", std::string(SectionKindName(s.kind)),
                 "' sections");
    }
    if (s.offset % kSectionAlignment != 0 || s.offset < end_of_previous) {
      return bad("corrupt section table: section ", i, " at byte ", s.offset,
                 " is misaligned or overlaps what comes before it");
    }
    if (s.offset > static_cast<uint64_t>(file_size) ||
        s.size > static_cast<uint64_t>(file_size) - s.offset) {
      return bad("truncated: section '", std::string(SectionKindName(s.kind)), "' needs bytes [",
                 s.offset, ", ", s.offset + s.size, "), file has ", file_size);
    }
    end_of_previous = s.offset + s.size;
    h.sections.push_back(s);
  }
  if (end_of_previous != static_cast<uint64_t>(file_size)) {
    return bad("file has ", file_size, " bytes, its sections end at byte ", end_of_previous,
               " (trailing bytes: an interrupted or appended copy?)");
  }
  return h;
}

}  // namespace tq
