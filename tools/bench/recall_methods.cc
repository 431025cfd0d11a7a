// Method names for `tq-bench recall` and the adapters that put tq::Index, PqIndex and
// RabitqIndex behind RecallMethod, with the same exact rerank for every baseline.
#include "tools/bench/recall_methods.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/baselines/product_quantizer.h"
#include "benchmarks/baselines/rabitq.h"
#include "index/index.h"
#include "tools/bench/flag_lists.h"

namespace tq::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

absl::Status Named(const std::string& method, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(method, ": ", status.message()));
}

// "tq4" -> ("tq", 4, ""), "tq2-mse" -> ("tq", 2, "mse"), "tq2.5" -> ("tq", 2.5, ""); false
// unless letters, digits[.digits], [-suffix].
bool SplitMethodName(const std::string& name, std::string* family, double* bits,
                     std::string* suffix) {
  size_t i = 0;
  while (i < name.size() && absl::ascii_isalpha(name[i])) ++i;
  const size_t digits_start = i;
  while (i < name.size() && absl::ascii_isdigit(name[i])) ++i;
  if (digits_start == 0 || i == digits_start || i - digits_start > 2) return false;
  if (i + 1 < name.size() && name[i] == '.' && absl::ascii_isdigit(name[i + 1])) {
    ++i;
    while (i < name.size() && absl::ascii_isdigit(name[i])) ++i;
  }
  *family = name.substr(0, digits_start);
  *bits = std::stod(name.substr(digits_start, i - digits_start));
  suffix->clear();
  if (i == name.size()) return true;
  if (name[i] != '-' || i + 1 == name.size()) return false;
  *suffix = name.substr(i + 1);
  return true;
}

constexpr char kExpectedMethods[] =
    "expected tqB[-mse|prod|corrected][-maxcos][-nocenter] with B in 1..4 (a fraction such as "
    "2.5 for mse and corrected; -maxcos: corrected, whole B), pqB with B in 1, 2, 4, 8, or "
    "rabitqB[-pad8] with B in 1..8";

class TurboQuantMethod final : public RecallMethod {
 public:
  TurboQuantMethod(std::unique_ptr<Index> index, double encode_seconds) : index_(std::move(index)) {
    times_.encode_seconds = encode_seconds;  // TurboQuant has no training
  }

  double bytes_per_vector() const override { return index_->stats().bits_per_vector / 8.0; }
  baselines::BuildTimes build_times() const override { return times_; }

  absl::Status SearchOne(const float* query, int k, int64_t* ids) const override {
    SearchParams params;
    params.threads = 1;
    return Run(query, 1, k, params, ids);
  }
  absl::Status SearchAll(const float* queries, int64_t nq, int k, int threads,
                         int64_t* ids) const override {
    SearchParams params;
    params.threads = threads;
    return Run(queries, nq, k, params, ids);
  }
  absl::Status SearchReranked(const float* queries, int64_t nq, int k, int rerank, int threads,
                              int64_t* ids) const override {
    SearchParams params;
    params.threads = threads;
    params.rerank = rerank;
    return Run(queries, nq, k, params, ids);
  }
  std::string batch_note() const override {
    return "tq::Index::Search on the whole batch (queries share passes over the codes)";
  }

 private:
  absl::Status Run(const float* queries, int64_t nq, int k, const SearchParams& params,
                   int64_t* ids) const {
    thread_local SearchResults results;
    if (absl::Status s = index_->Search(queries, nq, k, params, &results); !s.ok()) return s;
    std::copy(results.ids.begin(), results.ids.end(), ids);
    return absl::OkStatus();
  }

  std::unique_ptr<Index> index_;
  baselines::BuildTimes times_;
};

class FlatMethod final : public RecallMethod {
 public:
  FlatMethod(std::unique_ptr<baselines::FlatCodeIndex> index, const RecallData& data)
      : index_(std::move(index)), data_(data) {}

  double bytes_per_vector() const override { return index_->bytes_per_vector(); }
  baselines::BuildTimes build_times() const override { return index_->build_times(); }

