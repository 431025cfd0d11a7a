// k-means for the Product Quantization baseline: k-means++ seeding, Lloyd iterations with
// OpenMP over points, empty clusters reseeded from the farthest point, double accumulation.
#include "benchmarks/baselines/kmeans.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/random.h"

namespace tq::baselines {
namespace {

// k-means++ sums D^2 weights in blocks of this many points: each block in order on one thread,
// the block sums in order afterwards, so the draw is the same for any thread count.
constexpr int64_t kSeedBlock = 1024;

// Loops with less work than this (in point-coordinate or point-centroid-coordinate visits) run
// on the calling thread: waking a team and waiting at its barrier costs more, and on a busy
// machine a barrier can wait a whole scheduler time slice for a descheduled thread. Inside a
// parallel region (PQ trains sub-spaces in parallel) they run on the calling thread too, even
// if nested parallelism is enabled.
constexpr int64_t kMinParallelWork = int64_t{1} << 16;
constexpr int64_t kMinParallelAssignWork = int64_t{1} << 22;

template <int kDim = 0>
float SquaredDistance(const float* a, const float* b, int dim) {
  const int d = kDim > 0 ? kDim : dim;
  float sum = 0.0f;
  for (int c = 0; c < d; ++c) {
    const float t = a[c] - b[c];
    sum += t * t;
  }
  return sum;
}

// Four floats / int32s as GCC/Clang vector extensions: portable code that compiles to the
// target's 128-bit SIMD (SSE2 on baseline x86-64) without intrinsics or run-time dispatch.
// (Wider types than the target's registers are lowered to scalar code, so stay at 128 bits.)
constexpr int kLanes = 4;
typedef float FloatLanes __attribute__((vector_size(16)));
typedef int32_t IntLanes __attribute__((vector_size(16)));

FloatLanes LoadLanes(const float* p) {
  FloatLanes v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// kDim > 0 fixes the dimension at compile time (PQ sub-spaces have 1, 2, 4 or 8 coordinates);
// kDim == 0 reads it from `dim`. Centroids go 2 x kLanes at a time, each lane keeping its own
// best (value, index), so the argmin is not one long chain of dependent scalar compares. Lanes
// merge by (value, index): the lowest index wins ties, exactly as in a sequential scan.
template <int kDim>
int32_t NearestImpl(const float* centroids_by_dim, int k, int dim, const float* point,
                    float* distance) {
  constexpr int kStep = 2 * kLanes;
  const int d = kDim > 0 ? kDim : dim;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  FloatLanes best_a, best_b;
  IntLanes index_a, index_b, best_index_a = {}, best_index_b = {};
  for (int l = 0; l < kLanes; ++l) {
    best_a[l] = best_b[l] = kInf;
    index_a[l] = l;
    index_b[l] = kLanes + l;
  }
  const int k_full = k - k % kStep;
  for (int j = 0; j < k_full; j += kStep) {
    FloatLanes dist_a = {}, dist_b = {};
    for (int c = 0; c < d; ++c) {
      const float* row = centroids_by_dim + static_cast<int64_t>(c) * k + j;
      const FloatLanes t_a = point[c] - LoadLanes(row);
      const FloatLanes t_b = point[c] - LoadLanes(row + kLanes);
      dist_a += t_a * t_a;
      dist_b += t_b * t_b;
    }
    const IntLanes better_a = dist_a < best_a;
    const IntLanes better_b = dist_b < best_b;
    best_a = better_a ? dist_a : best_a;
    best_b = better_b ? dist_b : best_b;
    best_index_a = better_a ? index_a : best_index_a;
    best_index_b = better_b ? index_b : best_index_b;
    index_a += kStep;
    index_b += kStep;
  }
  float result = kInf;
  int32_t result_index = 0;
  for (int l = 0; l < kLanes; ++l) {
    // Lanes copied out by value: clang binds no reference to a vector-extension element.
    const float value_a = best_a[l], value_b = best_b[l];
    const int32_t idx_a = best_index_a[l], idx_b = best_index_b[l];
    for (const auto& [value, idx] :
         {std::pair<float, int32_t>{value_a, idx_a}, std::pair<float, int32_t>{value_b, idx_b}}) {
      if (value < result || (value == result && idx < result_index)) {
        result = value;
        result_index = idx;
      }
    }
  }
  for (int j = k_full; j < k; ++j) {  // tail: indices above every lane's, so strict < is right
    float dist = 0.0f;
    for (int c = 0; c < d; ++c) {
      const float t = point[c] - centroids_by_dim[static_cast<int64_t>(c) * k + j];
      dist += t * t;
    }
    if (dist < result) {
      result = dist;
      result_index = j;
    }
  }
  if (distance != nullptr) *distance = result;
  return result_index;
}

using NearestFn = int32_t (*)(const float*, int, int, const float*, float*);

NearestFn PickNearest(int dim) {
  switch (dim) {
    case 1:
      return &NearestImpl<1>;
    case 2:
      return &NearestImpl<2>;
    case 4:
      return &NearestImpl<4>;
    case 8:
      return &NearestImpl<8>;
    default:
      return &NearestImpl<0>;
  }
}

// k-means++ (Arthur & Vassilvitskii): the first centroid uniformly, each next one with
// probability proportional to the squared distance to the nearest centroid chosen so far.
// Lowers d2[i] to the squared distance from point i to c, for i in [begin, end); returns the
// sum of the new d2 over the range, accumulated in order in double.
template <int kDim>
double UpdateSeedWeights(const float* points, int64_t begin, int64_t end, int dim, const float* c,
                         float* d2) {
  double sum = 0.0;
  for (int64_t i = begin; i < end; ++i) {
    const float dist = SquaredDistance<kDim>(points + i * dim, c, dim);
    if (dist < d2[i]) d2[i] = dist;
    sum += d2[i];
  }
  return sum;
}

std::vector<float> SeedPlusPlus(const float* points, int64_t n, int dim, int k, Rng& rng) {
  const auto update = dim == 1   ? &UpdateSeedWeights<1>
                      : dim == 2 ? &UpdateSeedWeights<2>
                      : dim == 4 ? &UpdateSeedWeights<4>
                      : dim == 8 ? &UpdateSeedWeights<8>
                                 : &UpdateSeedWeights<0>;
  const bool parallel = n * dim >= kMinParallelWork && !omp_in_parallel();
  std::vector<float> centroids(static_cast<size_t>(k) * dim);
  std::vector<float> d2(n, std::numeric_limits<float>::infinity());
  const int64_t num_blocks = (n + kSeedBlock - 1) / kSeedBlock;
  std::vector<double> block_sum(num_blocks);

  int64_t chosen = static_cast<int64_t>(rng.NextBelow(static_cast<uint64_t>(n)));
  for (int j = 0; j < k; ++j) {
    const float* c = points + chosen * dim;
    std::memcpy(centroids.data() + static_cast<size_t>(j) * dim, c, sizeof(float) * dim);
    if (j + 1 == k) break;

#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t b = 0; b < num_blocks; ++b) {
      const int64_t begin = b * kSeedBlock;
      const int64_t end = std::min(n, begin + kSeedBlock);
      block_sum[b] = update(points, begin, end, dim, c, d2.data());
    }
    double total = 0.0;
    for (double s : block_sum) total += s;

    if (!(total > 0.0)) {
      // Every point already coincides with a centroid: fewer distinct points than k. The
      // remaining centroids duplicate random points and stay empty.
      chosen = static_cast<int64_t>(rng.NextBelow(static_cast<uint64_t>(n)));
      continue;
    }
    const double target = rng.NextDouble() * total;
    // Find the block, then the point, whose cumulative weight first exceeds the target. Points
    // of weight zero (the chosen centroids themselves) can never be picked.
    double running = 0.0;
    int64_t b = 0;
    while (b + 1 < num_blocks && running + block_sum[b] <= target) running += block_sum[b++];
    const int64_t end = std::min(n, (b + 1) * kSeedBlock);
    int64_t pick = -1;
    int64_t last_positive = -1;
    for (int64_t i = b * kSeedBlock; i < end; ++i) {
      if (d2[i] > 0.0f) last_positive = i;
      running += d2[i];
      if (running > target && d2[i] > 0.0f) {
        pick = i;
        break;
      }
    }
    if (pick < 0) pick = last_positive;  // rounding pushed the target past the block's end
    if (pick < 0) {
      // The block had no weight at all (only possible through rounding): take any point that
      // still has weight.
      for (int64_t i = 0; i < n; ++i) {
        if (d2[i] > 0.0f) {
          pick = i;
          break;
        }
      }
    }
    chosen = pick;
  }
  return centroids;
}

}  // namespace

std::vector<float> TransposeCentroids(const float* centroids, int k, int dim) {
  std::vector<float> out(static_cast<size_t>(k) * dim);
  for (int j = 0; j < k; ++j) {
    for (int c = 0; c < dim; ++c) out[static_cast<size_t>(c) * k + j] = centroids[j * dim + c];
  }
  return out;
}

int32_t NearestCentroid(const float* centroids_by_dim, int k, int dim, const float* point,
                        float* distance) {
  return PickNearest(dim)(centroids_by_dim, k, dim, point, distance);
}

void AssignNearest(const float* centroids_by_dim, int k, int dim, const float* points, int64_t n,
                   int32_t* nearest, float* distance) {
  const NearestFn fn = PickNearest(dim);
  const bool parallel = n * k * dim >= kMinParallelAssignWork && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < n; ++i) {
    nearest[i] = fn(centroids_by_dim, k, dim, points + i * dim,
                    distance != nullptr ? distance + i : nullptr);
  }
}

