#include "index/read_only_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tq {

FileMapping::~FileMapping() {
  if (size_ > 0) ::munmap(const_cast<uint8_t*>(data_), size_);
}

absl::StatusOr<ReadOnlyFile> ReadOnlyFile::Open(std::string_view path) {
  std::string name(path);
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat(name, ": no such file"));
    return absl::FailedPreconditionError(
        absl::StrCat(name, ": cannot open: ", std::strerror(error)));
  }
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(name, ": not a regular file"));
  }
  return ReadOnlyFile(std::move(name), fd, static_cast<int64_t>(info.st_size));
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status ReadOnlyFile::ReadAt(int64_t offset, size_t size, void* out) const {
  if (offset < 0 || offset > size_ || static_cast<int64_t>(size) > size_ - offset) {
    return absl::DataLossError(absl::StrCat(path_, ": truncated: needs bytes [", offset, ", ",
                                            offset + static_cast<int64_t>(size), "), file has ",
                                            size_));
  }
  char* p = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t n = ::pread(fd_, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::DataLossError(absl::StrCat(path_, ": read failed at byte ", offset, ": ",
                                              n == 0 ? "unexpected end of file"
                                                     : std::strerror(errno)));
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const FileMapping>> ReadOnlyFile::Map() const {
  if (size_ == 0) return std::make_shared<const FileMapping>(nullptr, 0);
  void* data = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ, MAP_SHARED, fd_, 0);
  if (data == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path_, ": mmap failed: ", std::strerror(errno)));
  }
  return std::make_shared<const FileMapping>(static_cast<const uint8_t*>(data),
                                             static_cast<size_t>(size_));
}

}  // namespace tq
