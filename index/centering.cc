// Mean estimation for IndexOptions::center = first-batch, and the subtraction at Add.
#include "index/centering.h"

#include <omp.h>

#include <algorithm>

namespace tq {

std::vector<float> EstimateMean(const float* x, int64_t n, int d) {
  const int64_t m = std::min(n, kMeanSampleRows);
  std::vector<float> mean(d, 0.0f);
  if (m < 2) return mean;  // one vector says nothing about the spread: no centering
  // Sums in double in row order, per column: exact enough, independent of threads, and
  // vectorisable (one running sum of all the squares waited on each addition).
  // Each thread takes a range of columns over all the sample rows, so a column's sums keep their
  // row order (serial, this was ~10% of adding a first batch of 10k vectors of d = 1536 on two
  // threads, one of them waiting).
  std::vector<double> sum(d, 0.0), column_squares(d, 0.0);
#pragma omp parallel if (m * d > 100'000)
  {
    const int threads = omp_get_num_threads();
    const int thread = omp_get_thread_num();
    const int j0 = static_cast<int>(static_cast<int64_t>(d) * thread / threads);
    const int j1 = static_cast<int>(static_cast<int64_t>(d) * (thread + 1) / threads);
    // The thread's own sums, copied out at the end: two threads' ranges share a cache line of
    // `sum` and one of `column_squares`, and writing them every row made two threads slower
    // than one at d = 100 (4096 rows: 0.5-0.8 ms on two, 0.2-0.3 on one; now 0.2 on two).
    std::vector<double> own_sum(j1 - j0, 0.0), own_squares(j1 - j0, 0.0);
    for (int64_t i = 0; i < m; ++i) {
      const float* row = x + MeanSampleRow(i, n, m) * d + j0;
      for (int j = 0; j < j1 - j0; ++j) {
        own_sum[j] += row[j];
        own_squares[j] += static_cast<double>(row[j]) * row[j];
      }
    }
    std::copy(own_sum.begin(), own_sum.end(), sum.begin() + j0);
    std::copy(own_squares.begin(), own_squares.end(), column_squares.begin() + j0);
  }
  double squares = 0.0;
  for (int j = 0; j < d; ++j) squares += column_squares[j];
  double mean_squared = 0.0;
  for (int j = 0; j < d; ++j) {
    sum[j] /= static_cast<double>(m);
    mean_squared += sum[j] * sum[j];
  }
  // sigma^2 = E|x - mu|^2, unbiased from the sample; the sample mean's error is sigma^2 / m.
  const double spread = std::max(0.0, squares / static_cast<double>(m) - mean_squared) *
                        static_cast<double>(m) / static_cast<double>(m - 1);
  if (mean_squared <= 0.0) return mean;
  const double shrink = std::max(0.0, 1.0 - spread / static_cast<double>(m) / mean_squared);
  for (int j = 0; j < d; ++j) mean[j] = static_cast<float>(shrink * sum[j]);
  return mean;
}

void SubtractMean(const float* x, int64_t n, int d, const float* mean, float* out) {
#pragma omp parallel for schedule(static) if (n > 1024)
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) out[i * d + j] = x[i * d + j] - mean[j];
  }
}

}  // namespace tq
