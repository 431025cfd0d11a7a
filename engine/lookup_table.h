// Per-query lookup tables for the block scan: 16 entries per nibble group, float, then uint8
// with one scale shared by all groups, so that the scan's integer sums are comparable.
#ifndef TQ_ENGINE_LOOKUP_TABLE_H_
#define TQ_ENGINE_LOOKUP_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/block_layout.h"

namespace tq {

// Allocates on 64-byte boundaries so that each AVX-512 table load is one cache line.
template <typename T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() = default;
  template <typename U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
  }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <typename U>
  bool operator==(const CacheAlignedAllocator<U>&) const {
    return true;
  }
};

// b = 3 has no additive split of a Lloyd-Max index, so the pre-scan uses the approximation
// c[2h + l] ~ high[h] + l * low_step (h = code >> 1 from plane 0, l = code & 1 from plane 1).
struct ThreeBitSplit {
  float high[4] = {0, 0, 0, 0};
  float low_step = 0;
};

// Weighted least squares: minimises sum_k mass[k] (c[k] - high[k >> 1] - (k & 1) low_step)^2
// (mass empty: equal weights). With the cell masses of f_d this minimises the expected
// squared error per coordinate, hence the variance of the pre-scan's score error.
ThreeBitSplit FitThreeBitSplit(std::span<const float> centroids, std::span<const double> mass);

// Probability of each Lloyd-Max cell (boundaries at midpoints of `centroids`) under f_dim.
std::vector<double> CellMasses(int dim, std::span<const float> centroids);

// The values that plane codes stand for when tables are built: the centroids themselves for
// b = 1, 2, 4; for b = 3, plane 0 -> high[h] and plane 1 -> {0, low_step}. Built once per
// index (it integrates the density for b = 3), shared by every query.
class LutCodebook {
 public:
  // centroids: the 2^bits codebook values; b = 3 uses the fitted split with the cell masses
  // under f_density_dim, the coordinate density of the vectors' dimension (0: layout.dim(); a
  // layout holding part of the coordinates, as at non-integer rates, passes the whole d).
  static absl::StatusOr<LutCodebook> Create(const BlockLayout& layout,
                                            std::span<const float> centroids, int density_dim = 0);
  // Same, with an explicit b = 3 split (ignored for other widths); for experiments and tests.
  static absl::StatusOr<LutCodebook> CreateWithSplit(const BlockLayout& layout,
                                                     std::span<const float> centroids,
                                                     const ThreeBitSplit& split);

  std::span<const float> centroids() const { return centroids_; }
  std::span<const float> plane_values(int plane) const { return plane_values_[plane]; }

 private:
  LutCodebook() = default;

  std::vector<float> centroids_;
  std::vector<float> plane_values_[2];
};

// Tables of one query quantized to uint8: for table t, entry v is
// T8[t][v] = round((T[t][v] - m_t) / scale) with m_t = min_v T[t][v] and
// scale = max_t (max_v T[t][v] - m_t) / 255, so that
//   sum_t T[t][code_t] ~ scale * sum_t T8[t][code_t] + offset,   offset = sum_t m_t,
// within scale / 2 per real group. Padding tables are all zero (they add nothing).
struct QuantizedLut {
  int num_tables = 0;  // BlockLayout::num_tables() of the layout it was built for
  float scale = 0;     // delta; 0 when every table is flat (e.g. a zero query)
  float offset = 0;    // sum of the per-table minima
  // 16 * num_tables bytes, table t at [16 t, 16 t + 16), then zeros up to a multiple of 64.
  std::vector<uint8_t, CacheAlignedAllocator<uint8_t>> tables;

  float Estimate(uint32_t sum) const { return scale * static_cast<float>(sum) + offset; }
};

// Float tables (16 * layout.num_tables() floats): T[t][v] = sum over the coordinates j of
// table t's group of q'_j * value(part of v for j). Padding coordinates count as q'_j = 0.
void BuildFloatLut(const BlockLayout& layout, const LutCodebook& codebook,
                   const float* rotated_query, float* tables);

// Quantizes float tables (16 * layout.num_tables()) as described at QuantizedLut.
void QuantizeLut(const BlockLayout& layout, const float* tables, QuantizedLut* out);

// BuildFloatLut + QuantizeLut.
void BuildQuantizedLut(const BlockLayout& layout, const LutCodebook& codebook,
                       const float* rotated_query, QuantizedLut* out);

// The float-exact score the tables approximate: sum_j q'_j c[code_j] from the exact codes of
// vector `lane` of a packed block (accumulated in double). For b = 3 it uses the true
// centroids, not the split: the pre-scan's approximation error is measured against it.
float ScoreLaneExact(const BlockLayout& layout, std::span<const float> centroids,
                     const float* rotated_query, const uint8_t* block_codes, int lane);

}  // namespace tq

#endif  // TQ_ENGINE_LOOKUP_TABLE_H_
