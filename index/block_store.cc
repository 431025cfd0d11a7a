// Segmented storage: a segment holds 64 blocks (2048 vectors), their ids and raw vectors, and
// is allocated whole (untouched pages cost no memory) so nothing already written ever moves.
#include "index/block_store.h"

#include <bit>
#include <cassert>
#include <cstring>
#include <new>

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

void BlockStore::AddSegment() {
  auto segment = std::make_unique<Segment>();
  segment->blocks.reset(static_cast<uint8_t*>(
      ::operator new(kSegmentBlocks * format_->stride(), std::align_val_t(64))));
  segment->ids.reset(new uint64_t[kSegmentVectors]);
  if (raw_bytes_per_vector_ > 0) {
    segment->raw.reset(new uint8_t[kSegmentVectors * raw_bytes_per_vector_]);
  }
  segments_.push_back(std::move(segment));
}

void BlockStore::Append(const StagedVectors& staged) {
  const int64_t n = static_cast<int64_t>(staged.ids.size());
  if (n == 0) return;
  assert(staged.first_block == size_ / kBlockVectors);
  assert(staged.num_blocks == (size_ + n + kBlockVectors - 1) / kBlockVectors - staged.first_block);
  const size_t stride = format_->stride();
  for (int64_t i = 0; i < staged.num_blocks; ++i) {
    const int64_t b = staged.first_block + i;
    while (b / kSegmentBlocks >= static_cast<int64_t>(segments_.size())) AddSegment();
    std::memcpy(mutable_block(b), staged.blocks.data() + i * stride, stride);
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos = size_ + i;
    Segment& segment = *segments_[pos / kSegmentVectors];
    segment.ids[pos % kSegmentVectors] = staged.ids[i];
    if (raw_bytes_per_vector_ > 0) {
      std::memcpy(segment.raw.get() + (pos % kSegmentVectors) * raw_bytes_per_vector_,
                  staged.raw.data() + i * raw_bytes_per_vector_, raw_bytes_per_vector_);
    }
  }
  size_ += n;
  live_ += n;
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
