// The index file: CRC32C, Save/Open round trips (copied and mapped), atomic replacement, and
// clean refusal of corrupt, truncated, foreign and future files.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/random.h"
#include "index/crc32c.h"
#include "index/file_format.h"
#include "index/index.h"
#include "index/index_file.h"
#include "index_test_util.h"

namespace tq {
namespace {

using ::tq::testing::MakeIndex;
using ::tq::testing::Options;
using ::tq::testing::RandomVectors;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/tq_index_file_test_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

SearchResults SearchAll(const Index& index, const std::vector<float>& queries, int k,
                        int rerank = 0) {
  SearchParams params;
  params.rerank = rerank;
  params.threads = 1;
  SearchResults results;
  EXPECT_TRUE(index.Search(queries, k, params, &results).ok());
  return results;
}

void ExpectSameResults(const SearchResults& a, const SearchResults& b) {
  EXPECT_EQ(a.ids, b.ids);
  ASSERT_EQ(a.scores.size(), b.scores.size());
  for (size_t i = 0; i < a.scores.size(); ++i) {
    EXPECT_EQ(a.scores[i], b.scores[i]) << "score " << i;  // bit for bit
  }
}

void ExpectSameStats(const IndexStats& a, const IndexStats& b) {
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.live, b.live);
  EXPECT_EQ(a.blocks, b.blocks);
  EXPECT_EQ(a.block_bytes, b.block_bytes);
  EXPECT_EQ(a.raw_vector_bytes, b.raw_vector_bytes);
}

// ---------------------------------------------------------------------------------------------
// CRC32C

TEST(Crc32c, KnownValues) {
  // RFC 3720 (iSCSI) B.4 test vectors.
  const std::string digits = "123456789";
  EXPECT_EQ(Crc32c(0, digits.data(), digits.size()), 0xE3069283u);
  const std::vector<uint8_t> zeros(32, 0), ones(32, 0xff);
  EXPECT_EQ(Crc32c(0, zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(0, ones.data(), ones.size()), 0x62A8AB43u);
  std::vector<uint8_t> ascending(32);
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(Crc32c(0, ascending.data(), ascending.size()), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(0, nullptr, 0), 0u);
}

TEST(Crc32c, HardwareEqualsPortableAndExtends) {
  Rng rng(7);
  std::vector<uint8_t> data(5000);
  for (uint8_t& b : data) b = static_cast<uint8_t>(rng.NextU64());
  for (size_t offset : {0, 1, 3, 7}) {
    for (size_t size : {0, 1, 7, 8, 9, 63, 64, 1000, 4993}) {
      const uint8_t* p = data.data() + offset;
      const uint32_t whole = Crc32c(0, p, size);
      EXPECT_EQ(whole, Crc32cPortable(0, p, size)) << offset << " " << size;
      const size_t half = size / 3;
      EXPECT_EQ(Crc32c(Crc32c(0, p, half), p + half, size - half), whole);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips

struct RoundTripCase {
  int dim;
  int bits;
  Metric metric;
  Variant variant;
  KeepVectors keep;
  RotationKind rotation;
};

class IndexFileRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(IndexFileRoundTrip, OpenedIndexAnswersAndChangesLikeTheOriginal) {
  const RoundTripCase c = GetParam();
  IndexOptions options = Options(c.dim, c.bits, c.metric, c.variant, c.keep);
  options.rotation = c.rotation;
  options.seed = 1234;
  std::unique_ptr<Index> original = MakeIndex(options);
  ASSERT_NE(original, nullptr);
  // 5000 vectors: three segments, the last one partial, with a partial last block.
  const int64_t n = 5000;
  ASSERT_TRUE(original->Add(RandomVectors(n, c.dim, 1)).ok());
  std::vector<uint64_t> removed;
  for (uint64_t id = 3; id < static_cast<uint64_t>(n); id += 7) removed.push_back(id);
  ASSERT_TRUE(original->Remove(removed).ok());
  const std::string path = TempPath("roundtrip.tqi");
  ASSERT_TRUE(original->Save(path).ok());

  const std::vector<float> queries = RandomVectors(6, c.dim, 2);
  const int rerank = c.keep == KeepVectors::kNone ? 0 : 50;
  const SearchResults expected = SearchAll(*original, queries, 10, rerank);
  for (bool mmap : {false, true}) {
    SCOPED_TRACE(mmap ? "mmap" : "copy");
    OpenOptions open_options;
    open_options.mmap = mmap;
    absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path, open_options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    Index& index = **opened;
    EXPECT_EQ(index.options().dim, options.dim);
    EXPECT_EQ(index.options().seed, options.seed);
    EXPECT_EQ(index.options().metric, options.metric);
    EXPECT_EQ(index.options().keep_vectors, options.keep_vectors);
    ExpectSameStats(index.stats(), original->stats());
    ExpectSameResults(SearchAll(index, queries, 10, rerank), expected);

    // Saving what was opened gives the same bytes.
    const std::string again = TempPath("roundtrip_again.tqi");
    ASSERT_TRUE(index.Save(again).ok());
    EXPECT_EQ(ReadBytes(again), ReadBytes(path));
    std::remove(again.c_str());
  }

  // Both keep changing identically: appends into the mapped partial segment, removals in a
  // mapped full one, automatic ids continuing after the largest ever added.
  OpenOptions mapped;
  mapped.mmap = true;
  absl::StatusOr<std::unique_ptr<Index>> reopened = Index::Open(path, mapped);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const std::vector<float> more = RandomVectors(300, c.dim, 3);
  for (Index* index : {original.get(), reopened->get()}) {
    ASSERT_TRUE(index->Add(more).ok());
    const uint64_t gone[] = {0, 1, 2, static_cast<uint64_t>(n) + 5};
    ASSERT_TRUE(index->Remove(gone).ok());
  }
  ExpectSameStats((*reopened)->stats(), original->stats());
  ExpectSameResults(SearchAll(**reopened, queries, 20, rerank),
                    SearchAll(*original, queries, 20, rerank));
  // The file under the mapping is unchanged by those writes.
  absl::StatusOr<std::unique_ptr<Index>> pristine = Index::Open(path);
  ASSERT_TRUE(pristine.ok()) << pristine.status();
  EXPECT_EQ((*pristine)->stats().size, n);
  ExpectSameResults(SearchAll(**pristine, queries, 10, rerank), expected);
  ASSERT_TRUE((*reopened)->Compact().ok());
  ASSERT_TRUE(original->Compact().ok());
  ExpectSameResults(SearchAll(**reopened, queries, 20, rerank),
                    SearchAll(*original, queries, 20, rerank));
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Configurations, IndexFileRoundTrip,
    ::testing::Values(RoundTripCase{64, 4, Metric::kInnerProduct, Variant::kCorrected,
                                    KeepVectors::kNone, RotationKind::kFast},
                      RoundTripCase{100, 3, Metric::kCosine, Variant::kProd, KeepVectors::kFloat16,
                                    RotationKind::kFast},
                      RoundTripCase{48, 2, Metric::kL2, Variant::kMse, KeepVectors::kFloat32,
                                    RotationKind::kHaar},
                      RoundTripCase{25, 1, Metric::kL2, Variant::kProd, KeepVectors::kNone,
                                    RotationKind::kFast},
                      RoundTripCase{200, 4, Metric::kCosine, Variant::kCorrected,
                                    KeepVectors::kFloat32, RotationKind::kFast}));

TEST(IndexFile, EmptyIndexRoundTrips) {
  std::unique_ptr<Index> index = MakeIndex(Options(32, 4, Metric::kCosine));
  const std::string path = TempPath("empty.tqi");
  ASSERT_TRUE(index->Save(path).ok());
  for (bool mmap : {false, true}) {
    OpenOptions open_options;
    open_options.mmap = mmap;
    absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path, open_options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ((*opened)->size(), 0);
    ASSERT_TRUE((*opened)->Add(RandomVectors(40, 32, 9)).ok());
    EXPECT_EQ((*opened)->size(), 40);
  }
  std::remove(path.c_str());
}

TEST(IndexFile, BatchSplitsDoNotChangeTheFile) {
  // Add encodes and packs large batches a slice of blocks at a time, writing new blocks in
  // place and rebuilding a partial last block aside: one batch of 9000 vectors (several
  // slices) and the same vectors in uneven batches must save to the same bytes, for every
  // metric, uncentered and with a given mean (l2 and centered ip/cosine have their own float
  // columns; a first-batch mean would differ between the splits by design), with the vectors
  // kept in float32 or float16 (also written in place).
  constexpr int kDim = 24;
  constexpr int64_t kN = 9000;
  const std::vector<float> x = RandomVectors(kN, kDim, 17);
  for (int config = 0; config < 6; ++config) {
    const Metric metric =
        std::vector<Metric>{Metric::kInnerProduct, Metric::kCosine, Metric::kL2}[config % 3];
    IndexOptions options = Options(kDim, 4, metric);
    options.center = config < 3 ? Centering::kNone : Centering::kGiven;
    options.keep_vectors = config % 2 ? KeepVectors::kFloat16 : KeepVectors::kFloat32;
    if (config >= 3) options.mean = RandomVectors(1, kDim, 18);
    std::vector<std::vector<uint8_t>> files;
    for (const std::vector<int64_t>& cuts :
         {std::vector<int64_t>{kN}, std::vector<int64_t>{37, 4096, 4100, kN}}) {
      std::unique_ptr<Index> index = MakeIndex(options);
      int64_t done = 0;
      for (int64_t cut : cuts) {
        ASSERT_TRUE(index->Add(x.data() + done * kDim, cut - done).ok());
        done = cut;
      }
      const std::string path = TempPath("splits.tqi");
      ASSERT_TRUE(index->Save(path).ok());
      files.push_back(ReadBytes(path));
      std::remove(path.c_str());
    }
    EXPECT_TRUE(files[0] == files[1]) << "config " << config;
  }
}

TEST(IndexFile, AutomaticIdsContinueAfterTheLargestEverAdded) {
  std::unique_ptr<Index> index = MakeIndex(Options(16, 4, Metric::kInnerProduct));
  const uint64_t ids[] = {5, 900};
  ASSERT_TRUE(index->Add(RandomVectors(2, 16, 1), ids).ok());
  const uint64_t gone[] = {900};
  ASSERT_TRUE(index->Remove(gone).ok());
  const std::string path = TempPath("ids.tqi");
  ASSERT_TRUE(index->Save(path).ok());
  absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  ASSERT_TRUE((*opened)->Add(RandomVectors(1, 16, 2)).ok());
  SearchResults results = SearchAll(**opened, RandomVectors(1, 16, 2), 2);
  EXPECT_TRUE(results.ids[0] == 901 || results.ids[1] == 901);
  const uint64_t again[] = {5};  // still there, so adding it again is refused
  EXPECT_EQ((*opened)->Add(RandomVectors(1, 16, 3), again).code(),
            absl::StatusCode::kAlreadyExists);
  std::remove(path.c_str());
}

TEST(IndexFile, SaveReplacesAtomicallyAndLeavesNoTemporaryFile) {
  const std::string dir = TempPath("atomic_dir");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/index.tqi";
  std::unique_ptr<Index> small = MakeIndex(Options(16, 4, Metric::kL2));
  ASSERT_TRUE(small->Add(RandomVectors(10, 16, 1)).ok());
  ASSERT_TRUE(small->Save(path).ok());
  const std::vector<uint8_t> first = ReadBytes(path);
  ASSERT_TRUE(small->Add(RandomVectors(10, 16, 2)).ok());
  ASSERT_TRUE(small->Save(path).ok());  // over the old file
  EXPECT_NE(ReadBytes(path), first);
  absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->size(), 20);

  // A save that cannot be renamed into place (the target is a directory) fails, names the
  // path, and leaves neither the target nor a temporary file behind it changed.
  const std::string blocked = dir + "/blocked";
  std::filesystem::create_directories(blocked + "/inside");
  absl::Status status = small->Save(blocked);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(blocked), std::string::npos) << status;
  EXPECT_TRUE(std::filesystem::is_directory(blocked + "/inside"));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 2);  // index.tqi and blocked/
  // A directory that does not exist.
  status = small->Save(dir + "/missing/index.tqi");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("missing"), std::string::npos) << status;
  std::filesystem::remove_all(dir);
}

TEST(IndexFile, ReadIndexFileHeaderDescribesTheFile) {
  IndexOptions options = Options(40, 3, Metric::kCosine, Variant::kProd, KeepVectors::kFloat16);
  std::unique_ptr<Index> index = MakeIndex(options);
  ASSERT_TRUE(index->Add(RandomVectors(100, 40, 1)).ok());
  const uint64_t gone[] = {4, 5};
  ASSERT_TRUE(index->Remove(gone).ok());
  const std::string path = TempPath("header.tqi");
  ASSERT_TRUE(index->Save(path).ok());
  absl::StatusOr<IndexFileHeader> header = ReadIndexFileHeader(path);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->major, kIndexFormatMajor);
  EXPECT_EQ(header->minor, kIndexFormatMinor);
  EXPECT_EQ(header->options.dim, 40);
  EXPECT_EQ(header->options.bits, 3);
  EXPECT_EQ(header->options.variant, Variant::kProd);
  EXPECT_EQ(header->options.keep_vectors, KeepVectors::kFloat16);
  EXPECT_EQ(header->size, 100);
  EXPECT_EQ(header->live, 98);
  EXPECT_EQ(header->next_id, 100u);
  EXPECT_EQ(header->options.center, Centering::kFirstBatch);
  ASSERT_EQ(header->sections.size(), 5u);
  EXPECT_EQ(header->Find(SectionKind::kRawVectors)->size, 100u * 40 * 2);
  EXPECT_EQ(header->Find(SectionKind::kMean)->size, 40u * 4);
  EXPECT_EQ(header->Find(SectionKind::kBlocks)->offset % kBlockSectionAlignment, 0u);
  std::remove(path.c_str());
}

