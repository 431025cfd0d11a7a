// `tq-bench subset` run as a user runs it: neighbours equal to a brute force computed here for
// every metric (ties to the lower id, streamed in slices), the stored distance conventions, exit
// codes 1 and 2, and the bundled sample datasets/glove-100-angular-20k.hdf5.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "io/ann_hdf5.h"
#include "scratch_dir.h"

namespace tq {
namespace {

using ::tq::testing::CliRun;
using ::tq::testing::Contains;
using ::tq::testing::ReadText;
using ::tq::testing::RunCli;

const std::string kSharedGlove = std::string(TQ_SHARED_DATASETS) + "/glove-100-angular.hdf5";
const std::string kSample = std::string(TQ_REPO_DATASETS) + "/glove-100-angular-20k.hdf5";

// A synthetic ann-benchmarks file: train rows, test rows and placeholder ground truth.
struct Synthetic {
  int64_t n = 0, nq = 0, d = 0;
  std::vector<float> train, test;
};

Synthetic MakeData(int64_t n, int64_t nq, int64_t d, uint64_t seed) {
  Synthetic s{n, nq, d, std::vector<float>(n * d), std::vector<float>(nq * d)};
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  for (float& v : s.train) v = gauss(rng);
  for (float& v : s.test) v = gauss(rng);
  return s;
}

void WriteFile(const std::string& path, const Synthetic& s, const std::string& distance,
               io::DiskType float_type = io::DiskType::kFloat32) {
  std::vector<int32_t> neighbors(s.nq, 0);
  std::vector<float> distances(s.nq, 0.0f);
  io::AnnData data;
  data.train = {s.train, s.n, s.d};
  data.test = {s.test, s.nq, s.d};
  data.neighbors = {neighbors, s.nq, 1};
  data.distances = {distances, s.nq, 1};
  data.distance = distance;
  io::AnnWriteOptions options;
  options.float_type = float_type;
  ASSERT_TRUE(io::WriteAnnHdf5(path, data, options).ok()) << path;
}

enum class Kind { kAngular, kEuclidean, kDot };

// The documented convention, computed the obvious way: angular 1 - cos with both vectors'
// norms taken in double, euclidean |q - x|, dot -<q, x>.
double Distance(const float* q, const float* x, int64_t d, Kind kind) {
  if (kind == Kind::kEuclidean) {
    double sum = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      const double diff = static_cast<double>(x[j]) - q[j];
      sum += diff * diff;
    }
    return sum;  // squared: the ranking key; the file stores its square root
  }
  double qn = 0.0, xn = 0.0;
  for (int64_t j = 0; j < d; ++j) qn += static_cast<double>(q[j]) * q[j];
  for (int64_t j = 0; j < d; ++j) xn += static_cast<double>(x[j]) * x[j];
  qn = std::sqrt(qn);
  xn = std::sqrt(xn);
  double dot = 0.0;
  for (int64_t j = 0; j < d; ++j) {
    dot += static_cast<double>(x[j]) * (kind == Kind::kAngular ? (qn > 0 ? q[j] / qn : 0.0) : q[j]);
  }
  if (kind == Kind::kDot) return -dot;
  return 1.0 - (xn > 0 ? dot / xn : 0.0);
}

// Top k of the first n train rows for each of the first nq queries: (key, id), best first.
std::vector<std::vector<std::pair<double, int64_t>>> BruteForce(const Synthetic& s, int64_t n,
                                                                int64_t nq, int64_t k, Kind kind) {
  std::vector<std::vector<std::pair<double, int64_t>>> out(nq);
  for (int64_t q = 0; q < nq; ++q) {
    std::vector<std::pair<double, int64_t>> all(n);
    for (int64_t i = 0; i < n; ++i) {
      all[i] = {Distance(s.test.data() + q * s.d, s.train.data() + i * s.d, s.d, kind), i};
    }
    std::partial_sort(all.begin(), all.begin() + k, all.end());
    all.resize(k);
    out[q] = std::move(all);
  }
  return out;
}

class BenchSubset : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::tq::testing::MakeScratchDir("bench_subset"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  CliRun Cli(const std::string& args, const std::string& env = "") const {
    return RunCli(env + " " + std::string(TQ_BENCH_BINARY) + " " + args, dir_);
  }

  // Runs subset on `s` written with `distance` and checks the result against BruteForce.
  void CheckAgainstBruteForce(const Synthetic& s, const std::string& distance, Kind kind, int64_t n,
                              int64_t nq, int64_t k, const std::string& env = "") {
    const std::string big = Path("big.hdf5"), small = Path("small.hdf5");
    WriteFile(big, s, distance);
    const CliRun run = Cli("subset --data=" + big + " --n=" + std::to_string(n) + " --queries=" +
                               std::to_string(nq) + " --k=" + std::to_string(k) + " --out=" + small,
                           env);
    ASSERT_EQ(run.code, 0) << run.err;
    EXPECT_FALSE(std::filesystem::exists(small + ".partial"));
    absl::StatusOr<io::AnnHdf5Reader> file = io::AnnHdf5Reader::Open(small);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(*file->Shape("train"), (io::DatasetShape{n, s.d}));
    EXPECT_EQ(*file->Shape("test"), (io::DatasetShape{nq, s.d}));
    EXPECT_EQ(*file->Shape("neighbors"), (io::DatasetShape{nq, k}));
    EXPECT_EQ(*file->Shape("distances"), (io::DatasetShape{nq, k}));
    EXPECT_EQ(file->ReadDistance()->value_or(""), distance);
    EXPECT_EQ(file->ReadIntAttribute("dimension")->value_or(-1), s.d);
    // The vectors are the first rows, unchanged.
    EXPECT_EQ(*file->ReadFloatRows("train", 0, n),
              std::vector<float>(s.train.begin(), s.train.begin() + n * s.d));
    EXPECT_EQ(*file->ReadFloatRows("test", 0, nq),
              std::vector<float>(s.test.begin(), s.test.begin() + nq * s.d));

    const std::vector<int64_t> ids = *file->ReadInt64Rows("neighbors", 0, nq);
    const std::vector<float> dists = *file->ReadFloatRows("distances", 0, nq);
    const auto truth = BruteForce(s, n, nq, k, kind);
    for (int64_t q = 0; q < nq; ++q) {
      for (int64_t i = 0; i < k; ++i) {
        const auto [key, id] = truth[q][i];
        const double stored = kind == Kind::kEuclidean ? std::sqrt(key) : key;
        EXPECT_EQ(ids[q * k + i], id) << "query " << q << " rank " << i;
        EXPECT_NEAR(dists[q * k + i], stored, 1e-6 * std::max(1.0, std::abs(stored)))
            << "query " << q << " rank " << i;
        if (i > 0) {
          EXPECT_LE(dists[q * k + i - 1], dists[q * k + i]);  // ascending
        }
      }
    }
  }

  std::string dir_;
};

TEST_F(BenchSubset, AngularMatchesBruteForceAndStoresOneMinusCosine) {
  Synthetic s = MakeData(500, 30, 24, 1);
  // Rows of different norms: angular must rank by direction only.
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t j = 0; j < s.d; ++j) s.train[i * s.d + j] *= 0.1f + 0.01f * (i % 50);
  }
  CheckAgainstBruteForce(s, "angular", Kind::kAngular, 400, 25, 100);
  // The stored value is 1 - cos: check one pair by hand.
  absl::StatusOr<io::AnnHdf5Reader> file = io::AnnHdf5Reader::Open(Path("small.hdf5"));
  const int64_t first = (*file->ReadInt64Rows("neighbors", 0, 1))[0];
  const float stored = (*file->ReadFloatRows("distances", 0, 1))[0];
  double dot = 0, qq = 0, xx = 0;
  for (int64_t j = 0; j < s.d; ++j) {
    dot += double(s.test[j]) * s.train[first * s.d + j];
    qq += double(s.test[j]) * s.test[j];
    xx += double(s.train[first * s.d + j]) * s.train[first * s.d + j];
  }
  EXPECT_NEAR(stored, 1.0 - dot / std::sqrt(qq * xx), 1e-6);
}

