// `tq-bench subset`: the first N train rows and first Q test rows of an ann-benchmarks file, with
// exact neighbours recomputed by brute force; the base is streamed, so it may exceed memory.
//
// The first rows, not a random sample: the subset is reproducible without a seed and cheap to
// read (one contiguous slice), and ann-benchmarks files are already shuffled (their train/test
// split is sklearn's train_test_split, which shuffles), so a prefix is a fair sample. A file in
// some other order (by word frequency, say) gives the prefix of that order.
//
// Ground truth follows ann-benchmarks' write_output (ann_benchmarks/datasets.py): the k nearest
// train rows per test row sorted by ascending distance, stored as
//   angular:   1 - cos(q, x), scipy's "cosine" distance (ann_benchmarks/distance.py);
//   euclidean: |q - x|, the Euclidean distance, not squared;
//   ip / dot:  -<q, x>. ann-benchmarks has no inner-product metric (its "lastfm-64-dot" file is
//              stored as angular after a MIPS-to-cosine transform), so this keeps its invariant
//              that distances ascend along a row and smaller is closer (what its recall
//              threshold distances[k-1] + eps assumes) with the plain negated inner product.
// Distances are computed in double and cast to float32 once; ties are broken by the lower id.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/ann_hdf5.h"
#include "tools/bench/commands.h"
#include "tools/bench/flags.h"

namespace tq::bench {

const cli::CommandSpec& SubsetSpec() {
  static const cli::CommandSpec spec{
      "tq-bench",
      "subset",
      "first N train and Q test rows, with exact neighbours recomputed",
      "--data=BIG.hdf5 --n=N --queries=Q --out=SMALL.hdf5 [--k=100] [--threads=T]",
      {{"data", "BIG.hdf5", "ann-benchmarks HDF5 file to cut (required)"},
       {"n", "N", "train rows to keep: the first N of `train` (required, 1..rows)"},
       {"queries", "Q", "test rows to keep: the first Q of `test` (required, 1..test rows)"},
       {"out", "SMALL.hdf5", "file to write; written to OUT.partial and renamed (required)"},
       {"k", "K", "neighbours per query (default 100, as ann-benchmarks stores; 1..N)"},
       {"threads", "T", "threads of the brute-force scan (default 0 = all cores)"}},
      "The rows are cut from an ann-benchmarks file; their exact neighbours are recomputed by\n"
      "brute force in the file's metric.\n"
      "The subset is the first rows, not a random sample: reproducible, and one contiguous read.\n"
      "ann-benchmarks files are already shuffled; a file in another order gives that order's "
      "prefix.\nStored distances: angular 1 - cos, euclidean |q - x|, ip -<q, x>; computed in "
      "double, ties to\nthe lower id. The `distance` attribute is copied. Exit codes: 0 ok, "
      "1 bad input file, 2 bad flags."};
  return spec;
}

namespace {

constexpr int64_t kDefaultK = 100;  // what ann-benchmarks stores
// Bytes of train rows held in memory at once; the base is read, copied and scanned per slice.
constexpr int64_t kSliceBytes = int64_t{64} << 20;
// Queries scanned together against each base row: the row is loaded once per block, and the
// block's accumulators are independent lanes, so the loop vectorises without reassociating any
// sum (each distance is still accumulated over the dimensions in order).
constexpr int kQueryBlock = 8;

// What the command line asked for. Defaults are subset's, not those of the shared Abseil flags
// (flags.cc): --n and --queries are required, and --k is ann-benchmarks' 100.
struct SubsetFlags {
  std::string data;
  std::string out;
  int64_t n = 0;
  int64_t queries = 0;
  int64_t k = kDefaultK;
  int threads = 0;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "tq-bench subset: %s (see tq-bench subset --help)\n", message.c_str());
  return kExitUsage;
}

int InputError(const absl::Status& status) {
  std::fprintf(stderr, "tq-bench subset: %s\n", std::string(status.message()).c_str());
  return kExitBadInput;
}

// Reads the flags main has set and checks what needs no file; returns the exit code on error.
std::optional<int> ReadFlags(const std::vector<std::string>& given, SubsetFlags& flags) {
  flags.data = absl::GetFlag(FLAGS_data);
  flags.out = absl::GetFlag(FLAGS_out);
  if (flags.data.empty() || flags.out.empty() || !cli::WasGiven(given, "n") ||
      !cli::WasGiven(given, "queries")) {
    return UsageError("--data, --n, --queries and --out are required");
  }
  flags.n = absl::GetFlag(FLAGS_n);
  flags.queries = absl::GetFlag(FLAGS_queries);
  if (cli::WasGiven(given, "k")) flags.k = absl::GetFlag(FLAGS_k);
  flags.threads = absl::GetFlag(FLAGS_threads);
  if (flags.threads < 0 || flags.threads > 4096) {
    return UsageError("--threads must be in [0, 4096]");
  }
  if (flags.n < 1) return UsageError("--n must be at least 1");
  if (flags.queries < 1) return UsageError("--queries must be at least 1");
  if (flags.k < 1) return UsageError("--k must be at least 1");
  if (flags.k > flags.n) {
    return UsageError(absl::StrCat("--k=", flags.k, " exceeds --n=", flags.n));
  }
  std::error_code same_error;
  if (flags.data == flags.out || std::filesystem::equivalent(flags.data, flags.out, same_error)) {
    return UsageError("--out must differ from --data");
  }
  return std::nullopt;
}

// The k best (key, id) pairs seen so far, as a max-heap: the worst kept pair is on top. Pairs
// compare by key, then id, so among equal keys the lower id wins.
class TopK {
 public:
  explicit TopK(int64_t k) : k_(k) { heap_.reserve(k); }

