// POSIX: open + fstat, pread loops, mmap.
#include "platform/read_only_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tq {
namespace {

absl::Status PathError(absl::StatusCode code, const std::string& path, absl::string_view what) {
  return absl::Status(code, absl::StrCat(path, ": ", what));
}

}  // namespace

FileMapping::~FileMapping() {
  if (size_ > 0) ::munmap(const_cast<uint8_t*>(data_), size_);
}

absl::StatusOr<ReadOnlyFile> ReadOnlyFile::Open(std::string_view path_view) {
  std::string path(path_view);
  if (path.empty()) return absl::InvalidArgumentError("empty file path");
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer before the
  // regular-file check below could refuse it. It changes nothing for regular files.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) return PathError(absl::StatusCode::kNotFound, path, "file not found");
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("cannot open: ", std::strerror(error)));
  }
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("cannot stat: ", std::strerror(error)));
  }
  // Anything but a regular file has no meaningful size (a directory opens fine on Linux), and
  // every reader validates against the size.
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     S_ISDIR(info.st_mode) ? "is a directory" : "is not a regular file");
  }
  return ReadOnlyFile(std::move(path), fd, static_cast<int64_t>(info.st_size));
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

ReadOnlyFile& ReadOnlyFile::operator=(ReadOnlyFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
  }
  return *this;
}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status ReadOnlyFile::ReadAt(int64_t offset, size_t size, void* out) const {
  if (fd_ < 0) return PathError(absl::StatusCode::kFailedPrecondition, path_, "file is not open");
  // Written as a subtraction so that a huge size cannot overflow offset + size.
  if (offset < 0 || offset > size_ || size > static_cast<uint64_t>(size_ - offset)) {
    return PathError(absl::StatusCode::kDataLoss, path_,
                     absl::StrCat("read of ", size, " bytes at offset ", offset,
                                  " runs past the end of the file (", size_, " bytes)"));
  }
  char* p = static_cast<char*>(out);
  size_t done = 0;
  while (done < size) {
    const int64_t at = offset + static_cast<int64_t>(done);
    const ssize_t n = ::pread(fd_, p + done, size - done, static_cast<off_t>(at));
    if (n < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      return PathError(absl::StatusCode::kDataLoss, path_,
                       absl::StrCat("read of ", size, " bytes at offset ", offset,
                                    " failed: ", std::strerror(error)));
    }
    if (n == 0) {
      return PathError(absl::StatusCode::kDataLoss, path_,
                       absl::StrCat("unexpected end of file at offset ", at, " (the file was ",
                                    size_, " bytes when opened; did it change?)"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const FileMapping>> ReadOnlyFile::Map() const {
  if (fd_ < 0) return PathError(absl::StatusCode::kFailedPrecondition, path_, "file is not open");
  if (size_ == 0) return std::make_shared<const FileMapping>(nullptr, 0);
  void* data = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ, MAP_SHARED, fd_, 0);
  if (data == MAP_FAILED) {
    return PathError(absl::StatusCode::kResourceExhausted, path_,
                     absl::StrCat("mmap failed: ", std::strerror(errno)));
  }
  return std::make_shared<const FileMapping>(static_cast<const uint8_t*>(data),
                                             static_cast<size_t>(size_));
}

}  // namespace tq