TEST_F(BenchSubset, EuclideanMatchesBruteForceAndStoresTheDistanceNotItsSquare) {
  const Synthetic s = MakeData(600, 20, 16, 2);
  CheckAgainstBruteForce(s, "euclidean", Kind::kEuclidean, 600, 20, 50);
  absl::StatusOr<io::AnnHdf5Reader> file = io::AnnHdf5Reader::Open(Path("small.hdf5"));
  const int64_t first = (*file->ReadInt64Rows("neighbors", 0, 1))[0];
  double sum = 0;
  for (int64_t j = 0; j < s.d; ++j) {
    const double diff = double(s.test[j]) - s.train[first * s.d + j];
    sum += diff * diff;
  }
  EXPECT_NEAR((*file->ReadFloatRows("distances", 0, 1))[0], std::sqrt(sum), 1e-5);
}

TEST_F(BenchSubset, DotStoresTheNegatedInnerProductAndKeepsItsName) {
  const Synthetic s = MakeData(300, 10, 8, 3);
  CheckAgainstBruteForce(s, "dot", Kind::kDot, 300, 10, 20);
  CheckAgainstBruteForce(s, "ip", Kind::kDot, 250, 10, 20);
}

TEST_F(BenchSubset, TiesGoToTheLowerIdAndZeroVectorsAreAtCosineZero) {
  Synthetic s = MakeData(200, 8, 12, 4);
  // Exact duplicates of row 7 at higher ids; a zero row; a zero query.
  for (int64_t dup : {40, 90, 150}) {
    std::copy_n(s.train.begin() + 7 * s.d, s.d, s.train.begin() + dup * s.d);
  }
  std::fill_n(s.train.begin() + 3 * s.d, s.d, 0.0f);
  std::fill_n(s.test.begin() + 5 * s.d, s.d, 0.0f);
  // Query 0 is row 7 itself, so its best neighbours are 7, 40, 90, 150 in that order.
  std::copy_n(s.train.begin() + 7 * s.d, s.d, s.test.begin());
  CheckAgainstBruteForce(s, "angular", Kind::kAngular, 200, 8, 10);
  absl::StatusOr<io::AnnHdf5Reader> file = io::AnnHdf5Reader::Open(Path("small.hdf5"));
  const std::vector<int64_t> ids = *file->ReadInt64Rows("neighbors", 0, 8);
  EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.begin() + 4),
            (std::vector<int64_t>{7, 40, 90, 150}));
  // The zero query is at distance 1 from everything: its neighbours are ids 0..9.
  const std::vector<float> dists = *file->ReadFloatRows("distances", 0, 8);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ids[5 * 10 + i], i);
    EXPECT_EQ(dists[5 * 10 + i], 1.0f);
  }
  CheckAgainstBruteForce(s, "euclidean", Kind::kEuclidean, 200, 8, 10);
}

