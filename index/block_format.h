// The bytes of one index block of 32 vectors: the fast-scan code area(s), the per-vector
// floats column-wise, and a uint32 live mask, padded to a multiple of 64 bytes (the stride).
#ifndef TQ_INDEX_BLOCK_FORMAT_H_
#define TQ_INDEX_BLOCK_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/block_layout.h"
#include "engine/turbo_quantizer.h"

namespace tq {

// Per-vector float columns, 32 floats each, in this order (absent ones take no space).
enum class BlockColumn {
  kScale = 0,         // EncodedVectors::scale: |x|, or |x| / <y, y_hat> for corrected
  kResidualNorm = 1,  // prod only: |r|
  kSquaredNorm = 2,   // l2 only: |x - mu|^2 of the vector as added (mu: the mean, or 0)
  kMeanDot = 3,       // ip and cosine under centering: <mu, x - mu>, exact
};
inline constexpr int kNumBlockColumns = 4;

// Block bytes (m = upper_coords, 0 at integer rates):
//   [0, up)                   codes of coordinates [0, m) in BlockLayout(m, mse_bits + 1)
//   [up, up + mse)            Lloyd-Max codes of [m, dim) in BlockLayout(dim - m, mse_bits)
//                             (absent at 0 bits)
//   [.., .. + qjl)            prod: QJL sign bits in BlockLayout(dim, 1), 1 = positive
//   then 32 floats per present column, then the uint32 live mask (bit l = lane l), then zeros
//   up to the stride (a multiple of 64, so blocks stay cache-line aligned).
class BlockFormat {
 public:
  // squared_norms: the kSquaredNorm column (l2); mean_dots: the kMeanDot column.
  static absl::StatusOr<BlockFormat> Create(const TurboQuantizer& quantizer, bool squared_norms,
                                            bool mean_dots = false);

  int dim() const { return dim_; }
  // Coordinates [upper_coords, dim) at mse_bits, from mse_offset() in the block.
  const BlockLayout* mse_layout() const { return mse_layout_ ? &*mse_layout_ : nullptr; }
  size_t mse_offset() const { return mse_offset_; }
  // Non-integer rates: coordinates [0, upper_coords) at mse_bits + 1, at the block's start.
  const BlockLayout* upper_layout() const { return upper_layout_ ? &*upper_layout_ : nullptr; }
  int upper_coords() const { return upper_layout_ ? upper_layout_->dim() : 0; }
  const BlockLayout* qjl_layout() const { return qjl_layout_ ? &*qjl_layout_ : nullptr; }
  size_t qjl_offset() const { return qjl_offset_; }
  size_t code_bytes() const { return code_bytes_; }  // per block
  int code_bytes_per_vector() const { return static_cast<int>(code_bytes_ / kBlockVectors); }
  int floats_per_vector() const { return num_columns_; }
  size_t stride() const { return stride_; }
  bool has_column(BlockColumn c) const { return column_offset_[static_cast<int>(c)] != 0; }

  const float* column(const uint8_t* block, BlockColumn c) const {
    return reinterpret_cast<const float*>(block + column_offset_[static_cast<int>(c)]);
  }
  float* column(uint8_t* block, BlockColumn c) const {
    return reinterpret_cast<float*>(block + column_offset_[static_cast<int>(c)]);
  }
  size_t live_mask_offset() const { return mask_offset_; }  // 4 bytes, bit l = lane l live
  uint32_t live_mask(const uint8_t* block) const {
    uint32_t mask;
    std::memcpy(&mask, block + mask_offset_, sizeof(mask));
    return mask;
  }
  void set_live_mask(uint8_t* block, uint32_t mask) const {
    std::memcpy(block + mask_offset_, &mask, sizeof(mask));
  }

 private:
  BlockFormat() = default;

  int dim_ = 0;
  std::optional<BlockLayout> upper_layout_;
  std::optional<BlockLayout> mse_layout_;
  size_t mse_offset_ = 0;
  std::optional<BlockLayout> qjl_layout_;
  size_t qjl_offset_ = 0;
  size_t code_bytes_ = 0;
  int num_columns_ = 0;
  size_t column_offset_[kNumBlockColumns] = {};  // 0 = absent (codes come first)
  size_t mask_offset_ = 0;
  size_t stride_ = 0;
};

// Assembles one block from existing lanes (copied exactly) and freshly encoded vectors.
// Not on the query path: used by Add (the partial last block and new ones) and Compact.
class BlockBuilder {
 public:
  BlockBuilder(const BlockFormat& format, const TurboQuantizer& quantizer);

  int count() const { return count_; }
  void Reset();
  // Lane `lane` of `block`: codes, floats and liveness.
  void AddLane(const uint8_t* block, int lane);
  // Vector i of `encoded`, live; the kSquaredNorm and kMeanDot columns, when the format has
  // them, take encoded.squared_norm[i] and encoded.center_dot[i] (encoded with the mean).
  void AddEncoded(const EncodedVectors& encoded, int64_t i);
  // Writes format.stride() bytes; lanes count()..31 are zero and dead.
  void Finish(uint8_t* out) const;

 private:
  const BlockFormat& format_;
  int mse_bits_ = 0;
  size_t upper_bytes_ = 0;  // bytes of the bit-packed upper codes inside an EncodedVectors code
  size_t mse_bytes_ = 0;    // then those of the mse codes
  int count_ = 0;
  uint32_t mask_ = 0;
  std::vector<uint8_t> upper_codes_;  // 32 x upper_coords per-coordinate codes
  std::vector<uint8_t> mse_codes_;    // 32 x (dim - upper_coords) per-coordinate codes
  std::vector<uint8_t> qjl_bits_;     // 32 x dim sign bits (prod)
  float columns_[kNumBlockColumns][kBlockVectors] = {};
};

}  // namespace tq

#endif  // TQ_INDEX_BLOCK_FORMAT_H_
