// `tq-bench recall` run as a user runs it, on tiny HDF5 files with a known answer: exit codes
// (0 ok, 1 bad input, 2 usage), exact recall where the method is exact (TurboQuant reranking
// every row, PQ with a centroid per point), the JSON's fields and ranges, and the report files.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "io/ann_hdf5.h"
#include "json_test_util.h"

namespace tq {
namespace {

using ::tq::testing::CliRun;
using ::tq::testing::Contains;
using ::tq::testing::Json;
using ::tq::testing::JsonParser;
using ::tq::testing::ReadText;
using ::tq::testing::RunCli;

// Well-formed enough for a browser: an XML or svg start, and every tag closed in order.
bool BalancedXml(const std::string& xml, std::string* why) {
  if (xml.rfind("<?xml", 0) != 0 && xml.rfind("<svg", 0) != 0) {
    *why = "does not start with <?xml or <svg";
    return false;
  }
  std::vector<std::string> open;
  size_t i = 0;
  while ((i = xml.find('<', i)) != std::string::npos) {
    const size_t end = xml.find('>', i);
    if (end == std::string::npos) return *why = "unterminated tag", false;
    const std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return *why = "empty tag", false;
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag.back() == '/') continue;
    const bool closing = tag[0] == '/';
    const std::string name =
        tag.substr(closing ? 1 : 0, tag.find_first_of(" \t\n/", 1) - (closing ? 1 : 0));
    if (!closing) {
      open.push_back(name);
    } else if (open.empty() || open.back() != name) {
      return *why = "</" + name + "> closes " + (open.empty() ? "nothing" : open.back()), false;
    } else {
      open.pop_back();
    }
  }
  if (!open.empty()) return *why = "<" + open.back() + "> never closed", false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The fixtures.

constexpr int kN = 256;
constexpr int kDim = 16;
constexpr int kQueries = 32;

// kN distinct Gaussian points; query q is point 7q + small noise, so its nearest neighbour is
// clear by a wide margin.
void MakeData(std::vector<float>* train, std::vector<float>* test) {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> gauss;
  train->resize(kN * kDim);
  for (float& v : *train) v = gauss(rng);
  test->resize(kQueries * kDim);
  for (int q = 0; q < kQueries; ++q) {
    for (int c = 0; c < kDim; ++c) {
      (*test)[q * kDim + c] = (*train)[(7 * q) * kDim + c] + 0.05f * gauss(rng);
    }
  }
}

// Exact top 10 by cosine (angular) or by L2, in double.
std::vector<int32_t> TrueNeighbours(const std::vector<float>& train, const std::vector<float>& test,
                                    bool angular) {
  std::vector<int32_t> out;
  for (int q = 0; q < kQueries; ++q) {
    std::vector<std::pair<double, int>> scored;
    for (int i = 0; i < kN; ++i) {
      double dot = 0, qq = 0, xx = 0, l2 = 0;
      for (int c = 0; c < kDim; ++c) {
        const double a = test[q * kDim + c], b = train[i * kDim + c];
        dot += a * b;
        qq += a * a;
        xx += b * b;
        l2 += (a - b) * (a - b);
      }
      scored.emplace_back(angular ? 1.0 - dot / std::sqrt(qq * xx) : l2, i);
    }
    std::sort(scored.begin(), scored.end());
    for (int j = 0; j < 10; ++j) out.push_back(scored[j].second);
  }
  return out;
}

class BenchRecall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/bench_recall_" + std::to_string(::getpid()));
    std::filesystem::create_directories(*dir_);
    std::vector<float> train, test;
    MakeData(&train, &test);
    // angular.hdf5: an ann-benchmarks file with its `neighbors`.
    const std::vector<int32_t> neighbours = TrueNeighbours(train, test, true);
    const std::vector<float> distances(neighbours.size(), 0.0f);
    io::AnnData data;
    data.train = {train, kN, kDim};
    data.test = {test, kQueries, kDim};
    data.neighbors = {neighbours, kQueries, 10};
    data.distances = {distances, kQueries, 10};
    data.distance = "angular";
    ASSERT_TRUE(io::WriteAnnHdf5(Path("angular.hdf5"), data).ok());
    // euclidean.hdf5: no `neighbors`, so the command computes them.
    absl::StatusOr<io::AnnHdf5Writer> writer = io::AnnHdf5Writer::Create(Path("euclidean.hdf5"));
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->CreateDataset("train", io::DiskType::kFloat32, kN, kDim).ok());
    ASSERT_TRUE(writer->WriteRows("train", 0, std::span<const float>(train)).ok());
    ASSERT_TRUE(writer->CreateDataset("test", io::DiskType::kFloat32, kQueries, kDim).ok());
    ASSERT_TRUE(writer->WriteRows("test", 0, std::span<const float>(test)).ok());
    ASSERT_TRUE(writer->WriteStringAttribute("distance", "euclidean").ok());
    ASSERT_TRUE(writer->Commit().ok());
    // train_only.hdf5: HDF5, but no test set.
    absl::StatusOr<io::AnnHdf5Writer> partial = io::AnnHdf5Writer::Create(Path("train_only.hdf5"));
    ASSERT_TRUE(partial.ok());
    ASSERT_TRUE(partial->CreateDataset("train", io::DiskType::kFloat32, kN, kDim).ok());
    ASSERT_TRUE(partial->WriteRows("train", 0, std::span<const float>(train)).ok());
    ASSERT_TRUE(partial->WriteStringAttribute("distance", "euclidean").ok());
    ASSERT_TRUE(partial->Commit().ok());
    std::ofstream(Path("text.hdf5")) << "not hdf5\n";
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  static CliRun Cli(const std::string& args) {
    return RunCli(std::string(TQ_BENCH_BINARY) + " recall " + args, *dir_);
  }

