// Candidate reservoir of the scan: keeps the `capacity` best (key, position) pairs seen, pruned
// by a branch-free selection when it reaches twice that, then only better candidates get in.
#ifndef TQ_INDEX_TOP_K_H_
#define TQ_INDEX_TOP_K_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace tq {

// Larger key = nearer. Ties go to the lower position, so that the kept set is the same
// whatever order the candidates came in (thread count, SIMD level, before/after Compact).
struct Candidate {
  float key;
  int64_t pos;
};

inline bool Better(const Candidate& a, const Candidate& b) {
  return a.key > b.key || (a.key == b.key && a.pos < b.pos);
}

// The k-th largest (k = 0 is the largest) of x[0..n), n > k. x and the two scratch arrays
// (n floats each) are overwritten: each pass reads one of the three and writes the others. A
// quickselect whose partitions have no data-dependent branch: every value is written to both the
// "above" and the "below" array and only the counts follow the comparison. The comparisons of a
// prune are coin flips, and std::nth_element over Candidates mispredicted them: ~3 us per prune of
// 256, about a quarter of a k = 64 query on GloVe-100 (~20 prunes each).
inline float KthLargest(float* x, float* scratch_a, float* scratch_b, int64_t n, int64_t k) {
  float* in = x;
  float* above = scratch_a;
  float* below = scratch_b;
  while (true) {
    const float a = in[0], b = in[n / 2], c = in[n - 1];
    const float pivot = std::max(std::min(a, b), std::min(std::max(a, b), c));  // median of 3
    int64_t n_above = 0, n_below = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = in[i];
      above[n_above] = v;
      n_above += v > pivot;
      below[n_below] = v;
      n_below += v < pivot;
    }
    if (k < n_above) {
      n = n_above;
      std::swap(in, above);
    } else if (k < n - n_below) {
      return pivot;  // among the values equal to the pivot
    } else {
      k -= n - n_below;
      n = n_below;
      std::swap(in, below);
    }
  }
}

class Reservoir {
 public:
  explicit Reservoir(int64_t capacity) : capacity_(std::max<int64_t>(capacity, 1)) {
    buffer_.reserve(2 * capacity_);
  }

  // Keys below this cannot get in (-inf until the first pruning); a cheap pre-test.
  float threshold_key() const { return pruned_ ? threshold_.key : -kInf; }
  // Whether (key, pos) could still be among the best `capacity` (cheap; test before Push).
  bool Accepts(float key, int64_t pos) const {
    return !pruned_ || Better(Candidate{key, pos}, threshold_);
  }
  void Push(float key, int64_t pos) {
    buffer_.push_back(Candidate{std::isnan(key) ? -kInf : key, pos});
    if (static_cast<int64_t>(buffer_.size()) >= 2 * capacity_) Prune();
  }
  void Merge(const Reservoir& other) {
    for (const Candidate& c : other.buffer_) {
      if (Accepts(c.key, c.pos)) Push(c.key, c.pos);
    }
  }
  // The best min(capacity, seen) candidates, best first; leaves the reservoir empty.
  std::vector<Candidate> TakeSorted() {
    if (static_cast<int64_t>(buffer_.size()) > capacity_) Prune();
    std::sort(buffer_.begin(), buffer_.end(), Better);
    std::vector<Candidate> out;
    out.swap(buffer_);
    pruned_ = false;
    return out;
  }

 private:
  static constexpr float kInf = std::numeric_limits<float>::infinity();

  // Keeps the best capacity_ by Better: everything above the capacity_-th largest key, then of
  // those equal to it the lowest positions. Branch-free too (see KthLargest).
  void Prune() {
    const int64_t n = static_cast<int64_t>(buffer_.size());
    keys_.resize(3 * n);
    for (int64_t i = 0; i < n; ++i) keys_[i] = buffer_[i].key;
    const float worst =
        KthLargest(keys_.data(), keys_.data() + n, keys_.data() + 2 * n, n, capacity_ - 1);
    ties_.resize(n);
    int64_t kept = 0, tied = 0;
    for (int64_t i = 0; i < n; ++i) {  // in place: kept never passes i
      const Candidate c = buffer_[i];
      buffer_[kept] = c;
      kept += c.key > worst;
      ties_[tied] = c;
      tied += c.key == worst;
    }
    // Usually one tie; several only for equal keys. Sorted by position (Better), in order.
    std::sort(ties_.begin(), ties_.begin() + tied, Better);
    const int64_t from_ties = capacity_ - kept;
    std::copy(ties_.begin(), ties_.begin() + from_ties, buffer_.begin() + kept);
    buffer_.resize(capacity_);
    threshold_ = ties_[from_ties - 1];
    pruned_ = true;
  }

  int64_t capacity_;
  std::vector<Candidate> buffer_;
  std::vector<float> keys_;      // Prune's scratch: the keys and KthLargest's two arrays
  std::vector<Candidate> ties_;  // Prune's scratch
  bool pruned_ = false;
  Candidate threshold_{-kInf, 0};
};

}  // namespace tq

#endif  // TQ_INDEX_TOP_K_H_
