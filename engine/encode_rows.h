// Encode's passes over one row: centering with the squared norm and the mean dot (the squared
// norm also carries the row's checks: a non-finite value makes it infinite or NaN), scaling to
// unit length, and <y, y_hat> against the codebook. Their double sums follow one fixed order
// that SIMD can keep (below), so every SIMD level gives the scalar reference's bits.
//
// Why not each row's serial sum: a serial double sum waits ~4 cycles per coordinate on the
// previous addition, and needed rows interleaved eight at a time, transposed, to overlap; these
// passes then took ~18% of adding d = 1536 vectors (perf), in SSE2 code over 32-row buffers that
// spill out of L1.
#ifndef TQ_ENGINE_ENCODE_ROWS_H_
#define TQ_ENGINE_ENCODE_ROWS_H_

#include <cstdint>

#include "engine/simd_level.h"

namespace tq {

// The summation order: term j goes into partial sum j % kSumLanes (each partial adds its terms
// in coordinate order, from +0), and the 32 partials are added by SumPartials' fixed tree.
inline constexpr int kSumLanes = 32;

// ((p[k] + p[k+8]) + (p[k+16] + p[k+24])) = s[k] for k < 8, then
// ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)): four registers of eight doubles added
// lane-wise, then halved twice.
inline double SumPartials(const double* p) {
  double s[8];
  for (int k = 0; k < 8; ++k) s[k] = (p[k] + p[k + 8]) + (p[k + 16] + p[k + 24]);
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

struct RowSquares {
  double squared_norm = 0;  // sum of u_j^2
  double center_dot = 0;    // sum of center_j u_j; 0 without a center
};

// u = x - center, written to `u` (nothing is written without a center: u is x), with |u|^2 and
// <center, u> as double sums of the exact products in the order above.
RowSquares CenterRowAt(SimdLevel level, const float* x, const float* center, int d, float* u);

// out[j] = float(double(u[j]) * inverse); out may be u.
void ScaleRowAt(SimdLevel level, const float* u, double inverse, int d, float* out);

// sum_j y_j * table_j[index_j] in the order above, table_j = upper for j < m, else centroids;
// both have at most 32 entries (Lloyd-Max codebooks have at most 16) and every index is within
// its table.
double CodebookDotAt(SimdLevel level, const float* y, const uint8_t* index, int d, int m,
                     const float* upper, int upper_size, const float* centroids,
                     int centroids_size);

}  // namespace tq

#endif  // TQ_ENGINE_ENCODE_ROWS_H_
