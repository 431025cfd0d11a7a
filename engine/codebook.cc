// Lloyd-Max iteration on f_d with exact first moments and integrated masses, plus a cache.
// Symmetry halves the work: only the positive levels are iterated.
#include "engine/codebook.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/sphere_density.h"

namespace tq {
namespace {

// Positive centroids c_1 < ... < c_m of the symmetric Lloyd-Max quantizer (m = 2^(b-1)).
// Lloyd's fixed point: thresholds are midpoints, centroids are conditional means.
struct LloydResult {
  std::vector<double> positive;
  int iterations = 0;
};

LloydResult RunLloyd(const SphereDensity& density, int levels_per_side) {
  const int m = levels_per_side;
  const double sigma = 1.0 / std::sqrt(static_cast<double>(density.dim()));
  // Start from evenly spaced levels over +-2.5 sigma (close to the Gaussian solution),
  // kept inside the support for small d.
  const double spread = std::min(0.95, 2.5 * sigma);
  std::vector<double> c(m);
  for (int k = 0; k < m; ++k) c[k] = (k + 0.5) * spread / m;
  std::vector<double> edges(m + 1);
  LloydResult result;
  double smallest_step = HUGE_VAL;
  int steps_without_progress = 0;
  // Convergence is linear; b = 4 needs about 700 steps, the cap is a safety net.
  constexpr int kMaxIterations = 200000;
  constexpr double kTolerance = 1e-12;  // in units of sigma; the masses are good to ~1e-15
  for (int it = 1; it <= kMaxIterations; ++it) {
    edges[0] = 0.0;
    for (int k = 1; k < m; ++k) edges[k] = 0.5 * (c[k - 1] + c[k]);
    edges[m] = 1.0;
    double max_step = 0.0;
    for (int k = 0; k < m; ++k) {
      const double mass = density.Mass(edges[k], edges[k + 1]);
      // An empty cell (mass 0 in double) keeps its centroid at the cell's middle.
      // Rounding in a nearly empty far-tail cell must not push a level out of its cell.
      const double next =
          mass > 0 ? std::clamp(density.FirstMoment(edges[k], edges[k + 1]) / mass, edges[k],
                                edges[k + 1])
                   : 0.5 * (edges[k] + edges[k + 1]);
      max_step = std::max(max_step, std::abs(next - c[k]));
      c[k] = next;
    }
    result.iterations = it;
    if (max_step < kTolerance * sigma) break;
    // For very large d the masses' rounding noise can exceed the tolerance: once the steps
    // stop shrinking for 100 iterations, the iteration has reached that floor.
    if (max_step < smallest_step) {
      smallest_step = max_step;
      steps_without_progress = 0;
    } else if (++steps_without_progress > 100) {
      break;
    }
  }
  result.positive = std::move(c);
  return result;
}

}  // namespace

absl::StatusOr<Codebook> Codebook::Compute(int dim, int bits) {
  if (dim < 2) {
    return absl::InvalidArgumentError(absl::StrCat("codebook: dimension ", dim, " < 2"));
  }
  if (bits < kMinCodebookBits || bits > kMaxCodebookBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("codebook: bits ", bits, " outside [1, ", kMaxCodebookBits, "]"));
  }
  const SphereDensity density(dim);
  const int m = 1 << (bits - 1);
  LloydResult lloyd = RunLloyd(density, m);

  Codebook book;
  book.dim_ = dim;
  book.bits_ = bits;
  book.iterations_ = lloyd.iterations;
  const int levels = 2 * m;
  book.centroids_f64_.resize(levels);
  for (int k = 0; k < m; ++k) {
    book.centroids_f64_[m + k] = lloyd.positive[k];
    book.centroids_f64_[m - 1 - k] = -lloyd.positive[k];
  }
  book.boundaries_f64_.resize(levels - 1);
  for (int k = 0; k + 1 < levels; ++k) {
    book.boundaries_f64_[k] = 0.5 * (book.centroids_f64_[k] + book.centroids_f64_[k + 1]);
  }
  book.centroids_.assign(book.centroids_f64_.begin(), book.centroids_f64_.end());
  book.boundaries_.assign(book.boundaries_f64_.begin(), book.boundaries_f64_.end());

  // Per coordinate, E[(T - Q(T))^2] = E[T^2] - sum_k mass_k c_k^2 at the centroid condition,
  // and E[T^2] = 1/d exactly; times d coordinates.
  double explained = 0.0;
  for (int k = 0; k < levels; ++k) {
    const double lo = k == 0 ? -1.0 : book.boundaries_f64_[k - 1];
    const double hi = k + 1 == levels ? 1.0 : book.boundaries_f64_[k];
    explained += density.Mass(lo, hi) * book.centroids_f64_[k] * book.centroids_f64_[k];
  }
  book.expected_distortion_ = dim * (1.0 / dim - explained);
  return book;
}

absl::StatusOr<std::shared_ptr<const Codebook>> Codebook::Get(int dim, int bits) {
  static std::mutex mutex;
  static auto* cache = new std::map<std::pair<int, int>, std::shared_ptr<const Codebook>>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache->find({dim, bits});
    if (it != cache->end()) return it->second;
  }
  // Computed outside the lock: two threads may both compute, and the results are identical.
  absl::StatusOr<Codebook> book = Compute(dim, bits);
  if (!book.ok()) return book.status();
  auto shared = std::make_shared<const Codebook>(std::move(*book));
  std::lock_guard<std::mutex> lock(mutex);
  return cache->emplace(std::make_pair(dim, bits), std::move(shared)).first->second;
}

}  // namespace tq
