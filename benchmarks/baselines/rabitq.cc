// Building (mean, rotation, codes and factors) and scanning the flat RaBitQ index; the formulas
// are in rabitq.h, the code search and the lookup-table kernel in rabitq_encoder.h.
#include "benchmarks/baselines/rabitq.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/baselines/rabitq_encoder.h"
#include "engine/random.h"

namespace tq::baselines {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Vectors encoded per rotation call. Fixed chunk boundaries make every code independent of the
// thread count (a row's rotated floats may depend on its place in a MatMul batch).
constexpr int64_t kEncodeChunk = 64;
// Rows per partial sum of the mean.
constexpr int64_t kMeanBlock = 4096;
// Vectors scored per kernel call: the dot products stay in a small stack buffer.
constexpr int64_t kScanBlock = 256;

// The k best (score, id) pairs seen so far; for kL2 lower scores are better. A binary heap with
// the worst kept entry on top; ties keep the earlier id, so results are deterministic.
class TopK {
 public:
  TopK(int k, bool lower_is_better) : k_(k), lower_is_better_(lower_is_better) { heap_.reserve(k); }

  // True if a would be ranked before b.
  bool Better(const std::pair<float, int64_t>& a, const std::pair<float, int64_t>& b) const {
    if (a.first != b.first) return lower_is_better_ ? a.first < b.first : a.first > b.first;
    return a.second < b.second;
  }

  void Push(float score, int64_t id) {
    const std::pair<float, int64_t> entry{score, id};
    auto worst_on_top = [this](const auto& a, const auto& b) { return Better(a, b); };
    if (static_cast<int>(heap_.size()) < k_) {
      heap_.push_back(entry);
      std::push_heap(heap_.begin(), heap_.end(), worst_on_top);
    } else if (Better(entry, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), worst_on_top);
      heap_.back() = entry;
      std::push_heap(heap_.begin(), heap_.end(), worst_on_top);
    }
  }

  // Only a score strictly better than this can enter a full heap (a cheap pre-check).
  bool Full() const { return static_cast<int>(heap_.size()) == k_; }
  float WorstScore() const { return heap_.front().first; }

  void Write(int64_t* ids, float* scores) {
    std::sort(heap_.begin(), heap_.end(),
              [this](const auto& a, const auto& b) { return Better(a, b); });
    const float pad = lower_is_better_ ? std::numeric_limits<float>::infinity()
                                       : -std::numeric_limits<float>::infinity();
    for (int i = 0; i < k_; ++i) {
      const bool real = i < static_cast<int>(heap_.size());
      ids[i] = real ? heap_[i].second : -1;
      scores[i] = real ? heap_[i].first : pad;
    }
  }

 private:
  int k_;
  bool lower_is_better_;
  std::vector<std::pair<float, int64_t>> heap_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RabitqIndex>> RabitqIndex::Build(const float* base, int64_t n,
                                                                int dim, Similarity similarity,
                                                                const RabitqOptions& options) {
  if (options.bits < 1 || options.bits > kRabitqMaxBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("rabitq: bits ", options.bits, " outside 1..", kRabitqMaxBits));
  }
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("rabitq: dimension ", dim, " < 1"));
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("rabitq: ", n, " vectors"));
  if (n > 0 && base == nullptr) return absl::InvalidArgumentError("rabitq: null base vectors");
  if (options.pad_to < 8 || options.pad_to % 8 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rabitq: pad_to ", options.pad_to, " is not a positive multiple of 8"));
  }
  const int64_t total = n * static_cast<int64_t>(dim);
  for (int64_t i = 0; i < total; ++i) {
    if (!std::isfinite(base[i])) {
      return absl::InvalidArgumentError(absl::StrCat("rabitq: base vector ", i / dim,
                                                     " has a NaN or Inf at coordinate ", i % dim));
    }
  }

  auto index = std::unique_ptr<RabitqIndex>(new RabitqIndex());
  RabitqIndex& x = *index;
  x.dim_ = dim;
  x.padded_dim_ = (dim + options.pad_to - 1) / options.pad_to * options.pad_to;
  x.bits_ = options.bits;
  x.similarity_ = similarity;
  x.plane_bytes_ = RabitqPlaneBytes(x.padded_dim_);
  x.code_bytes_ = x.bits_ * x.plane_bytes_;
  x.size_ = n;
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();

  // Training: the mean, as the centroid of a one-cluster IVF.
  const Clock::time_point train_start = Clock::now();
  x.centroid_.assign(dim, 0.0f);
  if (options.center && n > 0) {
    // Partial sums over fixed row blocks, added in block order: the same bits for any threads.
    const int64_t blocks = (n + kMeanBlock - 1) / kMeanBlock;
    std::vector<double> partial(static_cast<size_t>(blocks) * dim, 0.0);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      double* sum = partial.data() + b * dim;
      for (int64_t i = b * kMeanBlock; i < std::min(n, (b + 1) * kMeanBlock); ++i) {
        const float* row = base + i * dim;
        for (int j = 0; j < dim; ++j) sum[j] += row[j];
      }
    }
    for (int j = 0; j < dim; ++j) {
      double sum = 0.0;
      for (int64_t b = 0; b < blocks; ++b) sum += partial[b * dim + j];
      x.centroid_[j] = static_cast<float>(sum / n);
    }
  }
  x.times_.train_seconds = SecondsSince(train_start);

  const Clock::time_point encode_start = Clock::now();
  absl::StatusOr<std::shared_ptr<const Rotation>> rotation = SharedRotation(
      RotationKind::kHaar, x.padded_dim_, DeriveSeed(options.seed, kSeedPurposeRotation));
  if (!rotation.ok()) return rotation.status();
  x.rotation_ = *std::move(rotation);

  const int pd = x.padded_dim_;
  x.codes_.assign(static_cast<size_t>(n) * x.code_bytes_, 0);
  x.rescale_.assign(n, 0.0f);
  if (similarity == Similarity::kL2) x.norm_sq_.assign(n, 0.0f);
  const int64_t chunks = (n + kEncodeChunk - 1) / kEncodeChunk;
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> residual(kEncodeChunk * pd, 0.0f);
    std::vector<float> rotated(kEncodeChunk * pd);
    std::vector<uint8_t> levels(pd);
