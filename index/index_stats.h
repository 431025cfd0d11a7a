// What an Index holds, counted honestly: every per-vector float is part of its bits per vector.
#ifndef TQ_INDEX_INDEX_STATS_H_
#define TQ_INDEX_INDEX_STATS_H_

#include <cstdint>

namespace tq {

struct IndexStats {
  int64_t size = 0;  // vectors stored, removed ones included until Compact()
  int64_t live = 0;  // vectors a search can return (Index::size())
  int64_t blocks = 0;
  // Bytes per vector of the codes in the block layout (padding to whole nibble groups and
  // chunks included) and of the per-vector floats: the scale (|x|, or |x| / <y, y_hat> for
  // corrected), the residual norm (prod) and |x|^2 (l2).
  int code_bytes_per_vector = 0;
  int floats_per_vector = 0;
  // 8 * code_bytes_per_vector + 32 * floats_per_vector.
  int64_t bits_per_vector = 0;
  int64_t code_bytes = 0;        // size * code_bytes_per_vector
  int64_t float_bytes = 0;       // size * 4 * floats_per_vector
  int64_t block_bytes = 0;       // blocks * block stride: codes, floats, live masks, alignment
  int64_t raw_vector_bytes = 0;  // kept vectors: size * dim * (4 or 2), else 0
  int64_t id_bytes = 0;          // size * 8
};

}  // namespace tq

#endif  // TQ_INDEX_INDEX_STATS_H_