  // Runs with --json and parses stdout, which must be exactly one JSON object.
  static Json JsonRun(const std::string& args, std::string* err = nullptr) {
    const CliRun run = Cli(args + " --json");
    EXPECT_EQ(run.code, 0) << run.err;
    if (err != nullptr) *err = run.err;
    Json json;
    EXPECT_TRUE(JsonParser(run.out).ParseDocument(&json)) << run.out;
    EXPECT_EQ(json.kind, Json::kObject) << run.out;
    return json;
  }

  static std::map<std::string, const Json*> MethodsByName(const Json& json) {
    std::map<std::string, const Json*> out;
    const Json* methods = json.Find("methods");
    if (methods == nullptr) return out;
    for (const Json& m : methods->items) {
      const Json* name = m.Find("name");
      if (name != nullptr) out[name->text] = &m;
    }
    return out;
  }

  static double Number(const Json& object, const std::string& key) {
    const Json* v = object.Find(key);
    EXPECT_NE(v, nullptr) << key;
    return v != nullptr ? v->number : std::nan("");
  }

  static double Recall1At(const Json& method, int k) {
    const Json* at = method.Find("recall_1_at");
    if (at == nullptr) return std::nan("");
    const Json* v = at->Find(std::to_string(k));
    return v != nullptr ? v->number : std::nan("");
  }

  static std::string* dir_;
};

std::string* BenchRecall::dir_ = nullptr;