std::vector<int64_t> SampleRows(int64_t n, int64_t count, uint64_t seed) {
  std::vector<int64_t> rows(n);
  std::iota(rows.begin(), rows.end(), int64_t{0});
  if (count <= 0 || count >= n) return rows;
  // Partial Fisher-Yates: the first `count` slots end up a uniform sample without replacement.
  Rng rng(seed);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.NextBelow(static_cast<uint64_t>(n - i)));
    std::swap(rows[i], rows[j]);
  }
  rows.resize(count);
  std::sort(rows.begin(), rows.end());  // sequential reads, and an order independent of the draw
  return rows;
}

absl::StatusOr<KMeansResult> RunKMeans(const float* points, int64_t n, int dim,
                                       const KMeansOptions& options) {
  if (points == nullptr || n < 1) return absl::InvalidArgumentError("k-means: no points");
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("k-means: dim ", dim, " < 1"));
  if (options.k < 1) return absl::InvalidArgumentError(absl::StrCat("k-means: k ", options.k));
  if (options.iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k-means: iterations ", options.iterations, " < 1"));
  }
  if (options.max_train < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("k-means: max_train ", options.max_train, " < 0"));
  }
  const int k = options.k;

  KMeansResult result;
  result.dim = dim;
  result.k = k;
  result.train_rows = SampleRows(n, options.max_train, DeriveSeed(options.seed, 0x6b6d73));
  const int64_t m = static_cast<int64_t>(result.train_rows.size());
  std::vector<float> sample;
  const float* x = points;
  if (m < n) {
    sample.resize(static_cast<size_t>(m) * dim);
    for (int64_t i = 0; i < m; ++i) {
      std::memcpy(sample.data() + i * dim, points + result.train_rows[i] * dim,
                  sizeof(float) * dim);
    }
    x = sample.data();
  }
  for (int64_t i = 0; i < m * dim; ++i) {
    if (!std::isfinite(x[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "k-means: non-finite value in row ", result.train_rows[i / dim], ", column ", i % dim));
    }
  }

  Rng rng(DeriveSeed(options.seed, 0x2b2b));
  std::vector<float>& centroids = result.centroids;
  if (options.initial_centroids != nullptr) {
    centroids.assign(options.initial_centroids,
                     options.initial_centroids + static_cast<size_t>(k) * dim);
  } else {
    centroids = SeedPlusPlus(x, m, dim, k, rng);
  }

  std::vector<int32_t>& assign = result.assignment;
  assign.assign(m, -1);
  std::vector<int32_t> next(m);
  std::vector<float> dist(m);
  std::vector<double> sums(static_cast<size_t>(k) * dim);
  std::vector<int64_t> counts(k);

  bool repaired_last = false;
  for (int it = 0; it < options.iterations; ++it) {
    // Assignment.
    const std::vector<float> by_dim = TransposeCentroids(centroids.data(), k, dim);
    AssignNearest(by_dim.data(), k, dim, x, m, next.data(), dist.data());
    int64_t changed = 0;
    double objective = 0.0;
    for (int64_t i = 0; i < m; ++i) {
      changed += next[i] != assign[i];
      objective += dist[i];
    }
    assign.swap(next);
    result.objective.push_back(objective);
    result.iterations_run = it + 1;
    if (options.progress) {
      options.progress(absl::StrFormat("k-means iteration %d/%d: objective %.6g, %d changed",
                                       it + 1, options.iterations, objective, changed));
    }
    // Unchanged assignments give the same means again: converged.
    if (changed == 0 && !repaired_last) break;

    // Update: each centroid becomes the mean of its points, summed in double.
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), int64_t{0});
    for (int64_t i = 0; i < m; ++i) {
      double* s = sums.data() + static_cast<size_t>(assign[i]) * dim;
      const float* p = x + i * dim;
      for (int c = 0; c < dim; ++c) s[c] += p[c];
      ++counts[assign[i]];
    }
    int64_t empty = 0;
    for (int j = 0; j < k; ++j) {
      if (counts[j] == 0) {
        ++empty;
        continue;  // keeps its old position until repaired below
      }
      const double inv = 1.0 / static_cast<double>(counts[j]);
      for (int c = 0; c < dim; ++c) {
        centroids[static_cast<size_t>(j) * dim + c] =
            static_cast<float>(sums[static_cast<size_t>(j) * dim + c] * inv);
      }
    }

    // Empty clusters: move each onto the point farthest from its (updated) centroid, taken from
    // a cluster that keeps at least one other point. That point's error drops to zero and no
    // other point's rises, so the objective still cannot increase. Points that coincide with
    // their centroid (distance 0) are never used: then there is nothing left to split.
    repaired_last = false;
    if (empty > 0) {
      const bool parallel_repair = m * dim >= kMinParallelWork && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (parallel_repair)
      for (int64_t i = 0; i < m; ++i) {
        dist[i] = SquaredDistance(x + i * dim,
                                  centroids.data() + static_cast<size_t>(assign[i]) * dim, dim);
      }
      for (int j = 0; j < k; ++j) {
        if (counts[j] != 0) continue;
        int64_t far = -1;
        float far_dist = 0.0f;
        for (int64_t i = 0; i < m; ++i) {
          if (dist[i] > far_dist && counts[assign[i]] > 1) {
            far = i;
            far_dist = dist[i];
          }
        }
        if (far < 0) break;  // every remaining point sits on its centroid
        std::memcpy(centroids.data() + static_cast<size_t>(j) * dim, x + far * dim,
                    sizeof(float) * dim);
        --counts[assign[far]];
        counts[j] = 1;
        assign[far] = j;
        dist[far] = 0.0f;
        ++result.empty_clusters_repaired;
        repaired_last = true;
      }
    }
  }
  return result;
}

}  // namespace tq::baselines
