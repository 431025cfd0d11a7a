// tq::Index, the embedded API: online TurboQuant index with ids, deletes, filters, exact
// rescoring and optional rerank. Search is const and safe while one thread adds or removes.
#ifndef TQ_INDEX_INDEX_H_
#define TQ_INDEX_INDEX_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/turbo_quantizer.h"
#include "index/index_options.h"
#include "index/index_stats.h"
#include "index/rw_lock.h"
#include "index/search_params.h"
#include "index/write_ahead_log.h"

namespace tq {

class BlockFormat;
class BlockStore;
class LutCodebook;
class QueryScorer;
class Reservoir;
struct ScoringContext;

// How Index::Open reads a file.
struct OpenOptions {
  // Leave the blocks and kept vectors in a read-only memory map of the file instead of copying
  // them into memory: the kernel shares the pages between every process that maps the file,
  // and only pages a search touches are read. A segment of 2048 vectors is copied to memory
  // the first time Add or Remove changes it; Save writes a new file and leaves the mapped one
  // alone. Safe as long as the file is replaced by rename (as Save does), never truncated in
  // place.
  bool mmap = false;
  // Check the CRC32C of every section, which reads the whole file. Ids, tombstones, the header
  // and the live masks are always checked; without this a mapped open is close to instant but
  // a flipped bit inside the codes or kept vectors would go unnoticed.
  bool verify_checksums = true;
  // Open for writing: every Add and Remove is appended to the write-ahead log "<path>.wal"
  // (index/write_ahead_log.h) before it returns, and Checkpoint() folds the log into the file.
  // One writer per index: a second writable open fails while the first is alive. Any open,
  // writable or not, replays the log it finds, so readers see every acknowledged batch.
  bool writable = false;
  WalSync sync = WalSync::kEveryBatch;  // with writable: fsync each batch, or leave it to the OS
};

// What Open found in the write-ahead log.
struct WalRecovery {
  int64_t records_replayed = 0;
  int64_t vectors_added = 0;
  int64_t ids_removed = 0;
  int64_t dropped_bytes = 0;   // a torn or corrupt tail (the last batch, cut by a crash)
  std::string dropped_reason;  // why, when dropped_bytes > 0
  bool stale_log = false;      // a log older than the file (its checkpoint completed): ignored
};

// Ids are caller-chosen uint64 below 2^63 (results report them as int64, -1 is padding).
inline constexpr uint64_t kMaxIndexId = (uint64_t{1} << 63) - 1;

class Index {
 public:
  static absl::StatusOr<std::unique_ptr<Index>> Create(const IndexOptions& options);
  // Reads an index written by Save (format in index/file_format.h). Everything is validated
  // before use: sizes against the header, checksums, ids, the tombstones against the live
  // masks, and the quantizer recomputed from (dim, bits, variant, rotation, seed) against the
  // file's fingerprint. Errors start with the path: NotFound (no file), FailedPrecondition
  // (not an index, a format version or quantizer this build cannot read), DataLoss (truncated
  // or corrupt).
  static absl::StatusOr<std::unique_ptr<Index>> Open(std::string_view path,
                                                     const OpenOptions& open_options = {});

  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;
  ~Index();

  const IndexOptions& options() const { return options_; }
  // The mean subtracted before quantization; empty when nothing is (yet) subtracted.
  std::vector<float> mean() const;
  int dim() const { return options_.dim; }
  int64_t size() const;  // live vectors: what a search can return
  // Whether a live vector has this id. Waits for a running Add, Remove or Compact.
  bool Contains(uint64_t id) const;
  IndexStats stats() const;
  const TurboQuantizer& quantizer() const { return *quantizer_; }

  // Encodes n row-major vectors (OpenMP over the batch) and appends them. `ids` (n of them)
  // must be new, distinct and <= kMaxIndexId; without ids the vectors get consecutive ids
  // after the largest id ever added (0, 1, ... for a new index). InvalidArgument for NaN/Inf,
  // a zero vector under cosine, a value beyond float16 under KeepVectors::kFloat16, an id
  // repeated within the batch or too large; AlreadyExists for an id already in the index.
  // On any error nothing of the batch is stored.
  absl::Status Add(const float* vectors, int64_t n, const uint64_t* ids = nullptr);
  // The same with sizes checked: vectors.size() must be a multiple of dim(), ids empty or one
  // per vector.
  absl::Status Add(std::span<const float> vectors, std::span<const uint64_t> ids = {});

  // Tombstones the vectors with these ids. NotFound (and nothing removed) if any is unknown.
  // A removed id may be added again.
  absl::Status Remove(const uint64_t* ids, int64_t n);
  absl::Status Remove(std::span<const uint64_t> ids) {
    return Remove(ids.data(), static_cast<int64_t>(ids.size()));
  }
  // Rewrites the blocks without removed vectors; searches return the same results after.
  absl::Status Compact();

