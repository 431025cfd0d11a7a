// TurboQuant on vectors: norm + random rotation + per-coordinate Lloyd-Max codes, with three
// inner-product estimators (mse, prod, corrected). The scalar reference every kernel must match.
#ifndef TQ_ENGINE_TURBO_QUANTIZER_H_
#define TQ_ENGINE_TURBO_QUANTIZER_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/codebook.h"
#include "engine/qjl.h"
#include "engine/rotation.h"

namespace tq {

// mse:       paper Algorithm 1; estimate |x| <P q, y_hat> (biased low: 2/pi at 1 bit).
// prod:      paper Algorithm 2; mse at b-1 bits + 1-bit QJL of the residual; unbiased.
// corrected: mse codes, and |x| / <y, y_hat> stored in place of |x|; unbiased under Haar.
enum class Variant { kMse, kProd, kCorrected };
std::string_view VariantName(Variant variant);
absl::StatusOr<Variant> ParseVariant(std::string_view name);

// How `corrected` picks codes: nearest centroid, or the cosine-optimal sweep.
enum class CorrectedEncoder { kNearest, kMaxCosine };
std::string_view CorrectedEncoderName(CorrectedEncoder encoder);
absl::StatusOr<CorrectedEncoder> ParseCorrectedEncoder(std::string_view name);

struct QuantizerOptions {
  int dim = 0;
  int bits = 4;  // total bits per coordinate, 1..4
  Variant variant = Variant::kCorrected;
  RotationKind rotation = RotationKind::kFast;
  uint64_t seed = 42;
  QjlTransform qjl = QjlTransform::kOrthogonal;  // prod only
  // corrected only. Max-cosine lowers d * D_prod by 2% (d = 1536) to 17% (GloVe-100) at 4 bits
  // and ~0 at 1-2 bits but encodes 3-5x slower (README, "Variants"), so nearest is the default.
  CorrectedEncoder encoder = CorrectedEncoder::kNearest;
  // Non-integer rates (mse and corrected, nearest encoder): the first upper_coords rotated
  // coordinates get bits + 1 bits, from the (bits + 1)-bit codebook of the same dimension, so a
  // vector costs bits * dim + upper_coords code bits: any rate between 1 and 4 bits. Every
  // rotated coordinate has the same distribution, so which ones get the extra bit does not
  // matter; the first ones keep the two parts contiguous.
  int upper_coords = 0;
};

// Codes and per-vector floats of n vectors. Per vector: code_bytes bytes holding the
// mse-stage codes — with upper_coords m > 0 first the codes of coordinates [0, m) at mse_bits
// + 1 bits, then those of [m, d) at mse_bits, bit-packed — and, for prod, d QJL sign bits after
// them (each part starts on a byte); plus `scale` (|x|, or |x| / <y, y_hat> for corrected)
// and, for prod only, `residual_norm` |r|.
struct EncodedVectors {
  int64_t size = 0;
  int code_bytes = 0;
  std::vector<uint8_t> codes;
  std::vector<float> scale;
  std::vector<float> residual_norm;
  // By-products of encoding, each a double sum in coordinate order rounded to float, so
  // that callers need no second pass over the batch: |x - c|^2 (c = center, or 0), and with a
  // center <c, x - c> (empty without one). x - c is the float difference.
  std::vector<float> squared_norm;
  std::vector<float> center_dot;

  const uint8_t* code(int64_t i) const { return codes.data() + i * code_bytes; }
};

// A query rotated once (P q) and, for prod, projected (S P q).
struct PreparedQuery {
  std::vector<float> rotated;
  std::vector<float> projected;
};

class TurboQuantizer {
 public:
  static absl::StatusOr<std::unique_ptr<TurboQuantizer>> Create(const QuantizerOptions& options);