TEST_F(BenchSubset, StreamsTheBaseInSlices) {
  const Synthetic s = MakeData(1000, 12, 20, 5);
  // 97 rows per slice: slices end mid-way through every heap's life and the last is partial.
  CheckAgainstBruteForce(s, "euclidean", Kind::kEuclidean, 1000, 12, 100,
                         "TQ_SUBSET_SLICE_ROWS=97");
  CheckAgainstBruteForce(s, "angular", Kind::kAngular, 777, 12, 30, "TQ_SUBSET_SLICE_ROWS=1");
  CheckAgainstBruteForce(s, "euclidean", Kind::kEuclidean, 1000, 12, 100,
                         "OMP_NUM_THREADS=1 TQ_SUBSET_SLICE_ROWS=333");
}

TEST_F(BenchSubset, Float64SourcesAreWrittenAsFloat32) {
  const Synthetic s = MakeData(100, 5, 6, 6);
  WriteFile(Path("f64.hdf5"), s, "euclidean", io::DiskType::kFloat64);
  ASSERT_EQ(Cli("subset --data=" + Path("f64.hdf5") +
                " --n=50 --queries=5 --k=10 --out=" + Path("small.hdf5"))
                .code,
            0);
  absl::StatusOr<io::AnnHdf5Reader> file = io::AnnHdf5Reader::Open(Path("small.hdf5"));
  EXPECT_EQ(*file->ReadFloatRows("train", 0, 50),
            std::vector<float>(s.train.begin(), s.train.begin() + 50 * s.d));
}

