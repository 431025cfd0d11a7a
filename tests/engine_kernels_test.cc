// Tests for engine/matmul, engine/hadamard and engine/simd_level: every SIMD kernel this CPU
// runs against a double-precision reference, odd sizes and tails, and the level override.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/float16.h"
#include "engine/hadamard.h"
#include "engine/matmul.h"
#include "engine/random.h"
#include "engine/simd_level.h"

namespace tq {
namespace {

std::string LevelName(SimdLevel level) { return std::string(SimdLevelName(level)); }

std::vector<float> RandomFloats(int64_t count, uint64_t seed) {
  std::vector<float> x(count);
  Rng rng(seed);
  for (float& v : x) v = static_cast<float>(rng.NextGaussian());
  return x;
}

// ---- SimdLevel ----

TEST(SimdLevelTest, NamesAndOrder) {
  EXPECT_EQ(LevelName(SimdLevel::kScalar), "scalar");
  EXPECT_EQ(LevelName(SimdLevel::kAvx2), "avx2");
  EXPECT_EQ(LevelName(SimdLevel::kAvx512), "avx512");
  EXPECT_EQ(LevelName(SimdLevel::kAvx512Vbmi), "avx512vbmi");
  EXPECT_LE(static_cast<int>(ActiveSimdLevel()), static_cast<int>(DetectedSimdLevel()));
  std::printf("detected %s, active %s\n", LevelName(DetectedSimdLevel()).c_str(),
              LevelName(ActiveSimdLevel()).c_str());
}

TEST(SimdLevelTest, ScopedLevelRestoresThePreviousOne) {
  const SimdLevel original = ActiveSimdLevel();
  {
    ScopedSimdLevel scalar(SimdLevel::kScalar);
    EXPECT_EQ(ActiveSimdLevel(), SimdLevel::kScalar);
    {
      ScopedSimdLevel top(DetectedSimdLevel());
      EXPECT_EQ(ActiveSimdLevel(), DetectedSimdLevel());
      {
        ScopedSimdLevel again(SimdLevel::kScalar);
        EXPECT_EQ(ActiveSimdLevel(), SimdLevel::kScalar);
      }
      EXPECT_EQ(ActiveSimdLevel(), DetectedSimdLevel());
    }
    EXPECT_EQ(ActiveSimdLevel(), SimdLevel::kScalar);
  }
  EXPECT_EQ(ActiveSimdLevel(), original);
}

// ---- MatMul ----

// Double-precision out = A B with the bound sum_c |a_ic| |b_cj| used for the tolerance.
void ReferenceMatMul(const std::vector<float>& a, int64_t n, int k, const std::vector<float>& b,
                     int m, std::vector<double>* out, std::vector<double>* magnitude) {
  out->assign(n * m, 0.0);
  magnitude->assign(n * m, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < k; ++c) {
      const double s = a[i * k + c];
      for (int j = 0; j < m; ++j) {
        (*out)[i * m + j] += s * b[static_cast<int64_t>(c) * m + j];
        (*magnitude)[i * m + j] += std::abs(s * b[static_cast<int64_t>(c) * m + j]);
      }
    }
  }
}

TEST(MatMulTest, EveryLevelMatchesTheReferenceOnOddShapes) {
  // Tails of the 4-row tiles (n), of the 16/64-column tiles and the 256-column panels (m),
  // and of the inner dimension (k).
  const int64_t ns[] = {1, 2, 3, 4, 5, 7, 17, 65};
  const int ks[] = {1, 3, 17, 65, 200};
  const int ms[] = {1, 3, 8, 15, 16, 17, 63, 64, 65, 200, 256, 257, 300};
  constexpr float kGuard = 12345.0f;
  uint64_t seed = 1;
  int shapes = 0;
  for (int64_t n : ns) {
    for (int k : ks) {
      for (int m : ms) {
        // Keep the sweep fast: the largest shapes only with a few n.
        if (n * k * m > 2'000'000) continue;
        const std::vector<float> a = RandomFloats(n * k, ++seed);
        const std::vector<float> b = RandomFloats(static_cast<int64_t>(k) * m, ++seed);
        std::vector<double> want, magnitude;
        ReferenceMatMul(a, n, k, b, m, &want, &magnitude);
        std::vector<float> scalar_out;
        for (SimdLevel level : AvailableSimdLevels()) {
          SCOPED_TRACE(testing::Message()
                       << LevelName(level) << " n=" << n << " k=" << k << " m=" << m);
          // A guard zone after the output catches stores past the end of a masked tail.
          std::vector<float> out(n * m + 64, kGuard);
          MatMulAt(level, a.data(), n, k, b.data(), m, out.data());
          for (int64_t i = 0; i < n * m; ++i) {
            ASSERT_NEAR(out[i], want[i], 1e-5 * magnitude[i] + 1e-30) << "element " << i;
          }
          for (int64_t i = n * m; i < n * m + 64; ++i) ASSERT_EQ(out[i], kGuard) << i;
          if (level == SimdLevel::kScalar) scalar_out.assign(out.begin(), out.begin() + n * m);
          // The SIMD kernels match the scalar reference to rounding.
          for (int64_t i = 0; i < n * m; ++i) {
            ASSERT_NEAR(out[i], scalar_out[i], 1e-5 * magnitude[i] + 1e-30) << "element " << i;
          }
        }
        ++shapes;
      }
    }
  }
  EXPECT_GT(shapes, 400);
}

TEST(MatMulTest, ExactOnSmallIntegers) {
  // Products and sums of small integers are exact in float: every level must agree bit for bit
  // with the exact result, whatever its FMA or summation order.
  constexpr int64_t n = 9;
  constexpr int k = 33, m = 70;
  std::vector<float> a(n * k), b(k * m);
  Rng rng(3);
  for (float& v : a) v = static_cast<float>(static_cast<int>(rng.NextBelow(17)) - 8);
  for (float& v : b) v = static_cast<float>(static_cast<int>(rng.NextBelow(17)) - 8);
  for (SimdLevel level : AvailableSimdLevels()) {
    SCOPED_TRACE(LevelName(level));
    std::vector<float> out(n * m);
    MatMulAt(level, a.data(), n, k, b.data(), m, out.data());
    for (int64_t i = 0; i < n; ++i) {
      for (int j = 0; j < m; ++j) {
        int64_t exact = 0;
        for (int c = 0; c < k; ++c) {
          exact += static_cast<int64_t>(a[i * k + c]) * static_cast<int64_t>(b[c * m + j]);
        }
        ASSERT_EQ(out[i * m + j], static_cast<float>(exact)) << i << "," << j;
      }
    }
  }
}

TEST(MatMulTest, DegenerateShapes) {
  const std::vector<float> a = RandomFloats(12, 4), b = RandomFloats(12, 5);
  for (SimdLevel level : AvailableSimdLevels()) {
    SCOPED_TRACE(LevelName(level));
    // k = 0: the empty sum is zero.
    std::vector<float> out(12, 7.0f);
    MatMulAt(level, a.data(), 3, 0, b.data(), 4, out.data());
    for (float v : out) EXPECT_EQ(v, 0.0f);
    // n = 0 or m = 0: nothing is written.
    std::vector<float> untouched(12, 7.0f);
    MatMulAt(level, a.data(), 0, 3, b.data(), 4, untouched.data());
    MatMulAt(level, a.data(), 3, 4, b.data(), 0, untouched.data());
    for (float v : untouched) EXPECT_EQ(v, 7.0f);
  }
}

TEST(MatMulTest, DispatchUsesTheActiveLevel) {
  constexpr int64_t n = 5;
  constexpr int k = 40, m = 37;
  const std::vector<float> a = RandomFloats(n * k, 8), b = RandomFloats(k * m, 9);
  for (SimdLevel level : AvailableSimdLevels()) {
    SCOPED_TRACE(LevelName(level));
    std::vector<float> direct(n * m), dispatched(n * m);
    MatMulAt(level, a.data(), n, k, b.data(), m, direct.data());
    ScopedSimdLevel forced(level);
    MatMul(a.data(), n, k, b.data(), m, dispatched.data());
    EXPECT_EQ(std::memcmp(direct.data(), dispatched.data(), direct.size() * sizeof(float)), 0);
  }
}

// ---- Walsh-Hadamard ----

TEST(HadamardTest, ScalarMatchesTheHadamardMatrix) {
  // H[i][j] = (-1)^popcount(i & j) (Sylvester order), applied in double.
  for (int log2_n = 0; log2_n <= 8; ++log2_n) {
    SCOPED_TRACE(log2_n);
    const int n = 1 << log2_n;
    const std::vector<float> x = RandomFloats(n, 100 + log2_n);
    std::vector<float> y = x;
    WalshHadamardAt(SimdLevel::kScalar, y.data(), log2_n);
    for (int i = 0; i < n; ++i) {
      double want = 0, magnitude = 0;
      for (int j = 0; j < n; ++j) {
        want += (__builtin_popcount(i & j) % 2 ? -1.0 : 1.0) * x[j];
        magnitude += std::abs(x[j]);
      }
      ASSERT_NEAR(y[i], want, 1e-6 * magnitude) << i;
    }
  }
}

TEST(HadamardTest, EveryLevelIsBitIdenticalToScalar) {
  for (int log2_n = 0; log2_n <= 13; ++log2_n) {
    const int n = 1 << log2_n;
    // Offset by one float so the kernels also see unaligned data.
    std::vector<float> input = RandomFloats(n + 1, 200 + log2_n);
    std::vector<float> reference(input.begin() + 1, input.end());
    WalshHadamardAt(SimdLevel::kScalar, reference.data(), log2_n);
    for (SimdLevel level : AvailableSimdLevels()) {
      SCOPED_TRACE(testing::Message() << LevelName(level) << " n=" << n);
      std::vector<float> x = input;
      WalshHadamardAt(level, x.data() + 1, log2_n);
      EXPECT_EQ(x[0], input[0]);  // nothing written before the array
      EXPECT_EQ(std::memcmp(x.data() + 1, reference.data(), n * sizeof(float)), 0);
      std::vector<float> dispatched(input.begin() + 1, input.end());
      ScopedSimdLevel forced(level);
      WalshHadamard(dispatched.data(), log2_n);
      EXPECT_EQ(std::memcmp(dispatched.data(), reference.data(), n * sizeof(float)), 0);
    }
  }
}

TEST(HadamardTest, EveryLevelKeepsTheScalarSignedZeros) {
  // Inputs of +-0 and +-1 cancel to zeros of both signs at every stage; the SIMD stages (one FMA
  // by +-1 per in-register stage) must give each zero the scalar sum's or difference's sign.
  const float values[] = {0.0f, -0.0f, 1.0f, -1.0f};
  for (int log2_n = 0; log2_n <= 8; ++log2_n) {
    const int n = 1 << log2_n;
    for (uint64_t seed = 0; seed < 20; ++seed) {
      Rng rng(seed + 1000 * log2_n);
      std::vector<float> input(n);
      for (float& v : input) v = values[rng.NextBelow(4)];
      std::vector<float> reference = input;
      WalshHadamardAt(SimdLevel::kScalar, reference.data(), log2_n);
      for (SimdLevel level : AvailableSimdLevels()) {
        SCOPED_TRACE(testing::Message() << LevelName(level) << " n=" << n << " seed " << seed);
        std::vector<float> x = input;
        WalshHadamardAt(level, x.data(), log2_n);
        EXPECT_EQ(std::memcmp(x.data(), reference.data(), n * sizeof(float)), 0);
      }
    }
  }
}

TEST(HadamardTest, InterleavedVectorsAreEachTransformedAtEveryLevel) {
  // 2, 4, 8 and 16 vectors, scaled or not: the same bits as each vector alone.
  for (int log2_rows = 1; log2_rows <= 4; ++log2_rows) {
    const int rows = 1 << log2_rows;
    for (int log2_n = 0; log2_n <= 11; ++log2_n) {
      const int n = 1 << log2_n;
      for (float scale : {1.0f, 0.37f}) {
        std::vector<std::vector<float>> alone(rows);
        std::vector<float> interleaved(rows * n);
        for (int r = 0; r < rows; ++r) {
          alone[r] = RandomFloats(n, 300 + 20 * log2_n + r);
          alone[r][0] = -0.0f;
          for (int j = 0; j < n; ++j) interleaved[rows * j + r] = alone[r][j];
          WalshHadamardAt(SimdLevel::kScalar, alone[r].data(), log2_n, scale);
        }
        for (SimdLevel level : AvailableSimdLevels()) {
          SCOPED_TRACE(testing::Message()
                       << LevelName(level) << " rows=" << rows << " n=" << n << " scale=" << scale);
          std::vector<float> x = interleaved;
          WalshHadamardInterleavedAt(level, x.data(), log2_n, log2_rows, scale);
          for (int j = 0; j < n; ++j) {
            for (int r = 0; r < rows; ++r) {
              ASSERT_EQ(std::memcmp(&x[rows * j + r], &alone[r][j], sizeof(float)), 0) << j;
            }
          }
        }
      }
    }
  }
}

TEST(HadamardTest, TwiceIsNTimesIdentity) {
  for (SimdLevel level : AvailableSimdLevels()) {
    for (int log2_n : {0, 1, 2, 3, 4, 5, 7, 10, 11}) {
      SCOPED_TRACE(testing::Message() << LevelName(level) << " log2_n=" << log2_n);
      const int n = 1 << log2_n;
      // Small integers: every intermediate is exact, so H H x = n x holds bit for bit.
      std::vector<float> x(n);
      Rng rng(log2_n);
      for (float& v : x) v = static_cast<float>(static_cast<int>(rng.NextBelow(201)) - 100);
      std::vector<float> y = x;
      WalshHadamardAt(level, y.data(), log2_n);
      WalshHadamardAt(level, y.data(), log2_n);
      for (int i = 0; i < n; ++i) ASSERT_EQ(y[i], n * x[i]) << i;
      // Random floats: within rounding.
      const std::vector<float> g = RandomFloats(n, 7 + log2_n);
      std::vector<float> z = g;
      WalshHadamardAt(level, z.data(), log2_n);
      WalshHadamardAt(level, z.data(), log2_n);
      for (int i = 0; i < n; ++i) ASSERT_NEAR(z[i], n * g[i], 1e-5 * n * (1 + std::abs(g[i])));
    }
  }
}

TEST(HadamardTest, PreservesEnergyUpToScale) {
  // |H x|^2 = n |x|^2 (Parseval for the unnormalised transform).
  for (SimdLevel level : AvailableSimdLevels()) {
    const int log2_n = 10, n = 1 << log2_n;
    std::vector<float> x = RandomFloats(n, 77);
    double before = 0, after = 0;
    for (float v : x) before += static_cast<double>(v) * v;
    WalshHadamardAt(level, x.data(), log2_n);
    for (float v : x) after += static_cast<double>(v) * v;
    EXPECT_NEAR(after, n * before, 1e-5 * n * before) << LevelName(level);
  }
}

}  // namespace
}  // namespace tq

