// Householder QR in double of a seeded Gaussian matrix, then Q formed explicitly. Columns are
// stored as contiguous rows so both the reflections and their dot products stream memory.
#include "engine/haar_rotation.h"

#include <cmath>

#include "engine/matmul.h"
#include "engine/random.h"

namespace tq {
namespace {

// Fixed-order sum with four partial sums: deterministic across machines and compilers
// (the build disables FMA contraction), yet not latency-bound.
double Dot(const double* a, const double* b, int n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

// w[0..n) -= 2 (v . w) v for a unit vector v.
void Reflect(const double* v, double* w, int n) {
  const double scale = 2.0 * Dot(v, w, n);
  for (int i = 0; i < n; ++i) w[i] -= scale * v[i];
}

}  // namespace

std::vector<double> HaarOrthogonalMatrix(int dim, uint64_t seed) {
  const int d = dim;
  const size_t dd = static_cast<size_t>(d) * d;
  // columns[j * d + i] = A[i][j]: Gaussian entries drawn row by row of A.
  std::vector<double> columns(dd);
  Rng rng(seed);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) columns[static_cast<size_t>(j) * d + i] = rng.NextGaussian();

  // reflectors[k * d + k ..] holds the unit Householder vector of step k.
  std::vector<double> reflectors(dd, 0.0);
  std::vector<double> diagonal_sign(d, 1.0);
  for (int k = 0; k < d; ++k) {
    double* x = &columns[static_cast<size_t>(k) * d + k];
    const int len = d - k;
    const double norm = std::sqrt(Dot(x, x, len));
    double* v = &reflectors[static_cast<size_t>(k) * d + k];
    if (norm == 0.0) continue;  // probability zero; the identity reflector keeps Q orthogonal
    // R_kk = alpha = -sign(x0) |x| avoids cancellation in v0 = x0 - alpha.
    const double alpha = x[0] >= 0 ? -norm : norm;
    diagonal_sign[k] = alpha >= 0 ? 1.0 : -1.0;
    for (int i = 0; i < len; ++i) v[i] = x[i];
    v[0] -= alpha;
    const double v_norm = std::sqrt(Dot(v, v, len));
    for (int i = 0; i < len; ++i) v[i] /= v_norm;
    // Threads only pay off for big steps: a parallel region per step costs microseconds,
    // and far more when the cores are shared.
    const int64_t work = static_cast<int64_t>(len) * (d - k - 1);
#pragma omp parallel for schedule(static) if (work > (1 << 18))
    for (int j = k + 1; j < d; ++j) Reflect(v, &columns[static_cast<size_t>(j) * d + k], len);
  }

  // Column j of Q = H_0 H_1 ... H_{d-1} e_j, times sign(R_jj) (the sign fix).
  std::vector<double> q(dd);
#pragma omp parallel for schedule(dynamic, 8) if (d >= 256)
  for (int j = 0; j < d; ++j) {
    std::vector<double> w(d, 0.0);
    w[j] = 1.0;
    for (int k = d - 1; k >= 0; --k) {
      Reflect(&reflectors[static_cast<size_t>(k) * d + k], &w[k], d - k);
    }
    for (int i = 0; i < d; ++i) q[static_cast<size_t>(i) * d + j] = w[i] * diagonal_sign[j];
  }
  return q;
}

HaarRotation::HaarRotation(int dim, uint64_t seed) : Rotation(dim, seed) {
  const std::vector<double> q = HaarOrthogonalMatrix(dim, seed);
  const size_t d = dim;
  matrix_.resize(d * d);
  transposed_.resize(d * d);
  for (size_t r = 0; r < d; ++r) {
    for (size_t c = 0; c < d; ++c) {
      matrix_[r * d + c] = static_cast<float>(q[r * d + c]);
      transposed_[c * d + r] = static_cast<float>(q[r * d + c]);
    }
  }
}

void HaarRotation::Apply(const float* in, int64_t n, float* out) const {
  // Row vectors: y^T = u^T P^T.
  MatMul(in, n, dim(), transposed_.data(), dim(), out);
}

void HaarRotation::ApplyInverse(const float* in, int64_t n, float* out) const {
  MatMul(in, n, dim(), matrix_.data(), dim(), out);
}

}  // namespace tq
