// Building and quantizing the per-query lookup tables of the block scan, and the b = 3 split.
// Tables cost O(16 * num_tables) per query, negligible beside a scan, so they stay scalar.
//
// b = 3 pre-scan: the 3-bit code k = 2h + l is stored as two planes that the scan sums
// independently, so the tables can only represent c[k] ~ high[h] + l * low_step. The split
// is the least-squares fit weighted by the cell masses of f_d (FitThreeBitSplit); among
// additive splits it minimises the expected squared error per coordinate. Measured on 2000
// random unit vectors, d = 200, 50 queries, against the exact 3-bit estimate
// (tests/engine_block_scan_test.cc, ThreeBitSplitRanksWellAndBeatsSimplerSplits):
//   split                       rms error / rms score   exact top-10 in scan top-10 / top-50
//   high = c[2h], mean gap      0.105                   8.78 / 10.00
//   unweighted least squares    0.075                   9.08 / 10.00
//   mass-weighted (chosen)      0.064                   9.22 / 10.00
// (for scale: 4 bits, whose only error is the 8-bit rounding, gives 0.019 and 9.70 / 10.00).
// The exact score is recomputed from the exact codes afterwards, so this only has to rank:
// a candidate list of 50 already holds the exact top-10.
#include "engine/lookup_table.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/simd_level.h"
#include "engine/sphere_density.h"