  void Offer(double key, int64_t id) {
    const std::pair<double, int64_t> entry{key, id};
    if (static_cast<int64_t>(heap_.size()) < k_) {
      heap_.push_back(entry);
      std::push_heap(heap_.begin(), heap_.end());
    } else if (entry < heap_.front()) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.back() = entry;
      std::push_heap(heap_.begin(), heap_.end());
    }
  }

  bool Full() const { return static_cast<int64_t>(heap_.size()) == k_; }
  double WorstKey() const { return heap_.front().first; }

  // Best first.
  std::vector<std::pair<double, int64_t>> Sorted() const {
    std::vector<std::pair<double, int64_t>> sorted = heap_;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

 private:
  int64_t k_;
  std::vector<std::pair<double, int64_t>> heap_;
};

double Norm(const float* x, int64_t d) {
  double sum = 0.0;
  for (int64_t j = 0; j < d; ++j) sum += static_cast<double>(x[j]) * x[j];
  return std::sqrt(sum);
}

// First non-finite element of rows x d floats, as a row number, or -1.
int64_t FirstNonFiniteRow(std::span<const float> data, int64_t d) {
  for (size_t i = 0; i < data.size(); ++i) {
    if (!std::isfinite(data[i])) return static_cast<int64_t>(i) / d;
  }
  return -1;
}

// The queries, blocked and transposed for the scan: block b holds queries [8b, 8b + 8) as
// d x 8 doubles (dimension-major), zero-padded past the last query. For angular they are
// normalised in double (a zero query stays zero: cosine 0 to everything).
std::vector<double> BlockQueries(const std::vector<float>& queries, int64_t nq, int64_t d,
                                 io::DatasetMetric metric) {
  const int64_t blocks = (nq + kQueryBlock - 1) / kQueryBlock;
  std::vector<double> out(blocks * d * kQueryBlock, 0.0);
  for (int64_t q = 0; q < nq; ++q) {
    const float* x = queries.data() + q * d;
    const double norm = metric == io::DatasetMetric::kCosine ? Norm(x, d) : 1.0;
    double* block = out.data() + (q / kQueryBlock) * d * kQueryBlock;
    for (int64_t j = 0; j < d; ++j) {
      block[j * kQueryBlock + q % kQueryBlock] =
          norm > 0.0 ? static_cast<double>(x[j]) / norm : 0.0;
    }
  }
  return out;
}

// Offers rows [0, rows) of `slice` (ids first_id...) to the queries of one block.
void ScanBlock(const float* slice, int64_t rows, int64_t first_id, int64_t d, const double* block,
               const double* norms, io::DatasetMetric metric, TopK* heaps, int lanes) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = slice + r * d;
    double acc[kQueryBlock] = {};
    if (metric == io::DatasetMetric::kL2) {
      for (int64_t j = 0; j < d; ++j) {
        const double xj = x[j];
        const double* qj = block + j * kQueryBlock;
        for (int b = 0; b < kQueryBlock; ++b) {
          const double diff = xj - qj[b];
          acc[b] += diff * diff;
        }
      }
    } else {
      for (int64_t j = 0; j < d; ++j) {
        const double xj = x[j];
        const double* qj = block + j * kQueryBlock;
        for (int b = 0; b < kQueryBlock; ++b) acc[b] += xj * qj[b];
      }
    }
    const int64_t id = first_id + r;
    for (int b = 0; b < lanes; ++b) {
      double key = acc[b];  // squared distance for L2
      if (metric == io::DatasetMetric::kCosine) {
        // 1 - cos; a zero row has cosine 0 to everything.
        key = 1.0 - (norms[r] > 0.0 ? acc[b] / norms[r] : 0.0);
      } else if (metric == io::DatasetMetric::kInnerProduct) {
        key = -acc[b];
      }
      if (!heaps[b].Full() || key <= heaps[b].WorstKey()) heaps[b].Offer(key, id);
    }
  }
}