TEST_F(BenchRecall, UsageErrorsExitTwoAndHelpExitsZero) {
  const CliRun help = Cli("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(Contains(help.out, "usage: tq-bench recall")) << help.out;
  EXPECT_TRUE(Contains(help.out, "--rerank")) << help.out;
  const std::string data = "--data=" + Path("angular.hdf5");
  const CliRun unknown = Cli(data + " --methods=tq4,hnsw8");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_TRUE(Contains(unknown.err, "hnsw8")) << unknown.err;
  for (const char* bad : {"tq5", "tq4-fast", "pq3", "rabitq9", "tq", "4", "tq4,,pq4"}) {
    EXPECT_EQ(Cli(data + " --methods=" + bad).code, 2) << bad;
  }
  EXPECT_EQ(Cli(data + " --methods=tq4 --k=0").code, 2);
  EXPECT_EQ(Cli(data + " --methods=tq4 --k=5000").code, 2);
  EXPECT_EQ(Cli(data + " --methods=tq4 --k=abc").code, 2);
  EXPECT_EQ(Cli(data + " --methods=tq4 --k").code, 2);
  EXPECT_EQ(Cli(data + " --methods=tq4 --rerank=5").code, 2);
  EXPECT_EQ(Cli(data + " --methods=tq4 --variant=fast").code, 2);
  EXPECT_EQ(Cli(data + " --methods=tq4 --queries=0").code, 2);
  EXPECT_EQ(Cli(data + " --methods=tq4 --threads=-1").code, 2);
  const CliRun bogus = Cli(data + " --methods=tq4 --bogus=1");
  EXPECT_EQ(bogus.code, 2);
  EXPECT_TRUE(Contains(bogus.err, "--bogus")) << bogus.err;
  EXPECT_EQ(Cli(data + " --methods=tq4 --bits=4").code, 2);  // a flag of `distortion`
  EXPECT_EQ(Cli(data + " --methods=tq4 stray").code, 2);
  EXPECT_EQ(Cli("--methods=tq4").code, 2);  // no --data
  EXPECT_EQ(Cli(data).code, 2);             // no --methods
}

TEST_F(BenchRecall, BadFilesExitOneNamingTheFile) {
  for (const char* name : {"missing.hdf5", "text.hdf5", "train_only.hdf5"}) {
    const CliRun run = Cli("--data=" + Path(name) + " --methods=tq4");
    EXPECT_EQ(run.code, 1) << name;
    EXPECT_TRUE(Contains(run.err, Path(name))) << run.err;
  }
}

TEST_F(BenchRecall, ExactMethodsReachRecallOne) {
  std::string err;
  const Json json = JsonRun(
      "--data=" + Path("angular.hdf5") + " --methods=tq4,pq4,pq2,rabitq1 --rerank=256 --threads=2",
      &err);
  EXPECT_TRUE(err.empty()) << "--json must keep stderr silent: " << err;
  EXPECT_EQ(json.Find("ground_truth")->text, "file");
  EXPECT_EQ(json.Find("metric")->text, "angular");
  const auto methods = MethodsByName(json);
  ASSERT_EQ(methods.size(), 4u);
  // Reranking all 256 rows with the float vectors is exact search.
  EXPECT_EQ(Number(*methods.at("tq4"), "recall_10_rerank"), 1.0);
  // 256 centroids on 256 distinct points: every PQ code decodes to its point exactly.
  for (const char* pq : {"pq4", "pq2"}) {
    EXPECT_EQ(Recall1At(*methods.at(pq), 1), 1.0) << pq;
    EXPECT_EQ(Number(*methods.at(pq), "recall_10_rerank"), 1.0) << pq;
  }
  EXPECT_GE(Recall1At(*methods.at("tq4"), 1), 0.9);  // 4 bits on a clear nearest neighbour
  EXPECT_EQ(Recall1At(*methods.at("rabitq1"), 64), 1.0);
}

TEST_F(BenchRecall, JsonHasEveryFieldWithRecallsInRange) {
  const Json json = JsonRun("--data=" + Path("angular.hdf5") +
                            " --methods=tq2,pq4,rabitq2 --variant=all --queries=20 --k=32");
  for (const char* key :
       {"dataset", "n", "d", "nq", "metric", "k", "rerank", "threads", "ground_truth", "methods"}) {
    EXPECT_NE(json.Find(key), nullptr) << key;
  }
  EXPECT_EQ(json.Find("dataset")->text, "angular.hdf5");
  EXPECT_EQ(Number(json, "n"), kN);
  EXPECT_EQ(Number(json, "d"), kDim);
  EXPECT_EQ(Number(json, "nq"), 20);
  EXPECT_EQ(Number(json, "k"), 32);
  EXPECT_EQ(Number(json, "rerank"), 0);
  EXPECT_GE(Number(json, "threads"), 1);
  const auto methods = MethodsByName(json);
  ASSERT_EQ(methods.size(), 5u);  // tq2 x 3 variants, pq4, rabitq2
  for (const char* name : {"tq2-mse", "tq2-prod", "tq2-corrected", "pq4", "rabitq2"}) {
    ASSERT_EQ(methods.count(name), 1u) << name;
    const Json& m = *methods.at(name);
    for (const char* key : {"name", "variant", "bits_per_dim", "bytes_per_vector", "train_seconds",
                            "encode_seconds", "recall_1_at", "recall_10_at_10", "qps_1t", "qps"}) {
      EXPECT_NE(m.Find(key), nullptr) << name << " lacks " << key;
    }
    EXPECT_EQ(m.Find("recall_10_rerank"), nullptr) << "only with --rerank";
    const bool tq = std::string(name).rfind("tq", 0) == 0;
    EXPECT_EQ(m.Find("variant")->kind, tq ? Json::kString : Json::kNull) << name;
    if (tq) {
      EXPECT_EQ(Number(m, "train_seconds"), 0.0) << "TurboQuant has no training";
    }
    EXPECT_GT(Number(m, "bytes_per_vector"), 0.0);
    EXPECT_GT(Number(m, "qps_1t"), 0.0);
    EXPECT_GT(Number(m, "qps"), 0.0);
    const Json* at = m.Find("recall_1_at");
    ASSERT_NE(at, nullptr);
    std::vector<std::string> keys;
    double previous = 0.0;
    for (const auto& [k, v] : at->members) {
      keys.push_back(k);
      EXPECT_GE(v.number, previous) << name << " recall@1@" << k << " decreases";
      EXPECT_LE(v.number, 1.0);
      previous = v.number;
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"1", "2", "4", "8", "16", "32"})) << name;
    const double r10 = Number(m, "recall_10_at_10");
    EXPECT_GE(r10, 0.0);
    EXPECT_LE(r10, 1.0);
  }
  EXPECT_EQ(methods.at("tq2-prod")->Find("variant")->text, "prod");
  EXPECT_EQ(Number(*methods.at("tq2-mse"), "bits_per_dim"), 2);
}

