// Index: validation, encoding outside the locks, publishing under a short exclusive lock,
// tombstones, compaction, and search (8-bit scan -> exact estimator -> optional rerank).
#include "index/index.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/encode_rows.h"
#include "engine/float16.h"
#include "engine/lookup_table.h"
#include "engine/row_reductions.h"
#include "engine/simd_level.h"
#include "index/block_format.h"
#include "index/block_store.h"
#include "index/centering.h"
#include "index/query_scorer.h"
#include "index/top_k.h"

namespace tq {
namespace {

double SquaredNorm(const float* x, int d) {
  double sum = 0.0;
  for (int j = 0; j < d; ++j) sum += static_cast<double>(x[j]) * x[j];
  return sum;
}

// x / |x| as the quantizer computes it (|x|^2 in engine/encode_rows.h's order, 1 / |x| in
// double). False, and out unwritten, for a zero or non-finite x: the one pass that normalises
// also checks.
bool Normalize(SimdLevel level, const float* x, int d, float* out) {
  const double squared = CenterRowAt(level, x, nullptr, d, nullptr).squared_norm;
  if (!(squared > 0.0) || !std::isfinite(squared)) return false;
  ScaleRowAt(level, x, 1.0 / std::sqrt(squared), d, out);
  return true;
}

int ThreadCount(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

}  // namespace

absl::StatusOr<std::unique_ptr<Index>> Index::Create(const IndexOptions& options) {
  if (absl::Status status = ValidateIndexOptions(options); !status.ok()) return status;
  std::unique_ptr<Index> index(new Index(options));
  QuantizerOptions qo;
  qo.dim = options.dim;
  qo.bits = options.bits;
  qo.variant = options.variant;
  qo.rotation = options.rotation;
  qo.seed = options.seed;
  qo.upper_coords = options.upper_coords;
  qo.encoder = options.encoder;
  absl::StatusOr<std::unique_ptr<TurboQuantizer>> quantizer = TurboQuantizer::Create(qo);
  if (!quantizer.ok()) return quantizer.status();
  index->quantizer_ = *std::move(quantizer);
  absl::StatusOr<BlockFormat> format =
      BlockFormat::Create(*index->quantizer_, options.metric == Metric::kL2,
                          options.metric != Metric::kL2 && options.center != Centering::kNone);
  if (!format.ok()) return format.status();
  index->format_ = std::make_unique<BlockFormat>(*std::move(format));

  index->context_ = std::make_unique<ScoringContext>();
  ScoringContext& context = *index->context_;
  context.quantizer = index->quantizer_.get();
  context.format = index->format_.get();
  context.metric = options.metric;
  // The values each code part's tables are built from (the density is the whole vector's).
  auto make_book = [&](const BlockLayout* layout, std::span<const float> values,
                       std::unique_ptr<LutCodebook>* book, const LutCodebook** in_context) {
    if (layout == nullptr) return absl::OkStatus();
    absl::StatusOr<LutCodebook> created = LutCodebook::Create(*layout, values, options.dim);
    if (!created.ok()) return created.status();
    *book = std::make_unique<LutCodebook>(*std::move(created));
    *in_context = book->get();
    return absl::OkStatus();
  };
  const TurboQuantizer& q = *index->quantizer_;
  const float signs[2] = {-1.0f, 1.0f};
  for (const absl::Status& s :
       {make_book(index->format_->mse_layout(),
                  q.codebook() ? q.codebook()->centroids() : std::span<const float>(),
                  &index->mse_codebook_, &context.mse_codebook),
        make_book(index->format_->upper_layout(),
                  q.upper_codebook() ? q.upper_codebook()->centroids() : std::span<const float>(),
                  &index->upper_codebook_, &context.upper_codebook),
        make_book(index->format_->qjl_layout(), signs, &index->qjl_codebook_,
                  &context.qjl_codebook)}) {
    if (!s.ok()) return s;
  }
  context.qjl_scale = q.qjl_scale();
  if (options.center == Centering::kGiven) {
    index->mean_ = options.mean;
    context.mean = index->mean_.data();
  }
  index->store_ = std::make_unique<BlockStore>(*index->format_, options.keep_vectors);
  return index;
}

Index::Index(const IndexOptions& options) : options_(options) {}
Index::~Index() = default;

int64_t Index::size() const {
  std::shared_lock lock(mu_);
  return store_->live();
}

std::vector<float> Index::mean() const {
  std::shared_lock lock(mu_);
  return mean_;
}

bool Index::Contains(uint64_t id) const {
  std::lock_guard write(write_mu_);
  return Positions().contains(id);
}

absl::flat_hash_map<uint64_t, int64_t>& Index::Positions() const {
  // Prefetching the slot 16 ahead took ~25-40% off these inserts.
  constexpr int64_t kAhead = 16;
  if (positions_from_store_) {  // every live position, the pending runs' too
    const BlockStore& store = *store_;
    positions_.clear();
    positions_.reserve(store.live());
    for (int64_t pos = 0; pos < store.size(); ++pos) {
      if (pos + kAhead < store.size()) positions_.prefetch(store.id(pos + kAhead));
      if (store.is_live(pos)) positions_[store.id(pos)] = pos;
    }
    positions_from_store_ = false;
    pending_ids_.clear();
    return positions_;
  }
  for (const IdRun& run : pending_ids_) {
    positions_.reserve(positions_.size() + run.count);
    for (int64_t i = 0; i < run.count; ++i) {
      if (i + kAhead < run.count) positions_.prefetch(run.first_id + i + kAhead);
      positions_[run.first_id + i] = run.first_position + i;
    }
  }
  pending_ids_.clear();
  return positions_;
}

IndexStats Index::stats() const {
  std::shared_lock lock(mu_);
  const BlockFormat& format = *format_;
  IndexStats s;
  s.size = store_->size();
  s.live = store_->live();
  s.blocks = store_->num_blocks();
  s.code_bytes_per_vector = format.code_bytes_per_vector();
  s.floats_per_vector = format.floats_per_vector();
  s.bits_per_vector = 8LL * s.code_bytes_per_vector + 32LL * s.floats_per_vector;
  s.code_bytes = s.size * s.code_bytes_per_vector;
  s.float_bytes = s.size * 4 * s.floats_per_vector;
  s.block_bytes = s.blocks * static_cast<int64_t>(format.stride());
  s.raw_vector_bytes = s.size * static_cast<int64_t>(store_->raw_bytes_per_vector());
  s.id_bytes = s.size * static_cast<int64_t>(sizeof(uint64_t));
  return s;
}

absl::Status Index::CheckVectors(const float* x, int64_t n, const char* what) const {
  const int d = dim();
  // A parallel pass says whether anything is wrong; the serial one below names the first row.
  bool any_bad = false;
  const bool cosine = options_.metric == Metric::kCosine;
#pragma omp parallel for schedule(static) reduction(|| : any_bad) if (n > 1024)
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x + i * d;
    any_bad = any_bad || !AllFinite(row, d) || (cosine && AllZero(row, d));
  }
  if (!any_bad) return absl::OkStatus();
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x + i * d;
    for (int j = 0; j < d; ++j) {
      if (ABSL_PREDICT_FALSE(!std::isfinite(row[j]))) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " ", i, " has a non-finite value at coordinate ", j));
      }
    }
    if (options_.metric == Metric::kCosine && SquaredNorm(row, d) == 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " ", i, " is zero, which has no cosine"));
    }
  }
  return absl::OkStatus();
}

