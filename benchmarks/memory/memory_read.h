// The memory-bandwidth ceiling that scan benchmarks report beside their own rate: a sum of
// uint64 words at the best SIMD level, so that only the memory system limits it.
#ifndef TQ_BENCHMARKS_MEMORY_MEMORY_READ_H_
#define TQ_BENCHMARKS_MEMORY_MEMORY_READ_H_

#include <cstddef>
#include <cstdint>

namespace tq {

// Sums n words (any n) with four independent vector accumulators.
uint64_t SumWords(const uint64_t* words, size_t n);

}  // namespace tq

#endif  // TQ_BENCHMARKS_MEMORY_MEMORY_READ_H_
