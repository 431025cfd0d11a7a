// Tests for engine/block_layout, engine/lookup_table and engine/block_scan: exact pack/unpack,
// every SIMD level identical to the scalar scan, the rounding bound, overflow, b = 3, ranking.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/bit_pack.h"
#include "engine/block_layout.h"
#include "engine/block_scan.h"
#include "engine/codebook.h"
#include "engine/lookup_table.h"
#include "engine/random.h"
#include "engine/simd_level.h"
#include "engine/turbo_quantizer.h"

namespace tq {
namespace {

constexpr int kDims[] = {7, 100, 200, 1536, 3072};

std::string LevelName(SimdLevel level) { return std::string(SimdLevelName(level)); }

BlockLayout Layout(int dim, int bits) {
  absl::StatusOr<BlockLayout> layout = BlockLayout::Create(dim, bits);
  EXPECT_TRUE(layout.ok()) << layout.status();
  return *layout;
}

std::vector<uint8_t> RandomCodes(int64_t count, int dim, int bits, uint64_t seed) {
  std::vector<uint8_t> codes(count * dim);
  Rng rng(seed);
  for (uint8_t& c : codes) c = static_cast<uint8_t>(rng.NextBelow(1u << bits));
  return codes;
}

std::vector<float> RandomUnitVector(int dim, Rng& rng) {
  std::vector<float> v(dim);
  double norm = 0.0;
  for (float& x : v) {
    x = static_cast<float>(rng.NextGaussian());
    norm += double{x} * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

// Blocks of `count` vectors laid out at `stride` bytes; the gap after each code area is filled
// with 0xA5 so that a kernel reading past its codes changes the sums.
struct Blocks {
  int64_t num_blocks = 0;
  size_t stride = 0;
  std::vector<uint8_t> bytes;
  const uint8_t* block(int64_t i) const { return bytes.data() + i * stride; }
};

Blocks PackAll(const BlockLayout& layout, const std::vector<uint8_t>& codes, int64_t count,
               size_t extra_stride) {
  Blocks blocks;
  blocks.num_blocks = (count + kBlockVectors - 1) / kBlockVectors;
  blocks.stride = layout.code_bytes_per_block() + extra_stride;
  // One spare byte at the end: the buffer is not a multiple of any vector width.
  blocks.bytes.assign(blocks.num_blocks * blocks.stride + 1, 0xA5);
  for (int64_t b = 0; b < blocks.num_blocks; ++b) {
    const int n = static_cast<int>(std::min<int64_t>(kBlockVectors, count - b * kBlockVectors));
    PackBlock(layout, codes.data() + b * kBlockVectors * layout.dim(), n,
              blocks.bytes.data() + b * blocks.stride);
  }
  return blocks;
}

std::shared_ptr<const Codebook> Book(int dim, int bits) {
  absl::StatusOr<std::shared_ptr<const Codebook>> book = Codebook::Get(std::max(dim, 2), bits);
  EXPECT_TRUE(book.ok()) << book.status();
  return *book;
}

LutCodebook MakeLutCodebook(const BlockLayout& layout, const Codebook& book) {
  absl::StatusOr<LutCodebook> lut_book = LutCodebook::Create(layout, book.centroids());
  EXPECT_TRUE(lut_book.ok()) << lut_book.status();
  return *lut_book;
}

// The nibble a vector's codes give table t, computed from the plane definitions alone (not
// from the byte order), so that the naive sum checks the layout as well as the kernel.
int NibbleFromCodes(const BlockLayout& layout, const uint8_t* row, int table) {
  for (int p = 0; p < layout.num_planes(); ++p) {
    const CodePlane& plane = layout.plane(p);
    const int g = table - 2 * plane.first_chunk;
    if (g < 0 || g >= 2 * plane.chunks) continue;
    if (g >= plane.groups) return 0;  // padding group
    int nibble = 0;
    for (int i = 0; i < plane.coords_per_group; ++i) {
      const int j = g * plane.coords_per_group + i;
      if (j >= layout.dim()) break;
      int part = row[j];
      if (layout.bits() == 3) part = p == 0 ? part >> 1 : part & 1;
      nibble |= part << (i * plane.bits);
    }
    return nibble;
  }
  ADD_FAILURE() << "table " << table << " is in no plane";
  return 0;
}

// ---- layout ----

TEST(BlockLayoutTest, RejectsBadArguments) {
  EXPECT_FALSE(BlockLayout::Create(0, 4).ok());
  EXPECT_FALSE(BlockLayout::Create(16, 0).ok());
  EXPECT_FALSE(BlockLayout::Create(16, 5).ok());
  EXPECT_TRUE(BlockLayout::Create(1, 1).ok());
}

TEST(BlockLayoutTest, SizesFollowTheDefinition) {
  for (int bits = 1; bits <= 4; ++bits) {
    for (int d : kDims) {
      const BlockLayout layout = Layout(d, bits);
      if (bits == 3) {
        const int g_hi = (d + 1) / 2;
        const int g_lo = (d + 3) / 4;
        EXPECT_EQ(layout.num_groups(), g_hi + g_lo);
        EXPECT_EQ(layout.num_chunks(), (g_hi + 1) / 2 + (g_lo + 1) / 2);
        EXPECT_EQ(layout.num_planes(), 2);
      } else {
        const int g = (d * bits + 3) / 4;
        EXPECT_EQ(layout.num_groups(), g) << d << " " << bits;
        EXPECT_EQ(layout.num_chunks(), (g + 1) / 2);
        EXPECT_EQ(layout.num_planes(), 1);
      }
      EXPECT_EQ(layout.code_bytes_per_block(), 32 * layout.num_chunks());
      EXPECT_EQ(layout.num_tables(), 2 * layout.num_chunks());
      // Never more than one padding nibble group per plane: <= 4 bytes per vector above b*d/8.
      EXPECT_LE(layout.code_bytes_per_block(),
                32 * ((d * bits + 7) / 8) + 16 * layout.num_planes() + 16);
    }
  }
}

TEST(BlockLayoutTest, ByteOrderIsFaissPq4) {
  // One vector at a time carries code 1 at coordinate 0 (group 0) or 5 at coordinate 1
  // (b = 4: group 1); check exactly which byte and nibble changes.
  const BlockLayout layout = Layout(2, 4);
  ASSERT_EQ(layout.code_bytes_per_block(), 32);
  for (int lane = 0; lane < 32; ++lane) {
    for (int coord = 0; coord < 2; ++coord) {
      std::vector<uint8_t> codes(32 * 2, 0);
      codes[lane * 2 + coord] = 5;
      std::vector<uint8_t> block(32);
      PackBlock(layout, codes.data(), 32, block.data());
      const int low = lane & 15;
      const int byte = 16 * coord + (low < 8 ? 2 * low : 2 * (low - 8) + 1);
      for (int i = 0; i < 32; ++i) {
        const int expected = i == byte ? (lane < 16 ? 5 : 0x50) : 0;
        EXPECT_EQ(block[i], expected) << "lane " << lane << " coord " << coord << " byte " << i;
      }
      EXPECT_EQ(BlockNibble(block.data(), coord, lane), 5);
    }
  }
}

TEST(BlockLayoutTest, PackUnpackRoundTrip) {
  for (SimdLevel level : AvailableSimdLevels()) {
    const ScopedSimdLevel scoped(level);
    for (int bits = 1; bits <= 4; ++bits) {
      for (int d : kDims) {
        const BlockLayout layout = Layout(d, bits);
        for (int count : {1, 13, 31, 32}) {
          const std::vector<uint8_t> codes = RandomCodes(count, d, bits, 100 * d + count + bits);
          std::vector<uint8_t> block(layout.code_bytes_per_block(), 0xEE);
          PackBlock(layout, codes.data(), count, block.data());
          std::vector<uint8_t> lane_codes(d);
          for (int lane = 0; lane < kBlockVectors; ++lane) {
            UnpackLane(layout, block.data(), lane, lane_codes.data());
            if (lane < count) {
              ASSERT_TRUE(
                  std::equal(lane_codes.begin(), lane_codes.end(), codes.begin() + lane * d))
                  << LevelName(level) << " bits " << bits << " d " << d << " lane " << lane;
            } else {
              ASSERT_TRUE(std::all_of(lane_codes.begin(), lane_codes.end(),
                                      [](uint8_t c) { return c == 0; }))
                  << "empty lane " << lane;
            }
            // Padding groups (a plane's odd last high nibble) stay zero.
            for (int t = 0; t < layout.num_tables(); ++t) {
              const int expected =
                  lane < count ? NibbleFromCodes(layout, codes.data() + lane * d, t) : 0;
              ASSERT_EQ(BlockNibble(block.data(), t, lane), expected) << "table " << t;
            }
          }
        }
      }
    }
  }
}

// ---- tables ----

TEST(LookupTableTest, LutCodebookRejectsWrongCentroidCount) {
  const BlockLayout layout = Layout(16, 4);
  const std::vector<float> eight(8, 0.1f);
  EXPECT_FALSE(LutCodebook::Create(layout, eight).ok());
  std::vector<float> sixteen(16, 0.1f);
  sixteen[3] = NAN;
  EXPECT_FALSE(LutCodebook::Create(layout, sixteen).ok());
}

// Entries land on levels exactly halfway between two integers: they round to the even one, as
// std::nearbyint does (the quantizer rounds without calling it).
TEST(LookupTableTest, QuantizationRoundsHalfwayToEven) {
  const BlockLayout layout = Layout(16, 4);  // 16 tables of 16 entries
  std::vector<float> tables(16 * layout.num_tables());
  for (int t = 0; t < layout.num_tables(); ++t) {
    for (int v = 0; v < 16; ++v) tables[16 * t + v] = static_cast<float>(16 * t + v) + 0.5f;
    tables[16 * t] = 0.0f;  // every table's minimum 0, the widest range 255.5 - 0
  }
  tables[16 * (layout.num_tables() - 1) + 15] = 255.0f;  // the range is 255: scale 1
  QuantizedLut lut;
  QuantizeLut(layout, tables.data(), &lut);
  ASSERT_EQ(lut.scale, 1.0f);
  for (size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(lut.tables[i], static_cast<uint8_t>(std::nearbyint(tables[i]))) << i;
  }
}

// Each float table entry is the sum, in coordinate order from +0, of q_j times the plane value
// its bits pick; padding tables are zero.
TEST(LookupTableTest, FloatTablesAreTheGroupSums) {
  for (int bits = 1; bits <= 4; ++bits) {
    for (int d : {7, 100}) {
      const BlockLayout layout = Layout(d, bits);
      const LutCodebook book = MakeLutCodebook(layout, *Book(d, bits));
      Rng rng(3 * d + bits);
      std::vector<float> q = RandomUnitVector(d, rng);
      q[1] = -0.0f;  // a -0 product: +0 in the table
      std::vector<float> tables(16 * layout.num_tables(), 7.0f);
      BuildFloatLut(layout, book, q.data(), tables.data());
      std::vector<float> expected(tables.size(), 0.0f);
      for (int p = 0; p < layout.num_planes(); ++p) {
        const CodePlane& plane = layout.plane(p);
        const std::span<const float> values = book.plane_values(p);
        for (int g = 0; g < plane.groups; ++g) {
          const int j0 = g * plane.coords_per_group;
          for (int v = 0; v < 16; ++v) {
            float sum = 0.0f;
            for (int j = j0; j < std::min(d, j0 + plane.coords_per_group); ++j) {
              sum += q[j] * values[(v >> ((j - j0) * plane.bits)) & ((1 << plane.bits) - 1)];
            }
            expected[16 * (2 * plane.first_chunk + g) + v] = sum;
          }
        }
      }
      EXPECT_EQ(0, std::memcmp(tables.data(), expected.data(), tables.size() * sizeof(float)))
          << "bits " << bits << " d " << d;
    }
  }
}

TEST(LookupTableTest, QuantizationSharesOneScaleAndPadsWithZeros) {
  for (int bits = 1; bits <= 4; ++bits) {
    for (int d : {7, 100}) {
      const BlockLayout layout = Layout(d, bits);
      const auto book = Book(d, bits);
      Rng rng(d + bits);
      const std::vector<float> q = RandomUnitVector(d, rng);
      std::vector<float> tables(16 * layout.num_tables());
      BuildFloatLut(layout, MakeLutCodebook(layout, *book), q.data(), tables.data());
      QuantizedLut lut;
      QuantizeLut(layout, tables.data(), &lut);
      EXPECT_EQ(lut.num_tables, layout.num_tables());
      EXPECT_EQ(lut.tables.size() % 64, 0u);
      EXPECT_GE(lut.tables.size(), 16u * layout.num_tables());
      EXPECT_EQ(reinterpret_cast<uintptr_t>(lut.tables.data()) % 64, 0u);
      for (size_t i = 16 * layout.num_tables(); i < lut.tables.size(); ++i) {
        EXPECT_EQ(lut.tables[i], 0);
      }
      double offset = 0.0;
      int widest = 0;
      for (int t = 0; t < layout.num_tables(); ++t) {
        const float* table = tables.data() + 16 * t;
        const float lo = *std::min_element(table, table + 16);
        offset += lo;
        const uint8_t* t8 = lut.tables.data() + 16 * t;
        EXPECT_EQ(*std::min_element(t8, t8 + 16), 0) << "table " << t;
        widest = std::max<int>(widest, *std::max_element(t8, t8 + 16));
        for (int v = 0; v < 16; ++v) {
          EXPECT_NEAR(lut.scale * t8[v] + lo, table[v], 0.5001 * lut.scale);
        }
      }
      EXPECT_EQ(widest, 255);  // the widest table uses the full byte
      EXPECT_NEAR(lut.offset, offset, 1e-6);
    }
  }
}

TEST(LookupTableTest, ZeroQueryGivesFlatTables) {
  const BlockLayout layout = Layout(100, 2);
  const auto book = Book(100, 2);
  const std::vector<float> q(100, 0.0f);
  QuantizedLut lut;
  BuildQuantizedLut(layout, MakeLutCodebook(layout, *book), q.data(), &lut);
  EXPECT_EQ(lut.scale, 0.0f);
  EXPECT_EQ(lut.offset, 0.0f);
  EXPECT_TRUE(std::all_of(lut.tables.begin(), lut.tables.end(), [](uint8_t v) { return v == 0; }));
}

// ---- scan ----

// Scalar scan == naive per-lane sum of T8 over unpacked codes, and every SIMD level == scalar,
// on tables from real queries and on tables of random bytes (the whole uint8 range).
TEST(BlockScanTest, EveryLevelMatchesTheNaiveSum) {
  for (int bits = 1; bits <= 4; ++bits) {
    for (int d : kDims) {
      const BlockLayout layout = Layout(d, bits);
      const auto book = Book(d, bits);
      const LutCodebook lut_book = MakeLutCodebook(layout, *book);
      const int64_t count = d >= 1536 ? 2 * 32 + 5 : 5 * 32 + 17;  // partial last block
      const std::vector<uint8_t> codes = RandomCodes(count, d, bits, 7 * d + bits);
      const Blocks blocks = PackAll(layout, codes, count, /*extra_stride=*/d % 2 == 0 ? 0 : 24);
      Rng rng(d * 31 + bits);
      for (int trial = 0; trial < 2; ++trial) {
        QuantizedLut lut;
        const std::vector<float> q = RandomUnitVector(d, rng);
        BuildQuantizedLut(layout, lut_book, q.data(), &lut);
        if (trial == 1) {
          for (int i = 0; i < 16 * layout.num_tables(); ++i) {
            lut.tables[i] = static_cast<uint8_t>(rng.NextBelow(256));
          }
        }
        std::vector<uint32_t> naive(blocks.num_blocks * 32, 0);
        for (int64_t i = 0; i < count; ++i) {
          uint32_t sum = 0;
          for (int t = 0; t < layout.num_tables(); ++t) {
            sum += lut.tables[16 * t + NibbleFromCodes(layout, codes.data() + i * d, t)];
          }
          naive[i] = sum;
        }
        std::vector<uint32_t> scalar(blocks.num_blocks * 32, 0xDEADBEEF);
        ScanBlocksAt(SimdLevel::kScalar, layout, blocks.block(0), blocks.stride, blocks.num_blocks,
                     lut, scalar.data());
        for (int64_t i = 0; i < count; ++i) {
          ASSERT_EQ(scalar[i], naive[i]) << "bits " << bits << " d " << d << " vector " << i;
        }
        for (SimdLevel level : AvailableSimdLevels()) {
          std::vector<uint32_t> out(blocks.num_blocks * 32, 0xDEADBEEF);
          ScanBlocksAt(level, layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut,
                       out.data());
          ASSERT_EQ(out, scalar) << LevelName(level) << " bits " << bits << " d " << d << " trial "
                                 << trial;
        }
      }
    }
  }
}

TEST(BlockScanTest, DispatchFollowsTheActiveLevel) {
  const BlockLayout layout = Layout(200, 4);
  const LutCodebook lut_book = MakeLutCodebook(layout, *Book(200, 4));
  const std::vector<uint8_t> codes = RandomCodes(64, 200, 4, 3);
  const Blocks blocks = PackAll(layout, codes, 64, 0);
  Rng rng(5);
  const std::vector<float> q = RandomUnitVector(200, rng);
  QuantizedLut lut;
  BuildQuantizedLut(layout, lut_book, q.data(), &lut);
  std::vector<uint32_t> expected(64);
  ScanBlocksAt(SimdLevel::kScalar, layout, blocks.block(0), blocks.stride, 2, lut, expected.data());
  for (SimdLevel level : AvailableSimdLevels()) {
    ScopedSimdLevel scoped(level);
    std::vector<uint32_t> out(64);
    ScanBlocks(layout, blocks.block(0), blocks.stride, 2, lut, out.data());
    EXPECT_EQ(out, expected) << LevelName(level);
  }
  ScanBlocks(layout, blocks.block(0), blocks.stride, 0, lut, nullptr);  // nothing to do
}

// The first 1, 2, .. 9 and 17 of `luts` scanned in one ScanBlocksMultiAt call at every level
// give each lut's `expected` sums on the first `count` lanes.
void ExpectMultiQueryScansMatch(const BlockLayout& layout, const Blocks& blocks, int64_t count,
                                const std::vector<QuantizedLut>& luts,
                                const std::vector<std::vector<uint32_t>>& expected,
                                const std::string& what) {
  for (SimdLevel level : AvailableSimdLevels()) {
    for (size_t queries : {1, 2, 3, 4, 5, 6, 7, 8, 9, 17}) {
      std::vector<const QuantizedLut*> lut_ptrs;
      std::vector<std::vector<uint32_t>> out(queries,
                                             std::vector<uint32_t>(blocks.num_blocks * 32));
      std::vector<uint32_t*> out_ptrs;
      for (size_t q = 0; q < queries; ++q) {
        lut_ptrs.push_back(&luts[q]);
        out_ptrs.push_back(out[q].data());
      }
      ScanBlocksMultiAt(level, layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut_ptrs,
                        out_ptrs.data());
      for (size_t q = 0; q < queries; ++q) {
        ASSERT_TRUE(std::equal(expected[q].begin(), expected[q].begin() + count, out[q].begin()))
            << LevelName(level) << " " << what << " queries " << queries << " query " << q;
      }
    }
  }
}

// Several queries per pass give exactly the single-query sums, for batch sizes that do and do
// not fill a pass (8 for AVX-512 VBMI, 4 for AVX-512, 2 for AVX2).
TEST(BlockScanTest, MultiQueryPassMatchesSingleQueryScans) {
  for (int bits = 1; bits <= 4; ++bits) {
    for (int d : {7, 200, 3072}) {
      const BlockLayout layout = Layout(d, bits);
      const LutCodebook lut_book = MakeLutCodebook(layout, *Book(d, bits));
      const int64_t count = 3 * 32 + 9;
      const std::vector<uint8_t> codes = RandomCodes(count, d, bits, 5 * d + bits);
      const Blocks blocks = PackAll(layout, codes, count, 32);
      Rng rng(d + bits);
      std::vector<QuantizedLut> luts(17);
      std::vector<std::vector<uint32_t>> expected(luts.size());
      for (size_t q = 0; q < luts.size(); ++q) {
        const std::vector<float> query = RandomUnitVector(d, rng);
        BuildQuantizedLut(layout, lut_book, query.data(), &luts[q]);
        expected[q].resize(blocks.num_blocks * 32);
        ScanBlocksAt(SimdLevel::kScalar, layout, blocks.block(0), blocks.stride, blocks.num_blocks,
                     luts[q], expected[q].data());
      }
      ExpectMultiQueryScansMatch(layout, blocks, blocks.num_blocks * 32, luts, expected,
                                 "bits " + std::to_string(bits) + " d " + std::to_string(d));
    }
  }
}

// uint16 accumulators would wrap after 257 groups of 255: G = 3072 must still sum exactly.
TEST(BlockScanTest, AllMaximalEntriesDoNotOverflow) {
  for (int d : {3072, 3071, 2050}) {
    const BlockLayout layout = Layout(d, 4);
    const std::vector<uint8_t> codes = RandomCodes(40, d, 4, d);
    const Blocks blocks = PackAll(layout, codes, 40, 0);
    QuantizedLut lut;
    lut.num_tables = layout.num_tables();
    lut.tables.assign((16 * lut.num_tables + 63) / 64 * 64, 0);
    // Every real group's table is all 255; padding tables stay zero.
    std::fill(lut.tables.begin(), lut.tables.begin() + 16 * layout.num_groups(), 255);
    for (SimdLevel level : AvailableSimdLevels()) {
      std::vector<uint32_t> out(blocks.num_blocks * 32);
      ScanBlocksAt(level, layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut,
                   out.data());
      for (int i = 0; i < 64; ++i) {
        ASSERT_EQ(out[i], 255u * layout.num_groups()) << LevelName(level) << " d " << d;
      }
    }
  }
}

// delta * sum + offset is within delta / 2 per group of the float-exact score (b = 1, 2, 4).
TEST(BlockScanTest, EstimateIsWithinTheRoundingBound) {
  for (int bits : {1, 2, 4}) {
    for (int d : kDims) {
      const BlockLayout layout = Layout(d, bits);
      const auto book = Book(d, bits);
      const LutCodebook lut_book = MakeLutCodebook(layout, *book);
      const int64_t count = 45;
      const std::vector<uint8_t> codes = RandomCodes(count, d, bits, 11 * d + bits);
      const Blocks blocks = PackAll(layout, codes, count, 0);
      Rng rng(d + 1000 * bits);
      double worst_ratio = 0.0;
      for (int trial = 0; trial < 4; ++trial) {
        std::vector<float> q = RandomUnitVector(d, rng);
        if (trial == 3) {
          for (float& x : q) x *= 1000.0f;  // unnormalised queries too
        }
        QuantizedLut lut;
        BuildQuantizedLut(layout, lut_book, q.data(), &lut);
        std::vector<uint32_t> out(blocks.num_blocks * 32);
        ScanBlocks(layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut, out.data());
        const double bound = lut.scale * layout.num_groups() * 0.5;
        for (int64_t i = 0; i < count; ++i) {
          const double exact = ScoreLaneExact(layout, book->centroids(), q.data(),
                                              blocks.block(i / 32), static_cast<int>(i % 32));
          const double estimate = double{lut.scale} * out[i] + lut.offset;
          // float tables and the float offset add a little relative rounding of their own
          const double slack = 1e-4 * (trial == 3 ? 1000.0 : 1.0);
          ASSERT_LE(std::abs(estimate - exact), bound + slack)
              << "bits " << bits << " d " << d << " vector " << i;
          worst_ratio = std::max(worst_ratio, std::abs(estimate - exact) / bound);
        }
      }
      // Errors are a sum of independent roundings: far below the worst case in practice.
      EXPECT_LT(worst_ratio, d < 16 ? 1.0 : 0.5) << "bits " << bits << " d " << d;
    }
  }
}

// ---- the kProducts form (4-bit planes) ----

// Random int8 multipliers in [-127, 127] for the real tables of a products LUT (padding stays
// zero), with their sum.
void RandomizeQuery8(const BlockLayout& layout, Rng& rng, QuantizedLut* lut) {
  lut->query8_sum = 0;
  for (int t = 0; t < layout.num_groups(); ++t) {
    lut->query8[t] = static_cast<int8_t>(static_cast<int>(rng.NextBelow(255)) - 127);
    lut->query8_sum += lut->query8[t];
  }
}

// The products sum of every vector from the unpacked codes, in int64.
std::vector<uint32_t> NaiveProducts(const BlockLayout& layout, const QuantizedLut& lut,
                                    const std::vector<uint8_t>& codes, int64_t count,
                                    int64_t num_blocks) {
  std::vector<uint32_t> naive(num_blocks * 32, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t sum = 0;
    for (int t = 0; t < layout.num_tables(); ++t) {
      sum += int64_t{lut.query8[t]} *
             lut.centroids8[NibbleFromCodes(layout, codes.data() + i * layout.dim(), t)];
    }
    EXPECT_LT(std::abs(sum), int64_t{1} << 31);
    naive[i] = static_cast<uint32_t>(static_cast<int32_t>(sum));
  }
  return naive;
}

TEST(LookupTableTest, ProductLutRoundsTheQueryAndTheCentroids) {
  for (int d : {7, 100, 1536}) {
    const BlockLayout layout = Layout(d, 4);
    const auto book = Book(d, 4);
    const LutCodebook lut_book = MakeLutCodebook(layout, *book);
    // The centroids: symmetric, the largest at +-127, each within half a step.
    const std::span<const float> c = book->centroids();
    const float c_step = lut_book.centroid_step();
    EXPECT_NEAR(c_step, std::abs(c[15]) / 127.0f, 1e-7f * std::abs(c[15]));
    EXPECT_EQ(lut_book.centroids8()[15], 127);
    EXPECT_EQ(lut_book.centroids8()[0], -127);
    for (int v = 0; v < 16; ++v) {
      EXPECT_LE(std::abs(c[v] - c_step * lut_book.centroids8()[v]), 0.5f * c_step * 1.0001f) << v;
      EXPECT_EQ(lut_book.centroids8()[v], -lut_book.centroids8()[15 - v]) << v;
    }
    Rng rng(d);
    std::vector<float> q = RandomUnitVector(d, rng);
    q[d / 2] = -2.0f;  // the largest magnitude, negative
    QuantizedLut lut;
    BuildQuantizedLut(layout, lut_book, q.data(), LutForm::kProducts, &lut);
    EXPECT_EQ(lut.form, LutForm::kProducts);
    EXPECT_EQ(lut.num_tables, layout.num_tables());
    EXPECT_TRUE(lut.tables.empty());
    ASSERT_EQ(lut.query8.size() % 64, 0u);
    ASSERT_GE(lut.query8.size(), static_cast<size_t>(layout.num_tables()));
    const float q_step = 2.0f / 127.0f;
    EXPECT_FLOAT_EQ(lut.scale, q_step * c_step);
    EXPECT_EQ(lut.offset, 0.0f);
    EXPECT_EQ(lut.query8[d / 2], -127);
    int32_t sum = 0;
    for (size_t t = 0; t < lut.query8.size(); ++t) {
      if (t >= static_cast<size_t>(d)) {
        ASSERT_EQ(lut.query8[t], 0) << "padding " << t;
        continue;
      }
      EXPECT_EQ(lut.query8[t], static_cast<int8_t>(std::nearbyint(q[t] / double{q_step} * 1.0)))
          << t;
      sum += lut.query8[t];
    }
    EXPECT_EQ(lut.query8_sum, sum);
    EXPECT_EQ(std::memcmp(lut.centroids8, lut_book.centroids8(), 16), 0);
    // A zero query: nothing to scale.
    const std::vector<float> zero(d, 0.0f);
    BuildQuantizedLut(layout, lut_book, zero.data(), LutForm::kProducts, &lut);
    EXPECT_EQ(lut.scale, 0.0f);
    EXPECT_EQ(lut.query8_sum, 0);
    EXPECT_TRUE(std::all_of(lut.query8.begin(), lut.query8.end(), [](int8_t x) { return x == 0; }));
    // Building the tables form into the same object clears the products.
    BuildQuantizedLut(layout, lut_book, q.data(), LutForm::kTables, &lut);
    EXPECT_EQ(lut.form, LutForm::kTables);
    EXPECT_TRUE(lut.query8.empty());
    EXPECT_EQ(lut.tables.size() % 64, 0u);
  }
}

TEST(LookupTableTest, PreferredFormIsProductsForFourBitsWithVnniOnly) {
  for (int bits = 1; bits <= 4; ++bits) {
    const BlockLayout layout = Layout(100, bits);
    for (SimdLevel level : AvailableSimdLevels()) {
      ScopedSimdLevel scoped(level);
      const bool products = bits == 4 && level == SimdLevel::kAvx512Vbmi;
      EXPECT_EQ(PreferredLutForm(layout), products ? LutForm::kProducts : LutForm::kTables)
          << bits << " " << LevelName(level);
      {
        ScopedLutForm forced(LutForm::kProducts);
        EXPECT_EQ(PreferredLutForm(layout), bits == 4 ? LutForm::kProducts : LutForm::kTables);
        ScopedLutForm nested(LutForm::kTables);
        EXPECT_EQ(PreferredLutForm(layout), LutForm::kTables);
      }
      EXPECT_EQ(PreferredLutForm(layout), products ? LutForm::kProducts : LutForm::kTables);
    }
  }
}

TEST(BlockScanTest, ProductsMatchTheNaiveSumAtEveryLevel) {
  for (int d : kDims) {
    const BlockLayout layout = Layout(d, 4);
    const LutCodebook lut_book = MakeLutCodebook(layout, *Book(d, 4));
    const int64_t count = d >= 1536 ? 2 * 32 + 5 : 5 * 32 + 17;  // partial last block
    const std::vector<uint8_t> codes = RandomCodes(count, d, 4, 3 * d + 1);
    const Blocks blocks = PackAll(layout, codes, count, /*extra_stride=*/d % 2 == 0 ? 0 : 24);
    Rng rng(d * 17);
    for (int trial = 0; trial < 3; ++trial) {
      QuantizedLut lut;
      const std::vector<float> q = RandomUnitVector(d, rng);
      BuildQuantizedLut(layout, lut_book, q.data(), LutForm::kProducts, &lut);
      if (trial >= 1) RandomizeQuery8(layout, rng, &lut);
      if (trial == 2) {  // any centroids, not just symmetric ones
        for (int8_t& c : lut.centroids8) {
          c = static_cast<int8_t>(static_cast<int>(rng.NextBelow(255)) - 127);
        }
      }
      const std::vector<uint32_t> naive =
          NaiveProducts(layout, lut, codes, count, blocks.num_blocks);
      for (SimdLevel level : AvailableSimdLevels()) {
        std::vector<uint32_t> out(blocks.num_blocks * 32, 0xDEADBEEF);
        ScanBlocksAt(level, layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut,
                     out.data());
        for (int64_t i = 0; i < count; ++i) {
          ASSERT_EQ(out[i], naive[i])
              << LevelName(level) << " d " << d << " trial " << trial << " vector " << i;
        }
      }
    }
  }
}

TEST(BlockScanTest, ProductsMultiQueryPassMatchesSingleQueryScans) {
  for (int d : {7, 200, 3071}) {
    const BlockLayout layout = Layout(d, 4);
    const LutCodebook lut_book = MakeLutCodebook(layout, *Book(d, 4));
    const int64_t count = 3 * 32 + 9;
    const std::vector<uint8_t> codes = RandomCodes(count, d, 4, 9 * d);
    const Blocks blocks = PackAll(layout, codes, count, 32);
    Rng rng(d + 77);
    std::vector<QuantizedLut> luts(17);
    std::vector<std::vector<uint32_t>> expected(luts.size());
    for (size_t q = 0; q < luts.size(); ++q) {
      const std::vector<float> query = RandomUnitVector(d, rng);
      BuildQuantizedLut(layout, lut_book, query.data(), LutForm::kProducts, &luts[q]);
      expected[q] = NaiveProducts(layout, luts[q], codes, count, blocks.num_blocks);
    }
    ExpectMultiQueryScansMatch(layout, blocks, count, luts, expected,
                               "products d " + std::to_string(d));
  }
}

// The largest dimension, every product at +-127 * 127: the sums reach 127 * 127 * 65536 (and
// the VNNI kernel's running sums, which start at -128 * query8_sum, stay within int32 too).
TEST(BlockScanTest, ProductsOfTheLargestDimensionDoNotOverflow) {
  for (int d : {65536, 65534}) {
    const BlockLayout layout = Layout(d, 4);
    const LutCodebook lut_book = MakeLutCodebook(layout, *Book(d, 4));
    ASSERT_EQ(lut_book.centroids8()[15], 127);
    const int64_t count = 33;
    std::vector<uint8_t> codes(count * d, 15);          // the +127 centroid
    for (int j = 0; j < d; ++j) codes[32 * d + j] = 0;  // the -127 centroid
    const Blocks blocks = PackAll(layout, codes, count, 0);
    for (int sign : {1, -1}) {
      QuantizedLut lut;
      const std::vector<float> q(d, static_cast<float>(sign));
      BuildQuantizedLut(layout, lut_book, q.data(), LutForm::kProducts, &lut);
      ASSERT_EQ(lut.query8_sum, sign * 127 * d);
      for (SimdLevel level : AvailableSimdLevels()) {
        std::vector<uint32_t> out(blocks.num_blocks * 32);
        ScanBlocksAt(level, layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut,
                     out.data());
        ASSERT_EQ(static_cast<int32_t>(out[0]), sign * 127 * 127 * d) << LevelName(level);
        ASSERT_EQ(static_cast<int32_t>(out[31]), sign * 127 * 127 * d) << LevelName(level);
        ASSERT_EQ(static_cast<int32_t>(out[32]), -sign * 127 * 127 * d) << LevelName(level);
      }
    }
  }
}

// scale * sum is within the two roundings of the float-exact score: per coordinate
// |q_j| * centroid_step / 2 + |c_j| * query_step / 2 + both steps / 4.
TEST(BlockScanTest, ProductsEstimateIsWithinTheRoundingBound) {
  for (int d : kDims) {
    const BlockLayout layout = Layout(d, 4);
    const auto book = Book(d, 4);
    const LutCodebook lut_book = MakeLutCodebook(layout, *book);
    const int64_t count = 45;
    const std::vector<uint8_t> codes = RandomCodes(count, d, 4, 13 * d);
    const Blocks blocks = PackAll(layout, codes, count, 0);
    Rng rng(d + 4000);
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<float> q = RandomUnitVector(d, rng);
      if (trial == 2) {
        for (float& x : q) x *= 1000.0f;
      }
      double largest = 0.0;
      for (float x : q) largest = std::max(largest, std::abs(double{x}));
      const double q_step = largest / 127.0;
      const double c_step = lut_book.centroid_step();
      QuantizedLut lut;
      BuildQuantizedLut(layout, lut_book, q.data(), LutForm::kProducts, &lut);
      std::vector<uint32_t> out(blocks.num_blocks * 32);
      ScanBlocks(layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut, out.data());
      for (int64_t i = 0; i < count; ++i) {
        std::vector<uint8_t> lane_codes(d);
        UnpackLane(layout, blocks.block(i / 32), static_cast<int>(i % 32), lane_codes.data());
        double bound = 0.0;
        for (int j = 0; j < d; ++j) {
          bound += std::abs(double{q[j]}) * c_step / 2 +
                   std::abs(double{book->centroids()[lane_codes[j]]}) * q_step / 2 +
                   q_step * c_step / 4;
        }
        const double exact = ScoreLaneExact(layout, book->centroids(), q.data(),
                                            blocks.block(i / 32), static_cast<int>(i % 32));
        const double estimate = lut.Estimate(out[i]);
        ASSERT_LE(std::abs(estimate - exact), bound * 1.001 + 1e-6 * largest)
            << "d " << d << " vector " << i;
      }
    }
  }
}

// ---- with real quantizer codes ----

struct Encoded {
  std::unique_ptr<TurboQuantizer> quantizer;
  EncodedVectors vectors;
  std::vector<uint8_t> codes;  // n x d unpacked
};

Encoded EncodeRandom(int d, int bits, int64_t n, uint64_t seed) {
  QuantizerOptions options;
  options.dim = d;
  options.bits = bits;
  options.variant = Variant::kMse;
  options.seed = seed;
  Encoded e;
  absl::StatusOr<std::unique_ptr<TurboQuantizer>> quantizer = TurboQuantizer::Create(options);
  EXPECT_TRUE(quantizer.ok()) << quantizer.status();
  e.quantizer = std::move(*quantizer);
  std::vector<float> x;
  Rng rng(seed + 1);
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<float> v = RandomUnitVector(d, rng);
    x.insert(x.end(), v.begin(), v.end());
  }
  EXPECT_TRUE(e.quantizer->Encode(x.data(), n, &e.vectors).ok());
  e.codes.resize(n * d);
  for (int64_t i = 0; i < n; ++i) {
    UnpackCodes(e.vectors.code(i), d, e.quantizer->mse_bits(), e.codes.data() + i * d);
  }
  return e;
}

std::vector<int> TopK(const std::vector<double>& score, int k) {
  std::vector<int> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int a, int b) { return score[a] > score[b]; });
  order.resize(k);
  return order;
}

