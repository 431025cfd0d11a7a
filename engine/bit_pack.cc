// A 64-bit accumulator streams codes in and out; byte-aligned widths need no special case
// for correctness, and this is not on the scan path (blocks use their own layout).
#include "engine/bit_pack.h"

#include <algorithm>
#include <cassert>

namespace tq {

namespace {

// Widths that divide 8: whole bytes of 8 / bits codes in straight loops the compiler
// vectorises (the stream loop below took ~10% of Add at d = 1536, 4 bits, packing and unpacking).
template <int kBits>
void PackWhole(const uint8_t* codes, int64_t count, uint8_t* packed) {
  constexpr int kPerByte = 8 / kBits;
  const int64_t whole = count / kPerByte;
  for (int64_t k = 0; k < whole; ++k) {
    unsigned byte = 0;
    for (int c = 0; c < kPerByte; ++c) byte |= unsigned{codes[k * kPerByte + c]} << (c * kBits);
    packed[k] = static_cast<uint8_t>(byte);
  }
  if (whole * kPerByte < count) {
    unsigned byte = 0;
    for (int64_t i = whole * kPerByte; i < count; ++i) {
      byte |= unsigned{codes[i]} << ((i - whole * kPerByte) * kBits);
    }
    packed[whole] = static_cast<uint8_t>(byte);
  }
}

template <int kBits>
void UnpackWhole(const uint8_t* packed, int64_t count, uint8_t* codes) {
  constexpr int kPerByte = 8 / kBits;
  constexpr unsigned kMask = (1u << kBits) - 1;
  const int64_t whole = count / kPerByte;
  for (int64_t k = 0; k < whole; ++k) {
    for (int c = 0; c < kPerByte; ++c) {
      codes[k * kPerByte + c] = static_cast<uint8_t>((packed[k] >> (c * kBits)) & kMask);
    }
  }
  for (int64_t i = whole * kPerByte; i < count; ++i) {
    codes[i] = static_cast<uint8_t>((packed[whole] >> ((i - whole * kPerByte) * kBits)) & kMask);
  }
}

}  // namespace

void PackCodes(const uint8_t* codes, int64_t count, int bits, uint8_t* packed) {
  assert(bits >= 1 && bits <= 8);
#ifndef NDEBUG  // one max and one assert: asserts stay on in Release builds
  uint8_t largest = 0;
  for (int64_t i = 0; i < count; ++i) largest = std::max(largest, codes[i]);
  assert(largest < (1u << bits));
#endif
  switch (bits) {
    case 1:
      return PackWhole<1>(codes, count, packed);
    case 2:
      return PackWhole<2>(codes, count, packed);
    case 4:
      return PackWhole<4>(codes, count, packed);
    default:
      break;
  }
  uint64_t buffer = 0;
  int filled = 0;
  size_t out = 0;
  for (int64_t i = 0; i < count; ++i) {
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
  switch (bits) {
    case 1:
      return UnpackWhole<1>(packed, count, codes);
    case 2:
      return UnpackWhole<2>(packed, count, codes);
    case 4:
      return UnpackWhole<4>(packed, count, codes);
    default:
      break;
  }
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
