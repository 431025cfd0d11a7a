// The paper's rotation: Q of the QR decomposition of a d x d standard Gaussian matrix, with
// the sign fix that makes R's diagonal positive, so that Q is exactly Haar-distributed.
#ifndef TQ_ENGINE_HAAR_ROTATION_H_
#define TQ_ENGINE_HAAR_ROTATION_H_

#include <vector>

#include "engine/rotation.h"

namespace tq {

class HaarRotation final : public Rotation {
 public:
  HaarRotation(int dim, uint64_t seed);

  RotationKind kind() const override { return RotationKind::kHaar; }
  void Apply(const float* in, int64_t n, float* out) const override;
  void ApplyInverse(const float* in, int64_t n, float* out) const override;

  // P row-major (P[r * d + c]), for tests.
  const std::vector<float>& matrix() const { return matrix_; }

 private:
  std::vector<float> matrix_;      // P
  std::vector<float> transposed_;  // P^T: y = P u is the product u^T P^T for row vectors
};

// Q with positive-diagonal R from a d x d Gaussian matrix drawn from `seed`, in double,
// row-major. Exposed for tests of orthogonality and the sign fix.
std::vector<double> HaarOrthogonalMatrix(int dim, uint64_t seed);

}  // namespace tq

#endif  // TQ_ENGINE_HAAR_ROTATION_H_
