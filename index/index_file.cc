// Index::Save and Index::Open: the index file of index/file_format.h written atomically, and
// read back only after every part of it has been checked.
#include "index/index_file.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/codebook.h"
#include "engine/random.h"
#include "index/block_format.h"
#include "index/block_store.h"
#include "index/crc32c.h"
#include "index/index.h"
#include "index/query_scorer.h"
#include "platform/atomic_file_writer.h"
#include "platform/read_only_file.h"

namespace tq {
namespace {

// Bytes read to parse a header: more than the largest header and section table.
constexpr int64_t kHeaderReadBytes = 4096;
static_assert(kIndexHeaderBytes + kSectionEntryBytes * kMaxSections <= kHeaderReadBytes);

// Fixed, so that every build probes its quantizer with the same vector.
constexpr uint64_t kProbeSeed = 0x7451'6e64'6578'5052ULL;

int64_t TombstoneWords(int64_t size) { return (size + 63) / 64; }

// Where the index file keeps its own header CRC (index/file_format.cc).
constexpr size_t kHeaderCrcOffset = 20;

std::string WalPath(const std::string& index_path) { return index_path + ".wal"; }

// Whether two paths name the same file location (the file itself may not exist yet).
bool SameFile(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  std::error_code error;
  const std::filesystem::path pa = std::filesystem::weakly_canonical(std::string(a), error);
  const std::filesystem::path pb = std::filesystem::weakly_canonical(std::string(b), error);
  return !error && pa == pb;
}

// Appends a section of `pieces` (pointer, bytes) at the next `alignment` boundary and records
// it in `sections`, its CRC computed on the way.
absl::Status AppendSection(AtomicFileWriter& out, SectionKind kind, int64_t alignment,
                           const std::vector<std::pair<const void*, size_t>>& pieces,
                           std::vector<SectionEntry>* sections) {
  if (absl::Status status = out.PadTo(alignment); !status.ok()) return status;
  SectionEntry entry;
  entry.kind = kind;
  entry.flags = kSectionRequired;
  entry.offset = static_cast<uint64_t>(out.offset());
  uint32_t crc = 0;
  for (const auto& [data, bytes] : pieces) {
    if (bytes == 0) continue;
    crc = Crc32c(crc, data, bytes);
    if (absl::Status status = out.Append(data, bytes); !status.ok()) return status;
  }
  entry.size = static_cast<uint64_t>(out.offset()) - entry.offset;
  entry.crc32c = crc;
  sections->push_back(entry);
  return absl::OkStatus();
}

bool AllZero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

}  // namespace

QuantizerFingerprint ComputeFingerprint(const TurboQuantizer& quantizer) {
  QuantizerFingerprint f;
  if (const Codebook* book = quantizer.codebook()) {
    const auto centroids = book->centroids();
    std::copy_n(centroids.begin(), std::min<size_t>(centroids.size(), f.centroids.size()),
                f.centroids.begin());
  }
  const int d = quantizer.dim();
  std::vector<float> probe(d);
  Rng rng(kProbeSeed);
  double norm = 0.0;
  for (float& v : probe) {
    v = static_cast<float>(rng.NextGaussian());
    norm += static_cast<double>(v) * v;
  }
  for (float& v : probe) v = static_cast<float>(v / std::sqrt(norm));
  const PreparedQuery prepared = quantizer.PrepareQuery(probe.data());
  // Coordinates spread over the whole vector: a change anywhere in the rotation shows.
  for (size_t i = 0; i < f.rotated_probe.size(); ++i) {
    const size_t j = i * static_cast<size_t>(d) / f.rotated_probe.size();
    f.rotated_probe[i] = prepared.rotated[j];
    if (!prepared.projected.empty()) f.projected_probe[i] = prepared.projected[j];
  }
  return f;
}

absl::Status CheckFingerprint(std::string_view path, const QuantizerFingerprint& recorded,
                              const QuantizerFingerprint& actual, int dim) {
  // Rounding differences between CPUs are ~1e-7 relative; another codebook or rotation
  // algorithm differs in the first digits. Probe coordinates are ~1/sqrt(d) in size.
  auto close = [&](float a, float b) {
    return std::abs(a - b) <= 1e-4f * std::abs(b) + 1e-4f / std::sqrt(static_cast<float>(dim));
  };
  auto check = [&](auto& want, auto& got, std::string_view what) -> absl::Status {
    for (size_t i = 0; i < want.size(); ++i) {
      if (!close(got[i], want[i])) {
        return absl::FailedPreconditionError(
            absl::StrCat(std::string(path), ": this build's ", std::string(what),
                         " differs from the one the index was written with (", "value ", i, ": ",
                         got[i], " vs ", want[i], " in the file); its codes cannot be ",
                         "read correctly, rebuild the index from the vectors"));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = check(recorded.centroids, actual.centroids, "codebook"); !s.ok()) return s;
  if (absl::Status s = check(recorded.rotated_probe, actual.rotated_probe, "rotation"); !s.ok()) {
    return s;
  }
  return check(recorded.projected_probe, actual.projected_probe, "QJL projection");
}

absl::StatusOr<IndexFileHeader> ReadIndexFileHeader(std::string_view path) {
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  if (!file.ok()) return file.status();
  std::vector<uint8_t> head(std::min(file->size(), kHeaderReadBytes));
  if (absl::Status status = file->ReadAt(0, head.size(), head.data()); !status.ok()) {
    return status;
  }
  return ParseIndexFileHeader(path, head, file->size());
}

absl::Status Index::Save(std::string_view path) const {
  std::lock_guard write(write_mu_);  // no writer changes the store while it is written
  WalBase base;
  if (absl::Status status = SaveLocked(path, &base); !status.ok()) return status;
  // Over its own file, a writable index must also start its log afresh: the old log now
  // predates the file, and records appended to it would be ignored at the next open.
  if (log_ != nullptr && SameFile(path, path_)) return log_->Reset(base);
  return absl::OkStatus();
}

absl::Status Index::Checkpoint() {
  if (log_ == nullptr) {
    return absl::FailedPreconditionError("checkpoint: the index was not opened writable");
  }
  std::lock_guard write(write_mu_);
  WalBase base;
  if (absl::Status status = SaveLocked(path_, &base); !status.ok()) return status;
  return log_->Reset(base);
}

absl::Status Index::SaveLocked(std::string_view path, WalBase* base) const {
  const BlockStore& store = *store_;
  const int64_t size = store.size();

  IndexFileHeader header;
  header.options = options_;
  header.options.mean.clear();  // in its section
  // Without centering and a non-integer rate nothing of 1.1 is used: the file stays 1.0,
  // readable by 1.0 readers.
  header.minor = options_.center == Centering::kNone && options_.upper_coords == 0 ? 0 : 1;
  header.qjl = quantizer_->options().qjl;
  header.encoder = quantizer_->options().encoder;
  header.size = size;
  header.live = store.live();
  header.next_id = next_id_;
  header.block_vectors = kBlockVectors;
  header.stride = static_cast<uint32_t>(format_->stride());
  header.code_bytes_per_vector = static_cast<uint32_t>(format_->code_bytes_per_vector());
  header.floats_per_vector = static_cast<uint32_t>(format_->floats_per_vector());
  header.fingerprint = ComputeFingerprint(*quantizer_);

  absl::StatusOr<AtomicFileWriter> out = AtomicFileWriter::Create(path);
  if (!out.ok()) return out.status();
  // The header's place is held with zeros and written last, once the checksums are known.
  const int num_sections =
      3 + (store.keep() == KeepVectors::kNone ? 0 : 1) + (mean_.empty() ? 0 : 1);
  header.sections.resize(num_sections);
  const std::vector<uint8_t> placeholder(header.header_bytes(), 0);
  if (absl::Status status = out->Append(placeholder.data(), placeholder.size()); !status.ok()) {
    return status;
  }
  header.sections.clear();

  const size_t stride = format_->stride();
  std::vector<std::pair<const void*, size_t>> blocks, ids, raw;
  for (int64_t b = 0; b < store.num_blocks(); b += store.ContiguousBlocks(b)) {
    blocks.emplace_back(store.block(b), store.ContiguousBlocks(b) * stride);
  }
  std::vector<uint64_t> tombstones(TombstoneWords(size), 0);
  for (int64_t pos = 0; pos < size; pos += BlockStore::kSegmentVectors) {
    const int64_t n = std::min(BlockStore::kSegmentVectors, size - pos);
    ids.emplace_back(store.ids(pos), n * sizeof(uint64_t));
    if (store.keep() != KeepVectors::kNone) {
      raw.emplace_back(store.raw_bytes(pos), n * store.raw_bytes_per_vector());
    }
  }
  for (int64_t pos = 0; pos < size; ++pos) {
    if (!store.is_live(pos)) tombstones[pos / 64] |= uint64_t{1} << (pos % 64);
  }
  const std::vector<std::pair<const void*, size_t>> tombstone_piece = {
      {tombstones.data(), tombstones.size() * sizeof(uint64_t)}};
  absl::Status status =
      AppendSection(*out, SectionKind::kBlocks, kBlockSectionAlignment, blocks, &header.sections);
  if (status.ok()) {
    status = AppendSection(*out, SectionKind::kIds, kSectionAlignment, ids, &header.sections);
  }
  if (status.ok()) {
    status = AppendSection(*out, SectionKind::kTombstones, kSectionAlignment, tombstone_piece,
                           &header.sections);
  }
  if (status.ok() && store.keep() != KeepVectors::kNone) {
    status =
        AppendSection(*out, SectionKind::kRawVectors, kSectionAlignment, raw, &header.sections);
  }
  if (status.ok() && !mean_.empty()) {
    const std::vector<std::pair<const void*, size_t>> mean_piece = {
        {mean_.data(), mean_.size() * sizeof(float)}};
    status =
        AppendSection(*out, SectionKind::kMean, kSectionAlignment, mean_piece, &header.sections);
  }
  if (!status.ok()) return status;
  const std::vector<uint8_t> bytes = SerializeIndexFileHeader(header);
  if (absl::Status s = out->WriteAt(0, bytes.data(), bytes.size()); !s.ok()) return s;
  if (absl::Status s = out->Commit(); !s.ok()) return s;
  std::memcpy(&base->index_header_crc, bytes.data() + kHeaderCrcOffset, sizeof(uint32_t));
  base->size = static_cast<uint64_t>(size);
  base->next_id = next_id_;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Index>> Index::Open(std::string_view path,
                                                   const OpenOptions& open_options) {
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  if (!file.ok()) return file.status();
  std::vector<uint8_t> head(std::min(file->size(), kHeaderReadBytes));
  if (absl::Status status = file->ReadAt(0, head.size(), head.data()); !status.ok()) {
    return status;
  }
  absl::StatusOr<IndexFileHeader> parsed = ParseIndexFileHeader(path, head, file->size());
  if (!parsed.ok()) return parsed.status();
  const IndexFileHeader& h = *parsed;
  auto corrupt = [&](auto&&... parts) {
    return absl::DataLossError(absl::StrCat(std::string(path), ": ", parts...));
  };

  // The quantizer and block format are this build's, recomputed; the file must agree.
  const QuantizerOptions defaults;
  if (h.qjl != defaults.qjl) {
    return absl::FailedPreconditionError(absl::StrCat(std::string(path), ": written with QJL '",
                                                      std::string(QjlTransformName(h.qjl)),
                                                      "', which this build's index does not use"));
  }
  // A given mean is read from its section below; the index is created without it (as a
  // first-batch one: the same block format).
  IndexOptions create_options = h.options;
  create_options.encoder = h.encoder;
  if (create_options.center == Centering::kGiven) create_options.center = Centering::kFirstBatch;
  absl::StatusOr<std::unique_ptr<Index>> created = Create(create_options);
  if (!created.ok())
    return corrupt("cannot recreate the index: ", std::string(created.status().message()));
  std::unique_ptr<Index> index = *std::move(created);
  const BlockFormat& format = *index->format_;
  if (h.block_vectors != kBlockVectors || h.stride != format.stride() ||
      h.code_bytes_per_vector != static_cast<uint32_t>(format.code_bytes_per_vector()) ||
      h.floats_per_vector != static_cast<uint32_t>(format.floats_per_vector())) {
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(path), ": block layout differs from this build's (",
                     h.block_vectors, " vectors, ", h.stride, "-byte stride, ",
                     h.code_bytes_per_vector, " code bytes and ", h.floats_per_vector,
                     " floats per vector in the file; ", kBlockVectors, ", ", format.stride(), ", ",
                     format.code_bytes_per_vector(), ", ", format.floats_per_vector(), " here)"));
  }
  if (absl::Status status = CheckFingerprint(path, h.fingerprint,
                                             ComputeFingerprint(*index->quantizer_), h.options.dim);
      !status.ok()) {
    return status;
  }

  // Every section present, exactly as long as the header says.
  const int64_t size = h.size;
  const bool keep = h.options.keep_vectors != KeepVectors::kNone;
  const size_t raw_bytes_per_vector =
      keep ? (h.options.keep_vectors == KeepVectors::kFloat32 ? 4 : 2) * h.options.dim : 0;
  // The mean: never without centering, always once it is fixed (a given one from the start,
  // a first-batch one from the first Add: an index saved before any Add has none yet).
  const Centering center = h.options.center;
  const bool mean_required =
      center == Centering::kGiven || (center == Centering::kFirstBatch && size > 0);
  const bool mean_allowed = center != Centering::kNone;
  struct Expected {
    SectionKind kind;
    uint64_t size;
    bool present;
    bool optional = false;  // may be absent even when `present`
  };
  const Expected expected[] = {
      {SectionKind::kBlocks, static_cast<uint64_t>(h.num_blocks()) * format.stride(), true},
      {SectionKind::kIds, static_cast<uint64_t>(size) * sizeof(uint64_t), true},
      {SectionKind::kTombstones, static_cast<uint64_t>(TombstoneWords(size)) * sizeof(uint64_t),
       true},
      {SectionKind::kRawVectors, static_cast<uint64_t>(size) * raw_bytes_per_vector, keep},
      {SectionKind::kMean, static_cast<uint64_t>(h.options.dim) * sizeof(float), mean_allowed,
       !mean_required},
  };
  for (const Expected& e : expected) {
    const SectionEntry* s = h.Find(e.kind);
    if (!e.present) {
      if (s != nullptr)
        return corrupt("has a '", std::string(SectionKindName(e.kind)), "' section it should not");
      continue;
    }
    if (s == nullptr && e.optional) continue;
    if (s == nullptr)
      return corrupt("the '", std::string(SectionKindName(e.kind)), "' section is missing");
    if (s->size != e.size) {
      return corrupt("section '", std::string(SectionKindName(e.kind)), "' has ", s->size,
                     " bytes, expected ", e.size, " for ", size, " vectors");
    }
  }

  absl::StatusOr<std::shared_ptr<const FileMapping>> mapped = file->Map();
  if (!mapped.ok()) return mapped.status();
  const std::shared_ptr<const FileMapping>& mapping = *mapped;
  const uint8_t* base = mapping->data();

  // The bytes between the sections are zero: no byte of the file goes unchecked.
  {
    uint64_t gap_begin = static_cast<uint64_t>(h.header_bytes());
    for (const SectionEntry& s : h.sections) {
      if (!AllZero(base + gap_begin, s.offset - gap_begin)) {
        return corrupt("non-zero padding in bytes [", gap_begin, ", ", s.offset, ")");
      }
      gap_begin = s.offset + s.size;
    }
  }
  for (const SectionEntry& s : h.sections) {
    const bool small = s.kind == SectionKind::kIds || s.kind == SectionKind::kTombstones;
    if ((small || open_options.verify_checksums) &&
        Crc32c(0, base + s.offset, s.size) != s.crc32c) {
      return corrupt("checksum mismatch in section '", std::string(SectionKindName(s.kind)),
                     "' (bytes [", s.offset, ", ", s.offset + s.size, ")): the file is corrupt");
    }
  }

  // Sections are 64-byte aligned, so ids and tombstones can be read as uint64 in place.
  const uint64_t* ids = reinterpret_cast<const uint64_t*>(base + h.Find(SectionKind::kIds)->offset);
  const uint64_t* tombstones =
      reinterpret_cast<const uint64_t*>(base + h.Find(SectionKind::kTombstones)->offset);
  const uint8_t* blocks = base + h.Find(SectionKind::kBlocks)->offset;
  const SectionEntry* raw_section = h.Find(SectionKind::kRawVectors);
  const uint8_t* raw = raw_section != nullptr ? base + raw_section->offset : nullptr;
  if (const SectionEntry* mean_section = h.Find(SectionKind::kMean)) {
    std::vector<float> mean(h.options.dim);
    std::memcpy(mean.data(), base + mean_section->offset, mean.size() * sizeof(float));
    for (int j = 0; j < h.options.dim; ++j) {
      if (!std::isfinite(mean[j])) {
        return corrupt("the mean has a non-finite value at coordinate ", j);
      }
    }
    if (center == Centering::kGiven) {
      index->options_.center = Centering::kGiven;
      index->options_.mean = mean;
    }
    index->mean_ = std::move(mean);
    index->context_->mean = index->mean_.data();
  }

  // Tombstones and live masks tell the same story; lanes past the last vector are dead.
  int64_t live = 0;
  for (int64_t b = 0; b < h.num_blocks(); ++b) {
    const int64_t first = b * kBlockVectors;
    const int lanes = static_cast<int>(std::min<int64_t>(kBlockVectors, size - first));
    uint32_t expected_mask = 0;
    for (int lane = 0; lane < lanes; ++lane) {
      const int64_t pos = first + lane;
      if (!((tombstones[pos / 64] >> (pos % 64)) & 1u)) expected_mask |= 1u << lane;
    }
    const uint32_t mask = format.live_mask(blocks + b * format.stride());
    if (mask != expected_mask) {
      return corrupt("block ", b, " has live mask ", mask, " but the tombstones say ",
                     expected_mask);
    }
    live += std::popcount(mask);
  }
  if (size % 64 != 0 && (tombstones[size / 64] >> (size % 64)) != 0) {
    return corrupt("tombstones set past the last vector");
  }
  if (live != h.live) return corrupt(live, " live vectors, the header says ", h.live);

  // Every id is below the next automatic one, and live ids are distinct. Ids that ascend with
  // the position (automatic ones, explicit ones added in order, either after removals) cannot
  // repeat, so their id map is left to the first lookup (Index::Positions builds it from the
  // store): a mapped open of 1M such vectors spent ~40% of its time inserting them. Other ids
  // are mapped here, where a repeat shows.
  bool ascending = true;
  for (int64_t pos = 0; pos < size; ++pos) {
    const uint64_t id = ids[pos];
    if (id > kMaxIndexId || id >= h.next_id) {
      return corrupt("id ", id, " at position ", pos, " is out of range (next id ", h.next_id, ")");
    }
    ascending = ascending && (pos == 0 || id > ids[pos - 1]);
  }
  if (ascending) {
    index->positions_from_store_ = true;
  } else {
    index->positions_.reserve(live);
    for (int64_t pos = 0; pos < size; ++pos) {
      if ((tombstones[pos / 64] >> (pos % 64)) & 1u) continue;
      if (!index->positions_.emplace(ids[pos], pos).second) {
        return corrupt("id ", ids[pos], " is live twice (positions ", index->positions_[ids[pos]],
                       " and ", pos, ")");
      }
    }
  }
  index->next_id_ = h.next_id;
  index->store_ = BlockStore::FromSaved(format, h.options.keep_vectors, size, blocks, ids, raw,
                                        open_options.mmap ? mapping : nullptr);
  const WalBase file_state{h.header_crc, static_cast<uint64_t>(h.size), h.next_id};
  if (absl::Status status = index->ReplayLog(std::string(path), file_state, open_options);
      !status.ok()) {
    return status;
  }
  return index;
}

absl::Status Index::ReplayLog(const std::string& path, const WalBase& base,
                              const OpenOptions& options) {
  const std::string log_path = WalPath(path);
  absl::StatusOr<WalContents> contents = ReadWriteAheadLog(log_path, dim());
  int64_t valid_bytes = 0;
  uint64_t next_sequence = 1;
  if (contents.ok() && contents->base != base) {
    recovery_.stale_log = true;  // its checkpoint completed; the file already holds it all
  } else if (contents.ok()) {
    for (const WalRecord& record : contents->records) {
      const int64_t n = static_cast<int64_t>(record.ids.size());
      absl::Status status =
          record.type == WalRecord::Type::kAdd
              ? (record.dim == dim()
                     ? Add(record.vectors.data(), n, record.ids.data())
                     : absl::InvalidArgumentError(absl::StrCat("dimension ", record.dim)))
              : Remove(record.ids.data(), n);
      if (!status.ok()) {
        return absl::DataLossError(
            absl::StrCat(log_path, ": record ", record.sequence,
                         " cannot be replayed: ", std::string(status.message())));
      }
      ++recovery_.records_replayed;
      (record.type == WalRecord::Type::kAdd ? recovery_.vectors_added : recovery_.ids_removed) += n;
    }
    recovery_.dropped_bytes = contents->dropped_bytes;
    recovery_.dropped_reason = contents->dropped_reason;
    valid_bytes = contents->valid_bytes;
    next_sequence = contents->records.empty() ? 1 : contents->records.back().sequence + 1;
  } else if (contents.status().code() != absl::StatusCode::kNotFound) {
    // An unreadable log header: the log cannot be trusted, so neither can opening without it.
    return contents.status();
  }
  if (!options.writable) return absl::OkStatus();
  // A stale log starts afresh for this file; a current one continues after its last intact
  // record, its torn tail cut off.
  absl::StatusOr<std::unique_ptr<WriteAheadLog>> log = WriteAheadLog::Open(
      log_path, base, recovery_.stale_log ? 0 : valid_bytes, next_sequence, options.sync);
  if (!log.ok()) return log.status();
  path_ = path;
  log_ = *std::move(log);
  // Fold what was replayed into the file now, so the log starts empty again. (A stale log was
  // already started afresh by WriteAheadLog::Open.)
  return recovery_.records_replayed > 0 ? Checkpoint() : absl::OkStatus();
}

}  // namespace tq
