// Per-call search knobs (rerank depth, threads, filter) and the results of a batch of queries.
// Knobs live here, never in the Index, so concurrent searches cannot race on them.
#ifndef TQ_INDEX_SEARCH_PARAMS_H_
#define TQ_INDEX_SEARCH_PARAMS_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace tq {

struct SearchParams {
  // 0: scores are the TurboQuant estimates. R > 0 with kept vectors: the best max(R, k)
  // candidates by estimate are rescored with exact distances (ignored without kept vectors).
  int rerank = 0;
  // OpenMP threads for this call; <= 0 means omp_get_max_threads().
  int threads = 0;
  // Filters; an id is a candidate only if it passes every one that is set.
  // Not owned: the set must outlive the Search call.
  const absl::flat_hash_set<uint64_t>* allow_list = nullptr;
  // Called from several threads at once, only for vectors good enough to be candidates;
  // it must not call back into the Index (the search holds its lock).
  std::function<bool(uint64_t id)> predicate;
};

// k results per query, nearest first. A query with fewer than k hits is padded with id -1 and
// the worst score (-inf for ip and cosine, +inf for l2), as FAISS does.
struct SearchResults {
  int64_t num_queries = 0;
  int k = 0;
  std::vector<int64_t> ids;  // num_queries x k, row-major
  std::vector<float> scores;

  int64_t id(int64_t query, int rank) const { return ids[query * k + rank]; }
  float score(int64_t query, int rank) const { return scores[query * k + rank]; }
  std::span<const int64_t> ids_of(int64_t query) const {
    return std::span<const int64_t>(ids).subspan(query * k, k);
  }
  std::span<const float> scores_of(int64_t query) const {
    return std::span<const float>(scores).subspan(query * k, k);
  }
};

}  // namespace tq

#endif  // TQ_INDEX_SEARCH_PARAMS_H_
