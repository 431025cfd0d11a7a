// Packing of b-bit codes (b = 1..8) into a little-endian bit stream: code i occupies bits
// [i*b, (i+1)*b), so n codes take exactly ceil(n*b/8) bytes (3-bit codes are not padded to 4).
#ifndef TQ_ENGINE_BIT_PACK_H_
#define TQ_ENGINE_BIT_PACK_H_

#include <cstddef>
#include <cstdint>

namespace tq {

inline size_t PackedBytes(int64_t count, int bits) {
  return static_cast<size_t>((count * bits + 7) / 8);
}

// Codes must be < 2^bits. Unused high bits of the last byte are written as zero.
void PackCodes(const uint8_t* codes, int64_t count, int bits, uint8_t* packed);
void UnpackCodes(const uint8_t* packed, int64_t count, int bits, uint8_t* codes);

}  // namespace tq

#endif  // TQ_ENGINE_BIT_PACK_H_
