// Embedding tq::Index: create a 4-bit cosine index, add vectors with ids, search, remove,
// save it and open it again memory-mapped.
// Built and run by ctest (index_example), so it stays correct as the API evolves.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "index/index.h"

int main() {
  constexpr int kDim = 64;
  constexpr int kCount = 10000;

  tq::IndexOptions options;
  options.dim = kDim;
  options.bits = 4;
  options.metric = tq::Metric::kCosine;
  options.keep_vectors = tq::KeepVectors::kFloat16;  // enables exact rerank
  absl::StatusOr<std::unique_ptr<tq::Index>> index = tq::Index::Create(options);
  if (!index.ok()) {
    std::fprintf(stderr, "create: %s\n", std::string(index.status().message()).c_str());
    return 1;
  }

  // Random vectors; ids 1000, 1001, ... chosen by the caller (omit them to get 0, 1, ...).
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> vectors(kCount * kDim);
  for (float& v : vectors) v = normal(rng);
  std::vector<uint64_t> ids(kCount);
  for (int i = 0; i < kCount; ++i) ids[i] = 1000 + i;
  if (absl::Status s = (*index)->Add(vectors, ids); !s.ok()) {
    std::fprintf(stderr, "add: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  // Two queries: the first is a stored vector, so id 1042 should come first with cosine ~1.
  std::vector<float> queries(vectors.begin() + 42 * kDim, vectors.begin() + 43 * kDim);
  for (int j = 0; j < kDim; ++j) queries.push_back(normal(rng));
  tq::SearchParams params;
  params.rerank = 50;  // rescore the best 50 candidates with the kept vectors
  tq::SearchResults results;
  if (absl::Status s = (*index)->Search(queries, /*k=*/5, params, &results); !s.ok()) {
    std::fprintf(stderr, "search: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  for (int q = 0; q < results.num_queries; ++q) {
    std::printf("query %d:", q);
    for (int i = 0; i < results.k; ++i) {
      std::printf("  %lld (%.3f)", static_cast<long long>(results.id(q, i)), results.score(q, i));
    }
    std::printf("\n");
  }

  // Removed ids never come back; Compact() reclaims their space.
  const uint64_t removed = 1042;
  if (!(*index)->Remove(&removed, 1).ok() || !(*index)->Compact().ok()) return 1;
  const tq::IndexStats stats = (*index)->stats();
  std::printf("%lld vectors, %lld bits each (codes + norm), %lld bytes of blocks\n",
              static_cast<long long>(stats.live), static_cast<long long>(stats.bits_per_vector),
              static_cast<long long>(stats.block_bytes));

  // Save writes a temporary file and renames it into place; Open validates it all, and with
  // mmap leaves the blocks in the page cache, shared with every process that opens the file.
  const std::string path = (std::filesystem::temp_directory_path() / "index_example.tqi").string();
  if (absl::Status s = (*index)->Save(path); !s.ok()) {
    std::fprintf(stderr, "save: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  tq::OpenOptions open;
  open.mmap = true;
  absl::StatusOr<std::unique_ptr<tq::Index>> reopened = tq::Index::Open(path, open);
  std::filesystem::remove(path);
  if (!reopened.ok()) {
    std::fprintf(stderr, "open: %s\n", std::string(reopened.status().message()).c_str());
    return 1;
  }
  tq::SearchResults again;
  if (!(*reopened)->Search(queries, /*k=*/5, params, &again).ok()) return 1;
  std::printf("reopened: %lld vectors, best hit of query 1: %lld\n",
              static_cast<long long>((*reopened)->size()), static_cast<long long>(again.id(1, 0)));
  return results.id(0, 0) == 1042 && (*reopened)->size() == stats.live ? 0 : 1;
}
