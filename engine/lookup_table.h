// Per-query lookup tables for the block scan, in one of two forms (LutForm): 16 entries per
// nibble group, float, then uint8 with one scale shared by all groups; or, for 4-bit planes, the
// query rounded to int8 per coordinate against int8 centroids. Either way the scan's integer sums
// share one scale, so they are comparable.
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

  // 4-bit layouts (LutForm::kProducts): centroid v ~ centroid_step * centroids8[v], with
  // centroid_step = max |c| / 127 (so every centroids8 is in [-127, 127]). Zero elsewhere.
  float centroid_step() const { return centroid_step_; }
  const int8_t* centroids8() const { return centroids8_; }

 private:
  LutCodebook() = default;

  std::vector<float> centroids_;
  std::vector<float> plane_values_[2];
  float centroid_step_ = 0;
  int8_t centroids8_[kTableEntries] = {};
};

// How a query meets the codes in the scan.
// - kTables: 16 uint8 entries per nibble group (QuantizedLut::tables), looked up. Every plane,
//   every SIMD level.
// - kProducts: 4-bit planes only. The rotated query is rounded to int8 per coordinate
//   (query8[j] = round(q'_j / step), |query8| <= 127) and the scan sums query8[j] *
//   centroids8[code_j] exactly. Nothing depends on the query but the multiplier, so with
//   AVX-512 VNNI the centroid bytes are looked up once per code load for every query of a pass
//   and each query costs one vpdpbusd per 4 coordinates of 16 vectors: half the instructions
//   of a lookup, and about half the rounding error of 8-bit tables (both roundings are finer
//   than one table's step; engine_block_scan_test measures it). A query whose rotation is not
//   finite gets scale NaN in either form: no key ranks. Without vpdpbusd the product
//   needs 16-bit arithmetic and is slower than the lookups, so other levels keep the tables.
enum class LutForm { kTables, kProducts };

// The form the index scans `layout` with at the active SIMD level: kProducts for 4-bit layouts
// when the level is kAvx512Vbmi (it has VNNI), kTables otherwise; ScopedLutForm overrides it.
// Whatever the level, a kProducts table scans to the same sums (ScanBlocks falls back to the
// scalar product kernel), so forcing the form only changes speed.
LutForm PreferredLutForm(const BlockLayout& layout);

// Forces PreferredLutForm's answer for 4-bit layouts (others always get kTables) while alive:
// tests compare every SIMD level against the scalar reference of the same form.
class ScopedLutForm {
 public:
  explicit ScopedLutForm(LutForm form);
  ~ScopedLutForm();
  ScopedLutForm(const ScopedLutForm&) = delete;
  ScopedLutForm& operator=(const ScopedLutForm&) = delete;

 private:
  int previous_;
};

// One query's tables for one layout, in either form; the scan's sum S of a vector estimates
// sum_t T[t][code_t] as scale * S + offset (S read as int32: products can be negative).
//
// kTables: for table t, entry v is T8[t][v] = round((T[t][v] - m_t) / scale) with
// m_t = min_v T[t][v] and scale = max_t (max_v T[t][v] - m_t) / 255, offset = sum_t m_t, and
// S = sum_t T8[t][code_t]: within scale / 2 per real group. Padding tables are all zero.
//
// kProducts (4-bit layouts, where table t is coordinate t): S = sum_t query8[t] *
// centroids8[code_t], scale = the query's step * LutCodebook::centroid_step(), offset = 0.
// |S| <= 127 * 127 * 65536 < 2^31.
struct QuantizedLut {
  LutForm form = LutForm::kTables;
  int num_tables = 0;  // BlockLayout::num_tables() of the layout it was built for
  float scale = 0;     // 0 when every table is flat (e.g. a zero query)
  float offset = 0;    // kTables: the sum of the per-table minima; kProducts: 0
  // kTables: 16 * num_tables bytes, table t at [16 t, 16 t + 16), then zeros up to a multiple
  // of 64. Empty for kProducts.
  std::vector<uint8_t, CacheAlignedAllocator<uint8_t>> tables;
  // kProducts: query8[t] for each table (0 for padding ones), then zeros up to a multiple of
  // 64; their sum; and the codebook's centroids8. Empty / zero for kTables.
  std::vector<int8_t, CacheAlignedAllocator<int8_t>> query8;
  int32_t query8_sum = 0;
  int8_t centroids8[kTableEntries] = {};

  float Estimate(uint32_t sum) const {
    return scale * static_cast<float>(static_cast<int32_t>(sum)) + offset;
  }
};

// Float tables (16 * layout.num_tables() floats): T[t][v] = sum over the coordinates j of
// table t's group of q'_j * value(part of v for j). Padding coordinates count as q'_j = 0.
void BuildFloatLut(const BlockLayout& layout, const LutCodebook& codebook,
                   const float* rotated_query, float* tables);

// Quantizes float tables (16 * layout.num_tables()) as described at QuantizedLut.
void QuantizeLut(const BlockLayout& layout, const float* tables, QuantizedLut* out);

// BuildFloatLut + QuantizeLut: the kTables form.
void BuildQuantizedLut(const BlockLayout& layout, const LutCodebook& codebook,
                       const float* rotated_query, QuantizedLut* out);

// The kProducts form of a 4-bit layout (layout.bits() == 4): query8[t] = round(q'_t / step)
// with step = max_t |q'_t| / 127, ties to even.
void BuildProductLut(const BlockLayout& layout, const LutCodebook& codebook,
                     const float* rotated_query, QuantizedLut* out);

// Either form; kProducts needs a 4-bit layout.
void BuildQuantizedLut(const BlockLayout& layout, const LutCodebook& codebook,
                       const float* rotated_query, LutForm form, QuantizedLut* out);

// The float-exact score the tables approximate: sum_j q'_j c[code_j] from the exact codes of
// vector `lane` of a packed block (accumulated in double). For b = 3 it uses the true
// centroids, not the split: the pre-scan's approximation error is measured against it.
float ScoreLaneExact(const BlockLayout& layout, std::span<const float> centroids,
                     const float* rotated_query, const uint8_t* block_codes, int lane);

}  // namespace tq

#endif  // TQ_ENGINE_LOOKUP_TABLE_H_
