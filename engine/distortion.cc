// Distortion in blocks of vectors: decode in the rotated space, then all estimates of a block
// against all queries are one matrix product (<P q, z> = estimate, by DecodeRotated's contract).
#include "engine/distortion.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/matmul.h"

namespace tq {

absl::StatusOr<DistortionResult> MeasureDistortion(const TurboQuantizer& quantizer,
                                                   const float* vectors, int64_t n,
                                                   const float* queries, int64_t nq,
                                                   int threads) {
  const int d = quantizer.dim();
  if (n <= 0 || nq <= 0) return absl::InvalidArgumentError("distortion: no vectors or queries");
  std::vector<float> unit(vectors, vectors + n * d);
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int j = 0; j < d; ++j) sum += static_cast<double>(unit[i * d + j]) * unit[i * d + j];
    const float inverse = sum > 0 ? static_cast<float>(1.0 / std::sqrt(sum)) : 0.0f;
    for (int j = 0; j < d; ++j) unit[i * d + j] *= inverse;
  }
  EncodedVectors encoded;
  if (absl::Status s = quantizer.Encode(unit.data(), n, &encoded, threads); !s.ok()) return s;

  // Queries as columns: B matrices of the products below are d x nq.
  std::vector<float> rotated_queries(nq * d), queries_t(d * nq), rotated_t(d * nq);
  quantizer.rotation().Apply(queries, nq, rotated_queries.data());
  std::vector<double> query_norm2(nq, 0.0);
  for (int64_t q = 0; q < nq; ++q) {
    for (int j = 0; j < d; ++j) {
      queries_t[j * nq + q] = queries[q * d + j];
      rotated_t[j * nq + q] = rotated_queries[q * d + j];
      query_norm2[q] += static_cast<double>(queries[q * d + j]) * queries[q * d + j];
    }
  }

  constexpr int64_t kBlock = 1024;
  double mse_sum = 0, prod_sum = 0, cross = 0, true2 = 0;
  std::vector<float> decoded(kBlock * d), reconstructed(kBlock * d);
  std::vector<float> estimates(kBlock * nq), truths(kBlock * nq);
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    const int64_t rows = std::min(kBlock, n - begin);
    quantizer.DecodeRotated(encoded, begin, rows, decoded.data());
    quantizer.rotation().ApplyInverse(decoded.data(), rows, reconstructed.data());
    for (int64_t r = 0; r < rows * d; ++r) {
      const double e = static_cast<double>(unit[begin * d + r]) - reconstructed[r];
      mse_sum += e * e;
    }
    MatMul(decoded.data(), rows, d, rotated_t.data(), static_cast<int>(nq), estimates.data());
    MatMul(unit.data() + begin * d, rows, d, queries_t.data(), static_cast<int>(nq),
           truths.data());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t q = 0; q < nq; ++q) {
        const double est = estimates[r * nq + q];
        const double truth = truths[r * nq + q];
        if (query_norm2[q] > 0) prod_sum += (est - truth) * (est - truth) * d / query_norm2[q];
        cross += est * truth;
        true2 += truth * truth;
      }
    }
  }
  DistortionResult result;
  result.d_mse = mse_sum / n;
  result.pairs = n * nq;
  result.d_prod = prod_sum / result.pairs;
  result.ip_bias = true2 > 0 ? cross / true2 : 0.0;
  return result;
}

}  // namespace tq
