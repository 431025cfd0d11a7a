// Candidate reservoir of the scan: keeps the `capacity` best (key, position) pairs seen, pruned
// by a branch-free selection when it reaches twice that, then only better candidates get in.
#ifndef TQ_INDEX_TOP_K_H_
#define TQ_INDEX_TOP_K_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/simd_level.h"

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

// The k-th largest (k = 0 is the largest) of x[0..n), n > k, no NaN. x and the two scratch
// arrays (n + 16 floats each: the AVX-512 path stores whole registers) are overwritten: each
// pass reads one of the three and writes the others. A quickselect whose partitions have no
// data-dependent branch: every value is written to both the "above" and the "below" array and
// only the counts follow the comparison (AVX-512: compressed by the comparison's mask). The
// comparisons of a prune are coin flips, and std::nth_element over Candidates mispredicted
// them: ~3 us per prune of 256, about a quarter of a k = 64 query on GloVe-100.
// At `level` (<= DetectedSimdLevel()); the Reservoir uses the level active when it was made.
float KthLargestAt(SimdLevel level, float* x, float* scratch_a, float* scratch_b, int64_t n,
                   int64_t k);

class Reservoir {
 public:
  // The SIMD level of the pruning is the active one when the reservoir is made.
  explicit Reservoir(int64_t capacity);

  // Keys below this cannot get in (-inf until the first pruning); a cheap pre-test.
  float threshold_key() const { return threshold_.key; }
  // Whether (key, pos) could still be among the best `capacity` (cheap; test before Push).
  // Before the first pruning every key but NaN is.
  bool Accepts(float key, int64_t pos) const { return Beats(key, pos, threshold_); }
  // A NaN key ranks below every other (as -inf).
  void Push(float key, int64_t pos) {
    keys_[size_] = std::isnan(key) ? -kInf : key;
    positions_[size_] = pos;
    if (++size_ == 2 * capacity_) Prune();
  }
  // For c < n: Push(keys[c], base + lanes[c]) if Accepts it (a NaN key never gets in),
  // branch-free but for the pruning: each candidate is written in any case and only counted
  // if it gets in. The size and the threshold stay in registers (stores to the int64 position
  // column may alias the members, and a loop of one-candidate calls reloaded them all each time).
  void OfferMany(const float* keys, const uint32_t* lanes, int64_t base, int64_t n);
  void Merge(const Reservoir& other);
  // The best min(capacity, seen) candidates by position (the order the blocks are in, for the
  // rescoring that reads them); leaves the reservoir empty.
  std::vector<Candidate> TakeBest();

 private:
  static constexpr float kInf = std::numeric_limits<float>::infinity();
  // Room past the end for whole-register stores.
  static constexpr int64_t kSlack = 16;

  // Better(Candidate{key, pos}, threshold) without branches: the outcome is a coin flip.
  static bool Beats(float key, int64_t pos, const Candidate& threshold) {
    return (key > threshold.key) | ((key == threshold.key) & (pos < threshold.pos));
  }
  // Keeps the best capacity_ by Better: everything above the capacity_-th largest key, then of
  // those equal to it the lowest positions. Branch-free too (see KthLargestAt).
  void Prune();

  int64_t capacity_;
  SimdLevel level_;
  // The candidates as two columns (2 capacity_ + kSlack each): the pruning compresses them.
  std::vector<float> keys_;
  std::vector<int64_t> positions_;
  int64_t size_ = 0;
  std::vector<float> scratch_;  // Prune's: the keys and KthLargestAt's two arrays
  std::vector<int64_t> tied_;   // Prune's: positions of the keys equal to the threshold's
  // The worst candidate kept by the last pruning; before any, below every non-NaN key.
  Candidate threshold_{-kInf, std::numeric_limits<int64_t>::max()};
};

}  // namespace tq

#endif  // TQ_INDEX_TOP_K_H_
