// platform/: ReadOnlyFile's reads, mappings and error texts, and AtomicFileWriter's promise that
// the target holds the old file or the whole new one, with no temporary file left either way.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "platform/atomic_file_writer.h"
#include "platform/read_only_file.h"

namespace tq {
namespace {

// Debian's Abseil has its own absl::string_view; compare messages as std::string.
std::string Message(const absl::Status& status) { return std::string(status.message()); }

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every test works in a fresh directory of its own, so "nothing else is left" can be checked
// by listing it.
class PlatformFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "tq_platform_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // The names in the test directory, sorted.
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
};

using Names = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// ReadOnlyFile.

TEST_F(PlatformFileTest, ReadsAtOffsetsThroughBothOverloads) {
  const std::string path = Path("digits");
  WriteBytes(path, "0123456789");
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->path(), path);
  EXPECT_EQ(file->size(), 10);
  char chars[4];
  ASSERT_TRUE(file->ReadAt(3, sizeof(chars), chars).ok());
  EXPECT_EQ(std::string(chars, 4), "3456");
  std::byte bytes[3];
  ASSERT_TRUE(file->ReadAt(7, bytes).ok());
  EXPECT_EQ(std::memcmp(bytes, "789", 3), 0);
  EXPECT_TRUE(file->ReadAt(10, 0, nullptr).ok());  // an empty read at the very end
}

