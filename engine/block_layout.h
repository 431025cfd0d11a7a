// Where the codes of 32 vectors sit inside a block so that the fast-scan kernels look them up
// with vpshufb: 4-bit nibble groups, two groups of all 32 vectors per 32-byte chunk.
#ifndef TQ_ENGINE_BLOCK_LAYOUT_H_
#define TQ_ENGINE_BLOCK_LAYOUT_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace tq {

inline constexpr int kBlockVectors = 32;  // vectors per block
inline constexpr int kChunkBytes = 32;    // one chunk: 2 nibble groups x 32 vectors
inline constexpr int kTableEntries = 16;  // one lookup table per nibble group

// A plane is a run of chunks holding one bit width of every coordinate. b = 1, 2, 4 have one
// plane of b-bit codes; b = 3 has two: the top 2 bits (code >> 1), then the low bit (code & 1).
struct CodePlane {
  int bits = 0;              // bits per coordinate in this plane: 1, 2 or 4
  int coords_per_group = 0;  // 4 / bits coordinates share one nibble
  int groups = 0;            // ceil(dim / coords_per_group) nibble groups per vector
  int first_chunk = 0;       // index of the plane's first chunk in the block's code area
  int chunks = 0;            // ceil(groups / 2)
};

// Geometry of one block's code area (see block_layout.cc for the byte order).
// Cheap to copy; the same layout serves packing, table building and scanning.
class BlockLayout {
 public:
  // dim >= 1, bits in 1..4.
  static absl::StatusOr<BlockLayout> Create(int dim, int bits);

  int dim() const { return dim_; }
  int bits() const { return bits_; }
  int num_planes() const { return num_planes_; }
  const CodePlane& plane(int i) const { return planes_[i]; }

  // Chunks in the code area; every chunk is kChunkBytes bytes.
  int num_chunks() const { return num_chunks_; }
  // Real nibble groups per vector (G; for b = 3 both planes, G_hi + G_lo).
  int num_groups() const { return num_groups_; }
  // Lookup tables a query needs: two per chunk, so padding groups (an odd plane's last high
  // nibble) have a table too; it is all zero.
  int num_tables() const { return 2 * num_chunks_; }
  int code_bytes_per_block() const { return num_chunks_ * kChunkBytes; }

 private:
  BlockLayout() = default;

  int dim_ = 0;
  int bits_ = 0;
  int num_planes_ = 0;
  CodePlane planes_[2];
  int num_chunks_ = 0;
  int num_groups_ = 0;
};

// Writes the code area of one block from `count` (0..32) vectors of per-coordinate codes
// (row-major count x dim, each code < 2^bits). Lanes count..31 and padding nibbles are zero.
void PackBlock(const BlockLayout& layout, const uint8_t* indices, int count, uint8_t* block_codes);

// The exact per-coordinate codes (dim of them) of vector `lane` (0..31) of a packed block.
void UnpackLane(const BlockLayout& layout, const uint8_t* block_codes, int lane, uint8_t* indices);

// Byte of the code area holding vector `lane`'s (0..31) nibble of table group `group`
// (0 .. num_tables()); the nibble is the low one for lanes 0..15, the high one for 16..31.
// The one definition of the byte order (block_layout.cc explains it).
constexpr int BlockNibbleByte(int group, int lane) {
  const int low = lane & 15;
  return (group >> 1) * kChunkBytes + (group & 1) * 16 + (low < 8 ? 2 * low : 2 * low - 15);
}

// The lane whose nibble byte i (0..15) of a group's 16-byte half holds: the low nibble is this
// lane, the high nibble lane + 16. BlockNibbleByte's inverse.
constexpr int HalfByteLane(int i) { return (i & 1) ? 8 + i / 2 : i / 2; }

// The index vector `lane` looks up in table `group`.
inline int BlockNibble(const uint8_t* block_codes, int group, int lane) {
  return (block_codes[BlockNibbleByte(group, lane)] >> ((lane >> 4) * 4)) & 15;
}

}  // namespace tq

#endif  // TQ_ENGINE_BLOCK_LAYOUT_H_