// ---- float16 ----

namespace tq {
namespace {

TEST(Float16Test, BatchConversionEqualsFloatToHalfAtEveryLevel) {
  // Finite floats from far below the smallest subnormal half to beyond 65504, and the
  // rounding boundaries: every level must store the bits FloatToHalf gives.
  std::vector<float> values = {0.0f,       -0.0f,      1.0f,         65504.0f,   65519.0f,
                               65520.0f,   -65520.0f,  1e30f,        0x1.0p-24f, 0x1.8p-25f,
                               0x1.0p-25f, 0x1.0p-14f, 0x1.ffcp-15f, 3.0e-8f,    -5.96e-8f};
  Rng rng(77);
  for (int i = 0; i < 20000; ++i) {
    const double magnitude =
        std::ldexp(1.0 + rng.NextDouble(), static_cast<int>(rng.NextBelow(50)) - 32);
    values.push_back(static_cast<float>(rng.NextBelow(2) ? magnitude : -magnitude));
  }
  for (int i = 0; i < 1000; ++i) {  // exact halfway cases between neighbouring halves
    const uint32_t bits = (static_cast<uint32_t>(rng.NextBelow(0x8e)) + 0x33) << 23 |
                          static_cast<uint32_t>(rng.NextBelow(1 << 10)) << 13 | 0x1000u;
    values.push_back(std::bit_cast<float>(bits));
  }
  std::vector<uint16_t> expected(values.size());
  for (size_t i = 0; i < values.size(); ++i) expected[i] = FloatToHalf(values[i]);
  for (SimdLevel level : AvailableSimdLevels()) {
    std::vector<uint16_t> got(values.size() + 1, 0xABCD);
    FloatsToHalvesAt(level, values.data(), static_cast<int64_t>(values.size()), got.data());
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(got[i], expected[i]) << LevelName(level) << " value " << values[i];
    }
    EXPECT_EQ(got.back(), 0xABCD);  // nothing written past the end
  }
}

}  // namespace
}  // namespace tq
