// The vectors of an index: blocks in fixed-size segments (never moved once written, so a scan
// can run over a segment while another is appended), their ids and the kept raw vectors.
#ifndef TQ_INDEX_BLOCK_STORE_H_
#define TQ_INDEX_BLOCK_STORE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/lookup_table.h"
#include "index/block_format.h"
#include "index/index_options.h"

namespace tq {

// Vectors prepared outside any lock, ready to be copied in: whole blocks starting at
// first_block (the store's partial last block, rebuilt with the new lanes, or the next one).
struct StagedVectors {
  int64_t first_block = 0;
  int64_t num_blocks = 0;
  std::vector<uint8_t, CacheAlignedAllocator<uint8_t>> blocks;  // num_blocks * stride
  std::vector<uint64_t> ids;                                    // one per new vector
  std::vector<uint8_t> raw;  // new vectors as kept (float32 or float16 bytes), or empty
};

// Not thread-safe by itself: Index guards it (readers share, one writer excludes them).
class BlockStore {
 public:
  static constexpr int64_t kSegmentBlocks = 64;
  static constexpr int64_t kSegmentVectors = kSegmentBlocks * kBlockVectors;

  BlockStore(const BlockFormat& format, KeepVectors keep);

  const BlockFormat& format() const { return *format_; }
  KeepVectors keep() const { return keep_; }
  int64_t size() const { return size_; }  // vectors stored, dead ones included
  int64_t live() const { return live_; }
  int64_t num_blocks() const { return (size_ + kBlockVectors - 1) / kBlockVectors; }
  size_t raw_bytes_per_vector() const { return raw_bytes_per_vector_; }

  // Block b (0 .. num_blocks() - 1); blocks b .. b + ContiguousBlocks(b) - 1 follow each other
  // at format().stride().
  const uint8_t* block(int64_t b) const {
    return segments_[b / kSegmentBlocks]->blocks.get() + (b % kSegmentBlocks) * format_->stride();
  }
  int64_t ContiguousBlocks(int64_t b) const {
    return std::min(kSegmentBlocks - b % kSegmentBlocks, num_blocks() - b);
  }
  uint64_t id(int64_t pos) const {
    return segments_[pos / kSegmentVectors]->ids[pos % kSegmentVectors];
  }
  bool is_live(int64_t pos) const {
    return (format_->live_mask(block(pos / kBlockVectors)) >> (pos % kBlockVectors)) & 1u;
  }
  // The kept vector at pos as floats, and its stored bytes (keep() != kNone).
  void ReadVector(int64_t pos, float* out) const;
  const uint8_t* raw_bytes(int64_t pos) const {
    return segments_[pos / kSegmentVectors]->raw.get() +
           (pos % kSegmentVectors) * raw_bytes_per_vector_;
  }

  // Copies staged vectors in; staged.first_block must be the partial last block or the next.
  void Append(const StagedVectors& staged);
  // Marks pos dead; false if it already was.
  bool Kill(int64_t pos);

 private:
  struct AlignedFree {
    void operator()(uint8_t* p) const { ::operator delete(p, std::align_val_t(64)); }
  };
  struct Segment {
    std::unique_ptr<uint8_t, AlignedFree> blocks;
    std::unique_ptr<uint64_t[]> ids;
    std::unique_ptr<uint8_t[]> raw;
  };
  uint8_t* mutable_block(int64_t b) {
    return segments_[b / kSegmentBlocks]->blocks.get() + (b % kSegmentBlocks) * format_->stride();
  }
  void AddSegment();

  const BlockFormat* format_;
  KeepVectors keep_;
  size_t raw_bytes_per_vector_ = 0;
  int64_t size_ = 0;
  int64_t live_ = 0;
  std::vector<std::unique_ptr<Segment>> segments_;
};

}  // namespace tq

#endif  // TQ_INDEX_BLOCK_STORE_H_
