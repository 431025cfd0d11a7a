// tq-index end to end, as a user runs it: exit codes (0 ok, 1 bad input, 2 usage), build ->
// info --verify -> query on a real ann-benchmarks file, the recall it prints equal to the
// library's, add, and files left untouched when a command fails.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/container/flat_hash_set.h"
#include "cli_test_util.h"
#include "index/index.h"
#include "io/ann_hdf5.h"
#include "io/vecs_file.h"
#include "scratch_dir.h"

namespace tq {
namespace {

using ::tq::testing::CliRun;
using ::tq::testing::Contains;
using ::tq::testing::ReadText;
using ::tq::testing::RunCli;

const std::string kGlove = std::string(TQ_SHARED_DATASETS) + "/glove-100-angular.hdf5";

class TqIndexCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::tq::testing::MakeScratchDir("tq_index_cli"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  CliRun Cli(const std::string& args) const {
    return RunCli(std::string(TQ_INDEX_BINARY) + " " + args, dir_);
  }

  std::string dir_;
};

TEST_F(TqIndexCli, UsageErrorsExitTwoAndHelpExitsZero) {
  EXPECT_EQ(Cli("").code, 2);
  EXPECT_EQ(Cli("nonsense").code, 2);
  EXPECT_EQ(Cli("--help").code, 0);
  for (const char* command : {"build", "add", "query", "info"}) {
    const CliRun help = Cli(std::string(command) + " --help");
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_TRUE(Contains(help.out, "usage: tq-index")) << help.out;
  }
  EXPECT_TRUE(Contains(Cli("build --help").out, "--keep-vectors"));
  const CliRun unknown = Cli("build --data=x.hdf5 --out=y --bogus=1");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_TRUE(Contains(unknown.err, "--bogus")) << unknown.err;
  EXPECT_EQ(Cli("info --index=x --bits=4").code, 2);  // a flag of another command
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --bits=abc").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --bits=9").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --metric=hamming").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --center=median").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --bits=4.5").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --bits=2.5 --variant=prod").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --encoder=best").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5 --out=y --bits=2.5 --encoder=max-cosine").code, 2);
  EXPECT_EQ(Cli("build --data=x.hdf5").code, 2);  // no --out
  EXPECT_EQ(Cli("query --index=x --queries=y --k=0").code, 2);
  EXPECT_EQ(Cli("query --index=x --queries=y --out=z.csv").code, 2);
  EXPECT_EQ(Cli("info").code, 2);
  EXPECT_EQ(Cli("info --index=x stray").code, 2);
}

