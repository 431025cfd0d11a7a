// `tq-bench speed` run as a user runs it, on a small random set: exit codes (0 ok, 1 bad input,
// 2 usage), and the JSON the issue specifies, with every field present and sane. Speeds are not
// asserted (a shared machine), only that they were measured.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "json_test_util.h"
#include "scratch_dir.h"

namespace tq {
namespace {

using ::tq::testing::CliRun;
using ::tq::testing::Contains;
using ::tq::testing::Json;
using ::tq::testing::JsonParser;
using ::tq::testing::RunCli;

class BenchSpeed : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeScratchDir("bench_speed_test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  CliRun Speed(const std::string& args) {
    return RunCli(std::string(TQ_BENCH_BINARY) + " speed " + args, dir_);
  }
  std::string dir_;
};

TEST_F(BenchSpeed, UsageErrorsExitTwoAndBadFilesOne) {
  EXPECT_EQ(Speed("").code, 2);  // neither --data nor --random
  EXPECT_EQ(Speed("--random 100x8 --data x.hdf5").code, 2);
  EXPECT_EQ(Speed("--random 100").code, 2);
  EXPECT_EQ(Speed("--random 100x1").code, 2);
  EXPECT_EQ(Speed("--random 100x8 --bits 5").code, 2);
  EXPECT_EQ(Speed("--random 100x8 --bits 2,x").code, 2);
  EXPECT_EQ(Speed("--random 100x8 --k 0").code, 2);
  const CliRun huge = Speed("--random 2000000000x65536");  // refused before any allocation
  EXPECT_EQ(huge.code, 2);
  EXPECT_TRUE(Contains(huge.err, "GiB")) << huge.err;
  EXPECT_EQ(Speed("--help").code, 0);
  const CliRun missing = Speed("--data " + dir_ + "/missing.hdf5");
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Contains(missing.err, "missing.hdf5")) << missing.err;
}

TEST_F(BenchSpeed, JsonHasEveryFieldOfEveryRow) {
  const CliRun run =
      Speed("--random 3000x40 --queries 30 --bits 1,2.5,4 --threads 2 --rerank 20 --json");
  ASSERT_EQ(run.code, 0) << run.err;
  Json json;
  ASSERT_TRUE(JsonParser(run.out).ParseDocument(&json)) << run.out;
  ASSERT_EQ(json.kind, Json::kObject);
  EXPECT_EQ(json.Find("n")->number, 3000);
  EXPECT_EQ(json.Find("d")->number, 40);
  EXPECT_EQ(json.Find("nq")->number, 30);
  EXPECT_TRUE(Contains(json.Find("data")->text, "random 3000x40"));
  const Json* rows = json.Find("rows");
  ASSERT_NE(rows, nullptr);
  ASSERT_EQ(rows->items.size(), 3u);
  const double bits[] = {1, 2.5, 4};
  for (size_t i = 0; i < 3; ++i) {
    const Json& row = rows->items[i];
    EXPECT_EQ(row.Find("bits")->number, bits[i]);
    for (const char* field :
         {"bytes_per_vector", "block_bytes_per_vector", "add_vectors_per_s_1t", "add_vectors_per_s",
          "scan_vectors_per_s_1t", "scan_gbps_1t", "memory_read_gbps", "flat_vectors_per_s_1t",
          "qps_1t", "qps", "latency_p50_ms", "latency_p99_ms"}) {
      const Json* value = row.Find(field);
      ASSERT_NE(value, nullptr) << field;
      EXPECT_GT(value->number, 0) << field;
    }
    EXPECT_LE(row.Find("latency_p50_ms")->number, row.Find("latency_p99_ms")->number);
    const double recall = row.Find("recall")->number;  // against exact search
    EXPECT_GT(recall, 0.2);
    EXPECT_LE(recall, 1.0);
    EXPECT_GE(row.Find("block_bytes_per_vector")->number, row.Find("bytes_per_vector")->number);
  }
  // Bytes grow with the bits: 1 bit is 5 code bytes + floats, 4 bits 20 + floats.
  EXPECT_LT(rows->items[0].Find("bytes_per_vector")->number,
            rows->items[1].Find("bytes_per_vector")->number);
  EXPECT_LT(rows->items[1].Find("bytes_per_vector")->number,
            rows->items[2].Find("bytes_per_vector")->number);
}

// --faiss: FAISS's IndexPQ at the whole bit widths with a PQ shape, or, in a build without
// libfaiss-dev, a usage error that says how to get it.
TEST_F(BenchSpeed, FaissColumnsOrAClearRefusal) {
  const CliRun run = Speed("--random 3000x16 --queries 20 --bits 2,2.5 --faiss --json");
  if (run.code == 2) {
    EXPECT_TRUE(Contains(run.err, "libfaiss-dev")) << run.err;
    GTEST_SKIP() << "this build has no FAISS";
  }
  ASSERT_EQ(run.code, 0) << run.err;
  Json json;
  ASSERT_TRUE(JsonParser(run.out).ParseDocument(&json)) << run.out;
  EXPECT_GT(json.Find("faiss_flat_vectors_per_s_1t")->number, 0);
  const Json* rows = json.Find("rows");
  ASSERT_EQ(rows->items.size(), 2u);
  const Json* pq = rows->items[0].Find("faiss_pq");
  ASSERT_NE(pq, nullptr);
  ASSERT_EQ(pq->kind, Json::kObject);
  EXPECT_EQ(pq->Find("bytes_per_vector")->number, 4);  // 16 dims x 2 bits, no floats
  for (const char* field : {"train_seconds", "add_seconds", "qps_1t", "recall"}) {
    EXPECT_GT(pq->Find(field)->number, 0) << field;
  }
  EXPECT_LE(pq->Find("recall")->number, 1.0);
  EXPECT_EQ(rows->items[1].Find("faiss_pq")->kind, Json::kNull);  // 2.5 bits: no PQ shape
}

TEST_F(BenchSpeed, TableOnAnAnnBenchmarksFile) {
  const std::string glove = std::string(TQ_SOURCE_DIR) + "/datasets/glove-100-angular-20k.hdf5";
  const CliRun run = Speed("--data " + glove + " --n 3000 --queries 20 --bits 2");
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "| bits |")) << run.out;
  EXPECT_TRUE(Contains(run.out, "scan / read")) << run.out;
  EXPECT_TRUE(Contains(run.err, "n = 3000, d = 100, 20 queries, angular")) << run.err;
}

}  // namespace
}  // namespace tq
