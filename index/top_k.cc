// The reservoir's pruning, scalar and AVX-512. Both keep the same candidates in the same order:
// the selection and the compaction only move values, they compare them the same way.
//
// Why AVX-512: at k = 64 a GloVe-100 query pushed ~2800 candidates and pruned ~22 times (with
// a reservoir of 2k; ~1900 and ~23 with 1.25k); the scalar prunes (a store to each side per
// value) took about as long as the lookups of the scan's four-query passes. Compressing 16 keys
// per comparison does the same work in a sixteenth of the stores.
#include "index/top_k.h"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <utility>

#if defined(__GNUC__) && !defined(__clang__)  // GCC's avx512fintrin.h placeholders
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace tq {
namespace {

inline float MedianOfThree(const float* x, int64_t n) {
  const float a = x[0], b = x[n / 2], c = x[n - 1];
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

// One partition's outcome: continue with `above` or `below`, or the pivot is the answer.
// Returns true when done (*result set).
inline bool Narrow(float pivot, int64_t n_above, int64_t n_below, float** in, float** above,
                   float** below, int64_t* n, int64_t* k, float* result) {
  if (*k < n_above) {
    *n = n_above;
    std::swap(*in, *above);
    return false;
  }
  if (*k < *n - n_below) {
    *result = pivot;  // among the values equal to the pivot
    return true;
  }
  *k -= *n - n_below;
  *n = n_below;
  std::swap(*in, *below);
  return false;
}

float KthLargestScalar(float* in, float* above, float* below, int64_t n, int64_t k) {
  while (true) {
    const float pivot = MedianOfThree(in, n);
    int64_t n_above = 0, n_below = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = in[i];
      above[n_above] = v;
      n_above += v > pivot;
      below[n_below] = v;
      n_below += v < pivot;
    }
    float result;
    if (Narrow(pivot, n_above, n_below, &in, &above, &below, &n, &k, &result)) return result;
  }
}

// Keeps the candidates whose key is above `worst` in place, in order, and writes the positions
// of those equal to it to tied_positions; returns the kept count, sets *tied.
int64_t CompactScalar(float worst, float* keys, int64_t* positions, int64_t n,
                      int64_t* tied_positions, int64_t* tied) {
  int64_t kept = 0, t = 0;
  for (int64_t i = 0; i < n; ++i) {  // in place: kept never passes i
    const float key = keys[i];
    const int64_t pos = positions[i];
    keys[kept] = key;
    positions[kept] = pos;
    kept += key > worst;
    tied_positions[t] = pos;
    t += key == worst;
  }
  *tied = t;
  return kept;
}

#define TQ_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,popcnt")))

TQ_AVX512 inline __mmask16 FirstLanes(int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1);
}

// Stores whole registers: every array has 16 floats of room past its n.
TQ_AVX512 float KthLargestAvx512(float* in, float* above, float* below, int64_t n, int64_t k) {
  while (true) {
    const float pivot = MedianOfThree(in, n);
    const __m512 p = _mm512_set1_ps(pivot);
    int64_t n_above = 0, n_below = 0;
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 lanes = FirstLanes(n - i);
      const __m512 v = _mm512_maskz_loadu_ps(lanes, in + i);
      const __mmask16 up = _mm512_mask_cmp_ps_mask(lanes, v, p, _CMP_GT_OQ);
      const __mmask16 down = _mm512_mask_cmp_ps_mask(lanes, v, p, _CMP_LT_OQ);
      _mm512_storeu_ps(above + n_above, _mm512_maskz_compress_ps(up, v));
      _mm512_storeu_ps(below + n_below, _mm512_maskz_compress_ps(down, v));
      n_above += std::popcount(static_cast<uint32_t>(up));
      n_below += std::popcount(static_cast<uint32_t>(down));
    }
    float result;
    if (Narrow(pivot, n_above, n_below, &in, &above, &below, &n, &k, &result)) return result;
  }
}