  absl::Status SearchOne(const float* query, int k, int64_t* ids) const override {
    thread_local std::vector<float> scores;
    scores.resize(k);
    index_->Search(query, k, ids, scores.data());
    return absl::OkStatus();
  }
  absl::Status SearchAll(const float* queries, int64_t nq, int k, int threads,
                         int64_t* ids) const override {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t q = 0; q < nq; ++q) {
      (void)SearchOne(queries + q * data_.dim, k, ids + q * k);
    }
    return absl::OkStatus();
  }
  // The rerank every method gets: the best `rerank` by estimate, rescored exactly against the
  // base vectors the benchmark holds (in double, as the ground truth), best k kept.
  absl::Status SearchReranked(const float* queries, int64_t nq, int k, int rerank, int threads,
                              int64_t* ids) const override {
    const int depth = std::max(k, rerank);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t q = 0; q < nq; ++q) {
      const float* query = queries + q * data_.dim;
      std::vector<int64_t> candidates(depth);
      (void)SearchOne(query, depth, candidates.data());
      std::vector<std::pair<double, int64_t>> exact;
      exact.reserve(depth);
      for (int64_t id : candidates) {
        if (id >= 0)
          exact.emplace_back(-ExactNearness(query, data_.base_row(id), data_.dim, data_.l2()), id);
      }
      std::sort(exact.begin(), exact.end());  // nearest first, ties to the lower id
      for (int j = 0; j < k; ++j) {
        ids[q * k + j] = j < static_cast<int>(exact.size()) ? exact[j].second : -1;
      }
    }
    return absl::OkStatus();
  }
  std::string batch_note() const override {
    return "an OpenMP loop over the queries, one query per Search call";
  }

 private:
  std::unique_ptr<baselines::FlatCodeIndex> index_;
  const RecallData& data_;
};

absl::StatusOr<std::unique_ptr<RecallMethod>> BuildTurboQuant(const MethodSpec& spec,
                                                              const RecallData& data,
                                                              const BuildOptions& options) {
  IndexOptions index_options;
  index_options.dim = data.dim;
  if (absl::Status s = RateToBits(spec.rate, data.dim, &index_options); !s.ok()) return s;
  index_options.variant = spec.variant;
  index_options.seed = options.seed;
  index_options.metric = IndexMetric(data.metric);
  index_options.keep_vectors = options.keep_vectors ? KeepVectors::kFloat32 : KeepVectors::kNone;
  index_options.center = spec.center ? Centering::kFirstBatch : Centering::kNone;
  index_options.encoder = spec.encoder;
  const Clock::time_point start = Clock::now();
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Create(index_options);
  if (!index.ok()) return index.status();
  if (absl::Status s = (*index)->Add(data.base.data(), data.n); !s.ok()) return s;
  return std::make_unique<TurboQuantMethod>(*std::move(index), SecondsSince(start));
}

// k-means reports a line per second or so; a line per 10 s is enough on a terminal.
baselines::ProgressCallback Throttled(const StepLog& log) {
  if (!log) return nullptr;
  auto last = std::make_shared<Clock::time_point>(Clock::now());
  return [log, last](std::string_view line) {
    if (SecondsSince(*last) < 10.0) return;
    *last = Clock::now();
    log(line);
  };
}

}  // namespace

