// The write-ahead log: acknowledged adds and removes survive without a checkpoint, torn and
// corrupt tails are dropped and reported, stale logs are ignored, one writer at a time, and
// failed writes (a full disk, a read-only place) leave the index as it was.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "index/index.h"
#include "index/write_ahead_log.h"
#include "index_test_util.h"
#include "scratch_dir.h"

namespace tq {
namespace {

using ::tq::testing::MakeIndex;
using ::tq::testing::Options;
using ::tq::testing::RandomVectors;

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::tq::testing::MakeScratchDir("tq_wal_test");
    path_ = dir_ + "/index.tqi";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A fresh index saved at path_, then opened writable.
  std::unique_ptr<Index> CreateWritable(const IndexOptions& options,
                                        WalSync sync = WalSync::kEveryBatch) {
    EXPECT_TRUE(MakeIndex(options)->Save(path_).ok());
    return OpenIndex(true, sync);
  }
  std::unique_ptr<Index> OpenIndex(bool writable, WalSync sync = WalSync::kEveryBatch) {
    OpenOptions open;
    open.writable = writable;
    open.sync = sync;
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(path_, open);
    EXPECT_TRUE(index.ok()) << index.status();
    return index.ok() ? *std::move(index) : nullptr;
  }
  std::string WalPath() const { return path_ + ".wal"; }

  std::string dir_;
  std::string path_;
};

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}
void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

SearchResults SearchAll(const Index& index, int k = 10) {
  SearchParams params;
  params.threads = 1;
  SearchResults results;
  EXPECT_TRUE(index.Search(RandomVectors(5, index.dim(), 99), k, params, &results).ok());
  return results;
}

void ExpectSame(const Index& a, const Index& b) {
  EXPECT_EQ(a.size(), b.size());
  const SearchResults ra = SearchAll(a, 20), rb = SearchAll(b, 20);
  EXPECT_EQ(ra.ids, rb.ids);
  EXPECT_EQ(ra.scores, rb.scores);
}

std::vector<uint64_t> Ids(uint64_t first, int n) {
  std::vector<uint64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = first + i;
  return ids;
}

TEST_F(WalTest, AcknowledgedBatchesSurviveWithoutACheckpoint) {
  for (Metric metric : {Metric::kCosine, Metric::kL2}) {
    SCOPED_TRACE(MetricName(metric));
    const IndexOptions options = Options(48, 4, metric, Variant::kCorrected, KeepVectors::kFloat16);
    std::unique_ptr<Index> reference = MakeIndex(options);
    {
      std::unique_ptr<Index> index = CreateWritable(options);
      for (int batch = 0; batch < 4; ++batch) {
        const std::vector<float> x = RandomVectors(70, 48, batch + 1);
        ASSERT_TRUE(index->Add(x).ok());  // automatic ids
        ASSERT_TRUE(reference->Add(x).ok());
      }
      const uint64_t gone[] = {3, 100, 201};
      ASSERT_TRUE(index->Remove(gone).ok());
      ASSERT_TRUE(reference->Remove(gone).ok());
    }  // no checkpoint: everything is in the log only
    EXPECT_GT(std::filesystem::file_size(WalPath()), 4u * 70 * 48 * 4);
    for (bool writable : {false, true}) {
      std::unique_ptr<Index> reopened = OpenIndex(writable);
      ASSERT_NE(reopened, nullptr);
      EXPECT_EQ(reopened->recovery().records_replayed, 5);
      EXPECT_EQ(reopened->recovery().vectors_added, 280);
      EXPECT_EQ(reopened->recovery().ids_removed, 3);
      EXPECT_EQ(reopened->recovery().dropped_bytes, 0);
      ExpectSame(*reopened, *reference);
      // Automatic ids continue after the replayed ones.
      ASSERT_TRUE(reopened->Add(RandomVectors(1, 48, 50)).ok());
      const SearchResults hit = SearchAll(*reopened, 300);
      EXPECT_NE(std::find(hit.ids.begin(), hit.ids.end(), 280), hit.ids.end());
    }
    // The writable open folded the log into the file: a third open replays only the one add
    // made after it (the read-only open's add was never logged).
    std::unique_ptr<Index> folded = OpenIndex(false);
    EXPECT_EQ(folded->recovery().records_replayed, 1);
    EXPECT_EQ(folded->size(), 280 - 3 + 1);
    std::filesystem::remove(WalPath());
  }
}

