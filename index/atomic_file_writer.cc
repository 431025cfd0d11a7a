// POSIX: open(O_EXCL) + write/pwrite loops + fsync + rename + fsync of the directory.
#include "index/atomic_file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tq {
namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteFully(int fd, const void* data, size_t size, int64_t offset, bool positional,
                        int* error) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = positional ? ::pwrite(fd, p, size, offset) : ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = errno;
      return absl::UnknownError("write");
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Create(std::string_view path) {
  static std::atomic<uint64_t> counter{0};
  std::string target(path);
  if (target.empty()) return absl::InvalidArgumentError("empty output path");
  std::string temp = absl::StrCat(target, ".tmp-", ::getpid(), "-", counter++);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    return absl::Status(error == ENOENT ? absl::StatusCode::kNotFound
                                        : absl::StatusCode::kPermissionDenied,
                        absl::StrCat(target, ": cannot create ", temp, ": ", std::strerror(error)));
  }
  return AtomicFileWriter(std::move(target), std::move(temp), fd);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      offset_(other.offset_),
      committed_(std::exchange(other.committed_, true)) {}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

absl::Status AtomicFileWriter::Error(std::string_view what, int error) const {
  // ENOSPC and EDQUOT are the common ones: say so plainly.
  const absl::StatusCode code = (error == ENOSPC || error == EDQUOT)
                                    ? absl::StatusCode::kResourceExhausted
                                    : absl::StatusCode::kUnknown;
  return absl::Status(code, absl::StrCat(path_, ": ", std::string(what), ": ", std::strerror(error)));
}

absl::Status AtomicFileWriter::Append(const void* data, size_t size) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer is closed"));
  int error = 0;
  if (!WriteFully(fd_, data, size, offset_, /*positional=*/false, &error).ok()) {
    return Error("write failed", error);
  }
  offset_ += static_cast<int64_t>(size);
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::PadTo(size_t alignment) {
  static constexpr char kZeros[4096] = {};
  size_t missing = (alignment - static_cast<size_t>(offset_) % alignment) % alignment;
  while (missing > 0) {
    const size_t n = std::min(missing, sizeof(kZeros));
    if (absl::Status status = Append(kZeros, n); !status.ok()) return status;
    missing -= n;
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::WriteAt(int64_t offset, const void* data, size_t size) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer is closed"));
  if (offset < 0 || offset + static_cast<int64_t>(size) > offset_) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": rewrite of bytes [", offset, ", ", offset + size,
                     ") beyond the ", offset_, " written"));
  }
  int error = 0;
  if (!WriteFully(fd_, data, size, offset, /*positional=*/true, &error).ok()) {
    return Error("write failed", error);
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer is closed"));
  if (::fsync(fd_) != 0) return Error("fsync failed", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return Error("close failed", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return Error(absl::StrCat("rename from ", temp_path_, " failed"), errno);
  }
  committed_ = true;
  // The rename is durable only once the directory entry is on disk.
  const std::string directory = DirectoryOf(path_);
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Error(absl::StrCat("cannot open directory ", directory), errno);
  const int result = ::fsync(dir_fd);
  const int error = errno;
  ::close(dir_fd);
  if (result != 0) return Error(absl::StrCat("fsync of directory ", directory, " failed"), error);
  return absl::OkStatus();
}

}  // namespace tq
