// BlockKeys: every SIMD level gives the scalar reference's keys bit for bit, for every
// combination of terms, and passes exactly the lanes whose key reaches the threshold.
#include "index/block_keys.h"

#include <gtest/gtest.h>

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
  return in;
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
  const Inputs data(11);
  for (int parts = 1; parts < 8; ++parts) {
    for (bool dots : {false, true}) {
      for (bool offset : {false, true}) {
        for (bool l2 : {false, true}) {
          const BlockKeyInputs in = Select(data, parts, dots, l2);
          const KeyTerms terms = Terms(offset, l2);
          std::vector<float> expected(kBlocks * kBlockVectors);
          uint32_t expected_pass[kBlocks];
          BlockKeysAt(SimdLevel::kScalar, terms, in, kBlocks, -0.1f, expected.data(),
                      expected_pass);
          // The scalar reference is the formula, lane by lane.
          for (int i = 0; i < kBlocks; ++i) {
            uint32_t pass = 0;
            for (int l = 0; l < kBlockVectors; ++l) {
              const float key = expected[i * kBlockVectors + l];
              pass |= static_cast<uint32_t>(key >= -0.1f) << l;
            }
            EXPECT_EQ(expected_pass[i], pass);
          }
          for (SimdLevel level : AvailableSimdLevels()) {
            std::vector<float> keys(kBlocks * kBlockVectors);
            uint32_t passed[kBlocks];
            BlockKeysAt(level, terms, in, kBlocks, -0.1f, keys.data(), passed);
            SCOPED_TRACE(testing::Message()
                         << SimdLevelName(level) << " parts " << parts << " dots " << dots
                         << " offset " << offset << " l2 " << l2);
            EXPECT_EQ(0, std::memcmp(keys.data(), expected.data(), keys.size() * sizeof(float)));
            for (int i = 0; i < kBlocks; ++i) EXPECT_EQ(passed[i], expected_pass[i]);
          }
        }
      }
    }
  }
}

TEST(BlockKeysTest, MatchesTheFormula) {
  const Inputs data(12);
  const KeyTerms terms = Terms(true, true);
  const BlockKeyInputs in = Select(data, 7, false, true);
  std::vector<float> keys(kBlocks * kBlockVectors);
  uint32_t passed[kBlocks];
  BlockKeys(terms, in, kBlocks, 0.0f, keys.data(), passed);
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
    std::vector<float> keys(kBlocks * kBlockVectors);
    uint32_t passed[kBlocks];
    BlockKeysAt(level, Terms(false, false), in, kBlocks, -std::numeric_limits<float>::infinity(),
                keys.data(), passed);
    EXPECT_TRUE(std::isnan(keys[4]));
    EXPECT_EQ(passed[0], ~(1u << 4)) << SimdLevelName(level);
    for (int i = 1; i < kBlocks; ++i) EXPECT_EQ(passed[i], ~0u);
    BlockKeysAt(level, Terms(false, false), in, kBlocks, std::numeric_limits<float>::infinity(),
                keys.data(), passed);
    for (int i = 0; i < kBlocks; ++i) EXPECT_EQ(passed[i], 0u);
  }
}

}  // namespace
}  // namespace tq