// ---------------------------------------------------------------------------------------------
// Refusals

// A small saved index with every section, removals and a partial last block.
std::string SmallIndexFile(const std::string& name) {
  std::unique_ptr<Index> index =
      MakeIndex(Options(24, 3, Metric::kL2, Variant::kProd, KeepVectors::kFloat16));
  EXPECT_TRUE(index->Add(RandomVectors(70, 24, 1)).ok());
  const uint64_t gone[] = {1, 33, 69};
  EXPECT_TRUE(index->Remove(gone).ok());
  const std::string path = TempPath(name);
  EXPECT_TRUE(index->Save(path).ok());
  return path;
}

// Rewrites the header CRC after a deliberate edit, so the edit itself is what Open sees.
void FixHeaderCrc(std::vector<uint8_t>& bytes) {
  uint32_t header_bytes;
  std::memcpy(&header_bytes, bytes.data() + 12, 4);
  std::memset(bytes.data() + 20, 0, 4);
  const uint32_t crc = Crc32c(0, bytes.data(), header_bytes);
  std::memcpy(bytes.data() + 20, &crc, 4);
}

void ExpectOpenFails(const std::string& path, absl::StatusCode code, const std::string& words) {
  for (bool mmap : {false, true}) {
    OpenOptions open_options;
    open_options.mmap = mmap;
    absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path, open_options);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), code) << opened.status();
    EXPECT_EQ(opened.status().message().rfind(path, 0), 0u) << opened.status();
    EXPECT_NE(opened.status().message().find(words), std::string::npos) << opened.status();
  }
}

