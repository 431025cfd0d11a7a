// Tests for engine/bit_pack: round trips for every width, the exact byte count, the documented
// little-endian bit order (against an independent bit-by-bit packer) and zeroed padding bits.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "engine/bit_pack.h"
#include "engine/random.h"

namespace tq {
namespace {

constexpr int64_t kCounts[] = {1, 2, 3, 7, 8, 9, 100, 200, 1536};

std::vector<uint8_t> RandomCodes(int64_t count, int bits, uint64_t seed) {
  std::vector<uint8_t> codes(count);
  Rng rng(seed);
  for (uint8_t& c : codes) c = static_cast<uint8_t>(rng.NextBelow(uint64_t{1} << bits));
  return codes;
}

// Code i occupies bits [i*b, (i+1)*b) of a little-endian stream, one bit at a time.
std::vector<uint8_t> ReferencePack(const std::vector<uint8_t>& codes, int bits) {
  std::vector<uint8_t> packed((codes.size() * bits + 7) / 8, 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    for (int t = 0; t < bits; ++t) {
      const size_t bit = i * bits + t;
      if ((codes[i] >> t) & 1) packed[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
  }
  return packed;
}

TEST(BitPackTest, PackedBytesIsCeilOfBits) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (int64_t count : kCounts) {
      EXPECT_EQ(PackedBytes(count, bits), static_cast<size_t>((count * bits + 7) / 8));
    }
    EXPECT_EQ(PackedBytes(0, bits), 0u);
  }
  // Spot values: 3-bit codes are not padded to 4 bits.
  EXPECT_EQ(PackedBytes(200, 3), 75u);
  EXPECT_EQ(PackedBytes(1536, 3), 576u);
  EXPECT_EQ(PackedBytes(7, 3), 3u);
  EXPECT_EQ(PackedBytes(1, 1), 1u);
  EXPECT_EQ(PackedBytes(100, 4), 50u);
  EXPECT_EQ(PackedBytes(1536, 1), 192u);
  EXPECT_EQ(PackedBytes(7, 5), 5u);
}

TEST(BitPackTest, RoundTripsAndMatchesTheBitOrderForEveryWidth) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (int64_t count : kCounts) {
      SCOPED_TRACE(testing::Message() << "bits=" << bits << " count=" << count);
      const std::vector<uint8_t> codes = RandomCodes(count, bits, bits * 10007 + count);
      const size_t bytes = PackedBytes(count, bits);
      // 0xAB everywhere first: stale bits must not survive, and nothing past `bytes` changes.
      std::vector<uint8_t> packed(bytes + 8, 0xAB);
      PackCodes(codes.data(), count, bits, packed.data());
      const std::vector<uint8_t> want = ReferencePack(codes, bits);
      ASSERT_EQ(want.size(), bytes);
      for (size_t i = 0; i < bytes; ++i) ASSERT_EQ(packed[i], want[i]) << "byte " << i;
      for (size_t i = bytes; i < packed.size(); ++i) ASSERT_EQ(packed[i], 0xAB) << "byte " << i;
      // Unused high bits of the last byte are zero.
      const int used = static_cast<int>((count * bits) % 8);
      if (used != 0) {
        EXPECT_EQ(packed[bytes - 1] >> used, 0) << "last byte";
      }

      std::vector<uint8_t> unpacked(count + 8, 0xCD);
      UnpackCodes(packed.data(), count, bits, unpacked.data());
      for (int64_t i = 0; i < count; ++i) ASSERT_EQ(unpacked[i], codes[i]) << "code " << i;
      for (int64_t i = count; i < count + 8; ++i) ASSERT_EQ(unpacked[i], 0xCD) << i;
    }
  }
}

TEST(BitPackTest, ExtremeCodes) {
  for (int bits = 1; bits <= 8; ++bits) {
    SCOPED_TRACE(bits);
    const uint8_t top = static_cast<uint8_t>((1u << bits) - 1);
    for (uint8_t fill : {uint8_t{0}, top}) {
      const std::vector<uint8_t> codes(13, fill);
      std::vector<uint8_t> packed(PackedBytes(13, bits), 0x5A);
      PackCodes(codes.data(), 13, bits, packed.data());
      EXPECT_EQ(packed, ReferencePack(codes, bits));
      std::vector<uint8_t> back(13);
      UnpackCodes(packed.data(), 13, bits, back.data());
      EXPECT_EQ(back, codes);
    }
  }
}

TEST(BitPackTest, UnpackIgnoresPaddingBits) {
  // A reader must not depend on the padding: set it to ones and unpack again.
  for (int bits = 1; bits <= 7; ++bits) {
    const int64_t count = 7;
    const std::vector<uint8_t> codes = RandomCodes(count, bits, 99 + bits);
    std::vector<uint8_t> packed(PackedBytes(count, bits));
    PackCodes(codes.data(), count, bits, packed.data());
    const int used = static_cast<int>((count * bits) % 8);
    if (used != 0) packed.back() |= static_cast<uint8_t>(0xFFu << used);
    std::vector<uint8_t> back(count);
    UnpackCodes(packed.data(), count, bits, back.data());
    EXPECT_EQ(back, codes) << bits;
  }
}

}  // namespace
}  // namespace tq
