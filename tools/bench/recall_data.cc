// Loads the recall workload (see recall_data.h): bounded reads, checks that name the file, the
// angular normalisation, and the ground truth from the file or by brute force.
#include "tools/bench/recall_data.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tq::bench {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat(path, ": ", what));
}

// Finite values, and unit length under angular (a zero vector has no angle).
absl::Status CheckAndNormalise(const std::string& path, const char* dataset, bool angular, int dim,
                               int64_t rows, std::vector<float>& data) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = data.data() + r * dim;
    double norm_sq = 0.0;
    for (int c = 0; c < dim; ++c) {
      if (!std::isfinite(row[c])) {
        return Bad(path, absl::StrCat(dataset, " row ", r, " has a NaN or infinite value"));
      }
      norm_sq += static_cast<double>(row[c]) * row[c];
    }
    if (!angular) continue;
    if (norm_sq == 0.0) {
      return Bad(path, absl::StrCat(dataset, " row ", r,
                                    " is the zero vector, which has no angle (metric angular)"));
    }
    const double inv = 1.0 / std::sqrt(norm_sq);
    for (int c = 0; c < dim; ++c) row[c] = static_cast<float>(row[c] * inv);
  }
  return absl::OkStatus();
}

void BruteForceTruth(RecallData& data) {
  const int depth = data.truth_depth;
  data.truth.assign(data.nq * depth, -1);
  const bool l2 = data.l2();
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t q = 0; q < data.nq; ++q) {
    // Sorted best first; ids arrive in increasing order, so a tie keeps the lower id.
    std::vector<std::pair<double, int64_t>> best;
    best.reserve(depth + 1);
    const float* query = data.query_row(q);
    for (int64_t i = 0; i < data.n; ++i) {
      const double s = ExactNearness(query, data.base_row(i), data.dim, l2);
      if (static_cast<int>(best.size()) == depth && s <= best.back().first) continue;
      auto at = std::find_if(best.begin(), best.end(), [&](const auto& b) { return s > b.first; });
      best.insert(at, {s, i});
      if (static_cast<int>(best.size()) > depth) best.pop_back();
    }
    for (int j = 0; j < static_cast<int>(best.size()); ++j) {
      data.truth[q * depth + j] = best[j].second;
    }
  }
}

}  // namespace

double ExactNearness(const float* a, const float* b, int dim, bool l2) {
  // Four sums break the dependency chain; the order is fixed, so results are reproducible.
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  int c = 0;
  for (; c + 4 <= dim; c += 4) {
    for (int j = 0; j < 4; ++j) {
      if (l2) {
        const double diff = static_cast<double>(a[c + j]) - b[c + j];
        s[j] += diff * diff;
      } else {
        s[j] += static_cast<double>(a[c + j]) * b[c + j];
      }
    }
  }
  for (; c < dim; ++c) {
    if (l2) {
      const double diff = static_cast<double>(a[c]) - b[c];
      s[0] += diff * diff;
    } else {
      s[0] += static_cast<double>(a[c]) * b[c];
    }
  }
  const double total = (s[0] + s[1]) + (s[2] + s[3]);
  return l2 ? -total : total;
}