int Overlap(const std::vector<int>& a, const std::vector<int>& b) {
  int n = 0;
  for (int x : a) n += std::count(b.begin(), b.end(), x);
  return n;
}

struct RankingStats {
  double top10_in_top10 = 0;  // mean |scan top-10 n exact top-10|
  double top10_in_top50 = 0;  // mean |scan top-50 n exact top-10|
  double relative_rms = 0;    // rms(scan - exact) / rms(exact)
};

// Scans n encoded vectors for `queries` random queries and compares the scan's ranking with
// EstimateInnerProduct's.
RankingStats MeasureRanking(const Encoded& e, const BlockLayout& layout,
                            const LutCodebook& lut_book, int queries, uint64_t seed,
                            LutForm form = LutForm::kTables) {
  const int d = layout.dim();
  const int64_t n = e.vectors.size;
  const Blocks blocks = PackAll(layout, e.codes, n, 0);
  Rng rng(seed);
  RankingStats stats;
  double err2 = 0.0;
  double exact2 = 0.0;
  std::vector<uint32_t> out(blocks.num_blocks * 32);
  for (int qi = 0; qi < queries; ++qi) {
    const std::vector<float> q = RandomUnitVector(d, rng);
    const PreparedQuery prepared = e.quantizer->PrepareQuery(q.data());
    QuantizedLut lut;
    BuildQuantizedLut(layout, lut_book, prepared.rotated.data(), form, &lut);
    ScanBlocks(layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut, out.data());
    std::vector<double> scan(n);
    std::vector<double> exact(n);
    for (int64_t i = 0; i < n; ++i) {
      scan[i] = double{lut.Estimate(out[i])} * e.vectors.scale[i];
      exact[i] = e.quantizer->EstimateInnerProduct(prepared, e.vectors, i);
      err2 += (scan[i] - exact[i]) * (scan[i] - exact[i]);
      exact2 += exact[i] * exact[i];
    }
    const std::vector<int> truth = TopK(exact, 10);
    stats.top10_in_top10 += Overlap(TopK(scan, 10), truth);
    stats.top10_in_top50 += Overlap(TopK(scan, 50), truth);
  }
  stats.top10_in_top10 /= queries;
  stats.top10_in_top50 /= queries;
  stats.relative_rms = std::sqrt(err2 / exact2);
  return stats;
}

