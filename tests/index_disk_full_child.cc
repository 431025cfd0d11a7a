// Run by index_wal_test under a file-size limit (a full disk): opens the writable index at
// argv[1], adds until the limit bites, checkpoints, and exits 0 only if every failure was clean
// (an error naming the file, the failed batch invisible). A separate process because the
// limit must not hit the test itself, and fork() without exec() breaks OpenMP.
#include <sys/resource.h>

#include <csignal>
#include <string>

#include "index/index.h"
#include "index_test_util.h"

namespace {

std::vector<uint64_t> Ids(uint64_t first, int n) {
  std::vector<uint64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = first + i;
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const std::string path = argv[1];
  const rlim_t limit_bytes = std::stoull(argv[2]);
  std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
  const rlimit limit{limit_bytes, limit_bytes};
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
  tq::OpenOptions open;
  open.writable = true;
  absl::StatusOr<std::unique_ptr<tq::Index>> index = tq::Index::Open(path, open);
  if (!index.ok()) return 10;
  const int d = (*index)->dim();
  // 2000 vectors: a log record far beyond the limit.
  const absl::Status add = (*index)->Add(tq::testing::RandomVectors(2000, d, 2), Ids(1000, 2000));
  if (add.ok() || add.message().find(path + ".wal") == std::string_view::npos) return 11;
  const int64_t before = (*index)->size();
  if (!(*index)->Add(tq::testing::RandomVectors(10, d, 3), Ids(5000, 10)).ok()) return 13;
  for (int i = 0; i < 4; ++i) {
    if (!(*index)->Add(tq::testing::RandomVectors(50, d, 4 + i), Ids(10000 + 100 * i, 50)).ok()) {
      return 14;
    }
  }
  if ((*index)->size() != before + 210) return 12;
  // The checkpoint would write a file beyond the limit: it must fail, naming the file.
  const absl::Status checkpoint = (*index)->Checkpoint();
  if (checkpoint.ok() || checkpoint.message().find(path) == std::string_view::npos) return 15;
  return 0;
}