TEST_F(BenchSubset, UsageErrorsExitTwo) {
  const Synthetic s = MakeData(50, 5, 4, 7);
  const std::string big = Path("big.hdf5"), out = Path("out.hdf5");
  WriteFile(big, s, "angular");
  const std::string ok = " --data=" + big + " --out=" + out;
  EXPECT_EQ(Cli("subset --help").code, 0);
  EXPECT_TRUE(Contains(Cli("subset --help").out, "--queries"));
  EXPECT_TRUE(Contains(Cli("--help").out, "subset"));
  EXPECT_EQ(Cli("subset").code, 2);
  EXPECT_EQ(Cli("subset --data=" + big + " --n=10 --queries=2").code, 2);  // no --out
  EXPECT_EQ(Cli("subset --out=" + out + " --n=10 --queries=2").code, 2);   // no --data
  EXPECT_EQ(Cli("subset" + ok + " --queries=2").code, 2);                  // no --n
  EXPECT_EQ(Cli("subset" + ok + " --n=10").code, 2);                       // no --queries
  EXPECT_EQ(Cli("subset" + ok + " --n=0 --queries=2").code, 2);
  EXPECT_EQ(Cli("subset" + ok + " --n=-5 --queries=2").code, 2);
  EXPECT_EQ(Cli("subset" + ok + " --n=ten --queries=2").code, 2);
  EXPECT_EQ(Cli("subset" + ok + " --n=10 --queries=0").code, 2);
  EXPECT_EQ(Cli("subset" + ok + " --n=10 --queries=2 --k=0").code, 2);
  EXPECT_EQ(Cli("subset" + ok + " --n=10 --queries=2 --k=11").code, 2);  // k > N
  EXPECT_EQ(Cli("subset" + ok + " --n=10 --queries=2 --threads=-1").code, 2);
  const CliRun unknown = Cli("subset" + ok + " --n=10 --queries=2 --bogus=1");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_TRUE(Contains(unknown.err, "--bogus")) << unknown.err;
  EXPECT_EQ(Cli("subset" + ok + " --n=10 --queries=2 stray").code, 2);
  const CliRun too_many = Cli("subset" + ok + " --n=51 --queries=2 --k=5");  // N > rows
  EXPECT_EQ(too_many.code, 2);
  EXPECT_TRUE(Contains(too_many.err, "50 train rows")) << too_many.err;
  EXPECT_EQ(Cli("subset" + ok + " --n=10 --queries=6 --k=5").code, 2);  // Q > test rows
  EXPECT_EQ(Cli("subset --data=" + big + " --out=" + big + " --n=10 --queries=2 --k=5").code, 2);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
  // Both spellings of a value work.
  EXPECT_EQ(Cli("subset --data " + big + " --out " + out + " --n 10 --queries 2 --k 5").code, 0);
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST_F(BenchSubset, BadFilesExitOneNamingTheFile) {
  const std::string out = Path("out.hdf5");
  const std::string tail = " --n=10 --queries=2 --k=5 --out=" + out;
  const CliRun missing = Cli("subset --data=" + Path("missing.hdf5") + tail);
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Contains(missing.err, Path("missing.hdf5"))) << missing.err;
  std::ofstream(Path("text.hdf5")) << "not hdf5\n";
  const CliRun text = Cli("subset --data=" + Path("text.hdf5") + tail);
  EXPECT_EQ(text.code, 1);
  EXPECT_TRUE(Contains(text.err, Path("text.hdf5"))) << text.err;

  Synthetic s = MakeData(50, 5, 4, 8);
  WriteFile(Path("hamming.hdf5"), s, "hamming");
  EXPECT_EQ(Cli("subset --data=" + Path("hamming.hdf5") + tail).code, 1);
  {
    // No `distance` attribute at all.
    absl::StatusOr<io::AnnHdf5Writer> writer = io::AnnHdf5Writer::Create(Path("bare.hdf5"));
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->CreateDataset("train", io::DiskType::kFloat32, s.n, s.d).ok());
    ASSERT_TRUE(writer->WriteRows("train", 0, std::span<const float>(s.train)).ok());
    ASSERT_TRUE(writer->CreateDataset("test", io::DiskType::kFloat32, s.nq, s.d).ok());
    ASSERT_TRUE(writer->WriteRows("test", 0, std::span<const float>(s.test)).ok());
    ASSERT_TRUE(writer->Commit().ok());
  }
  const CliRun bare = Cli("subset --data=" + Path("bare.hdf5") + tail);
  EXPECT_EQ(bare.code, 1);
  EXPECT_TRUE(Contains(bare.err, "distance")) << bare.err;
  s.train[7 * s.d + 2] = std::numeric_limits<float>::quiet_NaN();
  WriteFile(Path("nan.hdf5"), s, "euclidean");
  const CliRun nan = Cli("subset --data=" + Path("nan.hdf5") + tail);
  EXPECT_EQ(nan.code, 1);
  EXPECT_TRUE(Contains(nan.err, "train row 7")) << nan.err;
  // An output folder that does not exist.
  WriteFile(Path("good.hdf5"), MakeData(50, 5, 4, 9), "angular");
  const CliRun no_dir = Cli("subset --data=" + Path("good.hdf5") +
                            " --n=10 --queries=2 --k=5 --out=" + Path("no/such/dir/x.hdf5"));
  EXPECT_EQ(no_dir.code, 1);
  EXPECT_TRUE(Contains(no_dir.err, "no/such/dir")) << no_dir.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

