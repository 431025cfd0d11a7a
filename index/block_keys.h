// The scan's approximate keys of blocks' lanes, from the ScanBlocks sums and the blocks'
// per-vector floats, and the candidates among them: the live lanes that reach the reservoir's
// threshold, packed into a list. The per-block work after the lookups, in SIMD (scalar, AVX2,
// AVX-512) with the same float operations in the same order at every level, so every level keeps
// the same candidates.
#ifndef TQ_INDEX_BLOCK_KEYS_H_
#define TQ_INDEX_BLOCK_KEYS_H_

#include <cstddef>
#include <cstdint>

#include "engine/block_layout.h"
#include "engine/simd_level.h"

namespace tq {

// What one query contributes; the same for every block.
struct KeyTerms {
  // Each scanned part's sums become a * sum + c (QuantizedLut::Estimate). Absent parts have
  // null sums in BlockKeyInputs.
  float mse_a = 0, mse_c = 0;
  float upper_a = 0, upper_c = 0;
  float qjl_a = 0, qjl_c = 0;
  float qjl_scale = 0;  // prod: the QJL estimator's constant
  float offset = 0;     // <q, mu> under centering (ip/cosine), else 0
  bool l2 = false;      // key = 2 key - |x - mu|^2
};

// Where the inputs of the first of `count` consecutive blocks are; block i's sums start 32 i
// further on, and its columns and live mask stride bytes further on. Null pointers are absent
// terms.
struct BlockKeyInputs {
  const uint32_t* mse_sums = nullptr;    // 32 sums per block of the Lloyd-Max part
  const uint32_t* upper_sums = nullptr;  // non-integer rates: the (b + 1)-bit part
  const uint32_t* qjl_sums = nullptr;    // prod: the sign bits
  const float* residual = nullptr;       // prod: |r| per lane (needed with qjl_sums)
  const float* scale = nullptr;          // always: BlockColumn::kScale
  const float* mean_dots = nullptr;      // ip/cosine, query nearer mu: <mu, x - mu> per lane
  const float* squared = nullptr;        // l2: |x - mu|^2 per lane (needed when terms.l2)
  const uint8_t* live = nullptr;         // the block's uint32 live mask (bit l = lane l); null: all
  size_t stride = 0;                     // bytes from one block's columns to the next's
};

// Room the outputs need past 32 count entries (whole-register stores).
inline constexpr int64_t kBlockCandidatesSlack = 16;

// The candidates of blocks i < count: each live lane l of block i whose key
//   key = (mse + upper + qjl_scale * residual * qjl) * scale       (each part a * sum + c)
//         + (mean_dots + offset)   or   + offset when offset != 0 and mean_dots is null,
//   then, under l2, 2 key - squared
// (each a * sum + c, the qjl product's addition and the multiplication by the scale with what
// is added to it are fused multiply-adds, rounded once: two to four operations per lane fewer)
// reaches `threshold` (NaN keys never do), in block then lane order: keys[c] = its key,
// lanes[c] = 32 i + l. Returns their number; keys and lanes hold 32 count + kBlockCandidatesSlack.
// At `level` <= DetectedSimdLevel() (the scan passes the active one; tests every one).
int64_t BlockCandidatesAt(SimdLevel level, const KeyTerms& terms, const BlockKeyInputs& in,
                          int64_t count, float threshold, float* keys, uint32_t* lanes);

}  // namespace tq

#endif  // TQ_INDEX_BLOCK_KEYS_H_