#pragma omp for schedule(dynamic)
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      const int64_t first = chunk * kEncodeChunk;
      const int64_t rows = std::min(kEncodeChunk, n - first);
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = base + (first + r) * dim;
        float* out = residual.data() + r * pd;
        for (int j = 0; j < dim; ++j) out[j] = row[j] - x.centroid_[j];  // padding stays 0
      }
      x.rotation_->Apply(residual.data(), rows, rotated.data());
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = first + r;
        const float* res = residual.data() + r * pd;
        double norm_sq = 0.0;
        for (int j = 0; j < dim; ++j) norm_sq += static_cast<double>(res[j]) * res[j];
        const double y_dot_x =
            QuantizeToRabitqGrid(rotated.data() + r * pd, pd, x.bits_, levels.data());
        PackRabitqPlanes(levels.data(), pd, x.bits_, x.codes_.data() + i * x.code_bytes_);
        // rescale = |r|^2 / <y, P r>: <r, w> ~ rescale * <y, P w>. A zero residual (the vector
        // is the centroid) has y_dot_x = 0 and contributes nothing, which is exact.
        x.rescale_[i] = y_dot_x > 0.0 ? static_cast<float>(norm_sq / y_dot_x) : 0.0f;
        if (!x.norm_sq_.empty()) x.norm_sq_[i] = static_cast<float>(norm_sq);
      }
    }
  }
  x.times_.encode_seconds = SecondsSince(encode_start);
  return index;
}

std::vector<uint8_t> RabitqIndex::Levels(int64_t i) const {
  std::vector<uint8_t> levels(padded_dim_);
  UnpackRabitqPlanes(code(i), padded_dim_, bits_, levels.data());
  return levels;
}

void RabitqIndex::Search(const float* query, int k, int64_t* ids, float* scores) const {
  if (k <= 0) return;
  const bool l2 = similarity_ == Similarity::kL2;
  const int pd = padded_dim_;

  // w = q_r - c for kL2, q_r for kInnerProduct (see rabitq.h), zero-padded and rotated.
  std::vector<float> w(pd, 0.0f);
  double query_term = 0.0;  // kL2: |q_r - c|^2; kInnerProduct: <c, q_r>
  for (int j = 0; j < dim_; ++j) {
    if (l2) {
      w[j] = query[j] - centroid_[j];
      query_term += static_cast<double>(w[j]) * w[j];
    } else {
      w[j] = query[j];
      query_term += static_cast<double>(centroid_[j]) * query[j];
    }
  }
  std::vector<float> rotated(pd);
  rotation_->Apply(w.data(), 1, rotated.data());
  double rotated_sum = 0.0;
  for (float v : rotated) rotated_sum += v;
  // <y, P w> = <u, P w> - offset.
  const float offset = static_cast<float>(RabitqGridOffset(bits_) * rotated_sum);
  const float term = static_cast<float>(query_term);

  std::vector<float> lut(static_cast<size_t>(plane_bytes_) * 256);
  BuildRabitqLut(rotated.data(), pd, lut.data());

  TopK top(k, l2);
  float dots[kScanBlock];
  for (int64_t first = 0; first < size_; first += kScanBlock) {
    const int64_t rows = std::min(kScanBlock, size_ - first);
    ScanRabitqCodes(lut.data(), code(first), rows, plane_bytes_, bits_, dots);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = first + r;
      const float estimate = rescale_[i] * (dots[r] - offset);  // <o_r - c, w>
      const float score = l2 ? norm_sq_[i] + term - 2.0f * estimate : term + estimate;
      if (top.Full() && (l2 ? score > top.WorstScore() : score < top.WorstScore())) continue;
      top.Push(score, i);
    }
  }
  top.Write(ids, scores);
}

}  // namespace tq::baselines
