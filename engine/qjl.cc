// QJL projections: a dense Gaussian matrix applied with MatMul, or an independent rotation.
#include "engine/qjl.h"

#include <cmath>
#include <numbers>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/matmul.h"
#include "engine/random.h"
#include "engine/sphere_density.h"

namespace tq {

std::string_view QjlTransformName(QjlTransform transform) {
  return transform == QjlTransform::kGaussian ? "gaussian" : "orthogonal";
}

absl::StatusOr<QjlTransform> ParseQjlTransform(std::string_view name) {
  if (name == "gaussian") return QjlTransform::kGaussian;
  if (name == "orthogonal") return QjlTransform::kOrthogonal;
  return absl::InvalidArgumentError(absl::StrCat("unknown QJL transform '", std::string(name),
                                                 "' (expected gaussian or orthogonal)"));
}

absl::StatusOr<std::unique_ptr<Qjl>> Qjl::Create(QjlTransform transform, int dim,
                                                 RotationKind rotation, uint64_t seed) {
  if (dim < 2) return absl::InvalidArgumentError(absl::StrCat("qjl: dimension ", dim, " < 2"));
  std::unique_ptr<Qjl> qjl(new Qjl(transform, dim));
  if (transform == QjlTransform::kGaussian) {
    const size_t d = dim;
    qjl->gaussian_.resize(d * d);
    qjl->gaussian_t_.resize(d * d);
    Rng rng(seed);
    for (size_t r = 0; r < d; ++r) {
      for (size_t c = 0; c < d; ++c) {
        const float g = static_cast<float>(rng.NextGaussian());
        qjl->gaussian_[r * d + c] = g;
        qjl->gaussian_t_[c * d + r] = g;
      }
    }
    // E[sign(<s, r>) <s, q>] = sqrt(2/pi) <r, q> / |r| for a Gaussian row s, over d rows.
    qjl->scale_ = static_cast<float>(std::sqrt(std::numbers::pi / 2) / dim);
  } else {
    absl::StatusOr<std::unique_ptr<Rotation>> made = MakeRotation(rotation, dim, seed);
    if (!made.ok()) return made.status();
    qjl->rotation_ = std::move(*made);
    // A unit row s uniform on the sphere gives E[sign(<s, r>) <s, q>] = E|t| <r, q> / |r|.
    qjl->scale_ = static_cast<float>(1.0 / (dim * SphereDensity(dim).MeanAbs()));
  }
  return qjl;
}

void Qjl::Project(const float* in, int64_t n, float* out) const {
  if (rotation_) return rotation_->Apply(in, n, out);
  MatMul(in, n, dim_, gaussian_t_.data(), dim_, out);  // rows: z^T = x^T S^T
}

void Qjl::ProjectTransposed(const float* in, int64_t n, float* out) const {
  if (rotation_) return rotation_->ApplyInverse(in, n, out);
  MatMul(in, n, dim_, gaussian_.data(), dim_, out);  // rows: x^T = z^T S
}

}  // namespace tq
