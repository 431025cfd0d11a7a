// Scoring one query against the blocks: the 8-bit lookup-table pass that fills the candidate
// reservoir, and the exact float estimator that rescores the candidates.
#ifndef TQ_INDEX_QUERY_SCORER_H_
#define TQ_INDEX_QUERY_SCORER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "engine/lookup_table.h"
#include "engine/simd_level.h"
#include "engine/turbo_quantizer.h"
#include "index/block_format.h"
#include "index/block_keys.h"
#include "index/block_store.h"
#include "index/index_options.h"
#include "index/search_params.h"
#include "index/top_k.h"

namespace tq {

// What every query of one index shares; immutable after Index::Create.
struct ScoringContext {
  const TurboQuantizer* quantizer = nullptr;
  const BlockFormat* format = nullptr;
  const LutCodebook* mse_codebook = nullptr;    // null when the variant has no Lloyd-Max bits
  const LutCodebook* upper_codebook = nullptr;  // non-integer rates: the (b + 1)-bit part
  const LutCodebook* qjl_codebook = nullptr;    // prod: values {-1, +1} of the sign bits
  float qjl_scale = 0;                          // prod: the QJL estimator's constant
  Metric metric = Metric::kInnerProduct;
  const float* mean = nullptr;  // subtracted from every stored vector (dim values), or null
};

// Keys rank candidates: larger is nearer. For ip and cosine the key is the score; for l2 the
// scan uses 2 <q, x> - |x|^2 (|q|^2 is the same for all) and the exact stages -|q - x|^2
// (with centering: of q - mu and x - mu, the same distances).
class QueryScorer {
 public:
  // `query` is already normalised under cosine.
  QueryScorer(const ScoringContext& context, const float* query);

  // Blocks [begin, end) of `store`: every live vector that passes the filters and may be
  // among the reservoir's best is pushed with its 8-bit-table key.
  void Scan(const BlockStore& store, int64_t begin, int64_t end, const SearchParams& params,
            Reservoir* reservoir) const;
  // The same for several queries in one pass: each load of the codes serves all of them
  // (up to kQueriesPerPass at a time). scorers[i] fills reservoirs[i].
  static void ScanMany(std::span<const QueryScorer* const> scorers, const BlockStore& store,
                       int64_t begin, int64_t end, const SearchParams& params,
                       std::span<Reservoir* const> reservoirs);
  static constexpr int kQueriesPerPass = 8;

  // Sets each candidate's key from the exact estimate of the vector at its position, whose
  // inner-product part is TurboQuantizer::EstimateInnerProduct bit for bit.
  void EstimateKeys(const BlockStore& store, std::span<Candidate> candidates) const;
  // The metric's score from a key; the key from the kept original vector (exact distance).
  float ExactKey(const BlockStore& store, int64_t pos, std::vector<float>* scratch) const;
  float ScoreFromKey(float key) const { return context_.metric == Metric::kL2 ? -key : key; }

 private:
  // What BlockKeys needs of this query: the tables' scales and offsets, the key's offset.
  KeyTerms Terms() const;
  // Keys of the `count` blocks starting at block b0 (at `first`) from their scan sums.
  void Collect(SimdLevel level, const BlockStore& store, int64_t b0, int64_t count,
               const uint8_t* first, const uint32_t* mse_sums, const uint32_t* upper_sums,
               const uint32_t* qjl_sums, const SearchParams& params, Reservoir* reservoir) const;

  const ScoringContext& context_;
  const float* query_;
  // Under centering the codes hold x - mu. The estimate of <v, x - mu> errs in proportion to
  // |v|, so ip and cosine pick per query the shorter of v = q and v = q - mu:
  //   <q, x> = <q, mu> + est <q, x - mu>                              (q nearer the origin)
  //          = <q, mu> + <mu, x - mu> (stored, exact) + est <q - mu, x - mu>  (nearer mu)
  // l2 always estimates |(q - mu) - (x - mu)|^2 from the centered query.
  float key_offset_ = 0;        // <q, mu>
  bool add_mean_dots_ = false;  // the second form
  std::vector<float> centered_query_;
  double query_squared_norm_ = 0;
  PreparedQuery prepared_;
  QuantizedLut mse_lut_;
  QuantizedLut upper_lut_;
  QuantizedLut qjl_lut_;
};

}  // namespace tq

#endif  // TQ_INDEX_QUERY_SCORER_H_