TEST_F(WalTest, CheckpointFoldsTheLogIntoTheFile) {
  const IndexOptions options = Options(32, 2, Metric::kInnerProduct);
  std::unique_ptr<Index> index = CreateWritable(options);
  ASSERT_TRUE(index->Add(RandomVectors(100, 32, 1)).ok());
  ASSERT_TRUE(index->Checkpoint().ok());
  EXPECT_EQ(std::filesystem::file_size(WalPath()), 64u);  // the header alone
  ASSERT_TRUE(index->Add(RandomVectors(10, 32, 2)).ok());
  // Saving over its own file is a checkpoint too; what comes after is logged afresh.
  ASSERT_TRUE(index->Save(path_).ok());
  ASSERT_TRUE(index->Add(RandomVectors(5, 32, 3)).ok());
  index.reset();
  std::unique_ptr<Index> reopened = OpenIndex(false);
  EXPECT_EQ(reopened->recovery().records_replayed, 1);
  EXPECT_EQ(reopened->size(), 115);
  EXPECT_FALSE(MakeIndex(options)->Checkpoint().ok());  // not writable
}

TEST_F(WalTest, EveryTornTailDropsOnlyTheLastBatch) {
  const IndexOptions options = Options(16, 4, Metric::kL2);
  {
    std::unique_ptr<Index> index = CreateWritable(options, WalSync::kNone);
    ASSERT_TRUE(index->Add(RandomVectors(20, 16, 1), Ids(0, 20)).ok());
    ASSERT_TRUE(index->Add(RandomVectors(20, 16, 2), Ids(100, 20)).ok());
  }
  const std::vector<uint8_t> log = ReadBytes(WalPath());
  const int64_t record = 24 + 16 + 20 * (8 + 16 * 4);
  ASSERT_EQ(static_cast<int64_t>(log.size()), 64 + 2 * record);
  std::unique_ptr<Index> first_only = MakeIndex(options);
  ASSERT_TRUE(first_only->Add(RandomVectors(20, 16, 1), Ids(0, 20)).ok());
  for (int64_t cut = 1; cut <= record; ++cut) {
    WriteBytes(WalPath(), std::vector<uint8_t>(log.begin(), log.end() - cut));
    std::unique_ptr<Index> reopened = OpenIndex(false);
    ASSERT_NE(reopened, nullptr) << "cut " << cut;
    EXPECT_EQ(reopened->recovery().records_replayed, 1) << "cut " << cut;
    EXPECT_EQ(reopened->recovery().dropped_bytes, record - cut);
    EXPECT_EQ(reopened->size(), 20);
    if (cut % 37 == 1) ExpectSame(*reopened, *first_only);
  }
  // A writable open cuts the torn tail off, and new batches follow the intact records.
  WriteBytes(WalPath(), std::vector<uint8_t>(log.begin(), log.end() - 5));
  {
    std::unique_ptr<Index> writer = OpenIndex(true);
    EXPECT_FALSE(writer->recovery().dropped_reason.empty());
    ASSERT_TRUE(writer->Add(RandomVectors(3, 16, 3), Ids(500, 3)).ok());
  }
  std::unique_ptr<Index> after = OpenIndex(false);
  EXPECT_EQ(after->size(), 23);
}

