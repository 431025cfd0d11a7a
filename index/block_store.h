// The vectors of an index: blocks in fixed-size segments (never moved once written, so a scan
// can run over a segment while another is appended), their ids and the kept raw vectors.
// A store opened from a file may leave its blocks and raw vectors in a read-only mapping of
// it; a segment is copied to memory only when a write (Append, Kill) needs to change it.
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
#include "platform/huge_pages.h"
#include "platform/read_only_file.h"

namespace tq {

// Vectors prepared outside any lock, ready to be copied in: whole blocks starting at
// first_block (the store's partial last block, rebuilt with the new lanes, or the next one).
struct StagedVectors {
  int64_t first_block = 0;
  int64_t num_blocks = 0;
  // The last blocks_in_place of the num_blocks were written straight into the store
  // (BlockStore::Reserve, UnpublishedBlock); `blocks` holds the others, (num_blocks -
  // blocks_in_place) * stride bytes.
  int64_t blocks_in_place = 0;
  std::vector<uint8_t, CacheAlignedAllocator<uint8_t>> blocks;
  std::vector<uint64_t> ids;  // one per new vector
  // New vectors as kept (float32 or float16 bytes), or empty; or, with raw_in_place, already
  // written into the store (UnpublishedRaw).
  std::vector<uint8_t> raw;
  bool raw_in_place = false;
};

// Not thread-safe by itself: Index guards it (readers share, one writer excludes them).
class BlockStore {
 public:
  static constexpr int64_t kSegmentBlocks = 64;
  static constexpr int64_t kSegmentVectors = kSegmentBlocks * kBlockVectors;

  BlockStore(const BlockFormat& format, KeepVectors keep);

  // The saved state of a store (what Save writes and Open reads back): `size` vectors in
  // ceil(size / 32) blocks of format.stride() bytes, their ids, and size * raw_bytes_per_vector
  // bytes of kept vectors (null when keep is kNone). Without `mapping` blocks and raw vectors
  // are copied; with it they stay where they are, inside the mapping, which the store keeps
  // alive. The caller has validated everything.
  static std::unique_ptr<BlockStore> FromSaved(const BlockFormat& format, KeepVectors keep,
                                               int64_t size, const uint8_t* blocks,
                                               const uint64_t* ids, const uint8_t* raw,
                                               std::shared_ptr<const FileMapping> mapping);

  const BlockFormat& format() const { return *format_; }
  KeepVectors keep() const { return keep_; }
  int64_t size() const { return size_; }  // vectors stored, dead ones included
  int64_t live() const { return live_; }
  int64_t num_blocks() const { return (size_ + kBlockVectors - 1) / kBlockVectors; }
  size_t raw_bytes_per_vector() const { return raw_bytes_per_vector_; }
  int64_t num_segments() const { return static_cast<int64_t>(segments_.size()); }
  // Bytes of blocks and raw vectors still served from a file mapping (not copied to memory).
  int64_t mapped_bytes() const;

