// A 64-bit accumulator streams codes in and out; byte-aligned widths need no special case
// for correctness, and this is not on the scan path (blocks use their own layout).
#include "engine/bit_pack.h"

#include <cassert>

namespace tq {

void PackCodes(const uint8_t* codes, int64_t count, int bits, uint8_t* packed) {
  assert(bits >= 1 && bits <= 8);
  uint64_t buffer = 0;
  int filled = 0;
  size_t out = 0;
  for (int64_t i = 0; i < count; ++i) {
    assert(codes[i] < (1u << bits));
    buffer |= static_cast<uint64_t>(codes[i]) << filled;
    filled += bits;
    while (filled >= 8) {
      packed[out++] = static_cast<uint8_t>(buffer);
      buffer >>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) packed[out] = static_cast<uint8_t>(buffer);
}

void UnpackCodes(const uint8_t* packed, int64_t count, int bits, uint8_t* codes) {
  assert(bits >= 1 && bits <= 8);
  const uint64_t mask = (1u << bits) - 1;
  uint64_t buffer = 0;
  int filled = 0;
  size_t in = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (filled < bits) {
      buffer |= static_cast<uint64_t>(packed[in++]) << filled;
      filled += 8;
    }
    codes[i] = static_cast<uint8_t>(buffer & mask);
    buffer >>= bits;
    filled -= bits;
  }
}

}  // namespace tq
