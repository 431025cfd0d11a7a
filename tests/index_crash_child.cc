// The process the crash test kills: opens (or creates) a writable index and adds deterministic
// batches forever, printing "acked B" once Add of batch B has returned, checkpointing now and
// then, until SIGKILL arrives. Usage: index_crash_child INDEX_PATH
#include <cstdio>
#include <filesystem>
#include <memory>

#include "index/index.h"
#include "index_test_util.h"

namespace {

constexpr int kDim = 32;
constexpr int kBatch = 100;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string path = argv[1];
  if (!std::filesystem::exists(path)) {
    tq::IndexOptions options = tq::testing::Options(
        kDim, 4, tq::Metric::kL2, tq::Variant::kCorrected, tq::KeepVectors::kFloat32);
    absl::StatusOr<std::unique_ptr<tq::Index>> fresh = tq::Index::Create(options);
    if (!fresh.ok() || !(*fresh)->Save(path).ok()) return 3;
  }
  tq::OpenOptions open;
  open.writable = true;
  absl::StatusOr<std::unique_ptr<tq::Index>> index = tq::Index::Open(path, open);
  if (!index.ok()) {
    std::fprintf(stderr, "open: %s\n", std::string(index.status().message()).c_str());
    return 4;
  }
  for (int64_t batch = (*index)->size() / kBatch;; ++batch) {
    std::vector<uint64_t> ids(kBatch);
    for (int i = 0; i < kBatch; ++i) ids[i] = static_cast<uint64_t>(batch * kBatch + i);
    const std::vector<float> x = tq::testing::RandomVectors(kBatch, kDim, batch + 1);
    if (!(*index)->Add(x, ids).ok()) return 5;
    std::printf("acked %lld\n", static_cast<long long>(batch));
    std::fflush(stdout);
    if (batch % 7 == 6 && !(*index)->Checkpoint().ok()) return 6;
  }
}