  // Block b (0 .. num_blocks() - 1); blocks b .. b + ContiguousBlocks(b) - 1 follow each other
  // at format().stride().
  const uint8_t* block(int64_t b) const {
    return segments_[b / kSegmentBlocks]->blocks + (b % kSegmentBlocks) * format_->stride();
  }
  int64_t ContiguousBlocks(int64_t b) const {
    return std::min(kSegmentBlocks - b % kSegmentBlocks, num_blocks() - b);
  }
  uint64_t id(int64_t pos) const {
    return segments_[pos / kSegmentVectors]->ids[pos % kSegmentVectors];
  }
  // Ids of positions pos .. pos + n - 1, which must lie in one segment.
  const uint64_t* ids(int64_t pos) const {
    return segments_[pos / kSegmentVectors]->ids.get() + pos % kSegmentVectors;
  }
  bool is_live(int64_t pos) const {
    return (format_->live_mask(block(pos / kBlockVectors)) >> (pos % kBlockVectors)) & 1u;
  }
  // Room for blocks [num_blocks(), end_block) and their kept vectors: their segments exist and
  // are in memory, so the writer can fill them outside the lock. Adds segments, so it needs the
  // exclusive lock.
  void Reserve(int64_t end_block);
  // A reserved block past the published ones (b >= size() / 32 and b * 32 >= size()): readers
  // never look there, so the writer may fill it while they scan; Append publishes it. The same
  // for the kept vector of a position pos >= size() below end_block * 32.
  uint8_t* UnpublishedBlock(int64_t b);
  uint8_t* UnpublishedRaw(int64_t pos);
  // Writes a zero into every page of the unpublished blocks [begin_block, end_block), so that
  // their first-touch page faults happen here, on one thread: two threads faulting in the same
  // transparent huge pages took ~5x as long as one (d = 1536: 20 ms on two threads to build 313
  // new blocks, 3.4 ms on one). Kept vectors are left to fault where they are written: with
  // memory the VM had never backed, every first touch cost ~3-8 ms per 2 MB however it was done
  // (1M float16 vectors: 200 MB), and no measurement here could tell the two apart.
  void TouchUnpublished(int64_t begin_block, int64_t end_block);

  // The kept vector at pos as floats, and its stored bytes (keep() != kNone).
  void ReadVector(int64_t pos, float* out) const;
  const uint8_t* raw_bytes(int64_t pos) const {
    return segments_[pos / kSegmentVectors]->raw + (pos % kSegmentVectors) * raw_bytes_per_vector_;
  }

  // Copies staged vectors in; staged.first_block must be the partial last block or the next.
  void Append(const StagedVectors& staged);
  // Marks pos dead; false if it already was.
  bool Kill(int64_t pos);

 private:
  struct AlignedFree {
    void operator()(uint8_t* p) const { ::operator delete(p, std::align_val_t(64)); }
  };
  // blocks and raw point at owned memory (kSegmentBlocks blocks, kSegmentVectors vectors of
  // room) or, for a segment still in the mapping, at its bytes there (owned_* null).
  struct Segment {
    const uint8_t* blocks = nullptr;
    const uint8_t* raw = nullptr;
    uint8_t* owned_blocks = nullptr;  // inside one of block_arenas_
    uint8_t* owned_raw = nullptr;     // inside one of raw_arenas_
    std::unique_ptr<uint64_t[]> ids;
  };
  uint8_t* mutable_block(int64_t b);
  uint8_t* mutable_raw(int64_t pos);
  void AddSegment();

  // Copies a mapped segment's blocks (or raw vectors) to memory before the first write.
  void OwnBlocks(int64_t segment);
  void OwnRaw(int64_t segment);

  const BlockFormat* format_;
  KeepVectors keep_;
  size_t raw_bytes_per_vector_ = 0;
  int64_t size_ = 0;
  int64_t live_ = 0;
  std::vector<std::unique_ptr<Segment>> segments_;
  // Memory of owned segments' blocks and kept vectors: the first segment alone (a small index
  // stays small), then huge-page arenas (platform/huge_pages.h) doubling from 2 MB up to
  // 64 MB, carved in order and freed with the store.
  struct Arena {
    std::unique_ptr<uint8_t, AlignedFree> plain;
    HugePageMemory huge;
    uint8_t* base = nullptr;
    size_t bytes = 0;
    size_t used = 0;
  };
  // `bytes` (rounded up to 64) from the last of `arenas`, or a new one.
  static uint8_t* Allocate(std::vector<Arena>& arenas, size_t bytes);
  std::vector<Arena> block_arenas_;
  std::vector<Arena> raw_arenas_;
  std::shared_ptr<const FileMapping> mapping_;  // null unless opened mapped
};

}  // namespace tq

#endif  // TQ_INDEX_BLOCK_STORE_H_
