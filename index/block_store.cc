// Segmented storage: a segment holds 64 blocks (2048 vectors), their ids and raw vectors, and
// is allocated whole (untouched pages cost no memory) so nothing already written ever moves.
// Segments of an opened file may stay in its mapping until a write copies them out.
#include "index/block_store.h"

#include <bit>
#include <cassert>
#include <cstring>
#include <new>
#include <utility>

#include "engine/float16.h"

namespace tq {

BlockStore::BlockStore(const BlockFormat& format, KeepVectors keep)
    : format_(&format), keep_(keep) {
  const size_t element = keep == KeepVectors::kFloat32   ? sizeof(float)
                         : keep == KeepVectors::kFloat16 ? sizeof(uint16_t)
                                                         : 0;
  raw_bytes_per_vector_ = element * format.dim();
}

void BlockStore::ReadVector(int64_t pos, float* out) const {
  assert(keep_ != KeepVectors::kNone);
  const uint8_t* raw = raw_bytes(pos);
  const int d = format_->dim();
  if (keep_ == KeepVectors::kFloat32) {
    std::memcpy(out, raw, d * sizeof(float));
  } else {
    for (int j = 0; j < d; ++j) {
      uint16_t half;
      std::memcpy(&half, raw + 2 * j, sizeof(half));
      out[j] = HalfToFloat(half);
    }
  }
}

std::unique_ptr<BlockStore> BlockStore::FromSaved(const BlockFormat& format, KeepVectors keep,
                                                  int64_t size, const uint8_t* blocks,
                                                  const uint64_t* ids, const uint8_t* raw,
                                                  std::shared_ptr<const FileMapping> mapping) {
  auto store = std::make_unique<BlockStore>(format, keep);
  const size_t stride = format.stride();
  const size_t raw_bytes = store->raw_bytes_per_vector_;
  store->size_ = size;
  const int64_t num_blocks = store->num_blocks();
  for (int64_t first = 0; first < num_blocks; first += kSegmentBlocks) {
    const int64_t s = first / kSegmentBlocks;
    const int64_t count = std::min(kSegmentBlocks, num_blocks - first);
    const int64_t first_vector = s * kSegmentVectors;
    const int64_t vectors = std::min(kSegmentVectors, size - first_vector);
    auto segment = std::make_unique<Segment>();
    segment->ids.reset(new uint64_t[kSegmentVectors]);
    std::memcpy(segment->ids.get(), ids + first_vector, vectors * sizeof(uint64_t));
    if (mapping != nullptr) {
      segment->blocks = blocks + first * stride;
      if (raw_bytes > 0) segment->raw = raw + first_vector * raw_bytes;
      store->segments_.push_back(std::move(segment));
      continue;
    }
    store->segments_.push_back(std::move(segment));
    store->OwnBlocks(s);
    std::memcpy(store->segments_[s]->owned_blocks, blocks + first * stride, count * stride);
    if (raw_bytes > 0) {
      store->OwnRaw(s);
      std::memcpy(store->segments_[s]->owned_raw, raw + first_vector * raw_bytes,
                  vectors * raw_bytes);
    }
  }
  int64_t live = 0;
  for (int64_t b = 0; b < num_blocks; ++b) {
    live += std::popcount(format.live_mask(store->block(b)));
  }
  store->live_ = live;
  store->mapping_ = std::move(mapping);
  return store;
}

int64_t BlockStore::mapped_bytes() const {
  int64_t bytes = 0;
  for (int64_t s = 0; s < num_segments(); ++s) {
    const Segment& segment = *segments_[s];
    const int64_t blocks = std::min(kSegmentBlocks, num_blocks() - s * kSegmentBlocks);
    const int64_t vectors = std::min(kSegmentVectors, size_ - s * kSegmentVectors);
    if (segment.blocks != nullptr && !segment.owned_blocks) {
      bytes += blocks * static_cast<int64_t>(format_->stride());
    }
    if (segment.raw != nullptr && !segment.owned_raw) {
      bytes += vectors * static_cast<int64_t>(raw_bytes_per_vector_);
    }
  }
  return bytes;
}

void BlockStore::AddSegment() {
  segments_.push_back(std::make_unique<Segment>());
  segments_.back()->ids.reset(new uint64_t[kSegmentVectors]);
  OwnBlocks(num_segments() - 1);
  if (raw_bytes_per_vector_ > 0) OwnRaw(num_segments() - 1);
}

void BlockStore::OwnBlocks(int64_t s) {
  Segment& segment = *segments_[s];
  if (segment.owned_blocks) return;
  segment.owned_blocks = Allocate(block_arenas_, kSegmentBlocks * format_->stride());
  if (segment.blocks != nullptr) {  // mapped: bring its blocks along
    const int64_t blocks = std::min(kSegmentBlocks, num_blocks() - s * kSegmentBlocks);
    std::memcpy(segment.owned_blocks, segment.blocks, blocks * format_->stride());
  }
  segment.blocks = segment.owned_blocks;
}

uint8_t* BlockStore::Allocate(std::vector<Arena>& arenas, size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;  // every piece 64-byte aligned
  if (arenas.empty() || arenas.back().bytes - arenas.back().used < bytes) {
    Arena arena;
    if (!arenas.empty()) {
      const size_t wanted = std::clamp(2 * arenas.back().bytes, kHugePageBytes, size_t{64} << 20);
      arena.huge = HugePageMemory(std::max(wanted, bytes));
      arena.base = arena.huge.data();
      arena.bytes = arena.huge.size();
    }
    if (arena.base == nullptr) {  // the first segment, or no mapping to be had
      arena.plain.reset(static_cast<uint8_t*>(::operator new(bytes, std::align_val_t(64))));
      arena.base = arena.plain.get();
      arena.bytes = bytes;
    }
    arenas.push_back(std::move(arena));
  }
  Arena& arena = arenas.back();
  uint8_t* at = arena.base + arena.used;
  arena.used += bytes;
  return at;
}

void BlockStore::OwnRaw(int64_t s) {
  Segment& segment = *segments_[s];
  if (segment.owned_raw) return;
  segment.owned_raw = Allocate(raw_arenas_, kSegmentVectors * raw_bytes_per_vector_);
  if (segment.raw != nullptr) {
    const int64_t vectors = std::min(kSegmentVectors, size_ - s * kSegmentVectors);
    std::memcpy(segment.owned_raw, segment.raw, vectors * raw_bytes_per_vector_);
  }
  segment.raw = segment.owned_raw;
}

uint8_t* BlockStore::mutable_block(int64_t b) {
  OwnBlocks(b / kSegmentBlocks);
  return segments_[b / kSegmentBlocks]->owned_blocks + (b % kSegmentBlocks) * format_->stride();
}

uint8_t* BlockStore::mutable_raw(int64_t pos) {
  OwnRaw(pos / kSegmentVectors);
  return segments_[pos / kSegmentVectors]->owned_raw +
         (pos % kSegmentVectors) * raw_bytes_per_vector_;
}

void BlockStore::Append(const StagedVectors& staged) {
  const int64_t n = static_cast<int64_t>(staged.ids.size());
  if (n == 0) return;
  assert(staged.first_block == size_ / kBlockVectors);
  assert(staged.num_blocks == (size_ + n + kBlockVectors - 1) / kBlockVectors - staged.first_block);
  const size_t stride = format_->stride();
  for (int64_t i = 0; i < staged.num_blocks - staged.blocks_in_place; ++i) {
    const int64_t b = staged.first_block + i;
    while (b / kSegmentBlocks >= static_cast<int64_t>(segments_.size())) AddSegment();
    std::memcpy(mutable_block(b), staged.blocks.data() + i * stride, stride);
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos = size_ + i;
    segments_[pos / kSegmentVectors]->ids[pos % kSegmentVectors] = staged.ids[i];
    if (raw_bytes_per_vector_ > 0 && !staged.raw_in_place) {
      std::memcpy(mutable_raw(pos), staged.raw.data() + i * raw_bytes_per_vector_,
                  raw_bytes_per_vector_);
    }
  }
  size_ += n;
  live_ += n;
}

void BlockStore::Reserve(int64_t end_block) {
  for (int64_t b = num_blocks(); b < end_block; b += kSegmentBlocks - b % kSegmentBlocks) {
    while (b / kSegmentBlocks >= num_segments()) AddSegment();
    OwnBlocks(b / kSegmentBlocks);  // a mapped last segment moves to memory now, under the lock
  }
  // New segments own their raw room already; the one holding position size_ may be mapped.
  if (raw_bytes_per_vector_ > 0 && size_ / kSegmentVectors < num_segments()) {
    OwnRaw(size_ / kSegmentVectors);
  }
}

uint8_t* BlockStore::UnpublishedRaw(int64_t pos) {
  assert(pos >= size_ && raw_bytes_per_vector_ > 0);
  assert(pos / kSegmentVectors < num_segments() && segments_[pos / kSegmentVectors]->owned_raw);
  return segments_[pos / kSegmentVectors]->owned_raw +
         (pos % kSegmentVectors) * raw_bytes_per_vector_;
}

uint8_t* BlockStore::UnpublishedBlock(int64_t b) {
  assert(b * kBlockVectors >= size_);
  assert(b / kSegmentBlocks < num_segments() && segments_[b / kSegmentBlocks]->owned_blocks);
  return segments_[b / kSegmentBlocks]->owned_blocks + (b % kSegmentBlocks) * format_->stride();
}

void BlockStore::TouchUnpublished(int64_t begin_block, int64_t end_block) {
  constexpr size_t kPage = 4096;
  const auto touch = [](uint8_t* p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += kPage) p[o] = 0;
    if (bytes > 0) p[bytes - 1] = 0;
  };
  for (int64_t b = begin_block; b < end_block; ++b) touch(UnpublishedBlock(b), format_->stride());
}

bool BlockStore::Kill(int64_t pos) {
  uint8_t* block = mutable_block(pos / kBlockVectors);
  const uint32_t bit = 1u << (pos % kBlockVectors);
  const uint32_t mask = format_->live_mask(block);
  if (!(mask & bit)) return false;
  format_->set_live_mask(block, mask & ~bit);
  --live_;
  return true;
}

}  // namespace tq