TEST(IndexFile, RefusesMissingForeignAndEmptyFiles) {
  ExpectOpenFails(TempPath("does_not_exist.tqi"), absl::StatusCode::kNotFound, "file not found");
  const std::string text = TempPath("text.tqi");
  WriteBytes(text, std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', '\n'});
  ExpectOpenFails(text, absl::StatusCode::kFailedPrecondition, "not a tq-index file");
  WriteBytes(text, {});
  ExpectOpenFails(text, absl::StatusCode::kFailedPrecondition, "not a tq-index file");
  std::remove(text.c_str());
  ExpectOpenFails(::testing::TempDir(), absl::StatusCode::kFailedPrecondition, "is a directory");
}

TEST(IndexFile, RefusesANewerMajorVersionAndReadsANewerMinor) {
  const std::string path = SmallIndexFile("version.tqi");
  std::vector<uint8_t> bytes = ReadBytes(path);
  const std::string edited = TempPath("version_edited.tqi");
  bytes[8] = 2;  // major 2
  FixHeaderCrc(bytes);
  WriteBytes(edited, bytes);
  ExpectOpenFails(edited, absl::StatusCode::kFailedPrecondition, "newer tq-index");
  bytes[8] = 1;
  bytes[10] = 7;  // minor 7: same major, readable
  FixHeaderCrc(bytes);
  WriteBytes(edited, bytes);
  EXPECT_TRUE(Index::Open(edited).ok());
  std::remove(edited.c_str());
  std::remove(path.c_str());
}

TEST(IndexFile, TheMaxCosineEncoderIsRecordedAndReopened) {
  IndexOptions options = Options(24, 3, Metric::kInnerProduct, Variant::kCorrected);
  options.encoder = CorrectedEncoder::kMaxCosine;
  std::unique_ptr<Index> index = MakeIndex(options);
  ASSERT_TRUE(index->Add(RandomVectors(200, 24, 3)).ok());
  const std::string path = TempPath("max_cosine.tqi");
  ASSERT_TRUE(index->Save(path).ok());
  absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->options().encoder, CorrectedEncoder::kMaxCosine);
  // Adds after reopening encode with the sweep too: the same codes as the original index.
  const std::vector<float> more = RandomVectors(50, 24, 4);
  ASSERT_TRUE(index->Add(more).ok());
  ASSERT_TRUE((*opened)->Add(more).ok());
  const std::vector<float> queries = RandomVectors(3, 24, 5);
  const SearchResults a = SearchAll(*index, queries, 20), b = SearchAll(**opened, queries, 20);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.scores, b.scores);
  std::remove(path.c_str());

  options.variant = Variant::kMse;
  EXPECT_FALSE(Index::Create(options).ok());  // the sweep belongs to corrected
  options.variant = Variant::kCorrected;
  options.upper_coords = 5;
  EXPECT_FALSE(Index::Create(options).ok());  // and to whole rates
}

