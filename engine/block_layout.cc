// Packing per-coordinate codes into the fast-scan block layout and back (exactly, b = 3 too).
// Packing runs at ingest; unpacking a lane also serves the query's rescoring.
//
// Byte order: FAISS's pq4 fast-scan packing, applied to nibble groups. Chunk p (32 bytes)
// carries table groups 2p and 2p + 1 of all 32 vectors:
//   bytes  0..15: group 2p,     bytes 16..31: group 2p + 1;
//   in each 16-byte half, byte 2i holds lane i (low nibble) and lane i + 16 (high nibble),
//   byte 2i + 1 holds lane i + 8 (low nibble) and lane i + 24 (high nibble).
// Why this and not "byte k = vector k, group 2p in low nibbles, 2p + 1 in high nibbles":
// - the tables a chunk needs are then T_2p | T_2p+1, 32 contiguous bytes of the quantized
//   table array, so AVX2 loads them with one plain load (AVX-512: chunks p, p + 1 and
//   T_2p..T_2p+3 in one 64-byte load) -- no per-128-bit-lane broadcasts, and tables take
//   16 bytes per group in L1 instead of 32 pre-replicated;
// - each vpshufb result is a 16-bit lane pair (lane i, lane i + 8), so the uint16
//   accumulation trick (sum all 16 bits, and separately the high bytes) yields lanes 0..7 and
//   8..15 already in order: the flush to uint32 needs no unpack or permute.
// Inside a nibble, coordinate j of a group sits at bits [(j % cpg) * b, ...), low first, like
// bit_pack.h. b = 3: plane 0 (2 bits, code >> 1) fills the first ceil(ceil(d/2)/2) chunks,
// plane 1 (1 bit, code & 1) the next ceil(ceil(d/4)/2): exactly 3 bits per coordinate, plus
// padding to whole nibbles and chunks.
#include "engine/block_layout.h"

#include <emmintrin.h>
#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/simd_level.h"

#if defined(__GNUC__) && !defined(__clang__)  // GCC's avx512fintrin.h placeholders
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tq {
namespace {

CodePlane MakePlane(int dim, int bits, int first_chunk) {
  CodePlane plane;
  plane.bits = bits;
  plane.coords_per_group = 4 / bits;
  plane.groups = (dim + plane.coords_per_group - 1) / plane.coords_per_group;
  plane.first_chunk = first_chunk;
  plane.chunks = (plane.groups + 1) / 2;
  return plane;
}

// Value of coordinate j's code in plane `plane_index` of a `bits`-bit layout.
inline int PlaneCode(int bits, int plane_index, uint8_t code) {
  if (bits != 3) return code;
  return plane_index == 0 ? code >> 1 : code & 1;
}
}  // namespace

absl::StatusOr<BlockLayout> BlockLayout::Create(int dim, int bits) {
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("block layout: dimension ", dim));
  if (bits < 1 || bits > 4) {
    return absl::InvalidArgumentError(absl::StrCat("block layout: bits ", bits, " outside [1, 4]"));
  }
  BlockLayout layout;
  layout.dim_ = dim;
  layout.bits_ = bits;
  if (bits == 3) {
    layout.planes_[0] = MakePlane(dim, 2, 0);
    layout.planes_[1] = MakePlane(dim, 1, layout.planes_[0].chunks);
    layout.num_planes_ = 2;
  } else {
    layout.planes_[0] = MakePlane(dim, bits, 0);
    layout.num_planes_ = 1;
  }
  for (int p = 0; p < layout.num_planes_; ++p) {
    layout.num_chunks_ += layout.planes_[p].chunks;
    layout.num_groups_ += layout.planes_[p].groups;
  }
  return layout;
}