TEST(BlockScanRankingTest, FourBitScanFindsTheEstimatorsTopTen) {
  constexpr int kDim = 200;
  const Encoded e = EncodeRandom(kDim, 4, 2000, 17);
  const BlockLayout layout = Layout(kDim, 4);
  const LutCodebook lut_book = MakeLutCodebook(layout, *e.quantizer->codebook());
  const RankingStats stats = MeasureRanking(e, layout, lut_book, 50, 99);
  std::printf("b=4 d=200 tables: top-10 overlap %.2f / 10, in scan top-50 %.2f, rel rms err %.4f\n",
              stats.top10_in_top10, stats.top10_in_top50, stats.relative_rms);
  EXPECT_GE(stats.top10_in_top10, 9.0);
  EXPECT_GE(stats.top10_in_top50, 9.95);
  // The products form rounds the query and the centroids more finely than 8-bit tables round
  // each product: a smaller error, at least as good a ranking.
  const RankingStats products = MeasureRanking(e, layout, lut_book, 50, 99, LutForm::kProducts);
  std::printf(
      "b=4 d=200 products: top-10 overlap %.2f / 10, in scan top-50 %.2f, rel rms err %.4f\n",
      products.top10_in_top10, products.top10_in_top50, products.relative_rms);
  EXPECT_GE(products.top10_in_top10, 9.0);
  EXPECT_GE(products.top10_in_top50, 9.95);
  EXPECT_LT(products.relative_rms, 0.75 * stats.relative_rms);
}

