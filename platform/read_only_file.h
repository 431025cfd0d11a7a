// A file opened for reading: its size, positional reads, and a read-only memory map whose
// pages the kernel shares between every process that maps the same file.
#ifndef TQ_PLATFORM_READ_ONLY_FILE_H_
#define TQ_PLATFORM_READ_ONLY_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tq {

// A PROT_READ mapping of a whole file, unmapped when the last owner lets go. Files are only
// ever replaced by rename (AtomicFileWriter), never truncated in place, so a mapping stays
// valid for as long as it lives.
class FileMapping {
 public:
  FileMapping(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  ~FileMapping();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
};

// A regular file opened read-only. Reads are pread at explicit offsets: no shared file
// position, so concurrent const calls are safe, and nothing is held in memory, so a file of any
// size streams through the caller's buffer.
//
// Error messages start with the path ("base.fvecs: file not found").
class ReadOnlyFile {
 public:
  // InvalidArgument for an empty path; NotFound if the path does not exist ("file not found");
  // FailedPrecondition for a directory ("is a directory"), any other non-regular file ("is not
  // a regular file") or a file that cannot be opened (the errno text).
  static absl::StatusOr<ReadOnlyFile> Open(std::string_view path);

  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile();

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }  // as of Open

  // Exactly `size` bytes at `offset`, which must lie within size(); DataLoss otherwise, if the
  // file ends first (it shrank after Open: "unexpected end of file at offset N (the file was M
  // bytes when opened; did it change?)") or if the read fails.
  absl::Status ReadAt(int64_t offset, size_t size, void* out) const;
  absl::Status ReadAt(int64_t offset, std::span<std::byte> out) const {
    return ReadAt(offset, out.size(), out.data());
  }

  // Maps the first size() bytes read-only, with the kernel's default read-ahead (scans are
  // sequential runs of blocks).
  absl::StatusOr<std::shared_ptr<const FileMapping>> Map() const;

 private:
  ReadOnlyFile(std::string path, int fd, int64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}

  std::string path_;
  int fd_ = -1;  // -1 once moved from
  int64_t size_ = 0;
};

}  // namespace tq

#endif  // TQ_PLATFORM_READ_ONLY_FILE_H_