// CompactScalar's result. Whole-register stores land at most 16 values past the last one read,
// which the callers' arrays have room for; in place is safe since each group of 16 is loaded
// before anything is stored over it.
TQ_AVX512 int64_t CompactAvx512(float worst, float* keys, int64_t* positions, int64_t n,
                                int64_t* tied_positions, int64_t* tied) {
  const __m512 w = _mm512_set1_ps(worst);
  int64_t kept = 0, t = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 lanes = FirstLanes(n - i);
    const __m512 key = _mm512_maskz_loadu_ps(lanes, keys + i);
    const __m512i pos_lo = _mm512_maskz_loadu_epi64(static_cast<__mmask8>(lanes), positions + i);
    const __m512i pos_hi =
        _mm512_maskz_loadu_epi64(static_cast<__mmask8>(lanes >> 8), positions + i + 8);
    const __mmask16 keep = _mm512_mask_cmp_ps_mask(lanes, key, w, _CMP_GT_OQ);
    const __mmask16 tie = _mm512_mask_cmp_ps_mask(lanes, key, w, _CMP_EQ_OQ);
    _mm512_storeu_ps(keys + kept, _mm512_maskz_compress_ps(keep, key));
    _mm512_storeu_si512(positions + kept,
                        _mm512_maskz_compress_epi64(static_cast<__mmask8>(keep), pos_lo));
    const int64_t kept_lo = kept + std::popcount(static_cast<uint32_t>(keep & 0xff));
    _mm512_storeu_si512(positions + kept_lo,
                        _mm512_maskz_compress_epi64(static_cast<__mmask8>(keep >> 8), pos_hi));
    kept += std::popcount(static_cast<uint32_t>(keep));
    _mm512_storeu_si512(tied_positions + t,
                        _mm512_maskz_compress_epi64(static_cast<__mmask8>(tie), pos_lo));
    const int64_t t_lo = t + std::popcount(static_cast<uint32_t>(tie & 0xff));
    _mm512_storeu_si512(tied_positions + t_lo,
                        _mm512_maskz_compress_epi64(static_cast<__mmask8>(tie >> 8), pos_hi));
    t += std::popcount(static_cast<uint32_t>(tie));
  }
  *tied = t;
  return kept;
}

#undef TQ_AVX512

bool UseAvx512(SimdLevel level) { return level >= SimdLevel::kAvx512; }

}  // namespace

float KthLargestAt(SimdLevel level, float* x, float* scratch_a, float* scratch_b, int64_t n,
                   int64_t k) {
  return UseAvx512(level) ? KthLargestAvx512(x, scratch_a, scratch_b, n, k)
                          : KthLargestScalar(x, scratch_a, scratch_b, n, k);
}

Reservoir::Reservoir(int64_t capacity)
    : capacity_(std::max<int64_t>(capacity, 1)),
      level_(ActiveSimdLevel()),
      keys_(2 * capacity_ + kSlack),
      positions_(2 * capacity_ + kSlack) {}

void Reservoir::OfferMany(const float* keys, const uint32_t* lanes, int64_t base, int64_t n) {
  float* const key_column = keys_.data();
  int64_t* const position_column = positions_.data();
  const int64_t full = 2 * capacity_;
  int64_t size = size_;
  Candidate threshold = threshold_;
  for (int64_t c = 0; c < n; ++c) {
    const float key = keys[c];
    const int64_t pos = base + lanes[c];
    key_column[size] = key;
    position_column[size] = pos;
    size += Beats(key, pos, threshold);
    if (size == full) {
      size_ = size;
      Prune();
      size = size_;
      threshold = threshold_;
    }
  }
  size_ = size;
}

void Reservoir::Merge(const Reservoir& other) {
  for (int64_t i = 0; i < other.size_; ++i) {
    if (Accepts(other.keys_[i], other.positions_[i])) Push(other.keys_[i], other.positions_[i]);
  }
}

std::vector<Candidate> Reservoir::TakeBest() {
  if (size_ > capacity_) Prune();
  std::vector<Candidate> out(size_);
  for (int64_t i = 0; i < size_; ++i) out[i] = Candidate{keys_[i], positions_[i]};
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return a.pos < b.pos; });
  size_ = 0;
  threshold_ = Candidate{-kInf, std::numeric_limits<int64_t>::max()};
  return out;
}

void Reservoir::Prune() {
  const int64_t n = size_;
  const int64_t room = n + kSlack;
  scratch_.resize(3 * room);
  tied_.resize(room);
  float* const selection = scratch_.data();
  std::copy(keys_.begin(), keys_.begin() + n, selection);
  const float worst =
      KthLargestAt(level_, selection, selection + room, selection + 2 * room, n, capacity_ - 1);
  int64_t tied = 0;
  const int64_t kept =
      UseAvx512(level_)
          ? CompactAvx512(worst, keys_.data(), positions_.data(), n, tied_.data(), &tied)
          : CompactScalar(worst, keys_.data(), positions_.data(), n, tied_.data(), &tied);
  // Usually one tie; several only for equal keys: the lowest positions win (Better). They get
  // `worst` as key, which compares equal to theirs (only the sign of a zero could differ, and
  // keys are only compared: the exact estimator replaces them).
  std::sort(tied_.begin(), tied_.begin() + tied);
  const int64_t from_ties = capacity_ - kept;
  std::fill(keys_.begin() + kept, keys_.begin() + capacity_, worst);
  std::copy(tied_.begin(), tied_.begin() + from_ties, positions_.begin() + kept);
  size_ = capacity_;
  threshold_ = Candidate{worst, positions_[capacity_ - 1]};
}

}  // namespace tq