float StoredDistance(double key, io::DatasetMetric metric) {
  return static_cast<float>(metric == io::DatasetMetric::kL2 ? std::sqrt(key) : key);
}

struct Source {
  io::DatasetMetric metric;
  std::string distance;  // the attribute as written in the file
  int64_t rows = 0;
  int64_t test_rows = 0;
  int64_t dim = 0;
};

absl::StatusOr<Source> Inspect(const io::AnnHdf5Reader& reader) {
  Source source;
  absl::StatusOr<io::DatasetShape> train = reader.Shape("train");
  if (!train.ok()) return train.status();
  absl::StatusOr<io::DatasetShape> test = reader.Shape("test");
  if (!test.ok()) return test.status();
  if (train->cols < 1 || train->cols != test->cols) {
    return absl::FailedPreconditionError(absl::StrCat(reader.path(), ": train has ", train->cols,
                                                      " columns, test has ", test->cols));
  }
  absl::StatusOr<std::optional<std::string>> distance = reader.ReadDistance();
  if (!distance.ok()) return distance.status();
  if (!distance->has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        reader.path(), ": no `distance` attribute (angular, euclidean or ip expected)"));
  }
  absl::StatusOr<io::DatasetMetric> metric = io::ParseDatasetMetric(**distance);
  if (!metric.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(reader.path(), ": ", metric.status().message()));
  }
  source.metric = *metric;
  source.distance = **distance;
  source.rows = train->rows;
  source.test_rows = test->rows;
  source.dim = train->cols;
  return source;
}

