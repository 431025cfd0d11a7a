// The per-query scan: ScanBlocks sums of the uint8 tables over a few dozen blocks at a time,
// turned into approximate keys with the per-vector floats, masked by liveness and filters.
#include "index/query_scorer.h"

#include <algorithm>
#include <span>

#include "engine/block_scan.h"
#include "engine/row_reductions.h"
#include "index/block_keys.h"

namespace tq {
namespace {

// Blocks per ScanBlocks call: the sums (128 bytes per block, table set and query: 16 KB for 8
// queries) stay in L1.
constexpr int64_t kScanBlocks = 16;

bool Allowed(const SearchParams& params, uint64_t id) {
  if (params.allow_list != nullptr && !params.allow_list->contains(id)) return false;
  if (params.predicate && !params.predicate(id)) return false;
  return true;
}

}  // namespace

QueryScorer::QueryScorer(const ScoringContext& context, const float* query)
    : context_(context), query_(query) {
  const int d = context.format->dim();
  const float* q = query;
  if (context.mean != nullptr) {
    centered_query_.resize(d);
    double offset = 0.0, squares = 0.0, centered_squares = 0.0;
    for (int j = 0; j < d; ++j) {
      centered_query_[j] = query[j] - context.mean[j];
      offset += static_cast<double>(query[j]) * context.mean[j];
      squares += static_cast<double>(query[j]) * query[j];
      centered_squares += static_cast<double>(centered_query_[j]) * centered_query_[j];
    }
    if (context.metric == Metric::kL2) {
      q = centered_query_.data();
    } else {
      key_offset_ = static_cast<float>(offset);
      add_mean_dots_ =
          context.format->has_column(BlockColumn::kMeanDot) && centered_squares < squares;
      if (add_mean_dots_) q = centered_query_.data();
    }
  }
  for (int j = 0; j < d; ++j) query_squared_norm_ += static_cast<double>(q[j]) * q[j];
  prepared_ = context.quantizer->PrepareQuery(q);
  const int m = context.format->upper_coords();
  // 4-bit parts are scanned as products where the CPU has VNNI (lookup_table.h, LutForm).
  if (const BlockLayout* layout = context.format->upper_layout()) {
    BuildQuantizedLut(*layout, *context.upper_codebook, prepared_.rotated.data(),
                      PreferredLutForm(*layout), &upper_lut_);
  }
  if (const BlockLayout* layout = context.format->mse_layout()) {
    BuildQuantizedLut(*layout, *context.mse_codebook, prepared_.rotated.data() + m,
                      PreferredLutForm(*layout), &mse_lut_);
  }
  if (const BlockLayout* layout = context.format->qjl_layout()) {
    BuildQuantizedLut(*layout, *context.qjl_codebook, prepared_.projected.data(), &qjl_lut_);
  }
}

KeyTerms QueryScorer::Terms() const {
  KeyTerms t;
  t.mse_a = mse_lut_.scale;
  t.mse_c = mse_lut_.offset;
  t.upper_a = upper_lut_.scale;
  t.upper_c = upper_lut_.offset;
  t.qjl_a = qjl_lut_.scale;
  t.qjl_c = qjl_lut_.offset;
  t.qjl_scale = context_.qjl_scale;
  t.offset = key_offset_;
  t.l2 = context_.metric == Metric::kL2;
  return t;
}

void QueryScorer::Scan(const BlockStore& store, int64_t begin, int64_t end,
                       const SearchParams& params, Reservoir* reservoir) const {
  const QueryScorer* self = this;
  ScanMany(std::span<const QueryScorer* const>(&self, 1), store, begin, end, params,
           std::span<Reservoir* const>(&reservoir, 1));
}

void QueryScorer::ScanMany(std::span<const QueryScorer* const> scorers, const BlockStore& store,
                           int64_t begin, int64_t end, const SearchParams& params,
                           std::span<Reservoir* const> reservoirs) {
  const BlockFormat& format = store.format();
  const BlockLayout* mse = format.mse_layout();
  const BlockLayout* upper = format.upper_layout();
  const BlockLayout* qjl = format.qjl_layout();
  const size_t stride = format.stride();
  const SimdLevel level = ActiveSimdLevel();
  uint32_t mse_sums[kQueriesPerPass][kScanBlocks * kBlockVectors];
  uint32_t upper_sums[kQueriesPerPass][kScanBlocks * kBlockVectors];
  uint32_t qjl_sums[kQueriesPerPass][kScanBlocks * kBlockVectors];
  for (size_t q0 = 0; q0 < scorers.size(); q0 += kQueriesPerPass) {
    const int group = static_cast<int>(std::min<size_t>(kQueriesPerPass, scorers.size() - q0));
    const QueryScorer* const* scorer = scorers.data() + q0;
    const QuantizedLut* mse_luts[kQueriesPerPass];
    const QuantizedLut* upper_luts[kQueriesPerPass];
    const QuantizedLut* qjl_luts[kQueriesPerPass];
    uint32_t* mse_out[kQueriesPerPass];
    uint32_t* upper_out[kQueriesPerPass];
    uint32_t* qjl_out[kQueriesPerPass];
    for (int g = 0; g < group; ++g) {
      mse_luts[g] = &scorer[g]->mse_lut_;
      upper_luts[g] = &scorer[g]->upper_lut_;
      qjl_luts[g] = &scorer[g]->qjl_lut_;
      mse_out[g] = mse_sums[g];
      upper_out[g] = upper_sums[g];
      qjl_out[g] = qjl_sums[g];
    }
    for (int64_t b0 = begin; b0 < end;) {
      const int64_t count = std::min({store.ContiguousBlocks(b0), end - b0, kScanBlocks});
      const uint8_t* first = store.block(b0);
      if (upper) {
        ScanBlocksMulti(*upper, first, stride, count,
                        std::span<const QuantizedLut* const>(upper_luts, group), upper_out);
      }
      if (mse) {
        ScanBlocksMulti(*mse, first + format.mse_offset(), stride, count,
                        std::span<const QuantizedLut* const>(mse_luts, group), mse_out);
      }
      if (qjl) {
        ScanBlocksMulti(*qjl, first + format.qjl_offset(), stride, count,
                        std::span<const QuantizedLut* const>(qjl_luts, group), qjl_out);
      }
      for (int g = 0; g < group; ++g) {
        scorer[g]->Collect(level, store, b0, count, first, mse_sums[g], upper_sums[g], qjl_sums[g],
                           params, reservoirs[q0 + g]);
      }
      b0 += count;
    }
  }
}

void QueryScorer::Collect(SimdLevel level, const BlockStore& store, int64_t b0, int64_t count,
                          const uint8_t* first, const uint32_t* mse_sums,
                          const uint32_t* upper_sums, const uint32_t* qjl_sums,
                          const SearchParams& params, Reservoir* reservoir) const {
  const BlockFormat& format = *context_.format;
  // Keys of every lane in SIMD and one comparison with the reservoir's threshold before any
  // lane is looked at alone; the live lanes that pass come packed. The threshold only rises
  // while they are pushed, so each is tested again (Offer, Accepts) before it gets in.
  BlockKeyInputs in;
  in.stride = format.stride();
  if (format.mse_layout()) in.mse_sums = mse_sums;
  if (format.upper_layout()) in.upper_sums = upper_sums;
  if (format.qjl_layout()) {
    in.qjl_sums = qjl_sums;
    in.residual = format.column(first, BlockColumn::kResidualNorm);
  }
  in.scale = format.column(first, BlockColumn::kScale);
  if (add_mean_dots_) in.mean_dots = format.column(first, BlockColumn::kMeanDot);
  if (context_.metric == Metric::kL2) in.squared = format.column(first, BlockColumn::kSquaredNorm);
  in.live = first + format.live_mask_offset();
  float keys[kScanBlocks * kBlockVectors + kBlockCandidatesSlack];
  uint32_t lanes[kScanBlocks * kBlockVectors + kBlockCandidatesSlack];
  const int64_t candidates =
      BlockCandidatesAt(level, Terms(), in, count, reservoir->threshold_key(), keys, lanes);
  const int64_t base = b0 * kBlockVectors;
  if (params.allow_list == nullptr && !params.predicate) {
    reservoir->OfferMany(keys, lanes, base, candidates);
    return;
  }
  for (int64_t c = 0; c < candidates; ++c) {
    const int64_t pos = base + lanes[c];
    if (reservoir->Accepts(keys[c], pos) && Allowed(params, store.id(pos))) {
      reservoir->Push(keys[c], pos);
    }
  }
}

void QueryScorer::EstimateKeys(const BlockStore& store, std::span<Candidate> candidates) const {
  // The same operations in the same order as TurboQuantizer::EstimateInnerProduct, a group of
  // candidates at a time: RowSums interleaves their double sums (each in its own order), which
  // would otherwise each wait on the previous addition.
  constexpr int64_t kGroup = 8;
  const BlockFormat& format = *context_.format;
  const int d = format.dim();
  const int m = format.upper_coords();
  const BlockLayout* upper = format.upper_layout();
  const BlockLayout* mse = format.mse_layout();
  const BlockLayout* qjl = format.qjl_layout();
  const float* cu = upper ? context_.quantizer->upper_codebook()->centroids().data() : nullptr;
  const float* c = mse ? context_.quantizer->codebook()->centroids().data() : nullptr;
  const float* rotated = prepared_.rotated.data();
  const float* projected = prepared_.projected.data();
  // Per candidate of a group: the codes of coordinate j at codes[r * d + j] (upper and mse
  // parts side by side), the QJL signs at signs[r * d + j].
  std::vector<uint8_t> codes(kGroup * d), signs(qjl ? kGroup * d : 0);
  double estimates[kGroup], correlations[kGroup];
  const int j_begin = upper ? 0 : m;  // the coordinates with Lloyd-Max codes
  const int j_end = mse ? d : m;
  for (size_t g0 = 0; g0 < candidates.size(); g0 += kGroup) {
    const int64_t rows = std::min<int64_t>(kGroup, candidates.size() - g0);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t pos = candidates[g0 + r].pos;
      const uint8_t* block = store.block(pos / kBlockVectors);
      const int lane = static_cast<int>(pos % kBlockVectors);
      if (upper) UnpackLane(*upper, block, lane, codes.data() + r * d);
      if (mse) UnpackLane(*mse, block + format.mse_offset(), lane, codes.data() + r * d + m);
      if (qjl) UnpackLane(*qjl, block + format.qjl_offset(), lane, signs.data() + r * d);
    }
    RowSums(
        rows, j_end - j_begin,
        [&](int64_t r, int k) {
          const int j = j_begin + k;
          const uint8_t code = codes[r * d + j];
          return static_cast<double>(rotated[j]) * (j < m ? cu[code] : c[code]);
        },
        estimates);
    if (qjl) {
      RowSums(
          rows, d,
          [&](int64_t r, int j) -> double {
            return signs[r * d + j] ? projected[j] : -projected[j];
          },
          correlations);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t pos = candidates[g0 + r].pos;
      const uint8_t* block = store.block(pos / kBlockVectors);
      const int lane = static_cast<int>(pos % kBlockVectors);
      double estimate = estimates[r];
      if (qjl) {
        const float residual = format.column(block, BlockColumn::kResidualNorm)[lane];
        estimate += static_cast<double>(context_.qjl_scale) * residual * correlations[r];
      }
      const float ip =
          static_cast<float>(estimate * format.column(block, BlockColumn::kScale)[lane]);
      float key;
      if (context_.metric != Metric::kL2) {
        key = add_mean_dots_
                  ? ip + (format.column(block, BlockColumn::kMeanDot)[lane] + key_offset_)
                  : ip + key_offset_;
      } else {
        const float squared = format.column(block, BlockColumn::kSquaredNorm)[lane];
        key = -static_cast<float>(query_squared_norm_ + squared - 2.0 * ip);
      }
      candidates[g0 + r].key = key;
    }
  }
}

float QueryScorer::ExactKey(const BlockStore& store, int64_t pos,
                            std::vector<float>* scratch) const {
  const int d = context_.format->dim();
  scratch->resize(d);
  store.ReadVector(pos, scratch->data());
  const float* x = scratch->data();
  double sum = 0.0;
  if (context_.metric == Metric::kL2) {
    for (int j = 0; j < d; ++j) {
      const double diff = static_cast<double>(query_[j]) - x[j];
      sum += diff * diff;
    }
    return -static_cast<float>(sum);
  }
  for (int j = 0; j < d; ++j) sum += static_cast<double>(query_[j]) * x[j];
  return static_cast<float>(sum);
}

}  // namespace tq
