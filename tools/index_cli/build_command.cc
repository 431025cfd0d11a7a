// `tq-index build`: a new index from every row of a vector file, saved atomically.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "index/index.h"
#include "io/vector_file.h"
#include "tools/index_cli/cli_util.h"
#include "tools/index_cli/commands.h"
#include "tools/index_cli/flags.h"
#include "tools/index_cli/ingest.h"

namespace tq::cli {

const CommandSpec& BuildSpec() {
  static const CommandSpec spec{
      "tq-index",
      "build",
      "create an index from a vector file (no training: vectors are encoded as they come)",
      "--data=FILE [--dataset=train] --bits=B --out=INDEX [--metric=ip|cosine|l2] "
      "[--variant=mse|prod|corrected] [--rotation=haar|fast] [--seed=S] "
      "[--keep-vectors=none|f32|f16] [--center=auto|none] [--encoder=nearest|max-cosine] "
      "[--ids=FILE] [--threads=T] [--quiet]",
      {{"data", "FILE", "vectors: .hdf5/.h5 (ann-benchmarks), .fvecs, .bvecs or .npy (required)"},
       {"dataset", "NAME", "HDF5 dataset holding the vectors (default train)"},
       {"bits", "B",
        "bits per coordinate, 1..4 (default 4); a fraction such as 2.5 gives that many bits on "
        "average (the first coordinates get one more), not with --variant=prod"},
       {"out", "INDEX", "index file to write; replaced atomically if it exists (required)"},
       {"metric", "M", "ip, cosine or l2 (default: the HDF5 file's `distance`, else ip)"},
       {"variant", "V", "mse, prod or corrected (default corrected)"},
       {"rotation", "R", "haar or fast (default fast)"},
       {"seed", "S", "seed of the rotation and QJL projection (default 42)"},
       {"keep-vectors", "K", "none, f32 or f16: originals kept for --rerank (default none)"},
       {"center", "C",
        "auto: subtract the mean of 4096 rows spread over the file before quantizing, recorded "
        "in the index; none: the paper's TurboQuant (default auto)"},
       {"encoder", "E",
        "corrected only: nearest (default) or max-cosine (the cosine-optimal code: higher "
        "recall at 3-4 bits and low dimension, 3-5x slower to encode; whole --bits only)"},
       {"ids", "FILE",
        "one id per vector: .txt (a number per line), .ivecs/.npy of one column "
        "(default: row numbers 0, 1, ...)"},
       {"threads", "T", "encoding threads (default 0 = all cores)"},
       {"quiet", "", "no progress line or summary on stderr"}}};
  return spec;
}

int RunBuild(const std::vector<std::string>& /*args*/, const std::vector<std::string>& /*given*/) {
  const std::string data_path = absl::GetFlag(FLAGS_data);
  const std::string out_path = absl::GetFlag(FLAGS_out);
  if (data_path.empty() || out_path.empty())
    return UsageError("build", "--data and --out are required");
  IndexOptions options;
  const double rate = absl::GetFlag(FLAGS_bits);
  options.seed = absl::GetFlag(FLAGS_seed);
  absl::StatusOr<Variant> variant = ParseVariant(absl::GetFlag(FLAGS_variant));
  absl::StatusOr<RotationKind> rotation = ParseRotationKind(absl::GetFlag(FLAGS_rotation));
  absl::StatusOr<KeepVectors> keep = ParseKeepVectors(absl::GetFlag(FLAGS_keep_vectors));
  absl::StatusOr<CorrectedEncoder> encoder = ParseCorrectedEncoder(absl::GetFlag(FLAGS_encoder));
  for (const absl::Status& s :
       {variant.status(), rotation.status(), keep.status(), encoder.status()}) {
    if (!s.ok()) return UsageError("build", std::string(s.message()));
  }
  if (!(rate >= 1 && rate <= 4)) return UsageError("build", "--bits must be 1..4");
  if (rate != std::floor(rate) && *variant == Variant::kProd) {
    return UsageError("build", "--bits with a fraction needs --variant=mse or corrected");
  }
  if (*encoder == CorrectedEncoder::kMaxCosine &&
      (*variant != Variant::kCorrected || rate != std::floor(rate))) {
    return UsageError("build", "--encoder=max-cosine needs --variant=corrected and whole --bits");
  }
  const std::string center = absl::GetFlag(FLAGS_center);
  if (center != "auto" && center != "none") {
    return UsageError("build", absl::StrCat("--center: expected auto or none, got '", center, "'"));
  }
  std::optional<Metric> metric_flag;
  if (!absl::GetFlag(FLAGS_metric).empty()) {
    absl::StatusOr<Metric> metric = ParseMetric(absl::GetFlag(FLAGS_metric));
    if (!metric.ok()) return UsageError("build", std::string(metric.status().message()));
    metric_flag = *metric;
  }
  options.variant = *variant;
  options.rotation = *rotation;
  options.keep_vectors = *keep;
  options.encoder = *encoder;
  if (absl::GetFlag(FLAGS_threads) < 0) return UsageError("build", "--threads must be >= 0");
  if (absl::GetFlag(FLAGS_threads) > 0) omp_set_num_threads(absl::GetFlag(FLAGS_threads));
  const bool quiet = absl::GetFlag(FLAGS_quiet);

  const std::string dataset = DatasetOr("train");
  absl::StatusOr<std::unique_ptr<io::VectorFileReader>> data =
      io::OpenVectorFile(data_path, dataset);
  if (!data.ok()) return InputError("build", data.status());
  if (metric_flag.has_value()) {
    options.metric = *metric_flag;
  } else {
    absl::StatusOr<Metric> metric = FileMetric(**data);
    if (!metric.ok()) return InputError("build", metric.status());
    options.metric = *metric;
  }
  options.dim = static_cast<int>((*data)->dim());
  if (absl::Status status = RateToBits(rate, std::max(options.dim, 1), &options); !status.ok()) {
    return UsageError("build", std::string(status.message()));
  }
  options.center = Centering::kNone;
  if (center == "auto" && options.dim >= 2 && options.dim <= (1 << 16)) {
    absl::StatusOr<std::vector<float>> mean = SampleMean(**data, options.metric);
    if (!mean.ok()) return InputError("build", mean.status());
    options.center = Centering::kGiven;
    options.mean = *std::move(mean);
  }
  if (absl::Status status = ValidateIndexOptions(options); !status.ok()) {
    return InputError(
        "build",
        absl::Status(status.code(), absl::StrCat(data_path, ": ", std::string(status.message()))));
  }
  std::vector<uint64_t> ids;
  if (!absl::GetFlag(FLAGS_ids).empty()) {
    absl::StatusOr<std::vector<uint64_t>> read =
        ReadIds(absl::GetFlag(FLAGS_ids), "ids", (*data)->rows());
    if (!read.ok()) return InputError("build", read.status());
    ids = *std::move(read);
  }
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Create(options);
  if (!index.ok()) return InputError("build", index.status());
  Stopwatch encode;
  if (absl::Status status = AddFile(**index, **data, ids.empty() ? nullptr : &ids, "build", quiet);
      !status.ok()) {
    return InputError("build", status);
  }
  const double encode_seconds = encode.seconds();
  Stopwatch save;
  if (absl::Status status = (*index)->Save(out_path); !status.ok())
    return InputError("build", status);
  if (!quiet) {
    const int64_t n = (*data)->rows();
    std::fprintf(stderr,
                 "tq-index build: %lld vectors of dimension %d from %s -> %s\n"
                 "  %s, %s bits, %s, %s rotation, centering %s, kept vectors %s\n"
                 "  encode %.2f s (%.0f vectors/s), save %.2f s, file %s (%.1f bytes/vector)\n",
                 static_cast<long long>(n), options.dim, data_path.c_str(), out_path.c_str(),
                 std::string(MetricName(options.metric)).c_str(),
                 absl::StrCat(options.bits +
                              static_cast<double>(options.upper_coords) / std::max(options.dim, 1))
                     .c_str(),
                 std::string(VariantName(options.variant)).c_str(),
                 std::string(RotationKindName(options.rotation)).c_str(),
                 std::string(CenteringName(options.center)).c_str(),
                 std::string(KeepVectorsName(options.keep_vectors)).c_str(), encode_seconds,
                 encode_seconds > 0 ? n / encode_seconds : 0.0, save.seconds(),
                 FormatBytes(FileSize(out_path)).c_str(),
                 n > 0 ? static_cast<double>(FileSize(out_path)) / n : 0.0);
  }
  return kExitOk;
}

}  // namespace tq::cli