absl::Status Index::Add(std::span<const float> vectors, std::span<const uint64_t> ids) {
  if (vectors.size() % dim() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "add: ", vectors.size(), " floats is not a whole number of vectors of dimension ", dim()));
  }
  const int64_t n = static_cast<int64_t>(vectors.size() / dim());
  if (!ids.empty() && static_cast<int64_t>(ids.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("add: ", ids.size(), " ids for ", n, " vectors"));
  }
  return Add(vectors.data(), n, ids.empty() ? nullptr : ids.data());
}

absl::Status Index::Add(const float* vectors, int64_t n, const uint64_t* ids) {
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("add: vector count ", n));
  if (n == 0) return absl::OkStatus();
  if (vectors == nullptr) return absl::InvalidArgumentError("add: null vectors");
  const int d = dim();
  std::lock_guard write(write_mu_);

  // Ids first: everything is checked before anything is stored.
  std::vector<uint64_t> new_ids(n);
  if (ids != nullptr) {
    const absl::flat_hash_map<uint64_t, int64_t>& positions = Positions();
    absl::flat_hash_set<uint64_t> seen;
    seen.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      if (ids[i] > kMaxIndexId) {
        return absl::InvalidArgumentError(
            absl::StrCat("add: id ", ids[i], " of vector ", i, " is above 2^63 - 1"));
      }
      if (!seen.insert(ids[i]).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("add: id ", ids[i], " appears twice in the batch"));
      }
      if (positions.contains(ids[i])) {
        return absl::AlreadyExistsError(
            absl::StrCat("add: id ", ids[i], " of vector ", i, " is already in the index"));
      }
      new_ids[i] = ids[i];
    }
  } else {
    if (next_id_ > kMaxIndexId || static_cast<uint64_t>(n - 1) > kMaxIndexId - next_id_) {
      return absl::OutOfRangeError("add: automatic ids would pass 2^63 - 1");
    }
    for (int64_t i = 0; i < n; ++i) new_ids[i] = next_id_ + i;
  }
  // Finite values (and, for cosine, no zero vector) before anything is stored. The first reader
  // of the rows checks them slice by slice below (the centering mean only samples): the
  // quantizer's Encode for ip and l2, the normalisation for cosine. So this pass (a whole read of
  // the batch: 5% of adding d = 1536, ~8% of adding GloVe at 2 bits) runs first only where the
  // float16 range check needs finite rows, and otherwise only on a failure, to name the first
  // bad row as here.
  const bool cosine = options_.metric == Metric::kCosine;
  const bool check_later = cosine || options_.keep_vectors != KeepVectors::kFloat16;
  if (!check_later) {
    if (absl::Status status = CheckVectors(vectors, n, "add: vector"); !status.ok()) return status;
  }
  // Cosine keeps unit vectors, which always fit float16. The rows' max |x| in parallel first
  // (a serial pass here was the largest serial step of adding 1M kept vectors).
  if (options_.keep_vectors == KeepVectors::kFloat16 && options_.metric != Metric::kCosine) {
    int64_t first_bad = n;
#pragma omp parallel for schedule(static) reduction(min : first_bad) if (n > 1024)
    for (int64_t i = 0; i < n; ++i) {
      if (MaxAbs(vectors + i * d, d) > kFloat16Max) first_bad = std::min(first_bad, i);
    }
    if (first_bad < n) {
      const float* row = vectors + first_bad * d;
      for (int j = 0; j < d; ++j) {
        if (std::abs(row[j]) > kFloat16Max) {
          return absl::InvalidArgumentError(absl::StrCat("add: vector ", first_bad, " has ", row[j],
                                                         " at coordinate ", j,
                                                         ", beyond float16 (keep_vectors f16)"));
        }
      }
    }
  }

  // Cosine indexes unit vectors: each slice is normalised below as it is encoded (a batch-sized
  // copy cost a first touch of n d floats), and the mean's sample here.
  const SimdLevel level = ActiveSimdLevel();
  // The first batch fixes the mean (published with the batch); later ones reuse it.
  std::vector<float> first_mean;
  const float* mean = mean_.empty() ? nullptr : mean_.data();
  if (mean == nullptr && options_.center == Centering::kFirstBatch) {
    if (cosine) {  // the sample rows, normalised, in order: EstimateMean takes all m of them
      const int64_t m = std::min(n, kMeanSampleRows);
      std::vector<float> sample(m * d);
      // In parallel: serially, 1.5 ms of adding GloVe's 100k on two threads (~26 ms in all), the
      // largest step the second thread did not help; 0.8 ms now.
#pragma omp parallel for schedule(static) if (m * d > 100'000)
      for (int64_t i = 0; i < m; ++i) {
        // A zero or non-finite row leaves zeros here; its slice rejects the batch below.
        Normalize(level, vectors + MeanSampleRow(i, n, m) * d, d, sample.data() + i * d);
      }
      first_mean = EstimateMean(sample.data(), m, d);
    } else {
      first_mean = EstimateMean(vectors, n, d);
    }
    mean = first_mean.data();
  }
  // A slice that Encode rejects (below) returns its error: name a non-finite row as the early
  // check would, which may lie beyond the slice (it may have made the mean NaN).
  const auto rejected = [&](absl::Status status) {
    if (check_later) {
      if (absl::Status check = CheckVectors(vectors, n, "add: vector"); !check.ok()) return check;
    }
    return status;
  };

  // Stage whole blocks: the partial last block rebuilt with its old lanes, then new blocks.
  // Only writers change the store and we hold write_mu_, so reading it needs no mu_.
  const BlockStore& store = *store_;
  const int64_t old_size = store.size();
  const int existing = static_cast<int>(old_size % kBlockVectors);
  StagedVectors staged;
  staged.first_block = old_size / kBlockVectors;
  staged.num_blocks = (existing + n + kBlockVectors - 1) / kBlockVectors;
  const size_t stride = format_->stride();
  // New blocks are built where they will stay, past the published ones (readers never look
  // there), so nothing is copied under the lock; only a partial last block, which readers may
  // be scanning, is rebuilt aside. (Staging everything aside and copying it in took ~30% of
  // adding d = 1536 vectors, most of it first-touch page faults, twice.)
  {
    std::unique_lock lock(mu_);
    store_->Reserve(staged.first_block + staged.num_blocks);
  }
  const int64_t aside = existing > 0 ? 1 : 0;
  staged.blocks_in_place = staged.num_blocks - aside;
  staged.blocks.resize(aside * stride);
  // Their pages faulted in here, on one thread, not by the parallel builders below.
  store_->TouchUnpublished(staged.first_block + aside, staged.first_block + staged.num_blocks);
  // Encoded and packed a slice of blocks at a time, reusing one code buffer: Add needs no
  // batch-sized one (77 MB for 100k vectors of d = 1536, 8x that at 1M); the speed was the same
  // within this machine's noise for slices of 32 to 512 blocks and the whole batch. Encoding
  // also yields l2's |x - mu|^2 and, under centering, ip/cosine's <mu, x - mu>: with the
  // centered query these make the scores exact up to the estimate of <q - mu, x - mu>.
  // Encode checks each row in the pass that computes its norm, so the batch is read once. A
  // rejected slice still stores nothing: the slices before it only wrote unpublished blocks.
  constexpr int64_t kSliceBlocks = 128;
  const bool keep = options_.keep_vectors != KeepVectors::kNone;
  const bool half = options_.keep_vectors == KeepVectors::kFloat16;
  EncodedVectors encoded;
  std::vector<float> unit;  // cosine: the slice's rows normalised
  for (int64_t b0 = 0; b0 < staged.num_blocks; b0 += kSliceBlocks) {
    const int64_t b1 = std::min(staged.num_blocks, b0 + kSliceBlocks);
    const int64_t r0 = std::max<int64_t>(0, b0 * kBlockVectors - existing);  // its new rows
    const int64_t r1 = std::min(n, b1 * kBlockVectors - existing);
    const float* x = vectors + r0 * d;  // row r0 + i at x + i d
    if (cosine) {
      unit.resize((r1 - r0) * d);
      int64_t first_bad = r1;
#pragma omp parallel for schedule(static) reduction(min : first_bad) if (r1 - r0 > 1024)
      for (int64_t i = r0; i < r1; ++i) {
        if (!Normalize(level, vectors + i * d, d, unit.data() + (i - r0) * d)) {
          first_bad = std::min(first_bad, i);
        }
      }
      if (first_bad < r1) {
        return rejected(absl::InvalidArgumentError(absl::StrCat(
            "add: vector ", first_bad, " is zero or not finite, which has no cosine")));
      }
      x = unit.data();
    }
    if (absl::Status status = quantizer_->Encode(x, r1 - r0, &encoded, 0, mean, r0); !status.ok()) {
      return rejected(status);
    }
    if (keep) {  // kept vectors go in place too, while the slice is in the cache
#pragma omp parallel for schedule(static) if (r1 - r0 > 1024)
      for (int64_t i = r0; i < r1; ++i) {
        uint8_t* out = store_->UnpublishedRaw(old_size + i);
        const float* row = x + (i - r0) * d;
        if (half) {
          FloatsToHalves(row, d, reinterpret_cast<uint16_t*>(out));  // raw rows are 2-aligned
        } else {
          std::memcpy(out, row, d * sizeof(float));
        }
      }
    }
#pragma omp parallel if (b1 - b0 > 8)
    {
      BlockBuilder builder(*format_, *quantizer_);
#pragma omp for schedule(static)
      for (int64_t b = b0; b < b1; ++b) {
        builder.Reset();
        int64_t row = b * kBlockVectors - existing;  // first new row of this block
        if (b == 0) {
          for (int lane = 0; lane < existing; ++lane) {
            builder.AddLane(store.block(staged.first_block), lane);
          }
          row = 0;
        }
        for (; builder.count() < kBlockVectors && row < n; ++row) {
          builder.AddEncoded(encoded, row - r0);
        }
        builder.Finish(b < aside ? staged.blocks.data()
                                 : store_->UnpublishedBlock(staged.first_block + b));
      }
    }
  }
  staged.ids = new_ids;
  staged.raw_in_place = keep;

  // Logged before it is visible or acknowledged: after a crash it replays, or it never was.
  if (log_ != nullptr) {
    if (absl::Status status = log_->AppendAdd(vectors, n, d, new_ids.data()); !status.ok()) {
      return status;
    }
  }
  {
    std::unique_lock lock(mu_);
    store_->Append(staged);
    if (!first_mean.empty()) {
      mean_ = std::move(first_mean);
      context_->mean = mean_.data();
    }
  }
  if (ids == nullptr) {  // a run of automatic ids, mapped when first looked up (Positions)
    pending_ids_.push_back(IdRun{next_id_, old_size, n});
    next_id_ += static_cast<uint64_t>(n);
    return absl::OkStatus();
  }
  absl::flat_hash_map<uint64_t, int64_t>& positions = Positions();
  positions.reserve(positions.size() + n);
  constexpr int64_t kAhead = 16;
  for (int64_t i = 0; i < n; ++i) {
    if (i + kAhead < n) positions.prefetch(new_ids[i + kAhead]);
    positions[new_ids[i]] = old_size + i;
    next_id_ = std::max(next_id_, new_ids[i] + 1);
  }
  return absl::OkStatus();
}

