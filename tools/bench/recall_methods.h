// The methods `tq-bench recall` compares, parsed from --methods and built behind one interface:
// TurboQuant through tq::Index, and the PQ and RaBitQ baselines (FlatCodeIndex).
#ifndef TQ_TOOLS_BENCH_RECALL_METHODS_H_
#define TQ_TOOLS_BENCH_RECALL_METHODS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmarks/baselines/flat_code_index.h"
#include "engine/turbo_quantizer.h"
#include "tools/bench/recall_data.h"

namespace tq::bench {

enum class MethodFamily { kTurboQuant, kPq, kRabitq };

struct MethodSpec {
  std::string name;  // as reported: "tq4", "tq4-mse", "pq2", "rabitq1"
  MethodFamily family = MethodFamily::kTurboQuant;
  int bits = 0;                           // per dimension
  Variant variant = Variant::kCorrected;  // TurboQuant only
  bool center = true;                     // TurboQuant: first-batch centering ("-nocenter": off)
  int rabitq_pad_to = 64;                 // RaBitQ: the papers' padding ("-pad8": bytes only)
  double rate = 0;                        // TurboQuant: bits per dimension, maybe fractional
  CorrectedEncoder encoder = CorrectedEncoder::kNearest;  // TurboQuant: "-maxcos" sweeps
};

// --methods (comma-separated) with --variant (mse, prod, corrected or all) to the methods in
// order, repeats dropped: `tqB` takes --variant (all: tqB-mse, tqB-prod, tqB-corrected),
// `tqB-mse|prod|corrected` names its own (B may have a fraction, as tq2.5: a non-integer rate,
// IndexOptions::upper_coords; not for prod), `-maxcos` after either picks the cosine-optimal
// encoder (corrected, whole B), and `-nocenter` after those turns centering off
// (the paper's TurboQuant is `tqB-mse-nocenter`); `pqB` (B in 1, 2, 4, 8); `rabitqB` (B in
// 1 .. 8) pads to a multiple of 64 dimensions as the RaBitQ papers' code does, `rabitqB-pad8`
// only to whole bytes (as FAISS's IndexRaBitQ), so that it spends B bits per dimension.
// InvalidArgument naming the method (or the variant) when one is unknown.
absl::StatusOr<std::vector<MethodSpec>> ParseMethods(const std::string& methods,
                                                     const std::string& variant);

// A built index under test. Ids are base rows. Searches are const and thread-safe.
class RecallMethod {
 public:
  virtual ~RecallMethod() = default;

  // Code plus per-vector floats, as each method counts them honestly (never the kept vectors).
  virtual double bytes_per_vector() const = 0;
  virtual baselines::BuildTimes build_times() const = 0;

  // The k best rows by the method's estimate for one query, on the calling thread only.
  virtual absl::Status SearchOne(const float* query, int k, int64_t* ids) const = 0;
  // The same for nq queries on `threads` threads: see batch_note().
  virtual absl::Status SearchAll(const float* queries, int64_t nq, int k, int threads,
                                 int64_t* ids) const = 0;
  // The k best after rescoring the best `rerank` (>= k) by estimate with the float vectors.
  virtual absl::Status SearchReranked(const float* queries, int64_t nq, int k, int rerank,
                                      int threads, int64_t* ids) const = 0;
  // How SearchAll uses its threads, for the output.
  virtual std::string batch_note() const = 0;
};

struct BuildOptions {
  uint64_t seed = 42;
  bool keep_vectors = false;  // TurboQuant keeps float32 vectors for SearchReranked
  StepLog log;                // the baselines' training progress
};

// Builds `spec` over data.base (data must outlive the method). Errors name the method.
absl::StatusOr<std::unique_ptr<RecallMethod>> BuildMethod(const MethodSpec& spec,
                                                          const RecallData& data,
                                                          const BuildOptions& options);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_RECALL_METHODS_H_
