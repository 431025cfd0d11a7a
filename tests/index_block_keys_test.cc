// BlockCandidates: every SIMD level gives the scalar reference's candidates and keys bit for bit,
// for every combination of terms, and they are exactly the live lanes whose key reaches the
// threshold, in order.
#include "index/block_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/random.h"
#include "engine/simd_level.h"

namespace tq {
namespace {

constexpr int kBlocks = 5;
constexpr size_t kStride = 7 * kBlockVectors * sizeof(float);  // columns of one block, apart
constexpr int kLiveColumn = 6;  // the live masks: the first word of column 6

struct Inputs {
  std::vector<uint32_t> mse, upper, qjl;
  std::vector<float> columns;  // kBlocks x stride bytes: scale, residual, dots, squared, ...
  explicit Inputs(uint64_t seed) {
    Rng rng(seed);
    for (auto* sums : {&mse, &upper, &qjl}) {
      sums->resize(kBlocks * kBlockVectors);
      for (uint32_t& s : *sums) s = static_cast<uint32_t>(rng.NextBelow(50000));
    }
    columns.resize(kBlocks * kStride / sizeof(float));
    for (float& c : columns) c = static_cast<float>(rng.NextGaussian());
    for (int i = 0; i < kBlocks; ++i) set_live(i, ~0u);
  }
  void set_live(int block, uint32_t mask) {
    std::memcpy(&columns[block * kStride / sizeof(float) + kLiveColumn * kBlockVectors], &mask,
                sizeof(mask));
  }
  const float* column(int c) const { return columns.data() + c * kBlockVectors; }
};

BlockKeyInputs Select(const Inputs& data, int parts, bool dots, bool l2) {
  BlockKeyInputs in;
  in.stride = kStride;
  if (parts & 1) in.mse_sums = data.mse.data();
  if (parts & 2) in.upper_sums = data.upper.data();
  if (parts & 4) {
    in.qjl_sums = data.qjl.data();
    in.residual = data.column(1);
  }
  in.scale = data.column(0);
  if (dots) in.mean_dots = data.column(2);
  if (l2) in.squared = data.column(3);
  in.live = reinterpret_cast<const uint8_t*>(data.column(kLiveColumn));
  return in;
}

// Every lane's key (threshold -inf: all but NaN keys pass) as a block-major array, NaN where a
// lane did not come out.
std::vector<float> AllKeys(SimdLevel level, const KeyTerms& terms, BlockKeyInputs in) {
  in.live = nullptr;
  std::vector<float> keys(kBlocks * kBlockVectors + kBlockCandidatesSlack);
  std::vector<uint32_t> lanes(keys.size());
  const int64_t n =
      BlockCandidatesAt(level, terms, in, kBlocks, -std::numeric_limits<float>::infinity(),
                        keys.data(), lanes.data());
  std::vector<float> all(kBlocks * kBlockVectors, std::numeric_limits<float>::quiet_NaN());
  for (int64_t c = 0; c < n; ++c) all[lanes[c]] = keys[c];
  return all;
}

KeyTerms Terms(bool offset, bool l2) {
  KeyTerms t;
  t.mse_a = 3.1e-5f, t.mse_c = -0.7f;
  t.upper_a = 1.7e-5f, t.upper_c = -0.2f;
  t.qjl_a = 2.3e-5f, t.qjl_c = -0.4f;
  t.qjl_scale = 0.013f;
  t.offset = offset ? 0.37f : 0.0f;
  t.l2 = l2;
  return t;
}

TEST(BlockKeysTest, EveryLevelEqualsTheScalarReference) {
  Inputs data(11);
  data.set_live(1, 0x0f0f00f1u);
  data.set_live(3, 0u);
  constexpr float kThreshold = -0.1f;
  for (int parts = 1; parts < 8; ++parts) {
    for (bool dots : {false, true}) {
      for (bool offset : {false, true}) {
        for (bool l2 : {false, true}) {
          const BlockKeyInputs in = Select(data, parts, dots, l2);
          const KeyTerms terms = Terms(offset, l2);
          // The scalar reference: the live lanes whose key reaches the threshold, in order.
          const std::vector<float> all = AllKeys(SimdLevel::kScalar, terms, in);
          std::vector<float> expected_keys;
          std::vector<uint32_t> expected_lanes;
          for (int i = 0; i < kBlocks; ++i) {
            uint32_t live;
            std::memcpy(&live, in.live + i * kStride, sizeof(live));
            for (int l = 0; l < kBlockVectors; ++l) {
              const uint32_t lane = i * kBlockVectors + l;
              if (((live >> l) & 1) && all[lane] >= kThreshold) {
                expected_keys.push_back(all[lane]);
                expected_lanes.push_back(lane);
              }
            }
          }
          ASSERT_GT(expected_keys.size(), 10u);
          for (SimdLevel level : AvailableSimdLevels()) {
            SCOPED_TRACE(testing::Message()
                         << SimdLevelName(level) << " parts " << parts << " dots " << dots
                         << " offset " << offset << " l2 " << l2);
            const std::vector<float> level_all = AllKeys(level, terms, in);
            EXPECT_EQ(0, std::memcmp(level_all.data(), all.data(), all.size() * sizeof(float)));
            std::vector<float> keys(kBlocks * kBlockVectors + kBlockCandidatesSlack);
            std::vector<uint32_t> lanes(keys.size());
            const int64_t n =
                BlockCandidatesAt(level, terms, in, kBlocks, kThreshold, keys.data(), lanes.data());
            ASSERT_EQ(n, static_cast<int64_t>(expected_keys.size()));
            EXPECT_EQ(0, std::memcmp(keys.data(), expected_keys.data(), n * sizeof(float)));
            EXPECT_TRUE(std::equal(expected_lanes.begin(), expected_lanes.end(), lanes.begin()));
          }
        }
      }
    }
  }
}

TEST(BlockKeysTest, MatchesTheFormula) {
  const Inputs data(12);
  const KeyTerms terms = Terms(true, true);
  const std::vector<float> keys = AllKeys(ActiveSimdLevel(), terms, Select(data, 7, false, true));
  for (int i = 0; i < kBlocks; ++i) {
    const float* col = data.columns.data() + i * kStride / sizeof(float);
    for (int l = 0; l < kBlockVectors; ++l) {
      const int at = i * kBlockVectors + l;
      const double parts = (terms.mse_a * double(data.mse[at]) + terms.mse_c) +
                           (terms.upper_a * double(data.upper[at]) + terms.upper_c) +
                           terms.qjl_scale * double(col[kBlockVectors + l]) *
                               (terms.qjl_a * double(data.qjl[at]) + terms.qjl_c);
      const double key = 2.0 * (parts * col[l] + terms.offset) - col[3 * kBlockVectors + l];
      EXPECT_NEAR(keys[at], key, 1e-4 * (1.0 + std::abs(key)));
    }
  }
}

TEST(BlockKeysTest, NanKeysNeverPassAndInfinityThresholdPassesNothingFinite) {
  Inputs data(13);
  data.columns[4] = std::numeric_limits<float>::quiet_NaN();  // block 0, lane 4's scale
  const BlockKeyInputs in = Select(data, 1, false, false);
  for (SimdLevel level : AvailableSimdLevels()) {
    std::vector<float> keys(kBlocks * kBlockVectors + kBlockCandidatesSlack);
    std::vector<uint32_t> lanes(keys.size());
    EXPECT_EQ(BlockCandidatesAt(level, Terms(false, false), in, kBlocks,
                                -std::numeric_limits<float>::infinity(), keys.data(), lanes.data()),
              kBlocks * kBlockVectors - 1)
        << SimdLevelName(level);
    EXPECT_EQ(lanes[3], 3u);
    EXPECT_EQ(lanes[4], 5u);  // lane 4 is left out
    EXPECT_EQ(BlockCandidatesAt(level, Terms(false, false), in, kBlocks,
                                std::numeric_limits<float>::infinity(), keys.data(), lanes.data()),
              0)
        << SimdLevelName(level);
  }
}

}  // namespace
}  // namespace tq