absl::Status Index::Remove(const uint64_t* ids, int64_t n) {
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("remove: id count ", n));
  if (n == 0) return absl::OkStatus();
  if (ids == nullptr) return absl::InvalidArgumentError("remove: null ids");
  std::lock_guard write(write_mu_);
  absl::flat_hash_map<uint64_t, int64_t>& id_positions = Positions();
  std::vector<int64_t> positions(n);
  for (int64_t i = 0; i < n; ++i) {
    const auto it = id_positions.find(ids[i]);
    if (it == id_positions.end()) {
      return absl::NotFoundError(absl::StrCat("remove: id ", ids[i], " is not in the index"));
    }
    positions[i] = it->second;
  }
  if (log_ != nullptr) {
    if (absl::Status status = log_->AppendRemove(ids, n); !status.ok()) return status;
  }
  {
    std::unique_lock lock(mu_);
    for (int64_t pos : positions) store_->Kill(pos);  // a repeated id is killed once
  }
  for (int64_t i = 0; i < n; ++i) id_positions.erase(ids[i]);
  return absl::OkStatus();
}

absl::Status Index::Compact() {
  std::lock_guard write(write_mu_);
  const BlockStore& old = *store_;
  if (old.live() == old.size()) return absl::OkStatus();
  auto fresh = std::make_unique<BlockStore>(*format_, options_.keep_vectors);
  BlockBuilder builder(*format_, *quantizer_);
  const size_t stride = format_->stride();
  const size_t raw_bytes = old.raw_bytes_per_vector();
  // Survivors keep their order, so ties between them break the same way as before.
  StagedVectors staged;
  auto flush = [&] {
    if (builder.count() > 0) {
      staged.blocks.resize((staged.num_blocks + 1) * stride);
      builder.Finish(staged.blocks.data() + staged.num_blocks * stride);
      ++staged.num_blocks;
      builder.Reset();
    }
    fresh->Append(staged);
    staged = StagedVectors();
    staged.first_block = fresh->num_blocks();
  };
  for (int64_t b = 0; b < old.num_blocks(); ++b) {
    const uint8_t* block = old.block(b);
    for (uint32_t mask = format_->live_mask(block); mask != 0; mask &= mask - 1) {
      const int lane = std::countr_zero(mask);
      const int64_t pos = b * kBlockVectors + lane;
      builder.AddLane(block, lane);
      staged.ids.push_back(old.id(pos));
      if (raw_bytes > 0) {
        staged.raw.insert(staged.raw.end(), old.raw_bytes(pos), old.raw_bytes(pos) + raw_bytes);
      }
      if (builder.count() == kBlockVectors) {
        staged.blocks.resize((staged.num_blocks + 1) * stride);
        builder.Finish(staged.blocks.data() + staged.num_blocks * stride);
        ++staged.num_blocks;
        builder.Reset();
        if (staged.num_blocks == BlockStore::kSegmentBlocks) flush();
      }
    }
  }
  flush();
  {
    std::unique_lock lock(mu_);
    store_.swap(fresh);
  }
  // The store's ids are the whole truth and positions moved: mapped again at the first lookup.
  positions_.clear();
  pending_ids_.clear();
  positions_from_store_ = true;
  return absl::OkStatus();
}

