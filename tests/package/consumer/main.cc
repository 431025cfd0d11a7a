// Builds against the installed headers and library: add 100 vectors, find one of them.
#include <cstdio>
#include <memory>
#include <vector>

#include "index/index.h"

int main() {
  tq::IndexOptions options;
  options.dim = 16;
  options.bits = 4;
  auto index = tq::Index::Create(options);
  if (!index.ok()) return 1;
  std::vector<float> vectors(100 * 16);
  for (size_t i = 0; i < vectors.size(); ++i) vectors[i] = static_cast<float>((i * 7919) % 101) - 50;
  if (!(*index)->Add(vectors).ok()) return 1;
  tq::SearchResults results;
  std::vector<float> query(vectors.begin() + 16 * 7, vectors.begin() + 16 * 8);
  if (!(*index)->Search(query, 3, tq::SearchParams{}, &results).ok()) return 1;
  std::printf("nearest to vector 7: %lld\n", static_cast<long long>(results.id(0, 0)));
  return results.num_queries == 1 ? 0 : 1;
}