  const QuantizerOptions& options() const { return options_; }
  int dim() const { return options_.dim; }
  // Bits per coordinate of the Lloyd-Max stage: b, or b - 1 for prod (0 at b = 1).
  int mse_bits() const { return mse_bits_; }
  int code_bytes() const { return code_bytes_; }
  // Per-vector floats stored beside the codes: 1, or 2 for prod.
  int floats_per_vector() const { return options_.variant == Variant::kProd ? 2 : 1; }
  // Bits per vector counted honestly: codes plus every per-vector float.
  int64_t bits_per_vector() const { return 8LL * code_bytes_ + 32LL * floats_per_vector(); }
  const Codebook* codebook() const { return codebook_.get(); }  // null when mse_bits() == 0
  // Mixed rate: coordinates [0, upper_coords()) use upper_codebook() (mse_bits() + 1 bits),
  // packed in the first upper_bytes() bytes of each code; the rest follow.
  int upper_coords() const { return options_.upper_coords; }
  const Codebook* upper_codebook() const { return upper_codebook_.get(); }  // null when none
  int upper_bytes() const { return upper_bytes_; }
  // Bits per coordinate, on average: bits + upper_coords / dim.
  double rate() const { return options_.bits + static_cast<double>(upper_coords()) / dim(); }
  const Rotation& rotation() const { return *rotation_; }
  // The QJL estimator's constant (prod only; 0 otherwise): <q, r> ~ scale * |r| * <S q, signs>.
  float qjl_scale() const { return qjl_ ? qjl_->scale() : 0.0f; }

  // Encodes n row-major vectors (OpenMP over the batch; threads <= 0 means the default), or
  // with `center` (dim values) the differences x_i - center, without copying the batch.
  // Rejects a row with a NaN or infinity, or whose |x_i - center| (of the float differences)
  // passes the float range, with InvalidArgument naming the first such row, numbered from
  // first_row (a caller encoding a batch in slices passes the slice's first row), and leaves
  // `out` untouched. The checks come from the pass that computes the norms (one read).
  absl::Status Encode(const float* x, int64_t n, EncodedVectors* out, int threads = 0,
                      const float* center = nullptr, int64_t first_row = 0) const;

  // For vectors [begin, begin + count): writes z (count x dim) with <P q, z_i> equal to the
  // estimate of <q, x_i> for every q: the decoded vector in the rotated space, scale and QJL
  // term included.
  void DecodeRotated(const EncodedVectors& encoded, int64_t begin, int64_t count, float* z) const;
  // x_hat = P^T z: the reconstructions in the original space.
  void Decode(const EncodedVectors& encoded, int64_t begin, int64_t count, float* x_hat) const;

  PreparedQuery PrepareQuery(const float* q) const;
  // The reference estimator of <q, x_i>, straight from the packed code.
  float EstimateInnerProduct(const PreparedQuery& query, const EncodedVectors& encoded,
                             int64_t i) const;

 private:
  explicit TurboQuantizer(const QuantizerOptions& options) : options_(options) {}
  void EncodeRotated(const float* y, uint8_t* code, float* mse_codes, uint8_t* scratch, float norm,
                     float* scale, float* residual_norm) const;

  QuantizerOptions options_;
  int mse_bits_ = 0;
  int upper_bytes_ = 0;  // bytes of the upper part (coordinates [0, upper_coords))
  int mse_bytes_ = 0;    // bytes of the codes of coordinates [upper_coords, d) after it
  int code_bytes_ = 0;
  // The centroid coordinate j's code stands for.
  float Centroid(int j, uint8_t index) const {
    return j < options_.upper_coords ? upper_codebook_->centroids()[index]
                                     : codebook_->centroids()[index];
  }
  // All d per-coordinate mse-stage codes of one packed code.
  void UnpackMse(const uint8_t* code, uint8_t* indices) const;

  std::shared_ptr<const Codebook> codebook_;
  std::shared_ptr<const Codebook> upper_codebook_;
  std::shared_ptr<const Rotation> rotation_;
  std::unique_ptr<Qjl> qjl_;
};

}  // namespace tq

#endif  // TQ_ENGINE_TURBO_QUANTIZER_H_
