// Runs and times the searches of one method and scores them against the ground truth.
#include "tools/bench/recall_measure.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_format.h"

namespace tq::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Mean over queries of |first truth_depth results ∩ true top truth_depth| / truth_depth.
double RecallAtTruthDepth(const RecallData& data, const std::vector<int64_t>& ids, int stride) {
  const int depth = data.truth_depth;
  int64_t hits = 0;  // counted, not summed as fractions, so 0.8358 prints as 0.8358
  for (int64_t q = 0; q < data.nq; ++q) {
    const int64_t* found = ids.data() + q * stride;
    const int64_t* truth = data.truth.data() + q * depth;
    for (int j = 0; j < depth; ++j) {
      hits += std::find(found, found + depth, truth[j]) != found + depth;
    }
  }
  return static_cast<double>(hits) / (data.nq * depth);
}

}  // namespace

std::vector<int> RecallDepths(int k) {
  std::vector<int> depths;
  for (int d = 1; d <= k; d *= 2) depths.push_back(d);
  if (depths.back() != k) depths.push_back(k);
  return depths;
}

absl::StatusOr<MethodResult> MeasureMethod(const MethodSpec& spec, const RecallMethod& method,
                                           const RecallData& data, const MeasureOptions& options) {
  MethodResult result;
  result.spec = spec;
  result.bytes_per_vector = method.bytes_per_vector();
  result.train_seconds = method.build_times().train_seconds;
  result.encode_seconds = method.build_times().encode_seconds;
  result.batch_note = method.batch_note();
  const int depth = std::max(options.k, kTruthDepth);
  const int64_t nq = data.nq;
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  std::vector<int64_t> ids(nq * depth);

  // One untimed query first: page faults and per-thread buffers are not search time.
  if (absl::Status s = method.SearchOne(data.query_row(0), depth, ids.data()); !s.ok()) return s;
  Clock::time_point start = Clock::now();
  for (int64_t q = 0; q < nq; ++q) {
    if (absl::Status s = method.SearchOne(data.query_row(q), depth, ids.data() + q * depth);
        !s.ok()) {
      return s;
    }
  }
  double seconds = SecondsSince(start);
  result.qps_1t = nq / seconds;
  log(absl::StrFormat("%s: %d queries one by one on 1 thread in %.1f s (%.0f QPS)", spec.name, nq,
                      seconds, result.qps_1t));

  for (int k : RecallDepths(options.k)) {
    int64_t hits = 0;
    for (int64_t q = 0; q < nq; ++q) {
      const int64_t* found = ids.data() + q * depth;
      hits += std::find(found, found + k, data.truth[q * data.truth_depth]) != found + k;
    }
    result.recall_1_at.emplace_back(k, static_cast<double>(hits) / nq);
  }
  result.recall_10_at_10 = RecallAtTruthDepth(data, ids, depth);

  std::vector<int64_t> batch_ids(nq * depth);
  start = Clock::now();
  if (absl::Status s =
          method.SearchAll(data.queries.data(), nq, depth, options.threads, batch_ids.data());
      !s.ok()) {
    return s;
  }
  seconds = SecondsSince(start);
  result.qps = nq / seconds;
  log(absl::StrFormat("%s: %d queries on %d threads in %.1f s (%.0f QPS)", spec.name, nq,
                      options.threads, seconds, result.qps));

  if (options.rerank > 0) {
    const int k = data.truth_depth;
    std::vector<int64_t> reranked(nq * k);
    start = Clock::now();
    if (absl::Status s =
            method.SearchReranked(data.queries.data(), nq, k, std::max(options.rerank, k),
                                  options.threads, reranked.data());
        !s.ok()) {
      return s;
    }
    result.recall_10_rerank = RecallAtTruthDepth(data, reranked, k);
    log(absl::StrFormat("%s: %d queries reranking the best %d in %.1f s", spec.name, nq,
                        options.rerank, SecondsSince(start)));
  }
  return result;
}

}  // namespace tq::bench