// b = 3: the two-plane additive split c[2h + l] ~ high[h] + l * step. The fitted split
// (mass-weighted least squares) is compared with two simpler ones.
TEST(BlockScanRankingTest, ThreeBitSplitRanksWellAndBeatsSimplerSplits) {
  constexpr int kDim = 200;
  const Encoded e = EncodeRandom(kDim, 3, 2000, 23);
  const BlockLayout layout = Layout(kDim, 3);
  const std::span<const float> c = e.quantizer->codebook()->centroids();
  // Plain: high[h] = c[2h], step = the mean gap.
  ThreeBitSplit plain;
  double gap = 0.0;
  for (int h = 0; h < 4; ++h) {
    plain.high[h] = c[2 * h];
    gap += (c[2 * h + 1] - c[2 * h]) / 4.0;
  }
  plain.low_step = static_cast<float>(gap);
  const ThreeBitSplit unweighted = FitThreeBitSplit(c, {});
  const ThreeBitSplit fitted = FitThreeBitSplit(c, CellMasses(kDim, c));
  std::printf("centroids*sqrt(d):");
  for (float v : c) std::printf(" %.4f", v * std::sqrt(kDim));
  std::printf("\nfitted split*sqrt(d): high %.4f %.4f %.4f %.4f step %.4f\n",
              fitted.high[0] * std::sqrt(kDim), fitted.high[1] * std::sqrt(kDim),
              fitted.high[2] * std::sqrt(kDim), fitted.high[3] * std::sqrt(kDim),
              fitted.low_step * std::sqrt(kDim));
  RankingStats results[3];
  const char* names[3] = {"plain c[2h], mean gap", "unweighted LS", "mass-weighted LS"};
  const ThreeBitSplit splits[3] = {plain, unweighted, fitted};
  for (int s = 0; s < 3; ++s) {
    absl::StatusOr<LutCodebook> lut_book = LutCodebook::CreateWithSplit(layout, c, splits[s]);
    ASSERT_TRUE(lut_book.ok());
    results[s] = MeasureRanking(e, layout, *lut_book, 50, 99);
    std::printf(
        "b=3 d=200 %-22s: top-10 overlap %.2f / 10, in scan top-50 %.2f, "
        "rel rms err %.4f\n",
        names[s], results[s].top10_in_top10, results[s].top10_in_top50, results[s].relative_rms);
  }
  // Create() picks the fitted split.
  const RankingStats by_default =
      MeasureRanking(e, layout, MakeLutCodebook(layout, *e.quantizer->codebook()), 50, 99);
  EXPECT_EQ(by_default.relative_rms, results[2].relative_rms);
  // The fit minimises the expected squared error, so its score error is the smallest
  // (the plain split's error is dominated by a bias that grows with the score).
  EXPECT_LE(results[2].relative_rms, results[1].relative_rms * 1.01);
  EXPECT_LT(results[2].relative_rms, results[0].relative_rms);
  // As a pre-scan it ranks nearly as well as 4 bits, and a candidate list of 50 keeps the
  // exact top-10 (the index rescores candidates from the exact codes).
  EXPECT_GE(results[2].top10_in_top10, 8.0);
  EXPECT_GE(results[2].top10_in_top50, 9.9);
  EXPECT_LT(results[2].relative_rms, 0.15);
}