TEST_F(BenchRecall, BruteForceTruthWithoutNeighboursOrWithACutBase) {
  const Json l2 = JsonRun("--data=" + Path("euclidean.hdf5") + " --methods=pq4");
  EXPECT_EQ(l2.Find("ground_truth")->text, "brute_force");
  EXPECT_EQ(l2.Find("metric")->text, "euclidean");
  EXPECT_EQ(Recall1At(*MethodsByName(l2).at("pq4"), 1), 1.0);
  // --n cuts the base, so the file's neighbours no longer apply.
  const Json cut =
      JsonRun("--data=" + Path("angular.hdf5") + " --methods=tq4 --n=200 --rerank=200");
  EXPECT_EQ(cut.Find("ground_truth")->text, "brute_force");
  EXPECT_EQ(Number(cut, "n"), 200);
  EXPECT_EQ(Number(*MethodsByName(cut).at("tq4"), "recall_10_rerank"), 1.0);
}

TEST_F(BenchRecall, TableAndReportFiles) {
  const std::string report = Path("report dir");  // a space, to test the quoting
  const CliRun run = Cli("--data=" + Path("angular.hdf5") + " --methods=tq4,pq4 --rerank=64 " +
                         "--report='" + report + "'");
  ASSERT_EQ(run.code, 0) << run.err;
  for (const char* column : {"| method", "variant", "bits/dim", "bytes/vector", "train s",
                             "encode s", "recall@1@1", "recall@1@4", "recall@1@16", "recall@1@64",
                             "recall@10@10", "recall@10 rerank 64", "QPS 1t"}) {
    EXPECT_TRUE(Contains(run.out, column)) << column << "\n" << run.out;
  }
  EXPECT_TRUE(Contains(run.out, "dataset angular.hdf5: n = 256, d = 16, nq = 32, metric angular"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "ground truth: file")) << run.out;
  EXPECT_FALSE(run.err.empty()) << "progress lines expected on stderr";
  const std::string md = ReadText(report + "/results.md");
  EXPECT_TRUE(Contains(md, "tq-bench recall --data=")) << md;
  EXPECT_TRUE(Contains(md, "'--report=" + report + "'")) << md;
  EXPECT_TRUE(Contains(md, "| tq4")) << md;
  const std::string csv = ReadText(report + "/results.csv");
  EXPECT_TRUE(csv.rfind("method,variant,bits_per_dim,bytes_per_vector,", 0) == 0) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  const std::string svg = ReadText(report + "/recall.svg");
  std::string why;
  EXPECT_TRUE(BalancedXml(svg, &why)) << why;
  EXPECT_TRUE(Contains(svg, ">tq4<") && Contains(svg, ">pq4<")) << "legend";
}

}  // namespace
}  // namespace tq
