// The shape every baseline quantizer takes in tq-bench recall: a flat (no IVF, no graph) index
// of compressed vectors that scans all of them for each query, as TurboQuant's index does.
#ifndef TQ_BENCHMARKS_BASELINES_FLAT_CODE_INDEX_H_
#define TQ_BENCHMARKS_BASELINES_FLAT_CODE_INDEX_H_

#include <cstdint>
#include <string>

namespace tq::baselines {

// What a score means. Angular datasets are normalised by the caller and use kInnerProduct.
enum class Similarity {
  kInnerProduct,  // larger is nearer
  kL2,            // squared Euclidean distance, smaller is nearer
};

struct BuildTimes {
  double train_seconds = 0.0;   // learning codebooks / centroids from the base set
  double encode_seconds = 0.0;  // turning every base vector into its code
};

class FlatCodeIndex {
 public:
  virtual ~FlatCodeIndex() = default;

  // e.g. "pq4", "rabitq1".
  virtual std::string name() const = 0;
  // Bits of code per dimension (what the method name promises), and the bytes each vector
  // really takes: codes plus every per-vector float or integer the search reads.
  virtual double bits_per_dim() const = 0;
  virtual double bytes_per_vector() const = 0;
  virtual BuildTimes build_times() const = 0;
  virtual int64_t size() const = 0;

  // The k best of all vectors for one query by the method's estimate: ids are base rows
  // (0 .. size() - 1), best first; scores are the estimated inner product (kInnerProduct) or
  // squared distance (kL2). Fewer than k vectors pad with id -1. Const and thread-safe, so the
  // caller may run queries on many threads.
  virtual void Search(const float* query, int k, int64_t* ids, float* scores) const = 0;
};

}  // namespace tq::baselines

#endif  // TQ_BENCHMARKS_BASELINES_FLAT_CODE_INDEX_H_
