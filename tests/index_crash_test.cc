// Crash safety: a child process adds batches to a writable index and is killed with SIGKILL at
// random moments, 25 times; after each kill the index must hold every batch the child
// acknowledged, at most the one batch in flight beyond it, never part of a batch, and answer
// exactly as an index built from those batches in memory.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "index/index.h"
#include "index_test_util.h"

namespace tq {
namespace {

constexpr int kDim = 32;
constexpr int kBatch = 100;

// Starts the child with its stdout on a pipe; returns its pid and the pipe's read end.
pid_t StartChild(const std::string& index_path, int* out_fd) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(TQ_CRASH_CHILD, TQ_CRASH_CHILD, index_path.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  *out_fd = fds[0];
  return pid;
}

// Reads what is available (waiting up to `wait_ms` for more) and returns the largest acked
// batch seen so far in `text`.
int64_t Drain(int fd, int wait_ms, std::string* text) {
  pollfd p{fd, POLLIN, 0};
  char buffer[4096];
  if (::poll(&p, 1, wait_ms) > 0) {
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) text->append(buffer, n);
  }
  int64_t last = -1;
  size_t at = 0;
  while ((at = text->find("acked ", at)) != std::string::npos) {
    const size_t end = text->find('\n', at);
    if (end == std::string::npos) break;  // a line still being written
    last = std::max<int64_t>(last, std::stoll(text->substr(at + 6, end - at - 6)));
    at = end;
  }
  return last;
}

TEST(IndexCrash, KilledWritersLoseNothingAcknowledgedAndLeaveNoHalfBatch) {
  const std::string dir = ::testing::TempDir() + "/tq_crash_test_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/index.tqi";
  std::mt19937 rng(20261127);  // fixed: a failure reproduces
  std::unique_ptr<Index> reference = testing::MakeIndex(
      testing::Options(kDim, 4, Metric::kL2, Variant::kCorrected, KeepVectors::kFloat32));
  int64_t acked_total = -1;
  const std::vector<float> queries = testing::RandomVectors(4, kDim, 777);
  for (int iteration = 0; iteration < 25; ++iteration) {
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    int fd = -1;
    const pid_t child = StartChild(path, &fd);
    ASSERT_GT(child, 0);
    std::string text;
    // Let it acknowledge at least one batch, then kill it at a random moment.
    const auto start = std::chrono::steady_clock::now();
    while (Drain(fd, 20, &text) < 0 &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
    }
    const int delay_ms = std::uniform_int_distribution<int>(0, 120)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: " << text;
    const int64_t acked = Drain(fd, 0, &text);
    ::close(fd);
    ASSERT_GE(acked, 0) << "no batch acknowledged within 20 s";
    acked_total = std::max(acked_total, acked);

    absl::StatusOr<std::unique_ptr<Index>> reopened = Index::Open(path);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    const int64_t size = (*reopened)->size();
    EXPECT_EQ(size % kBatch, 0) << "a half-written batch";
    const int64_t batches = size / kBatch;
    EXPECT_GE(batches, acked_total + 1) << "an acknowledged batch was lost";
    EXPECT_LE(batches, acked_total + 2) << "more than the one batch in flight appeared";
    // Answers equal those of the same batches added in memory.
    while (reference->size() < size) {
      const int64_t b = reference->size() / kBatch;
      std::vector<uint64_t> ids(kBatch);
      for (int i = 0; i < kBatch; ++i) ids[i] = static_cast<uint64_t>(b * kBatch + i);
      ASSERT_TRUE(reference->Add(testing::RandomVectors(kBatch, kDim, b + 1), ids).ok());
    }
    SearchParams params;
    params.threads = 1;
    SearchResults got, want;
    ASSERT_TRUE((*reopened)->Search(queries, 10, params, &got).ok());
    ASSERT_TRUE(reference->Search(queries, 10, params, &want).ok());
    EXPECT_EQ(got.ids, want.ids);
    EXPECT_EQ(got.scores, want.scores);
    acked_total = batches - 1;  // the next child continues from what survived
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tq
