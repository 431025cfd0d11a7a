// Candidate reservoir of the scan: keeps the `capacity` best (key, position) pairs seen, pruned
// with nth_element when it reaches twice that, then only better candidates get in.
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

  void Prune() {
    std::nth_element(buffer_.begin(), buffer_.begin() + (capacity_ - 1), buffer_.end(), Better);
    buffer_.resize(capacity_);
    threshold_ = buffer_.back();
    pruned_ = true;
  }

  int64_t capacity_;
  std::vector<Candidate> buffer_;
  bool pruned_ = false;
  Candidate threshold_{-kInf, 0};
};

}  // namespace tq

#endif  // TQ_INDEX_TOP_K_H_
