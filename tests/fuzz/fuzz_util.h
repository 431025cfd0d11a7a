// What the libFuzzer targets share: a per-process scratch file (the readers under test take a
// path, not bytes) and a check that aborts with a message, so an invariant breach is a crash.
#ifndef TQ_TESTS_FUZZ_FUZZ_UTIL_H_
#define TQ_TESTS_FUZZ_FUZZ_UTIL_H_

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

// The sanitizers' report channel, which libFuzzer keeps open under -close_fd_mask=2 (weak:
// absent when no sanitizer runtime is linked).
extern "C" __attribute__((weak)) void __sanitizer_report_error_summary(const char* summary);

namespace tq::fuzz {

[[noreturn]] inline void InvariantFailed(const char* file, int line, const char* condition) {
  const std::string message =
      std::string("fuzz invariant failed: ") + file + ":" + std::to_string(line) + ": " + condition;
  if (__sanitizer_report_error_summary != nullptr) {
    __sanitizer_report_error_summary(message.c_str());
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
  std::abort();
}

// An invariant the code under test promises; breaking it is a bug, reported as a crash.
#define TQ_FUZZ_CHECK(condition)                                                   \
  do {                                                                             \
    if (!(condition)) ::tq::fuzz::InvariantFailed(__FILE__, __LINE__, #condition); \
  } while (false)

// /dev/shm when writable (no disk traffic at thousands of files a second), else $TMPDIR, else
// /tmp.
inline std::string ScratchDir() {
  if (::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

// A file named after the target and the process id (libFuzzer's -jobs/-fork run several
// processes at once), rewritten by every run and removed when the process exits normally.
class ScratchFile {
 public:
  ScratchFile(const std::string& target, const std::string& extension)
      : path_(ScratchDir() + "/tq_fuzz_" + target + "_" + std::to_string(::getpid()) + extension) {}
  ~ScratchFile() { ::unlink(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const std::string& path() const { return path_; }

  // Replaces the file's contents with `size` bytes (a fresh inode, so a memory map of the
  // previous contents held by anything still alive is left alone).
  void Write(const uint8_t* data, size_t size) const {
    ::unlink(path_.c_str());
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    TQ_FUZZ_CHECK(fd >= 0);
    while (size > 0) {
      const ssize_t n = ::write(fd, data, size);
      TQ_FUZZ_CHECK(n > 0);
      data += n;
      size -= static_cast<size_t>(n);
    }
    TQ_FUZZ_CHECK(::close(fd) == 0);
  }

 private:
  std::string path_;
};

}  // namespace tq::fuzz

#endif  // TQ_TESTS_FUZZ_FUZZ_UTIL_H_
