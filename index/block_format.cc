// Block geometry and assembly: codes are repacked from per-coordinate indices with the engine's
// PackBlock, so the index never needs to know the nibble byte order itself.
#include "index/block_format.h"

#include <algorithm>
#include <cassert>

#include "engine/bit_pack.h"

namespace tq {

absl::StatusOr<BlockFormat> BlockFormat::Create(const TurboQuantizer& quantizer, bool squared_norms,
                                                bool mean_dots) {
  BlockFormat format;
  format.dim_ = quantizer.dim();
  const int m = quantizer.upper_coords();
  size_t offset = 0;
  if (m > 0) {
    absl::StatusOr<BlockLayout> layout = BlockLayout::Create(m, quantizer.mse_bits() + 1);
    if (!layout.ok()) return layout.status();
    format.upper_layout_.emplace(*layout);
    offset += layout->code_bytes_per_block();
  }
  if (quantizer.mse_bits() > 0) {
    absl::StatusOr<BlockLayout> layout = BlockLayout::Create(format.dim_ - m, quantizer.mse_bits());
    if (!layout.ok()) return layout.status();
    format.mse_layout_.emplace(*layout);
    format.mse_offset_ = offset;
    offset += layout->code_bytes_per_block();
  }
  if (quantizer.options().variant == Variant::kProd) {
    absl::StatusOr<BlockLayout> layout = BlockLayout::Create(format.dim_, 1);
    if (!layout.ok()) return layout.status();
    format.qjl_layout_.emplace(*layout);
    format.qjl_offset_ = offset;
    offset += layout->code_bytes_per_block();
  }
  format.code_bytes_ = offset;
  const bool present[kNumBlockColumns] = {true, format.qjl_layout_.has_value(), squared_norms,
                                          mean_dots};
  for (int c = 0; c < kNumBlockColumns; ++c) {
    if (!present[c]) continue;
    format.column_offset_[c] = offset;
    offset += kBlockVectors * sizeof(float);
    ++format.num_columns_;
  }
  format.mask_offset_ = offset;
  offset += sizeof(uint32_t);
  format.stride_ = (offset + 63) / 64 * 64;
  return format;
}

BlockBuilder::BlockBuilder(const BlockFormat& format, const TurboQuantizer& quantizer)
    : format_(format),
      mse_bits_(quantizer.mse_bits()),
      upper_bytes_(quantizer.upper_bytes()),
      mse_bytes_(PackedBytes(format.dim() - format.upper_coords(), quantizer.mse_bits())),
      upper_codes_(kBlockVectors * format.upper_coords()),
      mse_codes_(format.mse_layout() ? kBlockVectors * (format.dim() - format.upper_coords()) : 0),
      qjl_bits_(format.qjl_layout() ? kBlockVectors * format.dim() : 0) {}

void BlockBuilder::Reset() {
  count_ = 0;
  mask_ = 0;
}

void BlockBuilder::AddLane(const uint8_t* block, int lane) {
  assert(count_ < kBlockVectors);
  const int d = format_.dim();
  const int m = format_.upper_coords();
  if (const BlockLayout* layout = format_.upper_layout()) {
    UnpackLane(*layout, block, lane, upper_codes_.data() + count_ * m);
  }
  if (const BlockLayout* layout = format_.mse_layout()) {
    UnpackLane(*layout, block + format_.mse_offset(), lane, mse_codes_.data() + count_ * (d - m));
  }
  if (const BlockLayout* layout = format_.qjl_layout()) {
    UnpackLane(*layout, block + format_.qjl_offset(), lane, qjl_bits_.data() + count_ * d);
  }
  for (int c = 0; c < kNumBlockColumns; ++c) {
    const BlockColumn column = static_cast<BlockColumn>(c);
    if (format_.has_column(column)) columns_[c][count_] = format_.column(block, column)[lane];
  }
  if ((format_.live_mask(block) >> lane) & 1u) mask_ |= 1u << count_;
  ++count_;
}

void BlockBuilder::AddEncoded(const EncodedVectors& encoded, int64_t i) {
  assert(count_ < kBlockVectors);
  const int d = format_.dim();
  const int m = format_.upper_coords();
  const uint8_t* code = encoded.code(i);
  if (m > 0) UnpackCodes(code, m, mse_bits_ + 1, upper_codes_.data() + count_ * m);
  if (format_.mse_layout()) {
    UnpackCodes(code + upper_bytes_, d - m, mse_bits_, mse_codes_.data() + count_ * (d - m));
  }
  if (format_.qjl_layout()) {
    UnpackCodes(code + upper_bytes_ + mse_bytes_, d, 1, qjl_bits_.data() + count_ * d);
  }
  columns_[static_cast<int>(BlockColumn::kScale)][count_] = encoded.scale[i];
  if (format_.has_column(BlockColumn::kResidualNorm)) {
    columns_[static_cast<int>(BlockColumn::kResidualNorm)][count_] = encoded.residual_norm[i];
  }
  if (format_.has_column(BlockColumn::kSquaredNorm)) {
    columns_[static_cast<int>(BlockColumn::kSquaredNorm)][count_] = encoded.squared_norm[i];
  }
  if (format_.has_column(BlockColumn::kMeanDot)) {
    assert(!encoded.center_dot.empty());
    columns_[static_cast<int>(BlockColumn::kMeanDot)][count_] = encoded.center_dot[i];
  }
  mask_ |= 1u << count_;
  ++count_;
}

void BlockBuilder::Finish(uint8_t* out) const {
  std::memset(out, 0, format_.stride());
  if (const BlockLayout* layout = format_.upper_layout()) {
    PackBlock(*layout, upper_codes_.data(), count_, out);
  }
  if (const BlockLayout* layout = format_.mse_layout()) {
    PackBlock(*layout, mse_codes_.data(), count_, out + format_.mse_offset());
  }
  if (const BlockLayout* layout = format_.qjl_layout()) {
    PackBlock(*layout, qjl_bits_.data(), count_, out + format_.qjl_offset());
  }
  for (int c = 0; c < kNumBlockColumns; ++c) {
    const BlockColumn column = static_cast<BlockColumn>(c);
    if (!format_.has_column(column)) continue;
    std::copy(columns_[c], columns_[c] + count_, format_.column(out, column));
  }
  format_.set_live_mask(out, mask_);
}

}  // namespace tq