// The b = 3 pre-scan error per vector, against the exact 3-bit score, on random codes for
// every dimension: bounded by the split's worst per-coordinate error plus the rounding bound.
TEST(BlockScanTest, ThreeBitErrorIsBoundedByTheSplit) {
  for (int d : kDims) {
    const BlockLayout layout = Layout(d, 3);
    const auto book = Book(d, 3);
    const LutCodebook lut_book = MakeLutCodebook(layout, *book);
    const std::span<const float> c = book->centroids();
    const std::span<const float> high = lut_book.plane_values(0);
    const float step = lut_book.plane_values(1)[1];
    double worst_coordinate = 0.0;
    for (int k = 0; k < 8; ++k) {
      worst_coordinate =
          std::max(worst_coordinate, std::abs(double{c[k]} - high[k >> 1] - (k & 1) * step));
    }
    const int64_t count = 40;
    const std::vector<uint8_t> codes = RandomCodes(count, d, 3, d + 3);
    const Blocks blocks = PackAll(layout, codes, count, 0);
    Rng rng(d);
    const std::vector<float> q = RandomUnitVector(d, rng);
    double q_l1 = 0.0;
    for (float x : q) q_l1 += std::abs(x);
    QuantizedLut lut;
    BuildQuantizedLut(layout, lut_book, q.data(), &lut);
    std::vector<uint32_t> out(blocks.num_blocks * 32);
    ScanBlocks(layout, blocks.block(0), blocks.stride, blocks.num_blocks, lut, out.data());
    for (int64_t i = 0; i < count; ++i) {
      const double exact = ScoreLaneExact(layout, c, q.data(), blocks.block(i / 32), i % 32);
      const double estimate = double{lut.scale} * out[i] + lut.offset;
      ASSERT_LE(std::abs(estimate - exact),
                q_l1 * worst_coordinate + lut.scale * layout.num_groups() * 0.5 + 1e-4)
          << "d " << d << " vector " << i;
    }
  }
}

}  // namespace
}  // namespace tq