absl::StatusOr<std::vector<MethodSpec>> ParseMethods(const std::string& methods,
                                                     const std::string& variant) {
  std::vector<Variant> default_variants;
  if (variant == "all") {
    default_variants = {Variant::kMse, Variant::kProd, Variant::kCorrected};
  } else if (variant == "mse" || variant == "prod" || variant == "corrected") {
    default_variants = {*ParseVariant(variant)};
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--variant: unknown variant '", variant,
                                                   "' (expected mse, prod, corrected or all)"));
  }
  absl::StatusOr<std::vector<std::string>> names = ParseNameList("methods", methods);
  if (!names.ok()) return names.status();
  std::vector<MethodSpec> specs;
  auto add = [&](MethodSpec spec) {
    for (const MethodSpec& s : specs) {
      if (s.name == spec.name) return;
    }
    specs.push_back(std::move(spec));
  };
  for (const std::string& name : *names) {
    std::string family, suffix;
    double rate = 0;
    const bool parsed = SplitMethodName(name, &family, &rate, &suffix);
    const int bits = static_cast<int>(rate);
    const bool whole = rate == bits;
    bool known = false;
    if (parsed && family == "tq" && rate >= 1 && rate <= 4) {
      // Suffix: [variant][-maxcos][-nocenter], in that order.
      std::string variant_name = suffix;
      bool center = true, max_cosine = false;
      for (auto [token, flag] :
           {std::pair{"nocenter", &center}, std::pair{"maxcos", &max_cosine}}) {
        const std::string dashed = absl::StrCat("-", token);
        if (variant_name == token) {
          variant_name.clear();
        } else if (absl::EndsWith(variant_name, dashed)) {
          variant_name.resize(variant_name.size() - dashed.size());
        } else {
          continue;
        }
        *flag = !*flag;
      }
      const std::string tail = absl::StrCat(max_cosine ? "-maxcos" : "", center ? "" : "-nocenter");
      const CorrectedEncoder encoder =
          max_cosine ? CorrectedEncoder::kMaxCosine : CorrectedEncoder::kNearest;
      const std::string number = name.substr(family.size(), name.find('-') - family.size());
      if (variant_name.empty()) {
        known = true;
        for (Variant v : default_variants) {
          if (!whole && v == Variant::kProd) continue;  // prod has no non-integer rate
          if (max_cosine && v != Variant::kCorrected) continue;
          const std::string full =
              variant == "all"
                  ? absl::StrCat(family, number, "-", std::string(VariantName(v)), tail)
                  : name;
          add({full, MethodFamily::kTurboQuant, bits, v, center, 64, rate, encoder});
        }
      } else if ((variant_name == "mse" && !max_cosine) || variant_name == "corrected" ||
                 (variant_name == "prod" && whole && !max_cosine)) {
        known = true;
        add({name, MethodFamily::kTurboQuant, bits, *ParseVariant(variant_name), center, 64, rate,
             encoder});
      }
      if (known && max_cosine && !whole) known = false;  // the sweep has one codebook
    } else if (parsed && !whole) {
      // Only TurboQuant has non-integer rates.
    } else if (parsed && suffix.empty() && family == "pq" &&
               (bits == 1 || bits == 2 || bits == 4 || bits == 8)) {
      known = true;
      add({name, MethodFamily::kPq, bits});
    } else if (parsed && (suffix.empty() || suffix == "pad8") && family == "rabitq" && bits >= 1 &&
               bits <= 8) {
      known = true;
      MethodSpec spec{name, MethodFamily::kRabitq, bits};
      spec.rabitq_pad_to = suffix.empty() ? 64 : 8;
      add(spec);
    }
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("--methods: unknown method '", name, "' (", kExpectedMethods, ")"));
    }
  }
  return specs;
}

absl::StatusOr<std::unique_ptr<RecallMethod>> BuildMethod(const MethodSpec& spec,
                                                          const RecallData& data,
                                                          const BuildOptions& options) {
  const baselines::Similarity similarity =
      data.l2() ? baselines::Similarity::kL2 : baselines::Similarity::kInnerProduct;
  absl::StatusOr<std::unique_ptr<RecallMethod>> method;
  switch (spec.family) {
    case MethodFamily::kTurboQuant:
      method = BuildTurboQuant(spec, data, options);
      break;
    case MethodFamily::kPq: {
      baselines::ProductQuantizerOptions pq;
      pq.bits_per_dim = spec.bits;
      pq.centroids = 256;
      pq.seed = options.seed;
      pq.progress = Throttled(options.log);
      absl::StatusOr<std::unique_ptr<baselines::PqIndex>> index =
          baselines::PqIndex::Build(data.base.data(), data.n, data.dim, similarity, pq);
      if (!index.ok()) {
        method = index.status();
      } else {
        method = std::make_unique<FlatMethod>(*std::move(index), data);
      }
      break;
    }
    case MethodFamily::kRabitq: {
      baselines::RabitqOptions rabitq;
      rabitq.bits = spec.bits;
      rabitq.seed = options.seed;
      rabitq.pad_to = spec.rabitq_pad_to;
      absl::StatusOr<std::unique_ptr<baselines::RabitqIndex>> index =
          baselines::RabitqIndex::Build(data.base.data(), data.n, data.dim, similarity, rabitq);
      if (!index.ok()) {
        method = index.status();
      } else {
        method = std::make_unique<FlatMethod>(*std::move(index), data);
      }
      break;
    }
  }
  if (!method.ok()) return Named(spec.name, method.status());
  return method;
}

}  // namespace tq::bench
