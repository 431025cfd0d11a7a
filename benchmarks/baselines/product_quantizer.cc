// Product Quantization (Jegou, Douze, Schmid 2011) as TurboQuant's paper runs it: 256 centroids
// per sub-space, k-means trained on the base set, asymmetric-distance lookup-table scan.
#include "benchmarks/baselines/product_quantizer.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/random.h"

namespace tq::baselines {
namespace {

constexpr int kMaxSubDim = 8;
// Vectors per encoding task: the sub-space loop runs inside it, so one sub-space codebook stays
// in cache for the whole block even when all codebooks together do not fit.
constexpr int64_t kEncodeBlock = 64;
// Sub-space seeds: DeriveSeed(seed ^ kSubspaceSeedSalt, m), apart from the engine's purposes.
constexpr uint64_t kSubspaceSeedSalt = 0x5051'7375'6273'7063ULL;   // "PQsubspc"
constexpr uint64_t kSampleSeedPurpose = 0x5051'7361'6d70'6c65ULL;  // "PQsample"

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Coordinates of sub-space m of x, zero beyond dim (the padding of the last sub-space).
void GatherSubspace(const float* x, int dim, int m, int sub_dim, float* out) {
  const int begin = m * sub_dim;
  const int real = std::max(0, std::min(sub_dim, dim - begin));
  for (int c = 0; c < real; ++c) out[c] = x[begin + c];
  for (int c = real; c < sub_dim; ++c) out[c] = 0.0f;
}

}  // namespace

absl::Status ProductQuantizer::ValidateOptions(const ProductQuantizerOptions& options) {
  if (options.dim < 1) {
    return absl::InvalidArgumentError(absl::StrCat("pq: dim ", options.dim, " < 1"));
  }
  const int b = options.bits_per_dim;
  if (b != 1 && b != 2 && b != 4 && b != 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq: bits_per_dim ", b, " is not 1, 2, 4 or 8 (one byte per sub-space)"));
  }
  if (options.centroids < 1 || options.centroids > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq: centroids ", options.centroids, " outside [1, 256]"));
  }
  if (options.iterations < 1) {
    return absl::InvalidArgumentError(absl::StrCat("pq: iterations ", options.iterations, " < 1"));
  }
  if (options.max_train < 0) {
    return absl::InvalidArgumentError(absl::StrCat("pq: max_train ", options.max_train, " < 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ProductQuantizer> ProductQuantizer::Train(const float* data, int64_t n,
                                                         const ProductQuantizerOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (data == nullptr || n < 1) return absl::InvalidArgumentError("pq: no training vectors");
  const int dim = options.dim;
  for (int64_t i = 0; i < n * dim; ++i) {
    if (!std::isfinite(data[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("pq: non-finite value in row ", i / dim, ", column ", i % dim));
    }
  }

  ProductQuantizer pq;
  pq.dim_ = dim;
  pq.bits_per_dim_ = options.bits_per_dim;
  pq.sub_dim_ = 8 / options.bits_per_dim;
  pq.num_subspaces_ = (dim + pq.sub_dim_ - 1) / pq.sub_dim_;
  pq.num_centroids_ = options.centroids;
  const int sub_dim = pq.sub_dim_;
  const int k = pq.num_centroids_;
  const int num_subspaces = pq.num_subspaces_;
  pq.centroids_.resize(static_cast<size_t>(num_subspaces) * k * sub_dim);
  pq.centroids_by_dim_.resize(pq.centroids_.size());

  // The same rows train every sub-space.
  const std::vector<int64_t> rows =
      SampleRows(n, options.max_train, DeriveSeed(options.seed, kSampleSeedPurpose));
  const int64_t m_rows = static_cast<int64_t>(rows.size());

  // One k-means per sub-space. With at least as many sub-spaces as threads, each thread runs
  // whole k-means on its own (k-means' inner OpenMP loops then run on that thread alone): no
  // barrier per iteration, which matters on a busy machine. Otherwise the sub-spaces go one
  // by one with k-means parallel over points. Both give the same centroids.
  const bool by_subspace = num_subspaces >= omp_get_max_threads();
  std::vector<absl::Status> status(num_subspaces);
  std::atomic<int> done{0};
  const auto start = std::chrono::steady_clock::now();
  double last_report = 0.0;
  int last_done = 0;
  auto report = [&](bool final) {
    if (!options.progress) return;
    const double elapsed = SecondsSince(start);
    if (final ? last_done == num_subspaces : elapsed - last_report < 1.0) return;
    last_report = elapsed;
    last_done = done.load();
    options.progress(absl::StrFormat("pq%d: k-means %d/%d sub-spaces on %d rows, %.1f s",
                                     options.bits_per_dim, last_done, num_subspaces, m_rows,
                                     elapsed));
  };

#pragma omp parallel if (by_subspace)
  {
    std::vector<float> sub(static_cast<size_t>(m_rows) * sub_dim);
#pragma omp for schedule(dynamic, 1)
    for (int m = 0; m < num_subspaces; ++m) {
      for (int64_t i = 0; i < m_rows; ++i) {
        GatherSubspace(data + rows[i] * dim, dim, m, sub_dim, sub.data() + i * sub_dim);
      }
      KMeansOptions km;
      km.k = k;
      km.iterations = options.iterations;
      km.seed = DeriveSeed(options.seed ^ kSubspaceSeedSalt, static_cast<uint64_t>(m));
      absl::StatusOr<KMeansResult> result = RunKMeans(sub.data(), m_rows, sub_dim, km);
      if (!result.ok()) {
        status[m] = result.status();
        continue;
      }
      float* dst = pq.centroids_.data() + static_cast<size_t>(m) * k * sub_dim;
      std::copy(result->centroids.begin(), result->centroids.end(), dst);
      const std::vector<float> by_dim = TransposeCentroids(dst, k, sub_dim);
      std::copy(by_dim.begin(), by_dim.end(),
                pq.centroids_by_dim_.begin() + static_cast<size_t>(m) * k * sub_dim);
      ++done;
      if (omp_get_thread_num() == 0) report(false);  // the caller's thread
    }
  }
  for (const absl::Status& s : status) {
    if (!s.ok()) return s;
  }
  report(true);
  return pq;
}

void ProductQuantizer::Encode(const float* vectors, int64_t n, uint8_t* codes) const {
  const int64_t num_blocks = (n + kEncodeBlock - 1) / kEncodeBlock;
  const int sub_dim = sub_dim_;
  const int k = num_centroids_;
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t b = 0; b < num_blocks; ++b) {
    const int64_t end = std::min(n, (b + 1) * kEncodeBlock);
    float x[kMaxSubDim];
    for (int m = 0; m < num_subspaces_; ++m) {
      const float* by_dim = centroids_by_dim_.data() + static_cast<size_t>(m) * k * sub_dim;
      for (int64_t i = b * kEncodeBlock; i < end; ++i) {
        GatherSubspace(vectors + i * dim_, dim_, m, sub_dim, x);
        codes[i * num_subspaces_ + m] =
            static_cast<uint8_t>(NearestCentroid(by_dim, k, sub_dim, x, nullptr));
      }
    }
  }
}

void ProductQuantizer::Decode(const uint8_t* code, float* vector) const {
  for (int m = 0; m < num_subspaces_; ++m) {
    const float* c =
        centroids_.data() + (static_cast<size_t>(m) * num_centroids_ + code[m]) * sub_dim_;
    const int begin = m * sub_dim_;
    const int real = std::min(sub_dim_, dim_ - begin);
    std::memcpy(vector + begin, c, sizeof(float) * real);
  }
}

void ProductQuantizer::ComputeTables(const float* query, Similarity similarity,
                                     float* tables) const {
  float q[kMaxSubDim];
  for (int m = 0; m < num_subspaces_; ++m) {
    GatherSubspace(query, dim_, m, sub_dim_, q);
    const float* c = centroids_.data() + static_cast<size_t>(m) * num_centroids_ * sub_dim_;
    float* t = tables + static_cast<size_t>(m) * kTableStride;
    for (int j = 0; j < num_centroids_; ++j) {
      float sum = 0.0f;
      if (similarity == Similarity::kInnerProduct) {
        for (int d = 0; d < sub_dim_; ++d) sum += q[d] * c[j * sub_dim_ + d];
      } else {
        for (int d = 0; d < sub_dim_; ++d) {
          const float diff = q[d] - c[j * sub_dim_ + d];
          sum += diff * diff;
        }
      }
      t[j] = sum;
    }
    std::fill(t + num_centroids_, t + kTableStride, 0.0f);
  }
}

absl::StatusOr<std::unique_ptr<PqIndex>> PqIndex::Build(const float* base, int64_t n, int dim,
                                                        Similarity similarity,
                                                        ProductQuantizerOptions options) {
  if (options.dim != 0 && options.dim != dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq: options.dim ", options.dim, " differs from the data's ", dim));
  }
  options.dim = dim;
  const auto train_start = std::chrono::steady_clock::now();
  absl::StatusOr<ProductQuantizer> pq = ProductQuantizer::Train(base, n, options);
  if (!pq.ok()) return pq.status();
  const double train_seconds = SecondsSince(train_start);

  std::unique_ptr<PqIndex> index(new PqIndex(*std::move(pq), similarity));
  const auto encode_start = std::chrono::steady_clock::now();
  index->codes_.resize(static_cast<size_t>(n) * index->quantizer_.code_size());
  index->quantizer_.Encode(base, n, index->codes_.data());
  index->size_ = n;
  index->times_.train_seconds = train_seconds;
  index->times_.encode_seconds = SecondsSince(encode_start);
  return index;
}

std::string PqIndex::name() const { return absl::StrCat("pq", quantizer_.bits_per_dim()); }

void PqIndex::Reconstruct(int64_t id, float* vector) const {
  quantizer_.Decode(codes_.data() + id * quantizer_.code_size(), vector);
}

void PqIndex::Search(const float* query, int k, int64_t* ids, float* scores) const {
  if (k <= 0) return;
  const bool inner_product = similarity_ == Similarity::kInnerProduct;
  const int num_subspaces = quantizer_.num_subspaces();
  constexpr int kStride = ProductQuantizer::kTableStride;

  // Reused per thread: tables reach megabytes at d = 3072, and Search stays const.
  thread_local std::vector<float> tables;
  thread_local std::vector<std::pair<float, int64_t>> heap;
  tables.resize(static_cast<size_t>(num_subspaces) * kStride);
  quantizer_.ComputeTables(query, similarity_, tables.data());
  // Smaller key = nearer: inner-product tables are negated (exactly) so one scan serves both.
  if (inner_product) {
    for (float& t : tables) t = -t;
  }

  const int64_t keep = std::min<int64_t>(k, size_);
  heap.clear();
  // Max-heap on (key, id): the root is the worst kept candidate. Ids arrive in increasing
  // order, so a tie with the root never replaces it and ties resolve to the lower id.
  const float* table = tables.data();
  for (int64_t i = 0; i < size_; ++i) {
    const uint8_t* code = codes_.data() + i * num_subspaces;
    // Four independent sums hide the latency of the dependent adds.
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    const float* t = table;
    int m = 0;
    for (; m + 4 <= num_subspaces; m += 4, t += 4 * kStride) {
      s0 += t[code[m]];
      s1 += t[kStride + code[m + 1]];
      s2 += t[2 * kStride + code[m + 2]];
      s3 += t[3 * kStride + code[m + 3]];
    }
    for (; m < num_subspaces; ++m, t += kStride) s0 += t[code[m]];
    float key = (s0 + s1) + (s2 + s3);
    if (ABSL_PREDICT_FALSE(std::isnan(key))) key = std::numeric_limits<float>::infinity();
    if (static_cast<int64_t>(heap.size()) < keep) {
      heap.emplace_back(key, i);
      std::push_heap(heap.begin(), heap.end());
    } else if (key < heap.front().first) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = {key, i};
      std::push_heap(heap.begin(), heap.end());
    }
  }
  std::sort_heap(heap.begin(), heap.end());  // ascending key: best first

  const float missing = inner_product ? -std::numeric_limits<float>::infinity()
                                      : std::numeric_limits<float>::infinity();
  for (int j = 0; j < k; ++j) {
    if (j < static_cast<int64_t>(heap.size())) {
      ids[j] = heap[j].second;
      scores[j] = inner_product ? -heap[j].first : heap[j].first;
    } else {
      ids[j] = -1;
      scores[j] = missing;
    }
  }
}

}  // namespace tq::baselines
