// Random orthogonal transforms P fixed by (kind, dim, seed): after y = P u every coordinate of
// a unit vector u follows f_d. `haar` is the paper's dense rotation, `fast` an O(d log d) one.
#ifndef TQ_ENGINE_ROTATION_H_
#define TQ_ENGINE_ROTATION_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"

namespace tq {

enum class RotationKind { kHaar, kFast };

std::string_view RotationKindName(RotationKind kind);
absl::StatusOr<RotationKind> ParseRotationKind(std::string_view name);

class Rotation {
 public:
  virtual ~Rotation() = default;

  int dim() const { return dim_; }
  uint64_t seed() const { return seed_; }
  virtual RotationKind kind() const = 0;

  // out = P x for n vectors of dim() floats, row-major. `in` and `out` must not alias.
  virtual void Apply(const float* in, int64_t n, float* out) const = 0;
  // out = P^T x = P^-1 x.
  virtual void ApplyInverse(const float* in, int64_t n, float* out) const = 0;

 protected:
  Rotation(int dim, uint64_t seed) : dim_(dim), seed_(seed) {}

 private:
  int dim_;
  uint64_t seed_;
};

// The same (kind, dim, seed) gives the same P on every machine. `haar` costs O(d^3) to build
// (about a second at d = 1536) and O(d^2) per vector; `fast` is instant and O(d log d).
absl::StatusOr<std::unique_ptr<Rotation>> MakeRotation(RotationKind kind, int dim, uint64_t seed);

// The same rotation, shared: while any holder keeps it alive, asking again for the same
// (kind, dim, seed) returns it instead of building another (a haar matrix at d = 1536 is
// 19 MB and a second to build). Thread-safe.
absl::StatusOr<std::shared_ptr<const Rotation>> SharedRotation(RotationKind kind, int dim,
                                                               uint64_t seed);

}  // namespace tq

#endif  // TQ_ENGINE_ROTATION_H_
