// Names and validation of the index options (the CLI flags use the same names).
#include "index/index_options.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace tq {
namespace {

std::string Lower(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kInnerProduct:
      return "ip";
    case Metric::kCosine:
      return "cosine";
    case Metric::kL2:
      return "l2";
  }
  return "unknown";
}

absl::StatusOr<Metric> ParseMetric(std::string_view name) {
  const std::string lower = Lower(name);
  if (lower == "ip" || lower == "dot" || lower == "inner_product") return Metric::kInnerProduct;
  if (lower == "cosine" || lower == "angular") return Metric::kCosine;
  if (lower == "l2" || lower == "euclidean") return Metric::kL2;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown metric '", std::string(name), "' (expected ip, cosine or l2)"));
}

std::string_view KeepVectorsName(KeepVectors keep) {
  switch (keep) {
    case KeepVectors::kNone:
      return "none";
    case KeepVectors::kFloat32:
      return "f32";
    case KeepVectors::kFloat16:
      return "f16";
  }
  return "unknown";
}

absl::StatusOr<KeepVectors> ParseKeepVectors(std::string_view name) {
  const std::string lower = Lower(name);
  if (lower == "none") return KeepVectors::kNone;
  if (lower == "f32" || lower == "float32") return KeepVectors::kFloat32;
  if (lower == "f16" || lower == "float16") return KeepVectors::kFloat16;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown keep-vectors '", std::string(name), "' (expected none, f32 or f16)"));
}

std::string_view CenteringName(Centering centering) {
  switch (centering) {
    case Centering::kNone:
      return "none";
    case Centering::kFirstBatch:
      return "first-batch";
    case Centering::kGiven:
      return "given";
  }
  return "unknown";
}

absl::StatusOr<Centering> ParseCentering(std::string_view name) {
  const std::string lower = Lower(name);
  if (lower == "none") return Centering::kNone;
  if (lower == "first-batch" || lower == "first_batch") return Centering::kFirstBatch;
  if (lower == "given") return Centering::kGiven;
  return absl::InvalidArgumentError(absl::StrCat("unknown centering '", std::string(name),
                                                 "' (expected none, first-batch or given)"));
}

absl::Status RateToBits(double rate, int dim, IndexOptions* options) {
  if (!(rate >= 1.0 && rate <= 4.0)) {
    return absl::InvalidArgumentError(absl::StrCat("bits ", rate, " outside [1, 4]"));
  }
  int bits = static_cast<int>(std::floor(rate));
  int upper = static_cast<int>(std::lround((rate - bits) * dim));
  if (upper >= dim) {
    ++bits;
    upper = 0;
  }
  options->bits = bits;
  options->upper_coords = upper;
  return absl::OkStatus();
}

absl::Status ValidateIndexOptions(const IndexOptions& options) {
  if (options.dim < 2 || options.dim > (1 << 16)) {
    return absl::InvalidArgumentError(
        absl::StrCat("index: dimension ", options.dim, " outside [2, 65536]"));
  }
  if (options.bits < 1 || options.bits > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("index: bits ", options.bits, " outside [1, 4]"));
  }
  if (options.upper_coords != 0) {
    if (options.upper_coords < 0 || options.upper_coords >= options.dim) {
      return absl::InvalidArgumentError(absl::StrCat("index: upper_coords ", options.upper_coords,
                                                     " outside [0, ", options.dim, ")"));
    }
    if (options.bits >= 4 || options.variant == Variant::kProd) {
      return absl::InvalidArgumentError(
          "index: a non-integer rate needs fewer than 4 bits and the mse or corrected variant");
    }
  }
  if (options.encoder == CorrectedEncoder::kMaxCosine &&
      (options.variant != Variant::kCorrected || options.upper_coords != 0)) {
    return absl::InvalidArgumentError(
        "index: the max-cosine encoder needs the corrected variant and an integer rate");
  }
  switch (options.metric) {
    case Metric::kInnerProduct:
    case Metric::kCosine:
    case Metric::kL2:
      break;
    default:
      return absl::InvalidArgumentError("index: unknown metric");
  }
  switch (options.keep_vectors) {
    case KeepVectors::kNone:
    case KeepVectors::kFloat32:
    case KeepVectors::kFloat16:
      break;
    default:
      return absl::InvalidArgumentError("index: unknown keep_vectors");
  }
  switch (options.center) {
    case Centering::kNone:
    case Centering::kFirstBatch:
      if (!options.mean.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("index: a mean is given but centering is ",
                                                       std::string(CenteringName(options.center))));
      }
      break;
    case Centering::kGiven:
      if (static_cast<int64_t>(options.mean.size()) != options.dim) {
        return absl::InvalidArgumentError(absl::StrCat("index: the given mean has ",
                                                       options.mean.size(),
                                                       " values for dimension ", options.dim));
      }
      for (size_t j = 0; j < options.mean.size(); ++j) {
        if (!std::isfinite(options.mean[j])) {
          return absl::InvalidArgumentError(
              absl::StrCat("index: the given mean has a non-finite value at coordinate ", j));
        }
      }
      break;
    default:
      return absl::InvalidArgumentError("index: unknown centering");
  }
  return absl::OkStatus();
}

}  // namespace tq
