// Register-tiled matrix product: each pass keeps a tile of 4 output rows x 64 (AVX-512) or
// 16 (AVX2) columns in registers and streams one row of B per step of the inner dimension.
#include "engine/matmul.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace tq {
namespace {

// Columns of B are processed in panels narrow enough that a panel of k rows stays in L2
// while every row tile of A passes over it.
constexpr int kPanelColumns = 256;

void MatMulScalar(const float* a, int64_t n, int k, const float* b, int m, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    float* row = out + i * m;
    std::fill(row, row + m, 0.0f);
    for (int c = 0; c < k; ++c) {
      const float s = a[i * k + c];
      const float* b_row = b + static_cast<int64_t>(c) * m;
      for (int j = 0; j < m; ++j) row[j] += s * b_row[j];
    }
  }
}

// ---- AVX-512: 4 rows x (up to) 64 columns per tile, 16 accumulators ----

template <int kRows>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))) inline void TileAvx512(
    const float* a, int k, const float* b, int m, int j0, int width, float* out) {
  __m512 acc[kRows][4];
  for (int r = 0; r < kRows; ++r)
    for (int q = 0; q < 4; ++q) acc[r][q] = _mm512_setzero_ps();
  __mmask16 mask[4];
  for (int q = 0; q < 4; ++q) {
    const int lanes = std::clamp(width - 16 * q, 0, 16);
    mask[q] = static_cast<__mmask16>((1u << lanes) - 1u);
  }
  for (int c = 0; c < k; ++c) {
    const float* b_row = b + static_cast<int64_t>(c) * m + j0;
    __m512 bv[4];
    for (int q = 0; q < 4; ++q) bv[q] = _mm512_maskz_loadu_ps(mask[q], b_row + 16 * q);
    for (int r = 0; r < kRows; ++r) {
      const __m512 s = _mm512_set1_ps(a[static_cast<int64_t>(r) * k + c]);
      for (int q = 0; q < 4; ++q) acc[r][q] = _mm512_fmadd_ps(s, bv[q], acc[r][q]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int q = 0; q < 4; ++q)
      _mm512_mask_storeu_ps(out + static_cast<int64_t>(r) * m + j0 + 16 * q, mask[q], acc[r][q]);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))) void MatMulAvx512(
    const float* a, int64_t n, int k, const float* b, int m, float* out) {
  for (int p0 = 0; p0 < m; p0 += kPanelColumns) {
    const int p1 = std::min(m, p0 + kPanelColumns);
    for (int64_t i = 0; i < n; i += 4) {
      const int64_t rows = std::min<int64_t>(4, n - i);
      for (int j0 = p0; j0 < p1; j0 += 64) {
        const int width = std::min(64, p1 - j0);
        const float* a_tile = a + i * k;
        float* out_tile = out + i * m;
        switch (rows) {
          case 4: TileAvx512<4>(a_tile, k, b, m, j0, width, out_tile); break;
          case 3: TileAvx512<3>(a_tile, k, b, m, j0, width, out_tile); break;
          case 2: TileAvx512<2>(a_tile, k, b, m, j0, width, out_tile); break;
          default: TileAvx512<1>(a_tile, k, b, m, j0, width, out_tile); break;
        }
      }
    }
  }
}

// ---- AVX2: 4 rows x (up to) 16 columns per tile, 8 accumulators ----

__attribute__((target("avx2,fma"))) inline __m256i LaneMask(int lanes) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), index);
}

template <int kRows>
__attribute__((target("avx2,fma"))) inline void TileAvx2(const float* a, int k, const float* b,
                                                        int m, int j0, int width, float* out) {
  __m256 acc[kRows][2];
  for (int r = 0; r < kRows; ++r)
    for (int q = 0; q < 2; ++q) acc[r][q] = _mm256_setzero_ps();
  const __m256i mask0 = LaneMask(std::clamp(width, 0, 8));
  const __m256i mask1 = LaneMask(std::clamp(width - 8, 0, 8));
  for (int c = 0; c < k; ++c) {
    const float* b_row = b + static_cast<int64_t>(c) * m + j0;
    const __m256 b0 = _mm256_maskload_ps(b_row, mask0);
    const __m256 b1 = _mm256_maskload_ps(b_row + 8, mask1);
    for (int r = 0; r < kRows; ++r) {
      const __m256 s = _mm256_broadcast_ss(a + static_cast<int64_t>(r) * k + c);
      acc[r][0] = _mm256_fmadd_ps(s, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(s, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < kRows; ++r) {
    float* row = out + static_cast<int64_t>(r) * m + j0;
    _mm256_maskstore_ps(row, mask0, acc[r][0]);
    _mm256_maskstore_ps(row + 8, mask1, acc[r][1]);
  }
}

__attribute__((target("avx2,fma"))) void MatMulAvx2(const float* a, int64_t n, int k,
                                                    const float* b, int m, float* out) {
  for (int p0 = 0; p0 < m; p0 += kPanelColumns) {
    const int p1 = std::min(m, p0 + kPanelColumns);
    for (int64_t i = 0; i < n; i += 4) {
      const int64_t rows = std::min<int64_t>(4, n - i);
      for (int j0 = p0; j0 < p1; j0 += 16) {
        const int width = std::min(16, p1 - j0);
        const float* a_tile = a + i * k;
        float* out_tile = out + i * m;
        switch (rows) {
          case 4: TileAvx2<4>(a_tile, k, b, m, j0, width, out_tile); break;
          case 3: TileAvx2<3>(a_tile, k, b, m, j0, width, out_tile); break;
          case 2: TileAvx2<2>(a_tile, k, b, m, j0, width, out_tile); break;
          default: TileAvx2<1>(a_tile, k, b, m, j0, width, out_tile); break;
        }
      }
    }
  }
}

}  // namespace

void MatMulAt(SimdLevel level, const float* a, int64_t n, int k, const float* b, int m,
              float* out) {
  if (n <= 0 || m <= 0) return;
  if (k <= 0) {
    std::memset(out, 0, sizeof(float) * n * m);
    return;
  }
  switch (level) {
    case SimdLevel::kAvx512:
    case SimdLevel::kAvx512Vbmi:
      return MatMulAvx512(a, n, k, b, m, out);
    case SimdLevel::kAvx2:
      return MatMulAvx2(a, n, k, b, m, out);
    case SimdLevel::kScalar:
      return MatMulScalar(a, n, k, b, m, out);
  }
}

void MatMul(const float* a, int64_t n, int k, const float* b, int m, float* out) {
  MatMulAt(ActiveSimdLevel(), a, n, k, b, m, out);
}

}  // namespace tq