absl::Status Index::Search(std::span<const float> queries, int k, const SearchParams& params,
                           SearchResults* results) const {
  if (queries.size() % dim() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("search: ", queries.size(),
                     " floats is not a whole number of queries of dimension ", dim()));
  }
  return Search(queries.data(), static_cast<int64_t>(queries.size() / dim()), k, params, results);
}

absl::Status Index::Search(const float* queries, int64_t nq, int k, const SearchParams& params,
                           SearchResults* results) const {
  if (results == nullptr) return absl::InvalidArgumentError("search: null results");
  if (k <= 0) return absl::InvalidArgumentError(absl::StrCat("search: k = ", k));
  if (nq < 0) return absl::InvalidArgumentError(absl::StrCat("search: query count ", nq));
  if (nq > 0 && queries == nullptr) return absl::InvalidArgumentError("search: null queries");
  if (params.rerank < 0) {
    return absl::InvalidArgumentError(absl::StrCat("search: rerank = ", params.rerank));
  }
  if (absl::Status status = CheckVectors(queries, nq, "search: query"); !status.ok()) {
    return status;
  }
  const float worst = options_.metric == Metric::kL2 ? std::numeric_limits<float>::infinity()
                                                     : -std::numeric_limits<float>::infinity();
  results->num_queries = nq;
  results->k = k;
  results->ids.assign(nq * k, -1);
  results->scores.assign(nq * k, worst);
  if (nq == 0) return absl::OkStatus();

  std::shared_lock lock(mu_);
  const BlockStore& store = *store_;
  if (store.live() == 0) return absl::OkStatus();
  const int threads = ThreadCount(params.threads);
  const int d = dim();
  if (nq < threads && store.num_blocks() >= 2 * BlockStore::kSegmentBlocks) {
    // Few queries over many blocks: the threads split the blocks, each pass serving a group.
    for (int64_t q = 0; q < nq; q += QueryScorer::kQueriesPerPass) {
      const int64_t count = std::min<int64_t>(QueryScorer::kQueriesPerPass, nq - q);
      SearchBatch(store, queries + q * d, count, k, params, threads, results->ids.data() + q * k,
                  results->scores.data() + q * k);
    }
    return absl::OkStatus();
  }
  // Otherwise the threads split the queries, in groups that share each pass over the codes.
  const int64_t group =
      std::clamp<int64_t>((nq + threads - 1) / threads, 1, QueryScorer::kQueriesPerPass);
  const int64_t groups = (nq + group - 1) / group;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1 && groups > 1)
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t q = g * group;
    SearchBatch(store, queries + q * d, std::min(group, nq - q), k, params, 1,
                results->ids.data() + q * k, results->scores.data() + q * k);
  }
  return absl::OkStatus();
}