  // Writes the index to `path` atomically: a temporary file beside it, fsync, rename over
  // `path`, fsync of the directory. A failure leaves any existing file at `path` as it was.
  // Searches run during a save; Add, Remove and Compact wait for it. Saving a writable index
  // over its own file is a Checkpoint().
  absl::Status Save(std::string_view path) const;
  // Writable indexes: saves the index over its file, then empties the write-ahead log. A crash
  // between the two loses nothing (the log then predates the file and is ignored).
  absl::Status Checkpoint();
  // What Open replayed from the write-ahead log.
  const WalRecovery& recovery() const { return recovery_; }

  // k nearest of each of nq row-major queries; see SearchParams and SearchResults (scores:
  // inner product, cosine, or squared L2). InvalidArgument for k <= 0, rerank < 0, NaN/Inf
  // queries or a zero query under cosine; an empty index gives padding only.
  absl::Status Search(const float* queries, int64_t nq, int k, const SearchParams& params,
                      SearchResults* results) const;
  // The same with sizes checked: queries.size() must be a multiple of dim().
  absl::Status Search(std::span<const float> queries, int k, const SearchParams& params,
                      SearchResults* results) const;

 private:
  explicit Index(const IndexOptions& options);

  // Save with write_mu_ held; `base` receives the saved state, for the write-ahead log.
  absl::Status SaveLocked(std::string_view path, WalBase* base) const;
  // Replays the log beside `path` (if any and if it extends the file described by `base`),
  // and for a writable open keeps it open for appending.
  absl::Status ReplayLog(const std::string& path, const WalBase& base, const OpenOptions& options);
  absl::Status CheckVectors(const float* x, int64_t n, const char* what) const;
  // `count` queries (up to a few) scanned together, the blocks split over `threads`.
  void SearchBatch(const BlockStore& store, const float* queries, int64_t count, int k,
                   const SearchParams& params, int threads, int64_t* ids, float* scores) const;
  // Exact estimator over the reservoir, rerank, and the k results.
  void FinishQuery(const BlockStore& store, const QueryScorer& scorer, int k,
                   const SearchParams& params, Reservoir* reservoir, int64_t* ids,
                   float* scores) const;

  IndexOptions options_;
  // What Add subtracts before encoding (IndexOptions::center): empty until the first batch
  // under first-batch centering, and always under none. Set once, under both locks.
  std::vector<float> mean_;
  std::unique_ptr<TurboQuantizer> quantizer_;
  std::unique_ptr<BlockFormat> format_;
  std::unique_ptr<LutCodebook> mse_codebook_;    // null without Lloyd-Max bits
  std::unique_ptr<LutCodebook> upper_codebook_;  // non-integer rates only
  std::unique_ptr<LutCodebook> qjl_codebook_;    // prod only
  std::unique_ptr<ScoringContext> context_;

  // Writers (Add, Remove, Compact) take write_mu_ for their whole call, so they run one at a
  // time and may read store_ without mu_; they take mu_ exclusively only to publish.
  // Readers (Search, stats) hold mu_ shared.
  mutable std::mutex write_mu_;  // Save holds it too, for a consistent snapshot
  // Live id -> position (write_mu_), but for the automatic ids of the adds since the map was last
  // needed: those wait in pending_ids_ as runs (first id, first position, count) until a caller
  // that looks ids up (Contains, Remove, Add with ids) calls Positions(); after Compact and after
  // opening a file whose ids ascend, the whole map waits (positions_from_store_). One serial hash
  // insert per vector was the largest serial step of a large Add (~55 ns each: ~12% of adding
  // GloVe's 100k vectors on two threads, ~0.2 s per 1M).
  struct IdRun {
    uint64_t first_id;
    int64_t first_position;
    int64_t count;
  };
  absl::flat_hash_map<uint64_t, int64_t>& Positions() const;  // write_mu_ held
  mutable absl::flat_hash_map<uint64_t, int64_t> positions_;
  mutable std::vector<IdRun> pending_ids_;
  // Set by Compact and by opening a file whose ids ascend: positions_ is empty and the first
  // lookup maps every live position of the store (which covers the pending runs too).
  mutable bool positions_from_store_ = false;
  uint64_t next_id_ = 0;  // write_mu_
  mutable RwLock mu_;
  std::unique_ptr<BlockStore> store_;  // written under both locks

  std::string path_;                    // the file a writable index was opened from
  std::unique_ptr<WriteAheadLog> log_;  // writable only; appended under write_mu_
  WalRecovery recovery_;
};

}  // namespace tq

#endif  // TQ_INDEX_INDEX_H_
