// Encoding (norm, rotate, quantize, and the variant's extra float or QJL bits), decoding and
// the scalar inner-product estimator. Batches are encoded in chunks of 32 rows per thread.
#include "engine/turbo_quantizer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/bit_pack.h"
#include "engine/cosine_encoder.h"
#include "engine/encode_rows.h"
#include "engine/random.h"

namespace tq {
namespace {

constexpr int64_t kChunkRows = 32;

double Norm(const float* x, int d) {
  double sum = 0.0;
  for (int j = 0; j < d; ++j) sum += static_cast<double>(x[j]) * x[j];
  return std::sqrt(sum);
}

// The error for a row Encode rejects: its first non-finite value, or else its norm.
absl::Status RowError(const float* row, int d, int64_t number) {
  for (int j = 0; j < d; ++j) {
    if (!std::isfinite(row[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("encode: vector ", number, " has a non-finite value at coordinate ", j));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("encode: vector ", number, " has a norm above the float range"));
}

}  // namespace

std::string_view VariantName(Variant variant) {
  switch (variant) {
    case Variant::kMse:
      return "mse";
    case Variant::kProd:
      return "prod";
    case Variant::kCorrected:
      return "corrected";
  }
  return "unknown";
}

absl::StatusOr<Variant> ParseVariant(std::string_view name) {
  if (name == "mse") return Variant::kMse;
  if (name == "prod") return Variant::kProd;
  if (name == "corrected") return Variant::kCorrected;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown variant '", std::string(name), "' (expected mse, prod or corrected)"));
}

std::string_view CorrectedEncoderName(CorrectedEncoder encoder) {
  return encoder == CorrectedEncoder::kNearest ? "nearest" : "max-cosine";
}

absl::StatusOr<CorrectedEncoder> ParseCorrectedEncoder(std::string_view name) {
  if (name == "nearest") return CorrectedEncoder::kNearest;
  if (name == "max-cosine") return CorrectedEncoder::kMaxCosine;
  return absl::InvalidArgumentError(absl::StrCat("unknown corrected encoder '", std::string(name),
                                                 "' (expected nearest or max-cosine)"));
}

absl::StatusOr<std::unique_ptr<TurboQuantizer>> TurboQuantizer::Create(
    const QuantizerOptions& options) {
  if (options.dim < 2 || options.dim > (1 << 16)) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimension ", options.dim, " outside [2, 65536]"));
  }
  if (options.bits < 1 || options.bits > kMaxCodebookBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("bits ", options.bits, " outside [1, ", kMaxCodebookBits, "]"));
  }
  const int m = options.upper_coords;
  if (m != 0) {
    if (m < 0 || m >= options.dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("upper coordinates ", m, " outside [0, ", options.dim, ")"));
    }
    if (options.variant == Variant::kProd || options.bits >= kMaxCodebookBits ||
        options.encoder != CorrectedEncoder::kNearest) {
      return absl::InvalidArgumentError(
          "a non-integer rate needs the mse or corrected variant, the nearest encoder and "
          "fewer than 4 bits");
    }
  }
  std::unique_ptr<TurboQuantizer> q(new TurboQuantizer(options));
  const int d = options.dim;
  q->mse_bits_ = options.variant == Variant::kProd ? options.bits - 1 : options.bits;
  if (q->mse_bits_ > 0) {
    absl::StatusOr<std::shared_ptr<const Codebook>> book = Codebook::Get(d, q->mse_bits_);
    if (!book.ok()) return book.status();
    q->codebook_ = *std::move(book);
  }
  if (m > 0) {
    absl::StatusOr<std::shared_ptr<const Codebook>> book = Codebook::Get(d, q->mse_bits_ + 1);
    if (!book.ok()) return book.status();
    q->upper_codebook_ = *std::move(book);
    q->upper_bytes_ = static_cast<int>(PackedBytes(m, q->mse_bits_ + 1));
  }
  q->mse_bytes_ = static_cast<int>(PackedBytes(d - m, q->mse_bits_));
  q->code_bytes_ = q->upper_bytes_ + q->mse_bytes_;
  absl::StatusOr<std::shared_ptr<const Rotation>> rotation =
      SharedRotation(options.rotation, d, DeriveSeed(options.seed, kSeedPurposeRotation));
  if (!rotation.ok()) return rotation.status();
  q->rotation_ = *std::move(rotation);
  if (options.variant == Variant::kProd) {
    absl::StatusOr<std::unique_ptr<Qjl>> qjl =
        Qjl::Create(options.qjl, d, options.rotation, DeriveSeed(options.seed, kSeedPurposeQjl));
    if (!qjl.ok()) return qjl.status();
    q->qjl_ = *std::move(qjl);
    q->code_bytes_ += static_cast<int>(PackedBytes(d, 1));
  }
  return q;
}

