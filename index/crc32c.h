// CRC32C (Castagnoli), the checksum of every section of an index file: the SSE4.2 crc32
// instruction when the CPU has it (picked at run time), a table-driven fallback otherwise.
#ifndef TQ_INDEX_CRC32C_H_
#define TQ_INDEX_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace tq {

// Extends `crc` (0 for a fresh checksum) with `size` bytes, so a large section can be
// checksummed in pieces: Crc32c(Crc32c(0, a, n), b, m) == Crc32c(0, a|b, n + m).
uint32_t Crc32c(uint32_t crc, const void* data, size_t size);

// The portable table version, for tests that compare the two paths.
uint32_t Crc32cPortable(uint32_t crc, const void* data, size_t size);

}  // namespace tq

#endif  // TQ_INDEX_CRC32C_H_