absl::StatusOr<RecallData> LoadRecallData(const RecallDataOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::string& path = options.path;
  absl::StatusOr<io::AnnHdf5Reader> reader = io::AnnHdf5Reader::Open(path);
  if (!reader.ok()) return reader.status();
  for (const char* name : {"train", "test"}) {
    absl::StatusOr<bool> has = reader->HasDataset(name);
    if (!has.ok()) return has.status();
    if (!*has)
      return Bad(path, absl::StrCat("no '", name, "' dataset (not an ann-benchmarks file)"));
  }
  absl::StatusOr<io::DatasetShape> train = reader->Shape("train");
  if (!train.ok()) return train.status();
  absl::StatusOr<io::DatasetShape> test = reader->Shape("test");
  if (!test.ok()) return test.status();
  if (train->cols < 2 || train->cols > 65536) {
    return Bad(path, absl::StrCat("train has dimension ", train->cols, ", expected 2 .. 65536"));
  }
  if (test->cols != train->cols) {
    return Bad(path, absl::StrCat("test has dimension ", test->cols, ", train has ", train->cols));
  }
  RecallData data;
  data.path = path;
  data.dim = static_cast<int>(train->cols);
  data.n = options.max_base > 0 ? std::min(options.max_base, train->rows) : train->rows;
  data.nq = options.max_queries > 0 ? std::min(options.max_queries, test->rows) : test->rows;
  if (data.n == 0) return Bad(path, "train has no rows");
  if (data.nq == 0) return Bad(path, "test has no rows");
  // Bounds before any allocation. The doubles avoid overflow on absurd shapes.
  const double base_bytes = 4.0 * data.n * data.dim;
  if (base_bytes > kMaxBaseBytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s: train is %d x %d floats (%.1f GiB), above the %d GiB this command holds in "
        "memory; use --n to take its first rows",
        path, data.n, data.dim, base_bytes / (1 << 30), kMaxBaseBytes >> 30));
  }
  const double query_bytes =
      data.nq *
      (4.0 * data.dim + 8.0 * (std::max(options.result_depth, kTruthDepth) + kTruthDepth));
  if (query_bytes > kMaxQueryBytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s: %d queries need %.1f GiB with their results, above %d GiB; use --queries", path,
        data.nq, query_bytes / (1 << 30), kMaxQueryBytes >> 30));
  }
  absl::StatusOr<std::optional<io::DatasetMetric>> metric = reader->ReadMetric();
  if (!metric.ok()) return metric.status();
  if (!metric->has_value()) {
    return Bad(path, "no 'distance' attribute (angular, euclidean or ip) to say the metric");
  }
  data.metric = **metric;

  absl::StatusOr<std::vector<float>> base = reader->ReadFloatRows("train", 0, data.n);
  if (!base.ok()) return base.status();
  data.base = *std::move(base);
  absl::StatusOr<std::vector<float>> queries = reader->ReadFloatRows("test", 0, data.nq);
  if (!queries.ok()) return queries.status();
  data.queries = *std::move(queries);
  const bool angular = data.metric == io::DatasetMetric::kCosine;
  if (absl::Status s = CheckAndNormalise(path, "train", angular, data.dim, data.n, data.base);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckAndNormalise(path, "test", angular, data.dim, data.nq, data.queries);
      !s.ok()) {
    return s;
  }
  if (options.log) {
    options.log(absl::StrFormat("loaded %s: %d x %d train, %d test (%s) in %.1f s", path, data.n,
                                data.dim, data.nq, io::DatasetMetricName(data.metric),
                                SecondsSince(start)));
  }

  if (!options.ground_truth) {
    data.truth_note = "not computed";
    return data;
  }
  // The file's neighbours index the whole train set; a cut base needs its own truth.
  data.truth_depth = static_cast<int>(std::min<int64_t>(kTruthDepth, data.n));
  absl::StatusOr<bool> has_neighbors = reader->HasDataset("neighbors");
  if (!has_neighbors.ok()) return has_neighbors.status();
  std::optional<io::DatasetShape> neighbors;
  if (*has_neighbors) {
    absl::StatusOr<io::DatasetShape> shape = reader->Shape("neighbors");
    if (!shape.ok()) return shape.status();
    neighbors = *shape;
  }
  if (!neighbors.has_value()) {
    data.truth_note = "the file has no 'neighbors'";
  } else if (data.n < train->rows) {
    data.truth_note = absl::StrCat("--n keeps ", data.n, " of ", train->rows,
                                   " train rows, so the file's 'neighbors' do not apply");
  } else if (neighbors->rows < data.nq || neighbors->cols < data.truth_depth) {
    data.truth_note =
        absl::StrCat("the file's 'neighbors' (", neighbors->rows, " x ", neighbors->cols,
                     ") do not cover ", data.nq, " queries x ", data.truth_depth);
  } else {
    absl::StatusOr<std::vector<int64_t>> ids = reader->ReadInt64Rows("neighbors", 0, data.nq);
    if (!ids.ok()) return ids.status();
    data.truth.resize(data.nq * data.truth_depth);
    for (int64_t q = 0; q < data.nq; ++q) {
      for (int j = 0; j < data.truth_depth; ++j) {
        const int64_t id = (*ids)[q * neighbors->cols + j];
        if (id < 0 || id >= data.n) {
          return Bad(path, absl::StrCat("neighbors row ", q, " names train row ", id,
                                        ", outside 0 .. ", data.n - 1));
        }
        data.truth[q * data.truth_depth + j] = id;
      }
    }
    data.truth_from_file = true;
    data.truth_note = "the file's 'neighbors'";
    return data;
  }
  const auto truth_start = std::chrono::steady_clock::now();
  BruteForceTruth(data);
  if (options.log) {
    options.log(absl::StrFormat("ground truth: brute force over %d x %d (%s) in %.1f s", data.nq,
                                data.n, data.truth_note, SecondsSince(truth_start)));
  }
  return data;
}

Metric IndexMetric(io::DatasetMetric metric) {
  switch (metric) {
    case io::DatasetMetric::kCosine:
      return Metric::kCosine;
    case io::DatasetMetric::kL2:
      return Metric::kL2;
    case io::DatasetMetric::kInnerProduct:
      break;
  }
  return Metric::kInnerProduct;
}

}  // namespace tq::bench
