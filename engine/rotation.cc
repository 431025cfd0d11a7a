// Names and the factory for the rotation kinds.
#include "engine/rotation.h"

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "engine/fast_rotation.h"
#include "engine/haar_rotation.h"

namespace tq {

std::string_view RotationKindName(RotationKind kind) {
  return kind == RotationKind::kHaar ? "haar" : "fast";
}

absl::StatusOr<RotationKind> ParseRotationKind(std::string_view name) {
  if (name == "haar") return RotationKind::kHaar;
  if (name == "fast") return RotationKind::kFast;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown rotation '", std::string(name), "' (expected haar or fast)"));
}

absl::StatusOr<std::unique_ptr<Rotation>> MakeRotation(RotationKind kind, int dim, uint64_t seed) {
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("rotation: dimension ", dim, " < 1"));
  // A dense d x d float matrix (two copies) beyond 16384 would be over 2 GB.
  if (kind == RotationKind::kHaar && dim > 16384) {
    return absl::InvalidArgumentError(
        absl::StrCat("haar rotation: dimension ", dim, " > 16384; use the fast rotation"));
  }
  if (kind == RotationKind::kHaar) return std::make_unique<HaarRotation>(dim, seed);
  return std::make_unique<FastRotation>(dim, seed);
}

absl::StatusOr<std::shared_ptr<const Rotation>> SharedRotation(RotationKind kind, int dim,
                                                               uint64_t seed) {
  using Key = std::tuple<RotationKind, int, uint64_t>;
  static std::mutex mutex;
  static auto* cache = new std::map<Key, std::weak_ptr<const Rotation>>();
  const Key key{kind, dim, seed};
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache->find(key); it != cache->end()) {
      if (std::shared_ptr<const Rotation> alive = it->second.lock()) return alive;
    }
  }
  // Built outside the lock; a racing builder makes an identical rotation, and either is fine.
  absl::StatusOr<std::unique_ptr<Rotation>> made = MakeRotation(kind, dim, seed);
  if (!made.ok()) return made.status();
  std::shared_ptr<const Rotation> shared = *std::move(made);
  std::lock_guard<std::mutex> lock(mutex);
  (*cache)[key] = shared;
  return shared;
}

}  // namespace tq