// On the whole shared GloVe base the recomputed neighbours are the file's own ground truth.
TEST_F(BenchSubset, WholeBaseReproducesTheSharedFilesGroundTruth) {
  if (!std::filesystem::exists(kSharedGlove)) GTEST_SKIP() << kSharedGlove << " not found";
  absl::StatusOr<io::AnnHdf5Reader> source = io::AnnHdf5Reader::Open(kSharedGlove);
  ASSERT_TRUE(source.ok());
  const int64_t n = source->Shape("train")->rows, nq = 100, k = 100;
  const std::string out = Path("glove_all.hdf5");
  const CliRun run = Cli("subset --data=" + kSharedGlove + " --n=" + std::to_string(n) +
                         " --queries=100 --out=" + out);
  ASSERT_EQ(run.code, 0) << run.err;
  absl::StatusOr<io::AnnHdf5Reader> mine = io::AnnHdf5Reader::Open(out);
  const std::vector<int64_t> ours = *mine->ReadInt64Rows("neighbors", 0, nq);
  const std::vector<int64_t> theirs = *source->ReadInt64Rows("neighbors", 0, nq);
  const std::vector<float> our_d = *mine->ReadFloatRows("distances", 0, nq);
  const std::vector<float> their_d = *source->ReadFloatRows("distances", 0, nq);
  int64_t same_first = 0, hits = 0;
  for (int64_t q = 0; q < nq; ++q) {
    same_first += ours[q * k] == theirs[q * k];
    std::vector<int64_t> a(ours.begin() + q * k, ours.begin() + (q + 1) * k);
    std::vector<int64_t> b(theirs.begin() + q * k, theirs.begin() + (q + 1) * k);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::vector<int64_t> common;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
    hits += static_cast<int64_t>(common.size());
    for (int64_t i = 0; i < k; ++i) {
      EXPECT_NEAR(our_d[q * k + i], their_d[q * k + i], 1e-5) << "query " << q << " rank " << i;
    }
  }
  EXPECT_EQ(same_first, nq);
  // Only float rounding of near-ties at the 100th place may differ.
  EXPECT_GE(static_cast<double>(hits) / (nq * k), 0.999);
}

// The bundled sample: committed to the repository and used by the README's main command.
TEST_F(BenchSubset, BundledSampleHasTheDocumentedShapeAndIsReproducible) {
  ASSERT_TRUE(std::filesystem::exists(kSample)) << kSample;
  absl::StatusOr<io::AnnHdf5Reader> sample = io::AnnHdf5Reader::Open(kSample);
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_EQ(*sample->Shape("train"), (io::DatasetShape{20000, 100}));
  EXPECT_EQ(*sample->Shape("test"), (io::DatasetShape{500, 100}));
  EXPECT_EQ(*sample->Shape("neighbors"), (io::DatasetShape{500, 100}));
  EXPECT_EQ(*sample->Shape("distances"), (io::DatasetShape{500, 100}));
  EXPECT_EQ(sample->ReadDistance()->value_or(""), "angular");
  const std::vector<int64_t> ids = *sample->ReadInt64Rows("neighbors", 0, 500);
  EXPECT_TRUE(
      std::all_of(ids.begin(), ids.end(), [](int64_t id) { return id >= 0 && id < 20000; }));
  if (!std::filesystem::exists(kSharedGlove)) GTEST_SKIP() << kSharedGlove << " not found";
  // Regenerated with the documented command, every dataset is identical (the file's bytes are
  // not: HDF5 stamps object times).
  const std::string again = Path("again.hdf5");
  ASSERT_EQ(Cli("subset --data " + kSharedGlove + " --n 20000 --queries 500 --out " + again).code,
            0);
  absl::StatusOr<io::AnnHdf5Reader> regenerated = io::AnnHdf5Reader::Open(again);
  for (const char* name : {"train", "test", "distances"}) {
    const int64_t rows = sample->Shape(name)->rows;
    EXPECT_EQ(*sample->ReadFloatRows(name, 0, rows), *regenerated->ReadFloatRows(name, 0, rows))
        << name;
  }
  EXPECT_EQ(ids, *regenerated->ReadInt64Rows("neighbors", 0, 500));
  absl::StatusOr<io::AnnHdf5Reader> shared = io::AnnHdf5Reader::Open(kSharedGlove);
  EXPECT_EQ(*sample->ReadStringAttribute("license"), *shared->ReadStringAttribute("license"));
}

}  // namespace
}  // namespace tq