TEST_F(TqIndexCli, BadFilesExitOneNamingTheFile) {
  const CliRun missing = Cli("build --data=" + Path("missing.hdf5") + " --out=" + Path("x.tqi"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Contains(missing.err, Path("missing.hdf5"))) << missing.err;
  std::ofstream(Path("text.hdf5")) << "not hdf5\n";
  EXPECT_EQ(Cli("build --data=" + Path("text.hdf5") + " --out=" + Path("x.tqi")).code, 1);
  std::ofstream(Path("vectors.txt")) << "1 2 3\n";
  EXPECT_EQ(Cli("build --data=" + Path("vectors.txt") + " --out=" + Path("x.tqi")).code, 1);
  std::ofstream(Path("not_index.tqi")) << "hello\n";
  const CliRun info = Cli("info --index=" + Path("not_index.tqi"));
  EXPECT_EQ(info.code, 1);
  EXPECT_TRUE(Contains(info.err, "not a tq-index file")) << info.err;
  EXPECT_FALSE(std::filesystem::exists(Path("x.tqi")));
}

// Recall@10 of the library on the same file, computed here without the CLI.
double LibraryRecall(const std::string& path, int k, int rerank) {
  absl::StatusOr<io::FloatMatrix> train = io::ReadAll(path, "train");
  absl::StatusOr<io::FloatMatrix> test = io::ReadAll(path, "test");
  absl::StatusOr<io::AnnHdf5Reader> file = io::AnnHdf5Reader::Open(path);
  EXPECT_TRUE(train.ok() && test.ok() && file.ok());
  absl::StatusOr<io::DatasetShape> shape = file->Shape("neighbors");
  absl::StatusOr<std::vector<int64_t>> truth = file->ReadInt64Rows("neighbors", 0, shape->rows);
  IndexOptions options;
  options.dim = static_cast<int>(train->cols);
  options.bits = 4;
  options.metric = Metric::kCosine;
  options.keep_vectors = KeepVectors::kFloat16;
  // First-batch centering of the whole file in one batch samples the same rows as the CLI's
  // --center=auto, so the two indexes are identical.
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Create(options);
  EXPECT_TRUE((*index)->Add(train->data).ok());
  SearchParams params;
  params.rerank = rerank;
  SearchResults results;
  EXPECT_TRUE((*index)->Search(test->data, k, params, &results).ok());
  double sum = 0;
  for (int64_t q = 0; q < test->rows; ++q) {
    absl::flat_hash_set<int64_t> want(truth->begin() + q * shape->cols,
                                      truth->begin() + q * shape->cols + k);
    for (int r = 0; r < k; ++r) sum += want.contains(results.ids[q * k + r]);
  }
  return sum / (k * test->rows);
}

double PrintedRecall(const std::string& err) {
  const size_t at = err.find("recall@10 ");
  EXPECT_NE(at, std::string::npos) << err;
  return at == std::string::npos ? -1 : std::stod(err.substr(at + 10));
}

TEST_F(TqIndexCli, BuildInfoQueryAddOnGlove) {
  if (!std::filesystem::exists(kGlove)) GTEST_SKIP() << kGlove << " not found";
  const std::string index = Path("glove.tqi");
  const CliRun build =
      Cli("build --data=" + kGlove + " --bits=4 --keep-vectors=f16 --out=" + index);
  ASSERT_EQ(build.code, 0) << build.err;
  EXPECT_TRUE(Contains(build.err, "100000 vectors of dimension 100")) << build.err;
  EXPECT_TRUE(Contains(build.err, "cosine")) << "metric from the file's `distance`: " << build.err;

  const CliRun info = Cli("info --index=" + index + " --verify");
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_TRUE(Contains(info.out, "100000 live")) << info.out;
  EXPECT_TRUE(Contains(info.out, "verified")) << info.out;
  const CliRun json = Cli("info --json --index=" + index);
  ASSERT_EQ(json.code, 0);
  for (const char* field :
       {"\"dim\":100", "\"bits\":4", "\"metric\":\"cosine\"", "\"keep_vectors\":\"f16\"",
        "\"center\":\"given\"", "\"format\":\"1.1\"", "\"size\":100000",
        "\"file_bytes\":", "\"sections\":[", "\"crc32c\":"}) {
    EXPECT_TRUE(Contains(json.out, field)) << field << " in " << json.out;
  }

  // --center=none: the paper's TurboQuant, in a format 1.0 file.
  const CliRun plain =
      Cli("build --quiet --center=none --data=" + kGlove + " --bits=2 --out=" + Path("plain.tqi"));
  ASSERT_EQ(plain.code, 0) << plain.err;
  const CliRun plain_info = Cli("info --index=" + Path("plain.tqi"));
  EXPECT_TRUE(Contains(plain_info.out, "centering      none")) << plain_info.out;
  EXPECT_TRUE(Contains(plain_info.out, "format         1.0")) << plain_info.out;
  // A non-integer rate: 2.5 bits on average.
  const CliRun mixed =
      Cli("build --quiet --data=" + kGlove + " --bits=2.5 --out=" + Path("mixed.tqi"));
  ASSERT_EQ(mixed.code, 0) << mixed.err;
  EXPECT_TRUE(Contains(Cli("info --index=" + Path("mixed.tqi")).out,
                       "2 bits (3 on the first 50 coordinates)"));
  // The cosine-optimal encoder, recorded in the file.
  const CliRun swept = Cli("build --quiet --data=" + kGlove +
                           " --bits=3 --encoder=max-cosine --out=" + Path("swept.tqi"));
  ASSERT_EQ(swept.code, 0) << swept.err;
  EXPECT_TRUE(
      Contains(Cli("info --json --index=" + Path("swept.tqi")).out, "\"encoder\":\"max-cosine\""));

  // The recall the CLI prints is the library's, with and without rerank.
  const CliRun query = Cli("query --index=" + index + " --queries=" + kGlove +
                           " --k=10 --out=" + Path("results.tsv"));
  ASSERT_EQ(query.code, 0) << query.err;
  EXPECT_TRUE(Contains(query.err, "QPS")) << query.err;
  EXPECT_NEAR(PrintedRecall(query.err), LibraryRecall(kGlove, 10, 0), 1e-4);
  const CliRun reranked = Cli("query --index=" + index + " --queries=" + kGlove +
                              " --k=10 --rerank=100 --threads=1 --out=" + Path("results.ivecs"));
  ASSERT_EQ(reranked.code, 0) << reranked.err;
  EXPECT_NEAR(PrintedRecall(reranked.err), LibraryRecall(kGlove, 10, 100), 1e-4);
  EXPECT_GT(PrintedRecall(reranked.err), PrintedRecall(query.err));

  // TSV: a header line and one line per hit; ivecs: 1000 rows of 10.
  std::istringstream tsv(ReadText(Path("results.tsv")));
  std::string line;
  std::getline(tsv, line);
  EXPECT_EQ(line, "query\trank\tid\tscore");
  int lines = 0;
  while (std::getline(tsv, line)) ++lines;
  EXPECT_EQ(lines, 1000 * 10);
  EXPECT_EQ(std::filesystem::file_size(Path("results.ivecs")), 1000u * (4 + 4 * 10));
  // On stdout when there is no --out.
  const CliRun to_stdout =
      Cli("query --quiet --index=" + index + " --queries=" + kGlove + " --k=3");
  ASSERT_EQ(to_stdout.code, 0);
  EXPECT_EQ(std::count(to_stdout.out.begin(), to_stdout.out.end(), '\n'), 1 + 3000);
  EXPECT_TRUE(to_stdout.err.empty()) << to_stdout.err;

  // add: new vectors from an .fvecs file get the next ids.
  std::vector<float> extra(3 * 100, 0.25f);
  extra[5] = -1.0f;
  ASSERT_TRUE(io::WriteFvecs(Path("extra.fvecs"),
                             io::MatrixView<float>{std::span<const float>(extra), 3, 100})
                  .ok());
  const CliRun add = Cli("add --index=" + index + " --data=" + Path("extra.fvecs"));
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_TRUE(Contains(Cli("info --index=" + index).out, "100003 live"));
  EXPECT_TRUE(Contains(Cli("info --index=" + index).out, "next id 100003"));
  // The add went through the write-ahead log, which its final checkpoint emptied.
  EXPECT_TRUE(Contains(Cli("info --index=" + index).out, "log            empty"));
  EXPECT_TRUE(
      Contains(Cli("info --json --index=" + index).out, "\"log\":{\"stale\":false,\"records\":0"));

  // A failing add leaves the file byte for byte as it was: a NaN row, a repeated id, a wrong
  // dimension.
  const std::string before = ReadText(index);
  extra[150] = std::nanf("");
  ASSERT_TRUE(io::WriteFvecs(Path("nan.fvecs"),
                             io::MatrixView<float>{std::span<const float>(extra), 3, 100})
                  .ok());
  const CliRun nan = Cli("add --index=" + index + " --data=" + Path("nan.fvecs"));
  EXPECT_EQ(nan.code, 1);
  EXPECT_TRUE(Contains(nan.err, Path("nan.fvecs")) && Contains(nan.err, "row 1")) << nan.err;
  std::ofstream(Path("ids.txt")) << "7\n100000000\n5\n";
  const CliRun repeated =
      Cli("add --index=" + index + " --data=" + Path("extra.fvecs") + " --ids=" + Path("ids.txt"));
  EXPECT_EQ(repeated.code, 1);
  EXPECT_TRUE(Contains(repeated.err, "already in the index")) << repeated.err;
  std::vector<float> narrow(3 * 50, 1.0f);
  ASSERT_TRUE(io::WriteFvecs(Path("narrow.fvecs"),
                             io::MatrixView<float>{std::span<const float>(narrow), 3, 50})
                  .ok());
  EXPECT_EQ(Cli("add --index=" + index + " --data=" + Path("narrow.fvecs")).code, 1);
  EXPECT_EQ(ReadText(index), before);

  // A corrupted file is refused by query and by info --verify, naming the problem.
  std::string corrupt = before;
  corrupt[corrupt.size() / 2] ^= 0x10;
  std::ofstream(Path("corrupt.tqi"), std::ios::binary) << corrupt;
  const CliRun bad_query =
      Cli("query --index=" + Path("corrupt.tqi") + " --queries=" + kGlove + " --k=10");
  EXPECT_EQ(bad_query.code, 1);
  EXPECT_TRUE(Contains(bad_query.err, "checksum mismatch")) << bad_query.err;
  EXPECT_EQ(Cli("info --verify --index=" + Path("corrupt.tqi")).code, 1);
}

}  // namespace
}  // namespace tq
