// k-means for the Product Quantization baseline: k-means++ seeding, Lloyd iterations with
// OpenMP over points, empty clusters reseeded from the farthest point, double accumulation.
#ifndef TQ_BENCHMARKS_BASELINES_KMEANS_H_
#define TQ_BENCHMARKS_BASELINES_KMEANS_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tq::baselines {

// Receives one human-readable line per step of a long computation; the caller decides whether
// (and where) to print it. Called from the thread that started the computation.
using ProgressCallback = std::function<void(std::string_view)>;

struct KMeansOptions {
  int k = 256;
  // Lloyd iterations (assignment + update). The loop stops earlier only when an assignment
  // step changes no point's cluster, i.e. when further iterations could not move anything.
  int iterations = 25;
  uint64_t seed = 0;
  // Train on at most this many points, a uniform random subsample when n is larger; 0 = all.
  int64_t max_train = 0;
  ProgressCallback progress;  // one line per iteration; none by default
  // k x dim starting centroids instead of k-means++ (warm starts, tests); not owned.
  const float* initial_centroids = nullptr;
};

struct KMeansResult {
  int dim = 0;
  int k = 0;
  std::vector<float> centroids;  // k x dim, row-major
  // Cluster of each training point (of the subsample when max_train capped it) at the last
  // assignment step (after any empty-cluster repair that followed it), and the row of the input
  // each training point came from.
  std::vector<int32_t> assignment;
  std::vector<int64_t> train_rows;
  // Sum of squared distances to the assigned centroids at each assignment step, first to last.
  // Never increases (up to float rounding of the centroids).
  std::vector<double> objective;
  int iterations_run = 0;
  int64_t empty_clusters_repaired = 0;
};

// Clusters n points (row-major, n x dim). The result depends on the seed and the data only, not
// on the number of OpenMP threads: per-point work is independent and every sum runs in a fixed
// order. Fewer distinct points than k leaves duplicate centroids that no point uses.
// InvalidArgument on n < 1, dim < 1, k < 1, iterations < 1, max_train < 0 or a non-finite value.
absl::StatusOr<KMeansResult> RunKMeans(const float* points, int64_t n, int dim,
                                       const KMeansOptions& options);

// `count` distinct rows of [0, n), sorted, chosen uniformly by `seed`; all rows if count <= 0 or
// count >= n.
std::vector<int64_t> SampleRows(int64_t n, int64_t count, uint64_t seed);

// The nearest of k centroids to each of n points (squared L2; the lowest index wins ties).
// `centroids_by_dim` is the transposed codebook, dim x k: element (c, j) is coordinate c of
// centroid j, so the distances to all centroids are computed k-wide. `distance` may be null.
// Runs OpenMP over points.
void AssignNearest(const float* centroids_by_dim, int k, int dim, const float* points, int64_t n,
                   int32_t* nearest, float* distance);

// Single-threaded version for one point; returns the index, writes the squared distance.
int32_t NearestCentroid(const float* centroids_by_dim, int k, int dim, const float* point,
                        float* distance);

// Row-major k x dim -> dim x k.
std::vector<float> TransposeCentroids(const float* centroids, int k, int dim);

}  // namespace tq::baselines

#endif  // TQ_BENCHMARKS_BASELINES_KMEANS_H_
