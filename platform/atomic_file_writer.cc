// POSIX: open(O_EXCL) + write/pwrite loops + fsync + rename + fsync of the directory, with the
// temporary file deleted on every path that does not end in a rename.
#include "platform/atomic_file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

// Writes all of `data`, at `offset` if `positional`, else at the file position. Returns 0 or
// the errno of the failed write.
int WriteFully(int fd, const void* data, size_t size, int64_t offset, bool positional) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n =
        positional ? ::pwrite(fd, p, size, static_cast<off_t>(offset)) : ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return 0;
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
    absl::StatusCode code = absl::StatusCode::kFailedPrecondition;
    if (error == ENOENT) code = absl::StatusCode::kNotFound;
    if (error == EACCES || error == EPERM || error == EROFS) {
      code = absl::StatusCode::kPermissionDenied;
    }
    if (error == ENOSPC || error == EDQUOT) code = absl::StatusCode::kResourceExhausted;
    return absl::Status(
        code, absl::StrCat(target, ": cannot create '", temp, "': ", std::strerror(error)));
  }
  return AtomicFileWriter(std::move(target), std::move(temp), fd);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      temp_exists_(std::exchange(other.temp_exists_, false)),
      offset_(other.offset_) {}

AtomicFileWriter::~AtomicFileWriter() { Abandon(); }

void AtomicFileWriter::Abandon() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (std::exchange(temp_exists_, false)) ::unlink(temp_path_.c_str());
}

absl::Status AtomicFileWriter::Error(std::string_view what, int error) const {
  // ENOSPC and EDQUOT are the common ones: say so plainly.
  const absl::StatusCode code = (error == ENOSPC || error == EDQUOT)
                                    ? absl::StatusCode::kResourceExhausted
                                    : absl::StatusCode::kUnknown;
  return absl::Status(code,
                      absl::StrCat(path_, ": ", std::string(what), ": ", std::strerror(error)));
}

absl::Status AtomicFileWriter::ClosedError() const {
  return absl::FailedPreconditionError(
      absl::StrCat(path_, ": writer is closed (already committed or failed)"));
}

absl::Status AtomicFileWriter::Append(const void* data, size_t size) {
  if (fd_ < 0) return ClosedError();
  if (const int error = WriteFully(fd_, data, size, offset_, /*positional=*/false); error != 0) {
    return Error(absl::StrCat("writing '", temp_path_, "' failed"), error);
  }
  offset_ += static_cast<int64_t>(size);
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::PadTo(size_t alignment) {
  if (alignment == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": padding to an alignment of 0"));
  }
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
  if (fd_ < 0) return ClosedError();
  // Written as a subtraction so that a huge size cannot overflow offset + size.
  if (offset < 0 || offset > offset_ || size > static_cast<uint64_t>(offset_ - offset)) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": rewrite of ", size,
                                                   " bytes at offset ", offset, " goes beyond the ",
                                                   offset_, " bytes written"));
  }
  if (const int error = WriteFully(fd_, data, size, offset, /*positional=*/true); error != 0) {
    return Error(absl::StrCat("writing '", temp_path_, "' failed"), error);
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return ClosedError();
  // fsync before the rename: otherwise a crash can leave the new name pointing at a file whose
  // data never reached the disk, the very truncated file the rename is meant to rule out.
  if (::fsync(fd_) != 0) {
    const int error = errno;
    Abandon();
    return Error(absl::StrCat("fsync of '", temp_path_, "' failed"), error);
  }
  if (::close(std::exchange(fd_, -1)) != 0) {
    const int error = errno;
    Abandon();
    return Error(absl::StrCat("closing '", temp_path_, "' failed"), error);
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    Abandon();
    return Error(absl::StrCat("cannot move '", temp_path_, "' into place"), error);
  }
  temp_exists_ = false;
  // The rename is durable only once the directory entry is on disk.
  const std::string directory = DirectoryOf(path_);
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Error(absl::StrCat("cannot open directory '", directory, "'"), errno);
  const int result = ::fsync(dir_fd);
  const int error = errno;
  ::close(dir_fd);
  if (result != 0) return Error(absl::StrCat("fsync of directory '", directory, "' failed"), error);
  return absl::OkStatus();
}

}  // namespace tq