namespace {

// The nibble of vector `row` in group g of `plane`: its coordinates' plane codes, low first.
inline int GroupNibble(const BlockLayout& layout, int plane_index, const CodePlane& plane,
                       const uint8_t* row, int g) {
  if (plane.bits == 4) return row[g];  // b = 4: one coordinate per nibble
  const int j0 = g * plane.coords_per_group;
  const int j1 = std::min(layout.dim(), j0 + plane.coords_per_group);
  int nibble = 0;
  for (int j = j0; j < j1; ++j) {
    nibble |= PlaneCode(layout.bits(), plane_index, row[j]) << ((j - j0) * plane.bits);
  }
  return nibble;
}

// t[j][i] = r[i][j] for 16 x 16 bytes (SSE2, part of x86-64: no dispatch needed).
void Transpose16x16(__m128i (&r)[16]) {
  __m128i a[16], b[16], c[16];
  for (int i = 0; i < 8; ++i) {  // 16-bit pairs (rows 2i, 2i + 1) at columns 0..7 and 8..15
    a[2 * i] = _mm_unpacklo_epi8(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm_unpackhi_epi8(r[2 * i], r[2 * i + 1]);
  }
  // 32-bit quads of rows 4i..4i+3: b[4i + q] holds columns 4q..4q+3.
  for (int i = 0; i < 4; ++i) {
    b[4 * i + 0] = _mm_unpacklo_epi16(a[4 * i], a[4 * i + 2]);
    b[4 * i + 1] = _mm_unpackhi_epi16(a[4 * i], a[4 * i + 2]);
    b[4 * i + 2] = _mm_unpacklo_epi16(a[4 * i + 1], a[4 * i + 3]);
    b[4 * i + 3] = _mm_unpackhi_epi16(a[4 * i + 1], a[4 * i + 3]);
  }
  // 64-bit octets of rows 8h..8h+7: c[8h + 2q] columns 4q, 4q+1, c[8h + 2q + 1] 4q+2, 4q+3.
  for (int h = 0; h < 2; ++h) {
    for (int q = 0; q < 4; ++q) {
      c[8 * h + 2 * q] = _mm_unpacklo_epi32(b[8 * h + q], b[8 * h + 4 + q]);
      c[8 * h + 2 * q + 1] = _mm_unpackhi_epi32(b[8 * h + q], b[8 * h + 4 + q]);
    }
  }
  for (int k = 0; k < 8; ++k) {  // columns 2k, 2k + 1, all 16 rows
    r[2 * k] = _mm_unpacklo_epi64(c[k], c[8 + k]);
    r[2 * k + 1] = _mm_unpackhi_epi64(c[k], c[8 + k]);
  }
}

// A full block of 4-bit codes, 16 groups at a time: the nibble pairs of lanes (l, l + 16) are
// formed a row at a time, then one transpose puts each group's 16 bytes in HalfByteLane order.
void PackFullFourBitPlane(const CodePlane& plane, const uint8_t* const* rows, uint8_t* out) {
  int g = 0;
  for (; g + 16 <= plane.groups; g += 16) {
    __m128i r[16];
    for (int i = 0; i < 16; ++i) {
      const int lane = HalfByteLane(i);
      const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[lane] + g));
      const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[lane + 16] + g));
      r[i] = _mm_or_si128(low, _mm_slli_epi16(high, 4));  // codes < 16: no bits cross bytes
    }
    Transpose16x16(r);
    for (int t = 0; t < 16; ++t) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * (g + t)), r[t]);
    }
  }
  for (; g < 2 * plane.chunks; ++g) {
    for (int i = 0; i < 16; ++i) {
      const int lane = HalfByteLane(i);
      out[16 * g + i] =
          g < plane.groups ? static_cast<uint8_t>(rows[lane][g] | rows[lane + 16][g] << 4) : 0;
    }
  }
}