TEST_F(WalTest, ACorruptRecordEndsTheLogThere) {
  const IndexOptions options = Options(16, 4, Metric::kCosine);
  {
    std::unique_ptr<Index> index = CreateWritable(options);
    for (int b = 0; b < 3; ++b) ASSERT_TRUE(index->Add(RandomVectors(10, 16, b + 1)).ok());
  }
  std::vector<uint8_t> log = ReadBytes(WalPath());
  const size_t record = 24 + 16 + 10 * (8 + 16 * 4);
  log[64 + record + 100] ^= 0x20;  // inside the second record's vectors
  WriteBytes(WalPath(), log);
  std::unique_ptr<Index> reopened = OpenIndex(false);
  EXPECT_EQ(reopened->recovery().records_replayed, 1);
  EXPECT_EQ(reopened->recovery().dropped_bytes, static_cast<int64_t>(2 * record));
  EXPECT_NE(reopened->recovery().dropped_reason.find("checksum"), std::string::npos);
  EXPECT_EQ(reopened->size(), 10);
  // A log whose header is not a log is an error, not silently ignored.
  WriteBytes(WalPath(), std::vector<uint8_t>(100, 7));
  OpenOptions open;
  absl::StatusOr<std::unique_ptr<Index>> bad = Index::Open(path_, open);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(WalPath()), std::string::npos) << bad.status();
}

TEST_F(WalTest, ALogOlderThanTheFileIsIgnored) {
  // A crash after a checkpoint renamed the new file but before it reset the log: the log's
  // batches are already in the file and must not be applied twice.
  const IndexOptions options = Options(16, 4, Metric::kInnerProduct);
  std::unique_ptr<Index> index = CreateWritable(options);
  ASSERT_TRUE(index->Add(RandomVectors(10, 16, 1), Ids(0, 10)).ok());
  const std::vector<uint8_t> old_log = ReadBytes(WalPath());
  ASSERT_TRUE(index->Checkpoint().ok());
  index.reset();
  WriteBytes(WalPath(), old_log);
  std::unique_ptr<Index> reopened = OpenIndex(true);
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->recovery().stale_log);
  EXPECT_EQ(reopened->recovery().records_replayed, 0);
  EXPECT_EQ(reopened->size(), 10);
}

TEST_F(WalTest, OneWriterAtATime) {
  const IndexOptions options = Options(16, 4, Metric::kL2);
  std::unique_ptr<Index> writer = CreateWritable(options);
  OpenOptions open;
  open.writable = true;
  absl::StatusOr<std::unique_ptr<Index>> second = Index::Open(path_, open);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another process"), std::string::npos);
  EXPECT_NE(OpenIndex(false), nullptr);  // readers are welcome
  writer.reset();
  EXPECT_NE(OpenIndex(true), nullptr);
}