TEST(IndexFile, RefusesAnUnknownRequiredSection) {
  const std::string path = SmallIndexFile("unknown_section.tqi");
  std::vector<uint8_t> bytes = ReadBytes(path);
  const uint32_t kind = 99;  // the first table entry becomes a section this build never saw
  std::memcpy(bytes.data() + kIndexHeaderBytes, &kind, 4);
  FixHeaderCrc(bytes);
  WriteBytes(path, bytes);
  ExpectOpenFails(path, absl::StatusCode::kFailedPrecondition, "does not know");
  std::remove(path.c_str());
}

TEST(IndexFile, RefusesAFileWhoseQuantizerThisBuildDoesNotReproduce) {
  const std::string path = SmallIndexFile("fingerprint.tqi");
  std::vector<uint8_t> bytes = ReadBytes(path);
  float centroid;
  std::memcpy(&centroid, bytes.data() + 88, 4);  // the first codebook centroid
  centroid *= 1.01f;
  std::memcpy(bytes.data() + 88, &centroid, 4);
  FixHeaderCrc(bytes);
  WriteBytes(path, bytes);
  ExpectOpenFails(path, absl::StatusCode::kFailedPrecondition, "codebook differs");
  std::remove(path.c_str());
}

TEST(IndexFile, RefusesDisagreeingTombstones) {
  const std::string path = SmallIndexFile("tombstones.tqi");
  absl::StatusOr<IndexFileHeader> header = ReadIndexFileHeader(path);
  ASSERT_TRUE(header.ok());
  std::vector<uint8_t> bytes = ReadBytes(path);
  // Resurrect vector 1 in the tombstones, with a valid section checksum.
  const SectionEntry tombstones = *header->Find(SectionKind::kTombstones);
  bytes[tombstones.offset] &= static_cast<uint8_t>(~0x02u);
  const uint32_t crc = Crc32c(0, bytes.data() + tombstones.offset, tombstones.size);
  for (int i = 0; i < 4; ++i) {
    const size_t entry = kIndexHeaderBytes + 2 * kSectionEntryBytes;  // ids, then tombstones
    ASSERT_EQ(bytes[kIndexHeaderBytes + 2 * kSectionEntryBytes], 3);
    bytes[entry + 24 + i] = static_cast<uint8_t>(crc >> (8 * i));
  }
  FixHeaderCrc(bytes);
  WriteBytes(path, bytes);
  ExpectOpenFails(path, absl::StatusCode::kDataLoss, "live mask");
  std::remove(path.c_str());
}

