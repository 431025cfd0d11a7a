// Sweep over the critical scales in increasing order, updating <y, y_hat> and |y_hat|^2 in
// O(1) per step; the grid is symmetric, so only magnitudes move and signs follow y.
#include "engine/cosine_encoder.h"

#include <algorithm>
#include <cmath>

namespace tq {

CosineEncoder::CosineEncoder(const Codebook& codebook, float min_scale, float max_scale)
    : codebook_(codebook), min_scale_(min_scale), max_scale_(max_scale) {}

double CosineEncoder::Encode(const float* y, uint8_t* codes) {
  const int d = codebook_.dim();
  const int half = codebook_.size() / 2;  // positive levels c[half .. size-1]
  std::span<const double> c = codebook_.centroids_f64();
  std::span<const double> edge = codebook_.boundaries_f64();  // positive edges: edge[half..]
  level_.resize(d);
  events_.clear();

  // State at t = min_scale: every magnitude at its nearest level for t |y_j|.
  double dot = 0.0;
  double norm2 = 0.0;
  for (int j = 0; j < d; ++j) {
    const double a = std::abs(static_cast<double>(y[j]));
    int k = 0;  // index into the positive levels
    while (k + 1 < half && min_scale_ * a >= edge[half + k]) ++k;
    level_[j] = static_cast<uint8_t>(k);
    dot += a * c[half + k];
    norm2 += c[half + k] * c[half + k];
    // Later steps of this coordinate, while the scale stays within max_scale.
    for (int next = k; next + 1 < half; ++next) {
      const double t = edge[half + next] / a;
      if (!(t <= max_scale_)) break;  // also skips a == 0 (t = inf)
      events_.emplace_back(static_cast<float>(t), j);
    }
  }
  std::sort(events_.begin(), events_.end());

  double best_cos2 = norm2 > 0 ? dot * dot / norm2 : 0.0;
  size_t best_events = 0;
  for (size_t e = 0; e < events_.size(); ++e) {
    const int j = events_[e].second;
    const int k = level_[j];
    const double a = std::abs(static_cast<double>(y[j]));
    dot += a * (c[half + k + 1] - c[half + k]);
    norm2 += c[half + k + 1] * c[half + k + 1] - c[half + k] * c[half + k];
    level_[j] = static_cast<uint8_t>(k + 1);
    const double cos2 = dot * dot / norm2;
    if (cos2 > best_cos2) {
      best_cos2 = cos2;
      best_events = e + 1;
    }
  }
  // Replay: the levels after the first best_events events (events of one coordinate are
  // sorted by scale, so a prefix of the list is a consistent state).
  for (int j = 0; j < d; ++j) {
    const double a = std::abs(static_cast<double>(y[j]));
    int k = 0;
    while (k + 1 < half && min_scale_ * a >= edge[half + k]) ++k;
    level_[j] = static_cast<uint8_t>(k);
  }
  for (size_t e = 0; e < best_events; ++e) ++level_[events_[e].second];
  double best_dot = 0.0;
  for (int j = 0; j < d; ++j) {
    const int magnitude = half + level_[j];
    codes[j] = static_cast<uint8_t>(y[j] >= 0 ? magnitude : codebook_.size() - 1 - magnitude);
    best_dot += std::abs(static_cast<double>(y[j])) * c[magnitude];
  }
  return best_dot;
}

}  // namespace tq