namespace tq {
namespace {

// Round to nearest, ties to even, as std::nearbyint in the default rounding mode, for
// |x| < 2^51: adding and subtracting 1.5 * 2^52 leaves no fraction bits. nearbyint itself is a
// libm call that saves and restores the floating-point environment: ~3% of a GloVe-100 query.
inline double RoundToEven(double x) {
  constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52
  return (x + kRound) - kRound;
}

// ScopedLutForm's override: -1 for none, else the LutForm. Atomic so that OpenMP workers see a
// test's override.
std::atomic<int>& ForcedFormStorage() {
  static std::atomic<int> forced{-1};
  return forced;
}

}  // namespace

LutForm PreferredLutForm(const BlockLayout& layout) {
  if (layout.bits() != 4) return LutForm::kTables;
  const int forced = ForcedFormStorage().load(std::memory_order_relaxed);
  if (forced >= 0) return static_cast<LutForm>(forced);
  return ActiveSimdLevel() == SimdLevel::kAvx512Vbmi ? LutForm::kProducts : LutForm::kTables;
}

ScopedLutForm::ScopedLutForm(LutForm form)
    : previous_(ForcedFormStorage().exchange(static_cast<int>(form), std::memory_order_relaxed)) {}

ScopedLutForm::~ScopedLutForm() { ForcedFormStorage().store(previous_, std::memory_order_relaxed); }

ThreeBitSplit FitThreeBitSplit(std::span<const float> centroids, std::span<const double> mass) {
  assert(centroids.size() == 8);
  assert(mass.empty() || mass.size() == 8);
  // For a fixed step s, pair h's best high value is the weighted mean of c[2h] and
  // c[2h + 1] - s, which leaves a cost w0 w1 / (w0 + w1) * (gap_h - s)^2: the best step is
  // the mean of the gaps weighted by w0 w1 / (w0 + w1).
  double num = 0.0;
  double den = 0.0;
  double w[8];
  for (int k = 0; k < 8; ++k) w[k] = mass.empty() ? 1.0 : std::max(mass[k], 1e-300);
  for (int h = 0; h < 4; ++h) {
    const double w0 = w[2 * h];
    const double w1 = w[2 * h + 1];
    const double pair = w0 * w1 / (w0 + w1);
    num += pair * (static_cast<double>(centroids[2 * h + 1]) - centroids[2 * h]);
    den += pair;
  }
  const double step = num / den;
  ThreeBitSplit split;
  split.low_step = static_cast<float>(step);
  for (int h = 0; h < 4; ++h) {
    const double w0 = w[2 * h];
    const double w1 = w[2 * h + 1];
    split.high[h] = static_cast<float>(
        (w0 * centroids[2 * h] + w1 * (static_cast<double>(centroids[2 * h + 1]) - step)) /
        (w0 + w1));
  }
  return split;
}

std::vector<double> CellMasses(int dim, std::span<const float> centroids) {
  const int levels = static_cast<int>(centroids.size());
  std::vector<double> mass(levels, 1.0 / levels);
  if (dim < 2) return mass;
  const SphereDensity density(dim);
  for (int k = 0; k < levels; ++k) {
    const double lo = k == 0 ? -1.0 : 0.5 * (double{centroids[k - 1]} + centroids[k]);
    const double hi = k + 1 == levels ? 1.0 : 0.5 * (double{centroids[k]} + centroids[k + 1]);
    mass[k] = density.Mass(std::clamp(lo, -1.0, 1.0), std::clamp(hi, -1.0, 1.0));
  }
  return mass;
}

absl::StatusOr<LutCodebook> LutCodebook::Create(const BlockLayout& layout,
                                                std::span<const float> centroids, int density_dim) {
  ThreeBitSplit split;
  if (layout.bits() == 3 && centroids.size() == 8) {
    split = FitThreeBitSplit(centroids,
                             CellMasses(density_dim > 0 ? density_dim : layout.dim(), centroids));
  }
  return CreateWithSplit(layout, centroids, split);
}

absl::StatusOr<LutCodebook> LutCodebook::CreateWithSplit(const BlockLayout& layout,
                                                         std::span<const float> centroids,
                                                         const ThreeBitSplit& split) {
  if (centroids.size() != (size_t{1} << layout.bits())) {
    return absl::InvalidArgumentError(absl::StrCat("lookup tables: ", centroids.size(),
                                                   " centroids for ", layout.bits(), " bits"));
  }
  for (float c : centroids) {
    if (!std::isfinite(c)) return absl::InvalidArgumentError("lookup tables: non-finite centroid");
  }
  LutCodebook book;
  book.centroids_.assign(centroids.begin(), centroids.end());
  if (layout.bits() == 3) {
    book.plane_values_[0].assign(split.high, split.high + 4);
    book.plane_values_[1] = {0.0f, split.low_step};
  } else {
    book.plane_values_[0] = book.centroids_;
  }
  if (layout.bits() == 4) {
    double largest = 0.0;
    for (float c : centroids) largest = std::max(largest, std::abs(double{c}));
    if (largest > 0.0) {
      const double step = largest / 127.0;
      book.centroid_step_ = static_cast<float>(step);
      for (int v = 0; v < kTableEntries; ++v) {
        book.centroids8_[v] =
            static_cast<int8_t>(std::clamp(RoundToEven(centroids[v] / step), -127.0, 127.0));
      }
    }
  }
  return book;
}

void BuildFloatLut(const BlockLayout& layout, const LutCodebook& codebook,
                   const float* rotated_query, float* tables) {
  std::fill(tables, tables + kTableEntries * layout.num_tables(), 0.0f);
  const int d = layout.dim();
  for (int p = 0; p < layout.num_planes(); ++p) {
    const CodePlane& plane = layout.plane(p);
    const std::span<const float> values = codebook.plane_values(p);
    const int mask = (1 << plane.bits) - 1;
    if (plane.bits == 4) {  // one coordinate per table: a product per entry (vectorises)
      for (int g = 0; g < plane.groups; ++g) {
        float* table = tables + kTableEntries * (2 * plane.first_chunk + g);
        const float q = rotated_query[g];
        // 0.0f + as below: a -0 product becomes +0 there too.
        for (int v = 0; v < kTableEntries; ++v) table[v] = 0.0f + q * values[v];
      }
      continue;
    }
    for (int g = 0; g < plane.groups; ++g) {
      float* table = tables + kTableEntries * (2 * plane.first_chunk + g);
      const int j0 = g * plane.coords_per_group;
      const int j1 = std::min(d, j0 + plane.coords_per_group);
      for (int v = 0; v < kTableEntries; ++v) {
        float sum = 0.0f;
        for (int j = j0; j < j1; ++j) {
          sum += rotated_query[j] * values[(v >> ((j - j0) * plane.bits)) & mask];
        }
        table[v] = sum;
      }
    }
  }
}

void QuantizeLut(const BlockLayout& layout, const float* tables, QuantizedLut* out) {
  const int num_tables = layout.num_tables();
  out->form = LutForm::kTables;
  out->query8.clear();
  out->query8_sum = 0;
  std::memset(out->centroids8, 0, sizeof(out->centroids8));
  out->num_tables = num_tables;
  const size_t bytes = (static_cast<size_t>(kTableEntries) * num_tables + 63) / 64 * 64;
  out->tables.assign(bytes, 0);
  std::vector<double> minimum(num_tables);
  double range = 0.0;
  double offset = 0.0;
  bool finite = true;
  for (int t = 0; t < num_tables; ++t) {
    const float* table = tables + kTableEntries * t;
    for (int v = 0; v < kTableEntries; ++v) finite = finite && std::isfinite(table[v]);
    const float lo = *std::min_element(table, table + kTableEntries);
    const float hi = *std::max_element(table, table + kTableEntries);
    minimum[t] = lo;
    offset += lo;
    range = std::max(range, double{hi} - lo);
  }
  const double scale = range / 255.0;
  out->scale = static_cast<float>(scale);
  out->offset = static_cast<float>(offset);
  if (!finite || !std::isfinite(out->scale) || !std::isfinite(out->offset)) {
    // A query whose rotation overflowed float: no key ranks (NaN keys never pass), rather than
    // entries converted from NaN.
    out->scale = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  if (!(scale > 0.0)) return;  // flat tables: every entry is its minimum, all T8 = 0
  const double inverse = 1.0 / scale;
  for (int t = 0; t < num_tables; ++t) {
    const float* table = tables + kTableEntries * t;
    uint8_t* quantized = out->tables.data() + kTableEntries * t;
    for (int v = 0; v < kTableEntries; ++v) {
      const double x = std::min((table[v] - minimum[t]) * inverse, 255.0);  // >= 0
      quantized[v] = static_cast<uint8_t>(RoundToEven(x));
    }
  }
}

void BuildQuantizedLut(const BlockLayout& layout, const LutCodebook& codebook,
                       const float* rotated_query, QuantizedLut* out) {
  std::vector<float> tables(static_cast<size_t>(kTableEntries) * layout.num_tables());
  BuildFloatLut(layout, codebook, rotated_query, tables.data());
  QuantizeLut(layout, tables.data(), out);
}

void BuildProductLut(const BlockLayout& layout, const LutCodebook& codebook,
                     const float* rotated_query, QuantizedLut* out) {
  assert(layout.bits() == 4);
  const int d = layout.dim();
  out->form = LutForm::kProducts;
  out->num_tables = layout.num_tables();
  out->offset = 0.0f;
  out->tables.clear();
  out->query8.assign((static_cast<size_t>(out->num_tables) + 63) / 64 * 64, 0);
  std::memcpy(out->centroids8, codebook.centroids8(), sizeof(out->centroids8));
  double largest = 0.0;
  bool finite = true;
  for (int j = 0; j < d; ++j) {
    finite = finite && std::isfinite(rotated_query[j]);
    largest = std::max(largest, std::abs(double{rotated_query[j]}));
  }
  out->scale = static_cast<float>(largest / 127.0 * codebook.centroid_step());
  out->query8_sum = 0;
  if (!finite || !std::isfinite(out->scale)) {  // as QuantizeLut: no key ranks
    out->scale = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  if (!(largest > 0.0)) return;  // a zero query: every product is zero
  const double inverse = 127.0 / largest;
  for (int j = 0; j < d; ++j) {  // one coordinate per table at 4 bits
    const int8_t q =
        static_cast<int8_t>(std::clamp(RoundToEven(rotated_query[j] * inverse), -127.0, 127.0));
    out->query8[j] = q;
    out->query8_sum += q;
  }
}

void BuildQuantizedLut(const BlockLayout& layout, const LutCodebook& codebook,
                       const float* rotated_query, LutForm form, QuantizedLut* out) {
  if (form == LutForm::kProducts) {
    BuildProductLut(layout, codebook, rotated_query, out);
    return;
  }
  BuildQuantizedLut(layout, codebook, rotated_query, out);
}

float ScoreLaneExact(const BlockLayout& layout, std::span<const float> centroids,
                     const float* rotated_query, const uint8_t* block_codes, int lane) {
  std::vector<uint8_t> codes(layout.dim());
  UnpackLane(layout, block_codes, lane, codes.data());
  double sum = 0.0;
  for (int j = 0; j < layout.dim(); ++j) {
    sum += static_cast<double>(rotated_query[j]) * centroids[codes[j]];
  }
  return static_cast<float>(sum);
}

}  // namespace tq
