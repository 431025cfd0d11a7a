// Block scan kernels: scalar reference, AVX2, AVX-512BW and AVX-512 VBMI/VNNI, all computing
// exact integer sums; for LutForm::kProducts (4-bit codes) a scalar reference and a VNNI kernel
// (below, after the VBMI tables kernel). The tables kernels are FAISS's fast-scan inner loop
// adapted to TurboQuant's nibble groups.
//
// Per 32-byte chunk (AVX2) the codes split into low nibbles (lanes 0..15) and high nibbles
// (lanes 16..31); one vpshufb per half looks both up in T_2p | T_2p+1 (one 32-byte load of the
// quantized tables, thanks to the byte order in block_layout.cc). Each 16-bit element of a
// result holds two lanes' bytes (i, i + 8); the kernel adds the whole element into one uint16
// accumulator (mod 2^16) and the high byte alone into another, then recovers the low bytes' sum
// as acc - (acc_high << 8). AVX-512 does the same on two chunks per zmm (T_2p..T_2p+3 in one
// aligned 64-byte load); an odd last chunk is loaded with a mask, and the tables above it are
// the zero padding of QuantizedLut::tables, so the empty half adds nothing.
//
// Overflow: after n loads an element holds n bytes of <= 255 per lane pair, and a vector's sum
// is spread over the register's 128-bit lanes (2 for AVX2, 4 for AVX-512). A flush first adds
// the lanes together in uint16 (cheaper than widening each), then widens once into uint32
// totals, so it must come before lanes * n * 255 reaches 2^16: every 128 loads for AVX2
// (256 groups per lane sum) and every 64 for AVX-512 (256 groups too). d = 3072, b = 4
// (G = 3072) needs 12 flushes per block at either level; a test with every entry 255 checks.
// Measured: reducing in uint16 made AVX-512 on small blocks (b = 1, d = 100: 13 chunks) ~18%
// faster than widening every 128-bit lane separately, and changed nothing for large blocks.
//
// ScanBlocksMulti: each code load and nibble split serves up to 4 queries (AVX-512, 16
// accumulators of 32 registers; AVX2 has 16 registers, so 2; VBMI needs half the accumulators
// and serves 8). With 768 MB of codes from DRAM, 4 queries per pass took 1.5x the time of one
// (AVX-512), i.e. ~2.7x the per-query rate; VBMI's 8 gain ~5% over 4 (bound by the lookups);
// the products kernel's 8 ran 1.5-1.7x VBMI's tables (Zen 4, tq_scan_benchmark).
#include "engine/block_scan.h"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <type_traits>