// SmallIndexFile with its ids edited (ids[pos] = id for each pair), the ids section's checksum
// and the header's redone, so that the edit itself is what Open sees.
std::string WithIds(const std::string& name, std::vector<std::pair<int64_t, uint64_t>> edits) {
  const std::string path = SmallIndexFile(name);
  absl::StatusOr<IndexFileHeader> header = ReadIndexFileHeader(path);
  EXPECT_TRUE(header.ok());
  std::vector<uint8_t> bytes = ReadBytes(path);
  const SectionEntry ids = *header->Find(SectionKind::kIds);
  for (const auto& [pos, id] : edits) {
    std::memcpy(bytes.data() + ids.offset + pos * sizeof(uint64_t), &id, sizeof(id));
  }
  const uint32_t crc = Crc32c(0, bytes.data() + ids.offset, ids.size);
  const size_t entry = kIndexHeaderBytes + kSectionEntryBytes;  // blocks, then ids
  EXPECT_EQ(bytes[entry], static_cast<uint8_t>(SectionKind::kIds));
  std::memcpy(bytes.data() + entry + 24, &crc, sizeof(crc));
  FixHeaderCrc(bytes);
  WriteBytes(path, bytes);
  return path;
}

// Live ids must be distinct and below the next automatic id, whether the ids ascend (mapped at
// the first lookup) or not (mapped by Open); a removed vector's id may come back.
TEST(IndexFile, RefusesRepeatedAndOutOfRangeIdsAndAcceptsOthersInAnyOrder) {
  // SmallIndexFile: ids 0..69 at their positions, 1, 33 and 69 removed; next id 70.
  const std::string repeated = WithIds("repeated_id.tqi", {{2, 0}});
  ExpectOpenFails(repeated, absl::StatusCode::kDataLoss, "id 0 is live twice");
  const std::string too_large = WithIds("too_large_id.tqi", {{3, 70}});
  ExpectOpenFails(too_large, absl::StatusCode::kDataLoss, "out of range");
  const std::string last_too_large = WithIds("last_too_large_id.tqi", {{68, 1000}});
  ExpectOpenFails(last_too_large, absl::StatusCode::kDataLoss, "out of range");
  for (const std::string& path : {repeated, too_large, last_too_large}) std::remove(path.c_str());

  // Ascending ids (the saved ones), ids out of order (2 and 3 swapped), and a removed vector's
  // id (position 1) that a live one has too: all open, and every lookup sees the live ids.
  const std::string ascending = SmallIndexFile("ascending_ids.tqi");
  const std::string swapped = WithIds("swapped_ids.tqi", {{2, 3}, {3, 2}});
  const std::string reused = WithIds("reused_id.tqi", {{1, 0}});
  for (const std::string& path : {ascending, swapped, reused}) {
    for (bool mmap : {false, true}) {
      SCOPED_TRACE(path + (mmap ? " mapped" : " copied"));
      OpenOptions open_options;
      open_options.mmap = mmap;
      absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(path, open_options);
      ASSERT_TRUE(opened.ok()) << opened.status();
      Index& index = **opened;
      for (uint64_t id : {0u, 2u, 3u, 32u, 34u, 68u}) EXPECT_TRUE(index.Contains(id)) << id;
      for (uint64_t id : {1u, 33u, 69u, 70u}) EXPECT_FALSE(index.Contains(id)) << id;
      const uint64_t taken = 34;
      EXPECT_EQ(index.Add(RandomVectors(1, 24, 9).data(), 1, &taken).code(),
                absl::StatusCode::kAlreadyExists);
      const uint64_t gone = 3;
      ASSERT_TRUE(index.Remove(&gone, 1).ok());
      EXPECT_FALSE(index.Contains(gone));
      ASSERT_TRUE(index.Compact().ok());
      EXPECT_EQ(index.size(), 66);
      for (uint64_t id : {0u, 2u, 68u}) EXPECT_TRUE(index.Contains(id)) << id;
      EXPECT_EQ(index.Remove(&gone, 1).code(), absl::StatusCode::kNotFound);
    }
    std::remove(path.c_str());
  }
}

