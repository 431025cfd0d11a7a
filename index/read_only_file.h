// A file opened for reading: its size, positional reads, and a read-only memory map whose
// pages the kernel shares between every process that maps the same file.
#ifndef TQ_INDEX_READ_ONLY_FILE_H_
#define TQ_INDEX_READ_ONLY_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

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

class ReadOnlyFile {
 public:
  // NotFound if the path does not exist; FailedPrecondition for a directory or a file that
  // cannot be opened. Messages start with the path.
  static absl::StatusOr<ReadOnlyFile> Open(std::string_view path);

  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile();

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }

  // Exactly `size` bytes at `offset`; DataLoss if the file ends first or the read fails.
  absl::Status ReadAt(int64_t offset, size_t size, void* out) const;
  // Maps the whole file read-only, with the kernel's default read-ahead (scans are
  // sequential runs of blocks).
  absl::StatusOr<std::shared_ptr<const FileMapping>> Map() const;

 private:
  ReadOnlyFile(std::string path, int fd, int64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}

  std::string path_;
  int fd_ = -1;
  int64_t size_ = 0;
};

}  // namespace tq

#endif  // TQ_INDEX_READ_ONLY_FILE_H_