// GCC 12's own avx512fintrin.h trips -W(maybe-)uninitialized (_mm512_setzero_si512,
// _mm512_extracti64x4_epi64 et al.): the intrinsics' undefined-value placeholders.
#if defined(__GNUC__) && !defined(__clang__)  // GCC only: clang has its own headers
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tq {
namespace {

constexpr int kAvx2FlushSteps = 128;   // 2 lanes x 128 loads x 255 < 2^16
constexpr int kAvx512FlushSteps = 64;  // 4 lanes x 64 loads x 255 < 2^16
static_assert(2 * kAvx2FlushSteps * 255 < 65536 && 4 * kAvx512FlushSteps * 255 < 65536,
              "uint16 accumulators would overflow");
// Software prefetch of the codes, about this far ahead of the load. On the Xeon the README's
// earlier tables came from, the hardware prefetcher alone left a 768 MB scan at ~55% of a plain
// read's bandwidth; 8 KB ahead brought it to 80-100% (4 KB and 16 KB slightly worse).
// Prefetches past the end never fault.
constexpr int kPrefetchBytes = 8192;

// On AMD (Zen 4) the VBMI kernels, which do the fewest instructions per code byte, were slowed
// by it in memory-bound passes, whatever the distance (whole blocks 1-8 ahead) or hint (T0, T1,
// NTA), and sped up only in full passes of 8 queries, which leave the memory idle between
// loads. Passes over 1M vectors of d = 100 at 4 bits in 1920-byte blocks (100k of d = 1536 in
// 24.8 KB ones), GB/s of blocks streamed, without / with (two runs each, rounded):
//   queries per pass       1        2        4        5        6        8
//   products, d = 100    34 / 18  28 / 14  20 / 11  12 / 11  14 / 11  12 / 12
//   products, d = 1536   34 / 28           19 / 19                    11 / 13
//   tables, d = 100      30 / 19  23 / 13  14 / 12  12 / 12  10 / 11   7 / 9
//   tables, d = 1536     18 / 15            9 / 10                     6 / 8
// and the index's 16-query calls (two passes of 8) at d = 1536: 75 GB/s without, 95 with. So
// there only full passes prefetch. (The AVX2 and AVX-512BW kernels prefetch always: on Zen 4
// that helped or tied but for AVX2's single-query passes, -12%.) TQ_PREFETCH=0 or 1 forces it
// off or on for the VBMI kernels (to measure other machines).
constexpr int kMinAmdVbmiPrefetchQueries = 8;

bool VbmiPrefetches(int queries) {
  static const int forced = [] {
    const char* env = std::getenv("TQ_PREFETCH");
    if (env != nullptr && (std::strcmp(env, "0") == 0 || std::strcmp(env, "1") == 0)) {
      return env[0] - '0';
    }
    return -1;
  }();
  static const bool amd = [] {
    __builtin_cpu_init();
    return __builtin_cpu_is("amd") != 0;
  }();
  if (forced >= 0) return forced == 1;
  return !amd || queries >= kMinAmdVbmiPrefetchQueries;
}

// Bytes from a block to the one prefetched while it is scanned (0: none): whole blocks, so that
// each code line is prefetched at the same offset of a block a few blocks on. (A flat 8 KB
// ahead skipped some of every block's code lines once blocks had a tail of columns: 8 KB on
// from block b's code area is partly block b + 4's tail.)
inline size_t PrefetchAhead(size_t stride, bool prefetch = true) {
  if (!prefetch) return 0;
  const size_t blocks = (kPrefetchBytes + stride / 2) / stride;
  return (blocks > 0 ? blocks : 1) * stride;
}

// Up to this many queries share each code load (AVX-512 has registers for 4 x 4 accumulators,
// VBMI for 8 x 2, AVX2 for 2 x 4); larger batches are split into passes.
constexpr int kMaxAvx512VbmiQueries = 8;
constexpr int kMaxAvx512Queries = 4;
constexpr int kMaxAvx2Queries = 2;

// The tables and outputs of the queries of one pass. kProducts tables use query8 and init
// (-128 * query8_sum: the VNNI kernel multiplies centroids8 + 128, which are unsigned; 0 for
// kTables, whose query8_sum is 0) and the pass's shared centroids8 instead of lut.
struct Pass {
  const uint8_t* lut[kMaxAvx512VbmiQueries];
  const int8_t* query8[kMaxAvx512VbmiQueries];
  int32_t init[kMaxAvx512VbmiQueries];
  const int8_t* centroids8 = nullptr;
  uint32_t* out[kMaxAvx512VbmiQueries];
};

// Bytes [from, stride) of a block: the code lines its kernel's loop does not prefetch as it
// goes, and the bytes past its codes (the caller's per-vector data: the index reads its float
// columns and live mask right after each pass), fetched with the rest of the block. The tail
// with the codes made the index answer 1.05-1.1x the queries per second on the Xeon
// (GloVe-100, 4 bits, k = 10 and 64, VBMI and AVX-512BW).
inline void PrefetchBlockRest(const uint8_t* block, size_t from, size_t stride) {
  for (size_t o = from / 64 * 64; o < stride; o += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(block + o), _MM_HINT_T0);
  }
}

void ScanScalar(const uint8_t* first, size_t stride, int64_t num_blocks, int num_chunks,
                const uint8_t* lut, uint32_t* out) {
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* codes = first + b * stride;
    uint32_t sum[kBlockVectors] = {};
    for (int t = 0; t < 2 * num_chunks; ++t) {
      const uint8_t* half = codes + (t >> 1) * kChunkBytes + (t & 1) * 16;
      const uint8_t* table = lut + kTableEntries * t;
      for (int i = 0; i < 16; ++i) {
        sum[HalfByteLane(i)] += table[half[i] & 15];
        sum[HalfByteLane(i) + 16] += table[half[i] >> 4];
      }
    }
    std::memcpy(out + b * kBlockVectors, sum, sizeof(sum));
  }
}