// Every single-byte change anywhere in the file, and every truncation, is refused with a
// clean error: the header and table by their CRC, sections by theirs, padding by being zero.
TEST(IndexFileCorruption, EveryFlippedByteAndTruncationIsRefused) {
  const std::string path = SmallIndexFile("corrupt_source.tqi");
  const std::vector<uint8_t> good = ReadBytes(path);
  ASSERT_TRUE(Index::Open(path).ok());
  const std::string bad = TempPath("corrupt.tqi");
  absl::StatusOr<IndexFileHeader> header = ReadIndexFileHeader(path);
  ASSERT_TRUE(header.ok());
  // The zero padding before the page-aligned blocks is checked like any other byte; a sample
  // of it keeps the test quick.
  const size_t padding_begin = header->header_bytes();
  const size_t padding_end = header->Find(SectionKind::kBlocks)->offset;
  int refused = 0, cases = 0;
  for (size_t at = 0; at < good.size(); at += (at >= padding_begin && at < padding_end) ? 29 : 1) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
      std::vector<uint8_t> bytes = good;
      bytes[at] ^= flip;
      WriteBytes(bad, bytes);
      OpenOptions open_options;
      open_options.mmap = (at % 2) == 0;
      absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(bad, open_options);
      ++cases;
      if (!opened.ok()) {
        ++refused;
        EXPECT_EQ(opened.status().message().rfind(bad, 0), 0u) << opened.status();
      } else {
        ADD_FAILURE() << "flip 0x" << std::hex << int{flip} << " at byte " << std::dec << at
                      << " was accepted";
      }
    }
  }
  for (size_t length = 0; length < good.size(); length += (length < 512 ? 1 : 61)) {
    WriteBytes(bad, std::vector<uint8_t>(good.begin(), good.begin() + length));
    absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(bad);
    ++cases;
    refused += !opened.ok();
    EXPECT_FALSE(opened.ok()) << "truncated to " << length << " bytes was accepted";
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  WriteBytes(bad, longer);
  EXPECT_FALSE(Index::Open(bad).ok()) << "a trailing byte was accepted";
  EXPECT_EQ(refused, cases);
  std::remove(bad.c_str());
  std::remove(path.c_str());
}

