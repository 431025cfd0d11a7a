// Measures what the paper's Figure 3 plots: D_mse, D_prod and the inner-product bias of a
// quantizer on given vectors and queries. Shared by tq-bench distortion and the tests.
#ifndef TQ_ENGINE_DISTORTION_H_
#define TQ_ENGINE_DISTORTION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "engine/turbo_quantizer.h"

namespace tq {

struct DistortionResult {
  double d_mse = 0;    // mean |u - u_hat|^2 over the (unit) vectors
  double d_prod = 0;   // mean (est - <q, u>)^2 * d / |q|^2 over all vector x query pairs
  double ip_bias = 0;  // sum est * true / sum true^2: the slope of est on true (1 = unbiased)
  int64_t pairs = 0;
};

// `vectors` (n x d) are normalised here; `queries` (nq x d) are used as given. Every vector
// is paired with every query, so nq = 32 gives 32 n estimates with independent errors.
absl::StatusOr<DistortionResult> MeasureDistortion(const TurboQuantizer& quantizer,
                                                   const float* vectors, int64_t n,
                                                   const float* queries, int64_t nq,
                                                   int threads = 0);

}  // namespace tq

#endif  // TQ_ENGINE_DISTORTION_H_