// kProducts: sum over tables t of query8[t] * centroids8[nibble] (exact in int32: see
// QuantizedLut).
void ScanProductsScalar(const uint8_t* first, size_t stride, int64_t num_blocks, int num_chunks,
                        const int8_t* query8, const int8_t* centroids8, uint32_t* out) {
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* codes = first + b * stride;
    int32_t sum[kBlockVectors] = {};
    for (int t = 0; t < 2 * num_chunks; ++t) {
      const uint8_t* half = codes + (t >> 1) * kChunkBytes + (t & 1) * 16;
      const int32_t q = query8[t];
      for (int i = 0; i < 16; ++i) {
        sum[HalfByteLane(i)] += q * centroids8[half[i] & 15];
        sum[HalfByteLane(i) + 16] += q * centroids8[half[i] >> 4];
      }
    }
    for (int l = 0; l < kBlockVectors; ++l) {
      out[b * kBlockVectors + l] = static_cast<uint32_t>(sum[l]);
    }
  }
}

// ---- AVX2 ----

// Lanes 0..15 (or 16..31) as 16 uint32 from the accumulators of one nibble half:
// all = sum of (lane i) + 256 (lane i + 8) mod 2^16, high = sum of (lane i + 8), per 128-bit
// lane; adds the two 128-bit lanes in uint16, then widens.
__attribute__((target("avx2"))) inline void FlushAvx2(__m256i all, __m256i high, __m256i& total_0_7,
                                                      __m256i& total_8_15) {
  const __m256i low = _mm256_sub_epi16(all, _mm256_slli_epi16(high, 8));
  const __m256i sum = _mm256_add_epi16(_mm256_permute2x128_si256(low, high, 0x20),
                                       _mm256_permute2x128_si256(low, high, 0x31));
  total_0_7 = _mm256_add_epi32(total_0_7, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(sum)));
  total_8_15 =
      _mm256_add_epi32(total_8_15, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(sum, 1)));
}

template <int kQueries>
__attribute__((target("avx2"))) void ScanAvx2(const uint8_t* first, size_t stride,
                                              int64_t num_blocks, int num_chunks,
                                              const Pass& pass) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const size_t ahead = PrefetchAhead(stride);
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* codes = first + b * stride;
    if (ahead) {
      PrefetchBlockRest(codes + ahead, static_cast<size_t>(num_chunks) * kChunkBytes, stride);
    }
    __m256i total[kQueries][4];  // uint32 sums of lanes 0..7, 8..15, 16..23, 24..31
    for (int q = 0; q < kQueries; ++q) {
      for (__m256i& t : total[q]) t = _mm256_setzero_si256();
    }
    for (int p0 = 0; p0 < num_chunks; p0 += kAvx2FlushSteps) {
      const int p1 = std::min(num_chunks, p0 + kAvx2FlushSteps);
      // Per query: low nibbles (lanes 0..15) all / high, high nibbles (lanes 16..31) likewise.
      __m256i acc[kQueries][4];
      for (int q = 0; q < kQueries; ++q) {
        for (__m256i& a : acc[q]) a = _mm256_setzero_si256();
      }
      for (int p = p0; p < p1; ++p) {
        if (ahead) {
          _mm_prefetch(reinterpret_cast<const char*>(codes + ahead + p * kChunkBytes), _MM_HINT_T0);
        }
        const __m256i x =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + p * kChunkBytes));
        const __m256i lo = _mm256_and_si256(x, low4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low4);
        for (int q = 0; q < kQueries; ++q) {
          const __m256i table =
              _mm256_load_si256(reinterpret_cast<const __m256i*>(pass.lut[q] + p * kChunkBytes));
          const __m256i rl = _mm256_shuffle_epi8(table, lo);
          const __m256i rh = _mm256_shuffle_epi8(table, hi);
          acc[q][0] = _mm256_add_epi16(acc[q][0], rl);
          acc[q][1] = _mm256_add_epi16(acc[q][1], _mm256_srli_epi16(rl, 8));
          acc[q][2] = _mm256_add_epi16(acc[q][2], rh);
          acc[q][3] = _mm256_add_epi16(acc[q][3], _mm256_srli_epi16(rh, 8));
        }
      }
      for (int q = 0; q < kQueries; ++q) {
        FlushAvx2(acc[q][0], acc[q][1], total[q][0], total[q][1]);
        FlushAvx2(acc[q][2], acc[q][3], total[q][2], total[q][3]);
      }
    }
    for (int q = 0; q < kQueries; ++q) {
      __m256i* dst = reinterpret_cast<__m256i*>(pass.out[q] + b * kBlockVectors);
      for (int k = 0; k < 4; ++k) _mm256_storeu_si256(dst + k, total[q][k]);
    }
  }
}