// Copies descriptive string attributes (license, provenance) so they travel with the subset.
absl::Status CopyAttributes(const io::AnnHdf5Reader& reader, io::AnnHdf5Writer& writer) {
  for (const char* name : {"point_type", "type", "source", "license"}) {
    absl::StatusOr<std::optional<std::string>> value = reader.ReadStringAttribute(name);
    if (!value.ok() || !value->has_value()) continue;  // absent, or not a string: not ours
    if (absl::Status s = writer.WriteStringAttribute(name, **value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

class ProgressLog {
 public:
  explicit ProgressLog(int64_t total) : total_(total), start_(Clock::now()), last_(start_) {}
  void Update(int64_t done) {
    const Clock::time_point now = Clock::now();
    if (done < total_ && now - last_ < std::chrono::seconds(2)) return;
    if (done >= total_ && (finished_ || (!printed_ && now - start_ < std::chrono::seconds(1)))) {
      return;  // quick runs stay quiet; the final line once
    }
    last_ = now;
    printed_ = true;
    finished_ = done >= total_;
    std::fprintf(stderr, "tq-bench subset: brute force %.1f%% done, %.1f s\n",
                 100.0 * done / total_, Seconds());
  }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  int64_t total_;
  Clock::time_point start_;
  Clock::time_point last_;
  bool printed_ = false;
  bool finished_ = false;
};

}  // namespace

int RunSubset(const std::vector<std::string>& /*args*/, const std::vector<std::string>& given) {
  SubsetFlags flags;
  if (std::optional<int> code = ReadFlags(given, flags)) return *code;

  absl::StatusOr<io::AnnHdf5Reader> reader = io::AnnHdf5Reader::Open(flags.data);
  if (!reader.ok()) return InputError(reader.status());
  absl::StatusOr<Source> source = Inspect(*reader);
  if (!source.ok()) return InputError(source.status());
  if (flags.n > source->rows) {
    return UsageError(absl::StrCat("--n=", flags.n, " exceeds the ", source->rows,
                                   " train rows of ", flags.data));
  }
  if (flags.queries > source->test_rows) {
    return UsageError(absl::StrCat("--queries=", flags.queries, " exceeds the ", source->test_rows,
                                   " test rows of ", flags.data));
  }
  const int64_t n = flags.n, nq = flags.queries, k = flags.k, d = source->dim;
  const io::DatasetMetric metric = source->metric;
  // Queries, their blocks and the heaps stay in memory; the base does not.
  constexpr double kMaxResidentBytes = 8.0 * (int64_t{1} << 30);
  if (nq * d * (4.0 + 8.0) + nq * k * 16.0 > kMaxResidentBytes) {
    return UsageError("--queries x (dimension + k) needs more than 8 GiB; use fewer queries");
  }

  absl::StatusOr<std::vector<float>> queries = reader->ReadFloatRows("test", 0, nq);
  if (!queries.ok()) return InputError(queries.status());
  if (int64_t row = FirstNonFiniteRow(*queries, d); row >= 0) {
    return InputError(absl::FailedPreconditionError(
        absl::StrCat(flags.data, ": test row ", row, " has a non-finite value")));
  }
  const std::vector<double> blocks = BlockQueries(*queries, nq, d, metric);
  const int64_t block_count = (nq + kQueryBlock - 1) / kQueryBlock;

  absl::StatusOr<io::AnnHdf5Writer> writer = io::AnnHdf5Writer::Create(flags.out);
  if (!writer.ok()) return InputError(writer.status());
  const io::DiskType id_type =
      n <= std::numeric_limits<int32_t>::max() ? io::DiskType::kInt32 : io::DiskType::kInt64;
  struct Layout {
    const char* name;
    io::DiskType type;
    int64_t rows, cols;
  };
  for (const Layout& l :
       {Layout{"train", io::DiskType::kFloat32, n, d},
        Layout{"test", io::DiskType::kFloat32, nq, d}, Layout{"neighbors", id_type, nq, k},
        Layout{"distances", io::DiskType::kFloat32, nq, k}}) {
    if (absl::Status s = writer->CreateDataset(l.name, l.type, l.rows, l.cols); !s.ok()) {
      return InputError(s);
    }
  }
  if (absl::Status s = writer->WriteRows("test", 0, std::span<const float>(*queries)); !s.ok()) {
    return InputError(s);
  }

  const int threads = flags.threads > 0 ? flags.threads : omp_get_max_threads();
  std::fprintf(stderr,
               "tq-bench subset: %s: first %lld of %lld train rows, %lld queries, k = %lld, "
               "%s, %d threads\n",
               flags.data.c_str(), static_cast<long long>(n), static_cast<long long>(source->rows),
               static_cast<long long>(nq), static_cast<long long>(k), source->distance.c_str(),
               threads);
  std::vector<TopK> heaps(block_count * kQueryBlock, TopK(k));
  int64_t slice_rows = std::max<int64_t>(1, std::min(n, kSliceBytes / (4 * d)));
  // Test hook: tiny slices exercise the streaming on a small file.
  if (const char* hook = std::getenv("TQ_SUBSET_SLICE_ROWS"); hook != nullptr) {
    int64_t rows = 0;
    if (absl::SimpleAtoi(hook, &rows) && rows > 0) slice_rows = std::min(n, rows);
  }
  std::vector<float> slice(slice_rows * d);
  std::vector<double> norms(slice_rows);
  ProgressLog progress(n);
  for (int64_t begin = 0; begin < n; begin += slice_rows) {
    const int64_t rows = std::min(slice_rows, n - begin);
    const std::span<float> part(slice.data(), rows * d);
    if (absl::Status s = reader->ReadFloatRowsInto("train", begin, rows, part); !s.ok()) {
      return InputError(s);
    }
    if (int64_t row = FirstNonFiniteRow(part, d); row >= 0) {
      return InputError(absl::FailedPreconditionError(
          absl::StrCat(flags.data, ": train row ", begin + row, " has a non-finite value")));
    }
    if (absl::Status s = writer->WriteRows("train", begin, std::span<const float>(part)); !s.ok()) {
      return InputError(s);
    }
    if (metric == io::DatasetMetric::kCosine) {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t r = 0; r < rows; ++r) norms[r] = Norm(slice.data() + r * d, d);
    }
    std::atomic<int64_t> blocks_done{0};
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t b = 0; b < block_count; ++b) {
      const int lanes = static_cast<int>(std::min<int64_t>(kQueryBlock, nq - b * kQueryBlock));
      ScanBlock(slice.data(), rows, begin, d, blocks.data() + b * d * kQueryBlock, norms.data(),
                metric, heaps.data() + b * kQueryBlock, lanes);
      const int64_t done = ++blocks_done;
      // Only thread 0 touches the log, so a slice of many queries still shows progress.
      if (omp_get_thread_num() == 0) progress.Update(begin + rows * done / block_count);
    }
    progress.Update(begin + rows);
  }

  std::vector<int64_t> neighbors(nq * k);
  std::vector<float> distances(nq * k);
  for (int64_t q = 0; q < nq; ++q) {
    const std::vector<std::pair<double, int64_t>> best = heaps[q].Sorted();
    for (int64_t i = 0; i < k; ++i) {
      neighbors[q * k + i] = best[i].second;
      distances[q * k + i] = StoredDistance(best[i].first, metric);
    }
  }
  absl::Status status = writer->WriteRows("neighbors", 0, std::span<const int64_t>(neighbors));
  if (status.ok()) status = writer->WriteRows("distances", 0, std::span<const float>(distances));
  if (status.ok()) status = writer->WriteStringAttribute("distance", source->distance);
  if (status.ok()) status = writer->WriteIntAttribute("dimension", d);
  if (status.ok()) status = CopyAttributes(*reader, *writer);
  if (status.ok()) {
    status = writer->WriteStringAttribute(
        "subset_of",
        absl::StrCat(std::filesystem::path(flags.data).filename().string(), ": first ", n,
                     " train rows, first ", nq, " test rows; neighbors recomputed (k = ", k,
                     ") by tq-bench subset"));
  }
  if (status.ok()) status = writer->Commit();
  if (!status.ok()) return InputError(status);
  std::printf(
      "wrote %s: train %lld x %lld, test %lld x %lld, neighbors %lld x %lld (%s), "
      "%.1f s\n",
      flags.out.c_str(), static_cast<long long>(n), static_cast<long long>(d),
      static_cast<long long>(nq), static_cast<long long>(d), static_cast<long long>(nq),
      static_cast<long long>(k), source->distance.c_str(), progress.Seconds());
  return kExitOk;
}

}  // namespace tq::bench
