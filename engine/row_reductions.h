// Reductions over rows of floats: the index's input checks and the rescoring's per-candidate
// sums (Encode's own row passes are in encode_rows.h). The tests (finite, zero, max |x|) are bit
// operations with integer or/max, which the compiler vectorises (their order does not matter,
// unlike a float sum's). RowSums keeps each row's serial float order, as the exact estimator
// (TurboQuantizer::EstimateInnerProduct) adds.
#ifndef TQ_ENGINE_ROW_REDUCTIONS_H_
#define TQ_ENGINE_ROW_REDUCTIONS_H_

#include <cstdint>
#include <cstring>

namespace tq {

// Whether none of x[0..n) is NaN or infinite.
inline bool AllFinite(const float* x, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof(bits));
    bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);  // exponent all ones
  }
  return bad == 0;
}

// Whether every x[0..n) is +0 or -0.
inline bool AllZero(const float* x, int64_t n) {
  uint32_t any = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof(bits));
    any |= bits & 0x7fffffffu;
  }
  return any == 0;
}

// max |x_i| (0 for n = 0); x must be finite. On the bits: without the sign, finite floats
// order as unsigned integers, whose max the compiler vectorises (a float max it may not reorder).
inline float MaxAbs(const float* x, int64_t n) {
  uint32_t largest = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof(bits));
    bits &= 0x7fffffffu;
    largest = bits > largest ? bits : largest;
  }
  float value;
  std::memcpy(&value, &largest, sizeof(value));
  return value;
}

// Per-row double sums, each in its own row's coordinate order (the same bits as the serial
// loop `sum += term(r, j)` for j = 0..d-1), with eight rows interleaved so that their
// additions overlap instead of each waiting ~4 cycles on the previous one.
template <class Term>
void RowSums(int64_t rows, int d, const Term& term, double* out) {
  constexpr int kInterleave = 8;
  int64_t r0 = 0;
  for (; r0 + kInterleave <= rows; r0 += kInterleave) {
    double sum[kInterleave] = {};
    for (int j = 0; j < d; ++j) {
      for (int k = 0; k < kInterleave; ++k) sum[k] += term(r0 + k, j);
    }
    for (int k = 0; k < kInterleave; ++k) out[r0 + k] = sum[k];
  }
  for (; r0 < rows; ++r0) {
    double sum = 0.0;
    for (int j = 0; j < d; ++j) sum += term(r0, j);
    out[r0] = sum;
  }
}

}  // namespace tq

#endif  // TQ_ENGINE_ROW_REDUCTIONS_H_
