// The mean subtracted before quantization (IndexOptions::center): estimated once from the
// first batch added, then fixed for the life of the index.
#ifndef TQ_INDEX_CENTERING_H_
#define TQ_INDEX_CENTERING_H_

#include <cstdint>
#include <vector>

namespace tq {

// Rows of the first batch the mean is estimated from: the sample mean's own error adds
// sigma^2 / rows to every residual's squared length, 0.02% of it at this size.
inline constexpr int64_t kMeanSampleRows = 4096;

// Row i * n / m (i < m) of a batch of n: the sample, spread over the whole batch because files
// are often sorted (GloVe and word2vec by word frequency: their first rows are not typical).
inline int64_t MeanSampleRow(int64_t i, int64_t n, int64_t m) { return i * n / m; }

// The mean of m = min(n, kMeanSampleRows) rows spread over the batch (row-major n x d),
// shrunk toward zero by the positive-part James-Stein factor max(0, 1 - (sigma^2/m) / |mean|^2):
// subtracting a noisy mean adds its noise to every vector, so a batch too small to tell the
// common component from the spread (one vector: always) gets a smaller mean or none (zeros).
// Deterministic: the same rows give the same bits on every thread count.
std::vector<float> EstimateMean(const float* x, int64_t n, int d);

// out[i] = x[i] - mean for n rows of d values.
void SubtractMean(const float* x, int64_t n, int d, const float* mean, float* out);

}  // namespace tq

#endif  // TQ_INDEX_CENTERING_H_