absl::Status TurboQuantizer::Encode(const float* x, int64_t n, EncodedVectors* out, int threads,
                                    const float* center, int64_t first_row) const {
  const int d = dim();
  if (n < 0) return absl::InvalidArgumentError("encode: negative vector count");
  const int thread_count = threads > 0 ? threads : omp_get_max_threads();
  // Rows are checked as they are encoded (one read of the batch), so the result is built aside
  // and `out` changes only on success.
  EncodedVectors result;
  result.size = n;
  result.code_bytes = code_bytes_;
  result.codes.assign(static_cast<size_t>(n) * code_bytes_, 0);
  result.scale.assign(n, 0.0f);
  result.residual_norm.assign(options_.variant == Variant::kProd ? n : 0, 0.0f);
  result.squared_norm.assign(n, 0.0f);
  result.center_dot.assign(center ? n : 0, 0.0f);

  const int64_t chunks = (n + kChunkRows - 1) / kChunkRows;
  const SimdLevel level = ActiveSimdLevel();
  int64_t first_bad = n;  // the first rejected row
#pragma omp parallel num_threads(thread_count) if (chunks > 1) reduction(min : first_bad)
  {
    std::vector<float> unit(kChunkRows * d), rotated(kChunkRows * d);
    std::vector<float> residual, projected;
    if (qjl_) {
      residual.resize(kChunkRows * d);
      projected.resize(kChunkRows * d);
    }
    std::vector<uint8_t> all_indices(kChunkRows * d);
    std::vector<double> norms(kChunkRows), dots(kChunkRows);
    std::unique_ptr<CosineEncoder> cosine;
    if (options_.variant == Variant::kCorrected &&
        options_.encoder == CorrectedEncoder::kMaxCosine) {
      cosine = std::make_unique<CosineEncoder>(*codebook_);
    }
#pragma omp for schedule(dynamic, 4)
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      const int64_t begin = chunk * kChunkRows;
      const int64_t rows = std::min(kChunkRows, n - begin);
      // Each row is centred, with its squared norm and mean dot, in one pass and scaled to unit
      // length while it is in L1; the double sums here and <y, y_hat> below follow
      // encode_rows.h's order, the same bits at every SIMD level.
      for (int64_t r = 0; r < rows; ++r) {
        const float* v = x + (begin + r) * d;
        float* u = unit.data() + r * d;
        const RowSquares sums = CenterRowAt(level, v, center, d, u);
        norms[r] = std::sqrt(sums.squared_norm);
        // The checks, from the sum itself: a non-finite value (or a difference x - center past
        // the float range) makes it infinite or NaN, and the norm must fit a float. A rejected
        // row is encoded as zeros and the batch returns its error.
        if (!(norms[r] <= std::numeric_limits<float>::max())) {
          first_bad = std::min(first_bad, begin + r);
          std::fill(u, u + d, 0.0f);
          norms[r] = 0.0;
          continue;
        }
        result.squared_norm[begin + r] = static_cast<float>(sums.squared_norm);
        if (center) result.center_dot[begin + r] = static_cast<float>(sums.center_dot);
        // In double: 1/|x| overflows float for |x| < 1/FLT_MAX (tiny but valid vectors).
        const double inverse = norms[r] > 0 ? 1.0 / norms[r] : 0.0;
        ScaleRowAt(level, center ? u : v, inverse, d, u);
      }
      rotation_->Apply(unit.data(), rows, rotated.data());
      const int m = options_.upper_coords;
      if (mse_bits_ > 0) {
        const Codebook* upper = m > 0 ? upper_codebook_.get() : nullptr;
        for (int64_t r = 0; r < rows; ++r) {
          const float* y = rotated.data() + r * d;
          uint8_t* indices = all_indices.data() + r * d;
          if (cosine) {
            dots[r] = cosine->Encode(y, indices);
          } else {
            if (m > 0) upper_codebook_->QuantizeMany(y, m, indices);
            codebook_->QuantizeMany(y + m, d - m, indices + m);
            dots[r] = CodebookDotAt(  // <y, y_hat>
                level, y, indices, d, m, upper ? upper->centroids().data() : nullptr,
                upper ? static_cast<int>(upper->centroids().size()) : 0,
                codebook_->centroids().data(), static_cast<int>(codebook_->centroids().size()));
          }
        }
      }
      for (int64_t r = 0; r < rows; ++r) {
        const float* y = rotated.data() + r * d;
        const uint8_t* indices = all_indices.data() + r * d;
        uint8_t* code = result.codes.data() + (begin + r) * code_bytes_;
        const double dot = mse_bits_ > 0 ? dots[r] : 0.0;  // <y, y_hat>
        if (mse_bits_ > 0) {
          if (m > 0) PackCodes(indices, m, mse_bits_ + 1, code);
          PackCodes(indices + m, d - m, mse_bits_, code + upper_bytes_);
        }
        switch (options_.variant) {
          case Variant::kMse:
            result.scale[begin + r] = static_cast<float>(norms[r]);
            break;
          case Variant::kCorrected:
            // dot > 0 unless y = 0 (a zero vector): then the estimate is 0 as it should be.
            result.scale[begin + r] = dot > 0 ? static_cast<float>(norms[r] / dot) : 0.0f;
            break;
          case Variant::kProd: {
            result.scale[begin + r] = static_cast<float>(norms[r]);
            float* res = residual.data() + r * d;
            for (int j = 0; j < d; ++j) {
              res[j] = y[j] - (mse_bits_ > 0 ? codebook_->centroids()[indices[j]] : 0.0f);
            }
            result.residual_norm[begin + r] = static_cast<float>(Norm(res, d));
            break;
          }
        }
      }
      if (qjl_) {
        qjl_->Project(residual.data(), rows, projected.data());
        uint8_t* signs = all_indices.data();
        for (int64_t r = 0; r < rows; ++r) {
          for (int j = 0; j < d; ++j) signs[j] = projected[r * d + j] >= 0 ? 1 : 0;
          PackCodes(signs, d, 1,
                    result.codes.data() + (begin + r) * code_bytes_ + upper_bytes_ + mse_bytes_);
        }
      }
    }
  }
  if (first_bad < n) return RowError(x + first_bad * d, d, first_row + first_bad);
  *out = std::move(result);
  return absl::OkStatus();
}