// ---- AVX-512BW ----

#define TQ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2")))

// As FlushAvx2 with four 128-bit lanes: lanes 0..15 (or 16..31) as 16 uint32.
TQ_AVX512 inline __m512i FlushAvx512(__m512i all, __m512i high, __m512i total) {
  const __m512i low = _mm512_sub_epi16(all, _mm512_slli_epi16(high, 8));
  // [low0 + low2, low1 + low3, high0 + high2, high1 + high3], then [low sum, high sum, ..].
  const __m512i pairs = _mm512_add_epi16(_mm512_shuffle_i64x2(low, high, 0x44),
                                         _mm512_shuffle_i64x2(low, high, 0xEE));
  const __m512i sum = _mm512_add_epi16(_mm512_shuffle_i64x2(pairs, pairs, 0x08),
                                       _mm512_shuffle_i64x2(pairs, pairs, 0x0D));
  return _mm512_add_epi32(total, _mm512_cvtepu16_epi32(_mm512_castsi512_si256(sum)));
}

// Looks up one zmm of codes (two chunks, nibbles already split) in every query's tables.
template <int kQueries>
TQ_AVX512 inline void StepAvx512(__m512i lo, __m512i hi, const Pass& pass, int offset,
                                 __m512i (&acc)[kQueries][4]) {
  for (int q = 0; q < kQueries; ++q) {
    const __m512i table = _mm512_load_si512(pass.lut[q] + offset);
    const __m512i rl = _mm512_shuffle_epi8(table, lo);
    const __m512i rh = _mm512_shuffle_epi8(table, hi);
    acc[q][0] = _mm512_add_epi16(acc[q][0], rl);
    acc[q][1] = _mm512_add_epi16(acc[q][1], _mm512_srli_epi16(rl, 8));
    acc[q][2] = _mm512_add_epi16(acc[q][2], rh);
    acc[q][3] = _mm512_add_epi16(acc[q][3], _mm512_srli_epi16(rh, 8));
  }
}