TEST(WalFormat, SplitBatchesReplayWholeOrNotAtAll) {
  const std::string path = ::testing::TempDir() + "/tq_wal_split_" + std::to_string(::getpid());
  const WalBase base{123, 0, 0};
  {
    absl::StatusOr<std::unique_ptr<WriteAheadLog>> log =
        WriteAheadLog::Open(path, base, 0, 1, WalSync::kNone);
    ASSERT_TRUE(log.ok()) << log.status();
    (*log)->set_max_payload_bytes(16 + 3 * (8 + 4 * 4));  // 3 vectors of d = 4 per record
    const std::vector<float> x = RandomVectors(10, 4, 1);
    ASSERT_TRUE((*log)->AppendAdd(x.data(), 10, 4, Ids(0, 10).data()).ok());
    ASSERT_TRUE((*log)->AppendRemove(Ids(2, 2).data(), 2).ok());
    EXPECT_EQ((*log)->records(), 5u);  // 4 pieces + 1
  }
  const std::vector<uint8_t> bytes = ReadBytes(path);
  absl::StatusOr<WalContents> whole = ParseWriteAheadLog(path, bytes, 4096);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->base, base);
  ASSERT_EQ(whole->records.size(), 2u);
  EXPECT_EQ(whole->records[0].ids, Ids(0, 10));
  EXPECT_EQ(whole->records[0].vectors, RandomVectors(10, 4, 1));
  EXPECT_EQ(whole->records[1].type, WalRecord::Type::kRemove);
  // Without the remove record and the add's last piece, the add is dropped whole.
  const size_t piece = 24 + 16 + 3 * (8 + 16), last = 24 + 16 + 1 * (8 + 16);
  const size_t remove = 24 + 8 + 16;
  ASSERT_EQ(bytes.size(), 64 + 3 * piece + last + remove);
  absl::StatusOr<WalContents> cut =
      ParseWriteAheadLog(path, std::span(bytes.data(), bytes.size() - remove - 1), 4096);
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->records.empty());
  EXPECT_EQ(cut->valid_bytes, 64);
  EXPECT_FALSE(cut->dropped_reason.empty());
  // Garbage never parses as records, and never reads out of bounds (see tests/fuzz too).
  std::vector<uint8_t> junk(bytes.begin(), bytes.begin() + 64);
  for (int i = 0; i < 200; ++i) junk.push_back(static_cast<uint8_t>(i * 37));
  absl::StatusOr<WalContents> noise = ParseWriteAheadLog(path, junk, 4096);
  ASSERT_TRUE(noise.ok());
  EXPECT_TRUE(noise->records.empty());
  EXPECT_EQ(noise->dropped_bytes, 200);
  // A header cut short by a crash during a reset holds nothing and extends no file; a header
  // that is not a log's is an error.
  absl::StatusOr<WalContents> torn_header =
      ParseWriteAheadLog(path, std::span(bytes.data(), 10), 4096);
  ASSERT_TRUE(torn_header.ok());
  EXPECT_TRUE(torn_header->records.empty());
  EXPECT_EQ(torn_header->base, WalBase{});
  EXPECT_TRUE(ParseWriteAheadLog(path, {}, 4096).ok());
  // Records of no vectors or ids are well formed (and read nothing).
  {
    absl::StatusOr<std::unique_ptr<WriteAheadLog>> log =
        WriteAheadLog::Open(path, base, 0, 1, WalSync::kNone);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->AppendRemove(nullptr, 0).ok());
    ASSERT_TRUE((*log)->AppendAdd(nullptr, 0, 4, nullptr).ok());
  }
  absl::StatusOr<WalContents> empties = ParseWriteAheadLog(path, ReadBytes(path), 4096);
  ASSERT_TRUE(empties.ok());
  EXPECT_EQ(empties->records.size(), 1u);  // the remove; an add of nothing writes no record
  EXPECT_TRUE(empties->records[0].ids.empty());
  EXPECT_FALSE(ParseWriteAheadLog(path, std::span(junk.data() + 70, 10), 4096).ok());
  std::remove(path.c_str());
}

// A full disk, simulated with a file-size limit in a child process (index_disk_full_child.cc):
// the logged add and the checkpoint fail with a clear error, and the index on disk keeps every
// acknowledged batch.
TEST_F(WalTest, AFullDiskFailsCleanlyAndLosesNothing) {
  // Kept float32 vectors make the index file (296 B/vector) outgrow the limit before the log,
  // which only holds what came after the last checkpoint.
  const IndexOptions options =
      Options(64, 4, Metric::kL2, Variant::kCorrected, KeepVectors::kFloat32);
  {
    std::unique_ptr<Index> index = CreateWritable(options);
    ASSERT_TRUE(index->Add(RandomVectors(500, 64, 1), Ids(0, 500)).ok());
    ASSERT_TRUE(index->Checkpoint().ok());
  }
  const std::vector<uint8_t> file_before = ReadBytes(path_);
  ASSERT_LT(file_before.size(), 200000u);
  const std::string command =
      std::string(TQ_DISK_FULL_CHILD) + " " + path_ + " 200000 2>" + dir_ + "/child.err";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "index_disk_full_child failed a check (see its source)";
  std::filesystem::remove(dir_ + "/child.err");
  EXPECT_EQ(ReadBytes(path_), file_before);  // the failed checkpoint left the file alone
  std::unique_ptr<Index> reopened = OpenIndex(false);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->size(), 710);  // 500 + every acknowledged batch, replayed from the log
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "index.tqi" || name == "index.tqi.wal") << "left behind: " << name;
  }
}

TEST_F(WalTest, AReadOnlyPlaceFailsWithTheReason) {
  std::unique_ptr<Index> index = MakeIndex(Options(16, 4, Metric::kL2));
  ASSERT_TRUE(index->Add(RandomVectors(10, 16, 1)).ok());
  const absl::Status status = index->Save("/proc/tq_index_test.tqi");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/tq_index_test.tqi"), std::string_view::npos) << status;
}

}  // namespace
}  // namespace tq
