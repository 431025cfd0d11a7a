// Stress test: searcher threads check every result against a model of the index while one writer
// runs a scripted random mix of Add, Remove and Compact; then a sequential replay must match.
//
// The writer publishes two counters around operation i: begun = i + 1 before it, done = i + 1
// after. A search reads done before and begun after, so the state it saw (state s = operations
// [0, s) applied) lies in [done, begun]. The script is generated up front, so the model knows
// for every id which states it is live in and with which vector; a search passes if one state
// s in that range explains all of its results: every id live at s, the score its kept vector's
// exact score (rerank >= k makes every returned score exact), k hits or as many as live at s.
// Label `stress` (not `unit`); TQ_STRESS_OPS sets the writer's operations per metric.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/random.h"
#include "index/index.h"
#include "index_test_util.h"

namespace tq {
namespace {

using ::tq::testing::ExactScore;
using ::tq::testing::MakeIndex;

constexpr int kSearchers = 6;
constexpr int64_t kDefaultOps = 15000;   // writer operations per metric (TQ_STRESS_OPS)
constexpr double kDefaultSeconds = 200;  // per metric, a bound for slow (sanitizer) builds
constexpr int64_t kLowLive = 1000;       // the live count swings between these: above 4096
constexpr int64_t kHighLive = 10000;     // (2 segments), single queries split the blocks
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

int64_t OpsPerMetric() {
  const char* env = std::getenv("TQ_STRESS_OPS");
  const int64_t ops = env != nullptr ? std::atoll(env) : 0;
  return ops > 0 ? ops : kDefaultOps;
}

// The predicate filter some searches use.
bool Allowed(uint64_t id) { return id % 3 != 0; }

enum class OpKind { kAdd, kRemove, kCompact };

struct Op {
  OpKind kind;
  std::vector<uint64_t> ids;
  int64_t first_row = 0;  // kAdd: vectors are rows first_row .. first_row + ids.size() of the pool
  absl::StatusCode expected = absl::StatusCode::kOk;
};

// An id is live in states [begin, end) with the vector of pool row `row`.
struct Lifetime {
  int64_t begin, end, row;
};

// The writer's script and what it does to the index, state by state.
struct Script {
  int dim = 0;
  std::vector<Op> ops;
  std::vector<float> pool;  // every vector any Add carries, row-major
  absl::flat_hash_map<uint64_t, std::vector<Lifetime>> lives;
  std::vector<int64_t> live;          // live count of state s (ops + 1 entries)
  std::vector<int64_t> live_allowed;  // of those, ids passing Allowed()