TEST_F(PlatformFileTest, ReadAtPastTheEndIsDataLoss) {
  const std::string path = Path("short");
  WriteBytes(path, "0123456789");
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  char buffer[16];
  absl::Status status = file->ReadAt(8, 4, buffer);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Message(status),
            path + ": read of 4 bytes at offset 8 runs past the end of the file (10 bytes)");
  EXPECT_EQ(file->ReadAt(11, 0, buffer).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(file->ReadAt(-1, 1, buffer).code(), absl::StatusCode::kDataLoss);
  // A size that would overflow offset + size is refused, not wrapped.
  EXPECT_EQ(file->ReadAt(1, std::numeric_limits<size_t>::max(), buffer).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(PlatformFileTest, AFileThatShrankAfterOpenIsAnUnexpectedEndOfFile) {
  const std::string path = Path("shrinks");
  WriteBytes(path, "0123456789");
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::filesystem::resize_file(path, 4);
  std::byte buffer[6];
  const absl::Status status = file->ReadAt(2, buffer);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Message(status), path +
                                 ": unexpected end of file at offset 4 (the file was 10 bytes "
                                 "when opened; did it change?)");
}

TEST_F(PlatformFileTest, MissingFileIsNotFound) {
  const std::string path = Path("missing");
  const absl::Status status = ReadOnlyFile::Open(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(status), path + ": file not found");
  EXPECT_EQ(ReadOnlyFile::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(ReadOnlyFile::Open("").status()), "empty file path");
}

TEST_F(PlatformFileTest, DirectoriesAndOtherNonRegularFilesAreRefused) {
  const absl::Status directory = ReadOnlyFile::Open(dir_).status();
  EXPECT_EQ(directory.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(directory), dir_ + ": is a directory");
  // A FIFO with no writer: refused at once, not waited on.
  const std::string fifo = Path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const absl::Status pipe = ReadOnlyFile::Open(fifo).status();
  EXPECT_EQ(pipe.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(pipe), fifo + ": is not a regular file");
}

TEST_F(PlatformFileTest, MappingHoldsTheFileAndOutlivesIt) {
  const std::string path = Path("mapped");
  std::string contents(3 * 4096 + 17, '\0');
  for (size_t i = 0; i < contents.size(); ++i) contents[i] = static_cast<char>(i * 131 + 7);
  WriteBytes(path, contents);
  std::shared_ptr<const FileMapping> mapping;
  {
    absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    absl::StatusOr<std::shared_ptr<const FileMapping>> mapped = file->Map();
    ASSERT_TRUE(mapped.ok()) << mapped.status();
    mapping = *mapped;
  }
  ASSERT_EQ(mapping->size(), contents.size());
  EXPECT_EQ(std::memcmp(mapping->data(), contents.data(), contents.size()), 0);

  const std::string empty = Path("empty");
  WriteBytes(empty, "");
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(empty);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<std::shared_ptr<const FileMapping>> mapped = file->Map();
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ((*mapped)->size(), 0u);
}

TEST_F(PlatformFileTest, MovesHandTheDescriptorOver) {
  WriteBytes(Path("a"), "aaaa");
  WriteBytes(Path("b"), "bbbbbb");
  absl::StatusOr<ReadOnlyFile> a = ReadOnlyFile::Open(Path("a"));
  absl::StatusOr<ReadOnlyFile> b = ReadOnlyFile::Open(Path("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ReadOnlyFile moved(std::move(*a));
  char c = 0;
  EXPECT_EQ(a->ReadAt(0, 1, &c).code(), absl::StatusCode::kFailedPrecondition);
  moved = std::move(*b);  // closes "a"
  EXPECT_EQ(moved.path(), Path("b"));
  EXPECT_EQ(moved.size(), 6);
  ASSERT_TRUE(moved.ReadAt(5, 1, &c).ok());
  EXPECT_EQ(c, 'b');
}

// ---------------------------------------------------------------------------------------------
// AtomicFileWriter.

TEST_F(PlatformFileTest, CommitReplacesAnExistingFile) {
  const std::string path = Path("out");
  WriteBytes(path, "old contents");
  absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_TRUE(StartsWith(writer->temp_path(), path + ".tmp-" + std::to_string(::getpid()) + "-"))
      << writer->temp_path();
  ASSERT_TRUE(writer->Append("new ", 4).ok());
  const std::string rest = "contents, longer";
  ASSERT_TRUE(writer->Append(std::as_bytes(std::span(rest))).ok());
  EXPECT_EQ(writer->offset(), 20);
  EXPECT_EQ(ReadBytes(path), "old contents");  // untouched until Commit
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(ReadBytes(path), "new contents, longer");
  EXPECT_EQ(Entries(), Names{"out"});
  // A committed writer is closed.
  EXPECT_EQ(writer->Append("x", 1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer->Commit().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PlatformFileTest, AbandonedWriterLeavesNothing) {
  const std::string path = Path("out");
  {
    absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Create(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE(writer->Append("partial", 7).ok());
    EXPECT_TRUE(std::filesystem::exists(writer->temp_path()));
    AtomicFileWriter moved(std::move(*writer));  // the moved-from writer deletes nothing
  }
  EXPECT_EQ(Entries(), Names{});
  // Over an existing file, which stays as it was.
  WriteBytes(path, "old");
  {
    absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Create(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE(writer->Append("new", 3).ok());
  }
  EXPECT_EQ(ReadBytes(path), "old");
  EXPECT_EQ(Entries(), Names{"out"});
}

TEST_F(PlatformFileTest, FailedRenameLeavesNoTemporaryFile) {
  // rename() cannot replace a non-empty directory.
  const std::string path = Path("target");
  std::filesystem::create_directories(path + "/inside");
  absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(writer->Append("data", 4).ok());
  const absl::Status status = writer->Commit();
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(StartsWith(Message(status), path + ": cannot move '" + writer->temp_path()))
      << status;
  // Gone at once, not only when the writer is destroyed.
  EXPECT_EQ(Entries(), Names{"target"});
  EXPECT_TRUE(std::filesystem::is_directory(path + "/inside"));
  EXPECT_EQ(writer->Append("x", 1).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PlatformFileTest, PadToAndWriteAt) {
  const std::string path = Path("padded");
  absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(writer->Append("abc", 3).ok());
  ASSERT_TRUE(writer->PadTo(8).ok());
  EXPECT_EQ(writer->offset(), 8);
  ASSERT_TRUE(writer->PadTo(8).ok());  // already aligned: nothing added
  EXPECT_EQ(writer->offset(), 8);
  ASSERT_TRUE(writer->Append("defgh", 5).ok());
  ASSERT_TRUE(writer->PadTo(8192).ok());  // more zeros than one chunk of the zero buffer
  EXPECT_EQ(writer->offset(), 8192);
  EXPECT_EQ(writer->PadTo(0).code(), absl::StatusCode::kInvalidArgument);
  // Rewrites stay inside what was appended.
  ASSERT_TRUE(writer->WriteAt(1, "XY", 2).ok());
  ASSERT_TRUE(writer->WriteAt(8190, "ZZ", 2).ok());
  EXPECT_EQ(writer->WriteAt(8191, "ZZ", 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer->WriteAt(-1, "Z", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer->WriteAt(0, "Z", std::numeric_limits<size_t>::max()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer->offset(), 8192);  // WriteAt never appends
  ASSERT_TRUE(writer->Commit().ok());

  std::string expected(8192, '\0');
  expected.replace(0, 3, "aXY");
  expected.replace(8, 5, "defgh");
  expected.replace(8190, 2, "ZZ");
  EXPECT_EQ(ReadBytes(path), expected);
}

TEST_F(PlatformFileTest, TwoWritersOfOnePathNeverShareATemporaryFile) {
  const std::string path = Path("shared");
  absl::StatusOr<AtomicFileWriter> first = AtomicFileWriter::Create(path);
  absl::StatusOr<AtomicFileWriter> second = AtomicFileWriter::Create(path);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->temp_path(), second->temp_path());
  ASSERT_TRUE(first->Append("first writer", 12).ok());
  ASSERT_TRUE(second->Append("second", 6).ok());
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_EQ(ReadBytes(path), "first writer");
  ASSERT_TRUE(second->Commit().ok());
  EXPECT_EQ(ReadBytes(path), "second");  // whole files, one after the other
  EXPECT_EQ(Entries(), Names{"shared"});
}

TEST_F(PlatformFileTest, CreateErrorsNameThePath) {
  const std::string path = Path("no_such_dir/out");
  const absl::Status status = AtomicFileWriter::Create(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(StartsWith(Message(status), path + ": cannot create '" + path + ".tmp-")) << status;
  EXPECT_EQ(AtomicFileWriter::Create("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Entries(), Names{});
}

}  // namespace
}  // namespace tq
