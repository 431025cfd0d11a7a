// Writes a file so that the target path only ever holds a complete one: the bytes go to a
// temporary file beside it, which Commit() fsyncs, renames over the target and makes durable
// by fsyncing the directory. A crash or error at any point leaves the old file untouched.
#ifndef TQ_PLATFORM_ATOMIC_FILE_WRITER_H_
#define TQ_PLATFORM_ATOMIC_FILE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tq {

// Error messages start with the target path and end with the errno text. A full disk
// (ENOSPC, EDQUOT) is ResourceExhausted.
class AtomicFileWriter {
 public:
  // Creates "<path>.tmp-<pid>-<n>" in the target's directory: the same file system, so the
  // rename is atomic, and a name no other writer uses, so two processes (or threads) writing
  // the same path never write into one temporary file. InvalidArgument for an empty path,
  // NotFound if the directory does not exist, PermissionDenied if it is not writable.
  static absl::StatusOr<AtomicFileWriter> Create(std::string_view path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  // Without a successful Commit() the temporary file is removed.
  ~AtomicFileWriter();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  int64_t offset() const { return offset_; }  // bytes appended so far

  // Appends bytes at offset().
  absl::Status Append(const void* data, size_t size);
  absl::Status Append(std::span<const std::byte> bytes) {
    return Append(bytes.data(), bytes.size());
  }
  // Appends zeros until offset() is a multiple of `alignment` (>= 1).
  absl::Status PadTo(size_t alignment);
  // Overwrites bytes already appended (a header whose checksums are known only at the end).
  absl::Status WriteAt(int64_t offset, const void* data, size_t size);
  // Closes the writer, successful or not. A failure before the rename removes the temporary
  // file and leaves the target as it was; a failure to fsync the directory afterwards leaves
  // the new file in place but perhaps not yet durable.
  absl::Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  absl::Status Error(std::string_view what, int error) const;
  absl::Status ClosedError() const;
  // Closes the descriptor if open and deletes the temporary file if it is still ours.
  void Abandon();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;              // -1 once committed, abandoned or moved from
  bool temp_exists_ = true;  // the temporary file is on disk and ours to delete
  int64_t offset_ = 0;
};

}  // namespace tq

#endif  // TQ_PLATFORM_ATOMIC_FILE_WRITER_H_