// Every lane's nibbles of a plane of 1- or 2-bit codes (b = 1, 2, or b = 3's planes): the
// nibble rows a full block's plane is packed from as a 4-bit plane's codes are.
void LaneNibbles(const BlockLayout& layout, int plane_index, const CodePlane& plane,
                 const uint8_t* row, uint8_t* nibbles) {
  const int full = layout.dim() / plane.coords_per_group;  // groups with all their coordinates
  const int bits = layout.bits();
  const auto code = [&](int j) { return PlaneCode(bits, plane_index, row[j]); };
  if (plane.bits == 2) {
    for (int g = 0; g < full; ++g)
      nibbles[g] = static_cast<uint8_t>(code(2 * g) | code(2 * g + 1) << 2);
  } else {
    for (int g = 0; g < full; ++g) {
      nibbles[g] = static_cast<uint8_t>(code(4 * g) | code(4 * g + 1) << 1 | code(4 * g + 2) << 2 |
                                        code(4 * g + 3) << 3);
    }
  }
  for (int g = full; g < plane.groups; ++g) {
    nibbles[g] = static_cast<uint8_t>(GroupNibble(layout, plane_index, plane, row, g));
  }
}

}  // namespace

void PackBlock(const BlockLayout& layout, const uint8_t* indices, int count, uint8_t* block_codes) {
  assert(count >= 0 && count <= kBlockVectors);
  const int d = layout.dim();
#ifndef NDEBUG  // one max and one assert: asserts stay on in Release builds
  uint8_t largest = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(count) * d; ++i) {
    largest = std::max(largest, indices[i]);
  }
  assert(largest < (1 << layout.bits()));
#endif
  // Byte by byte in output order, each written once: byte i of a group's 16-byte half holds
  // lanes HalfByteLane(i) (low nibble) and + 16 (high nibble). Measured 13% of Add at d = 1536
  // when every nibble was or-ed into a zeroed block in input order.
  const uint8_t* rows[kBlockVectors];
  for (int lane = 0; lane < kBlockVectors; ++lane) {
    rows[lane] = lane < count ? indices + static_cast<int64_t>(lane) * d : nullptr;
  }
  for (int p = 0; p < layout.num_planes(); ++p) {
    const CodePlane& plane = layout.plane(p);
    uint8_t* out = block_codes + plane.first_chunk * kChunkBytes;
    if (count == kBlockVectors) {  // full blocks: a row at a time, then one transpose per 16 groups
      if (plane.bits == 4) {
        PackFullFourBitPlane(plane, rows, out);
        continue;
      }
      // Fewer bits: each lane's nibbles first (the generic loop below, a nibble at a time, was
      // ~35% of adding d = 1536 vectors at 2 bits).
      thread_local std::vector<uint8_t> nibbles;
      nibbles.resize(static_cast<size_t>(kBlockVectors) * plane.groups);
      const uint8_t* nibble_rows[kBlockVectors];
      for (int lane = 0; lane < kBlockVectors; ++lane) {
        uint8_t* lane_nibbles = nibbles.data() + static_cast<size_t>(lane) * plane.groups;
        LaneNibbles(layout, p, plane, rows[lane], lane_nibbles);
        nibble_rows[lane] = lane_nibbles;
      }
      PackFullFourBitPlane(plane, nibble_rows, out);
      continue;
    }
    for (int g = 0; g < 2 * plane.chunks; ++g, out += 16) {
      if (g >= plane.groups) {  // an odd plane's padding group
        std::memset(out, 0, 16);
        continue;
      }
      for (int i = 0; i < 16; ++i) {
        const int lane = HalfByteLane(i);
        const uint8_t* low = rows[lane];
        const uint8_t* high = rows[lane + 16];
        const int lo = low ? GroupNibble(layout, p, plane, low, g) : 0;
        const int hi = high ? GroupNibble(layout, p, plane, high, g) : 0;
        out[i] = static_cast<uint8_t>(lo | hi << 4);
      }
    }
  }
}

