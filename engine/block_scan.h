// The fast-scan kernel: sums of uint8 table entries over every nibble group of every vector of
// many blocks, with a scalar reference and AVX2 / AVX-512BW versions that give identical sums.
#ifndef TQ_ENGINE_BLOCK_SCAN_H_
#define TQ_ENGINE_BLOCK_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/block_layout.h"
#include "engine/lookup_table.h"
#include "engine/simd_level.h"

namespace tq {

// For blocks i = 0 .. num_blocks - 1, whose code areas start at
// first_block_codes + i * block_stride_bytes (stride >= layout.code_bytes_per_block(), no
// alignment needed), writes, with n = nibble(block i, t, lane),
//   out[32 i + lane] = sum over tables t of lut.tables[16 t + n]            (LutForm::kTables)
//   out[32 i + lane] = sum over tables t of lut.query8[t] * lut.centroids8[n]   (kProducts, as int32)
// exactly (integer sums, the same at every SIMD level). lut must be built for `layout`.
// lut.Estimate(out[k]) approximates <q', y_hat> of that vector. Lanes past a partial block's
// count hold zero codes and get a meaningless sum: the caller masks them.
// Tip: call it on a few blocks at a time so that `out` stays in L1 (128 bytes per block).
void ScanBlocks(const BlockLayout& layout, const uint8_t* first_block_codes,
                size_t block_stride_bytes, int64_t num_blocks, const QuantizedLut& lut,
                uint32_t* out);

// The same at a forced level (tests and benchmarks; the level must be <= DetectedSimdLevel()).
void ScanBlocksAt(SimdLevel level, const BlockLayout& layout, const uint8_t* first_block_codes,
                  size_t block_stride_bytes, int64_t num_blocks, const QuantizedLut& lut,
                  uint32_t* out);

// Several queries in one pass over the codes: out[q][32 i + lane] is exactly what ScanBlocks
// gives for luts[q]. Each code load serves up to 8 queries (AVX-512 VBMI; 4 for AVX-512, 2 for
// AVX2), which saves memory bandwidth when the codes come from DRAM or L3; larger batches take
// several passes. Every lut of one call has the same form (and, for kProducts, codebook).
void ScanBlocksMulti(const BlockLayout& layout, const uint8_t* first_block_codes,
                     size_t block_stride_bytes, int64_t num_blocks,
                     std::span<const QuantizedLut* const> luts, uint32_t* const* out);
void ScanBlocksMultiAt(SimdLevel level, const BlockLayout& layout, const uint8_t* first_block_codes,
                       size_t block_stride_bytes, int64_t num_blocks,
                       std::span<const QuantizedLut* const> luts, uint32_t* const* out);

}  // namespace tq

#endif  // TQ_ENGINE_BLOCK_SCAN_H_