void Index::SearchBatch(const BlockStore& store, const float* queries, int64_t count, int k,
                        const SearchParams& params, int threads, int64_t* ids,
                        float* scores) const {
  const int d = dim();
  std::vector<float> unit;
  if (options_.metric == Metric::kCosine) {
    unit.resize(count * d);
    const SimdLevel level = ActiveSimdLevel();
    for (int64_t q = 0; q < count; ++q) {
      Normalize(level, queries + q * d, d, unit.data() + q * d);  // checked by Search
    }
    queries = unit.data();
  }
  std::vector<std::unique_ptr<QueryScorer>> scorers;
  std::vector<const QueryScorer*> scorer_ptrs;
  for (int64_t q = 0; q < count; ++q) {
    scorers.push_back(std::make_unique<QueryScorer>(*context_, queries + q * d));
    scorer_ptrs.push_back(scorers.back().get());
  }
  // 1.25k candidates (at least 16) for the exact estimator to re-rank. They only need to hold
  // the true top k through the 8-bit tables' rounding, which is small next to the estimator's
  // own error. Measured on GloVe-100, USE-512 and word2vec-300 at 1-4 bits and with prod, k = 1,
  // 10, 64, 100: recall@k equal to 2k's within 0.0001 (k alone lost up to 0.0014 at k = 64); at
  // k = 64 on GloVe 4 bits 1.11x the queries per second of 2k (pushes, prunes and rescoring
  // shrink with it). Earlier, 4k and a floor of 64 had given 2k's recall at 0.5-0.6x the speed.
  const int64_t capacity = std::max<int64_t>({k + (k + 3) / 4, 16, params.rerank});
  std::vector<Reservoir> reservoirs(count, Reservoir(capacity));
  std::vector<Reservoir*> reservoir_ptrs;
  for (Reservoir& r : reservoirs) reservoir_ptrs.push_back(&r);
  const int64_t blocks = store.num_blocks();
  if (threads <= 1) {
    QueryScorer::ScanMany(scorer_ptrs, store, 0, blocks, params, reservoir_ptrs);
  } else {
    const int64_t segments = (blocks + BlockStore::kSegmentBlocks - 1) / BlockStore::kSegmentBlocks;
#pragma omp parallel num_threads(threads)
    {
      std::vector<Reservoir> local(count, Reservoir(capacity));
      std::vector<Reservoir*> local_ptrs;
      for (Reservoir& r : local) local_ptrs.push_back(&r);
#pragma omp for schedule(dynamic, 1)
      for (int64_t s = 0; s < segments; ++s) {
        const int64_t begin = s * BlockStore::kSegmentBlocks;
        QueryScorer::ScanMany(scorer_ptrs, store, begin,
                              std::min(blocks, begin + BlockStore::kSegmentBlocks), params,
                              local_ptrs);
      }
      // The merged set does not depend on the order: Better() is a total order.
#pragma omp critical(tq_index_merge)
      for (int64_t q = 0; q < count; ++q) reservoirs[q].Merge(local[q]);
    }
  }
  for (int64_t q = 0; q < count; ++q) {
    FinishQuery(store, *scorers[q], k, params, &reservoirs[q], ids + q * k, scores + q * k);
  }
}