  const Lifetime* LiveAt(uint64_t id, int64_t s) const {
    const auto it = lives.find(id);
    if (it == lives.end()) return nullptr;
    for (const Lifetime& l : it->second) {
      if (l.begin <= s && s < l.end) return &l;
    }
    return nullptr;
  }
  const float* row(int64_t r) const { return pool.data() + r * dim; }
};

// A random mix: adds of 1-100 vectors (sometimes 1100, which takes the parallel paths of Add),
// with fresh ids (small or near 2^63), removed ids added again with new vectors, and copies of
// earlier vectors (exact ties); removes of 1-100 live ids (sometimes one listed twice);
// compactions; and failing calls that must change nothing (an id already live, an id twice in
// a batch, a NaN, an unknown id to remove).
Script MakeScript(int dim, int64_t num_ops, uint64_t seed) {
  Rng rng(seed);
  Script script;
  script.dim = dim;
  std::vector<uint64_t> live_ids;  // swap-remove set
  absl::flat_hash_map<uint64_t, size_t> live_index;
  std::vector<uint64_t> removed_ids;
  absl::flat_hash_set<uint64_t> ever;
  int64_t allowed = 0;
  bool growing = true;  // between kLowLive and kHighLive and back, again and again
  auto new_row = [&](bool allow_copy) {
    const int64_t rows = static_cast<int64_t>(script.pool.size()) / dim;
    const float* from = rows > 0 ? script.pool.data() + rng.NextBelow(rows) * dim : nullptr;
    if (allow_copy && from != nullptr && rng.NextDouble() < 0.02 &&
        std::all_of(from, from + dim, [](float v) { return std::isfinite(v); })) {
      const std::vector<float> copy(from, from + dim);  // not inserted from itself
      script.pool.insert(script.pool.end(), copy.begin(), copy.end());
    } else {
      const float scale = static_cast<float>(0.5 + 1.5 * rng.NextDouble());
      for (int j = 0; j < dim; ++j) {
        script.pool.push_back(scale * static_cast<float>(rng.NextGaussian()));
      }
    }
    return rows;
  };
  auto fresh_id = [&] {
    for (;;) {
      const uint64_t id = rng.NextDouble() < 0.7 ? rng.NextBelow(1'000'000)
                                                 : kMaxIndexId - rng.NextBelow(uint64_t{1} << 40);
      if (ever.insert(id).second) return id;  // also never twice in a failing batch
    }
  };
  script.live.push_back(0);
  script.live_allowed.push_back(0);
  for (int64_t i = 0; i < num_ops; ++i) {
    const int64_t after = i + 1;  // the state this op produces
    const int64_t n_live = static_cast<int64_t>(live_ids.size());
    if (n_live < kLowLive) growing = true;
    if (n_live > kHighLive) growing = false;
    const double add_share = growing ? 0.75 : 0.2;
    const double u = rng.NextDouble();
    Op op;
    if (u < 0.04) {
      op.kind = OpKind::kCompact;
    } else if (u < 0.07) {  // a failing call
      const int which = static_cast<int>(rng.NextBelow(4));
      if (which == 0 && n_live > 0) {
        op.kind = OpKind::kAdd;
        op.expected = absl::StatusCode::kAlreadyExists;
        for (int m = static_cast<int>(rng.NextBelow(20)); m > 0; --m) op.ids.push_back(fresh_id());
        op.ids.insert(op.ids.begin() + rng.NextBelow(op.ids.size() + 1),
                      live_ids[rng.NextBelow(n_live)]);
      } else if (which == 1) {
        op.kind = OpKind::kAdd;
        op.expected = absl::StatusCode::kInvalidArgument;
        for (int m = 2 + static_cast<int>(rng.NextBelow(20)); m > 0; --m) {
          op.ids.push_back(fresh_id());
        }
        op.ids.back() = op.ids.front();
      } else if (which == 2) {
        op.kind = OpKind::kAdd;
        op.expected = absl::StatusCode::kInvalidArgument;
        for (int m = 1 + static_cast<int>(rng.NextBelow(20)); m > 0; --m) {
          op.ids.push_back(fresh_id());
        }
      } else {
        op.kind = OpKind::kRemove;
        op.expected = absl::StatusCode::kNotFound;
        for (int m = static_cast<int>(std::min<int64_t>(n_live, rng.NextBelow(20))); m > 0; --m) {
          op.ids.push_back(live_ids[rng.NextBelow(n_live)]);
        }
        const uint64_t unknown = !removed_ids.empty() && rng.NextDouble() < 0.5
                                     ? removed_ids[rng.NextBelow(removed_ids.size())]
                                     : fresh_id();
        op.ids.insert(op.ids.begin() + rng.NextBelow(op.ids.size() + 1), unknown);
      }
      if (op.kind == OpKind::kAdd) {
        op.first_row = static_cast<int64_t>(script.pool.size()) / dim;
        for (size_t r = 0; r < op.ids.size(); ++r) new_row(true);
        if (which == 2) {  // a NaN in a random vector of the batch
          const int64_t r = op.first_row + static_cast<int64_t>(rng.NextBelow(op.ids.size()));
          script.pool[r * dim + rng.NextBelow(dim)] = std::numeric_limits<float>::quiet_NaN();
        }
      }
    } else if (u < 0.07 + add_share * 0.93 || n_live == 0) {
      op.kind = OpKind::kAdd;
      const int64_t n =
          rng.NextDouble() < 0.01 ? 1100 : 1 + static_cast<int64_t>(rng.NextBelow(100));
      op.first_row = static_cast<int64_t>(script.pool.size()) / dim;
      absl::flat_hash_set<uint64_t> batch;
      for (int64_t r = 0; r < n; ++r) {
        uint64_t id = 0;
        if (!removed_ids.empty() && rng.NextDouble() < 0.2) {
          const size_t at = rng.NextBelow(removed_ids.size());
          id = removed_ids[at];
          if (batch.contains(id)) continue;
          removed_ids[at] = removed_ids.back();
          removed_ids.pop_back();
        } else {
          id = fresh_id();
          if (batch.contains(id)) continue;
        }
        batch.insert(id);
        op.ids.push_back(id);
        const int64_t row = new_row(true);
        script.lives[id].push_back(Lifetime{after, kNever, row});
        live_index[id] = live_ids.size();
        live_ids.push_back(id);
        allowed += Allowed(id);
      }
    } else {
      op.kind = OpKind::kRemove;
      const int64_t most = growing ? 50 : 100;
      const int64_t n = std::min<int64_t>(n_live, 1 + static_cast<int64_t>(rng.NextBelow(most)));
      for (int64_t r = 0; r < n; ++r) {
        const uint64_t id = live_ids[rng.NextBelow(live_ids.size())];
        op.ids.push_back(id);
        script.lives[id].back().end = after;
        const size_t at = live_index[id];
        live_index[live_ids.back()] = at;
        live_ids[at] = live_ids.back();
        live_ids.pop_back();
        live_index.erase(id);
        removed_ids.push_back(id);
        allowed -= Allowed(id);
      }
      if (rng.NextDouble() < 0.1) op.ids.push_back(op.ids.front());  // killed once
    }
    script.ops.push_back(std::move(op));
    script.live.push_back(static_cast<int64_t>(live_ids.size()));
    script.live_allowed.push_back(allowed);
  }
  return script;
}

absl::Status Apply(Index& index, const Script& script, const Op& op) {
  switch (op.kind) {
    case OpKind::kAdd:
      return index.Add(script.row(op.first_row), static_cast<int64_t>(op.ids.size()),
                       op.ids.data());
    case OpKind::kRemove:
      return index.Remove(op.ids);
    case OpKind::kCompact:
      return index.Compact();
  }
  return absl::InternalError("unknown op");
}

// Tolerance of a float score against the double reference: relative to the magnitudes that
// round (|q| |x| for ip and cosine, the sum of squares for l2), not to a score near zero.
bool ScoreMatches(Metric metric, const float* q, const float* x, int dim, float score) {
  const double exact = ExactScore(metric, q, x, dim);
  double scale = 1.0;
  if (metric == Metric::kInnerProduct) {
    scale = std::sqrt(ExactScore(metric, q, q, dim) * ExactScore(metric, x, x, dim));
  } else if (metric == Metric::kL2) {
    scale = std::max(exact, 1e-6);
  }
  return std::abs(static_cast<double>(score) - exact) <= 1e-4 * scale;
}

struct SearchCase {
  int64_t nq;
  int k;
  SearchParams params;
  bool filtered;
};

SearchCase RandomCase(Rng& rng) {
  SearchCase c;
  const int64_t nqs[] = {1, 1, 2, 5};
  const int ks[] = {1, 10, 10, 37};
  c.nq = nqs[rng.NextBelow(4)];
  c.k = ks[rng.NextBelow(4)];
  c.params.rerank = std::max<int>(c.k, 20 + static_cast<int>(rng.NextBelow(80)));
  // 0: OpenMP's default (2 on two cores; set OMP_NUM_THREADS=1 under TSan).
  c.params.threads = rng.NextBelow(2) == 0 ? 1 : 0;
  c.filtered = rng.NextDouble() < 0.2;
  if (c.filtered) c.params.predicate = Allowed;
  return c;
}

// State-free checks of one result row: hits first then padding, no repeated id, sorted.
std::string CheckRowShape(Metric metric, const SearchResults& r, int64_t q, bool filtered) {
  const bool smaller = metric == Metric::kL2;
  absl::flat_hash_set<int64_t> seen;
  int hits = 0;
  for (int i = 0; i < r.k; ++i) {
    const int64_t id = r.id(q, i);
    if (id == -1) {
      if (r.score(q, i) != (smaller ? INFINITY : -INFINITY)) return "padding with a real score";
      continue;
    }
    if (id < 0) return absl::StrCat("negative id ", id);
    if (hits != i) return absl::StrCat("id ", id, " after padding at rank ", i);
    ++hits;
    if (!seen.insert(id).second) return absl::StrCat("id ", id, " twice");
    if (filtered && !Allowed(id)) return absl::StrCat("id ", id, " fails the predicate");
    if (i > 0 &&
        (smaller ? r.score(q, i) < r.score(q, i - 1) : r.score(q, i) > r.score(q, i - 1))) {
      return absl::StrCat("rank ", i, " scores ", r.score(q, i), " after ", r.score(q, i - 1));
    }
  }
  return "";
}

// Whether state s explains every row of the results; else why not.
std::string CheckAtState(const Script& script, Metric metric, const float* queries,
                         const SearchCase& c, const SearchResults& r, int64_t s) {
  const int64_t live = c.filtered ? script.live_allowed[s] : script.live[s];
  for (int64_t q = 0; q < c.nq; ++q) {
    int hits = 0;
    for (; hits < c.k && r.id(q, hits) != -1; ++hits) {
      const uint64_t id = static_cast<uint64_t>(r.id(q, hits));
      const Lifetime* l = script.LiveAt(id, s);
      if (l == nullptr) return absl::StrCat("id ", id, " not live");
      if (!ScoreMatches(metric, queries + q * script.dim, script.row(l->row), script.dim,
                        r.score(q, hits))) {
        return absl::StrCat(
            "id ", id, " scores ", r.score(q, hits), ", exact ",
            ExactScore(metric, queries + q * script.dim, script.row(l->row), script.dim));
      }
    }
    if (hits != std::min<int64_t>(c.k, live)) {
      return absl::StrCat(hits, " hits with ", live, " live");
    }
  }
  return "";
}

bool SameResults(const SearchResults& a, const SearchResults& b) {
  return a.ids == b.ids && a.scores.size() == b.scores.size() &&
         (a.scores.empty() ||
          std::memcmp(a.scores.data(), b.scores.data(), a.scores.size() * sizeof(float)) == 0);
}

void ExpectSameStats(const IndexStats& a, const IndexStats& b) {
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.live, b.live);
  EXPECT_EQ(a.blocks, b.blocks);
  EXPECT_EQ(a.code_bytes_per_vector, b.code_bytes_per_vector);
  EXPECT_EQ(a.floats_per_vector, b.floats_per_vector);
  EXPECT_EQ(a.bits_per_vector, b.bits_per_vector);
  EXPECT_EQ(a.code_bytes, b.code_bytes);
  EXPECT_EQ(a.float_bytes, b.float_bytes);
  EXPECT_EQ(a.block_bytes, b.block_bytes);
  EXPECT_EQ(a.raw_vector_bytes, b.raw_vector_bytes);
  EXPECT_EQ(a.id_bytes, b.id_bytes);
}

struct Config {
  const char* name;
  int dim, bits;
  Metric metric;
  Variant variant;
  RotationKind rotation;
};

void PrintTo(const Config& config, std::ostream* os) { *os << config.name; }

class IndexStressTest : public ::testing::TestWithParam<Config> {};

TEST_P(IndexStressTest, SearchersSeeAStateOfTheWriterAndReplayMatches) {
  const Config& config = GetParam();
  IndexOptions options;
  options.dim = config.dim;
  options.bits = config.bits;
  options.metric = config.metric;
  options.variant = config.variant;
  options.rotation = config.rotation;
  options.keep_vectors = KeepVectors::kFloat32;
  const int64_t num_ops = OpsPerMetric();
  const double seconds =
      kDefaultSeconds * std::max(1.0, static_cast<double>(num_ops) / kDefaultOps);
  const Script script = MakeScript(config.dim, num_ops, 7 + config.dim);
  const int d = config.dim;
  auto index = MakeIndex(options);
  ASSERT_NE(index, nullptr);

  std::atomic<int64_t> begun{0}, done{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> searches{0}, queries{0}, spanning{0}, failures{0};
  std::mutex log_mu;
  std::vector<std::string> log;  // the first failures
  auto fail = [&](const std::string& what) {
    ++failures;
    std::lock_guard lock(log_mu);
    if (log.size() < 10) log.push_back(what);
  };
  std::vector<std::thread> searchers;
  for (int t = 0; t < kSearchers; ++t) {
    searchers.emplace_back([&, t] {
      Rng rng(1000 + t);
      std::vector<float> qs;
      while (!stop.load()) {
        const SearchCase c = RandomCase(rng);
        qs.clear();
        for (int64_t q = 0; q < c.nq; ++q) {
          const int64_t rows = static_cast<int64_t>(script.pool.size()) / d;
          const float* from = script.row(static_cast<int64_t>(rng.NextBelow(rows)));
          const bool copy = rng.NextDouble() < 0.3 &&
                            std::all_of(from, from + d, [](float v) { return std::isfinite(v); });
          for (int j = 0; j < d; ++j) {
            qs.push_back(copy ? from[j] : static_cast<float>(rng.NextGaussian()));
          }
        }
        const int64_t lo = done.load();
        SearchResults r;
        const absl::Status status = index->Search(qs.data(), c.nq, c.k, c.params, &r);
        const IndexStats stats = index->stats();  // inside [lo, hi] too, maybe another state
        const int64_t hi = begun.load();
        ++searches;
        queries += c.nq;
        spanning += hi >= lo + 2;  // the writer published during this search
        if (!status.ok()) {
          fail(absl::StrCat("search: ", status.ToString()));
          continue;
        }
        std::string why;
        for (int64_t q = 0; q < c.nq && why.empty(); ++q) {
          why = CheckRowShape(config.metric, r, q, c.filtered);
        }
        if (why.empty()) {
          why = "no state";
          for (int64_t s = lo; s <= hi && !why.empty(); ++s) {
            why = CheckAtState(script, config.metric, qs.data(), c, r, s);
          }
        }
        bool stats_seen = false;
        for (int64_t s = lo; s <= hi; ++s) stats_seen |= stats.live == script.live[s];
        if (why.empty() && (!stats_seen || stats.size < stats.live)) {
          why = absl::StrCat("stats() size ", stats.size, " live ", stats.live);
        }
        if (!why.empty()) {
          fail(absl::StrCat("states [", lo, ", ", hi, "], nq ", c.nq, " k ", c.k, " rerank ",
                            c.params.rerank, c.filtered ? " filtered" : "", ": ", why));
        }
      }
    });
  }

  // The writer (this thread), bounded by the script and by the clock.
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  int64_t executed = 0, adds = 0, removes = 0, compactions = 0, rejected = 0, vectors = 0;
  for (const Op& op : script.ops) {
    if (std::chrono::steady_clock::now() > deadline) break;
    begun.store(executed + 1);
    const absl::Status status = Apply(*index, script, op);
    done.store(executed + 1);
    EXPECT_EQ(status.code(), op.expected) << "op " << executed << ": " << status;
    ++executed;
    if (!status.ok()) {
      ++rejected;
    } else if (op.kind == OpKind::kAdd) {
      ++adds;
      vectors += static_cast<int64_t>(op.ids.size());
    } else {
      ++(op.kind == OpKind::kRemove ? removes : compactions);
    }
  }
  const double writer_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stop.store(true);
  for (std::thread& t : searchers) t.join();
  for (const std::string& what : log) ADD_FAILURE() << what;
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(searches.load(), kSearchers);
  std::printf(
      "[%s] %lld of %lld writer ops in %.1f s (%lld adds of %lld vectors, %lld removes, %lld "
      "compactions, %lld rejected as scripted); %lld searches (%lld queries) by %d threads, "
      "%lld while the writer published; %lld live at the end\n",
      config.name, static_cast<long long>(executed), static_cast<long long>(num_ops),
      writer_seconds, static_cast<long long>(adds), static_cast<long long>(vectors),
      static_cast<long long>(removes), static_cast<long long>(compactions),
      static_cast<long long>(rejected), static_cast<long long>(searches.load()),
      static_cast<long long>(queries.load()), kSearchers, static_cast<long long>(spanning.load()),
      static_cast<long long>(script.live[executed]));
  EXPECT_EQ(index->size(), script.live[executed]);

  // The same script replayed on one thread gives the same index, bit for bit.
  auto replay = MakeIndex(options);
  ASSERT_NE(replay, nullptr);
  for (int64_t i = 0; i < executed; ++i) {
    ASSERT_EQ(Apply(*replay, script, script.ops[i]).code(), script.ops[i].expected) << "op " << i;
  }
  ExpectSameStats(index->stats(), replay->stats());
  Rng rng(99);
  std::vector<float> final_queries(32 * d);
  for (float& v : final_queries) v = static_cast<float>(rng.NextGaussian());
  std::vector<SearchCase> cases;
  for (int threads : {1, 0}) {
    for (int rerank : {0, 64}) {
      for (bool filtered : {false, true}) {
        for (int64_t nq : {1, 32}) {
          SearchCase c{nq, 10, SearchParams(), filtered};
          c.params.threads = threads;
          c.params.rerank = rerank;
          if (filtered) c.params.predicate = Allowed;
          cases.push_back(c);
        }
      }
    }
  }
  std::vector<SearchResults> before(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const SearchCase& c = cases[i];
    SearchResults a, b;
    ASSERT_TRUE(index->Search(final_queries.data(), c.nq, c.k, c.params, &a).ok());
    ASSERT_TRUE(replay->Search(final_queries.data(), c.nq, c.k, c.params, &b).ok());
    EXPECT_TRUE(SameResults(a, b)) << "case " << i;
    if (c.params.rerank > 0) {
      EXPECT_EQ(CheckAtState(script, config.metric, final_queries.data(), c, a, executed), "")
          << "case " << i;
    }
    before[i] = std::move(a);
  }
  // Compact keeps the survivors' order, so results stay the same.
  ASSERT_TRUE(index->Compact().ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    const SearchCase& c = cases[i];
    SearchResults a;
    ASSERT_TRUE(index->Search(final_queries.data(), c.nq, c.k, c.params, &a).ok());
    EXPECT_TRUE(SameResults(a, before[i])) << "case " << i << " after Compact";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Metrics, IndexStressTest,
    ::testing::Values(Config{"ip", 64, 4, Metric::kInnerProduct, Variant::kCorrected,
                             RotationKind::kFast},
                      Config{"l2", 40, 3, Metric::kL2, Variant::kProd, RotationKind::kFast},
                      Config{"cosine", 96, 2, Metric::kCosine, Variant::kMse, RotationKind::kHaar}),
    [](const ::testing::TestParamInfo<Config>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tq