namespace {

// Vector `lane`'s nibble of each group g < groups of a plane: byte 16 g + BlockNibbleByte(0,
// lane) of the plane's codes, low or high half.
void LaneNibblesScalar(const uint8_t* plane_codes, int groups, int lane, uint8_t* nibbles) {
  const uint8_t* byte = plane_codes + BlockNibbleByte(0, lane);
  const int shift = (lane >> 4) * 4;
  for (int g = 0; g < groups; ++g) nibbles[g] = static_cast<uint8_t>((byte[16 * g] >> shift) & 15);
}

#define TQ_AVX512_VBMI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi")))

TQ_AVX512_VBMI inline __mmask64 FirstBytes(int count) {
  return count >= 64 ? ~0ULL : count <= 0 ? 0ULL : (1ULL << count) - 1;
}

// The same, 16 groups (256 bytes) at a time: each vpermt2b picks the lane's byte of 8 groups
// out of two registers. The rescoring unpacks a lane of every candidate it scores, and the
// byte-at-a-time loop took ~5% of a k = 64 query (GloVe-100, 4 bits).
TQ_AVX512_VBMI void LaneNibblesVbmi(const uint8_t* plane_codes, int groups, int lane,
                                    uint8_t* nibbles) {
  const int at = BlockNibbleByte(0, lane);
  alignas(64) uint8_t pick[64] = {};
  for (int j = 0; j < 8; ++j) pick[j] = static_cast<uint8_t>(at + 16 * j);  // bit 6: 2nd register
  const __m512i index = _mm512_load_si512(pick);
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const int shift = (lane >> 4) * 4;
  for (int g0 = 0; g0 < groups; g0 += 16) {
    const uint8_t* rows = plane_codes + 16 * g0;
    const int bytes = 16 * (groups - g0);  // only the plane's groups are read
    __m512i x[4];
    for (int k = 0; k < 4; ++k) {
      x[k] = _mm512_maskz_loadu_epi8(FirstBytes(bytes - 64 * k), rows + 64 * k);
    }
    const __m128i first = _mm512_castsi512_si128(_mm512_permutex2var_epi8(x[0], index, x[1]));
    const __m128i second = _mm512_castsi512_si128(_mm512_permutex2var_epi8(x[2], index, x[3]));
    __m128i v = _mm_unpacklo_epi64(first, second);
    v = _mm_and_si128(_mm_srl_epi16(v, _mm_cvtsi32_si128(shift)), low4);
    _mm_mask_storeu_epi8(nibbles + g0, static_cast<__mmask16>(FirstBytes(groups - g0)), v);
  }
}

#undef TQ_AVX512_VBMI

void LaneNibbles(const uint8_t* plane_codes, int groups, int lane, uint8_t* nibbles) {
  if (ActiveSimdLevel() >= SimdLevel::kAvx512Vbmi) {
    LaneNibblesVbmi(plane_codes, groups, lane, nibbles);
  } else {
    LaneNibblesScalar(plane_codes, groups, lane, nibbles);
  }
}

}  // namespace

void UnpackLane(const BlockLayout& layout, const uint8_t* block_codes, int lane, uint8_t* indices) {
  assert(lane >= 0 && lane < kBlockVectors);
  const int d = layout.dim();
  std::memset(indices, 0, d);
  for (int p = 0; p < layout.num_planes(); ++p) {
    const CodePlane& plane = layout.plane(p);
    const uint8_t* plane_codes = block_codes + plane.first_chunk * kChunkBytes;
    if (plane.bits == 4) {  // one coordinate per nibble (the rescoring unpacks many lanes)
      LaneNibbles(plane_codes, plane.groups, lane, indices);
      continue;
    }
    // b = 3: plane 0 holds the top two bits, plane 1 the low bit.
    const int plane_shift = (layout.bits() == 3 && p == 0) ? 1 : 0;
    const int mask = (1 << plane.bits) - 1;
    for (int g = 0; g < plane.groups; ++g) {
      const int nibble = BlockNibble(plane_codes, g, lane);
      const int j0 = g * plane.coords_per_group;
      const int j1 = std::min(d, j0 + plane.coords_per_group);
      for (int j = j0; j < j1; ++j) {
        indices[j] |=
            static_cast<uint8_t>(((nibble >> ((j - j0) * plane.bits)) & mask) << plane_shift);
      }
    }
  }
}

}  // namespace tq