template <int kQueries>
TQ_AVX512 void ScanAvx512(const uint8_t* first, size_t stride, int64_t num_blocks, int num_chunks,
                          const Pass& pass) {
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const int full_steps = num_chunks / 2;
  const int steps = (num_chunks + 1) / 2;  // the last one is half empty when num_chunks is odd
  const size_t ahead = PrefetchAhead(stride);
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* codes = first + b * stride;
    if (ahead) {
      PrefetchBlockRest(codes + ahead, static_cast<size_t>(full_steps) * 2 * kChunkBytes, stride);
    }
    __m512i total[kQueries][2];  // uint32 sums of lanes 0..15 and 16..31
    for (int q = 0; q < kQueries; ++q) total[q][0] = total[q][1] = _mm512_setzero_si512();
    for (int s0 = 0; s0 < steps; s0 += kAvx512FlushSteps) {
      const int s1 = std::min(steps, s0 + kAvx512FlushSteps);
      __m512i acc[kQueries][4];
      for (int q = 0; q < kQueries; ++q) {
        for (__m512i& a : acc[q]) a = _mm512_setzero_si512();
      }
      const int full_end = std::min(s1, full_steps);
      for (int s = s0; s < full_end; ++s) {
        const uint8_t* at = codes + s * 2 * kChunkBytes;
        if (ahead) _mm_prefetch(reinterpret_cast<const char*>(at + ahead), _MM_HINT_T0);
        const __m512i x = _mm512_loadu_si512(at);
        StepAvx512<kQueries>(_mm512_and_si512(x, low4),
                             _mm512_and_si512(_mm512_srli_epi16(x, 4), low4), pass,
                             s * 2 * kChunkBytes, acc);
      }
      if (full_end < s1) {  // odd chunk count: the last chunk alone
        const __m512i x =
            _mm512_maskz_loadu_epi8(0xFFFFFFFFull, codes + full_end * 2 * kChunkBytes);
        StepAvx512<kQueries>(_mm512_and_si512(x, low4),
                             _mm512_and_si512(_mm512_srli_epi16(x, 4), low4), pass,
                             full_end * 2 * kChunkBytes, acc);
      }
      for (int q = 0; q < kQueries; ++q) {
        total[q][0] = FlushAvx512(acc[q][0], acc[q][1], total[q][0]);
        total[q][1] = FlushAvx512(acc[q][2], acc[q][3], total[q][1]);
      }
    }
    for (int q = 0; q < kQueries; ++q) {
      _mm512_storeu_si512(pass.out[q] + b * kBlockVectors, total[q][0]);
      _mm512_storeu_si512(pass.out[q] + b * kBlockVectors + 16, total[q][1]);
    }
  }
}

#undef TQ_AVX512

// ---- AVX-512 VBMI + VNNI ----
//
// The same two chunks per zmm, looked up differently: one vpermb first gathers each vector's
// four nibbles (tables 4s..4s+3, one per 128-bit lane) into one dword, byte k = table 4s + k;
// the nibbles then get k in bits 4..5, so that one vpermb looks every byte up in its own table
// of the 64-byte quad (QuantizedLut's tables are already in that order), and vpdpbusd adds each
// dword's four bytes straight into the vector's uint32 sum. Per zmm of codes and query that is
// 2 lookups + 2 multiply-adds instead of 2 lookups + 6 adds and shifts, and no flushes.

// Byte 4v + k of the gathered register: lane v's byte in the k-th 16-byte half (the low nibble
// holds lane v, the high one lane v + 16; BlockNibbleByte's order).
struct VbmiConstants {
  alignas(64) uint8_t gather[64];
  alignas(64) uint8_t table_bits[64];
  constexpr VbmiConstants() : gather(), table_bits() {
    for (int v = 0; v < 16; ++v) {
      for (int k = 0; k < 4; ++k) {
        gather[4 * v + k] = static_cast<uint8_t>(16 * k + BlockNibbleByte(0, v));
        table_bits[4 * v + k] = static_cast<uint8_t>(k << 4);
      }
    }
  }
};
constexpr VbmiConstants kVbmi;

#define TQ_AVX512_VBMI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx512vnni,avx2")))

// One zmm of codes (two chunks) for every query: acc[q][0] gets lanes 0..15, acc[q][1] 16..31.
template <int kQueries>
TQ_AVX512_VBMI inline void StepVbmi(__m512i x, const Pass& pass, int offset,
                                    __m512i (&acc)[kQueries][2]) {
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i table_bits = _mm512_load_si512(kVbmi.table_bits);
  const __m512i ones = _mm512_set1_epi8(1);
  const __m512i gathered = _mm512_permutexvar_epi8(_mm512_load_si512(kVbmi.gather), x);
  // (nibble & 15) | k << 4: 0xEA is the ternary-logic truth table of (a & b) | c.
  const __m512i lo = _mm512_ternarylogic_epi32(gathered, low4, table_bits, 0xEA);
  const __m512i hi =
      _mm512_ternarylogic_epi32(_mm512_srli_epi16(gathered, 4), low4, table_bits, 0xEA);
  for (int q = 0; q < kQueries; ++q) {
    const __m512i table = _mm512_load_si512(pass.lut[q] + offset);
    acc[q][0] = _mm512_dpbusd_epi32(acc[q][0], _mm512_permutexvar_epi8(lo, table), ones);
    acc[q][1] = _mm512_dpbusd_epi32(acc[q][1], _mm512_permutexvar_epi8(hi, table), ones);
  }
}