// Without checksums a mapped open reads only the metadata; a flipped code byte then changes
// answers but never crashes, and everything the open does read is still checked.
TEST(IndexFileCorruption, UncheckedOpenOfACorruptFileNeverCrashes) {
  const std::string path = SmallIndexFile("unchecked_source.tqi");
  const std::vector<uint8_t> good = ReadBytes(path);
  const std::string bad = TempPath("unchecked.tqi");
  const std::vector<float> queries = RandomVectors(3, 24, 5);
  OpenOptions open_options;
  open_options.mmap = true;
  open_options.verify_checksums = false;
  for (size_t at = 0; at < good.size(); at += 3) {
    std::vector<uint8_t> bytes = good;
    bytes[at] ^= 0xff;
    WriteBytes(bad, bytes);
    absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(bad, open_options);
    if (!opened.ok()) continue;
    SearchParams params;
    params.rerank = 10;
    SearchResults results;
    EXPECT_TRUE((*opened)->Search(queries, 5, params, &results).ok());
    for (int64_t id : results.ids) EXPECT_TRUE(id >= -1 && id < 70) << id;
  }
  std::remove(bad.c_str());
  std::remove(path.c_str());
}

// ---------------------------------------------------------------------------------------------
// Golden files: indexes written by formats 1.0 and 1.1, committed under tests/data/. Every later
// build must open them and give the recorded answers; a format change bumps the version and keeps a
// reader for 1.0 instead of breaking these. TQ_REGENERATE_GOLDEN=1 rewrites them (only for a
// deliberate new golden file, never to make a failing test pass).

struct GoldenCase {
  std::string name;
  IndexOptions options;
};

std::vector<GoldenCase> GoldenCases() {
  // 1.0 had no centering; 1.1 adds the mean section.
  IndexOptions cosine = Options(40, 4, Metric::kCosine, Variant::kCorrected);
  cosine.center = Centering::kNone;
  IndexOptions l2 = Options(40, 3, Metric::kL2, Variant::kProd, KeepVectors::kFloat16);
  l2.center = Centering::kNone;
  l2.rotation = RotationKind::kHaar;
  l2.seed = 7;
  IndexOptions centered = Options(40, 2, Metric::kL2, Variant::kCorrected);
  centered.center = Centering::kFirstBatch;
  return {{"index_v1_0_cosine_corrected_b4", cosine},
          {"index_v1_0_l2_prod_b3_f16", l2},
          {"index_v1_1_l2_corrected_b2_centered", centered}};
}

