// The 1-bit Quantized Johnson-Lindenstrauss transform of the `prod` variant: keep sign(S r)
// and |r|; <q, r> is estimated without bias by scale * |r| * <S q, sign(S r)>.
#ifndef TQ_ENGINE_QJL_H_
#define TQ_ENGINE_QJL_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/rotation.h"

namespace tq {

// kGaussian: the paper's S with i.i.d. N(0, 1) entries, scale sqrt(pi/2) / d.
// kOrthogonal: S a random rotation (rows uniform on the sphere), scale 1 / (d E|t|) with
// E|t| = 2 C_d / (d - 1) the mean |coordinate| under f_d (about sqrt(pi/2) / sqrt(d)).
enum class QjlTransform { kGaussian, kOrthogonal };

std::string_view QjlTransformName(QjlTransform transform);
absl::StatusOr<QjlTransform> ParseQjlTransform(std::string_view name);

class Qjl {
 public:
  // `rotation` picks the orthogonal S (haar or fast); the seed must differ from the main
  // rotation's (TurboQuantizer derives it).
  static absl::StatusOr<std::unique_ptr<Qjl>> Create(QjlTransform transform, int dim,
                                                     RotationKind rotation, uint64_t seed);

  QjlTransform transform() const { return transform_; }
  int dim() const { return dim_; }
  float scale() const { return scale_; }

  // out = S x for n row vectors.
  void Project(const float* in, int64_t n, float* out) const;
  // out = S^T z for n row vectors (used to decode).
  void ProjectTransposed(const float* in, int64_t n, float* out) const;

 private:
  Qjl(QjlTransform transform, int dim) : transform_(transform), dim_(dim) {}

  QjlTransform transform_;
  int dim_;
  float scale_ = 0;
  std::unique_ptr<Rotation> rotation_;  // kOrthogonal
  std::vector<float> gaussian_;         // kGaussian: S row-major
  std::vector<float> gaussian_t_;       // kGaussian: S^T row-major
};

}  // namespace tq

#endif  // TQ_ENGINE_QJL_H_