// The block loop of both VBMI kernels: step(x, s, acc) on every zmm x of each block's codes
// (s: its index; with an odd chunk count the last is loaded half, and the tables or query8
// above it are zero padding), sums from pass.init, stored to pass.out. Up to 4 queries: two
// accumulator sets, even and odd steps, so that consecutive vpdpbusd into one register do not
// wait on each other. More queries space them out by themselves, and 8 x 2 x 2 accumulators
// would not fit in the 32 registers.
template <int kQueries, typename Step>
TQ_AVX512_VBMI inline void BlocksVbmi(const uint8_t* first, size_t stride, int64_t num_blocks,
                                      int num_chunks, const Pass& pass, Step step) {
  constexpr bool kTwoSets = kQueries <= 4;
  const int full_steps = num_chunks / 2;
  const size_t ahead = PrefetchAhead(stride, VbmiPrefetches(kQueries));
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* codes = first + b * stride;
    if (ahead) {
      PrefetchBlockRest(codes + ahead, static_cast<size_t>(full_steps / 2) * 4 * kChunkBytes,
                        stride);
    }
    __m512i even[kQueries][2], odd[kQueries][2];
    for (int q = 0; q < kQueries; ++q) {
      even[q][0] = even[q][1] = _mm512_set1_epi32(pass.init[q]);
      odd[q][0] = odd[q][1] = _mm512_setzero_si512();
    }
    __m512i(&second)[kQueries][2] = kTwoSets ? odd : even;
    int s = 0;
    for (; s + 1 < full_steps; s += 2) {
      const uint8_t* at = codes + s * 2 * kChunkBytes;
      if (ahead) {
        _mm_prefetch(reinterpret_cast<const char*>(at + ahead), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(at + ahead + 64), _MM_HINT_T0);
      }
      step(_mm512_loadu_si512(at), s, even);
      step(_mm512_loadu_si512(at + 64), s + 1, second);
    }
    if (s < full_steps) {
      step(_mm512_loadu_si512(codes + s * 2 * kChunkBytes), s, even);
      ++s;
    }
    if (num_chunks % 2 == 1) {  // the last chunk alone
      step(_mm512_maskz_loadu_epi8(0xFFFFFFFFull, codes + s * 2 * kChunkBytes), s, second);
    }
    for (int q = 0; q < kQueries; ++q) {
      for (int h = 0; h < 2; ++h) {
        const __m512i sum = kTwoSets ? _mm512_add_epi32(even[q][h], odd[q][h]) : even[q][h];
        _mm512_storeu_si512(pass.out[q] + b * kBlockVectors + 16 * h, sum);
      }
    }
  }
}

template <int kQueries>
TQ_AVX512_VBMI void ScanAvx512Vbmi(const uint8_t* first, size_t stride, int64_t num_blocks,
                                   int num_chunks, const Pass& pass) {
  BlocksVbmi<kQueries>(first, stride, num_blocks, num_chunks, pass,
                       [&](__m512i x, int s, __m512i(&acc)[kQueries][2]) TQ_AVX512_VBMI {
                         StepVbmi<kQueries>(x, pass, s * 2 * kChunkBytes, acc);
                       });
}

