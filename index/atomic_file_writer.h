// Writes a file so that the target path only ever holds a complete one: the bytes go to a
// temporary file beside it, which Commit() fsyncs, renames over the target and makes durable
// by fsyncing the directory. A crash or error at any point leaves the old file untouched.
#ifndef TQ_INDEX_ATOMIC_FILE_WRITER_H_
#define TQ_INDEX_ATOMIC_FILE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tq {

class AtomicFileWriter {
 public:
  // Creates "<path>.tmp-<pid>-<n>" in the target's directory (same file system, so the rename
  // is atomic). Errors name the path and the reason (errno text).
  static absl::StatusOr<AtomicFileWriter> Create(std::string_view path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  // Without a successful Commit() the temporary file is removed.
  ~AtomicFileWriter();

  const std::string& path() const { return path_; }
  int64_t offset() const { return offset_; }  // bytes appended so far

  // Appends bytes at offset().
  absl::Status Append(const void* data, size_t size);
  // Appends zeros until offset() is a multiple of `alignment`.
  absl::Status PadTo(size_t alignment);
  // Overwrites bytes already appended (a header whose checksums are known only at the end).
  absl::Status WriteAt(int64_t offset, const void* data, size_t size);
  absl::Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  absl::Status Error(std::string_view what, int error) const;

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  int64_t offset_ = 0;
  bool committed_ = false;
};

}  // namespace tq

#endif  // TQ_INDEX_ATOMIC_FILE_WRITER_H_
