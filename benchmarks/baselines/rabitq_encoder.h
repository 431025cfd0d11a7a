// RaBitQ's codes: the B-bit grid codeword of maximal cosine with a rotated vector (Extended
// RaBitQ's critical-value sweep), its bit-plane layout, and the lookup-table scan kernel.
#ifndef TQ_BENCHMARKS_BASELINES_RABITQ_ENCODER_H_
#define TQ_BENCHMARKS_BASELINES_RABITQ_ENCODER_H_

#include <cstdint>

namespace tq::baselines {

inline constexpr int kRabitqMaxBits = 8;

// The codebook of B-bit (Extended) RaBitQ (Gao et al. SIGMOD 2025): the shifted grid
// y_j = u_j - (2^B - 1) / 2 with unsigned u_j in 0 .. 2^B - 1, directions y / |y| (then rotated).
// B = 1 is the original RaBitQ codebook {-1/2, +1/2}^D ~ {+-1/sqrt(D)}^D (Gao & Long SIGMOD 2024).
inline double RabitqGridOffset(int bits) { return ((1 << bits) - 1) / 2.0; }

// Writes to levels[0 .. dim) the u_j of the grid point y whose direction has the largest cosine
// with x, and returns <y, x> (y unnormalised; > 0 unless x is zero, then 0). Exact: the best
// codeword is the rounding of t |x| for some scale t > 0, so the sweep visits every critical t
// at which a coordinate's rounding changes, at most dim * (2^(B-1) - 1) of them, in increasing
// order (the paper's critical-value enumeration; O(dim log dim + dim 2^B B) here). bits in
// 1 .. kRabitqMaxBits; at 1 bit it is just the signs. Allocates its own scratch.
double QuantizeToRabitqGrid(const float* x, int dim, int bits, uint8_t* levels);

// A code is `bits` bit planes of RabitqPlaneBytes(dim) bytes each: plane p holds bit p of every
// u_j, coordinate j at bit j % 8 of byte j / 8 (LSB first); bits past dim are zero. At 1 bit it
// is the sign bitmap of the paper.
inline int RabitqPlaneBytes(int dim) { return (dim + 7) / 8; }
void PackRabitqPlanes(const uint8_t* levels, int dim, int bits, uint8_t* code);
void UnpackRabitqPlanes(const uint8_t* code, int dim, int bits, uint8_t* levels);

// Per query: lut[g * 256 + v] = sum of q[8g + j] over the set bits j of v, for g < plane bytes
// (q is read only below dim: coordinates past it count as zero). lut holds
// RabitqPlaneBytes(dim) * 256 floats.
void BuildRabitqLut(const float* q, int dim, float* lut);

// dots[i] = <u_i, q> = sum_p 2^p sum_g lut[g][plane_p[g]] for n codes stored back to back
// (code i at codes + i * bits * plane_bytes). Scalar; exact up to float rounding.
void ScanRabitqCodes(const float* lut, const uint8_t* codes, int64_t n, int plane_bytes, int bits,
                     float* dots);

}  // namespace tq::baselines

#endif  // TQ_BENCHMARKS_BASELINES_RABITQ_ENCODER_H_