// kProducts: the same gathered dwords (byte k of dword v: lane v's and lane v + 16's nibbles of
// table 4s + k), but each nibble is looked up once for every query of the pass, in the
// centroids8 + 128 table (vpermb's 6-bit index: the table is repeated 4 times, so the other
// nibble's bits above the 4 do not matter), and each query then multiplies those unsigned bytes
// by its query8 dword with vpdpbusd (the 4 tables' bytes broadcast to every dword). The sums
// start at -128 * query8_sum to take the + 128 out again. Per zmm of codes: 4 shared
// instructions and 2 vpdpbusd per query, against 2 vpermb + 2 vpdpbusd per query for tables.
template <int kQueries>
TQ_AVX512_VBMI inline void StepProductsVbmi(__m512i x, __m512i gather, __m512i centroids,
                                            const Pass& pass, int step,
                                            __m512i (&acc)[kQueries][2]) {
  const __m512i gathered = _mm512_permutexvar_epi8(gather, x);
  const __m512i lo = _mm512_permutexvar_epi8(gathered, centroids);
  const __m512i hi = _mm512_permutexvar_epi8(_mm512_srli_epi16(gathered, 4), centroids);
  for (int q = 0; q < kQueries; ++q) {
    int32_t four;  // query8 of tables 4 step .. 4 step + 3
    std::memcpy(&four, pass.query8[q] + 4 * step, sizeof(four));
    const __m512i weights = _mm512_set1_epi32(four);
    acc[q][0] = _mm512_dpbusd_epi32(acc[q][0], lo, weights);
    acc[q][1] = _mm512_dpbusd_epi32(acc[q][1], hi, weights);
  }
}

template <int kQueries>
TQ_AVX512_VBMI void ScanProductsVbmi(const uint8_t* first, size_t stride, int64_t num_blocks,
                                     int num_chunks, const Pass& pass) {
  const __m512i gather = _mm512_load_si512(kVbmi.gather);
  const __m512i centroids = _mm512_add_epi8(
      _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pass.centroids8))),
      _mm512_set1_epi8(static_cast<char>(0x80)));
  BlocksVbmi<kQueries>(first, stride, num_blocks, num_chunks, pass,
                       [&](__m512i x, int s, __m512i(&acc)[kQueries][2]) TQ_AVX512_VBMI {
                         StepProductsVbmi<kQueries>(x, gather, centroids, pass, s, acc);
                       });
}

#undef TQ_AVX512_VBMI

// kernel(std::integral_constant<int, q>{}) for q = queries, 1 <= queries <= kMax: the kernels'
// query counts are template arguments.
template <int kMax, typename Kernel>
void WithQueryCount(int queries, Kernel&& kernel) {
  if constexpr (kMax > 1) {
    if (queries < kMax) return WithQueryCount<kMax - 1>(queries, kernel);
  }
  kernel(std::integral_constant<int, kMax>{});
}

// The kProducts form: the VNNI kernel where the level has it, else the scalar one (other
// levels never get kProducts tables from PreferredLutForm; tests force them).
void ScanProductsPass(SimdLevel level, const uint8_t* first, size_t stride, int64_t num_blocks,
                      int num_chunks, const Pass& pass, int queries) {
  if (level != SimdLevel::kAvx512Vbmi) {
    for (int q = 0; q < queries; ++q) {
      ScanProductsScalar(first, stride, num_blocks, num_chunks, pass.query8[q], pass.centroids8,
                         pass.out[q]);
    }
    return;
  }
  WithQueryCount<kMaxAvx512VbmiQueries>(queries, [&](auto q) {
    ScanProductsVbmi<decltype(q)::value>(first, stride, num_blocks, num_chunks, pass);
  });
}

void ScanPass(SimdLevel level, const uint8_t* first, size_t stride, int64_t num_blocks,
              int num_chunks, const Pass& pass, int queries) {
  switch (level) {
    case SimdLevel::kAvx512Vbmi:
      return WithQueryCount<kMaxAvx512VbmiQueries>(queries, [&](auto q) {
        ScanAvx512Vbmi<decltype(q)::value>(first, stride, num_blocks, num_chunks, pass);
      });
    case SimdLevel::kAvx512:
      return WithQueryCount<kMaxAvx512Queries>(queries, [&](auto q) {
        ScanAvx512<decltype(q)::value>(first, stride, num_blocks, num_chunks, pass);
      });
    case SimdLevel::kAvx2:
      if (queries == 2) return ScanAvx2<2>(first, stride, num_blocks, num_chunks, pass);
      return ScanAvx2<1>(first, stride, num_blocks, num_chunks, pass);
    case SimdLevel::kScalar:
      for (int q = 0; q < queries; ++q) {
        ScanScalar(first, stride, num_blocks, num_chunks, pass.lut[q], pass.out[q]);
      }
      return;
  }
}