// The recipe: 100 vectors with ids 1000.. (offset by 0.75 when centered), three removed.
std::unique_ptr<Index> BuildGolden(const IndexOptions& options) {
  std::unique_ptr<Index> index = MakeIndex(options);
  std::vector<uint64_t> ids(100);
  for (int i = 0; i < 100; ++i) ids[i] = 1000 + 3 * i;
  std::vector<float> vectors = RandomVectors(100, options.dim, 11);
  if (options.center != Centering::kNone) {
    for (float& v : vectors) v += 0.75f;  // a common component for the mean to take out
  }
  EXPECT_TRUE(index->Add(vectors, ids).ok());
  const uint64_t gone[] = {1000, 1030, 1297};
  EXPECT_TRUE(index->Remove(gone).ok());
  return index;
}

std::string GoldenPath(const std::string& name, const std::string& extension) {
  return std::string(TQ_TEST_DATA_DIR) + "/" + name + extension;
}

// Top 10 of 5 fixed queries, rerank 20: "query rank id score" lines.
std::string DescribeAnswers(const Index& index) {
  const SearchResults results = SearchAll(index, RandomVectors(5, index.dim(), 77), 10, 20);
  std::string text;
  char line[128];
  for (int64_t q = 0; q < results.num_queries; ++q) {
    for (int r = 0; r < results.k; ++r) {
      std::snprintf(line, sizeof(line), "%lld %d %lld %.9g\n", static_cast<long long>(q), r,
                    static_cast<long long>(results.ids[q * results.k + r]),
                    results.scores[q * results.k + r]);
      text += line;
    }
  }
  return text;
}

TEST(IndexFileGolden, GoldenFilesOpenAndAnswerAsRecorded) {
  if (std::getenv("TQ_REGENERATE_GOLDEN") != nullptr) {
    for (const GoldenCase& c : GoldenCases()) {
      std::unique_ptr<Index> index = BuildGolden(c.options);
      ASSERT_TRUE(index->Save(GoldenPath(c.name, ".tqi")).ok());
      std::ofstream(GoldenPath(c.name, ".answers.txt")) << DescribeAnswers(*index);
    }
    GTEST_SKIP() << "regenerated the golden files in " << TQ_TEST_DATA_DIR;
  }
  for (const GoldenCase& c : GoldenCases()) {
    SCOPED_TRACE(c.name);
    const std::string index_path = GoldenPath(c.name, ".tqi");
    const std::string answers_path = GoldenPath(c.name, ".answers.txt");
    for (bool mmap : {false, true}) {
      OpenOptions open_options;
      open_options.mmap = mmap;
      absl::StatusOr<std::unique_ptr<Index>> opened = Index::Open(index_path, open_options);
      ASSERT_TRUE(opened.ok()) << opened.status();
      EXPECT_EQ((*opened)->size(), 97);
      // The answers: ids exactly, scores to float rounding.
      std::ifstream expected_file(answers_path);
      ASSERT_TRUE(expected_file.good()) << answers_path;
      std::istringstream actual(DescribeAnswers(**opened));
      long long eq, er, eid, aq, ar, aid;
      double escore, ascore;
      int lines = 0;
      while (expected_file >> eq >> er >> eid >> escore) {
        ASSERT_TRUE(actual >> aq >> ar >> aid >> ascore);
        EXPECT_EQ(aid, eid) << "query " << eq << " rank " << er;
        EXPECT_NEAR(ascore, escore, 1e-5 * (1 + std::abs(escore)));
        ++lines;
      }
      EXPECT_EQ(lines, 50);
    }
  }
}

TEST(IndexFileGolden, TheWriterStillWritesEachGoldenFileByteForByte) {
  for (const GoldenCase& c : GoldenCases()) {
    SCOPED_TRACE(c.name);
    // The haar rotation's matrix product rounds differently with and without FMA kernels, so
    // its codes are the same on every machine only up to ties; the fast rotation is exact.
    if (c.options.rotation != RotationKind::kFast) continue;
    std::unique_ptr<Index> index = BuildGolden(c.options);
    const std::string path = TempPath(c.name + ".tqi");
    ASSERT_TRUE(index->Save(path).ok());
    EXPECT_TRUE(ReadBytes(path) == ReadBytes(GoldenPath(c.name, ".tqi")))
        << "the bytes Save writes changed: if that is deliberate, bump kIndexFormatMinor (or "
           "major, keeping a reader for 1.0) and add a golden file for the new version";
    std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace tq