void Index::FinishQuery(const BlockStore& store, const QueryScorer& scorer, int k,
                        const SearchParams& params, Reservoir* reservoir, int64_t* ids,
                        float* scores) const {
  // Exact estimator over the reservoir, then exact distances over the best max(R, k).
  std::vector<Candidate> candidates = reservoir->TakeBest();
  scorer.EstimateKeys(store, candidates);
  // A lambda rather than &Better, so that the comparison inlines.
  const auto better = [](const Candidate& a, const Candidate& b) { return Better(a, b); };
  std::sort(candidates.begin(), candidates.end(), better);
  if (params.rerank > 0 && store.keep() != KeepVectors::kNone) {
    const size_t depth =
        std::min(candidates.size(), static_cast<size_t>(std::max(params.rerank, k)));
    std::vector<float> vector;
    for (size_t i = 0; i < depth; ++i) {
      candidates[i].key = scorer.ExactKey(store, candidates[i].pos, &vector);
    }
    std::sort(candidates.begin(), candidates.begin() + depth, better);
  }
  const size_t hits = std::min(candidates.size(), static_cast<size_t>(k));
  for (size_t i = 0; i < hits; ++i) {
    ids[i] = static_cast<int64_t>(store.id(candidates[i].pos));
    scores[i] = scorer.ScoreFromKey(candidates[i].key);
  }
}

}  // namespace tq