int MaxQueriesPerPass(SimdLevel level, LutForm form) {
  if (form == LutForm::kProducts) {
    return level == SimdLevel::kAvx512Vbmi ? kMaxAvx512VbmiQueries : 1;
  }
  switch (level) {
    case SimdLevel::kAvx512Vbmi:
      return kMaxAvx512VbmiQueries;
    case SimdLevel::kAvx512:
      return kMaxAvx512Queries;
    case SimdLevel::kAvx2:
      return kMaxAvx2Queries;
    case SimdLevel::kScalar:
      return 1;
  }
  return 1;
}

void CheckArguments(const BlockLayout& layout, size_t block_stride_bytes, const QuantizedLut& lut,
                    LutForm form) {
  assert(lut.form == form);  // one form per call
  assert(lut.num_tables == layout.num_tables());
  if (lut.form == LutForm::kProducts) {
    assert(layout.bits() == 4);
    assert(lut.query8.size() >= static_cast<size_t>(lut.num_tables));
    assert(lut.query8.size() % 64 == 0);
  } else {
    assert(lut.tables.size() >= static_cast<size_t>(kTableEntries) * lut.num_tables);
    assert(lut.tables.size() % 64 == 0);
  }
  assert(block_stride_bytes >= static_cast<size_t>(layout.code_bytes_per_block()));
  (void)layout, (void)block_stride_bytes, (void)lut, (void)form;
}

}  // namespace

void ScanBlocksMultiAt(SimdLevel level, const BlockLayout& layout, const uint8_t* first_block_codes,
                       size_t block_stride_bytes, int64_t num_blocks,
                       std::span<const QuantizedLut* const> luts, uint32_t* const* out) {
  if (num_blocks <= 0 || luts.empty()) return;
  const LutForm form = luts[0]->form;
  const int per_pass = MaxQueriesPerPass(level, form);
  for (size_t q0 = 0; q0 < luts.size(); q0 += per_pass) {
    const int queries = static_cast<int>(std::min<size_t>(per_pass, luts.size() - q0));
    Pass pass;
    for (int q = 0; q < queries; ++q) {
      const QuantizedLut& lut = *luts[q0 + q];
      CheckArguments(layout, block_stride_bytes, lut, form);
      pass.lut[q] = lut.tables.data();
      pass.query8[q] = lut.query8.data();
      pass.init[q] = -128 * lut.query8_sum;
      pass.out[q] = out[q0 + q];
    }
    pass.centroids8 = luts[q0]->centroids8;
    for (int q = 1; q < queries; ++q) {  // one codebook per layout
      assert(std::memcmp(luts[q0 + q]->centroids8, pass.centroids8, kTableEntries) == 0);
    }
    if (form == LutForm::kProducts) {
      ScanProductsPass(level, first_block_codes, block_stride_bytes, num_blocks,
                       layout.num_chunks(), pass, queries);
    } else {
      ScanPass(level, first_block_codes, block_stride_bytes, num_blocks, layout.num_chunks(), pass,
               queries);
    }
  }
}

void ScanBlocksMulti(const BlockLayout& layout, const uint8_t* first_block_codes,
                     size_t block_stride_bytes, int64_t num_blocks,
                     std::span<const QuantizedLut* const> luts, uint32_t* const* out) {
  ScanBlocksMultiAt(ActiveSimdLevel(), layout, first_block_codes, block_stride_bytes, num_blocks,
                    luts, out);
}

void ScanBlocksAt(SimdLevel level, const BlockLayout& layout, const uint8_t* first_block_codes,
                  size_t block_stride_bytes, int64_t num_blocks, const QuantizedLut& lut,
                  uint32_t* out) {
  const QuantizedLut* luts[1] = {&lut};
  ScanBlocksMultiAt(level, layout, first_block_codes, block_stride_bytes, num_blocks, luts, &out);
}

void ScanBlocks(const BlockLayout& layout, const uint8_t* first_block_codes,
                size_t block_stride_bytes, int64_t num_blocks, const QuantizedLut& lut,
                uint32_t* out) {
  ScanBlocksAt(ActiveSimdLevel(), layout, first_block_codes, block_stride_bytes, num_blocks, lut,
               out);
}

}  // namespace tq