void TurboQuantizer::DecodeRotated(const EncodedVectors& encoded, int64_t begin, int64_t count,
                                   float* z) const {
  const int d = dim();
  std::vector<uint8_t> indices(d);
  std::vector<float> signs(qjl_ ? count * d : 0);
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t* code = encoded.code(begin + r);
    float* out = z + r * d;
    if (mse_bits_ > 0) {
      UnpackMse(code, indices.data());
      for (int j = 0; j < d; ++j) out[j] = Centroid(j, indices[j]);
    } else {
      std::fill(out, out + d, 0.0f);
    }
    if (qjl_) {
      UnpackCodes(code + upper_bytes_ + mse_bytes_, d, 1, indices.data());
      for (int j = 0; j < d; ++j) signs[r * d + j] = indices[j] ? 1.0f : -1.0f;
    }
  }
  std::vector<float> back;
  if (qjl_) {
    back.resize(count * d);
    qjl_->ProjectTransposed(signs.data(), count, back.data());
  }
  for (int64_t r = 0; r < count; ++r) {
    float* out = z + r * d;
    if (qjl_) {
      const float factor = qjl_->scale() * encoded.residual_norm[begin + r];
      for (int j = 0; j < d; ++j) out[j] += factor * back[r * d + j];
    }
    const float scale = encoded.scale[begin + r];
    for (int j = 0; j < d; ++j) out[j] *= scale;
  }
}

void TurboQuantizer::Decode(const EncodedVectors& encoded, int64_t begin, int64_t count,
                            float* x_hat) const {
  std::vector<float> z(count * dim());
  DecodeRotated(encoded, begin, count, z.data());
  rotation_->ApplyInverse(z.data(), count, x_hat);
}

PreparedQuery TurboQuantizer::PrepareQuery(const float* q) const {
  PreparedQuery prepared;
  prepared.rotated.resize(dim());
  rotation_->Apply(q, 1, prepared.rotated.data());
  if (qjl_) {
    prepared.projected.resize(dim());
    qjl_->Project(prepared.rotated.data(), 1, prepared.projected.data());
  }
  return prepared;
}

void TurboQuantizer::UnpackMse(const uint8_t* code, uint8_t* indices) const {
  const int m = options_.upper_coords;
  if (m > 0) UnpackCodes(code, m, mse_bits_ + 1, indices);
  UnpackCodes(code + upper_bytes_, dim() - m, mse_bits_, indices + m);
}

float TurboQuantizer::EstimateInnerProduct(const PreparedQuery& query,
                                           const EncodedVectors& encoded, int64_t i) const {
  const int d = dim();
  const uint8_t* code = encoded.code(i);
  std::vector<uint8_t> indices(d);
  double estimate = 0.0;
  if (mse_bits_ > 0) {
    UnpackMse(code, indices.data());
    for (int j = 0; j < d; ++j) {
      estimate += static_cast<double>(query.rotated[j]) * Centroid(j, indices[j]);
    }
  }
  if (qjl_) {
    UnpackCodes(code + upper_bytes_ + mse_bytes_, d, 1, indices.data());
    double correlation = 0.0;
    for (int j = 0; j < d; ++j) {
      correlation += indices[j] ? query.projected[j] : -query.projected[j];
    }
    estimate += static_cast<double>(qjl_->scale()) * encoded.residual_norm[i] * correlation;
  }
  return static_cast<float>(estimate * encoded.scale[i]);
}

}  // namespace tq
