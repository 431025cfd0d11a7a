// The critical-value sweep of Extended RaBitQ, the bit-plane packing and the byte-LUT scan.
// Written from the papers (Gao & Long 2024; Gao et al. 2025), not from their code.
#include "benchmarks/baselines/rabitq_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

namespace tq::baselines {

double QuantizeToRabitqGrid(const float* x, int dim, int bits, uint8_t* levels) {
  // The grid is symmetric, so work on magnitudes: coordinate j takes the magnitude k_j + 1/2
  // (k_j in 0 .. half - 1) with the sign of x_j. For a scale t, rounding t |x_j| to the nearest
  // magnitude gives k_j(t) = min(floor(t |x_j|), half - 1): it steps up at t = m / |x_j|,
  // m = 1 .. half - 1. At t -> 0 every k_j is 0, which is the 1-bit RaBitQ code.
  const int half = 1 << (bits - 1);
  std::vector<double> magnitude(dim);
  double numerator = 0.0;  // <y, |x|> with the current magnitudes
  for (int j = 0; j < dim; ++j) {
    magnitude[j] = std::fabs(static_cast<double>(x[j]));
    numerator += 0.5 * magnitude[j];
  }
  double denominator = 0.25 * dim;  // |y|^2
  double best_t = 0.0;
  if (numerator > 0.0 && half > 1) {
    double best = numerator / std::sqrt(denominator);
    // Step m of coordinate j happens at t = m * (1 / |x_j|). Along the coordinates sorted by
    // increasing 1 / |x_j| those t increase, so the events form half - 1 sorted lists (one per
    // m), merged here by a heap of their half - 1 heads: O(dim log dim + dim half log half)
    // rather than a heap over all coordinates. Coordinates whose rounding changes at the same t
    // change together, and only the state after all of them is a rounding of t |x|: the cosine
    // is taken there. A coordinate's step m - 1 comes before its step m (smaller t).
    std::vector<std::pair<double, int>> order;
    order.reserve(dim);
    for (int j = 0; j < dim; ++j) {
      if (magnitude[j] > 0.0) order.emplace_back(1.0 / magnitude[j], j);
    }
    std::sort(order.begin(), order.end());
    const int nonzero = static_cast<int>(order.size());
    struct Head {
      double t;
      int m;         // the step this list makes
      int position;  // in `order`
    };
    // A min-heap on t; each event replaces the root by the list's next event and sifts it down
    // once (its t is never below the root's), or drops the list when it is exhausted.
    std::vector<Head> heap;
    heap.reserve(half - 1);
    for (int m = 1; m < half; ++m) {
      heap.push_back({m * order[0].first, m, 0});
    }
    // Already a heap: t grows with m.
    auto sift_down = [&heap]() {
      const size_t size = heap.size();
      const Head moving = heap[0];
      size_t hole = 0;
      for (size_t child = 1; child < size; child = 2 * hole + 1) {
        if (child + 1 < size && heap[child + 1].t < heap[child].t) ++child;
        if (!(heap[child].t < moving.t)) break;
        heap[hole] = heap[child];
        hole = child;
      }
      heap[hole] = moving;
    };
    while (!heap.empty()) {
      const double t = heap[0].t;
      while (!heap.empty() && heap[0].t == t) {
        Head& head = heap[0];
        const int j = order[head.position].second;
        const int k = head.m;  // magnitude k - 1/2 becomes k + 1/2
        denominator += 2.0 * k;
        numerator += magnitude[j];
        if (++head.position < nonzero) {
          head.t = k * order[head.position].first;
        } else {
          heap[0] = heap.back();
          heap.pop_back();
        }
        if (!heap.empty()) sift_down();
      }
      const double cosine = numerator / std::sqrt(denominator);
      if (cosine > best) {
        best = cosine;
        best_t = t;
      }
    }
  }

  // The state at best_t, rebuilt with the very same expression m * (1 / |x_j|) as the sweep
  // used, so bit for bit the codeword whose cosine won.
  const double offset = RabitqGridOffset(bits);
  double y_dot_x = 0.0;
  for (int j = 0; j < dim; ++j) {
    int k = 0;
    if (best_t > 0.0 && magnitude[j] > 0.0) {
      const double inverse = 1.0 / magnitude[j];
      k = static_cast<int>(std::min(static_cast<double>(half - 1), best_t * magnitude[j]));
      while (k > 0 && k * inverse > best_t) --k;
      while (k < half - 1 && (k + 1) * inverse <= best_t) ++k;
    }
    const int u = x[j] >= 0.0f ? half + k : half - 1 - k;
    levels[j] = static_cast<uint8_t>(u);
    y_dot_x += (u - offset) * static_cast<double>(x[j]);
  }
  return numerator > 0.0 ? y_dot_x : 0.0;
}

void PackRabitqPlanes(const uint8_t* levels, int dim, int bits, uint8_t* code) {
  const int plane_bytes = RabitqPlaneBytes(dim);
  std::memset(code, 0, static_cast<size_t>(bits) * plane_bytes);
  for (int p = 0; p < bits; ++p) {
    uint8_t* plane = code + static_cast<size_t>(p) * plane_bytes;
    for (int j = 0; j < dim; ++j) {
      plane[j >> 3] |= static_cast<uint8_t>(((levels[j] >> p) & 1) << (j & 7));
    }
  }
}

void UnpackRabitqPlanes(const uint8_t* code, int dim, int bits, uint8_t* levels) {
  const int plane_bytes = RabitqPlaneBytes(dim);
  for (int j = 0; j < dim; ++j) {
    int u = 0;
    for (int p = 0; p < bits; ++p) {
      u |= ((code[static_cast<size_t>(p) * plane_bytes + (j >> 3)] >> (j & 7)) & 1) << p;
    }
    levels[j] = static_cast<uint8_t>(u);
  }
}

void BuildRabitqLut(const float* q, int dim, float* lut) {
  const int groups = RabitqPlaneBytes(dim);
  for (int g = 0; g < groups; ++g) {
    float value[8];
    for (int b = 0; b < 8; ++b) {
      const int j = 8 * g + b;
      value[b] = j < dim ? q[j] : 0.0f;
    }
    float* table = lut + static_cast<size_t>(g) * 256;
    table[0] = 0.0f;
    // Each entry extends the one without its lowest set bit: 255 additions per group.
    for (int v = 1; v < 256; ++v) table[v] = table[v & (v - 1)] + value[__builtin_ctz(v)];
  }
}

void ScanRabitqCodes(const float* lut, const uint8_t* codes, int64_t n, int plane_bytes, int bits,
                     float* dots) {
  const size_t code_bytes = static_cast<size_t>(bits) * plane_bytes;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* code = codes + i * code_bytes;
    float dot = 0.0f;
    for (int p = 0; p < bits; ++p) {
      const uint8_t* plane = code + static_cast<size_t>(p) * plane_bytes;
      // Four partial sums: the lookups are independent, the additions need not be serial.
      float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
      int g = 0;
      for (; g + 4 <= plane_bytes; g += 4) {
        s0 += lut[(g + 0) * 256 + plane[g + 0]];
        s1 += lut[(g + 1) * 256 + plane[g + 1]];
        s2 += lut[(g + 2) * 256 + plane[g + 2]];
        s3 += lut[(g + 3) * 256 + plane[g + 3]];
      }
      for (; g < plane_bytes; ++g) s0 += lut[g * 256 + plane[g]];
      dot += static_cast<float>(1 << p) * ((s0 + s1) + (s2 + s3));
    }
    dots[i] = dot;
  }
}

}  // namespace tq::baselines
